import * as assert from "node:assert/strict";
import { PROJECT } from "../../components/config";
import {
    buildStack, readStackValues, reveal, valueOf, type Built, type CapturedResource,
} from "../harness";

export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const CUSTOM = (kind: string) => `kubernetes:monitoring.coreos.com/v1:${kind}`;
export const SECRET = "kubernetes:core/v1:Secret";
export const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
export const JOB = "kubernetes:batch/v1:Job";
export const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const OBS_KEY = `${PROJECT}:observability`;

export const STACKS = ["dev", "prod", "pr-1"] as const;
export type Stack = (typeof STACKS)[number];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** MiB of a Kubernetes memory quantity ("512Mi", "2Gi"). */
export function mebibytes(quantity: string): number {
    const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
    if (!m) throw new Error(`unexpected memory quantity ${quantity}`);
    return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

export const release = (b: Built, releaseName: string): CapturedResource => {
    const found = b.capture.ofType(RELEASE).filter((r) => r.inputs.name === releaseName);
    assert.equal(found.length, 1, `one Helm release named ${releaseName}`);
    return found[0];
};
export const valuesOf = (b: Built, releaseName: string): any => reveal(release(b, releaseName).inputs.values);

export async function resourceOf(b: Built, resource: { urn: unknown }): Promise<CapturedResource> {
    return b.capture.byUrn(await valueOf(resource.urn as any));
}

/** The stack file's observability section, for overrides that change one key. */
export function observabilitySection(stack: Stack): Record<string, unknown> {
    const text = readStackValues(stack).values[OBS_KEY];
    return text ? JSON.parse(text) : {};
}

/** Each resource's `protect` option, by name, from the stack's shared build. */
export async function protectedNames(stack: Stack): Promise<Map<string, boolean>> {
    const built = await buildStack(stack);
    return new Map(built.capture.resources.map((r) => [r.name, r.protect]));
}
