// The API contract against real PostgreSQL and Redis.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { missingServices, PROMTOOL, RedisServer, sharedPostgres, type DatabaseLogin, type PostgresServer } from "./support/services.js";
import { createCache, type Cache } from "../src/cache.js";
import { createQuery } from "../src/db.js";
import { noInstruments } from "../src/metrics.js";
import { OrderService } from "../src/orders.js";
import { postJson, rawRequest, sampleOrder, startTestApp, waitFor, type TestApp } from "./support/app.js";

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

  it("rejects values of the wrong type instead of coercing them", async () => {
    const item = { sku: "book", quantity: 2, unitPriceCents: 1250 };
    const sampleOrder = () => ({ customerId: "cust-coerce", currency: "EUR", items: [item] });
    const cases: Array<[string, unknown, string]> = [
      ["unitPriceCents null", { ...sampleOrder(), items: [{ ...item, unitPriceCents: null }] }, "body.items.0.unitPriceCents"],
      ["unitPriceCents false", { ...sampleOrder(), items: [{ ...item, unitPriceCents: false }] }, "body.items.0.unitPriceCents"],
      ["quantity true", { ...sampleOrder(), items: [{ ...item, quantity: true }] }, "body.items.0.quantity"],
      ['quantity "5"', { ...sampleOrder(), items: [{ ...item, quantity: "5" }] }, "body.items.0.quantity"],
      ["customerId a number", { ...sampleOrder(), customerId: 12345 }, "body.customerId"],
      ['currency ["EUR"]', { ...sampleOrder(), currency: ["EUR"] }, "body.currency"],
      ["sku a number", { ...sampleOrder(), items: [{ ...item, sku: 7 }] }, "body.items.0.sku"],
    ];
    for (const [name, body, field] of cases) {
      const response = await app.json("/v1/orders", postJson(body));
      assert.equal(response.status, 400, name);
      assert.deepEqual(response.body.details.map((d: any) => d.field), [field], name);
      assert.match(response.body.details[0].message, /^must be (integer|string)$/, name);
    }
    const stored = await pg.admin("SELECT count(*)::int AS n FROM orders WHERE customer_id IN ('cust-coerce', '12345')", [], db.database);
    assert.equal(stored.rows[0]?.n, 0, "no order was created from coerced input");
  });

  it("accepts ISO 4217 currency codes only", async () => {
    for (const currency of ["XYZ", "ABC", "EUROS"]) {
      const response = await app.json("/v1/orders", postJson({ ...sampleOrder(), currency }));
      assert.equal(response.status, 400, currency);
      assert.deepEqual(response.body.details, [{ field: "body.currency", message: "must be equal to one of the allowed values" }]);
    }
    for (const currency of ["JPY", "CHF", "USD"]) assert.equal((await app.json("/v1/orders", postJson({ ...sampleOrder("cust-iso"), currency }))).status, 201, currency);
  });

  it("answers a bad URL encoding and oversized headers in the common error shape, and counts them", async () => {
    const badUrl = await app.json("/v1/orders/%E0%A4%A");
    assert.equal(badUrl.status, 400);
    assert.deepEqual(badUrl.body, { error: "Bad Request", message: "The URL path is not valid percent-encoding." });
    const tooLarge = await rawRequest(app.service.url, "GET", "/v1/customers/cust-1/orders", [["x-padding", "x".repeat(20 * 1024)]]);
    assert.equal(tooLarge.status, 431);
    assert.deepEqual(JSON.parse(tooLarge.body), {
      error: "Request Header Fields Too Large",
      message: "The request headers are larger than this server accepts (16 KiB in total); send fewer or smaller headers.",
    });
    assert.equal(await metricValue('http_requests_total{method="GET",route="unmatched",status_code="400"}'), 1);
    assert.equal(await metricValue('http_requests_total{method="OTHER",route="unmatched",status_code="431"}'), 1);
  });

  it("answers malformed JSON with 400 and an oversized body with 413, without internals", async () => {
    const response = await app.request("/v1/orders", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    const text = await response.text();
    assert.equal(response.status, 400);
    assert.equal(JSON.parse(text).error, "Bad Request");
    assert.doesNotMatch(text, /\bat .*\.(ts|js):\d+/);
    const tooLarge = await app.json("/v1/orders", postJson({ ...sampleOrder(), padding: "x".repeat(70 * 1024) }));
    assert.equal(tooLarge.status, 413);
    assert.deepEqual(Object.keys(tooLarge.body), ["error", "message"]);
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

  it("scopes an Idempotency-Key to the request, across customers: the same key for another customer is 422, not a second order", async () => {
    const key = "shared-key-1";
    const first = await app.json("/v1/orders", postJson(sampleOrder("cust-scope-a"), { "idempotency-key": key }));
    assert.equal(first.status, 201);
    const other = await app.json("/v1/orders", postJson(sampleOrder("cust-scope-b"), { "idempotency-key": key }));
    assert.equal(other.status, 422);
    assert.deepEqual(other.body, {
      error: "Unprocessable Entity",
      message: "This Idempotency-Key was already used with a different request body (customerId, currency or items); use a new key for a new order.",
    });
    const rows = await pg.admin<{ customer_id: string }>("SELECT customer_id FROM orders WHERE idempotency_key = $1", [key], db.database);
    assert.deepEqual(rows.rows.map((r) => r.customer_id), ["cust-scope-a"]);
    // The original request is still replayed.
    const replay = await app.json("/v1/orders", postJson(sampleOrder("cust-scope-a"), { "idempotency-key": key }));
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(replay.body.id, first.body.id);
    assert.equal(await metricValue('orders_idempotent_replays_total{outcome="key_reused"}'), 2);
  });

  it("refuses two Idempotency-Key headers", async () => {
    const response = await rawRequest(app.service.url, "POST", "/v1/orders", [["content-type", "application/json"], ["idempotency-key", "k-a"], ["idempotency-key", "k-b"]], JSON.stringify(sampleOrder("cust-twokeys")));
    assert.equal(response.status, 400, JSON.stringify(response));
    assert.deepEqual(JSON.parse(response.body), {
      error: "Bad Request",
      message: "Request validation failed",
      details: [{ field: "headers.idempotency-key", message: "must be sent once; the request has 2 Idempotency-Key headers" }],
    });
    const rows = await pg.admin("SELECT count(*)::int AS n FROM orders WHERE customer_id = 'cust-twokeys'", [], db.database);
    assert.equal(rows.rows[0]?.n, 0);
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

  it("keeps one cache entry per order whatever the id's letter case, so a cancel is seen under every spelling", async () => {
    const created = (await app.json("/v1/orders", postJson(sampleOrder("cust-case")))).body;
    const upper = created.id.toUpperCase();
    assert.equal((await app.json(`/v1/orders/${upper}`)).body.status, "placed"); // fills the cache
    assert.equal((await app.json(`/v1/orders/${upper}`)).body.id, created.id); // canonical id in the body
    const cancelled = await app.json(`/v1/orders/${created.id}/cancel`, { method: "POST" });
    assert.equal(cancelled.body.status, "cancelled");
    for (const spelling of [upper, created.id, `${created.id.slice(0, 8).toUpperCase()}${created.id.slice(8)}`]) {
      assert.equal((await app.json(`/v1/orders/${spelling}`)).body.status, "cancelled", spelling);
    }
  });

  it("never serves the old status after a cancel returns, with cache fills racing the cancel (30 rounds)", async () => {
    const stale: string[] = [];
    for (let round = 0; round < 30; round += 1) {
      const { id } = (await app.json("/v1/orders", postJson(sampleOrder("cust-race")))).body;
      // Readers that miss the cache and fill it, started around the cancel so that some read the row
      // before the cancel commits and write the cache after it.
      const readers = [0, 0, 0, 1, 1, 2, 3, 5].map(
        (delayMs) => new Promise<void>((resolve) => setTimeout(() => app.json(`/v1/orders/${id}`).then(() => resolve(), () => resolve()), delayMs)),
      );
      const cancel = await app.json(`/v1/orders/${id}/cancel`, { method: "POST" });
      assert.equal(cancel.status, 200);
      const afterCancel = [app.json(`/v1/orders/${id}`)];
      await Promise.all(readers);
      afterCancel.push(app.json(`/v1/orders/${id}`), app.json(`/v1/orders/${id.toUpperCase()}`));
      for (const read of await Promise.all(afterCancel)) if (read.body.status !== "cancelled") stale.push(`${id} round ${round}`);
    }
    assert.deepEqual(stale, []);
  });

  it("does not let a fill that read the row before a cancel overwrite the cancel in the cache (the interleaving forced)", async () => {
    // The race above, made deterministic: a reader's cache fill is held after its database read
    // until the cancel has committed and updated the cache. Real PostgreSQL, real Redis.
    const cache = createCache({ url: redis.url, authToken: () => redis.password, commandTimeoutMs: 1000, ttlSeconds: 60 }, app.service.app.log, noInstruments);
    await waitFor("second cache connection", async () => cache.status() === "ok", 5000);
    let releaseFill: () => void = () => undefined;
    const fillHeld = new Promise<void>((resolve) => (releaseFill = resolve));
    let fillReached: () => void = () => undefined;
    const atFill = new Promise<void>((resolve) => (fillReached = resolve));
    const heldCache: Cache = {
      ...cache,
      async fill(key, value) {
        fillReached();
        await fillHeld;
        return cache.fill(key, value);
      },
    };
    const query = createQuery(app.service.pool, noInstruments);
    const slowReader = new OrderService(query, heldCache, app.service.flags, noInstruments);
    const service = new OrderService(query, cache, app.service.flags, noInstruments);
    try {
      const { id } = (await app.json("/v1/orders", postJson(sampleOrder("cust-forced")))).body;
      const read = slowReader.get(id);
      await atFill; // it read the row (placed) and is about to fill
      assert.equal((await service.cancel(id))?.status, "cancelled");
      releaseFill();
      assert.equal((await read)?.status, "placed"); // it answered what it read, before the cancel
      assert.equal((await service.get(id))?.status, "cancelled");
      assert.equal((await app.json(`/v1/orders/${id}`)).body.status, "cancelled");
    } finally {
      releaseFill();
      await cache.close();
    }
  });

  it("cancels idempotently: a second cancel changes nothing, updatedAt included", async () => {
    const created = (await app.json("/v1/orders", postJson(sampleOrder("cust-twice")))).body;
    assert.equal(created.updatedAt, created.createdAt);
    const first = await app.json(`/v1/orders/${created.id}/cancel`, { method: "POST" });
    assert.equal(first.status, 200);
    assert.equal(first.body.status, "cancelled");
    assert.ok(first.body.updatedAt > created.createdAt, `${first.body.updatedAt} after ${created.createdAt}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await app.json(`/v1/orders/${created.id}/cancel`, { method: "POST" });
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);
    const row = await pg.admin<{ updated_at: Date }>("SELECT updated_at FROM orders WHERE id = $1", [created.id], db.database);
    assert.equal(row.rows[0]?.updated_at.toISOString(), first.body.updatedAt);
    assert.deepEqual((await app.json(`/v1/orders/${created.id}`)).body, first.body);
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
    assert.deepEqual(bad.body.details, [{ field: "querystring.cursor", message: "is not a cursor returned by this API" }]);
    for (const limit of ["1000", "0", "abc", "2.5", "1e1"]) {
      const response = await app.json(`/v1/customers/cust-page/orders?limit=${limit}`);
      assert.equal(response.status, 400, limit);
      assert.deepEqual(response.body.details, [{ field: "querystring.limit", message: "must be an integer from 1 to 100" }], limit);
    }
    // Two limits are an array, not coerced to the first.
    assert.deepEqual((await app.json("/v1/customers/cust-page/orders?limit=2&limit=3")).body.details, [{ field: "querystring.limit", message: "must be string" }]);
  });

  it("binds a list cursor to its customer", async () => {
    for (let i = 0; i < 3; i += 1) await app.json("/v1/orders", postJson(sampleOrder("cust-cursor-a")));
    const page = await app.json("/v1/customers/cust-cursor-a/orders?limit=1");
    assert.equal(typeof page.body.nextCursor, "string");
    const other = await app.json(`/v1/customers/cust-cursor-b/orders?limit=1&cursor=${page.body.nextCursor}`);
    assert.equal(other.status, 400);
    assert.deepEqual(other.body.details, [
      { field: "querystring.cursor", message: "was returned for another customer's orders; start this listing without a cursor" },
    ]);
    assert.equal((await app.json(`/v1/customers/cust-cursor-a/orders?limit=1&cursor=${page.body.nextCursor}`)).body.orders.length, 1);
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
    assert.match(text, /^db_pool_max_connections 10$/m);
    assert.match(text, /^db_query_duration_seconds_bucket\{le="0.0005",query="insert_order"\} \d+$/m);
    assert.match(text, /^db_query_duration_seconds_count\{query="select_order"\} [1-9]\d*$/m);
    assert.match(text, /^cache_operation_duration_seconds_count\{operation="get"\} [1-9]\d*$/m);
    assert.match(text, /^cache_operation_duration_seconds_count\{operation="fill"\} [1-9]\d*$/m);
    assert.match(text, /^cache_operation_duration_seconds_count\{operation="replace"\} [1-9]\d*$/m);
    assert.match(text, /^orders_idempotent_replays_total\{outcome="replayed"\} 12$/m);
    assert.match(text, /^otel_spans_dropped_total\{reason="queue_full"\} 0$/m);
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

  it("gives a request without a usable x-request-id a new id of its own, answered in the header and logged", async () => {
    const before = app.logs.lines.length;
    const ids: string[] = [];
    for (const headers of [{}, {}, { "x-request-id": "not valid: spaces" }, { "x-request-id": "x".repeat(129) }] as Array<Record<string, string>>) {
      const response = await app.request("/health/liveness", { headers });
      assert.equal(response.status, 200);
      ids.push(response.headers.get("x-request-id") ?? "");
    }
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}-[0-9a-z]+$/);
    assert.equal(new Set(ids).size, ids.length, `ids repeat: ${ids.join(", ")}`);
    const logged = app.logs.lines.slice(before).map((line) => (JSON.parse(line) as { reqId?: string }).reqId);
    assert.deepEqual(logged.filter((id) => id !== undefined && ids.includes(id)), ids);
  });

  it("writes one access-log line per request, without headers, and never a secret", async () => {
    const bearer = "Bearer tok-9f8e7d6c5b4a";
    const requestId = "trace-me-1";
    const before = app.logs.lines.length;
    const response = await app.request("/v1/customers/cust-1/orders?limit=5", {
      headers: { authorization: bearer, cookie: "session=abc123secret", "user-agent": "agent-42", "x-request-id": requestId },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-request-id"), requestId);
    const lines = app.logs.lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    const forRequest = lines.filter((record) => record.reqId === requestId);
    assert.equal(forRequest.length, 1, JSON.stringify(forRequest));
    const { time, durationMs, ...rest } = forRequest[0] as Record<string, unknown>;
    assert.equal(typeof time, "string");
    assert.equal(typeof durationMs, "number");
    assert.deepEqual(rest, {
      level: "info",
      service: "orders-service",
      environment: "local",
      reqId: requestId,
      method: "GET",
      url: "/v1/customers/cust-1/orders?limit=5",
      route: "/v1/customers/:customerId/orders",
      statusCode: 200,
      msg: "request",
    });
    const logs = app.logs.text;
    assert.ok(!logs.includes("agent-42") && !logs.includes('"headers"'), "request headers reached the logs");
    for (const secretValue of [db.password, redis.password, bearer, "tok-9f8e7d6c5b4a", "abc123secret"]) {
      assert.ok(!logs.includes(secretValue), `log contains ${secretValue}`);
    }
  });
});
