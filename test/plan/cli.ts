/**
 * `npm run plan -- <args>` the way a newcomer runs it, in a child process: the real CLI
 * (scripts/plan.ts through tsx, what the npm script runs) on the real program under mocks.
 *
 * A plan run is seconds of CPU (the SDKs load, the program builds, the policy pack is served in
 * a second child), and most of a run's test is waiting for it. So the suites start their runs
 * when mocha loads them, before the first test of the whole suite, and the runs go on in the
 * background while the in-process tests keep the test process's own core busy; a test awaits
 * its run. At most RUNNING_AT_ONCE runs are under way at a time (the machine has 2 cores; each
 * run has its pack server beside it), the others wait their turn in the order they were asked.
 * A run that fails fails the test that reads it, and nothing else.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../harness";

export interface Run { readonly status: number | null; readonly stdout: string; readonly stderr: string }

const RUNNING_AT_ONCE = 2;
/** A run still going after this is killed (its test then fails on the status). */
const KILL_AFTER_MS = 120_000;

let running = 0;
const waiting: Array<() => void> = [];

/** Starts `npm run plan -- <args>` (queued behind earlier runs when RUNNING_AT_ONCE are under way). */
export function plan(args: readonly string[]): Promise<Run> {
    const started = new Promise<void>((start) => {
        if (running < RUNNING_AT_ONCE) {
            running++;
            start();
        } else {
            waiting.push(start);
        }
    }).then(() => run(args).finally(() => {
        const next = waiting.shift();
        if (next) next();
        else running--;
    }));
    // Read by its test later: not an unhandled rejection meanwhile (the test still gets the error).
    started.catch(() => undefined);
    return started;
}

function run(args: readonly string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "plan.ts"), ...args], { cwd: ROOT, timeout: KILL_AFTER_MS });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d) => { stdout += d; });
        child.stderr.setEncoding("utf8").on("data", (d) => { stderr += d; });
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}
