/**
 * Pod Security Standards on every kind of pod template, through the served pack: the same
 * compliant pod spec passes in each kind, and breaking it is reported wherever the kind keeps its
 * template. CloudNativePG Clusters are checked on the fields the operator builds its pods from.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../harness";
import { checkIds, sharedPack, type PackServer } from "./analyzer";
import { mutate, POD_SPEC } from "./fixtures";

const PROD_CONFIG = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", "prod.json"), "utf8"));
const template = { metadata: { labels: { app: "a" } }, spec: POD_SPEC };
const KINDS: Array<[string, Record<string, any>, string]> = [
    ["kubernetes:core/v1:Pod", { spec: POD_SPEC }, "spec"],
    ["kubernetes:apps/v1:Deployment", { spec: { selector: {}, template } }, "spec.template.spec"],
    ["kubernetes:apps/v1:ReplicaSet", { spec: { selector: {}, template } }, "spec.template.spec"],
    ["kubernetes:apps/v1:StatefulSet", { spec: { selector: {}, serviceName: "s", template } }, "spec.template.spec"],
    ["kubernetes:apps/v1:DaemonSet", { spec: { selector: {}, template } }, "spec.template.spec"],
    ["kubernetes:batch/v1:Job", { spec: { template } }, "spec.template.spec"],
    ["kubernetes:batch/v1:CronJob", { spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } }, "spec.jobTemplate.spec.template.spec"],
    ["kubernetes:core/v1:ReplicationController", { spec: { template } }, "spec.template.spec"],
    ["kubernetes:argoproj.io/v1alpha1:Rollout", { spec: { selector: {}, template, strategy: { canary: { steps: [{ setWeight: 20 }] } } } }, "spec.template.spec"],
];
const CNPG = "kubernetes:postgresql.cnpg.io/v1:Cluster";

describe("policy pack: Pod Security Standards restricted on every pod template kind", () => {
    let pack: PackServer;
    before(async function () {
        this.timeout(30000);
        pack = await sharedPack();
        await pack.configure(PROD_CONFIG);
    });

    for (const [type, object, at] of KINDS) {
        it(`${type.split(":")[2]}: the compliant template passes; a privileged init container, a hostPath volume and a missing seccomp profile are reported`, async () => {
            assert.deepEqual(checkIds(await pack.analyze(type, object)), []);
            const bad = mutate(object, {
                [`${at}.initContainers`]: [{ name: "setup", image: "i", securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
                [`${at}.volumes`]: [{ name: "host", hostPath: { path: "/" } }],
                [`${at}.securityContext.seccompProfile`]: undefined,
            });
            const ds = await pack.analyze(type, bad);
            // One seccomp violation per container that lacks a profile: app and the init container.
            assert.deepEqual(checkIds(ds).sort(), ["pss-privileged/privileged", "pss-seccomp/seccomp-profile", "pss-seccomp/seccomp-profile", "pss-volume-types/host-path"]);
            assert.ok(ds.find((d) => d.policy === "pss-privileged")!.message.includes("initContainer setup: securityContext.privileged is true"));
            assert.ok(ds.find((d) => d.policy === "pss-seccomp")!.message.includes("container app"), "each container without a profile is named");
        });
    }

    it("a Rollout that adopts a Deployment (workloadRef, no template) is checked through that Deployment, not refused", async () => {
        assert.deepEqual(await pack.analyze("kubernetes:argoproj.io/v1alpha1:Rollout", { spec: { workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "orders" } } }), []);
    });

    it("CloudNativePG Cluster: the operator's restricted defaults pass; overriding them to root, Unconfined or privileged is reported", async () => {
        assert.deepEqual(checkIds(await pack.analyze(CNPG, { spec: { instances: 1, storage: { size: "1Gi" } } })), []);
        assert.deepEqual(checkIds(await pack.analyze(CNPG, { spec: { instances: 1, podSecurityContext: { runAsNonRoot: true, runAsUser: 26, seccompProfile: { type: "RuntimeDefault" } }, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } } })), []);
        const cases: Array<[Record<string, unknown>, string[]]> = [
            [{ postgresUID: 0 }, ["pss-run-as-non-root/run-as-user"]],
            [{ podSecurityContext: { runAsNonRoot: false } }, ["pss-run-as-non-root/run-as-non-root"]],
            [{ seccompProfile: { type: "Unconfined" } }, ["pss-seccomp/seccomp-profile"]],
            [{ securityContext: { privileged: true } }, ["pss-privileged/privileged"]],
            // Capabilities given in the Cluster replace the operator's drop ALL (CNPG docs, security contexts).
            [{ securityContext: { capabilities: { add: ["NET_ADMIN"] } } }, ["pss-capabilities/add-only-net-bind-service", "pss-capabilities/drop-all"]],
            [{ securityContext: { allowPrivilegeEscalation: true } }, ["pss-privilege-escalation/allow-privilege-escalation"]],
        ];
        for (const [spec, expected] of cases) {
            assert.deepEqual(checkIds(await pack.analyze(CNPG, { spec: { instances: 1, ...spec } })).sort(), expected, JSON.stringify(spec));
        }
    });

    it("a namespace-only review stack (shared mode: no AWS provider) is judged on its Kubernetes objects alone", async () => {
        await pack.configure({});
        const ns = { type: "kubernetes:core/v1:Namespace", name: "ns", urn: "urn:pulumi:pr-7::platform::kubernetes:core/v1:Namespace::ns", props: { metadata: { name: "pr-7", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } } };
        const k8s = { type: "pulumi:providers:kubernetes", name: "shared", urn: "urn:pulumi:pr-7::platform::pulumi:providers:kubernetes::shared", props: { namespace: "pr-7" } };
        const netpol = { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "deny", urn: "urn:pulumi:pr-7::platform::kubernetes:networking.k8s.io/v1:NetworkPolicy::deny", props: { metadata: { namespace: "pr-7" }, spec: { podSelector: {} } } };
        assert.deepEqual(await pack.analyzeStack([k8s, ns, netpol]), []);
        assert.deepEqual(checkIds(await pack.analyzeStack([k8s, ns])), ["k8s-namespace-network-policy/network-policy"]);
        await pack.configure(PROD_CONFIG);
    });
});
