/**
 * The served pack for the tests: policy/analyzer.ts (shared with the offline plan) plus one served
 * pack per test process.
 */
import { PackServer } from "../../policy/analyzer";

export * from "../../policy/analyzer";

let shared: Promise<PackServer> | undefined;

/**
 * One served pack for the whole test process (starting it takes about 2 s): suites reconfigure it
 * before they analyse, and mocha runs them one after another. Stopped by a root-level hook after
 * the last test (the child and the channel would otherwise keep mocha alive).
 */
export function sharedPack(): Promise<PackServer> {
    shared ??= PackServer.start();
    return shared;
}

// A root-level mocha hook when loaded by mocha.
if (typeof after === "function") {
    after(async () => {
        if (shared) (await shared.catch(() => undefined))?.stop();
    });
}
