import * as assert from "node:assert/strict";
/**
 * The offline harness shared by every test and by the offline plan (scripts/plan.ts):
 * - Pulumi mocks with realistic computed outputs per resource type and data-source call;
 * - a capture of every registered resource with its type, name, inputs, parent, provider and
 *   dependencies (explicit `dependsOn` and implicit, through Outputs), taken by wrapping the mock
 *   monitor (`newResource` alone sees neither parents nor dependencies);
 * - finders over the capture;
 * - stack files read the way Pulumi reads them, so tests build the committed dev and prod configs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import { getSourceMapsSupport, setSourceMapsSupport, type SourceMapsSupport } from "node:module";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError, parseConfig, PROJECT, type ConfigProblem, type PlatformConfig } from "../components/config";
import { buildPlatform, buildReviewEnvironment, type Platform } from "../components/platform";

export const ROOT = path.resolve(__dirname, "..");
export const ACCOUNT_ID = "123456789012";
/** The review template's required cluster.deployerPrincipalArn: tests replacing the cluster section keep it. */
export const DEPLOYER_ARN = "arn:aws:iam::123456789012:role/platform-ci-review";

// ---------------------------------------------------------------------------------------------
// Stack files
// ---------------------------------------------------------------------------------------------

/** Marks a `secure:` value of a stack file, which cannot be decrypted offline. */
export const SECRET_PLACEHOLDER = "[secret]";

/** The file a review workflow applies to a `pr-<number>` stack (it has no committed file). */
export const REVIEW_STACK_TEMPLATE = path.join(ROOT, ".github", "review-stack.config.yaml");

export function stackFile(stack: string): string {
    return path.join(ROOT, `Pulumi.${stack}.yaml`);
}

/**
 * The stack's config as `pulumi.runtime.allConfig()` returns it: `namespace:key` to text (JSON for
 * objects and arrays). A `pr-<number>` stack without a file gets the review workflow's template.
 */
export function readStackValues(stack: string, configFile?: string): { values: Record<string, string>; secretKeys: string[]; source: string } {
    let file = configFile ?? stackFile(stack);
    if (configFile !== undefined && !fs.existsSync(configFile)) throw new Error(`No config file ${configFile}`);
    if (!fs.existsSync(file)) {
        if (!/^pr-\d+$/.test(stack)) {
            throw new Error(`No stack file ${path.basename(file)}: stacks other than pr-<number> review stacks need one (see README, "Environments").`);
        }
        file = REVIEW_STACK_TEMPLATE;
    }
    const { values, secretKeys } = stackFileValues(file);
    // Copies: a caller may change what it gets; the parsed file stays as read.
    return { values: { ...values }, secretKeys: [...secretKeys], source: path.relative(ROOT, file) };
}

/**
 * A stack file's values, parsed once per version of the file: the suites read the committed
 * stacks about 300 times (every buildStack and stackConfig), 2-3 ms of YAML each. A file that
 * changes (its modification time or size) is parsed again.
 */
