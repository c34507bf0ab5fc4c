// The app's image, built for real from the unmodified Dockerfile (buildah, on a locally made base
// named exactly as the Dockerfile's FROM) and run as the platform's Deployment runs it (podman:
// read-only root, an empty /tmp, no capabilities), against real PostgreSQL and Redis on loopback.
import assert from "node:assert/strict";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { postJson, sampleOrder, waitFor } from "./support/app.js";
import { keepingCollector, type KeepingCollector } from "./support/collector.js";
import { APP_ROOT, baseImageRef, buildAppImage, bundledNpmVersion, DOCKERFILE, ensureBaseImage, ImageStorage, missingImageTools, run, type BaseImageResult } from "./support/image.js";
import { freePort, missingServices, RedisServer, sharedPostgres, type DatabaseLogin, type PostgresServer } from "./support/services.js";

const TAG = "localhost/orders-service:test";

/**
 * The pod's restrictions (components/workload.ts): readOnlyRootFilesystem with an emptyDir of 64Mi
 * at /tmp (empty at start: no copy of the image's /tmp), every capability dropped, no privilege
 * escalation. podman needs the explicit ulimits here; the HEALTHCHECK timer needs systemd, so it
 * is off and the check is run on demand.
 */
const RESTRICTED = [
  "--ulimit", "nofile=1024:1024",
  "--ulimit", "nproc=1024:1024",
  "--read-only",
  "--tmpfs", "/tmp:rw,size=64m,mode=1777,notmpcopyup",
  "--cap-drop=ALL",
  "--security-opt=no-new-privileges",
  "--health-interval=disable",
];
const MB = 1_000_000;

/** Every file below `dir`, as sorted paths relative to it (directories end with "/"). */
function tree(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(`${relative(base, full)}/`, ...tree(full, base));
    else out.push(relative(base, full));
  }
  return out.sort();
}

/** The packages installed under a node_modules folder, as package-lock.json keys (node_modules/a/node_modules/b). */
function installedPackages(nodeModules: string, prefix = "node_modules"): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith(".")) continue; // .bin, .package-lock.json
    const names = entry.startsWith("@") ? readdirSync(join(nodeModules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      out.push(`${prefix}/${name}`);
      const nested = join(nodeModules, name, "node_modules");
      if (existsSync(nested)) out.push(...installedPackages(nested, `${prefix}/${name}/node_modules`));
    }
  }
  return out.sort();
}

describe("app image: the base the test makes", () => {
  it("is the Dockerfile's ARG NODE_IMAGE, normalised as Docker names it, with the Node version and Debian suite of its tag", () => {
    assert.deepEqual(baseImageRef(readFileSync(DOCKERFILE, "utf8")), {
      declared: "node:24.21.0-bookworm-slim",
      name: "docker.io/library/node:24.21.0-bookworm-slim",
      nodeVersion: "24.21.0",
      suite: "bookworm",
    });
    const ref = (image: string) => baseImageRef(`ARG NODE_IMAGE=${image}\nFROM \${NODE_IMAGE} AS build\nFROM \${NODE_IMAGE}\n`);
    assert.equal(ref("mirror.example.com:5000/node:24.21.0-bookworm-slim").name, "mirror.example.com:5000/node:24.21.0-bookworm-slim");
    assert.equal(ref("library/node:24.21.0-trixie").name, "docker.io/library/node:24.21.0-trixie");
    assert.throws(() => ref("node:24-bookworm-slim"), { message: "image test: NODE_IMAGE=node:24-bookworm-slim must be a node image tagged <major.minor.patch>-<debian suite>[-slim], e.g. node:24.21.0-bookworm-slim" });
    assert.throws(() => baseImageRef("ARG NODE_IMAGE=node:24.21.0-bookworm-slim\nFROM node:24.21.0-bookworm-slim\n"), {
      message: 'image test: every FROM must be ${NODE_IMAGE} from ARG NODE_IMAGE=<image>; got ARG "node:24.21.0-bookworm-slim", FROM ["node:24.21.0-bookworm-slim"]',
    });
  });

  it("gets the npm that the Node release bundles from that release's changelog", () => {
    const changelog = ['<a id="24.21.0"></a>', "* deps: update simdjson", '<a id="24.20.0"></a>', "* **deps**: upgrade npm to 11.19.0 (npm team)", "* deps: upgrade npm to 11.18.0"].join("\n");
    assert.equal(bundledNpmVersion(changelog, "24.21.0"), "11.19.0");
    assert.throws(() => bundledNpmVersion(changelog, "24.22.0"), { message: "image test: the Node CHANGELOG has no npm upgrade at or below 24.22.0" });
  });
});

