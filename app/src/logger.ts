import pino, { type DestinationStream, type Logger } from "pino";
import { isSpanContextValid, trace, TraceFlags } from "@opentelemetry/api";
import type { LogLevel } from "./config.js";
import { jsonString } from "./json.js";

// Anything that can carry a credential. Redaction is by path, so it holds even when a future log
// call passes a connection object or config section. Exact paths only: a wildcard ("*.password")
// makes pino walk every field of every line, a measurable share of a cached read. Headers are
// never logged: the req serializer below keeps method and url only.
export const REDACT_PATHS = ["password", "authToken", "connectionString", "database.password", "redis.authToken", "config.database.password", "config.redis.authToken"];

export interface ServiceLogger {
  readonly logger: Logger;
  /** Writes the request's access-log line (level info), the same JSON pino would write for these fields. */
  accessLog(fields: AccessLogFields): void;
  /** Writes out what the asynchronous destination still buffers; call last at shutdown (and before exiting). */
  flushSync(): void;
}

/** One access-log line: `"msg":"request"`, without headers. */
export interface AccessLogFields {
  readonly reqId: string;
  readonly method: string;
  readonly url: string;
  /** The route template; omitted from the line when the request matched no route. */
  readonly route: string | undefined;
  readonly statusCode: number;
  readonly durationMs: number;
  /** The request's trace and span ids, when its trace is sampled. */
  readonly traceId?: string;
  readonly spanId?: string;
}

/** ".001" … ".999" as JSON writes a number's three decimals (trailing zeros dropped: 0.120 is 0.12), "" for none. */
const FRACTIONS: readonly string[] = Array.from({ length: 1000 }, (_, fraction) => (fraction === 0 ? "" : `.${String(fraction).padStart(3, "0").replace(/0+$/, "")}`));

/**
 * A duration in milliseconds as JSON writes the number, for the values the service logs (rounded to
 * microseconds, under ~11 days) from integers instead of the double-to-text conversion; any other
 * value as JSON.stringify writes it.
 */
export function jsonMillis(ms: number): string {
  const us = Math.round(ms * 1000);
  if (us / 1000 !== ms || us < 0 || us >= 1e12) return JSON.stringify(ms);
  const whole = Math.floor(us / 1000);
  return `${whole}${FRACTIONS[us - whole * 1000] as string}`;
}

/**
 * Builds access-log lines by hand instead of through pino's generic serialisation (an object per
 * request, the mixin, redaction, a key-by-key walk): a measurable share of a cached read's CPU in
 * `npm run bench`. The line is what pino writes for the same fields, key for key in the same
 * order (test/logger.test.ts compares the two); every string that comes from the request is
 * either plain printable ASCII without a quote or backslash, which JSON writes as it is, or goes
 * through JSON.stringify, so any URL or id is valid JSON. The fixed parts are made once: the head
 * up to the request id once per millisecond (the time), the method's part up to the URL once per
 * method, the route's and status's part up to the duration once per route and status, so a line is
 * seven pieces. What each of these bought, measured: README.md, "What was changed, and what each bought".
 */
export function accessLogWriter(options: { serviceName: string; environment: string }, write: (line: string) => void): (fields: AccessLogFields) => void {
  const bindings = `"service":${JSON.stringify(options.serviceName)},"environment":${JSON.stringify(options.environment)}`;
  const head = (iso: string) => `{"level":"info","time":"${iso}",${bindings},"reqId":`;
  const methodParts = new Map<string, string>();
  const routeParts = new Map<string | undefined, Map<number, string>>();
  const tail = `,"msg":"request"}\n`;
  let lastMs = -1;
  let lastHead = "";
  return (fields) => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastHead = head(new Date(now).toISOString());
    }
    let methodPart = methodParts.get(fields.method);
    if (methodPart === undefined) {
      methodPart = `,"method":${JSON.stringify(fields.method)},"url":`;
      if (methodParts.size < 100) methodParts.set(fields.method, methodPart);
    }
    let byStatus = routeParts.get(fields.route);
    if (byStatus === undefined) {
      byStatus = new Map();
      if (routeParts.size < 1000) routeParts.set(fields.route, byStatus);
    }
    let routePart = byStatus.get(fields.statusCode);
    if (routePart === undefined) {
      routePart = `${fields.route === undefined ? "" : `,"route":${JSON.stringify(fields.route)}`},"statusCode":${fields.statusCode},"durationMs":`;
      if (byStatus.size < 100) byStatus.set(fields.statusCode, routePart);
    }
    const line = `${lastHead}${jsonString(fields.reqId)}${methodPart}${jsonString(fields.url)}${routePart}${jsonMillis(fields.durationMs)}`;
    write(fields.traceId === undefined ? `${line}${tail}` : `${line},"trace_id":${jsonString(fields.traceId)},"span_id":${jsonString(fields.spanId ?? "")}${tail}`);
  };
}

