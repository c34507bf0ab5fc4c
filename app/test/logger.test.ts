// The hand-built access-log line (src/logger.ts) against pino's own output for the same fields,
// and the batching destination in front of sonic-boom against a real file.
import assert from "node:assert/strict";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { seeded } from "../bench/stats.js";
import { jsonString } from "../src/json.js";
import { accessLogWriter, createLogger, jsonMillis, LineBatcher, type AccessLogFields } from "../src/logger.js";
import { LogCapture } from "./support/app.js";

const SERVICE = { serviceName: "orders-service", environment: "prod \"eu\"" };

/** What pino writes for these fields through the service's logger (createLogger), as the hook wrote them before. */
function pinoLine(fields: AccessLogFields): string {
  const capture = new LogCapture();
  const { logger } = createLogger({ level: "info", ...SERVICE, stream: capture });
  const { traceId, spanId, ...rest } = fields;
  logger.info({ ...rest, ...(traceId === undefined ? {} : { trace_id: traceId, span_id: spanId }) }, "request");
  assert.equal(capture.lines.length, 1);
  return capture.lines[0] as string;
}

function handLine(fields: AccessLogFields): string {
  const lines: string[] = [];
  accessLogWriter(SERVICE, (line) => lines.push(line))(fields);
  assert.equal(lines.length, 1);
  return lines[0] as string;
}

const withoutTime = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"');

// Values a client controls (path, query, x-request-id is validated but tested anyway) or that are odd.
const NASTY = [
  "/v1/orders/\"quoted\"",
  "/v1/orders/back\\slash\\",
  "/v1/orders/\u0000\u0001\u001f\u007f",
  "/v1/orders/line\nbreak\r\ttab",
  "/v1/orders/\u2028\u2029",
  "/v1/orders/%22%5C%00",
  "/v1/orders/é漢字🙂",
  "/v1/orders/\ud800lone\udfffsurrogates",
  "/v1/orders/</script><!--",
  "/?" + "a=".repeat(3000),
  "",
];

