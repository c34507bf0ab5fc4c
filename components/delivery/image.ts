import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppConfig } from "./config";
import { InputError } from "../config/engine";

/** The app's Docker build context: `app/` of this repository, wherever the program runs from. */
export const APP_BUILD_CONTEXT = path.resolve(__dirname, "..", "..", "app");

/**
 * Never part of the content hash, whatever the .gitignore files say: installed dependencies and
 * build output (the Dockerfile installs and builds its own) and git's own directory.
 */
export const ALWAYS_EXCLUDED = ["node_modules", "dist", ".git"] as const;

/**
 * The .dockerignore patterns of a build context, as regular expressions over paths relative to the
 * context root (Docker's rules: patterns are anchored at the root, `*` and `?` stay within one path
 * segment, `**` spans any number; a matched directory excludes everything below it). Negations
 * (`!x`) are not supported: such a file is hashed anyway (a spurious new tag, never a stale one).
 */
function dockerignorePatterns(dir: string): RegExp[] {
    const file = path.join(dir, ".dockerignore");
    if (!fs.existsSync(file)) return [];
    const out: RegExp[] = [];
    for (const raw of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
        const line = raw.trim().replace(/^\.?\//, "").replace(/\/+$/, "");
        if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
        const source = line
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*\*\/?/g, "\u0000")
            .replace(/\*/g, "[^/]*")
            .replace(/\?/g, "[^/]")
            .replace(/\u0000/g, "(?:.*/)?");
        out.push(new RegExp(`^${source}(?:/.*)?$`));
    }
    return out;
}

/**
 * The files of the Docker build context, as sorted POSIX paths relative to `dir`: what `docker
 * build` sends (everything but what .dockerignore excludes), so the content hash changes exactly
 * when the context does (an immutable tag must never be pushed twice with different content).
 * The Dockerfile always counts, even when .dockerignore lists it; ALWAYS_EXCLUDED never does.
 */
export function contextFiles(dir: string): string[] {
    const ignored = dockerignorePatterns(dir);
    const skip = (relative: string, name: string) =>
        relative !== "Dockerfile" &&
        ((ALWAYS_EXCLUDED as readonly string[]).includes(name) || ignored.some((p) => p.test(relative)));
    const out: string[] = [];
    const walk = (relative: string) => {
        for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
            const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
            if (skip(child, entry.name)) continue;
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

/** The numeric USER of a Dockerfile's final stage (runAsNonRoot can only check a numeric uid). */
export function dockerfileUser(dockerfileText: string): { uid: number; gid: number } {
    const users = [...dockerfileText.matchAll(/^\s*USER\s+(\S+)\s*$/gim)].map((m) => m[1]);
    const last = users[users.length - 1];
    const m = last === undefined ? null : /^(\d+)(?::(\d+))?$/.exec(last);
    if (!m || Number(m[1]) === 0) {
        throw new InputError("image", [{ key: "the Dockerfile's last USER", value: last, rule: "a numeric non-root uid[:gid] (runAsNonRoot checks the number)", fix: "end the final stage with USER 10001:10001 (a uid other than 0)" }]);
    }
    return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

/**
 * The image tag: the context hash (16 hex digits) and the platform's architecture. The platform is
 * part of the tag because the repository's tags are immutable: moving the nodes to Graviton
 * rebuilds the same sources for arm64, which must be pushed under a new tag.
 */
export function imageTag(contextHashHex: string, platform: "linux/amd64" | "linux/arm64"): string {
    return `${contextHashHex.slice(0, 16)}-${platform.split("/")[1]}`;
}

/** The digest ECR has for `tag`, or undefined when the tag was never pushed. */
export function digestOfTag(imageIds: readonly { imageTag?: string; imageDigest: string }[], tag: string): string | undefined {
    return imageIds.find((i) => i.imageTag === tag)?.imageDigest;
}

/**
 * The repository's lifecycle policy: untagged images (superseded or half-pushed) expire after
 * `untaggedImageExpiryDays`; with `reviewTagExpiryDays`, images a review stack pushed (`pr-*`)
 * expire that many days after their push, before the count rule sees them (a rule cannot expire an
 * image a higher-priority rule selected); of the other tagged ones the newest `taggedImagesKept`
 * stay. ECR requires a pattern for a `tagged` rule ("*" is every tag).
 */
export function lifecyclePolicy(untaggedImageExpiryDays: number, taggedImagesKept: number, reviewTagExpiryDays?: number): string {
    const review = reviewTagExpiryDays === undefined ? [] : [{
        rulePriority: 2,
        description: `Expire review images (pr-*) after ${reviewTagExpiryDays} days`,
        selection: { tagStatus: "tagged", tagPatternList: ["pr-*"], countType: "sinceImagePushed", countUnit: "days", countNumber: reviewTagExpiryDays },
        action: { type: "expire" },
    }];
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images after ${untaggedImageExpiryDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedImageExpiryDays },
                action: { type: "expire" },
            },
            ...review,
            {
                rulePriority: 2 + review.length,
                description: `Keep the newest ${taggedImagesKept} tagged images`,
                selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: taggedImagesKept },
                action: { type: "expire" },
            },
        ],
    });
}

/** Days a review stack's image (`pr-<number>-<hash>`) stays in the repository it shares. */
export const REVIEW_IMAGE_EXPIRY_DAYS = 3;

/**
 * A review stack's tag: its stack name and the context hash. No architecture: the review stack
 * learns the shared nodes' platform from an output, after tags are decided; a new architecture
 * comes with a new pull request (and a new hash) in practice, and ECR refuses a re-push (immutable).
 */
