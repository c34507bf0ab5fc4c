import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Env } from "../../src/config.js";
import { startService, type Service } from "../../src/server.js";
import { freePort, type DatabaseLogin, type RedisServer } from "./services.js";

/** Collects every log line the service writes, for assertions on log content. */
export class LogCapture {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join("");
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestApp {
  readonly service: Service;
  readonly logs: LogCapture;
  readonly passwordFile: string;
  readonly flagsFile: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  json<T = any>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }>;
  /** Shuts the service down and removes its temporary files. */
  stop(): Promise<void>;
}

/** The env a deployment would set, pointing at the test's PostgreSQL and Redis. */
export function testEnv(db: DatabaseLogin, redis: RedisServer | undefined, dir: string, port: number, overrides: Env = {}): Env {
  const passwordFile = join(dir, "db-password");
  writeFileSync(passwordFile, `${db.password}\n`);
  const tokenFile = join(dir, "redis-token");
  if (redis !== undefined) writeFileSync(tokenFile, `${redis.password}\n`);
  return {
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "info",
    DATABASE_HOST: db.host,
    DATABASE_PORT: String(db.port),
    DATABASE_NAME: db.database,
    DATABASE_USER: db.user,
    DATABASE_PASSWORD_FILE: passwordFile,
    DATABASE_SSL: "disable",
    DATABASE_CONNECT_TIMEOUT_MS: "1000",
    ...(redis === undefined ? {} : { REDIS_URL: redis.url, REDIS_AUTH_TOKEN_FILE: tokenFile }),
    FLAGS_FILE: join(dir, "flags.json"),
    FLAGS_POLL_INTERVAL_MS: "100",
    READINESS_TIMEOUT_MS: "500",
    SHUTDOWN_DELAY_MS: "0",
    // No connection drain in tests (test clients keep idle keep-alive connections open); the
    // shutdown tests set their own timeout.
    SHUTDOWN_TIMEOUT_MS: "1000",
    MIGRATE_ON_START: "true",
    ...overrides,
  };
}

export async function startTestApp(db: DatabaseLogin, redis: RedisServer | undefined, overrides: Env = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "orders-app-"));
  const env = testEnv(db, redis, dir, await freePort(), overrides);
  const logs = new LogCapture();
  const service = await startService(loadConfig(env), { logStream: logs });
  const request = (path: string, init?: RequestInit) => fetch(`${service.url}${path}`, init);
  return {
    service,
    logs,
    passwordFile: env.DATABASE_PASSWORD_FILE ?? "",
    flagsFile: env.FLAGS_FILE ?? "",
    request,
    async stop() {
      await service.shutdown("test end");
      rmSync(dir, { recursive: true, force: true });
    },
    async json(path, init) {
      const response = await request(path, init);
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : JSON.parse(text), headers: response.headers };
    },
  };
}

export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

export const sampleOrder = (customerId = "cust-1") => ({
  customerId,
  currency: "EUR",
  items: [
    { sku: "book", quantity: 2, unitPriceCents: 1250 },
    { sku: "pen", quantity: 12, unitPriceCents: 100 },
  ],
});

export async function waitFor(what: string, check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${withinMs} ms`);
}

/**
 * A request with exactly these header lines (fetch merges repeated headers into one and refuses
 * oversized ones), on a connection of its own.
 */
export function rawRequest(baseUrl: string, method: string, path: string, headers: Array<[string, string]>, body?: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const flat: string[] = ["host", new URL(baseUrl).host, ...headers.flat()];
    if (body !== undefined) flat.push("content-length", String(Buffer.byteLength(body)));
    const request = httpRequest(`${baseUrl}${path}`, { method, headers: flat, agent: false }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text, headers: response.headers }));
    });
    request.on("error", reject);
    request.end(body);
  });
}
