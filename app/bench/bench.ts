// `npm run bench`: the built service (node dist/main.js) against real PostgreSQL and Redis on
// loopback, measured with autocannon. Bounded: three runs of BENCH_SECONDS (default 8 s) each.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { destroySharedPostgres, freePort, missingServices, RedisServer, sharedPostgres } from "../test/support/services.js";
import { sampleOrder, testEnv, waitFor } from "../test/support/app.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? "8");
const CONNECTIONS = 16;
const APP_ROOT = join(__dirname, "..");

async function startApp(env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["dist/main.js"], { cwd: APP_ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "ignore", "inherit"] });
  await waitFor("service ready", async () => (await fetch(`http://127.0.0.1:${port}/health/readiness`)).status === 200, 15000);
  return child;
}

async function run(title: string, options: autocannon.Options) {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return { scenario: title, "req/s": Math.round(result.requests.average), "p50 ms": result.latency.p50, "p99 ms": result.latency.p99, requests: result.requests.total, "non-2xx/errors": non2xx };
}

async function main(): Promise<void> {
  const missing = missingServices();
  if (missing !== undefined) throw new Error(`cannot benchmark: ${missing}`);
  const pg = await sharedPostgres();
  const redis = await RedisServer.start();
  const children: ChildProcess[] = [];
  try {
    const db = await pg.createDatabase("orders_bench");
    const dir = mkdtempSync(join(tmpdir(), "orders-bench-"));
    const cachedPort = await freePort();
    const uncachedPort = await freePort();
    const base = { LOG_LEVEL: "info", DATABASE_POOL_MAX: "10" };
    children.push(await startApp(testEnv(db, redis, dir, cachedPort, base), cachedPort));
    // Same service without REDIS_URL: every read is a PostgreSQL query.
    const uncachedEnv = { ...testEnv(db, undefined, dir, uncachedPort, { ...base, MIGRATE_ON_START: "false" }) };
    children.push(await startApp(uncachedEnv, uncachedPort));

    const created = await fetch(`http://127.0.0.1:${cachedPort}/v1/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(sampleOrder("bench-read")),
    });
    const { id } = (await created.json()) as { id: string };

    const results = [];
    results.push(await run("cached read (GET /v1/orders/:id, Redis hit)", { url: `http://127.0.0.1:${cachedPort}/v1/orders/${id}` }));
    results.push(await run("uncached read (GET /v1/orders/:id, PostgreSQL)", { url: `http://127.0.0.1:${uncachedPort}/v1/orders/${id}` }));
    results.push(
      await run("create (POST /v1/orders, PostgreSQL insert)", {
        url: `http://127.0.0.1:${cachedPort}/v1/orders`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(sampleOrder("bench-write")),
      }),
    );
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per scenario, loopback, this machine (${(await import("node:os")).cpus().length} cores; load generator shares them)`);
    console.table(results);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await redis.stopServer();
    await destroySharedPostgres();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