export function reviewImageTag(stack: string, contextHashHex: string): string {
    return `${stack}-${contextHashHex.slice(0, 16)}`;
}

export interface AppImageArgs {
    /** The validated `app` section of the stack config (image retention). */
    readonly config: AppConfig;
    /** ECR repository name, e.g. `platform-dev/orders` (lowercase; `/` groups repositories). */
    readonly repositoryName: string;
    /** The platform the nodes run (Cluster.imagePlatform, from their instance types' architecture). */
    readonly platform: pulumi.Input<"linux/amd64" | "linux/arm64">;
    /**
     * Push to this existing repository instead of creating one (a review stack into the dev
     * stack's repository, whose lifecycle policy expires `pr-*` tags), tagged `tag`.
     * @default - a new repository `repositoryName` with its lifecycle policy
     */
    readonly existingRepository?: { readonly url: pulumi.Input<string>; readonly tag: string };
    /**
     * Expire `pr-*` tags after this many days (the repository review stacks push to).
     * @default - no such rule
     */
    readonly reviewTagExpiryDays?: number;
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
    /**
     * An image in the same registry whose layers the build reuses (a review stack: the platform
     * stack's deployed image). The provider pulls it first and hands it to BuildKit as cache-from;
     * its inline cache (every build here writes one) covers the final stage, so with an unchanged
     * app/package-lock.json the production `npm ci` layer is reused and only the build stage and
     * the sources' layer are new.
     * @default - no cache: a build from the base image
     */
    readonly cacheFrom?: pulumi.Input<string>;
}

/**
 * The build arguments of every app image: BUILDKIT_INLINE_CACHE writes the cache metadata into the
 * pushed image, so a later build can name it in cacheFrom (docs.docker.com build/cache/backends/inline).
 */
export const IMAGE_BUILD_ARGS = { BUILDKIT_INLINE_CACHE: "1" } as const;

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
    /** The numeric USER[:group] of the Dockerfile's final stage: what the pods must run as. */
    public readonly user: { readonly uid: number; readonly gid: number };

    constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:app:AppImage", name, {}, opts);
        const context = args.context ?? APP_BUILD_CONTEXT;
        const dockerfile = path.join(context, "Dockerfile");
        if (!fs.existsSync(dockerfile)) {
            throw new InputError("image", [{ key: "Dockerfile", value: dockerfile, rule: "a Dockerfile in the build context", fix: `add ${dockerfile}, or pass the context that has one` }]);
        }
        this.user = dockerfileUser(fs.readFileSync(dockerfile, "utf8"));
        const parent = { parent: this };
        // The data-source calls wait for what the component waits for (a review stack: its platform
        // stack's check), so a refused stack reads nothing from the registry either.
        const reads = { parent: this, dependsOn: opts?.dependsOn };

        const target = args.existingRepository
            ? { url: pulumi.output(args.existingRepository.url), tag: args.existingRepository.tag }
            : this.repository(name, args, context);
        this.tag = target.tag;
        // The registry is the account part of the URL (<account>.dkr.ecr.<region>.amazonaws.com/...).
        const registryId = target.url.apply((u) => u.split(".")[0]);
        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId }, reads);
        // Idempotent re-runs (issue 12, item 3): an interrupted `up` can leave the tag pushed but not
        // recorded, and a provider change can rebuild a tag the program considers unchanged; the
        // IMMUTABLE repository rejects a second push of it. When the tag is in ECR already, the build
        // skips the push and the pods run the digest ECR has for it (deploy by digest either way).
        const repositoryName = target.url.apply((u) => u.split("/").slice(1).join("/"));
        const pushedDigest = aws.ecr.getImagesOutput({ repositoryName, registryId }, reads)
            .imageIds.apply((ids) => digestOfTag(ids, this.tag));
        const image = new docker.Image(`${name}-image`, {
            imageName: pulumi.interpolate`${target.url}:${this.tag}`,
            build: {
                context,
                dockerfile,
                platform: args.platform,
                args: IMAGE_BUILD_ARGS,
                ...(args.cacheFrom === undefined ? {} : { cacheFrom: { images: [args.cacheFrom] } }),
            },
            registry: {
                server: target.url,
                username: auth.userName,
                password: pulumi.secret(auth.password),
            },
            skipPush: pushedDigest.apply((digest) => digest !== undefined),
        }, parent);

        this.repositoryUrl = target.url;
        this.repoDigest = pulumi.all([pushedDigest, target.url, image.repoDigest])
            .apply(([digest, url, built]) => (digest !== undefined ? `${url}@${digest}` : built));
        this.registerOutputs({ repositoryUrl: this.repositoryUrl, tag: this.tag, repoDigest: this.repoDigest });
    }

    /** The repository with its lifecycle policy, and the tag by content hash and architecture. */
    private repository(name: string, args: AppImageArgs, context: string): { url: pulumi.Output<string>; tag: string } {
        if (typeof args.platform !== "string") {
            throw new Error("image: platform must be a plain value when the image gets its own repository (the architecture is part of the tag)");
        }
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
            policy: lifecyclePolicy(args.config.untaggedImageExpiryDays, args.config.taggedImagesKept, args.reviewTagExpiryDays),
        }, { parent: this });
        return { url: repository.repositoryUrl, tag: imageTag(contextHash(context), args.platform as "linux/amd64" | "linux/arm64") };
    }
}
