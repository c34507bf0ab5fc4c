/**
 * The real policy pack (policy/index.ts), served the way `pulumi preview --policy-pack policy` serves
 * it, and driven through the SDK's own analyzer: a child process runs the pack (so `new PolicyPack`
 * starts its gRPC server on loopback and prints the port), and the tests call GetAnalyzerInfo,
 * Configure, Analyze and AnalyzeStack as the engine does. Every argument a policy sees (the
 * unknown-checking proxy, getConfig, the enforcement level, the "can't run during preview"
 * downgrade) is therefore built by @pulumi/policy's server.js, not by a copy of it.
 *
 * What the engine does before Configure is emulated in `reconcile`: schema defaults, then the policy's
 * declared level, then "all", then the file's per-policy entries (pulumi/pulumi
 * sdk/go/common/resource/analyzer/config.go, ReconcilePolicyPackConfig).
 *
 * Used by the pack's tests (test/policy/) and by the offline plan (scripts/plan/verdict.ts), so the
 * plan's verdict is the tests' code path. Not imported by policy/index.ts: the pack does not need it.
 */
import * as grpc from "@grpc/grpc-js";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "./policies";

/** The pack's folder (the working directory `pulumi preview --policy-pack policy` runs it in). */
export const PACK_DIR = __dirname;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const analyzerpb = require("@pulumi/pulumi/proto/analyzer_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mapEnforcementLevel, convertEnforcementLevel } = require("@pulumi/policy/protoutil");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

/** The engine's sentinel for a string that is unknown at preview (sdk/go/common/resource/plugin/rpc.go). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Diagnostic {
    readonly policy: string;
    /** The SDK's message: the policy's description, a newline, then what reportViolation was given. */
    readonly message: string;
    readonly level: string;
    readonly urn: string;
}

export interface PolicyInfo {
    readonly name: string;
    readonly description: string;
    readonly level: string;
    readonly type: "resource" | "stack";
    readonly configSchema?: { properties: Record<string, any>; required?: string[] };
}

export interface StackResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Record<string, unknown>;
    readonly parent?: string;
    readonly dependencies?: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export type PackConfig = Record<string, string | Record<string, unknown>>;

function struct(value: unknown): any {
    // Struct.fromJavaScript drops nothing but rejects undefined: JSON round-trip as the engine's marshaller does.
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(value ?? {})));
}

export class PackServer {
    private constructor(private readonly child: ChildProcess, private readonly client: any) {}

    private infoCache?: PolicyInfo[];

