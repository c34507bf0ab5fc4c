// Builds and runs the app's image for real with Debian's buildah and podman: no Docker engine and
// no container registry are needed. The Dockerfile's base image (FROM) cannot be pulled, so it is
// made locally with the same contents that matter (Debian minbase of the suite the tag names, the
// Node version the tag names, npm, the `node` user 1000:1000, the official image's entrypoint) and
// tagged with the exact name the Dockerfile uses; the real, unmodified Dockerfile then builds with
// --pull=never. Storage lives under a cache folder, so the base (debootstrap, ~1 min) and the build
// layers are made once per machine.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { rootCertificates } from "node:tls";

export const APP_ROOT = join(__dirname, "..", "..");
export const DOCKERFILE = join(APP_ROOT, "Dockerfile");

/** Where storage and the base image's record live; ORDERS_IMAGE_CACHE moves it. */
export const IMAGE_CACHE = process.env.ORDERS_IMAGE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "orders-image");

/**
 * Bump when the base recipe below changes: the cached base is rebuilt when its key changes. The key
 * also holds the FROM name, the Node and npm versions and the Debian suite.
 */
const BASE_RECIPE_VERSION = 1;

const DEBIAN_MIRROR = process.env.DEBOOTSTRAP_MIRROR ?? "http://deb.debian.org/debian";

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/sbin", "/sbin"])) {
    if (dir !== "" && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

/** Why the image cannot be built and run here, or undefined when it can. */
export function missingImageTools(): string | undefined {
  const missing = ["buildah", "podman", "runc", "debootstrap"].filter((tool) => onPath(tool) === undefined);
  if (missing.length > 0) return `missing ${missing.join(", ")} (apt-get install buildah podman runc debootstrap; .ci/run does)`;
  if (process.getuid?.() !== 0) return "not root (debootstrap and buildah's chroot isolation need root; CI runs as root)";
  return undefined;
}

export interface BaseImageRef {
  /** The FROM value as the Dockerfile's ARG gives it, e.g. node:24.21.0-bookworm-slim. */
  readonly declared: string;
  /** The fully qualified name it resolves to, e.g. docker.io/library/node:24.21.0-bookworm-slim. */
  readonly name: string;
  /** The Node version in the tag, e.g. 24.21.0. */
  readonly nodeVersion: string;
  /** The Debian suite in the tag, e.g. bookworm. */
  readonly suite: string;
}

/**
 * The base image of every stage: the Dockerfile's `ARG NODE_IMAGE=...` that each FROM names. A
 * FROM without that ARG, or a tag without an exact Node version and Debian suite, is refused: the
 * local base is made from exactly those two.
 */
export function baseImageRef(dockerfileText: string): BaseImageRef {
  const arg = /^\s*ARG\s+NODE_IMAGE=(\S+)\s*$/m.exec(dockerfileText)?.[1];
  const froms = [...dockerfileText.matchAll(/^\s*FROM\s+(\S+)/gim)].map((m) => m[1]);
  if (arg === undefined || froms.length === 0 || froms.some((f) => f !== "${NODE_IMAGE}")) {
    throw new Error(`image test: every FROM must be \${NODE_IMAGE} from ARG NODE_IMAGE=<image>; got ARG ${JSON.stringify(arg)}, FROM ${JSON.stringify(froms)}`);
  }
  const m = /^(?:(?:[^/]+\/)*)node:(\d+\.\d+\.\d+)-(bookworm|trixie|bullseye)(?:-slim)?$/.exec(arg);
  if (m?.[1] === undefined || m[2] === undefined) {
    throw new Error(`image test: NODE_IMAGE=${arg} must be a node image tagged <major.minor.patch>-<debian suite>[-slim], e.g. node:24.21.0-bookworm-slim`);
  }
  // Docker's normalisation: no registry means docker.io, no namespace there means library/.
  const first = arg.split("/")[0] ?? "";
  const hasRegistry = arg.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const name = hasRegistry ? arg : `docker.io/${arg.includes("/") ? "" : "library/"}${arg}`;
  return { declared: arg, name, nodeVersion: m[1], suite: m[2] };
}

/**
 * The npm version a Node release bundles, from the release's own CHANGELOG (shipped in the npm
 * `node-linux-<arch>` package): the first "upgrade npm to X" at or below that release's heading.
 */
export function bundledNpmVersion(changelog: string, nodeVersion: string): string {
  const start = changelog.indexOf(`<a id="${nodeVersion}"></a>`);
  const m = start < 0 ? null : /\b(?:upgrade|update) npm to (\d+\.\d+\.\d+)/.exec(changelog.slice(start));
  if (m?.[1] === undefined) throw new Error(`image test: the Node CHANGELOG has no npm upgrade at or below ${nodeVersion}`);
  return m[1];
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; never rejects on a non-zero exit (callers assert on `code`). */
export function run(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like run(), but a non-zero exit throws with the command and the tail of its output. */
export async function must(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}${result.stderr}`.slice(-4000);
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${tail}`);
  }
  return result.stdout;
}

