// Static checks of the image and compose definitions (no Docker engine on the build machines).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { parse } from "yaml";
import { loadConfig } from "../src/config.js";

const APP_ROOT = join(__dirname, "..");
const read = (file: string) => readFileSync(join(APP_ROOT, file), "utf8");

describe("Dockerfile", () => {
  const source = read("Dockerfile");
  const dockerfile = DockerfileParser.parse(source);
  const froms = dockerfile.getFROMs();
  const runtimeStart = froms[froms.length - 1]?.getRange().start.line ?? 0;
  const runtime = dockerfile.getInstructions().filter((i) => i.getRange().start.line >= runtimeStart);
  const build = dockerfile.getInstructions().filter((i) => i.getRange().start.line < runtimeStart);

  it("has no findings from dockerfile-utils' linter", () => {
    assert.deepEqual(validate(source), []);
  });

  it("is multi-stage from node 24 LTS, pinned to a full version tag", () => {
    assert.deepEqual(froms.map((f) => f.getArgumentsContent()), ["${NODE_IMAGE} AS build", "${NODE_IMAGE} AS runtime"]);
    const arg = dockerfile.getARGs().find((a) => a.getProperty()?.getName() === "NODE_IMAGE");
    assert.equal(arg?.getProperty()?.getValue(), "node:24.21.0-bookworm-slim");
  });

  it("installs production dependencies only in the runtime stage, from the lockfile", () => {
    const runs = (stage: typeof runtime) => stage.filter((i) => i.getKeyword() === "RUN").map((i) => i.getArgumentsContent() ?? "");
    assert.ok(runs(runtime).some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), runs(runtime).join("\n"));
    assert.ok(runs(build).some((r) => /\bnpm ci\b/.test(r) && !r.includes("--omit=dev")));
    // Only compiled output crosses from the build stage.
    const lines = source.split("\n");
    const copies = runtime.filter((i) => i.getKeyword() === "COPY").map((i) => lines[i.getRange().start.line]);
    assert.deepEqual(copies, ["COPY package.json package-lock.json .npmrc ./", "COPY --from=build /app/dist ./dist"]);
  });

  it("runs as a numeric non-root user", () => {
    const users = runtime.filter((i) => i.getKeyword() === "USER").map((i) => i.getArgumentsContent() ?? "");
    assert.equal(users.length, 1);
    const [uid] = (users[0] ?? "").split(":");
    assert.match(uid ?? "", /^\d+$/);
    assert.notEqual(Number(uid), 0);
  });

  it("starts node in exec form so it receives SIGTERM directly", () => {
    const cmds = runtime.filter((i) => i.getKeyword() === "CMD" || i.getKeyword() === "ENTRYPOINT");
    assert.equal(cmds.length, 1);
    assert.deepEqual(JSON.parse(cmds[0]?.getArgumentsContent() ?? ""), ["node", "--enable-source-maps", "dist/main.js"]);
  });

  it("keeps tests, secrets and local state out of the build context", () => {
    const ignored = read(".dockerignore").split("\n").map((l) => l.trim());
    for (const entry of ["node_modules", "dist", "test", "dev-secrets", ".git", ".env*"]) assert.ok(ignored.includes(entry), entry);
  });
});

describe("docker-compose.yml", () => {
  const compose = parse(read("docker-compose.yml"), { merge: true }) as { services: Record<string, any>; secrets: Record<string, any> };
  const services = compose.services;

  it("runs the app with PostgreSQL, Valkey, Jaeger v2 and the migrate step", () => {
    assert.deepEqual(Object.keys(services).sort(), ["app", "jaeger", "migrate", "postgres", "valkey"]);
    assert.match(services.jaeger.image, /^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    assert.deepEqual(services.migrate.command, ["node", "dist/migrate.js"]);
    for (const service of Object.values(services)) if (service.image !== undefined) assert.doesNotMatch(service.image, /:latest$|^[^:]+$/);
  });

  it("gates startup on healthchecks and a completed migration", () => {
    for (const name of ["app", "postgres", "valkey"]) assert.ok(Array.isArray(services[name].healthcheck?.test), `${name} healthcheck`);
    assert.deepEqual(services.migrate.depends_on, { postgres: { condition: "service_healthy" } });
    assert.equal(services.app.depends_on.migrate.condition, "service_completed_successfully");
    assert.equal(services.app.depends_on.valkey.condition, "service_healthy");
  });

  it("runs the app read-only with a writable /tmp, as the cluster does", () => {
    assert.equal(services.app.read_only, true);
    assert.deepEqual(services.app.tmpfs, ["/tmp"]);
  });

  it("gives the app and the migrate step an environment the config schema accepts", () => {
    const secretFiles: Record<string, string> = {
      "/run/secrets/db_password": read(compose.secrets.db_password.file),
      "/run/secrets/cache_token": read(compose.secrets.cache_token.file),
    };
    const readFile = (path: string) => secretFiles[path] ?? assert.fail(`compose does not mount ${path}`);
    const app = loadConfig(services.app.environment, readFile);
    assert.equal(app.otlpEndpoint, "http://jaeger:4318");
    assert.equal(app.redis?.authToken?.(), "cache-local-dev-only");
    assert.equal(loadConfig(services.migrate.environment, readFile).database.password(), "orders-local-dev-only");
  });
});