function stackFileValues(file: string): { values: Record<string, string>; secretKeys: string[] } {
    const { mtimeMs, size } = fs.statSync(file);
    const version = `${mtimeMs} ${size}`;
    const cached = parsedStackFiles.get(file);
    if (cached?.version === version) return cached;
    const doc = parseYaml(fs.readFileSync(file, "utf8")) ?? {};
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries<unknown>(doc.config ?? {})) {
        if (value !== null && typeof value === "object" && "secure" in (value as object)) {
            values[key] = SECRET_PLACEHOLDER;
            secretKeys.push(key);
        } else {
            values[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    parsedStackFiles.set(file, { version, values, secretKeys });
    return { values, secretKeys };
}

const parsedStackFiles = new Map<string, { version: string; values: Record<string, string>; secretKeys: string[] }>();

/**
 * What the layer tests build for a review stack unless they set `platform:review` themselves: the
 * full copy (label full-review-stack), whose every component they check against the schema's
 * defaults. Shared mode (the workflow's default) is built by test/review/.
 */
export const FULL_REVIEW_COPY = { "platform:review": { mode: "full" } };

function layerTestDefaults(stack: string, overrides: Record<string, unknown>): Record<string, unknown> {
    return /^pr-\d+$/.test(stack) && !("platform:review" in overrides) ? { ...FULL_REVIEW_COPY, ...overrides } : overrides;
}

/** Parses a stack's config (the committed file, or the review template) as `pulumi up` would. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): PlatformConfig {
    return parseConfig({ project: PROJECT, stack, values: withOverrides(stack, overrides) });
}

/** A stack's values (the committed file, or the review template) with some keys replaced (a review stack: the full copy unless said). */
export function withOverrides(base: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    return { ...readStackValues(base).values, ...encode(layerTestDefaults(base, overrides)) };
}

/**
 * The problems parseConfig reports for these values, in its order; [] when it accepts them. Any
 * error other than a ConfigError is rethrown: the schema must never crash on bad input.
 */
export function configProblems(stack: string, values: Record<string, string>): ConfigProblem[] {
    try {
        parseConfig({ project: PROJECT, stack, values });
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
}

/** The problems of a review stack (the review workflow's values) with these overrides. */
export function reviewProblems(overrides: Record<string, unknown>, stack = "pr-7"): ConfigProblem[] {
    return configProblems(stack, withOverrides("pr-1", overrides));
}

/** An invalid configuration and every problem it must produce, exactly (order-insensitive). */
export interface ConfigCase {
    readonly title: string;
    /** The stack the overrides are applied to (a review stack unless said). */
    readonly stack?: string;
    readonly overrides: Record<string, unknown>;
    readonly problems: ConfigProblem[];
}

/** One test per case: the review workflow's values plus its overrides produce exactly its problems. */
export function refusesEach(cases: readonly ConfigCase[]): void {
    const sortKey = (p: ConfigProblem) => p.key + p.rule;
    const sorted = (ps: readonly ConfigProblem[]) => [...ps].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    for (const c of cases) {
        it(`refuses ${c.title}`, () => {
            assert.deepEqual(sorted(reviewProblems(c.overrides, c.stack ?? "pr-7")), sorted(c.problems));
        });
    }
}

/** Config values written as JSON text, the way Pulumi hands them to the program. */
export function encode(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

// ---------------------------------------------------------------------------------------------
// Mocks
// ---------------------------------------------------------------------------------------------

type Outputs = Record<string, unknown>;

/**
 * Computed outputs per resource type, on top of the inputs (which the mock echoes back). Add an
 * entry when a component reads an output the provider computes.
 */
export const MOCK_OUTPUTS: Record<string, (name: string, inputs: Outputs) => Outputs> = {
    "aws:ec2/vpc:Vpc": () => ({ defaultSecurityGroupId: "sg-default", mainRouteTableId: "rtb-main" }),
    "aws:eks/cluster:Cluster": (name, inputs) => ({
        name: inputs.name ?? name,
        endpoint: `https://${name}.gr7.us-east-1.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from("mock-ca").toString("base64") },
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.us-east-1.amazonaws.com/id/${name.toUpperCase()}` }] }],
        vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: `sg-${name}-cluster`, vpcId: "vpc-mock" },
        // What EKS assigns when no range is given and the VPC is in 10.0.0.0/8 (the committed stacks').
        kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: "172.20.0.0/16" },
        platformVersion: "eks.1",
        status: "ACTIVE",
    }),
    "aws:eks/nodeGroup:NodeGroup": (name) => ({ resources: [{ autoscalingGroups: [{ name: `eks-${name}-asg` }] }] }),
    "aws:rds/instance:Instance": (name, inputs) => ({
        address: `${name}.abc123.us-east-1.rds.amazonaws.com`,
        endpoint: `${name}.abc123.us-east-1.rds.amazonaws.com:5432`,
        port: inputs.port ?? 5432,
        masterUserSecrets: inputs.manageMasterUserPassword
            ? [{ secretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:rds!db-${name}-AbCdEf`, kmsKeyId: "kms", secretStatus: "active" }]
            : [],
    }),
    // Auto-named by the provider (name + random suffix); the mock keeps the logical name.
    "aws:rds/subnetGroup:SubnetGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:rds/parameterGroup:ParameterGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:elasticache/subnetGroup:SubnetGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    // As many hex digits as the bytes asked for ("0a1b2c3d" for 4).
    "random:index/randomId:RandomId": (_name, inputs) => ({ hex: "0a1b2c3d4e5f6a7b8c9d".slice(0, 2 * Number(inputs.byteLength ?? 4)) }),
    // A deterministic stand-in of the requested length, so tests can look for it where it must not be.
    "random:index/randomPassword:RandomPassword": (name, inputs) => ({
        result: `MockSecret${name.replace(/[^A-Za-z0-9]/g, "")}`.padEnd(Number(inputs.length ?? 16), "x").slice(0, Number(inputs.length ?? 16)),
    }),
    "aws:elasticache/replicationGroup:ReplicationGroup": (name, inputs) => ({
        primaryEndpointAddress: `master.${inputs.replicationGroupId ?? name}.abc123.use1.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${inputs.replicationGroupId ?? name}.abc123.use1.cache.amazonaws.com`,
        port: inputs.port ?? 6379,
    }),
    "aws:ecr/repository:Repository": (name, inputs) => ({
        repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/${inputs.name ?? name}`,
        registryId: ACCOUNT_ID,
    }),
    "docker:index/image:Image": (name, inputs) => ({
        repoDigest: `${String(inputs.imageName ?? name).split(":")[0]}@sha256:${"0".repeat(64)}`,
    }),
    "aws:kms/key:Key": (name) => ({ keyId: `key-${name}` }),
    // A namePrefix gets 26 characters (a timestamp and a counter) from the provider.
    "aws:iam/role:Role": (name, inputs) => ({ name: inputs.name ?? (inputs.namePrefix !== undefined ? `${inputs.namePrefix}20261126000000000000000001` : name) }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
};

/**
 * The dev stack's outputs as `pulumi stack output --show-secrets --json` would print them, for the
 * keys a review stack reads (components/review/review-environment.ts PLATFORM_OUTPUTS).
 */
export const DEV_STACK_OUTPUTS: Outputs = {
    environment: "dev",
    kubeconfig: "MOCK-DEV-KUBECONFIG",
    clusterName: "platform-dev-cluster-0a1b2c",
    appImageRepositoryUrl: `${ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/platform-dev/orders`,
    appImage: `${ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/platform-dev/orders@sha256:${"0".repeat(64)}`,
    imagePlatform: "linux/amd64",
    otlpHttpEndpoint: "http://jaeger.observability.svc:4318",
    observabilityNamespace: "observability",
    storageClassName: "gp3-encrypted",
    reviewOperatorNamespace: "cnpg-system",
    reviewAlbSourceCidr: "10.20.0.0/16",
};

/** Secrets Manager names the getSecret mock answers "not found" for (tests add and remove them). */
export const MISSING_SECRETS_MANAGER_NAMES = new Set<string>();

/** Results of data-source calls (invokes), by token. */
export const MOCK_CALLS: Record<string, (args: Outputs) => Outputs> = {
    // Honours excludeZoneIds like EC2 does: in this account us-east-1b is use1-az3, where EKS
    // cannot run, so a program that forgets to exclude it gets us-east-1b.
    "aws:index/getAvailabilityZones:getAvailabilityZones": (args) => {
        const all = [["us-east-1a", "use1-az1"], ["us-east-1b", "use1-az3"], ["us-east-1c", "use1-az2"],
            ["us-east-1d", "use1-az4"], ["us-east-1e", "use1-az6"], ["us-east-1f", "use1-az5"]];
        const excluded = new Set((args.excludeZoneIds as string[] | undefined) ?? []);
        const zones = all.filter(([, id]) => !excluded.has(id));
        return { names: zones.map(([n]) => n), zoneIds: zones.map(([, id]) => id) };
    },
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: ACCOUNT_ID,
        arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/ci-deployer/session`,
        userId: "AROAEXAMPLE:session",
    }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
    // Secrets Manager's DescribeSecret by name: the secret exists unless a test lists it in
    // MISSING_SECRETS_MANAGER_NAMES (then the read fails, as the provider's does for an absent secret).
    "aws:secretsmanager/getSecret:getSecret": (args) => {
        const name = String(args.name);
        if (MISSING_SECRETS_MANAGER_NAMES.has(name)) throw new Error(`reading Secrets Manager Secret (${name}): couldn't find resource`);
        return { name, arn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:${name}-AbC123`, kmsKeyId: "", id: name };
    },
    "aws:index/getRegion:getRegion": (args) => ({ region: args.region ?? "us-east-1", name: args.region ?? "us-east-1" }),
    // A new repository: no tag pushed yet (tests put images here to see a re-run).
    "aws:ecr/getImages:getImages": (args) => ({ repositoryName: args.repositoryName, imageIds: [] }),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": () => ({
        userName: "AWS", password: "mock-ecr-token", proxyEndpoint: `https://${ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com`,
    }),
    // EKS's default version for the Kubernetes version, or the newest with mostRecent: distinct, so
    // tests see which one a program asked for.
    "aws:eks/getAddonVersion:getAddonVersion": (args) => ({
        version: `${args.mostRecent ? "newest" : "default"}-${args.addonName}-for-${args.kubernetesVersion}`,
        addonName: args.addonName,
    }),
};

function mockArn(type: string, name: string): string {
    const [pkg, mod] = type.split(":");
    const service = pkg === "aws" ? mod.split("/")[0] : pkg;
    return `arn:aws:${service}:us-east-1:${ACCOUNT_ID}:${name}`;
}

/**
 * What a StackReference reads, by fully qualified stack name: a shared-mode review stack reads its
 * platform stack's outputs. DEV_STACK_OUTPUTS are the dev stack's (test/review/review-environment.test.ts
 * checks them against the dev stack built under mocks); tests add other stacks here.
 */
export const STACK_REFERENCE_OUTPUTS: Record<string, Outputs> = {};
/** The platform stack the review template and the review tests name. */
export const DEV_PLATFORM_STACK = "organization/platform/dev";
/** Outputs of a StackReference that are secrets in the referenced stack. */
export const SECRET_STACK_OUTPUTS = ["kubeconfig"];

const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        if (args.type === "pulumi:pulumi:StackReference") {
            const stackName = String(args.inputs.name ?? args.name);
            const outputs = stackName === DEV_PLATFORM_STACK ? DEV_STACK_OUTPUTS : STACK_REFERENCE_OUTPUTS[stackName];
            if (!outputs) throw new Error(`No mock outputs for the stack reference ${stackName}: add them to STACK_REFERENCE_OUTPUTS in test/harness.ts`);
            const secretOutputNames = SECRET_STACK_OUTPUTS.filter((k) => k in outputs);
            return { id: stackName, state: { name: stackName, outputs, secretOutputNames } };
        }
        const inputs = { ...args.inputs } as Outputs;
        const extra = MOCK_OUTPUTS[args.type]?.(args.name, inputs) ?? {};
        const state: Outputs = { ...inputs, ...extra };
        if (args.type.startsWith("aws:")) {
            state.arn ??= mockArn(args.type, args.name);
            state.id ??= `${args.name}-id`;
        }
        if (args.type.startsWith("kubernetes:") && args.type !== "kubernetes:helm.sh/v3:Release") {
            // Emulate the provider's auto-naming: references such as scaleTargetRef.name need it.
            const metadata = { ...(inputs.metadata as Outputs | undefined) };
            metadata.name ??= args.name;
            state.metadata = metadata;
        }
        if (args.type === "kubernetes:helm.sh/v3:Release") {
            state.status = { name: inputs.name ?? args.name, namespace: inputs.namespace ?? "default", status: "deployed" };
        }
        return { id: `${args.name}-id`, state };
    },
    call(args) {
        const fn = MOCK_CALLS[args.token];
        if (!fn) throw new Error(`No mock for the call ${args.token}: add it to MOCK_CALLS in test/harness.ts`);
        return fn(args.inputs as Outputs);
    },
};

