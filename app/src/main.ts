// Serves the API: `node dist/main.js`.
import { ConfigError, loadConfig, type Config } from "./config.js";
import { startTelemetry } from "./telemetry.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** SERVICE_VERSION (the image tag, set by the platform) or package.json's version. */
function serviceVersion(): string {
  if (process.env.SERVICE_VERSION !== undefined && process.env.SERVICE_VERSION !== "") return process.env.SERVICE_VERSION;
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Plain text on stderr: the operator reading `kubectl logs` needs the list, not a JSON blob.
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const telemetry = startTelemetry({
    serviceName: config.serviceName,
    serviceVersion: serviceVersion(),
    environment: config.environment,
    otlpEndpoint: config.otlpEndpoint,
    sampling: config.traceSampling,
  });
  // Imported after the tracer provider is registered, so the service's tracers resolve to it.
  const { startService } = await import("./server.js");
  const service = await startService(config, { droppedSpans: () => telemetry.droppedSpans(), serverSpans: telemetry.serverSpans });
  service.logger.info({ tracing: telemetry.enabled }, "ready to serve");

  const onSignal = (signal: NodeJS.Signals) => {
    // Hard stop, so the process always exits before Kubernetes' grace period sends SIGKILL.
    setTimeout(() => {
      service.logger.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown timed out; exiting");
      service.flushLogs();
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    service
      .shutdown(signal)
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          service.logger.error({ err: error }, "shutdown failed");
          service.flushLogs();
          process.exit(1);
        },
      );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

main().catch((error: unknown) => {
  // Startup failures (database unreachable, migration failed): exit non-zero so Kubernetes restarts with backoff.
  process.stderr.write(`${JSON.stringify({ level: "fatal", msg: "startup failed", err: { message: (error as Error).message } })}\n`);
  process.exit(1);
});
