import * as assert from "node:assert/strict";
import { parseConfig, PROJECT } from "../../components/config";
import * as pulumi from "@pulumi/pulumi";
import { MAX_REVIEW_STACK_LENGTH, PlatformStackError, platformStackProblems } from "../../components/review/config";
import { configProblems, encode, readStackValues, refusesEach, stackConfig } from "../harness";

describe("review config", () => {
    it("defaults a review stack to shared mode on the template's platform stack, 72 hours", () => {
        const c = parseConfig({ project: PROJECT, stack: "pr-7", values: readStackValues("pr-7").values });
        assert.deepEqual(c.review, { mode: "shared", platformStack: "organization/platform/dev", ttlHours: 72 });
        assert.deepEqual(c.reviewEnvironments, { enabled: false, domain: "" });
    });

    it("has dev host the review namespaces, and nothing else", () => {
        assert.deepEqual(stackConfig("dev").reviewEnvironments, { enabled: true, domain: "" });
        assert.deepEqual(stackConfig("prod").reviewEnvironments, { enabled: false, domain: "" });
    });

    it(`names the longest review stack: ${MAX_REVIEW_STACK_LENGTH} characters (orders-migrate-<stack>-<16 hex> is a 63-character label)`, () => {
        assert.equal(MAX_REVIEW_STACK_LENGTH, 31);
        assert.equal(`orders-migrate-pr-${"9".repeat(28)}-0123456789abcdef`.length, 63);
        assert.deepEqual(configProblems(`pr-${"9".repeat(28)}`, { ...readStackValues("pr-1").values }), []);
        assert.deepEqual(configProblems("pr-999999", { ...readStackValues("pr-1").values }), []);
    });

    refusesEach([
        {
            title: "shared mode without a platform stack",
            overrides: { "platform:review": { mode: "shared", platformStack: "" } },
            problems: [{
                key: "platform:review.platformStack", value: "",
                rule: 'required in shared mode: the fully qualified stack whose cluster hosts the review namespace, such as "acme/platform/dev"',
                fix: "pulumi config set --path 'platform:review.platformStack' '<organization>/platform/dev'",
            }],
        },
        {
            title: "a platform stack that is not fully qualified",
            overrides: { "platform:review": { platformStack: "dev" } },
            problems: [{
                key: "platform:review.platformStack", value: "dev",
                rule: 'a fully qualified stack name <organization>/<project>/<stack>, such as "acme/platform/dev" ("" only in full mode)',
                fix: "pulumi config set --path 'platform:review.platformStack' acme/platform/dev",
            }],
        },
        {
            title: "an unknown mode",
            overrides: { "platform:review": { mode: "namespace", platformStack: "acme/platform/dev" } },
            problems: [{
                key: "platform:review.mode", value: "namespace", rule: 'one of "shared", "full"',
                fix: "pulumi config set --path 'platform:review.mode' shared",
            }],
        },
        {
            title: "a stack name ending in prod in shared mode",
            stack: "review-prod",
            overrides: { "platform:review": { mode: "shared", platformStack: "acme/platform/dev" } },
            problems: [{
                key: "platform:review.mode", value: "shared",
                rule: 'a stack whose name ends in prod ("review-prod") never runs as a review namespace on another stack\'s cluster',
                fix: "pulumi stack select <a pr-<number> stack>  # or: pulumi config set --path 'platform:review.mode' full",
            }],
        },
        {
            title: "a pull request number that makes the namespace's names too long",
            stack: `pr-${"1".repeat(29)}`,
            overrides: { "platform:review": { mode: "shared", platformStack: "acme/platform/dev" } },
            problems: [{
                key: "platform:review.mode", value: "shared",
                rule: 'the stack name is the review namespace, the host label and the image tag (migration Job orders-migrate-<stack>-<hash>): lowercase letters, digits and "-", at most 31 characters; "pr-11111111111111111111111111111" has 32',
                fix: "pulumi stack init pr-<number>  # a pull request number of at most 28 digits",
            }],
        },
        {
            title: "a TTL of zero hours",
            overrides: { "platform:review": { platformStack: "acme/platform/dev", ttlHours: 0 } },
            problems: [{
                key: "platform:review.ttlHours", value: 0, rule: "an integer from 1 to 720 (30 days)",
                fix: "pulumi config set --path 'platform:review.ttlHours' 72",
            }],
        },
    ]);

    it("accepts a stack ending in prod in full mode (it is a copy, not a tenant of dev)", () => {
        assert.deepEqual(configProblems("review-prod", { ...readStackValues("pr-1").values, ...encode({ "platform:review": { mode: "full" } }) }), []);
    });

    it("refuses review environments on a stack that is not dev, and a domain without them", () => {
        const prod = readStackValues("prod").values;
        const problems = configProblems("prod", { ...prod, ...encode({ "platform:reviewEnvironments": { enabled: true } }) });
        assert.deepEqual(problems, [{
            key: "platform:reviewEnvironments.enabled", value: true,
            rule: 'only on a stack with environment "dev" (review code from pull requests never runs on the prod cluster)',
            fix: "pulumi config set --path 'platform:reviewEnvironments.enabled' false",
        }]);
        const dev = readStackValues("dev").values;
        assert.deepEqual(configProblems("dev", { ...dev, ...encode({ "platform:reviewEnvironments": { domain: "review.example.com" } }) }), [{
            key: "platform:reviewEnvironments.enabled", value: false,
            rule: "true when reviewEnvironments.domain is set (the domain serves the review namespaces this stack hosts)",
            fix: "pulumi config set --path 'platform:reviewEnvironments.enabled' true",
        }]);
    });

    // The checks themselves; test/review/review-environment.test.ts drives them through the
    // StackReference under mocks ("refuses a platform stack ... creating nothing").
    it("accepts a dev (or review) platform stack with this stack's domain, and refuses prod, a missing or another environment, and another domain", () => {
        const ok = { environment: "dev", reviewDomain: undefined };
        assert.deepEqual(platformStackProblems("acme/platform/dev", ok, ""), []);
        assert.deepEqual(platformStackProblems("acme/platform/pr-1", { environment: "review", reviewDomain: "r.example.com" }, "r.example.com"), []);
        const environment = (value: string, found: string) => ({
            key: "platform:review.platformStack", value,
            rule: `a stack whose environment output is "dev" (${found}): pull-request code never runs on a production cluster, nor on one that does not say what it is`,
            fix: "pulumi config set --path 'platform:review.platformStack' <organization>/platform/dev",
        });
        assert.deepEqual(platformStackProblems("acme/platform/prod", { ...ok, environment: "prod" }, ""), [environment("acme/platform/prod", 'its environment output is "prod"')]);
        assert.deepEqual(platformStackProblems("acme/platform/x", { ...ok, environment: undefined }, ""), [environment("acme/platform/x", "the stack has no environment output")]);
        assert.deepEqual(platformStackProblems("acme/platform/x", { ...ok, environment: "staging" }, ""), [environment("acme/platform/x", 'its environment output is "staging"')]);
        assert.deepEqual(platformStackProblems("acme/platform/dev", ok, "review.example.com"), [{
            key: "platform:reviewEnvironments.domain", value: "review.example.com",
            rule: 'must equal the platform stack\'s reviewDomain output (""): the Ingress joins that stack\'s review ALB',
            fix: "pulumi config set --path 'platform:reviewEnvironments.domain' ''",
        }]);
    });

    it("raises the refusal as one RunError whose message the SDK cannot rewrite", () => {
        const error = new PlatformStackError("pr-7", platformStackProblems("acme/platform/prod", { environment: "prod", reviewDomain: undefined }, ""));
        const expected = [
            'Stack "pr-7" has 1 problem with its platform stack; nothing was created.',
            '  1. platform:review.platformStack = "acme/platform/prod"',
            '     rule: a stack whose environment output is "dev" (its environment output is "prod"): pull-request code never runs on a production cluster, nor on one that does not say what it is',
            "     fix:  pulumi config set --path 'platform:review.platformStack' <organization>/platform/dev",
        ].join("\n");
        assert.equal(error.message, expected);
        assert.ok(pulumi.RunError.isInstance(error), "Pulumi prints a RunError's message alone");
        // What @pulumi/pulumi runtime/rpc.js does to a rejection each time it serializes an input carrying it.
        error.message = `error serializing property "metadata": ${error.message}`;
        assert.equal(error.message, expected);
    });
});
