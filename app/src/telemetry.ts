// OpenTelemetry tracing. Must start before pg, ioredis and http are first required: the
// instrumentations patch those modules as they load (main.ts imports the server only afterwards).
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

export interface Telemetry {
  readonly enabled: boolean;
  /** Flushes buffered spans; call last during shutdown. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly serviceVersion: string;
  readonly environment: string;
  /** OTLP/HTTP base URL, e.g. http://jaeger.observability.svc:4318. undefined: tracing off, nothing registered. */
  readonly otlpEndpoint: string | undefined;
}

// Probes and scrapes would be most of the spans and carry no information.
const UNTRACED_PATHS = ["/health/", "/metrics"];

export function startTelemetry(options: TelemetryOptions): Telemetry {
  // Off cleanly: with no provider registered the OpenTelemetry API is a no-op, costs nothing and
  // never tries to connect anywhere.
  if (options.otlpEndpoint === undefined) return { enabled: false, shutdown: async () => undefined };

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: options.environment,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces` }) })],
  });
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.some((path) => request.url?.startsWith(path) === true) }),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  return { enabled: true, shutdown: () => provider.shutdown() };
}
