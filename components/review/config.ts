/**
 * The review layer's config sections: `platform:review` (what a `pr-<number>` stack is: a
 * namespace on the dev cluster, or a full copy of the platform) and `platform:reviewEnvironments`
 * (whether the dev stack hosts review namespaces, and under which domain).
 */
import { z } from "zod";
import * as pulumi from "@pulumi/pulumi";
import { field, formatProblems, problem, type ConfigProblem, type Rule } from "../config/engine";

export const REVIEW_MODES = ["shared", "full"] as const;
export type ReviewMode = (typeof REVIEW_MODES)[number];

/** A fully qualified Pulumi stack name: `<organization>/<project>/<stack>`. */
export const FULLY_QUALIFIED_STACK = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;

/** An RFC 1123 label (Kubernetes namespace names, DNS labels): lowercase alphanumerics and `-`, at most 63. */
export const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_LABEL_LENGTH = 63;
/**
 * The longest review stack name: it is the namespace and the host label (at most 63), and the
 * image tag `<stack>-<16 hex>` names the migration Job `orders-migrate-<tag>`, whose name must be
 * a label too (the Job controller puts it in the pods' job-name label): 63 - 15 - 1 - 16 = 31,
 * so pull request numbers up to 28 digits.
 */
export const MAX_REVIEW_STACK_LENGTH = MAX_LABEL_LENGTH - "orders-migrate-".length - 1 - 16;

/** A DNS domain of lowercase labels, such as review.example.com. */
const DOMAIN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$/;

export const reviewSchema = z.strictObject({
    mode: field(z.enum(REVIEW_MODES), {
        doc: 'What a review stack is: "shared" (a namespace pr-<number> on the dev cluster with an in-namespace PostgreSQL and Valkey; minutes and a few dollars) or "full" (a complete copy of the platform: VPC, EKS, RDS, ElastiCache; the pull request label full-review-stack). Only read on stacks with environment "review".',
        rule: 'one of "shared", "full"',
    }).default("shared"),
    platformStack: field(z.string().refine((v) => v === "" || FULLY_QUALIFIED_STACK.test(v)), {
        doc: "The fully qualified stack whose cluster hosts the review namespace (its outputs: kubeconfig, ECR repository, OTLP endpoint, storage class, review domain). Required in shared mode; the workflow sets it.",
        rule: 'a fully qualified stack name <organization>/<project>/<stack>, such as "acme/platform/dev" ("" only in full mode)',
        example: "acme/platform/dev",
    }).default(""),
    ttlHours: field(z.int().min(1).max(720), {
        doc: "Hours after which the review sweeper (.github/workflows/review-sweeper.yml) destroys the stack if its pull request is still open and idle.",
        rule: "an integer from 1 to 720 (30 days)",
    }).default(72),
});

export type ReviewConfig = z.output<typeof reviewSchema>;

export const reviewEnvironmentsSchema = z.strictObject({
    enabled: field(z.boolean(), {
        doc: "This stack hosts shared-mode review namespaces: installs the CloudNativePG operator and exports what review stacks read (kubeconfig, ECR repository, OTLP endpoint, storage class, review ALB group).",
        rule: "true or false",
    }).default(false),
    domain: field(z.string().refine((v) => v === "" || DOMAIN.test(v)), {
        doc: 'Domain of the review hosts: pr-<number>.<domain> on one internet-facing ALB shared by every review namespace (an IngressGroup); "" for none (reviewers use kubectl port-forward). Its DNS (a wildcard record to the ALB) and ACM certificate are managed outside this program. A shared-mode review stack sets its platform stack\'s domain here (it must equal that stack\'s reviewDomain output): whether the Ingress exists is decided before any output resolves.',
        rule: 'a DNS domain such as "review.example.com", or ""',
        example: "review.example.com",
    }).default(""),
});

export type ReviewEnvironmentsConfig = z.output<typeof reviewEnvironmentsSchema>;

interface ReviewRuleInput {
    readonly stack: string;
    readonly environment: string;
    readonly review: ReviewConfig;
    readonly reviewEnvironments: ReviewEnvironmentsConfig;
}

/** True when this stack is a namespace on another stack's cluster. */
export function isSharedReview(c: { readonly environment: string; readonly review: ReviewConfig }): boolean {
    return c.environment === "review" && c.review.mode === "shared";
}

