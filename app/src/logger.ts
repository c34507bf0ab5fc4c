import pino, { type DestinationStream, type Logger } from "pino";
import { isSpanContextValid, trace, TraceFlags } from "@opentelemetry/api";
import type { LogLevel } from "./config.js";

// Anything that can carry a credential. Redaction is by path, so it holds even when a future log
// call passes a connection object or config section. Exact paths only: a wildcard ("*.password")
// makes pino walk every field of every line, a measurable share of a cached read. Headers are
// never logged: the req serializer below keeps method and url only.
export const REDACT_PATHS = ["password", "authToken", "connectionString", "database.password", "redis.authToken", "config.database.password", "config.redis.authToken"];

export interface ServiceLogger {
  readonly logger: Logger;
  /** Writes out what the asynchronous destination still buffers; call last at shutdown (and before exiting). */
  flushSync(): void;
}

/**
 * JSON lines on stdout (the cluster's log collector reads them), with the active trace and span ids.
 * stdout is written asynchronously (sonic-boom, in 8 KiB chunks) so a request never waits for the
 * pipe; `flushSync` writes the rest at shutdown, and pino flushes on process exit as well.
 */
export function createLogger(options: { level: LogLevel; serviceName: string; environment: string; stream?: DestinationStream }): ServiceLogger {
  const destination = options.stream === undefined ? pino.destination({ dest: 1, sync: false, minLength: 8192 }) : undefined;
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
    options.stream ?? destination,
  );
  return {
    logger,
    flushSync() {
      try {
        destination?.flushSync();
      } catch {
        // stdout closed (EPIPE) or busy (EAGAIN): nothing more can be written
      }
    },
  };
}
