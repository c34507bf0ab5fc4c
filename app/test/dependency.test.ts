// The outage log (src/dependency.ts) on its own: how many lines an outage writes, whatever mix of
// failures it sees. test/faults.test.ts checks it against a stopped PostgreSQL under load.
import assert from "node:assert/strict";
import { OTHER_MESSAGES, OUTAGE_KINDS_LOGGED, OutageLog } from "../src/dependency.js";

interface Line {
  readonly fields: { dependency: string; failures: number; err: { message: string }; errors?: Record<string, number> };
  readonly msg: string;
}

type OutageLogger = ConstructorParameters<typeof OutageLog>[0];

/** A logger that keeps what the outage log writes (it calls warn(fields, message) only). */
function capturing(): { lines: Line[]; logger: OutageLogger } {
  const lines: Line[] = [];
  const warn = (fields: object, msg: string) => void lines.push({ fields: fields as Line["fields"], msg });
  return { lines, logger: { warn } as unknown as OutageLogger };
}

const failure = (message: string) => new Error(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the dependency outage log", () => {
  it("writes one line per kind of failure and one summary, not a line per failure, when messages alternate (as during a failover)", () => {
    const { lines, logger } = capturing();
    const log = new OutageLog(logger, 60_000);
    const kinds = ["connect ECONNREFUSED 10.0.1.5:5432", "Connection terminated unexpectedly"];
    for (let i = 0; i < 1000; i += 1) log.record("database", failure(kinds[i % 2] as string));
    log.close(); // reports what the interval counted
    assert.deepEqual(
      lines.map((line) => [line.msg, line.fields.failures, line.fields.err.message]),
      [
        ["database unavailable", 1, kinds[0]],
        ["database unavailable", 1, kinds[1]],
        ["database still unavailable: 998 more failures", 998, kinds[0]],
      ],
    );
    assert.deepEqual(lines[2]?.fields.errors, { [kinds[0] as string]: 499, [kinds[1] as string]: 499 });
  });

  it(`logs at most ${OUTAGE_KINDS_LOGGED} kinds at once and counts the rest under "${OTHER_MESSAGES}"`, () => {
    const { lines, logger } = capturing();
    const log = new OutageLog(logger, 60_000);
    for (let i = 0; i < 50; i += 1) log.record("cache", failure(`failure number ${i}`));
    log.close();
    assert.equal(lines.length, OUTAGE_KINDS_LOGGED + 1);
    const summary = lines.at(-1) as Line;
    assert.equal(summary.fields.failures, 50 - OUTAGE_KINDS_LOGGED);
    // The summary names as many messages as it logs kinds at once (here the next five), and counts the rest together.
    const named = Array.from({ length: OUTAGE_KINDS_LOGGED }, (_, i) => [`failure number ${OUTAGE_KINDS_LOGGED + i}`, 1] as const);
    assert.deepEqual(summary.fields.errors, { [OTHER_MESSAGES]: 50 - 2 * OUTAGE_KINDS_LOGGED, ...Object.fromEntries(named) });
    assert.ok(lines.every((line) => line.fields.dependency === "cache"));
  });

  it("keeps one summary line per interval while the outage lasts, counting every failure, and logs at once again after a quiet interval", async () => {
    const { lines, logger } = capturing();
    const intervalMs = 40;
    const log = new OutageLog(logger, intervalMs);
    let recorded = 0;
    const started = Date.now();
    while (Date.now() - started < 5 * intervalMs) {
      log.record("database", failure("connect ECONNREFUSED 10.0.1.5:5432"));
      recorded += 1;
      await sleep(1);
    }
    const failingMs = Date.now() - started;
    await sleep(2 * intervalMs); // the last summary's timer
    const summaries = lines.filter((line) => line.msg.includes("still unavailable"));
    assert.equal(lines[0]?.msg, "database unavailable");
    // The first line, then at most one summary per interval (timers fire late on a busy machine, never early).
    assert.ok(recorded > 20, `${recorded} failures recorded`);
    assert.ok(summaries.length >= 1 && summaries.length <= Math.ceil(failingMs / intervalMs) + 1, JSON.stringify({ failingMs, lines: lines.map((line) => line.msg) }));
    assert.equal(lines.length, summaries.length + 1);
    assert.equal(lines.reduce((sum, line) => sum + line.fields.failures, 0), recorded);
    // A whole quiet interval later, a failure is a new outage: logged at once.
    log.record("database", failure("connect ECONNREFUSED 10.0.1.5:5432"));
    assert.equal(lines.at(-1)?.msg, "database unavailable");
    log.close();
  });
});
