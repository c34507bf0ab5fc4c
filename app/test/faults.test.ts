// Fault tests against real PostgreSQL and Redis: database outage, a saturated pool, password
// rotation, SIGTERM under keep-alive load in the real process, and no acknowledged write lost across them.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, createServer, request as httpRequest, type Server } from "node:http";
import pgDriver from "pg";
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

  /** An in-process service with these settings for the enclosing describe's tests: started before them, stopped after. */
  function inProcessService(overrides: Parameters<typeof startTestApp>[2]): { readonly app: TestApp } {
    const service = {} as { app: TestApp };
    before(async function () {
      service.app = await startTestApp(db, redis, overrides);
    });
    after(async function () {
      await service.app?.stop();
    });
    return service;
  }

  /**
   * Runs `whileLocked` while another session holds the orders table, as a migration or a long
   * transaction would (PostgreSQL itself stays healthy), and releases it after.
   */
  async function withOrdersLocked<T>(whileLocked: () => Promise<T>): Promise<T> {
    const locker = new pgDriver.Client({ host: "127.0.0.1", port: pg.port, user: "postgres", password: pg.superPassword, database: db.database });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
      return await whileLocked();
    } finally {
      await locker.query("ROLLBACK");
      await locker.end();
    }
  }

  describe("in-process service", function () {
    const service = inProcessService({ DEPENDENCY_LOG_INTERVAL_MS: "1000" });

    it("answers 503 with Retry-After while the database is down, logs the outage once per interval with a count, and recovers", async () => {
      const { app } = service;
      assert.equal(await create(app, "cust-outage"), 201);
      assert.equal((await app.json("/health/readiness")).status, 200);

      pg.stopServer();
      const logsBefore = app.logs.lines.length;
      try {
        const tookMs = await waitFor("readiness 503", async () => (await app.json("/health/readiness")).status === 503, 5000);
        assert.ok(tookMs < 5000);
        // Liveness must not follow: restarting the pod would not bring the database back.
        assert.equal((await app.json("/health/liveness")).status, 200);
        // Writes and reads: 503, Retry-After, the common error shape, no driver message or stack trace.
        const failed = await Promise.all([
          ...Array.from({ length: 30 }, () => app.json("/v1/orders", postJson(sampleOrder("cust-outage")))),
          ...Array.from({ length: 10 }, () => app.json("/v1/customers/cust-outage/orders")),
        ]);
        for (const response of failed) {
          assert.equal(response.status, 503);
          assert.equal(response.headers.get("retry-after"), "2");
          assert.deepEqual(response.body, { error: "Service Unavailable", message: "The database is unavailable; retry after 2 seconds." });
        }
        // The counted failures are reported by one line when the interval (1 s here) ends.
        await waitFor("outage summary line", async () => app.logs.lines.slice(logsBefore).some((l) => l.includes("still unavailable")), 3000);
      } finally {
        pg.startServer();
      }
      const outageLines = app.logs.records().slice(logsBefore).filter((r) => r.dependency === "database");
      assert.ok(outageLines.length >= 2 && outageLines.length <= 4, JSON.stringify(outageLines));
      const counted = outageLines.reduce((sum, r) => sum + Number(r.failures), 0);
      assert.ok(counted >= 40, `the log lines count ${counted} failures`);
      const errorLines = app.logs.records().slice(logsBefore).filter((r) => r.level === "error" || JSON.stringify(r).includes("    at "));
      assert.deepEqual(errorLines, []);
      await waitFor("readiness 200 after the database returns", async () => (await app.json("/health/readiness")).status === 200, 10000);
      assert.equal(await create(app, "cust-outage"), 201);
    });

    it("keeps 500 and a logged stack trace for a real bug", async () => {
      const { app } = service;
      // A query the code gets wrong (here: a column it reads is gone) is not an outage.
      await pg.admin("ALTER TABLE orders RENAME COLUMN pricing TO pricing_renamed", [], db.database);
      const logsBefore = app.logs.lines.length;
      try {
        const response = await app.json("/v1/customers/cust-outage/orders");
        assert.equal(response.status, 500);
        assert.equal(response.headers.get("retry-after"), null);
        assert.deepEqual(response.body, { error: "Internal Server Error", message: "The request could not be completed." });
      } finally {
        await pg.admin("ALTER TABLE orders RENAME COLUMN pricing_renamed TO pricing", [], db.database);
      }
      const failure = app.logs.records().slice(logsBefore).find((r) => r.msg === "request failed") as { level: string; err: { stack: string; code: string } } | undefined;
      assert.equal(failure?.level, "error");
      assert.equal(failure?.err.code, "42703");
      assert.match(failure?.err.stack ?? "", /\n\s+at /);
    });

    it("picks up a rotated database password from the mounted file without a restart", async () => {
      const { app } = service;
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

  describe("a saturated pool", function () {
    // Two connections, and a 1 s wait for one before a query gives up.
    const service = inProcessService({ DATABASE_POOL_MAX: "2", DATABASE_CONNECT_TIMEOUT_MS: "1000" });

    it("stays ready while every pool connection waits on a lock, and answers queued requests 503 with Retry-After", async () => {
      const { app } = service;
      assert.equal(await create(app, "cust-lock"), 201);
      const blocked = await withOrdersLocked(async () => {
        const queued = Array.from({ length: 6 }, () => app.json("/v1/customers/cust-lock/orders"));
        await waitFor("pool saturated", async () => app.service.pool.totalCount === 2 && app.service.pool.idleCount === 0 && app.service.pool.waitingCount > 0, 3000);
        for (let i = 0; i < 3; i += 1) {
          const readiness = await app.json("/health/readiness");
          assert.equal(readiness.status, 200, JSON.stringify(readiness.body));
          assert.equal(readiness.body.checks.database, "ok");
        }
        // Past the pool's wait limit, the queued requests have been answered.
        await new Promise((resolve) => setTimeout(resolve, 1200));
        return queued;
      });
      const results = await Promise.all(blocked);
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 200, 503, 503, 503, 503]);
      for (const refused of results.filter((r) => r.status === 503)) {
        assert.equal(refused.headers.get("retry-after"), "2");
        assert.deepEqual(refused.body, { error: "Service Unavailable", message: "The database is unavailable; retry after 2 seconds." });
      }
      const text = await (await app.request("/metrics")).text();
      assert.match(text, /^db_query_errors_total\{query="list_orders",kind="unavailable"\} 4$/m);
      assert.match(text, /^db_pool_max_connections 2$/m);
    });
  });

  describe("a query past its statement timeout", function () {
    const service = inProcessService({ DATABASE_STATEMENT_TIMEOUT_MS: "200" });

    it("answers 503 with Retry-After and 'not answering in time' when PostgreSQL cancels the query (57014), and counts it as a timeout", async () => {
      const { app } = service;
      assert.equal(await create(app, "cust-slow"), 201);
      const started = Date.now();
      const response = await withOrdersLocked(() => app.json("/v1/customers/cust-slow/orders"));
      // Cancelled by the server at the statement timeout, not by the lock's release.
      assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "2");
      assert.deepEqual(response.body, { error: "Service Unavailable", message: "The database is not answering in time; retry after 2 seconds." });
      const text = await (await app.request("/metrics")).text();
      assert.match(text, /^db_query_errors_total\{query="list_orders",kind="timeout"\} 1$/m);
      // The lock gone, the same request is served.
      assert.equal((await app.json("/v1/customers/cust-slow/orders")).status, 200);
    });
  });

  describe("the real process (node src/main.ts) with tracing to an OTLP collector", function () {
    let child: ChildProcess;
    let collector: Server;
    let stdout = "";
    const exportedTraces: any[] = [];
    let baseUrl = "";
    let childDir = "";
    let exitCode: number | null = null;
    let exitAfterSigtermMs = 0;
    const SHUTDOWN_TIMEOUT_MS = 8000;
    const SHUTDOWN_DELAY_MS = 1000;

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
        SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "1.0",
      });
      baseUrl = `http://127.0.0.1:${port}`;
      child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: APP_ROOT,
        env: { PATH: process.env.PATH, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      // Requests outside the load use a connection each (no keep-alive), so the only connections
      // open at SIGTERM are the load's.
      await waitFor("child ready", async () => (await send(undefined, "GET", "/health/readiness")).status === 200, 15000);
      // One cache miss and one hit, so the trace export includes Redis spans.
      const created = await send(undefined, "POST", "/v1/orders", sampleOrder("cust-traced"));
      acknowledged.add(created.body.id);
      for (let i = 0; i < 2; i += 1) assert.equal((await send(undefined, "GET", `/v1/orders/${created.body.id}`)).status, 200);
    });

    /** One HTTP/1.1 request through `agent` (keep-alive), or on a connection of its own when undefined. */
    function send(agent: Agent | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      return new Promise<{ status: number; body: any; connection: string | undefined; retryAfter: string | undefined }>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const request = httpRequest(
          `${baseUrl}${path}`,
          { method, agent: agent ?? false, headers: { ...headers, ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }) } },
          (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => (text += chunk.toString()));
            response.on("end", () =>
              resolve({
                status: response.statusCode ?? 0,
                body: text === "" ? undefined : JSON.parse(text),
                connection: response.headers.connection,
                retryAfter: response.headers["retry-after"] as string | undefined,
              }),
            );
            response.on("error", reject);
          },
        );
        request.on("error", reject);
        request.end(payload);
      });
    }

    after(async function () {
      if (child?.exitCode === null) child.kill("SIGKILL");
      collector?.close();
      if (childDir !== "") rmSync(childDir, { recursive: true, force: true });
    });

    it("fails no request on SIGTERM under keep-alive load, then exits 0 in time", async () => {
      // The load a pod sees while Kubernetes removes it: keep-alive connections that were routed here
      // keep sending; new connections arrive only until the endpoint removal has propagated (modelled
      // as half of SHUTDOWN_DELAY_MS). Every request sent must be answered: no reset, no refusal.
      const ENDPOINT_REMOVED_AFTER_MS = SHUTDOWN_DELAY_MS / 2;
      let sigtermAt = 0;
      const endpointRemoved = () => sigtermAt !== 0 && Date.now() - sigtermAt > ENDPOINT_REMOVED_AFTER_MS;
      const agents: Agent[] = [];
      const keepAliveAgent = () => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        agents.push(agent);
        return agent;
      };
      type Outcome = { phase: "before" | "after"; startedAt: number; status: number | string; connection?: string | undefined; body?: unknown };
      const outcomes: Outcome[] = [];
      const record = async (agent: Agent, n: number, i: number): Promise<Outcome> => {
        const phase = sigtermAt === 0 ? "before" : "after";
        const startedAt = Date.now();
        try {
          const response = await send(agent, "POST", "/v1/orders", sampleOrder(`cust-load-${n}`), { "idempotency-key": `load-${n}-${i}` });
          if (response.status === 201) acknowledged.add(response.body.id);
          const outcome = { phase, startedAt, status: response.status, connection: response.connection, body: response.status === 201 ? undefined : response.body } as const;
          outcomes.push(outcome);
          return outcome;
        } catch (error) {
          const outcome = { phase, startedAt, status: String((error as NodeJS.ErrnoException).code ?? error) } as const;
          outcomes.push(outcome);
          return outcome;
        }
      };
      let stop = false;
      // Busy clients: back-to-back requests with a little think time, so connections are idle now and then.
      const busy = async (n: number) => {
        const agent = keepAliveAgent();
        for (let i = 0; !stop && i < 5000; i += 1) {
          const outcome = await record(agent, n, i);
          // Told to close after the endpoint is gone: this client now goes to another pod.
          if (typeof outcome.status === "string" || (outcome.connection === "close" && endpointRemoved())) return;
          await new Promise((resolve) => setTimeout(resolve, i % 3));
        }
      };
      // Quiet clients: a connection opened before SIGTERM, idle through the delay, used again after the
      // listener has closed (kube-proxy keeps existing connections to a terminating pod).
      const quietAgents = Array.from({ length: 4 }, () => keepAliveAgent());
      for (const [n, agent] of quietAgents.entries()) assert.equal((await record(agent, 100 + n, 0)).status, 201);

      const exited = new Promise<void>((resolve) =>
        child.once("exit", (code) => {
          exitCode = code;
          exitAfterSigtermMs = Date.now() - sigtermAt;
          stop = true;
          resolve();
        }),
      );
      const workers = Array.from({ length: 12 }, (_, n) => busy(n));
      await waitFor("load running", async () => outcomes.length >= 150, 10000);
      sigtermAt = Date.now();
      child.kill("SIGTERM");
      // Readiness fails as soon as the signal is handled, while the listener still serves during SHUTDOWN_DELAY_MS.
      await waitFor("readiness 503 after SIGTERM", async () => (await send(undefined, "GET", "/health/readiness")).status === 503, 900);
      const shuttingDown = await send(undefined, "GET", "/health/readiness");
      assert.deepEqual(shuttingDown.body, { error: "Service Unavailable", message: "This replica is shutting down.", status: "shutting-down" });
      // After the delay the listener is closed: a new connection is refused...
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sigtermAt + SHUTDOWN_DELAY_MS + 300 - Date.now())));
      await assert.rejects(send(undefined, "GET", "/health/liveness"), { code: "ECONNREFUSED" });
      // ...while a request on a connection that was open all along is served, and told to close.
      const late = await Promise.all(quietAgents.map((agent, n) => record(agent, 100 + n, 1)));
      assert.deepEqual(late.map((o) => [o.status, o.connection]), Array.from({ length: 4 }, () => [201, "close"]));
      await exited;
      await Promise.all(workers);
      for (const agent of agents) agent.destroy();

      const before = outcomes.filter((o) => o.phase === "before");
      const after = outcomes.filter((o) => o.phase === "after");
      assert.ok(before.length >= 150 && after.length >= 12, `load was running (${before.length} requests before SIGTERM, ${after.length} after)`);
      assert.deepEqual(outcomes.filter((o) => o.status !== 201), []);
      // Every response once the signal was handled (100 ms after it was sent, generously) told its client to reconnect elsewhere.
      assert.deepEqual(after.filter((o) => o.startedAt > sigtermAt + 100 && o.connection !== "close"), []);
      assert.equal(exitCode, 0, stdout.slice(-2000));
      assert.ok(exitAfterSigtermMs < SHUTDOWN_TIMEOUT_MS, `exited after ${exitAfterSigtermMs} ms`);
      // The last lines, written through the asynchronous destination, were flushed before exit.
      assert.match(stdout, /"msg":"shutdown complete"/);
      assert.ok(!stdout.includes(db.password) && !stdout.includes(redis.password), "a secret reached the logs");
    });

    it("exported traces over OTLP with service name, environment, HTTP server spans by route, pg and Redis spans, and logged their trace ids", () => {
      const resourceSpans = exportedTraces.flatMap((t) => t.resourceSpans);
      assert.ok(resourceSpans.length > 0, "no trace export received");
      const attributes = Object.fromEntries(resourceSpans[0].resource.attributes.map((a: any) => [a.key, a.value.stringValue]));
      assert.equal(attributes["service.name"], "orders-service");
      assert.equal(attributes["deployment.environment.name"], "test");
      const spans = resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans.map((span: any) => ({ scope: s.scope.name, ...span }))));
      const scopes = new Set(spans.map((s: any) => s.scope));
      assert.deepEqual([...scopes].sort(), ["orders-service/http", "orders-service/postgresql", "orders-service/redis"]);
      // Server spans are named by route template and carry http.route, never a raw id.
      const serverSpans = spans.filter((span: any) => span.kind === 2);
      const names = new Set(serverSpans.map((span: any) => span.name));
      assert.ok(names.has("GET /v1/orders/:id") && names.has("POST /v1/orders"), [...names].join());
      for (const span of serverSpans) {
        const route = span.attributes.find((a: any) => a.key === "http.route")?.value.stringValue;
        assert.equal(span.name, `${span.name.split(" ")[0]} ${route}`);
        assert.doesNotMatch(span.name, /[0-9a-f]{8}-[0-9a-f]{4}/);
      }
      // Database and cache spans are children of the request's server span.
      const serverSpanIds = new Set(serverSpans.map((span: any) => span.spanId));
      for (const scope of ["orders-service/postgresql", "orders-service/redis"]) {
        assert.ok(spans.some((span: any) => span.scope === scope && serverSpanIds.has(span.parentSpanId)), `no ${scope} span under a server span`);
      }
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