/**
 * buildah and podman on one private storage. overlay unless the cache folder is itself on overlayfs
 * (a container), where only vfs works; vfs copies every layer whole, which made a warm build take
 * 150 s instead of 4 s here (ORDERS_IMAGE_STORAGE_DRIVER overrides). The run root must not move
 * between runs: podman records it in its database and refuses a different one.
 */
export class ImageStorage {
  readonly driver: string;
  readonly storage: string[];
  constructor(readonly cache: string = IMAGE_CACHE) {
    mkdirSync(cache, { recursive: true });
    const fsType = spawnSync("stat", ["-f", "-c", "%T", cache], { encoding: "utf8" }).stdout.trim();
    this.driver = process.env.ORDERS_IMAGE_STORAGE_DRIVER ?? (fsType === "overlayfs" ? "vfs" : "overlay");
    this.storage = ["--root", join(cache, `storage-${this.driver}`), "--runroot", join(cache, `run-${this.driver}`), "--storage-driver", this.driver];
  }

  buildah(args: readonly string[], timeoutMs?: number): Promise<string> {
    return must("buildah", [...this.storage, ...args], { timeoutMs });
  }

  /** podman as it works on these machines: runc, cgroupfs (no systemd), events to a file. */
  podmanArgs(args: readonly string[]): string[] {
    return [...this.storage, "--runtime", "runc", "--cgroup-manager=cgroupfs", "--events-backend=file", ...args];
  }

  podman(args: readonly string[], timeoutMs?: number): Promise<string> {
    return must("podman", this.podmanArgs(args), { timeoutMs });
  }

