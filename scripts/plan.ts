/**
 * The offline plan: runs the real program (index.ts) under Pulumi mocks with a stack's config
 * file — no AWS account, no Pulumi CLI — and prints what `pulumi up` would create, grouped by
 * component, with counts by type and the component's settings. The full list (type, name, parent,
 * provider, inputs with secrets masked, dependencies) goes to a JSON file so that two plans can be
 * compared with any diff tool.
 *
 *   npm run plan -- dev                  # prints the plan, writes .plan/dev.json
 *   npm run plan -- pr-1 --out /tmp/p.json
 *   npm run plan -- prod --quiet         # summary only
 *   npm run plan -- dev --diff /tmp/base.json   # markdown diff against another plan (PR comment)
 *
 * After the capture, the policy pack (policy/) is evaluated on the captured resources, served and
 * driven as `pulumi preview --policy-pack policy` does (scripts/plan/evaluate-policy.ts), and
 * scripts/plan/report.ts renders the Kubernetes objects to .plan/<stack>/ and prints the monthly
 * cost, the critical paths of `pulumi up` and `pulumi destroy` (docs/estimates.md) and the pack's
 * verdict.
 *
 * Exit status: 0; 1 for a bad config (the same messages `pulumi up` prints) or a failure; 2 for bad
 * arguments; 3 when the policy pack reports a mandatory violation (after printing everything).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, loadConfig, type PlatformConfig } from "../components/config";
import { checkPackConfigNames, PackServer, packConfigFor } from "../policy/analyzer";
import { readStackValues, ROOT, settle, startCapture, withoutSourceMaps, type Capture, type CapturedResource } from "../test/harness";
import { planResources } from "./plan/document";
import { policyVerdict } from "./plan/evaluate-policy";
import { report } from "./plan/report";

interface Options {
    stack: string;
    configFile?: string;
    out: string;
    quiet: boolean;
    diff?: string;
    policyConfig?: string;
}

function parseArgs(argv: string[]): Options {
    const positional: string[] = [];
    let out: string | undefined;
    let quiet = false;
    let configFile: string | undefined;
    let diff: string | undefined;
    let policyConfig: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--out") out = argv[++i];
        else if (a === "--quiet") quiet = true;
        else if (a === "--config-file") configFile = argv[++i];
        else if (a === "--diff") diff = argv[++i] ?? fail("--diff needs the other plan's JSON file");
        else if (a === "--policy-config") policyConfig = argv[++i] ?? fail("--policy-config needs a policy pack config JSON file (like policy/config/prod.json)");
        else if (a === "--help" || a === "-h") {
            console.log("usage: npm run plan -- <stack> [--out FILE] [--quiet] [--config-file FILE] [--diff OTHER.json] [--policy-config FILE]\n  <stack>: dev, prod, or pr-<number> (a review stack)\n  --config-file: read this stack file instead of Pulumi.<stack>.yaml (try a change before committing it)\n  --diff: compare with another plan JSON (e.g. main's): markdown to stdout and .plan/<stack>.diff.md\n  --policy-config: evaluate the policy pack with this pack config (default: policy/config/prod.json for prod, the pack's defaults otherwise)\nexit status: 0 ok, 1 bad config or failure, 2 bad arguments, 3 a mandatory policy violation (printed)");
            process.exit(0);
        } else if (a.startsWith("-")) fail(`unknown option ${a}; usage: npm run plan -- <stack> [--out FILE] [--quiet] [--config-file FILE] [--diff OTHER.json] [--policy-config FILE]`);
        else positional.push(a);
    }
    if (positional.length > 1) fail(`one stack at a time, got ${positional.join(", ")}`);
    const stack = positional[0] ?? "dev";
    return { stack, configFile, out: out ?? path.join(ROOT, ".plan", `${stack}.json`), quiet, diff, policyConfig };
}

function fail(message: string): never {
    console.error(`plan: ${message}`);
    process.exit(2);
}

/** The config section each component is built from, by component class (`platform:<area>:<Class>`). */
const SETTINGS_OF: Record<string, (c: PlatformConfig) => unknown> = {
    Network: (c) => c.network,
    Cluster: (c) => c.cluster,
    Database: (c) => ({ ...c.database, backupPlan: undefined }),
    DatabaseBackup: (c) => c.database.backupPlan,
    Cache: (c) => c.cache,
    Secrets: (c) => c.secrets,
    ExternalSecrets: (c) => c.secrets,
    Observability: (c) => c.observability,
    AppImage: (c) => c.app,
    Workload: (c) => c.app,
};

