// Telling "a dependency is down or saturated" (503, retry later, one log line per interval) apart
// from "this code has a bug" (500, a stack trace every time).
import type { FastifyBaseLogger } from "fastify";

/** Seconds a client is told to wait (Retry-After) before retrying a request refused for a dependency. */
export const RETRY_AFTER_SECONDS = 2;

export type DependencyFailure = "unavailable" | "timeout";

/** A request could not be served because a dependency was unavailable: the HTTP answer is 503 with Retry-After. */
export class DependencyUnavailableError extends Error {
  readonly statusCode = 503;
  constructor(
    readonly dependency: string,
    readonly failure: DependencyFailure,
    override readonly cause: Error,
  ) {
    super(`${dependency} ${failure === "timeout" ? "timed out" : "unavailable"}: ${cause.message}`);
    this.name = "DependencyUnavailableError";
  }
}

// Node's socket errors for a peer that is down, unreachable or went away.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);
// pg raises these without a code: pool wait timeout, connect timeout, connection lost, pool closing.
const PG_UNAVAILABLE_MESSAGES = [
  "timeout exceeded when trying to connect",
  "Connection terminated",
  "Client has encountered a connection error and is not queryable",
  "Cannot use a pool after calling end on the pool",
];

/**
 * Classifies an error from pg: a dependency failure (503) or undefined (a real bug: 500).
 * SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many connections),
 * 57P01-57P03 admin/crash shutdown and cannot connect now (failover, restart); 57014 is a
 * statement timeout (the database is overloaded or locked).
 */
export function classifyDatabaseError(error: unknown): DependencyFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code === "57014") return "timeout";
    if (NETWORK_CODES.has(code) || code.startsWith("08") || code.startsWith("53") || /^57P0[1-3]$/.test(code)) return "unavailable";
  }
  if (error instanceof AggregateError && error.errors.some((inner) => classifyDatabaseError(inner) !== undefined)) return "unavailable";
  if (PG_UNAVAILABLE_MESSAGES.some((message) => error.message.startsWith(message))) return "unavailable";
  return undefined;
}

/** Kinds of failure (distinct messages) an outage logs at once, and counts by name in its summary lines; more are counted as OTHER_MESSAGES. */
export const OUTAGE_KINDS_LOGGED = 5;
export const OTHER_MESSAGES = "(other messages)";

interface Outage {
  /** Failures since the last line, and how many of each message. */
  suppressed: number;
  readonly byMessage: Map<string, number>;
  lastLoggedAt: number;
  lastFailureAt: number;
  timer: NodeJS.Timeout | undefined;
  /** The messages this outage has logged at once. */
  readonly seen: Set<string>;
}

/**
 * Logs a dependency outage once per interval with the number of failures, instead of once per
 * failed request (a stopped database under load would otherwise write thousands of lines a second).
 * The first failure is logged at once, and so is the first failure of each new kind (another
 * message, e.g. refused connections turning into failed logins), up to OUTAGE_KINDS_LOGGED kinds
 * per outage; every other failure is counted, by message, and reported by one line when the
 * interval ends. Messages that alternate (refused, terminated, starting up, during a failover)
 * therefore cost one line each per outage, not one per failure. An outage ends when its
 * dependency has not failed for a whole interval.
 */
export class OutageLog {
  private readonly outages = new Map<string, Outage>();

  constructor(
    private readonly logger: Pick<FastifyBaseLogger, "warn">,
    private readonly intervalMs: number,
  ) {}

  record(dependency: string, error: Error): void {
    const now = Date.now();
    let outage = this.outages.get(dependency);
    if (outage === undefined) {
      outage = { suppressed: 0, byMessage: new Map(), lastLoggedAt: -Infinity, lastFailureAt: -Infinity, timer: undefined, seen: new Set() };
      this.outages.set(dependency, outage);
    }
    if (now - outage.lastFailureAt >= this.intervalMs && outage.timer === undefined) outage.seen.clear(); // the last outage is over
    outage.lastFailureAt = now;
    const message = error.message;
    const quiet = now - outage.lastLoggedAt >= this.intervalMs && outage.timer === undefined;
    const newKind = !outage.seen.has(message) && outage.seen.size < OUTAGE_KINDS_LOGGED;
    if (quiet || newKind) {
      if (newKind) outage.seen.add(message);
      outage.lastLoggedAt = now;
      this.logger.warn({ dependency, failures: 1, intervalMs: this.intervalMs, err: { message } }, `${dependency} unavailable`);
      return;
    }
    outage.suppressed += 1;
    const counted = outage.byMessage.has(message) || outage.byMessage.size < OUTAGE_KINDS_LOGGED ? message : OTHER_MESSAGES;
    outage.byMessage.set(counted, (outage.byMessage.get(counted) ?? 0) + 1);
    outage.timer ??= setTimeout(() => this.flush(dependency), Math.max(0, outage.lastLoggedAt + this.intervalMs - now)).unref();
  }

  private flush(dependency: string): void {
    const outage = this.outages.get(dependency);
    if (outage === undefined) return;
    clearTimeout(outage.timer);
    outage.timer = undefined;
    if (outage.suppressed === 0) return;
    // Most frequent first; err.message is the most frequent one.
    const errors = Object.fromEntries([...outage.byMessage].sort((a, b) => b[1] - a[1]));
    this.logger.warn(
      { dependency, failures: outage.suppressed, intervalMs: this.intervalMs, err: { message: Object.keys(errors)[0] }, errors },
      `${dependency} still unavailable: ${outage.suppressed} more failures`,
    );
    outage.suppressed = 0;
    outage.byMessage.clear();
    outage.lastLoggedAt = Date.now();
  }

  /** Reports what is still counted (at shutdown). */
  close(): void {
    for (const dependency of this.outages.keys()) this.flush(dependency);
  }
}
