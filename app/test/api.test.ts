// The API contract against real PostgreSQL and Redis.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { missingServices, PROMTOOL, RedisServer, sharedPostgres, type DatabaseLogin, type PostgresServer } from "./support/services.js";
import { postJson, sampleOrder, startTestApp, waitFor, type TestApp } from "./support/app.js";

describe("orders API (PostgreSQL + Redis)", function () {
  let pg: PostgresServer;
  let db: DatabaseLogin;
  let redis: RedisServer;
  let app: TestApp;

  before(async function () {
    const missing = missingServices();
    if (missing !== undefined) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    pg = await sharedPostgres();
    db = await pg.createDatabase("orders_api");
    redis = await RedisServer.start();
    app = await startTestApp(db, redis);
  });

  after(async function () {
    await app?.stop();
    await redis?.stopServer();
  });

  async function metricValue(line: string): Promise<number> {
    const text = await (await app.request("/metrics")).text();
    const found = text.split("\n").find((l) => l.startsWith(`${line} `));
    return found === undefined ? 0 : Number(found.slice(line.length + 1));
  }

  it("creates an order and computes the total server-side", async () => {
    const { status, body, headers } = await app.json("/v1/orders", postJson(sampleOrder()));
    assert.equal(status, 201);
    assert.equal(body.totalCents, 2 * 1250 + 12 * 100);
    assert.equal(body.pricing, "legacy");
    assert.equal(body.status, "placed");
    assert.deepEqual(
      body.items.map((i: any) => [i.sku, i.lineTotalCents]),
      [["book", 2500], ["pen", 1200]],
    );
    assert.equal(headers.get("location"), `/v1/orders/${body.id}`);
    const got = await app.json(`/v1/orders/${body.id}`);
    assert.deepEqual(got.body, body);
  });

  it("rejects invalid input with 400 naming every offending field", async () => {
    const { status, body } = await app.json(
      "/v1/orders",
      postJson({ customerId: "", currency: "eur", totalCents: 1, items: [{ sku: "a", quantity: 0, unitPriceCents: 1.5 }] }),
    );
    assert.equal(status, 400);
    assert.equal(body.error, "Bad Request");
    assert.deepEqual(body.details.map((d: any) => d.field).sort(), [
      "body.currency",
      "body.customerId",
      "body.items.0.quantity",
      "body.items.0.unitPriceCents",
      "body.totalCents",
    ]);
    assert.deepEqual(body.details.find((d: any) => d.field === "body.totalCents"), { field: "body.totalCents", message: "is not an allowed field" });
  });

  it("answers malformed JSON with 400 and an oversized body with 413, without internals", async () => {
    const response = await app.request("/v1/orders", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    const text = await response.text();
    assert.equal(response.status, 400);
    assert.equal(JSON.parse(text).error, "Bad Request");
    assert.doesNotMatch(text, /\bat .*\.(ts|js):\d+/);
    const tooLarge = await app.json("/v1/orders", postJson({ ...sampleOrder(), padding: "x".repeat(70 * 1024) }));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.error, "Payload Too Large");
  });

  it("answers unknown routes, unknown ids and malformed ids with 404/404/400", async () => {
    const unknownRoute = await app.json("/v2/nothing-here");
    assert.equal(unknownRoute.status, 404);
    assert.deepEqual(unknownRoute.body, { error: "Not Found", message: "No route for GET /v2/nothing-here" });
    assert.equal((await app.json("/v1/orders/00000000-0000-4000-8000-000000000000")).status, 404);
    const malformed = await app.json("/v1/orders/not-a-uuid");
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body.details.map((d: any) => d.field), ["params.id"]);
  });

  it("creates exactly one order for concurrent retries with one Idempotency-Key", async () => {
    const key = "retry-key-1";
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => app.json("/v1/orders", postJson(sampleOrder("cust-idem"), { "idempotency-key": key }))),
    );
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([201]));
    assert.equal(new Set(responses.map((r) => r.body.id)).size, 1);
    assert.equal(responses.filter((r) => r.headers.get("idempotent-replayed") === "true").length, 11);
    const rows = await pg.admin("SELECT count(*)::int AS n FROM orders WHERE customer_id = 'cust-idem'", [], db.database);
    assert.equal(rows.rows[0]?.n, 1);

    const reused = await app.json("/v1/orders", postJson({ ...sampleOrder("cust-idem"), currency: "USD" }, { "idempotency-key": key }));
    assert.equal(reused.status, 422);
  });

  it("serves the second read from the cache and invalidates it on cancel", async () => {
    const created = (await app.json("/v1/orders", postJson(sampleOrder("cust-cache")))).body;
    const misses = await metricValue('orders_cache_requests_total{result="miss"}');
    const hits = await metricValue('orders_cache_requests_total{result="hit"}');
    await app.json(`/v1/orders/${created.id}`);
    assert.equal(await metricValue('orders_cache_requests_total{result="miss"}'), misses + 1);

    // Change the row behind the service's back: a cache hit still returns the cached copy.
    await pg.admin("UPDATE orders SET currency = 'GBP' WHERE id = $1", [created.id], db.database);
    const second = await app.json(`/v1/orders/${created.id}`);
    assert.equal(second.body.currency, "EUR");
    assert.equal(await metricValue('orders_cache_requests_total{result="hit"}'), hits + 1);

    const cancelled = await app.json(`/v1/orders/${created.id}/cancel`, { method: "POST" });
    assert.equal(cancelled.body.status, "cancelled");
    const fresh = await app.json(`/v1/orders/${created.id}`);
    assert.equal(fresh.body.status, "cancelled");
    assert.equal(fresh.body.currency, "GBP");
  });

  it("pages a customer's orders newest first with an opaque cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await app.json("/v1/orders", postJson(sampleOrder("cust-page")))).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? "?limit=2" : `?limit=2&cursor=${cursor}`;
      const page = await app.json(`/v1/customers/cust-page/orders${query}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.orders.map((o: any) => o.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());
    const bad = await app.json("/v1/customers/cust-page/orders?cursor=bm9wZQ");
    assert.equal(bad.status, 400);
    assert.equal((await app.json("/v1/customers/cust-page/orders?limit=1000")).status, 400);
  });

  it("switches the total path when new-checkout is turned on in the flag file", async () => {
    writeFileSync(
      app.flagsFile,
      JSON.stringify({ flags: { "new-checkout": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" } } }),
    );
    await app.service.flags.provider.reload();
    const { body } = await app.json("/v1/orders", postJson(sampleOrder("cust-flag")));
    assert.equal(body.pricing, "new-checkout");
    assert.equal(body.totalCents, 2500 + (1200 - 120)); // 10% off the 12-unit line only
  });

  it("exposes metrics by route template, collapsing unknown routes, that pass promtool", async function () {
    await app.request("/no/such/route/1");
    await app.request("/no/such/route/2");
    const text = await (await app.request("/metrics")).text();
    assert.match(text, /^http_requests_total\{method="GET",route="\/v1\/orders\/:id",status_code="200"\} \d+$/m);
    const unmatched = text.split("\n").filter((l) => l.startsWith("http_requests_total{") && l.includes('status_code="404"') && !l.includes("/v1/"));
    assert.equal(unmatched.length, 1, unmatched.join("\n"));
    assert.match(unmatched[0] ?? "", /route="unmatched"/);
    assert.match(text, /^db_pool_connections\{state="idle"\} \d+$/m);
    assert.match(text, /^http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/orders",status_code="201"\} \d+$/m);

    if (PROMTOOL === undefined) {
      console.log("    promtool not installed (apt-get install prometheus): exposition lint skipped");
      return;
    }
    const lint = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
    // Exit 1 is a format error. Exit 3 is lint only, raised by prom-client's default nodejs_* gauges
    // whose names end in _total; our own metrics must not add any finding.
    assert.notEqual(lint.status, 1, lint.stdout + lint.stderr);
    const findings = (lint.stdout + lint.stderr).split("\n").filter((l) => l.trim() !== "" && !l.startsWith("nodejs_"));
    assert.deepEqual(findings, []);
  });

  it("keeps serving reads and writes from PostgreSQL while Redis is down", async () => {
    const created = (await app.json("/v1/orders", postJson(sampleOrder("cust-nocache")))).body;
    await redis.stopServer();
    await waitFor("cache reported degraded", async () => (await app.json("/health/readiness")).body.checks.cache === "degraded", 5000);
    const readiness = await app.json("/health/readiness");
    assert.equal(readiness.status, 200);

    const read = await app.json(`/v1/orders/${created.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.id, created.id);
    const write = await app.json("/v1/orders", postJson(sampleOrder("cust-nocache")));
    assert.equal(write.status, 201);
    assert.equal((await app.json(`/v1/orders/${write.body.id}`)).status, 200);

    await redis.startServer();
    await waitFor("cache reconnected", async () => (await app.json("/health/readiness")).body.checks.cache === "ok", 10000);
  });

  it("never writes the database password, the Redis token or an Authorization header to the logs", async () => {
    const bearer = "Bearer tok-9f8e7d6c5b4a";
    const response = await app.request("/v1/customers/cust-1/orders", { headers: { authorization: bearer, cookie: "session=abc123secret" } });
    assert.equal(response.status, 200);
    const logs = app.logs.text;
    assert.ok(app.logs.lines.length > 20, "the service logged");
    // The request was logged with its headers, and the credential ones were censored.
    const logged = app.logs.records().find((r: any) => r.req?.headers?.authorization !== undefined) as any;
    assert.equal(logged?.req.headers.authorization, "[Redacted]");
    for (const secretValue of [db.password, redis.password, bearer, "tok-9f8e7d6c5b4a", "abc123secret"]) {
      assert.ok(!logs.includes(secretValue), `log contains ${secretValue}`);
    }
  });
});