    static async start(): Promise<PackServer> {
        const child = spawn(process.execPath, ["--import", "tsx", "index.ts"], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
        // The served pack never exits by itself (its gRPC server keeps it alive): it goes with its client.
        const reap = () => child.kill();
        process.on("exit", reap);
        child.on("exit", () => process.off("exit", reap));
        let stderr = "";
        child.stderr!.on("data", (d) => { stderr += d; });
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            child.stdout!.on("data", (d) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(Number(m[1]));
            });
            child.on("exit", (code) => reject(new Error(`the policy pack exited with ${code} before serving: ${stderr}`)));
        });
        const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PackServer(child, client);
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }

    private call<T>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) => this.client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));
    }

    async info(): Promise<PolicyInfo[]> {
        if (this.infoCache) return this.infoCache;
        const resp: any = await this.call("getAnalyzerInfo", new analyzerrpc.AnalyzerService.getAnalyzerInfo.requestType());
        this.infoCache = resp.getPoliciesList().map((p: any) => ({
            name: p.getName(),
            description: p.getDescription(),
            level: convertEnforcementLevel(p.getEnforcementlevel()),
            type: p.getPolicyType() === analyzerpb.PolicyType.POLICY_TYPE_STACK ? "stack" : "resource",
            configSchema: p.getConfigschema() ? { properties: p.getConfigschema().getProperties().toJavaScript(), required: p.getConfigschema().getRequiredList() } : undefined,
        }));
        return this.infoCache!;
    }

    /** The config the engine would send for this pack config file (see the module comment). */
    async reconcile(file: PackConfig = {}): Promise<Record<string, { enforcementLevel: string; properties: Record<string, unknown> }>> {
        const result: Record<string, { enforcementLevel: string; properties: Record<string, unknown> }> = {};
        for (const p of await this.info()) {
            const properties: Record<string, unknown> = {};
            for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) if ("default" in schema) properties[k] = schema.default;
            result[p.name] = { enforcementLevel: p.level, properties };
        }
        const all = file.all;
        if (all !== undefined) for (const r of Object.values(result)) r.enforcementLevel = typeof all === "string" ? all : String(all.enforcementLevel ?? r.enforcementLevel);
        for (const [name, given] of Object.entries(file)) {
            if (name === "all") continue;
            const r = result[name];
            if (!r) throw new Error(`pack config names ${name}, which is not a policy of the pack`);
            if (typeof given === "string") { r.enforcementLevel = given; continue; }
            const { enforcementLevel, ...props } = given;
            if (enforcementLevel !== undefined) r.enforcementLevel = String(enforcementLevel);
            Object.assign(r.properties, props);
        }
        return result;
    }

    /** Configure as the engine does before analysing (replaces any earlier config). */
    async configure(file: PackConfig = {}): Promise<void> {
        const req = new analyzerpb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of Object.entries(await this.reconcile(file))) {
            const pc = new analyzerpb.PolicyConfig();
            pc.setEnforcementlevel(mapEnforcementLevel(c.enforcementLevel));
            pc.setProperties(struct(c.properties));
            map.set(name, pc);
        }
        await this.call("configure", req);
    }

    async analyze(type: string, props: Record<string, unknown>, name = "fixture", provider?: StackResource, urn = `urn:pulumi:test::platform::${type}::${name}`): Promise<Diagnostic[]> {
        const req = new analyzerpb.AnalyzeRequest();
        req.setType(type);
        req.setName(name);
        req.setUrn(urn);
        req.setProperties(struct(props));
        req.setOptions(new analyzerpb.AnalyzerResourceOptions());
        if (provider) {
            const pr = new analyzerpb.AnalyzerProviderResource();
            pr.setType(provider.type);
            pr.setName(provider.name);
            pr.setUrn(provider.urn);
            pr.setProperties(struct(provider.props));
            req.setProvider(pr);
        }
        return diagnostics(await this.call("analyze", req));
    }

    async analyzeStack(resources: readonly StackResource[]): Promise<Diagnostic[]> {
        const req = new analyzerpb.AnalyzeStackRequest();
        req.setResourcesList(resources.map((r) => {
            const ar = new analyzerpb.AnalyzerResource();
            ar.setType(r.type);
            ar.setName(r.name);
            ar.setUrn(r.urn);
            ar.setProperties(struct(r.props));
            ar.setOptions(new analyzerpb.AnalyzerResourceOptions());
            if (r.parent) ar.setParent(r.parent);
            ar.setDependenciesList([...(r.dependencies ?? [])]);
            const deps = ar.getPropertydependenciesMap();
            for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                const d = new analyzerpb.AnalyzerPropertyDependencies();
                d.setUrnsList([...urns]);
                deps.set(k, d);
            }
            return ar;
        }));
        return diagnostics(await this.call("analyzeStack", req));
    }
}

function diagnostics(resp: any): Diagnostic[] {
    return resp.getDiagnosticsList().map((d: any) => ({
        policy: d.getPolicyname(),
        message: d.getMessage(),
        level: convertEnforcementLevel(d.getEnforcementlevel()),
        urn: d.getUrn(),
    }));
}

/** The check id a violation names: "[policy/check]" at the start of the reported part of the message. */
export function checkIds(ds: readonly Diagnostic[]): string[] {
    return ds.map((d) => /\n\[([^\]]+)\]/.exec(d.message)?.[1] ?? `(no check id) ${d.policy}: ${d.message}`);
}

// ---------------------------------------------------------------------------------------------
// A whole stack, as the engine evaluates it
// ---------------------------------------------------------------------------------------------

/** A resource of a stack to evaluate: custom resources also go through Analyze, components only through AnalyzeStack. */
export interface EvaluatedResource extends StackResource {
    readonly custom: boolean;
}

