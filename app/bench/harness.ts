// What every bench script shares: the real PostgreSQL and Redis on loopback, a scratch directory
// and the discarding OTLP collector, set up and torn down in one place (withBenchServices); the
// service processes it starts (startService) and their CPU time (cpuSecondsOf); the environment of
// the service as deployed (deployedEnv); and how a script's main reports a failure (run).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { destroySharedPostgres, missingServices, RedisServer, sharedPostgres } from "../test/support/services.js";
import { waitFor } from "../test/support/app.js";
import { discardingCollector } from "./collector.js";

export const APP_ROOT = join(__dirname, "..");

/** utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The service as deployed: info logs (the access line), tracing with parent-based ratio sampling exported to `collectorUrl`. */
export function deployedEnv(collectorUrl: string, ratio = "0.1"): Record<string, string> {
  return { LOG_LEVEL: "info", OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: ratio };
}

/**
 * A JSON object of settings from the environment variable `name` ({} when unset), e.g.
 * BENCH_INSTRUMENTED_ENV='{"LOG_LEVEL":"silent"}'; anything else is refused naming the variable.
 */
export function jsonEnv(name: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const text = env[name];
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${name}=${text} is not JSON (${(error as Error).message}): give an object of settings, e.g. ${name}='{"LOG_LEVEL":"silent"}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === "string")) {
    throw new Error(`${name}=${text} is not an object of string settings: give e.g. ${name}='{"OTEL_TRACES_SAMPLER_ARG":"0"}'`);
  }
  return value as Record<string, string>;
}

/**
 * What each slot of `npm run bench` runs with. The instrumented slot: `common`, the deployed
 * settings and `instrumentedExtra` (BENCH_INSTRUMENTED_ENV). The baseline's: `common` alone for
 * bench/baseline.ts, or, when another entry runs there (BENCH_BASELINE_ENTRY), `common`, the
 * deployed settings and `baselineExtra` (BENCH_BASELINE_ENV), never the instrumented slot's extras:
 * a setting meant for one slot only in both would make an A/B an A/A.
 */
export function slotEnvironments(options: {
  common: Record<string, string>;
  collectorUrl: string;
  ratio: string;
  instrumentedExtra: Record<string, string>;
  baselineEntry: string | undefined;
  baselineExtra: Record<string, string>;
}): { instrumented: Record<string, string>; baseline: Record<string, string> } {
  const deployed = { ...options.common, ...deployedEnv(options.collectorUrl, options.ratio) };
  return {
    instrumented: { ...deployed, ...options.instrumentedExtra },
    baseline: options.baselineEntry === undefined ? { ...options.common } : { ...deployed, ...options.baselineExtra },
  };
}

export interface BenchServices {
  readonly pg: Awaited<ReturnType<typeof sharedPostgres>>;
  readonly redis: RedisServer;
  readonly dir: string;
  readonly collectorUrl: string;
  readonly collector: ReturnType<typeof discardingCollector>;
  /** Processes started with startService: SIGTERMed and awaited at the end. */
  readonly children: ChildProcess[];
}

/**
 * Runs `body` with PostgreSQL, Redis, a scratch directory (`<prefix>-*`, kept when `keepDir` says
 * so, with `kept` printed) and the collector; then stops every child, the collector and the
 * databases, whatever happened.
 */
export async function withBenchServices(what: string, prefix: string, body: (s: BenchServices) => Promise<void>, keep?: { readonly keepDir: boolean; readonly kept: (dir: string) => string }): Promise<void> {
  const missing = missingServices();
  if (missing !== undefined) throw new Error(`cannot ${what}: ${missing}`);
  const pg = await sharedPostgres();
  const redis = await RedisServer.start();
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const collector = discardingCollector();
  const children: ChildProcess[] = [];
  try {
    await body({ pg, redis, dir, collectorUrl: await collector.listen(), collector, children });
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve)))));
    collector.close();
    await redis.stopServer();
    await destroySharedPostgres();
    if (keep?.keepDir) console.log(keep.kept(dir));
    else rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts `entry` (src/main.ts, bench/baseline.ts, bench/probe.ts) under tsx with `env` only (and
 * PATH), its stdout appended to `logFile`, and resolves once its readiness answers 200 on `port`.
 * The child joins `children`, so withBenchServices stops it.
 */
export async function startService(children: ChildProcess[], entry: string, env: NodeJS.ProcessEnv, port: number, logFile: string, nodeArgs: readonly string[] = [], timeoutMs = 20000): Promise<ChildProcess> {
  const out = openSync(logFile, "a");
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", entry], { cwd: APP_ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", out, "inherit"] });
  closeSync(out);
  children.push(child);
  await waitFor(`${entry} ready on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/health/readiness`)).status === 200, timeoutMs);
  return child;
}

/** Applies the schema's migrations (src/migrate.ts, as the image's migration Job does) with `env`'s database. */
export async function migrateDatabase(env: NodeJS.ProcessEnv): Promise<void> {
  await new Promise((resolve, reject) =>
    spawn(process.execPath, ["--import", "tsx", "src/migrate.ts"], { cwd: APP_ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "ignore", "inherit"] })
      .once("exit", (code) => (code === 0 ? resolve(code) : reject(new Error(`migrate exited ${code}`)))));
}

/** A script's entry point: its error printed, exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
