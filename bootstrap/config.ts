/**
 * The bootstrap project's configuration: a handful of flat keys under `platform-bootstrap:`,
 * parsed and checked before any resource is registered. Every problem is reported at once, each
 * naming the key, the value received, the rule and the `pulumi config set` command that fixes it.
 *
 * The error is the platform's ConfigError (components/config/engine.ts), a `pulumi.RunError`, whose
 * message is what `pulumi up` prints (any other error is printed as `util.inspect` of the object by
 * the Node runtime); it has no field named `stack` (that would replace `Error.stack`).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError, formatProblems as formatPlatformProblems, type ConfigProblem } from "../components/config/engine";

export const BOOTSTRAP_PROJECT = "platform-bootstrap";

/** The GitHub environments the deploy workflow's jobs run in (their OIDC `sub` names them). */
export const DEV_ENVIRONMENT = "dev";
export const PROD_ENVIRONMENT = "prod";
export const REVIEW_ENVIRONMENT = "review";

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
// GitHub: 1-39 alphanumerics or single hyphens, not at either end.
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
// GitHub repository names: letters, digits, `.`, `-`, `_`, at most 100; not `.` or `..`.
const GITHUB_REPOSITORY = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
// Pulumi project and stack names as the platform uses them in resource names (lowercase words).
const NAME_WORD = /^[a-z][a-z0-9-]{0,19}$/;
// S3 general purpose bucket names (no dots: virtual-host TLS certificates do not cover them).
const BUCKET_NAME = /^(?!xn--)(?!sthree-)(?!amzn-s3-demo-)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

interface Setting<T extends z.ZodType> {
    readonly schema: T;
    /** What it does (bootstrap/README.md lists the same keys). */
    readonly doc: string;
    /** What is allowed, for messages. */
    readonly rule: string;
    /** A valid value for the fix command. */
    readonly example: unknown;
}

const setting = <T extends z.ZodType>(schema: T, doc: string, rule: string, example: unknown): Setting<T> => ({ schema, doc, rule, example });