describe("app image (buildah build of the real Dockerfile, podman run)", function () {
  this.timeout(60_000);
  let store: ImageStorage;
  let base: BaseImageResult;
  let image: any;

  before(async function () {
    const missing = missingImageTools() ?? missingServices();
    if (missing !== undefined) {
      // .ci/run installs all of these: in CI a skip would hide an image that no longer builds.
      if (process.env.CI === "true") throw new Error(`CI must build and run the image, but: ${missing}`);
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    this.timeout(30 * 60_000);
    store = new ImageStorage();
    base = await ensureBaseImage(store, (line) => console.log(`      ${line}`));
    console.log(`    base ${base.ref.name}: ${base.built ? "made" : "reused from the cache"} in ${base.seconds.toFixed(1)} s (${store.driver} storage in ${store.cache})`);
    const build = await buildAppImage(store, TAG);
    image = await store.inspect(TAG);
    const baseImage = await store.inspect(base.ref.name);
    console.log(
      `    ${TAG}: built in ${build.seconds.toFixed(1)} s; ${(image.Size / MB).toFixed(1)} MB uncompressed ` +
        `(base ${(baseImage.Size / MB).toFixed(1)} MB + app layers ${((image.Size - baseImage.Size) / MB).toFixed(1)} MB)`,
    );
  });

  describe("contents", function () {
    it("is built on the base the Dockerfile's FROM names, made here and never pulled", async () => {
      assert.equal(base.ref.declared, "node:24.21.0-bookworm-slim");
      assert.equal(base.ref.name, "docker.io/library/node:24.21.0-bookworm-slim");
      const baseImage = await store.inspect(base.ref.name);
      assert.equal(baseImage.Id, base.imageId);
      // The app image's first layer is the local base's only layer.
      assert.deepEqual(image.RootFS.Layers.slice(0, 1), baseImage.RootFS.Layers);
      assert.ok(image.RootFS.Layers.length > 1);
    });

    it("runs as 1000:1000, the Dockerfile's USER (the platform's pods run as AppImage.user, read from it)", () => {
      assert.match(readFileSync(DOCKERFILE, "utf8"), /^USER 1000:1000$/m);
      assert.equal(image.Config.User, "1000:1000");
      assert.deepEqual(image.Config.Cmd, ["node", "--enable-source-maps", "dist/main.js"]);
      assert.equal(image.Config.WorkingDir, "/app");
      assert.ok(image.Config.Env.includes("NODE_ENV=production"), image.Config.Env.join(" "));
    });

    it("holds exactly the lockfile's production packages: no dev dependency, none missing", async () => {
      const lock = JSON.parse(readFileSync(join(APP_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; os?: string[]; cpu?: string[] }> };
      const forThisPlatform = (p: { os?: string[]; cpu?: string[] }) => (p.os?.includes(process.platform) ?? true) && (p.cpu?.includes(process.arch) ?? true);
      const production = Object.entries(lock.packages).filter(([key, p]) => key !== "" && p.dev !== true && forThisPlatform(p)).map(([key]) => key).sort();
      const devOnly = Object.entries(lock.packages).filter(([, p]) => p.dev === true).map(([key]) => key);
      await store.withImageRoot(TAG, (root) => {
        const installed = installedPackages(join(root, "app", "node_modules"));
        // (@types/node is a devDependency and also a production dependency of @types/pg, so the
        // lockfile, not package.json, says what is dev-only.)
        for (const name of ["mocha", "typescript", "tsx", "autocannon", "dockerfile-utils"]) assert.ok(devOnly.includes(`node_modules/${name}`) && !installed.includes(`node_modules/${name}`), `dev dependency ${name} is in the image`);
        assert.deepEqual(installed.filter((key) => devOnly.includes(key)), []);
        assert.deepEqual(installed, production);
        const bin = readdirSync(join(root, "app", "node_modules", ".bin"));
        for (const tool of ["mocha", "tsc", "tsx", "autocannon"]) assert.ok(!bin.includes(tool), `node_modules/.bin/${tool} is in the image`);
      });
    });

    it("holds the compiled service and nothing else of the build context: no tests, bench, sources or build leftovers", async () => {
      // dist/ is exactly src/ compiled: a .js and a source map per .ts module.
      const modules = tree(join(APP_ROOT, "src")).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
      const expectedDist = modules.flatMap((f) => [f.replace(/\.ts$/, ".js"), f.replace(/\.ts$/, ".js.map")]).sort();
      await store.withImageRoot(TAG, (root) => {
        const app = join(root, "app");
        assert.deepEqual(readdirSync(app).sort(), [".npmrc", "dist", "node_modules", "package-lock.json", "package.json"]);
        assert.deepEqual(tree(join(app, "dist")).filter((f) => !f.endsWith("/")), expectedDist);
        const ours = tree(app).filter((f) => !f.startsWith("node_modules/"));
        assert.deepEqual(ours.filter((f) => /(^|\/)(test|tests|bench|src|coverage)\/|\.(test|spec)\.|\.tsbuildinfo$/.test(f)), []);
        // Nothing the build's RUN steps left behind: npm's cache and logs, node's compile cache, the
        // CA bundle lent to the build (mounted over /usr/local/etc, never stored).
        assert.deepEqual(readdirSync(join(root, "tmp")), []);
        assert.equal(existsSync(join(root, "root", ".npm")), false, "/root/.npm is in the image");
        assert.deepEqual(readdirSync(join(root, "usr", "local", "etc")), []);
        assert.equal(statSync(join(app, "package.json")).uid, 0, "the service's files belong to root, not to the uid it runs as");
      });
    });
  });

  describe("container, run as the platform's Deployment runs it", function () {
    let pg: PostgresServer;
    let db: DatabaseLogin;
    let redis: RedisServer;
    let dir: string;
    let port: number;
    const name = `orders-image-test-${process.pid}`;
    let migration: { code: number | null; stdout: string; stderr: string };
    // The cluster's Jaeger, as far as the pod's exporter sees it.
    let collector: KeepingCollector;
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    const exec = (...command: string[]) => run("podman", store.podmanArgs(["exec", name, ...command]));

    /**
     * The Deployment's pod: RESTRICTED, the Secret's files (mode 0440, group = fsGroup) at
     * /var/run/secrets/orders, the flags ConfigMap at /etc/orders/flags; no runAsUser given here, so
     * the image's USER decides. Host networking, the only kind podman has here besides none, also
     * reaches PostgreSQL and Redis on 127.0.0.1.
     */
    const podFlags = () => [
      "--network=host",
      ...RESTRICTED,
      "--volume", `${join(dir, "secrets")}:/var/run/secrets/orders:ro`,
      "--volume", `${join(dir, "flags")}:/etc/orders/flags:ro`,
      // The Deployment's environment, pointed at this test's PostgreSQL and Redis.
      ...Object.entries({
        DATABASE_HOST: db.host,
        DATABASE_PORT: String(db.port),
        DATABASE_NAME: db.database,
        DATABASE_USER: db.user,
        DATABASE_SSL: "disable",
        REDIS_URL: redis.url,
        DATABASE_PASSWORD_FILE: "/var/run/secrets/orders/database-password",
        REDIS_AUTH_TOKEN_FILE: "/var/run/secrets/orders/redis-auth-token",
        OTEL_SERVICE_NAME: "orders-service",
        // components/delivery/pod.ts's tracing settings; the dev stacks' ratio, so every request is sampled.
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "1",
        SERVICE_VERSION: "image-test",
        DEPLOYMENT_ENVIRONMENT: "test",
        LOG_LEVEL: "info",
        FLAGS_FILE: "/etc/orders/flags/flags.json",
        READINESS_TIMEOUT_MS: "1000",
        // components/workload.ts SHUTDOWN_DELAY_MS and SHUTDOWN_TIMEOUT_MS.
        SHUTDOWN_DELAY_MS: "5000",
        SHUTDOWN_TIMEOUT_MS: "20000",
        MIGRATE_ON_START: "false",
        // Host networking: a free loopback port instead of the pod's own 8080.
        HOST: "127.0.0.1",
        PORT: String(port),
      }).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    ];

    before(async function () {
      this.timeout(120_000);
      collector = await keepingCollector();
      pg = await sharedPostgres();
      db = await pg.createDatabase("orders_image");
      redis = await RedisServer.start();
      port = await freePort();
      dir = mkdtempSync(join(tmpdir(), "orders-image-"));
      chmodSync(dir, 0o755);
      for (const sub of ["secrets", "flags"]) mkdirSync(join(dir, sub), { mode: 0o755 });
      for (const [file, value] of [["database-password", db.password], ["redis-auth-token", redis.password]] as const) {
        const path = join(dir, "secrets", file);
        writeFileSync(path, `${value}\n`);
        chownSync(path, 0, 1000); // defaultMode 0440, group = the pod's fsGroup
        chmodSync(path, 0o440);
      }
      copyFileSync(join(APP_ROOT, "flags", "flags.json"), join(dir, "flags", "flags.json"));

      // The migration Job first: command ["node", "dist/migrate.js"] replaces ENTRYPOINT and CMD.
      migration = await run("podman", store.podmanArgs(["run", "--rm", ...podFlags(), "--entrypoint", '["node", "dist/migrate.js"]', TAG]), { timeoutMs: 60_000 });
      await store.podman(["run", "--detach", "--name", name, ...podFlags(), TAG]);
      await waitFor("the container's /health/liveness", async () => (await fetch(url("/health/liveness"))).status === 200, 20_000);
    });

    after(async function () {
      if (store !== undefined) await run("podman", store.podmanArgs(["rm", "--force", "--time", "0", name]));
      await redis?.stopServer();
      collector?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it("runs the migration Job's command to completion (exit 0) and leaves the schema in place", async () => {
      assert.equal(migration.code, 0, `${migration.stdout}${migration.stderr}`);
      const tables = await pg.admin<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1", [], db.database);
      assert.ok(tables.rows.map((r) => r.table_name).includes("orders"), JSON.stringify(tables.rows));
    });

    it("answers /health/liveness and /health/readiness with 200 and serves an order through PostgreSQL and Redis", async () => {
      const liveness = await fetch(url("/health/liveness"));
      assert.equal(liveness.status, 200);
      assert.deepEqual(await liveness.json(), { status: "ok" });
      assert.equal((await fetch(url("/health/readiness"))).status, 200);
      const created = await fetch(url("/v1/orders"), postJson(sampleOrder("cust-image")));
      assert.equal(created.status, 201, await created.clone().text());
      const order = (await created.json()) as { id: string };
      for (let i = 0; i < 2; i++) {
        // The second read comes from Redis: the production node_modules have a working ioredis.
        const read = await fetch(url(`/v1/orders/${order.id}`));
        assert.equal(read.status, 200);
        assert.equal(((await read.json()) as { id: string }).id, order.id);
      }
      const keys = await run("redis-cli", ["-p", String(redis.port), "-a", redis.password, "--no-auth-warning", "dbsize"]);
      assert.equal(keys.code, 0, keys.stderr);
      assert.notEqual(keys.stdout.trim(), "0", "nothing was cached in Redis");
    });

    it("runs node as PID 1 with uid and gid 1000, no capabilities and no privilege escalation", async () => {
      const status = await exec("cat", "/proc/1/status");
      assert.equal(status.code, 0, status.stderr);
      const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, "m").exec(status.stdout)?.[1]?.split(/\s+/);
      assert.deepEqual(field("Uid"), ["1000", "1000", "1000", "1000"]);
      assert.deepEqual(field("Gid"), ["1000", "1000", "1000", "1000"]);
      assert.deepEqual(field("CapEff"), ["0000000000000000"]);
      assert.deepEqual(field("CapBnd"), ["0000000000000000"]);
      assert.deepEqual(field("NoNewPrivs"), ["1"]);
      const cmdline = await exec("cat", "/proc/1/cmdline");
      assert.deepEqual(cmdline.stdout.split("\0").filter((a) => a !== ""), ["node", "--enable-source-maps", "dist/main.js"]);
    });

    it("has a read-only root filesystem; only the /tmp emptyDir is writable", async () => {
      const probe = `const fs = require("node:fs"); const out = {};
        for (const p of ["/app/x", "/app/dist/x.js", "/home/node/x", "/x", "/tmp/x"]) {
          try { fs.writeFileSync(p, "x"); out[p] = "written"; } catch (e) { out[p] = e.code; }
        }
        console.log(JSON.stringify(out));`;
      const result = await exec("node", "-e", probe);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { "/app/x": "EROFS", "/app/dist/x.js": "EROFS", "/home/node/x": "EROFS", "/x": "EROFS", "/tmp/x": "written" });
      const container = (JSON.parse(await store.podman(["container", "inspect", name])) as any[])[0];
      assert.equal(container.HostConfig.ReadonlyRootfs, true);
    });

    it("on SIGTERM fails readiness, keeps liveness, and exits 0 after the shutdown delay, within the shutdown timeout", async function () {
      this.timeout(40_000);
      const started = Date.now();
      await store.podman(["kill", "--signal", "TERM", name]);
      await waitFor("readiness 503 after SIGTERM", async () => (await fetch(url("/health/readiness"))).status === 503, 2_000);
      assert.equal((await fetch(url("/health/liveness"))).status, 200);
      const exitCode = (await store.podman(["wait", name], 30_000)).trim();
      const tookMs = Date.now() - started;
      assert.equal(exitCode, "0");
      assert.ok(tookMs >= 5_000 && tookMs < 20_000, `exited ${tookMs} ms after SIGTERM; expected after the 5000 ms delay and before the 20000 ms timeout`);
      const logs = await run("podman", store.podmanArgs(["logs", name]));
      const messages = logs.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.ok(messages.includes("shutdown complete"), messages.join(" | "));
      assert.ok(!messages.includes("shutdown timed out; exiting"));
      // The compiled build's export worker (dist/span-export-worker.js) sent the reads' spans, at the
      // latest when shutdown flushed them: the server span and its Redis child.
      const exported = collector.spanNames();
      assert.ok(exported.includes("GET /v1/orders/:id"), exported.join(", "));
      assert.ok(exported.includes("GET"), exported.join(", "));
    });
  });

  describe("HEALTHCHECK (docker and compose)", function () {
    const name = `orders-image-health-${process.pid}`;
    after(async function () {
      if (store !== undefined) await run("podman", store.podmanArgs(["rm", "--force", "--time", "0", name]));
    });

    it("passes on the image's own port 8080 without a database (liveness does not need one)", async function () {
      this.timeout(40_000);
      const flags = mkdtempSync(join(tmpdir(), "orders-image-flags-"));
      try {
        chmodSync(flags, 0o755);
        copyFileSync(join(APP_ROOT, "flags", "flags.json"), join(flags, "flags.json"));
        // Its own network namespace (loopback only): port 8080 as in a pod, no clash with the host.
        await store.podman([
          "run", "--detach", "--name", name, "--network=none", ...RESTRICTED, "--volume", `${flags}:/etc/orders/flags:ro`,
          "--env", "DATABASE_HOST=127.0.0.1", "--env", "DATABASE_NAME=orders", "--env", "DATABASE_USER=orders",
          "--env", "DATABASE_PASSWORD=unused", "--env", "DATABASE_SSL=disable", "--env", "DATABASE_PORT=1",
          TAG,
        ]);
        assert.deepEqual(image.Healthcheck.Test.slice(0, 3), ["CMD", "node", "-e"]);
        await waitFor("podman healthcheck run: healthy", async () => (await run("podman", store.podmanArgs(["healthcheck", "run", name]))).code === 0, 20_000);
      } finally {
        rmSync(flags, { recursive: true, force: true });
      }
    });
  });
});
