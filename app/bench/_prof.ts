import { spawn } from "node:child_process";
import { mkdtempSync, openSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { destroySharedPostgres, freePort, RedisServer, sharedPostgres } from "../test/support/services.js";
import { sampleOrder, testEnv, waitFor } from "../test/support/app.js";
async function main() {
  const pg = await sharedPostgres(); const redis = await RedisServer.start();
  const collector = createServer((q, r) => { q.resume(); q.on("end", () => r.end("{}")); }); const cport = await freePort(); await new Promise<void>((res) => collector.listen(cport, "127.0.0.1", res));
  const db = await pg.createDatabase("orders_prof"); const dir = mkdtempSync(join(tmpdir(), "prof-")); const port = await freePort();
  const env = testEnv(db, redis, dir, port, { LOG_LEVEL: "info", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${cport}`, OTEL_TRACES_SAMPLER_ARG: "0.1", SHUTDOWN_TIMEOUT_MS: "5000", ...JSON.parse(process.env.EXTRA ?? "{}") });
  const out = openSync(join(dir, "log"), "a");
  const child = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-dir=/tmp/prof", "--import", "tsx", "src/main.ts"], { cwd: "/work/wt-app/app", env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", out, "inherit"] });
  await waitFor("ready", async () => (await fetch(`http://127.0.0.1:${port}/health/readiness`)).status === 200, 20000);
  const base = `http://127.0.0.1:${port}`;
  const { id } = (await (await fetch(`${base}/v1/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(sampleOrder("p")) })).json()) as any;
  const path = process.env.SCEN === "create" ? undefined : `/v1/orders/${id}`;
  let k = 0;
  const opts: any = path ? { url: base + path } : { url: base + "/v1/orders", requests: [{ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(sampleOrder("w")), setupRequest: (r: any) => ({ ...r, headers: { ...r.headers, "idempotency-key": `k${k++}` } }) }] };
  const r = await autocannon({ connections: 16, duration: 5, ...opts });
  console.log("rps", r.requests.average);
  child.kill("SIGTERM"); await new Promise((res) => child.once("exit", res));
  collector.close(); await redis.stopServer(); await destroySharedPostgres();
}
main();