/** Every key of the bootstrap project, in the order the README documents them. */
export const SETTINGS = {
    githubOwner: setting(z.string().regex(GITHUB_OWNER),
        "GitHub organisation or user that owns the platform repository (as GitHub spells it: the OIDC subject is compared case-sensitively).",
        "a GitHub owner name: 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen", "acme"),
    githubRepository: setting(z.string().regex(GITHUB_REPOSITORY),
        "The platform repository's name (without the owner).",
        "a GitHub repository name: 1 to 100 letters, digits, '.', '-' or '_'", "platform"),
    platformProject: setting(z.string().regex(NAME_WORD).default("platform"),
        "The platform's Pulumi project name (its Pulumi.yaml `name`): the prefix of every platform resource name and the state path `.pulumi/stacks/<project>/`.",
        "a lowercase Pulumi project name of up to 20 letters, digits or hyphens, starting with a letter", "platform"),
    devStack: setting(z.string().regex(NAME_WORD).default("dev"),
        "The platform's dev stack: the dev deploy role manages its IAM roles and state, the review role reaches its cluster and ECR repository.",
        "a lowercase stack name of up to 20 letters, digits or hyphens, starting with a letter", "dev"),
    prodStack: setting(z.string().regex(NAME_WORD).default("prod"),
        "The platform's prod stack: the prod deploy role manages its IAM roles and state.",
        "a lowercase stack name of up to 20 letters, digits or hyphens, starting with a letter, other than devStack", "prod"),
    extraDeployRegions: setting(z.array(z.string().regex(AWS_REGION)).max(5).default([]),
        "Regions the deploy roles may act in besides aws:region, e.g. the prod stack's `platform:database.backupPlan.copyRegion`.",
        "a list of up to 5 AWS regions such as [\"us-west-2\"], without aws:region", ["us-west-2"]),
    // A first create of the platform (EKS, node groups, RDS multi-AZ, ElastiCache, Helm releases)
    // takes 35-45 minutes and a prod job runs two previews around it; a slow multi-AZ RDS create
    // (up to 20 minutes) or a retry pushes it further. 4 hours covers that with room, and the
    // credentials still expire the same afternoon. A job cannot outlive them: role-duration-seconds
    // may ask for at most this.
    maxSessionHours: setting(z.int().min(1).max(12).default(4),
        "MaxSessionDuration of every role: the longest a workflow job's credentials can last (`role-duration-seconds` may ask for up to this).",
        "an integer from 1 to 12 (IAM's range for MaxSessionDuration, in hours)", 4),
    stateBackend: setting(z.enum(["s3", "pulumi-cloud"]).default("s3"),
        "Where the platform's Pulumi state lives: \"s3\" creates the versioned, KMS-encrypted, TLS-only state bucket and the secrets-provider key; \"pulumi-cloud\" creates neither (backendUrl and secretsProvider are then absent).",
        "one of \"s3\", \"pulumi-cloud\"", "s3"),
    stateBucketName: setting(z.string().regex(BUCKET_NAME).optional(),
        "Name of the state bucket; unset: `<platformProject>-state-<account id>-<region>` (S3 names are global; the account id keeps it unique).",
        "an S3 bucket name: 3 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit (no dots)", "acme-platform-state"),
    stateVersionRetentionDays: setting(z.int().min(1).max(3650).default(90),
        "Days a superseded version of a state object is kept (every update writes new versions; old ones are how a broken state is restored).",
        "an integer from 1 to 3650", 90),
    existingOidcProviderArn: setting(z.string().regex(OIDC_PROVIDER_ARN).optional(),
        "ARN of the account's GitHub OIDC provider when one already exists (an account has at most one per URL); unset creates it.",
        "the ARN of an IAM OIDC provider for token.actions.githubusercontent.com", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
} as const;

type Settings = typeof SETTINGS;
type Parsed = { [K in keyof Settings]: z.output<Settings[K]["schema"]> };

export interface BootstrapConfig extends Parsed {
    readonly stack: string;
    /** From `aws:region`. */
    readonly region: string;
}

export type { ConfigProblem };

/** The platform's ConfigError (a `pulumi.RunError`, no `stack` field) under the bootstrap's heading. */
export class BootstrapConfigError extends ConfigError {
    constructor(stackName: string, problems: readonly ConfigProblem[]) {
        super(stackName, problems, BOOTSTRAP_HEADING);
        this.name = "BootstrapConfigError";
    }
}

const BOOTSTRAP_HEADING = "Bootstrap stack";

export const formatProblems = (stackName: string, problems: readonly ConfigProblem[]): string =>
    formatPlatformProblems(stackName, problems, BOOTSTRAP_HEADING);

/** The command that sets a key: lists element by element with --path (Pulumi has no JSON mode). */
export function setCommand(key: string, value: unknown): string {
    if (Array.isArray(value)) {
        return [`pulumi config rm '${key}'`, ...value.map((v, i) => `pulumi config set --path '${key}[${i}]' ${quote(String(v))}`)].join(" && ");
    }
    return `pulumi config set '${key}' ${quote(String(value))}`;
}

const quote = (text: string) => (/^[\w./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`);

const key = (name: string) => `${BOOTSTRAP_PROJECT}:${name}`;

/** Pulumi hands scalars over as text and lists as JSON text. */
function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/**
 * Parses the stack's config (`namespace:key` to text, as `pulumi.runtime.allConfig()` returns
 * it). Throws a BootstrapConfigError listing every problem.
 */
export function parseBootstrapConfig(stack: string, values: Readonly<Record<string, string>>): BootstrapConfig {
    const problems: ConfigProblem[] = [];
    const region = values["aws:region"];
    if (region === undefined || !AWS_REGION.test(region)) {
        problems.push({ key: "aws:region", value: region, rule: "the AWS region of the account's platform, such as us-east-1", fix: "pulumi config set aws:region us-east-1" });
    }
    const known = Object.keys(SETTINGS);
    for (const fullKey of Object.keys(values)) {
        const [namespace, ...rest] = fullKey.split(":");
        const name = rest.join(":");
        if (namespace === BOOTSTRAP_PROJECT && !known.includes(name)) {
            problems.push({
                key: fullKey, value: decode(values[fullKey]),
                rule: `unknown setting; known settings: ${known.join(", ")}`,
                fix: `pulumi config rm '${fullKey}'`,
            });
        }
    }
    const parsed: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(SETTINGS)) {
        const text = values[key(name)];
        const raw = text === undefined ? undefined : decode(text);
        // Config values arrive as text: a string setting keeps what was typed ("1234" stays text).
        const input = text !== undefined && isStringSchema(s.schema) ? text : raw;
        const result = s.schema.safeParse(input);
        if (result.success) parsed[name] = result.data;
        else problems.push({ key: key(name), value: raw, rule: s.rule, fix: setCommand(key(name), s.example) });
    }
    const config = { ...(parsed as Parsed), stack, region: region ?? "" };
    if (problems.length === 0) problems.push(...crossFieldProblems(config));
    if (problems.length > 0) throw new BootstrapConfigError(stack, problems);
    return config;
}

function isStringSchema(schema: z.ZodType): boolean {
    let def = (schema as any)._zod.def;
    while (def.type === "default" || def.type === "optional") def = def.innerType._zod.def;
    return def.type === "string";
}

function crossFieldProblems(c: BootstrapConfig): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    if (c.prodStack === c.devStack) {
        out.push({ key: key("prodStack"), value: c.prodStack, rule: SETTINGS.prodStack.rule, fix: setCommand(key("prodStack"), "prod") });
    }
    // The CI roles are named <project>-ci-<job>; a stack named "ci" would put its roles among them.
    for (const name of ["devStack", "prodStack"] as const) {
        if (c[name] === "ci") out.push({ key: key(name), value: "ci", rule: `${SETTINGS[name].rule}, not "ci" (the CI roles are named <platformProject>-ci-*)`, fix: setCommand(key(name), SETTINGS[name].example) });
    }
    if (c.extraDeployRegions.includes(c.region)) {
        out.push({
            key: key("extraDeployRegions"), value: c.extraDeployRegions, rule: SETTINGS.extraDeployRegions.rule,
            fix: setCommand(key("extraDeployRegions"), c.extraDeployRegions.filter((r) => r !== c.region)),
        });
    }
    if (c.stateBackend === "pulumi-cloud" && c.stateBucketName !== undefined) {
        out.push({
            key: key("stateBucketName"), value: c.stateBucketName,
            rule: "only with stateBackend \"s3\" (Pulumi Cloud keeps the state; no bucket is created)",
            fix: `pulumi config rm '${key("stateBucketName")}'`,
        });
    }
    return out;
}

/** Reads the running stack's config through the Pulumi runtime and parses it. */
export function loadBootstrapConfig(): BootstrapConfig {
    return parseBootstrapConfig(pulumi.getStack(), pulumi.runtime.allConfig());
}
