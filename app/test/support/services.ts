// Real PostgreSQL and Redis for integration tests: Debian's binaries, throwaway data directories,
// free loopback ports, removed afterwards. Where a binary is missing, suites skip with the reason.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";

/** PG_BIN, or the newest Debian PostgreSQL installed (/usr/lib/postgresql/<major>/bin). */
function findPgBin(): string {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = majors.map((major) => join(root, major, "bin")).find((bin) => existsSync(join(bin, "initdb")));
  return found ?? join(root, "15", "bin");
}
export const PG_BIN = findPgBin();

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/sbin"])) {
    if (dir !== "" && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

export const REDIS_SERVER = onPath("redis-server");
export const PROMTOOL = onPath("promtool");

/** Why integration tests cannot run here, or undefined when they can. */
export function missingServices(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(join(PG_BIN, "initdb"))) missing.push(`PostgreSQL binaries (${PG_BIN}; apt-get install postgresql)`);
  if (REDIS_SERVER === undefined) missing.push("redis-server (apt-get install redis-server)");
  return missing.length === 0 ? undefined : `missing ${missing.join(" and ")}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export const secret = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;

export interface DatabaseLogin {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  password: string;
}

/** A PostgreSQL cluster. PostgreSQL refuses to run as root, so as root it runs as the postgres user. */
export class PostgresServer {
  private readonly asRoot = process.getuid?.() === 0;
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly superPassword: string,
  ) {}

  private run(binary: string, args: string[]): void {
    const command = this.asRoot ? "runuser" : join(PG_BIN, binary);
    const argv = this.asRoot ? ["-u", "postgres", "--", join(PG_BIN, binary), ...args] : args;
    const result = spawnSync(command, argv, { encoding: "utf8", cwd: this.dir });
    // A command that could not start (runuser not on PATH, say) has no status and no output: say why.
    if (result.error) throw new Error(`${binary} could not start (${command}: ${result.error.message}); runuser is in /usr/sbin, which PATH must include when the tests run as root`);
    if (result.status !== 0) throw new Error(`${binary} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }

  static async start(): Promise<PostgresServer> {
    const dir = mkdtempSync(join(tmpdir(), "orders-pg-"));
    const server = new PostgresServer(dir, await freePort(), secret("superuser"));
    writeFileSync(join(dir, "pwfile"), server.superPassword);
    if (server.asRoot) {
      const user = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
      const group = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
      chownSync(dir, Number(user.stdout.trim()), Number(group.stdout.trim()));
      chownSync(join(dir, "pwfile"), Number(user.stdout.trim()), Number(group.stdout.trim()));
      chmodSync(dir, 0o700);
    }
    server.run("initdb", ["-D", join(dir, "data"), "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust", `--pwfile=${join(dir, "pwfile")}`, "-E", "UTF8", "--no-sync"]);
    server.startServer();
    return server;
  }

  startServer(): void {
    // fsync=off only risks data on an OS crash, which these tests do not simulate; commits stay synchronous.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    this.run("pg_ctl", ["-D", join(this.dir, "data"), "-l", join(this.dir, "log"), "-w", "-t", "30", "-o", options, "start"]);
  }

  /** Fast shutdown: sessions are disconnected, committed data is kept. */
  stopServer(): void {
    this.run("pg_ctl", ["-D", join(this.dir, "data"), "-w", "-m", "fast", "stop"]);
  }

  async admin<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = [], database = "postgres"): Promise<pg.QueryResult<T>> {
    const client = new pg.Client({ host: "127.0.0.1", port: this.port, user: "postgres", password: this.superPassword, database });
    await client.connect();
    try {
      return await client.query<T>(sql, params);
    } finally {
      await client.end();
    }
  }

  /** A fresh database owned by a fresh login role (scram password): one per suite, so suites do not share state. */
  async createDatabase(name: string): Promise<DatabaseLogin> {
    const password = secret("dbpass");
    await this.admin(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await this.admin(`CREATE DATABASE ${name} OWNER ${name}`);
    return { host: "127.0.0.1", port: this.port, database: name, user: name, password };
  }

  destroy(): void {
    try {
      this.stopServer();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let shared: Promise<PostgresServer> | undefined;
/** One cluster for the whole run (initdb is the slow part); removed by the root hook in hooks.ts. */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= PostgresServer.start();
  return shared;
}
export async function destroySharedPostgres(): Promise<void> {
  if (shared !== undefined) (await shared.catch(() => undefined))?.destroy();
  shared = undefined;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly password: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), secret("redistoken"));
    await server.startServer();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startServer(): Promise<void> {
    const child = spawn(REDIS_SERVER ?? "redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", this.password], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${output}`));
      });
    });
  }

  async stopServer(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
    this.child = undefined;
  }
}
