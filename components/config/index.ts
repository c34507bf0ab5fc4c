/**
 * The one configuration schema of the platform, assembled from each layer's section.
 *
 * Every setting of every component is declared in its layer's `config.ts` (components/network,
 * cluster, data, observability, delivery), with its default, its rule and a one-line
 * description (the README's config reference is generated from these). Stack files
 * (`Pulumi.<stack>.yaml`) hold the values each environment decides, so reading the dev and prod
 * files side by side shows every difference between the environments.
 *
 * The defaults are the cheapest values that still destroy cleanly: they are what an ephemeral
 * review stack (`pr-<number>`, no committed file) runs with.
 *
 * Parsing collects every problem of every section and cross-field rule, then fails once with one
 * message per problem: the key, the value received, the rule, and the `pulumi config set` command
 * that fixes it. Nothing is registered before the config is valid.
 */
import { z } from "zod";
import { appRules, appSchema } from "../delivery/config";
import { clusterRules, clusterSchema } from "../cluster/config";
import { cacheSchema, databaseClientRules, databaseSchema, dataRules, secretsSchema } from "../data/config";
import { networkRules, networkSchema } from "../network/config";
import { observabilityRules, observabilitySchema } from "../observability/config";
import { reviewEnvironmentsSchema, reviewRules, reviewSchema } from "../review/config";
import {
    AWS_REGION, ConfigError, decode, dedupe, describeSchema, maskSecret, problemFromIssue, shapeOf, SkipRule,
    type ConfigProblem, type Rule,
} from "./engine";
import { productionAppRules, productionGuardRails } from "./guard-rails";
import { crossSectionRules, observabilityFitRules } from "./rules";
import { ENVIRONMENTS, stackSettings, type Environment, type StackIdentity } from "./stack";

export { ENVIRONMENTS, type Environment };
export { ConfigError, InputError, type ConfigProblem } from "./engine";

export const PROJECT = "platform";

// ---------------------------------------------------------------------------------------------
// The whole stack: its own settings, then one section per layer.
// ---------------------------------------------------------------------------------------------

const topLevelSchema = z.strictObject({
    ...stackSettings,
    network: networkSchema.prefault({}),
    // {} lacks the required cluster.deployerPrincipalArn: parsed anyway, so its absence is reported.
    cluster: clusterSchema.prefault({} as z.input<typeof clusterSchema>),
    database: databaseSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    secrets: secretsSchema.prefault({}),
    observability: observabilitySchema.prefault({}),
    app: appSchema.prefault({}),
    review: reviewSchema.prefault({}),
    reviewEnvironments: reviewEnvironmentsSchema.prefault({}),
});

type Sections = z.output<typeof topLevelSchema>;

export interface PlatformConfig extends Sections, Omit<StackIdentity, keyof Sections> {}

/**
 * Every rule, in the order their problems are listed: each layer's own, then those across
 * sections, then the production guard rails.
 */
const rules: Rule<PlatformConfig>[] = [
    ...networkRules,
    ...clusterRules,
    ...dataRules,
    ...crossSectionRules,
    ...observabilityRules,
    ...observabilityFitRules,
    ...productionGuardRails,
    ...appRules,
    ...productionAppRules,
    ...databaseClientRules,
    ...reviewRules,
];

/** Every leaf setting with its key, default and documentation, in schema order. */
export function describeSettings(project = PROJECT): Array<{ key: string; default: unknown; doc: string; rule: string }> {
    return describeSchema(topLevelSchema, project);
}

// ---------------------------------------------------------------------------------------------
// Entry points.
// ---------------------------------------------------------------------------------------------

export interface RawStackConfig {
    readonly project: string;
    readonly stack: string;
    /**
     * Every config value of the stack keyed as Pulumi does (`aws:region`, `platform:network`),
     * values as Pulumi returns them: JSON text for objects, plain strings for scalars.
     */
    readonly values: Readonly<Record<string, string>>;
    /** Keys set with `--secret`: their values never appear in messages. */
    readonly secretKeys?: readonly string[];
}

/**
 * Parse and check a stack's whole configuration. Throws a ConfigError listing every problem;
 * returns the typed config with defaults applied.
 */
export function parseConfig(raw: RawStackConfig): PlatformConfig {
    const { project, stack } = raw;
    const problems: ConfigProblem[] = [];
    const input: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw.values)) {
        const [namespace, ...rest] = fullKey.split(":");
        if (namespace !== project) continue;
        input[rest.join(":")] = decode(text);
    }

    const region = raw.values["aws:region"];
    if (!region || !AWS_REGION.test(region)) {
        problems.push({
            key: "aws:region",
            value: region,
            rule: "the AWS region of the stack, such as us-east-1 or eu-west-1",
            fix: "pulumi config set aws:region us-east-1",
        });
    }

    // Parse each section on its own so that a problem in one does not hide those of another.
    const shape = shapeOf(topLevelSchema)!;
    const parsed: Record<string, unknown> = {};
    const unknownTop = Object.keys(input).filter((k) => !(k in shape));
    if (unknownTop.length > 0) {
        problems.push(...problemFromIssue(topLevelSchema, project, input, { code: "unrecognized_keys", keys: unknownTop, path: [], message: "" } as any));
    }
    for (const [name, schema] of Object.entries(shape)) {
        const result = schema.safeParse(input[name], { reportInput: true });
        if (result.success) parsed[name] = result.data;
        else {
            for (const issue of result.error.issues) {
                problems.push(...problemFromIssue(topLevelSchema, project, input, { ...issue, path: [name, ...issue.path] } as z.core.$ZodIssue));
            }
        }
    }
    // Cross-field rules run on whatever parsed, so one run reports as much as it can; a rule that
    // needs a section that did not parse is skipped (its field problems are already listed).
    const config = new Proxy({ ...(parsed as Sections), project, stack, region: region ?? "" } as PlatformConfig, {
        get(target, prop, receiver) {
            if (typeof prop === "string" && prop in shape && !(prop in parsed)) throw new SkipRule();
            return Reflect.get(target, prop, receiver);
        },
    });
    for (const rule of rules) {
        try {
            problems.push(...rule(config, project));
        } catch (e) {
            if (!(e instanceof SkipRule)) throw e;
        }
    }
    if (problems.length > 0) throw new ConfigError(stack, dedupe(problems).map((p) => maskSecret(p, raw.secretKeys ?? [])));
    return { ...(parsed as Sections), project, stack, region: region! };
}


/**
 * Reads the running stack's configuration through the Pulumi runtime (what `pulumi up` and the
 * offline plan both do) and parses it.
 */
export function loadConfig(): PlatformConfig {
    // Imported lazily so the schema stays usable without a Pulumi runtime (docs, pure tests).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const values = pulumi.runtime.allConfig();
    // isConfigSecret is exported by the runtime but not declared in its typings.
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return parseConfig({
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        values,
        secretKeys: isSecret ? Object.keys(values).filter((k) => isSecret(k)) : [],
    });
}