// ---------------------------------------------------------------------------------------------
// Capture
// ---------------------------------------------------------------------------------------------

export interface CapturedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** False for component resources. */
    readonly custom: boolean;
    /** Inputs as registered; secrets still wrapped (see isSecret / reveal). */
    readonly inputs: Record<string, any>;
    readonly parent: string;
    /** `<provider urn>::<id>`, or "" for the default provider. */
    readonly provider: string;
    /** URNs this resource depends on: explicit dependsOn and implicit (through Outputs). */
    readonly dependencies: readonly string[];
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** The Pulumi `protect` resource option. */
    readonly protect: boolean;
    /** The Pulumi `retainOnDelete` resource option. */
    readonly retainOnDelete: boolean;
    /** The Pulumi `deletedWith` resource option: the URN whose delete deletes this one too, or "". */
    readonly deletedWith: string;
    /** The URNs of the Pulumi `aliases` resource option (resolved by the SDK). */
    readonly aliases: readonly string[];
    /** The Pulumi `ignoreChanges` resource option. */
    readonly ignoreChanges: readonly string[];
    /** The Pulumi `deleteBeforeReplace` resource option. */
    readonly deleteBeforeReplace: boolean;
    /** The Pulumi `replaceOnChanges` resource option. */
    readonly replaceOnChanges: readonly string[];
    /** The Pulumi `customTimeouts` resource option, as sent to the engine ("" when not set). */
    readonly customTimeouts: { readonly create: string; readonly update: string; readonly delete: string };
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function isSecret(value: unknown): boolean {
    return value !== null && typeof value === "object" && (value as any)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
}