  async imageId(name: string): Promise<string | undefined> {
    const result = await run("podman", this.podmanArgs(["image", "inspect", "--format", "{{.Id}}", name]));
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  /** `podman image inspect` of one image, parsed. */
  async inspect(name: string): Promise<any> {
    return (JSON.parse(await this.podman(["image", "inspect", name])) as any[])[0];
  }

  /** Mounts an image read-only and gives its root folder to `use`. */
  async withImageRoot<T>(name: string, use: (root: string) => Promise<T> | T): Promise<T> {
    const root = (await this.podman(["image", "mount", name])).trim();
    try {
      return await use(root);
    } finally {
      await this.podman(["image", "unmount", name]);
    }
  }
}

/** The Node binary of `version`: this process's when it is that version, else the npm `node` package's (as .ci/run installs it). */
async function nodeToolchain(version: string): Promise<{ node: string; changelog: string }> {
  let node = process.version === `v${version}` ? realpathSync(process.execPath) : undefined;
  if (node === undefined) {
    const prefix = join(homedir(), ".cache", `platform-node-${version}`);
    if (!existsSync(join(prefix, "node_modules", ".bin", "node"))) {
      await must("npm", ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--loglevel=error", `node@${version}`]);
    }
    node = realpathSync(join(prefix, "node_modules", ".bin", "node"));
  }
  // node_modules/node/bin/node is a hard link of node_modules/node/node_modules/node-linux-<arch>/bin/node.
  const candidates = [
    join(dirname(node), "..", "CHANGELOG.md"),
    join(dirname(node), "..", "node_modules", `node-linux-${process.arch}`, "CHANGELOG.md"),
    join(dirname(node), "..", "share", "doc", "node", "CHANGELOG.md"),
  ];
  const changelog = candidates.find((file) => existsSync(file));
  if (changelog === undefined) throw new Error(`image test: no CHANGELOG.md beside ${node} to read the bundled npm version from (looked in ${candidates.join(", ")})`);
  return { node, changelog };
}

/** The official node image's entrypoint behaviour: run the command with node when it is an option or not a command. */
const ENTRYPOINT_SCRIPT = `#!/bin/sh
set -e
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`;

export interface BaseImageResult {
  readonly ref: BaseImageRef;
  readonly imageId: string;
  /** false when the cached base was reused. */
  readonly built: boolean;
  readonly seconds: number;
}

/**
 * Makes the Dockerfile's base image locally, or reuses the cached one when its key (FROM name,
 * Node and npm versions, suite, recipe) is unchanged: debootstrap --variant=minbase of the suite,
 * trimmed like Debian's slim images (no docs but copyright files, man pages, locales, apt lists);
 * the Node binary at /usr/local/bin/node and the npm it bundles at /usr/local/lib/node_modules/npm
 * (the official image's layout); group and user `node` 1000:1000 with /home/node; ENTRYPOINT
 * docker-entrypoint.sh, CMD node. Files keep their owners (a tar layer; COPY would make them root's).
 */
export async function ensureBaseImage(store: ImageStorage, log: (line: string) => void): Promise<BaseImageResult> {
  const started = Date.now();
  const ref = baseImageRef(readFileSync(DOCKERFILE, "utf8"));
  const toolchain = await nodeToolchain(ref.nodeVersion);
  const npmVersion = bundledNpmVersion(readFileSync(toolchain.changelog, "utf8"), ref.nodeVersion);
  const key = createHash("sha256")
    .update(JSON.stringify({ name: ref.name, nodeVersion: ref.nodeVersion, npmVersion, suite: ref.suite, arch: process.arch, recipe: BASE_RECIPE_VERSION }))
    .digest("hex");
  const recordFile = join(store.cache, `base-${store.driver}.json`);
  const record = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, "utf8")) as { key?: string; imageId?: string }) : {};
  const existing = await store.imageId(ref.name);
  if (record.key === key && existing !== undefined && existing === record.imageId) {
    return { ref, imageId: existing, built: false, seconds: (Date.now() - started) / 1000 };
  }

  // A folder of its own: two runs making the base at once do not share a rootfs (the last tag wins).
  const work = mkdtempSync(join(store.cache, "base-"));
  const rootfs = join(work, "rootfs");
  try {
    log(`debootstrap --variant=minbase ${ref.suite} from ${DEBIAN_MIRROR} (about a minute)`);
    await must("debootstrap", ["--variant=minbase", ref.suite, rootfs, DEBIAN_MIRROR], { timeoutMs: 900_000 });
    await must("sh", ["-c", [
      "rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/man/* usr/share/locale/* usr/share/info/*",
      "find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete",
      "find usr/share/doc -mindepth 1 -type d -empty -delete",
    ].join(" && ")], { cwd: rootfs });
    writeFileSync(join(rootfs, "usr", "local", "bin", "docker-entrypoint.sh"), ENTRYPOINT_SCRIPT, { mode: 0o755 });
    await must("chroot", [rootfs, "groupadd", "--gid", "1000", "node"]);
    await must("chroot", [rootfs, "useradd", "--uid", "1000", "--gid", "node", "--shell", "/bin/bash", "--create-home", "node"]);
    await must("install", ["-m", "0755", toolchain.node, join(rootfs, "usr", "local", "bin", "node")]);
    log(`npm ${npmVersion} (bundled with Node ${ref.nodeVersion}) from the npm registry`);
    await must("npm", ["pack", `npm@${npmVersion}`, "--pack-destination", work, "--silent"], { cwd: work });
    const npmDir = join(rootfs, "usr", "local", "lib", "node_modules", "npm");
    mkdirSync(npmDir, { recursive: true });
    await must("tar", ["-xzf", join(work, `npm-${npmVersion}.tgz`), "-C", npmDir, "--strip-components=1", "--no-same-owner"]);
    await must("ln", ["-s", "../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr", "local", "bin", "npm")]);
    await must("ln", ["-s", "../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr", "local", "bin", "npx")]);
    const version = (await must("chroot", [rootfs, "node", "--version"])).trim();
    if (version !== `v${ref.nodeVersion}`) throw new Error(`image test: the base's node prints ${version}, expected v${ref.nodeVersion}`);
    await must("tar", ["-C", rootfs, "--numeric-owner", "-cf", join(work, "rootfs.tar"), "."]);

    const container = (await store.buildah(["from", "scratch"])).trim();
    await store.buildah(["add", container, join(work, "rootfs.tar"), "/"]);
    await store.buildah(["config", "--env", `NODE_VERSION=${ref.nodeVersion}`, "--entrypoint", '["docker-entrypoint.sh"]', "--cmd", "node", container]);
    const imageId = (await store.buildah(["commit", "--quiet", "--format", "docker", "--rm", container, ref.name])).trim();
    writeFileSync(recordFile, `${JSON.stringify({ key, imageId, name: ref.name, npmVersion }, null, 2)}\n`);
    return { ref, imageId, built: true, seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The TLS trust the build's RUN steps need to reach the npm registry: Node's own roots plus the CAs
 * this machine adds (NODE_EXTRA_CA_CERTS, npm's cafile; a TLS-inspecting egress here). Lent to the
 * build as a read-only mount over the base's empty /usr/local/etc (npm's global npmrc folder), so
 * nothing of it is stored in a layer; the tests check that folder is empty in the image.
 */
async function buildTrust(dir: string): Promise<string[]> {
  const extra = new Set<string>();
  if (process.env.NODE_EXTRA_CA_CERTS) extra.add(process.env.NODE_EXTRA_CA_CERTS);
  const cafile = (await run("npm", ["config", "get", "cafile"])).stdout.trim();
  if (cafile !== "" && cafile !== "null" && cafile !== "undefined") extra.add(cafile);
  const files = [...extra].filter((file) => existsSync(file));
  if (files.length === 0) return [];
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ca.pem"), [...rootCertificates, ...files.map((file) => readFileSync(file, "utf8"))].join("\n"));
  writeFileSync(join(dir, "npmrc"), "cafile=/usr/local/etc/ca.pem\n");
  return ["--volume", `${dir}:/usr/local/etc:ro`];
}

/**
 * `buildah bud` of app/ with the real Dockerfile: --pull=never (the base is the local one),
 * --isolation chroot (the only isolation that works here), docker format (OCI drops HEALTHCHECK),
 * --layers so an unchanged context rebuilds nothing.
 */
export async function buildAppImage(store: ImageStorage, tag: string): Promise<{ seconds: number; output: string }> {
  const started = Date.now();
  const trustDir = join(store.cache, "build-trust");
  try {
    const output = await store.buildah(
      ["bud", "--pull=never", "--isolation", "chroot", "--format", "docker", "--layers", ...(await buildTrust(trustDir)), "--tag", tag, "--file", DOCKERFILE, APP_ROOT],
      900_000,
    );
    return { seconds: (Date.now() - started) / 1000, output };
  } finally {
    rmSync(trustDir, { recursive: true, force: true });
  }
}