/** What LineBatcher hands its batches to: sonic-boom in production. */
export interface ChunkSink {
  write(chunk: string): unknown;
  /** Starts writing what it holds, however little. */
  flush(): void;
  flushSync(): void;
}

/**
 * Collects log lines and hands them to the asynchronous destination in chunks of at least
 * minLength bytes, or after maxDelayMs at the latest (so a quiet service's lines are not held back
 * indefinitely). sonic-boom's own minLength buffering measures the accumulated buffer's UTF-8
 * length on every line (a copy of up to 8 KiB per line); here a line costs a string append (a
 * rope, flattened once per chunk) and its length in UTF-16 units, a lower bound of its UTF-8
 * bytes that equals them for the ASCII lines the service writes (a chunk with other text is only
 * handed over a little later). The sink must hold what it is given below minLength until flushed,
 * as sonic-boom does.
 */
export class LineBatcher implements DestinationStream {
  private pending = "";
  /** Whether lines went to the sink since the last tick, which it may still hold. */
  private handed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: ChunkSink,
    private readonly minLength: number,
    maxDelayMs: number,
  ) {
    this.timer = setInterval(() => {
      this.flush();
      if (!this.handed) return;
      this.handed = false;
      this.sink.flush();
    }, maxDelayMs).unref();
  }

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= this.minLength) this.flush();
  }

  /** Hands the batched lines to the sink (which writes them at once when they reach minLength). */
  flush(): void {
    if (this.pending === "") return;
    const chunk = this.pending;
    this.pending = "";
    this.handed = true;
    this.sink.write(chunk);
  }

  /**
   * Writes everything synchronously. The sink's own queue goes first, so the rest (under minLength)
   * stays in the sink for its flushSync instead of starting an asynchronous write that an exit would cut.
   */
  flushSync(): void {
    this.sink.flushSync();
    this.flush();
    this.sink.flushSync();
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * Lines are handed to the destination in chunks of 64 KiB, or after LOG_BATCH_MAX_DELAY_MS at the
 * latest. Measured writing access lines to a file at the bench's rate: 64 KiB chunks cost about
 * 1.5 µs of CPU per line less than 8 KiB ones (a write system call per ~220 lines instead of ~28).
 */
export const LOG_BATCH_BYTES = 64 * 1024;
export const LOG_BATCH_MAX_DELAY_MS = 1000;

/**
 * JSON lines on stdout (the cluster's log collector reads them), with the active trace and span ids.
 * stdout is written asynchronously (LineBatcher's 64 KiB chunks through sonic-boom) so a request
 * never waits for the pipe; `flushSync` writes the rest at shutdown, and so does process exit.
 */
export function createLogger(options: { level: LogLevel; serviceName: string; environment: string; stream?: DestinationStream }): ServiceLogger {
  // Both hold what is below minLength, so flushSync writes it synchronously (an asynchronous write
  // started at exit could be lost). pino flushes its destination at process exit too.
  const destination = options.stream === undefined ? new LineBatcher(pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, maxWrite: 2 * LOG_BATCH_BYTES }), LOG_BATCH_BYTES, LOG_BATCH_MAX_DELAY_MS) : undefined;
  if (destination !== undefined) process.once("exit", () => flushQuietly(destination));
  const stream = options.stream ?? (destination as DestinationStream);
  const logger = pino(
    {
      level: options.level,
      base: { service: options.serviceName, environment: options.environment },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[Redacted]" },
      // Requests are logged once, by the access-log hook (server.ts), without headers: they cost a
      // serialisation per request and carry credentials. A { req } or { res } passed by other code
      // is cut to the same few fields.
      serializers: {
        req: (request: { method: string; url: string }) => ({ method: request.method, url: request.url }),
        res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
        err: pino.stdSerializers.err,
      },
      formatters: { level: (label) => ({ level: label }) }, // "info", not 30: readable without a lookup table
      // Correlates a log line with its trace in Jaeger: only sampled traces exist there. No-op when tracing is off.
      mixin() {
        const span = trace.getActiveSpan();
        if (span === undefined) return {};
        const context = span.spanContext();
        return isSpanContextValid(context) && (context.traceFlags & TraceFlags.SAMPLED) !== 0 ? { trace_id: context.traceId, span_id: context.spanId } : {};
      },
    },
    stream,
  );
  const writeAccessLine = accessLogWriter(options, (line) => stream.write(line));
  return {
    logger,
    accessLog(fields) {
      if (logger.isLevelEnabled("info")) writeAccessLine(fields);
    },
    flushSync() {
      if (destination !== undefined) flushQuietly(destination);
    },
  };
}

function flushQuietly(destination: LineBatcher): void {
  try {
    destination.flushSync();
  } catch {
    // stdout closed (EPIPE) or busy (EAGAIN): nothing more can be written
  }
}