/** The value with every secret wrapper removed, for assertions on content. */
export function reveal<T = any>(value: unknown): T {
    if (isSecret(value)) return reveal((value as any).value);
    if (Array.isArray(value)) return value.map(reveal) as T;
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)])) as T;
    }
    return value as T;
}

export class Capture {
    readonly resources: CapturedResource[] = [];

    ofType(type: string): CapturedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of a type (whose name ends with `nameSuffix`, if given); throws otherwise. */
    one(type: string, nameSuffix?: string): CapturedResource {
        const found = this.ofType(type).filter((r) => nameSuffix === undefined || r.name.endsWith(nameSuffix));
        if (found.length !== 1) {
            throw new Error(`expected one ${type}${nameSuffix ? ` named *${nameSuffix}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        }
        return found[0];
    }

    named(name: string): CapturedResource {
        const found = this.resources.filter((r) => r.name === name);
        if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
        return found[0];
    }

    byUrn(urn: string): CapturedResource {
        const found = this.resources.find((r) => r.urn === urn);
        if (!found) throw new Error(`no resource with urn ${urn}`);
        return found;
    }

    childrenOf(parent: CapturedResource): CapturedResource[] {
        return this.resources.filter((r) => r.parent === parent.urn);
    }

    descendantsOf(ancestor: CapturedResource): CapturedResource[] {
        const out: CapturedResource[] = [];
        const walk = (urn: string) => {
            for (const child of this.resources.filter((r) => r.parent === urn)) {
                out.push(child);
                walk(child.urn);
            }
        };
        walk(ancestor.urn);
        return out;
    }

    /** The top-level component a resource belongs to (itself when it has no component parent). */
    componentOf(resource: CapturedResource): CapturedResource {
        let current = resource;
        for (;;) {
            const parent = this.resources.find((r) => r.urn === current.parent);
            if (!parent) return current;
            current = parent;
        }
    }

    /** URNs `from` depends on, directly or through other resources (provider edges included). */
    dependencyClosure(from: CapturedResource): Set<string> {
        const seen = new Set<string>();
        const stack = [...this.edges(from)];
        while (stack.length > 0) {
            const urn = stack.pop()!;
            if (seen.has(urn)) continue;
            seen.add(urn);
            const r = this.resources.find((x) => x.urn === urn);
            if (r) stack.push(...this.edges(r));
        }
        return seen;
    }

    /** True when `from` is created after (and so deleted before) `to`. */
    dependsOn(from: CapturedResource, to: CapturedResource): boolean {
        return this.dependencyClosure(from).has(to.urn);
    }

    private edges(r: CapturedResource): string[] {
        const out = [...r.dependencies];
        if (r.provider) out.push(r.provider.split("::").slice(0, -1).join("::"));
        return out;
    }
}

let active: Capture | undefined;
let wrappedMonitor: unknown;

function wrapMonitor(): void {
    const monitor: any = pulumi.runtime.getMonitor();
    if (monitor === wrappedMonitor) return;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((v: any, k: string) => { propertyDependencies[k] = v.getUrnsList(); });
        const record = {
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject()),
            parent: req.getParent(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            protect: req.getProtect(),
            retainOnDelete: req.getRetainondelete() ?? false,
            deletedWith: req.getDeletedwith() ?? "",
            aliases: [...req.getAliasurnsList(), ...req.getAliasesList().map((a: any) => a.getUrn()).filter((u: string) => u)],
            ignoreChanges: req.getIgnorechangesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            replaceOnChanges: req.getReplaceonchangesList(),
            customTimeouts: {
                create: req.getCustomtimeouts()?.getCreate() ?? "",
                update: req.getCustomtimeouts()?.getUpdate() ?? "",
                delete: req.getCustomtimeouts()?.getDelete() ?? "",
            },
        };
        const sink = active;
        return original(req, (err: any, resp: any) => {
            if (!err && sink) sink.resources.push({ urn: resp.getUrn(), ...record });
            cb(err, resp);
        });
    };
    wrappedMonitor = monitor;
}

