// Fault tests against real PostgreSQL and Redis: database outage, password rotation, SIGTERM under
// load in the real process, and no acknowledged write lost across them.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, missingServices, RedisServer, sharedPostgres, type DatabaseLogin, type PostgresServer } from "./support/services.js";
import { postJson, sampleOrder, startTestApp, testEnv, waitFor, type TestApp } from "./support/app.js";

const APP_ROOT = join(__dirname, "..");

describe("fault tolerance", function () {
  let pg: PostgresServer;
  let db: DatabaseLogin;
  let redis: RedisServer;
  /** Every order id the service answered 201 for, across all faults. */
  const acknowledged = new Set<string>();

  before(async function () {
    const missing = missingServices();
    if (missing !== undefined) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    pg = await sharedPostgres();
    db = await pg.createDatabase("orders_faults");
    redis = await RedisServer.start();
  });

  after(async function () {
    await redis?.stopServer();
  });

  async function create(app: { json: TestApp["json"] }, customerId: string): Promise<number> {
    const response = await app.json("/v1/orders", postJson(sampleOrder(customerId)));
    if (response.status === 201) acknowledged.add(response.body.id);
    return response.status;
  }

  describe("in-process service", function () {
    let app: TestApp;
    before(async function () {
      app = await startTestApp(db, redis);
    });
    after(async function () {
      await app?.stop();
    });

    it("fails readiness within seconds of the database stopping, and recovers when it returns", async () => {
      assert.equal(await create(app, "cust-outage"), 201);
      assert.equal((await app.json("/health/readiness")).status, 200);

      pg.stopServer();
      try {
        const tookMs = await waitFor("readiness 503", async () => (await app.json("/health/readiness")).status === 503, 5000);
        assert.ok(tookMs < 5000);
        // Liveness must not follow: restarting the pod would not bring the database back.
        assert.equal((await app.json("/health/liveness")).status, 200);
        // The client gets a plain 500, no driver message or stack trace.
        const failed = await app.json("/v1/customers/cust-outage/orders");
        assert.equal(failed.status, 500);
        assert.deepEqual(failed.body, { error: "Internal Server Error", message: "The request could not be completed." });
      } finally {
        pg.startServer();
      }
      await waitFor("readiness 200 after the database returns", async () => (await app.json("/health/readiness")).status === 200, 10000);
      assert.equal(await create(app, "cust-outage"), 201);
    });

    it("picks up a rotated database password from the mounted file without a restart", async () => {
      const newPassword = `rotated-${Date.now()}`;
      await pg.admin(`ALTER ROLE ${db.user} PASSWORD '${newPassword}'`);
      // Existing sessions survive ALTER ROLE; end them so the pool must log in again (as after a failover).
      await pg.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [db.user]);
      // The file still holds the old password: new connections must fail...
      await waitFor("readiness 503 with the old password", async () => (await app.json("/health/readiness")).status === 503, 5000);
      // ...until the Secret (file) is rewritten, with no restart in between.
      writeFileSync(app.passwordFile, `${newPassword}\n`);
      await waitFor("readiness 200 with the new password", async () => (await app.json("/health/readiness")).status === 200, 5000);
      assert.equal(await create(app, "cust-rotation"), 201);
      // The failed logins were logged, without either password.
      assert.match(app.logs.text, /password authentication failed/);
      assert.ok(!app.logs.text.includes(db.password) && !app.logs.text.includes(newPassword), "a password reached the logs");
      db.password = newPassword;
    });
  });

  describe("the real process (node src/main.ts) with tracing to an OTLP collector", function () {
    let child: ChildProcess;
    let collector: Server;
    let stdout = "";
    const exportedTraces: any[] = [];
    let baseUrl = "";
    let childDir = "";
    const outcomes: Array<{ startedBeforeSigterm: boolean; status: number | string }> = [];
    let exitCode: number | null = null;
    let exitAfterSigtermMs = 0;
    const SHUTDOWN_TIMEOUT_MS = 8000;

    before(async function () {
      // A stand-in for Jaeger's OTLP/HTTP receiver on loopback.
      collector = createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString()));
        request.on("end", () => {
          if (request.url === "/v1/traces") exportedTraces.push(JSON.parse(body));
          response.writeHead(200, { "content-type": "application/json" }).end("{}");
        });
      });
      const collectorPort = await freePort();
      await new Promise<void>((resolve) => collector.listen(collectorPort, "127.0.0.1", resolve));

      const port = await freePort();
      childDir = mkdtempSync(join(tmpdir(), "orders-child-"));
      const env = testEnv(db, redis, childDir, port, {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
        DEPLOYMENT_ENVIRONMENT: "test",
        SHUTDOWN_DELAY_MS: "1000",
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      });
      baseUrl = `http://127.0.0.1:${port}`;
      child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: APP_ROOT,
        env: { PATH: process.env.PATH, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      await waitFor("child ready", async () => (await fetch(`${baseUrl}/health/readiness`)).status === 200, 15000);
      // One cache miss and one hit, so the trace export includes Redis spans.
      const created = (await (await fetch(`${baseUrl}/v1/orders`, postJson(sampleOrder("cust-traced")))).json()) as { id: string };
      acknowledged.add(created.id);
      for (let i = 0; i < 2; i += 1) assert.equal((await fetch(`${baseUrl}/v1/orders/${created.id}`)).status, 200);
    });

    after(async function () {
      if (child?.exitCode === null) child.kill("SIGKILL");
      collector?.close();
      if (childDir !== "") rmSync(childDir, { recursive: true, force: true });
    });

    it("finishes every in-flight request on SIGTERM under load, then exits 0 in time", async () => {
      let sigtermAt = 0;
      let stop = false;
      const worker = async (n: number) => {
        for (let i = 0; !stop; i += 1) {
          const startedBeforeSigterm = sigtermAt === 0;
          try {
            const response = await fetch(`${baseUrl}/v1/orders`, postJson(sampleOrder(`cust-load-${n}`), { "idempotency-key": `load-${n}-${i}` }));
            const body = (await response.json()) as { id?: string };
            if (response.status === 201 && body.id !== undefined) acknowledged.add(body.id);
            outcomes.push({ startedBeforeSigterm, status: response.status });
          } catch (error) {
            outcomes.push({ startedBeforeSigterm, status: String((error as { cause?: { code?: string } }).cause?.code ?? error) });
            if (!startedBeforeSigterm) return; // the listener is closed: the load balancer would route elsewhere
          }
        }
      };
      const exited = new Promise<void>((resolve) =>
        child.once("exit", (code) => {
          exitCode = code;
          exitAfterSigtermMs = Date.now() - sigtermAt;
          stop = true;
          resolve();
        }),
      );
      const workers = Array.from({ length: 16 }, (_, n) => worker(n));
      await waitFor("load running", async () => outcomes.length >= 100, 10000);
      sigtermAt = Date.now();
      child.kill("SIGTERM");
      // Readiness fails as soon as the signal is handled, while the listener still serves during SHUTDOWN_DELAY_MS.
      await waitFor("readiness 503 after SIGTERM", async () => (await fetch(`${baseUrl}/health/readiness`)).status === 503, 900);
      await exited;
      await Promise.all(workers);

      const before = outcomes.filter((o) => o.startedBeforeSigterm);
      assert.ok(before.length >= 100, `load was running (${before.length} requests before SIGTERM)`);
      assert.deepEqual(before.filter((o) => o.status !== 201), []);
      // Requests started after SIGTERM model a client that ignores the endpoint removal: they are served,
      // refused while closing (503), or refused at connection level once the listener is closed
      // (ECONNREFUSED; ECONNRESET or UND_ERR_SOCKET for a request raced onto a keep-alive socket being closed). Those are
      // the failures a client retries, which the Idempotency-Key makes safe. Nothing else is acceptable.
      const after = outcomes.filter((o) => !o.startedBeforeSigterm);
      assert.deepEqual(after.filter((o) => ![201, 503, "ECONNREFUSED", "ECONNRESET", "UND_ERR_SOCKET"].includes(o.status as never)), []);
      assert.equal(exitCode, 0, stdout.slice(-2000));
      assert.ok(exitAfterSigtermMs < SHUTDOWN_TIMEOUT_MS, `exited after ${exitAfterSigtermMs} ms`);
      assert.match(stdout, /"msg":"shutdown complete"/);
      assert.ok(!stdout.includes(db.password) && !stdout.includes(redis.password), "a secret reached the logs");
    });

    it("exported traces over OTLP with service name, environment, HTTP, pg and Redis spans, and logged their trace ids", () => {
      const resourceSpans = exportedTraces.flatMap((t) => t.resourceSpans);
      assert.ok(resourceSpans.length > 0, "no trace export received");
      const attributes = Object.fromEntries(resourceSpans[0].resource.attributes.map((a: any) => [a.key, a.value.stringValue]));
      assert.equal(attributes["service.name"], "orders-service");
      assert.equal(attributes["deployment.environment.name"], "test");
      const spans = resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans.map((span: any) => ({ scope: s.scope.name, ...span }))));
      const scopes = new Set(spans.map((s: any) => s.scope));
      assert.ok(scopes.has("@opentelemetry/instrumentation-http"), [...scopes].join());
      assert.ok(scopes.has("@opentelemetry/instrumentation-pg"), [...scopes].join());
      assert.ok(scopes.has("@opentelemetry/instrumentation-ioredis"), [...scopes].join());
      const traceIds = new Set(spans.map((s: any) => s.traceId));
      const loggedTraceIds = [...stdout.matchAll(/"trace_id":"([0-9a-f]{32})"/g)].map((m) => m[1]);
      assert.ok(loggedTraceIds.length > 0, "no trace_id in the logs");
      assert.ok(loggedTraceIds.some((id) => traceIds.has(id)), "logged trace ids match no exported span");
    });
  });

  // Declared last: mocha runs a suite's own tests before its nested suites.
  describe("afterwards", function () {
    it("lost no acknowledged write across the faults", async () => {
      assert.ok(acknowledged.size > 50);
      const ids = [...acknowledged];
      const found = await pg.admin<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[])", [ids], db.database);
      assert.equal(found.rows[0]?.n, ids.length);
    });
  });
});