describe("access log line", () => {
  const base: AccessLogFields = { reqId: "3f1c2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", method: "GET", url: "/v1/orders/3f1c2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b?x=1", route: "/v1/orders/:id", statusCode: 200, durationMs: 0.412 };

  it("is byte for byte what pino writes for the same fields, key order included (time aside)", () => {
    for (const fields of [
      base,
      { ...base, route: undefined, statusCode: 404, durationMs: 12 },
      { ...base, traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", statusCode: 503, durationMs: 1234.5 },
      { ...base, method: "OPTIONS", durationMs: 0 },
    ]) {
      const hand = handLine(fields);
      assert.equal(withoutTime(hand), withoutTime(pinoLine(fields)));
      assert.ok(hand.endsWith("}\n"));
    }
    assert.equal(
      withoutTime(handLine({ ...base, traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" })),
      '{"level":"info","time":"T","service":"orders-service","environment":"prod \\"eu\\"","reqId":"3f1c2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b","method":"GET","url":"/v1/orders/3f1c2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b?x=1","route":"/v1/orders/:id","statusCode":200,"durationMs":0.412,"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","msg":"request"}\n',
    );
  });

  it("stays one valid JSON line that parses back to the same values for any URL, id or method (fuzz)", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const randomString = () => {
      let text = "";
      const length = Math.floor(random() * 40);
      for (let i = 0; i < length; i += 1) {
        const pick = random();
        // Control characters, ASCII, the JSON specials, and anything up to the astral planes (surrogates included).
        text += String.fromCharCode(pick < 0.2 ? Math.floor(random() * 0x20) : pick < 0.5 ? 0x20 + Math.floor(random() * 0x60) : pick < 0.6 ? [0x22, 0x5c, 0x2f][Math.floor(random() * 3)] ?? 0x22 : Math.floor(random() * 0x10000));
      }
      return text;
    };
    const cases: AccessLogFields[] = NASTY.map((url) => ({ ...base, url, reqId: url }));
    for (let i = 0; i < 2000; i += 1) cases.push({ ...base, url: `/v1/orders/${randomString()}`, reqId: randomString(), method: randomString(), route: random() < 0.5 ? undefined : randomString() });
    for (const fields of cases) {
      const line = handLine(fields);
      assert.equal(line.indexOf("\n"), line.length - 1, `a line break inside the line for ${JSON.stringify(fields.url)}`);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      // Lone surrogates round-trip too: JSON.stringify writes them as \udxxx escapes.
      assert.deepEqual(
        { reqId: parsed.reqId, method: parsed.method, url: parsed.url, route: parsed.route, statusCode: parsed.statusCode, durationMs: parsed.durationMs, msg: parsed.msg },
        { reqId: fields.reqId, method: fields.method, url: fields.url, route: fields.route, statusCode: fields.statusCode, durationMs: fields.durationMs, msg: "request" },
      );
      assert.deepEqual(parsed, JSON.parse(pinoLine(fields).replace(/"time":"[^"]+"/, `"time":${JSON.stringify(parsed.time)}`)));
    }
  });

  it("writes strings and durations as JSON.stringify does, taking its short cut only where the text is the same", () => {
    // Every UTF-16 code unit alone and inside a plain string, the hostile URLs, ids as the service makes them.
    for (let code = 0; code <= 0xffff; code += 1) {
      const char = String.fromCharCode(code);
      assert.equal(jsonString(char), JSON.stringify(char));
      assert.equal(jsonString(`/v1/orders/${char}x`), JSON.stringify(`/v1/orders/${char}x`));
    }
    for (const text of [...NASTY, "9f2c4e1a7b3d5f60-1a", "a b", "~!#$%&'()*+,-./:;<=>?@[]^_`{|}"]) assert.equal(jsonString(text), JSON.stringify(text));
    // Every microsecond up to 300 ms, then spread up to the cut-over (1e9 ms) and beyond, and values the service never logs.
    for (let us = 0; us <= 300_000; us += 1) {
      const ms = Math.round(us) / 1000;
      assert.equal(jsonMillis(ms), JSON.stringify(ms), `${us} µs`);
    }
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i += 1) {
      const ms = Math.round(random() * 10 ** Math.floor(random() * 13)) / 1000;
      assert.equal(jsonMillis(ms), JSON.stringify(ms), String(ms));
    }
    for (const ms of [Number.NaN, Number.POSITIVE_INFINITY, -1, -0.5, -0, 1e-7, 0.0004, 1.23456, 999_999_999.999, 1e9, 1e12, 2 ** 53]) assert.equal(jsonMillis(ms), JSON.stringify(ms), String(ms));
  });

  it("from one writer, every line is pino's for its own fields: the parts it keeps per method, route, status and millisecond never reach another line", async () => {
    const lines: string[] = [];
    const write = accessLogWriter(SERVICE, (line) => lines.push(line));
    const methods = ["GET", "POST", "DELETE", "OPTIONS"];
    const routes = ["/v1/orders/:id", "/v1/orders", "/v1/customers/:customerId/orders", undefined];
    const statuses = [200, 201, 400, 404, 409, 422, 503];
    const random = seeded(7);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    for (let round = 0; round < 4; round += 1) {
      const before = new Date().toISOString();
      const cases: AccessLogFields[] = [];
      for (let i = 0; i < 200; i += 1) {
        const traced = pick([false, false, true]);
        cases.push({ ...base, reqId: `req-${round}-${i}`, method: pick(methods), route: pick(routes), statusCode: pick(statuses), durationMs: pick([0, 0.001, 0.12, 3.4, 1234.567]), ...(traced ? { traceId: `${i}`.padStart(32, "a"), spanId: `${i}`.padStart(16, "b") } : {}) });
      }
      lines.length = 0;
      for (const fields of cases) write(fields);
      const after = new Date().toISOString();
      cases.forEach((fields, index) => {
        const line = lines[index] as string;
        assert.equal(withoutTime(line), withoutTime(pinoLine(fields)), `line ${index} of round ${round}`);
        const time = (JSON.parse(line) as { time: string }).time;
        assert.ok(time >= before && time <= after, `line ${index} of round ${round}: time ${time} outside the writes (${before} to ${after})`);
      });
      await new Promise((resolve) => setTimeout(resolve, 3)); // the next round's lines carry a later millisecond
    }
  });

  it("carries pino's ISO time, and is not written below level info", () => {
    const capture = new LogCapture();
    const before = Date.now();
    createLogger({ level: "info", ...SERVICE, stream: capture }).accessLog(base);
    const time = Date.parse((JSON.parse(capture.lines[0] ?? "{}") as { time: string }).time);
    assert.ok(time >= before && time <= Date.now(), `time ${time}`);
    const quiet = new LogCapture();
    createLogger({ level: "warn", ...SERVICE, stream: quiet }).accessLog(base);
    assert.deepEqual(quiet.lines, []);
  });
});

describe("LineBatcher (in front of sonic-boom)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orders-log-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sonic = (file: string) => pino.destination({ dest: openSync(file, "a"), sync: false, minLength: 8192 });

  it("holds lines below minLength, writes them in order once they reach it, and writes the rest at flushSync", async () => {
    const file = join(dir, "out.log");
    const batcher = new LineBatcher(sonic(file), 8192, 60_000);
    const lines = Array.from({ length: 100 }, (_, n) => `${JSON.stringify({ n, pad: "x".repeat(100), text: "é漢🙂" })}\n`);
    for (const line of lines.slice(0, 10)) batcher.write(line);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(readFileSync(file, "utf8"), "", "written before 8 KiB were collected");
    for (const line of lines.slice(10)) batcher.write(line);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const written = readFileSync(file, "utf8");
    assert.ok(Buffer.byteLength(written) >= 8192 && lines.join("").startsWith(written), `${Buffer.byteLength(written)} bytes written`);
    batcher.flushSync();
    assert.equal(readFileSync(file, "utf8"), lines.join(""));
    batcher.close();
  });

  it("writes what a quiet service logged within maxDelayMs", async () => {
    const file = join(dir, "quiet.log");
    const batcher = new LineBatcher(sonic(file), 8192, 100);
    batcher.write('{"msg":"listening"}\n');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(readFileSync(file, "utf8"), '{"msg":"listening"}\n');
    batcher.close();
  });
});
