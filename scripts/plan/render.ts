/**
 * Every Kubernetes object the program declares, as YAML for review: one file per object under
 * .plan/<stack>/<namespace>/<kind>-<name>.yaml (cluster-scoped objects under _cluster/), and each
 * Helm release's chart, version and values under .plan/<stack>/_helm/<release>.yaml (the charts'
 * own templates are not rendered offline: nothing is fetched).
 *
 * Rendered from the plan document, so secrets are "[secret]". Pulumi auto-names objects without
 * metadata.name (logical name + random suffix at deploy): they are written with the logical name
 * and the annotation `plan.offline/auto-named: "true"`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { PlanDocument, PlanResource } from "./model";

export interface RenderedObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    /** Undefined for cluster-scoped kinds. */
    readonly namespace?: string;
    /** Path relative to .plan/<stack>/. */
    readonly file: string;
    readonly object: Record<string, any>;
    readonly resource: string;
}

/** Kinds without a namespace that the program (or the lead, later) may declare. */
const CLUSTER_SCOPED = new Set([
    "Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
    "ClusterSecretStore", "ClusterExternalSecret", "PersistentVolume", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ClusterAnalysisTemplate", "IngressClass",
]);

/** `kubernetes:apps/v1:Deployment` -> apiVersion `apps/v1`, kind `Deployment`; `core/v1` -> `v1`. */
export function apiVersionKind(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):(.+)$/.exec(type);
    if (!m || type === "kubernetes:helm.sh/v3:Release" || m[1].startsWith("helm.sh/") || m[1].startsWith("yaml") || m[1].startsWith("kustomize")) return undefined;
    const [groupVersion, kind] = [m[1], m[2]];
    return { apiVersion: groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion, kind };
}

const MASKED = "[secret]";
const MASKED_BASE64 = Buffer.from(MASKED).toString("base64");

function safe(s: string): string {
    return s.replace(/[^A-Za-z0-9._-]/g, "_");
}

export function renderObjects(plan: PlanDocument): RenderedObject[] {
    const out: RenderedObject[] = [];
    for (const r of plan.resources) {
        if (!r.custom) continue;
        const gvk = apiVersionKind(r.type);
        if (!gvk) continue;
        const { apiVersion: _a, kind: _k, metadata: inputMetadata, ...rest } = r.inputs as Record<string, any>;
        const metadata: Record<string, any> = { ...(inputMetadata ?? {}) };
        if (metadata.name === undefined) {
            metadata.name = r.name;
            metadata.annotations = { ...(metadata.annotations ?? {}), "plan.offline/auto-named": "true" };
        }
        const clusterScoped = CLUSTER_SCOPED.has(gvk.kind);
        if (!clusterScoped) metadata.namespace ??= "default";
        if (gvk.kind === "Secret") {
            for (const field of ["data", "stringData"]) {
                // A secret whole map is one masked string: written as a map with one masked key.
                if (rest[field] === MASKED) {
                    rest[field] = { masked: MASKED };
                    metadata.annotations = { ...(metadata.annotations ?? {}), "plan.offline/masked": field };
                }
            }
            // data values are base64 (the schema's format "byte"): a masked value is written encoded.
            if (rest.data && typeof rest.data === "object") {
                rest.data = Object.fromEntries(Object.entries(rest.data).map(([k, v]) => [k, v === MASKED ? MASKED_BASE64 : v]));
            }
        }
        const object = { apiVersion: gvk.apiVersion, kind: gvk.kind, metadata, ...rest };
        const namespace = clusterScoped ? undefined : String(metadata.namespace);
        out.push({
            ...gvk,
            name: String(metadata.name),
            namespace,
            file: path.join(safe(namespace ?? "_cluster"), `${safe(gvk.kind)}-${safe(String(metadata.name))}.yaml`),
            object,
            resource: r.name,
        });
    }
    return out.sort((a, b) => a.file.localeCompare(b.file));
}

export interface RenderedRelease {
    readonly file: string;
    readonly document: Record<string, unknown>;
}

export function renderReleases(plan: PlanDocument): RenderedRelease[] {
    return plan.resources
        .filter((r: PlanResource) => r.type === "kubernetes:helm.sh/v3:Release")
        .map((r) => ({
            file: path.join("_helm", `${safe(String(r.inputs.name ?? r.name))}.yaml`),
            document: {
                release: r.inputs.name ?? r.name,
                namespace: r.inputs.namespace,
                chart: r.inputs.chart,
                version: r.inputs.version,
                repository: r.inputs.repositoryOpts?.repo,
                values: r.inputs.values ?? {},
            },
        }))
        .sort((a, b) => a.file.localeCompare(b.file));
}

/** Writes the rendered objects under `dir` (emptied first: it holds only generated files). */
export function writeRendered(plan: PlanDocument, dir: string): { objects: number; releases: number } {
    fs.rmSync(dir, { recursive: true, force: true });
    const objects = renderObjects(plan);
    const releases = renderReleases(plan);
    const header = (what: string) => `# ${what} — rendered offline by scripts/plan.ts from stack ${plan.stack} (secrets shown as [secret])\n`;
    for (const o of objects) {
        const file = path.join(dir, o.file);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, header(`Pulumi resource ${o.resource}`) + stringify(o.object, { lineWidth: 0 }));
    }
    for (const r of releases) {
        const file = path.join(dir, r.file);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, header("Helm release (chart templates are not rendered offline)") + stringify(r.document, { lineWidth: 0 }));
    }
    return { objects: objects.length, releases: releases.length };
}