/**
 * Installs mocks for a stack and starts a fresh capture. Mocks are process-global. `project` is
 * the platform's unless a test builds another Pulumi project (bootstrap/).
 */
export async function startCapture(stack: string, config: Record<string, string> = {}, secretKeys: string[] = [], project = PROJECT): Promise<Capture> {
    await pulumi.runtime.setMocks(mocks, project, stack, false);
    pulumi.runtime.setAllConfig(config, secretKeys);
    wrapMonitor();
    active = new Capture();
    return active;
}

/** Waits until every registration and Output of the program has settled. */
export async function settle(): Promise<void> {
    await (pulumi.runtime as any).waitForRPCs();
}

export interface Built {
    readonly platform: Platform;
    readonly capture: Capture;
    readonly config: PlatformConfig;
}

/**
 * Runs a build (start a capture, construct, settle) with source-mapped stack traces off. The SDK
 * reads a stack trace for every promise it tracks and every resource it registers
 * (runtime/debuggable.js debuggablePromise, Resource.callsites for the source position), and with
 * tsx's source maps on, Node maps the frames of each one: about a third of a build's time even
 * with node_modules left unmapped (test/setup.ts). Under mocks nothing reads those traces (the
 * capture records no source positions). Only the build runs in here, no assertion: an error a
 * component throws has its stack formatted when it is first read, after the build, so it still
 * shows mapped .ts lines. Builds do not overlap (mocks are process-global); the depth keeps a
 * nested call from turning maps back on early. scripts/plan.ts runs its build in here too.
 */
