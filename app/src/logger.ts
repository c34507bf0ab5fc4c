import pino, { type DestinationStream, type Logger } from "pino";
import { isSpanContextValid, trace } from "@opentelemetry/api";
import type { LogLevel } from "./config.js";

// Anything that can carry a credential. Redaction is by path, so it holds even when a future log
// call passes a whole headers or config object.
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "password",
  "*.password",
  "authToken",
  "*.authToken",
  "connectionString",
  "*.connectionString",
];

/** JSON lines on stdout (the cluster's log collector reads them), with the active trace and span ids. */
export function createLogger(options: { level: LogLevel; serviceName: string; environment: string; stream?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.serviceName, environment: options.environment },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[Redacted]" },
      // Fastify logs { req: request } and { res: reply }; these keep that to what helps debugging.
      // Headers are included deliberately (user agent, trace context) and the credential ones are redacted above.
      serializers: {
        req: (request: { method: string; url: string; ip?: string; headers: Record<string, unknown> }) => ({
          method: request.method,
          url: request.url,
          remoteAddress: request.ip,
          headers: request.headers,
        }),
        res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
        err: pino.stdSerializers.err,
      },
      formatters: { level: (label) => ({ level: label }) }, // "info", not 30: readable without a lookup table
      // Correlates a log line with its trace in Jaeger. No-op when tracing is off.
      mixin() {
        const span = trace.getActiveSpan();
        if (span === undefined) return {};
        const context = span.spanContext();
        return isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
      },
    },
    options.stream ?? pino.destination({ dest: 1, sync: true }),
  );
}