function settingsOf(config: PlatformConfig, component: CapturedResource): unknown {
    const [, area, className] = component.type.split(":");
    const pick = SETTINGS_OF[className];
    return pick ? pick(config) : (config as unknown as Record<string, unknown>)[area];
}

function flatten(value: unknown, prefix = ""): Array<[string, string]> {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return Object.entries(value).filter(([, v]) => v !== undefined).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
    }
    return [[prefix, JSON.stringify(value)]];
}

function summarize(capture: Capture, config: PlatformConfig, quiet: boolean): string {
    const lines: string[] = [];
    const groups = new Map<string, { root: CapturedResource; members: CapturedResource[] }>();
    for (const r of capture.resources) {
        const root = capture.componentOf(r);
        const group = groups.get(root.urn) ?? { root, members: [] };
        if (r !== root || root.custom) group.members.push(r);
        groups.set(root.urn, group);
    }
    const custom = capture.resources.filter((r) => r.custom);
    lines.push(`Stack ${config.stack} (${config.environment}) in ${config.region}: ${custom.length} resources would be created, in ${groups.size} groups.`);
    lines.push(`protect (deletion protection, final snapshots): ${config.protect}`);
    for (const { root, members } of groups.values()) {
        const resources = members.filter((m) => m.custom);
        lines.push("");
        lines.push(`${root.name}  [${root.type}]  ${resources.length} resource${resources.length === 1 ? "" : "s"}`);
        const counts = new Map<string, number>();
        for (const m of resources) counts.set(m.type, (counts.get(m.type) ?? 0) + 1);
        for (const [type, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(`    ${String(n).padStart(3)}  ${type}`);
        const settings = root.custom ? undefined : settingsOf(config, root);
        if (settings !== undefined) {
            lines.push("  settings:");
            for (const [k, v] of flatten(settings)) lines.push(`    ${k} = ${v}`);
        }
        if (!quiet) {
            lines.push("  resources:");
            for (const m of resources) lines.push(`    ${m.type}  ${m.name}`);
        }
    }
    return lines.join("\n");
}

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2));
    let stackValues: ReturnType<typeof readStackValues>;
    try {
        stackValues = readStackValues(options.stack, options.configFile);
    } catch (e) {
        fail((e as Error).message);
    }
    // A bad --policy-config stops here, before the program runs.
    if (options.policyConfig !== undefined) {
        try {
            checkPackConfigNames(packConfigFor("", options.policyConfig).config);
        } catch (e) {
            fail((e as Error).message);
        }
    }
    // The build with source maps off (test/harness.ts withoutSourceMaps: the SDK's unread stack traces).
    const { capture, config, packServing } = await withoutSourceMaps(async () => {
        const capture = await startCapture(options.stack, stackValues.values, stackValues.secretKeys);
        let config: PlatformConfig;
        let packServing: Promise<PackServer>;
        try {
            // Parsed here for the settings the summary prints (index.ts exports only stack outputs, and
            // exporting the config would make it one); the program then parses it again, exactly as
            // `pulumi up` does. Parsing takes milliseconds. A bad config stops here, before the
            // pack's server starts.
            config = loadConfig();
            // The pack's server starts in a child process while the program runs here (about 2 s of the other core).
            packServing = PackServer.start();
            require("../index");
        } catch (e) {
            if (e instanceof ConfigError) {
                console.error(e.message);
                process.exit(1);
            }
            throw e;
        }
        await settle();
        return { capture, config, packServing };
    });
    const pack = await packServing;
    let policy: Awaited<ReturnType<typeof policyVerdict>>;
    try {
        policy = await policyVerdict(pack, capture.resources, config.environment, options.policyConfig);
    } catch (e) {
        pack.stop();
        fail((e as Error).message);
    }
    pack.stop();

    console.log(`Offline plan of stack "${options.stack}" from ${stackValues.source} (Pulumi mocks: no AWS calls, computed values are placeholders).`);
    console.log(summarize(capture, config, options.quiet));

    const document = {
        stack: options.stack,
        source: stackValues.source,
        config,
        resources: planResources(capture.resources),
        policy,
    };
    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    const planJson = JSON.stringify(document, null, 2) + "\n";
    fs.writeFileSync(options.out, planJson);
    console.log(`\nFull plan written to ${path.relative(process.cwd(), options.out) || options.out}`);
    // The estimates read exactly what the file holds (secrets masked), as --diff reads the other plan.
    report(JSON.parse(planJson), options);
    if (policy.mandatory.length > 0) process.exitCode = 3;
}

// `npm run plan -- dev | head` closes the pipe early: that is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
});

process.on("unhandledRejection", (e) => {
    console.error(`plan: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
});

if (require.main === module) {
    main().catch((e) => {
        console.error(`plan: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        process.exit(1);
    });
}