export async function withoutSourceMaps<T>(build: () => Promise<T>): Promise<T> {
    if (unmappedDepth++ === 0) {
        supportOutside = { ...getSourceMapsSupport() };
        setSourceMapsSupport(false);
    }
    try {
        return await build();
    } finally {
        if (--unmappedDepth === 0 && supportOutside) {
            const { enabled, ...options } = supportOutside;
            setSourceMapsSupport(enabled, options);
        }
    }
}

let unmappedDepth = 0;
let supportOutside: SourceMapsSupport | undefined;

/**
 * Wherever the harness is loaded (every test process, the plan CLI), the SDK's debuggablePromise
 * takes its `new Error()` with no frames. It takes one for each of the 11-12 thousand promises of
 * a build and each Output resolved later, only to print it if the promise is still pending when
 * the process exits (the SDK's leak report, which then says "Error" where the frames were):
 * capturing and formatting those frames was half of a build's time once maps were off. Every
 * other stack trace keeps its frames; the SDK's modules call the function through this exports
 * object (`debuggable_1.debuggablePromise(...)`), so they all get this one.
 */
function untracePromises(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable: { debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> } = require("@pulumi/pulumi/runtime/debuggable");
    const traced = debuggable.debuggablePromise;
    debuggable.debuggablePromise = function untracedPromise<T>(p: Promise<T>, ctx: unknown): Promise<T> {
        untracedCalls++;
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return traced(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
}

let untracedCalls = 0;
/** How many promises the SDK tracked through untracePromises' function in this process (a build makes thousands). */
export function untracedPromiseCalls(): number {
    return untracedCalls;
}

untracePromises();

/** Builds a shared-mode review stack under mocks (the StackReference reads STACK_REFERENCE_OUTPUTS). */
export function buildReviewUnderMocks(config: PlatformConfig): Promise<{ review: ReturnType<typeof buildReviewEnvironment>; capture: Capture; config: PlatformConfig }> {
    return withoutSourceMaps(async () => {
        const capture = await startCapture(config.stack);
        const review = buildReviewEnvironment(config);
        await settle();
        return { review, capture, config };
    });
}

/** Builds the whole platform for a parsed config under mocks and captures every resource. */
export function buildUnderMocks(config: PlatformConfig): Promise<Built> {
    return withoutSourceMaps(async () => {
        const capture = await startCapture(config.stack);
        const platform = buildPlatform(config);
        await settle();
        return { platform, capture, config };
    });
}

/** Builds the committed stack (`dev`, `prod`) or a review stack (`pr-1`), with config overrides. */
export function buildStack(stack: string, overrides: Record<string, unknown> = {}): Promise<Built> {
    // Builds are deterministic and captures are read-only once settled, so suites share them:
    // the committed stacks are built once per process instead of once per suite, and overrides
    // that leave the stack's values as they are (a section repeated as committed) share its build.
    const values = withOverrides(stack, overrides);
    const key = `${stack} ${JSON.stringify(values)}`;
    let built = builds.get(key);
    if (!built) {
        built = buildUnderMocks(parseConfig({ project: PROJECT, stack, values }));
        builds.set(key, built);
    }
    return built;
}

const builds = new Map<string, Promise<Built>>();

/** Resolves an Output (or plain value) under mocks. */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => { resolve(v as T); return v; }));
}

/** A container's environment by variable name (each entry as declared: value or valueFrom). */
export function envOf(container: { env: Array<{ name: string }> }): Record<string, any> {
    return Object.fromEntries(container.env.map((e) => [e.name, e]));
}

/** A LabelSelector against a pod's labels, as the API server matches it. */
export function selects(selector: any, labels: Record<string, string>): boolean {
    const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const byExpression = (selector.matchExpressions ?? []).every((e: any) => {
        const has = e.key in labels;
        switch (e.operator) {
            case "In": return has && e.values.includes(labels[e.key]);
            case "NotIn": return !has || !e.values.includes(labels[e.key]);
            case "Exists": return has;
            case "DoesNotExist": return !has;
            default: throw new Error(`operator ${e.operator}`);
        }
    });
    return byLabel && byExpression;
}
