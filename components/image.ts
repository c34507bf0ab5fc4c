import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppConfig } from "./config";

/** The app's Docker build context: `app/` of this repository, wherever the program runs from. */
export const APP_BUILD_CONTEXT = path.resolve(__dirname, "..", "app");

/**
 * Never part of the content hash, whatever the .gitignore files say: installed dependencies and
 * build output (the Dockerfile installs and builds its own) and git's own directory.
 */
export const ALWAYS_EXCLUDED = ["node_modules", "dist", ".git"] as const;

/**
 * The gitignore patterns that apply to `dir`: its own .gitignore and its ancestors' up to the
 * repository root (the first directory holding `.git`). Only name patterns are honoured (`*.log`,
 * `node_modules/`, `.plan/`), which match at any depth; anchored patterns (`/x`, `a/b`) and
 * negations are skipped, so such a file is hashed (a spurious new tag, never a stale one).
 */
function ignoredNames(dir: string): Array<{ glob: RegExp; directoryOnly: boolean }> {
    const patterns: Array<{ glob: RegExp; directoryOnly: boolean }> = [];
    let current = path.resolve(dir);
    for (;;) {
        const file = path.join(current, ".gitignore");
        if (fs.existsSync(file)) {
            for (const raw of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
                const line = raw.trim();
                if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
                const directoryOnly = line.endsWith("/");
                const name = directoryOnly ? line.slice(0, -1) : line;
                if (name.includes("/")) continue;
                const source = name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
                patterns.push({ glob: new RegExp(`^${source}$`), directoryOnly });
            }
        }
        const parent = path.dirname(current);
        if (fs.existsSync(path.join(current, ".git")) || parent === current) return patterns;
        current = parent;
    }
}

/**
 * The files of a build context that git would track, as sorted POSIX paths relative to `dir`:
 * everything except ALWAYS_EXCLUDED and what the .gitignore files name.
 */
export function contextFiles(dir: string): string[] {
    const ignored = ignoredNames(dir);
    const skip = (name: string, isDirectory: boolean) =>
        (ALWAYS_EXCLUDED as readonly string[]).includes(name) ||
        ignored.some((p) => (isDirectory || !p.directoryOnly) && p.glob.test(name));
    const out: string[] = [];
    const walk = (relative: string) => {
        for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
            const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
            if (skip(entry.name, entry.isDirectory())) continue;
            if (entry.isDirectory()) walk(child);
            else if (entry.isFile() || entry.isSymbolicLink()) out.push(child);
        }
    };
    walk("");
    // Code-unit order, not locale order: the same on every machine.
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * SHA-256 over the build context's files (paths and contents; a symlink by its target), in a
 * fixed order: the same tree gives the same hash on any machine, any change to a tracked file a
 * new one, and node_modules/dist/ignored files none.
 */
export function contextHash(dir: string): string {
    const hash = createHash("sha256");
    for (const file of contextFiles(dir)) {
        const full = path.join(dir, file);
        const stat = fs.lstatSync(full);
        const content = stat.isSymbolicLink() ? Buffer.from(`symlink:${fs.readlinkSync(full)}`) : fs.readFileSync(full);
        hash.update(`${file}\0${(stat.mode & 0o111) !== 0 ? "x" : "-"}\0${createHash("sha256").update(content).digest("hex")}\n`);
    }
    return hash.digest("hex");
}

/**
 * The image tag: the context hash (16 hex digits) and the platform's architecture. The platform is
 * part of the tag because the repository's tags are immutable: moving the nodes to Graviton
 * rebuilds the same sources for arm64, which must be pushed under a new tag.
 */
export function imageTag(contextHashHex: string, platform: "linux/amd64" | "linux/arm64"): string {
    return `${contextHashHex.slice(0, 16)}-${platform.split("/")[1]}`;
}

/**
 * The repository's lifecycle policy: untagged images (superseded or half-pushed) expire after
 * `untaggedImageExpiryDays`; of the tagged ones the newest `taggedImagesKept` stay. ECR requires a
 * pattern for a `tagged` rule ("*" is every tag).
 */
export function lifecyclePolicy(untaggedImageExpiryDays: number, taggedImagesKept: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images after ${untaggedImageExpiryDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedImageExpiryDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the newest ${taggedImagesKept} tagged images`,
                selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: taggedImagesKept },
                action: { type: "expire" },
            },
        ],
    });
}

export interface AppImageArgs {
    /** The validated `app` section of the stack config (image retention). */
    readonly config: AppConfig;
    /** ECR repository name, e.g. `platform-dev/orders` (lowercase; `/` groups repositories). */
    readonly repositoryName: string;
    /** The platform the nodes run (Cluster.imagePlatform, from their instance types' architecture). */
    readonly platform: "linux/amd64" | "linux/arm64";
    /**
     * The stack's safety knob: Pulumi `protect` on the repository; when false the repository is
     * deleted with its images (the docker Image never deletes the tags it pushed).
     */
    readonly protect: boolean;
    /**
     * The build context.
     * @default APP_BUILD_CONTEXT - `app/` of this repository
     */
    readonly context?: string;
}

/**
 * The app's image: an ECR repository (immutable tags, scan on push, AES-256 at rest, a lifecycle
 * policy) and the image built from `app/` for the nodes' platform, tagged with the hash of its
 * sources so every change pushes a new tag and an unchanged tree rebuilds nothing. Consumers
 * deploy `repoDigest` (repository@sha256:...), which changes with every push. Building needs a
 * Docker engine (with emulation for a foreign platform) where `pulumi up` runs.
 */
export class AppImage extends pulumi.ComponentResource {
    public readonly repositoryUrl: pulumi.Output<string>;
    /** The immutable tag: content hash and architecture. */
    public readonly tag: string;
    /** `repository@sha256:...` of the pushed image: what the pods run. */
    public readonly repoDigest: pulumi.Output<string>;
    public readonly platform: "linux/amd64" | "linux/arm64";

    constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:app:AppImage", name, {}, opts);
        const context = args.context ?? APP_BUILD_CONTEXT;
        if (!fs.existsSync(path.join(context, "Dockerfile"))) {
            throw new Error(`image: no Dockerfile in the build context ${context}`);
        }
        const parent = { parent: this };

        const repository = new aws.ecr.Repository(`${name}-repo`, {
            name: args.repositoryName,
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "AES256" }],
            // Review stacks: destroy deletes the repository with the images the docker Image left.
            forceDelete: !args.protect,
        }, { parent: this, protect: args.protect });

        new aws.ecr.LifecyclePolicy(`${name}-lifecycle`, {
            repository: repository.name,
            policy: lifecyclePolicy(args.config.untaggedImageExpiryDays, args.config.taggedImagesKept),
        }, parent);

        this.tag = imageTag(contextHash(context), args.platform);
        this.platform = args.platform;
        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, parent);
        const image = new docker.Image(`${name}-image`, {
            imageName: pulumi.interpolate`${repository.repositoryUrl}:${this.tag}`,
            build: {
                context,
                dockerfile: path.join(context, "Dockerfile"),
                platform: args.platform,
            },
            registry: {
                server: repository.repositoryUrl,
                username: auth.userName,
                password: pulumi.secret(auth.password),
            },
        }, parent);

        this.repositoryUrl = repository.repositoryUrl;
        this.repoDigest = image.repoDigest;
        this.registerOutputs({ repositoryUrl: this.repositoryUrl, tag: this.tag, repoDigest: this.repoDigest });
    }
}
