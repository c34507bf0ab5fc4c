// A stand-in for the OTLP collector the benches export traces to: accepts every batch and
// discards it, counting them (so a bench can show the exporter really sent something).
import { createServer } from "node:http";
import { freePort } from "../test/support/services.js";

export interface DiscardingCollector {
  /** Listens on a free loopback port; returns the OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT). */
  listen(): Promise<string>;
  /** Batches received so far. */
  batches(): number;
  close(): void;
}

export function discardingCollector(): DiscardingCollector {
  let batches = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      batches += 1;
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  return {
    async listen() {
      const port = await freePort();
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      return `http://127.0.0.1:${port}`;
    },
    batches: () => batches,
    close: () => { server.close(); },
  };
}