/** A diagnostic with the resource it is about (Analyze's diagnostics carry no URN of their own). */
export interface Finding extends Diagnostic {
    /** The resource's name, or "(stack)" when a stack policy names no resource. */
    readonly name: string;
}

/**
 * What `pulumi preview --policy-pack policy` reports for these resources: every custom resource
 * through Analyze (all calls in flight at once, as the engine issues them while it walks the
 * program), then the whole stack through AnalyzeStack. Configure the pack first.
 */
export async function evaluateStack(pack: PackServer, resources: readonly EvaluatedResource[], analyzeOnly?: ReadonlySet<string>): Promise<Finding[]> {
    // `analyzeOnly`: the URNs to send through Analyze (a caller that knows the others' results); all go through AnalyzeStack.
    const custom = resources.filter((r) => r.custom && (analyzeOnly === undefined || analyzeOnly.has(r.urn)));
    const results = await Promise.all(custom.map((r) => pack.analyze(r.type, r.props, r.name, undefined, r.urn)));
    const out: Finding[] = custom.flatMap((r, i) => results[i].map((d) => ({ ...d, urn: r.urn, name: r.name })));
    const byUrn = new Map(resources.map((r) => [r.urn, r.name]));
    for (const d of await pack.analyzeStack(resources)) out.push({ ...d, name: byUrn.get(d.urn) ?? "(stack)" });
    return out;
}

/** The pack config file prod stacks are previewed with (policy/config/prod.json), relative to the pack's parent. */
export const PROD_PACK_CONFIG = path.join("policy", "config", "prod.json");

/**
 * The pack config a stack is previewed with, by its environment: prod's file for prod (its
 * prod-only rules and parameters), none otherwise (dev and review stay on the pack's defaults).
 * The pack's own `pack-config-environment` policy refuses the other combinations. `file` (a path
 * from the working directory, as `pulumi preview --policy-pack-config` takes it) overrides the choice.
 */
export function packConfigFor(environment: string, file?: string): { readonly file?: string; readonly config: PackConfig } {
    if (file !== undefined) return { file, config: readPackConfig(file) };
    if (environment !== "prod") return { config: {} };
    return { file: PROD_PACK_CONFIG, config: readPackConfig(path.join(PACK_DIR, "config", "prod.json")) };
}

/**
 * A pack config's policy names against the pack's catalogue, before anything is served (the same
 * refusal as `reconcile`, which the engine's emulation makes once the pack answers).
 */
export function checkPackConfigNames(config: PackConfig): void {
    const known = new Set(policies.map((p) => p.name));
    for (const name of Object.keys(config)) {
        if (name !== "all" && !known.has(name)) throw new Error(`pack config names ${name}, which is not a policy of the pack`);
    }
}

function readPackConfig(file: string): PackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new Error(`policy pack config ${file} does not exist: give a JSON file like policy/config/prod.json ({"<policy>": "mandatory" | "advisory" | "disabled" | {"enforcementLevel": ..., "<property>": ...}})`);
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        throw new Error(`policy pack config ${file} is not JSON (${(e as Error).message}): write it like policy/config/prod.json`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error(`policy pack config ${file} holds ${JSON.stringify(parsed)}, not an object of policy names: write it like policy/config/prod.json`);
    }
    return parsed as PackConfig;
}

/** The SDK's "can't run policy ... during preview" downgrade (a value the policy read is unknown). */
export function isSkipped(d: Diagnostic): boolean {
    return d.message.includes("can't run policy '") && d.message.includes(" during preview: ");
}

/** The checks a "can't run" diagnostic names (policy/lib.ts lists them), or the policy when none is named. */
export function skippedChecks(d: Diagnostic): string[] {
    const m = /\(checks that could not run: ([^)]*)\)$/.exec(d.message);
    return m ? m[1].split(", ") : [d.policy];
}

/** What a policy reported, without the description the SDK puts before it. */
export function reported(d: Diagnostic): string {
    const newline = d.message.indexOf("\n");
    return newline < 0 ? d.message : d.message.slice(newline + 1);
}