export const reviewRules: Rule<ReviewRuleInput>[] = [
    (c, p) => {
        if (!isSharedReview(c)) return [];
        const out: ConfigProblem[] = [];
        if (c.review.platformStack === "") {
            out.push(problem(p, ["review", "platformStack"], "", 'required in shared mode: the fully qualified stack whose cluster hosts the review namespace, such as "acme/platform/dev"', "<organization>/platform/dev"));
        }
        if (/prod$/i.test(c.stack)) {
            out.push({
                key: `${p}:review.mode`,
                value: "shared",
                rule: `a stack whose name ends in prod ("${c.stack}") never runs as a review namespace on another stack's cluster`,
                fix: `pulumi stack select <a pr-<number> stack>  # or: pulumi config set --path '${p}:review.mode' full`,
            });
        }
        if (c.stack.length > MAX_REVIEW_STACK_LENGTH || !RFC1123_LABEL.test(c.stack)) {
            out.push({
                key: `${p}:review.mode`,
                value: "shared",
                rule: `the stack name is the review namespace, the host label and the image tag (migration Job orders-migrate-<stack>-<hash>): lowercase letters, digits and "-", at most ${MAX_REVIEW_STACK_LENGTH} characters; "${c.stack}" has ${c.stack.length}`,
                fix: `pulumi stack init pr-<number>  # a pull request number of at most ${MAX_REVIEW_STACK_LENGTH - 3} digits`,
            });
        }
        return out;
    },
    // The host side: a domain without the review environments would be silently ignored. A review
    // stack sets the domain of its platform stack instead (checked against its reviewDomain output).
    (c, p) => c.environment !== "review" && c.reviewEnvironments.domain !== "" && !c.reviewEnvironments.enabled
        ? [problem(p, ["reviewEnvironments", "enabled"], false, "true when reviewEnvironments.domain is set (the domain serves the review namespaces this stack hosts)", true)]
        : [],
    // Review namespaces are hosted by a dev-like stack only: never on prod's cluster.
    (c, p) => c.reviewEnvironments.enabled && c.environment !== "dev"
        ? [problem(p, ["reviewEnvironments", "enabled"], true, `only on a stack with environment "dev" (review code from pull requests never runs on the ${c.environment} cluster)`, false)]
        : [],
];

/**
 * The checks made when the platform stack's outputs resolve, before anything of the review stack is
 * registered: its `environment` output must be "dev" (or "review": a full review copy hosting
 * namespaces), never "prod", never missing; its `reviewDomain` output must be this stack's domain.
 */
export function platformStackProblems(platformStack: string, outputs: { readonly environment: unknown; readonly reviewDomain: unknown }, domain: string): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const environment = outputs.environment;
    if (environment !== "dev" && environment !== "review") {
        const found = environment === undefined ? "the stack has no environment output" : `its environment output is ${JSON.stringify(environment)}`;
        out.push({
            key: "platform:review.platformStack",
            value: platformStack,
            rule: `a stack whose environment output is "dev" (${found}): pull-request code never runs on a production cluster, nor on one that does not say what it is`,
            fix: "pulumi config set --path 'platform:review.platformStack' <organization>/platform/dev",
        });
    }
    const theirs = typeof outputs.reviewDomain === "string" ? outputs.reviewDomain : "";
    if (theirs !== domain) {
        out.push({
            key: "platform:reviewEnvironments.domain",
            value: domain,
            rule: `must equal the platform stack's reviewDomain output ("${theirs}"): the Ingress joins that stack's review ALB`,
            fix: `pulumi config set --path 'platform:reviewEnvironments.domain' '${theirs}'`,
        });
    }
    return out;
}

/**
 * The refusal of a platform stack, raised once when its outputs resolve. A RunError: Pulumi prints
 * its message alone. The message stays as written: the SDK prefixes `error serializing property
 * "<key>": ` to a rejection's message each time an input that carries it is serialized (the same
 * object, runtime/rpc.js, so that its handler reports it once), which would bury the problems.
 */
export class PlatformStackError extends pulumi.RunError {
    constructor(readonly stack: string, readonly problems: readonly ConfigProblem[]) {
        const [, ...lines] = formatProblems(stack, problems).split("\n");
        const text = [`Stack "${stack}" has ${problems.length} problem${problems.length === 1 ? "" : "s"} with its platform stack; nothing was created.`, ...lines].join("\n");
        super(text);
        this.name = "PlatformStackError";
        Object.defineProperty(this, "message", { get: () => text, set: () => undefined, enumerable: false, configurable: true });
    }
}
