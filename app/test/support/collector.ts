// An OTLP/HTTP collector on loopback for the tests (the cluster's Jaeger, as the service's
// exporter sees it): it keeps every batch it is sent (OTLP JSON) and answers each as told.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedBatch {
  readonly path: string | undefined;
  readonly contentType: string | undefined;
  /** The request body as sent. */
  readonly raw: string;
  readonly body: { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
}

export interface KeepingCollector {
  /** The OTLP base URL (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly endpoint: string;
  /** The traces URL (endpoint + /v1/traces). */
  readonly url: string;
  readonly received: ReceivedBatch[];
  /** The names of every span received, in order. */
  spanNames(): string[];
  close(): void;
}

/** Listens on a free loopback port; `answer` decides each batch's status (it may hold the answer), 200 unless given. */
export async function keepingCollector(answer: (count: number) => Promise<number> | number = () => 200): Promise<KeepingCollector> {
  const received: ReceivedBatch[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      received.push({ path: request.url, contentType: request.headers["content-type"], raw, body: JSON.parse(raw) as ReceivedBatch["body"] });
      const status = await answer(received.length);
      response.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    url: `${endpoint}/v1/traces`,
    received,
    spanNames: () => received.flatMap((batch) => batch.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name)))),
    close: () => server.close(),
  };
}
