/**
 * The release gate of canary and blue-green: a Job per release that waits for the Argo Rollouts
 * controller's verdict on it, so `pulumi up` ends with the release: success when the new revision
 * is Healthy, failure as soon as it is Degraded (an analysis failed, or the new pods missed the
 * progress deadline, and the controller aborted: traffic is back on the stable version; rollout.ts
 * sets progressDeadlineAbort), failure at the deadline otherwise (a manual blue-green promotion
 * that never came).
 *
 * Why not `pulumi.com/waitFor` on the Rollout (what this replaces):
 * - a new image changes the Deployment the Rollout adopts (workloadRef), not the Rollout, so
 *   `pulumi up` had nothing to wait on for exactly the change that needs the gate;
 * - the provider's staleness guard reads `status.observedGeneration` as an integer, and a
 *   Rollout's is a string, so a wait right after an update matched the previous revision's
 *   `Healthy` (pulumi-kubernetes provider/pkg/await/condition/jsonpath.go, NestedInt64);
 * - an abort never fails it: the annotation has no failure condition (pulumi-kubernetes#4428),
 *   so a bad release failed `pulumi up` only at the timeout, and a dev release that Argo aborted
 *   reached the prod job's approval meanwhile.
 *
 * The gate reads the Rollout and the Deployment with a token of its own ServiceAccount (get on
 * those two objects only) and decides as `kubectl argo rollouts status` does
 * (argo-rollouts utils/rollout/rolloututil.go GetRolloutPhase), stricter on the workload: the
 * controller must have observed the Deployment's current generation, not only the one it wrote
 * on the Rollout, so a verdict on the previous template is never taken for the new one.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { apiServerEgressRule } from "../shared/network-policy";
import { awaitTimeouts, sized } from "../shared/kubernetes";
import { APP_NAME, restrictedSecurity } from "./pod";

/** The gate's Job, ServiceAccount, Role and RoleBinding have this name; its NetworkPolicy is allow-rollout-gate-egress. */
export const ROLLOUT_GATE_NAME = `${APP_NAME}-rollout-gate`;
/** Not the app's labels: no Service, disruption budget or app NetworkPolicy selects the gate's pod. */
export const ROLLOUT_GATE_LABELS = { "app.kubernetes.io/name": ROLLOUT_GATE_NAME, "app.kubernetes.io/part-of": APP_NAME } as const;
/** How often the gate reads the Rollout. */
export const ROLLOUT_GATE_POLL_SECONDS = 5;
/** The gate's exit codes: a verdict (not retried by the Job) or a setup the gate cannot work with. */
export const ROLLOUT_GATE_EXIT = { healthy: 0, degraded: 1, refused: 2 } as const;
/** Where Kubernetes mounts the pod's ServiceAccount token and the cluster's CA. */
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The gate's program, run by the app image's node (`node -e`): no other image to pull, scan and
 * keep patched. Reads ROLLOUT_NAMESPACE, ROLLOUT_NAME and WORKLOAD_NAME; the API server from the
 * KUBERNETES_SERVICE_* variables every pod gets, its CA through NODE_EXTRA_CA_CERTS, the token from
 * the pod's own file, re-read on every request since the kubelet rotates it (TOKEN_FILE and
 * POLL_SECONDS are for the tests). API errors other than 401, 403 and 404 are retried; those
 * three mean the gate's RBAC or names are wrong and end it with exit 2.
 */
export function rolloutGateScript(): string {
    return `(async () => {
  const fs = require("node:fs");
  const env = process.env;
  const ns = env.ROLLOUT_NAMESPACE, name = env.ROLLOUT_NAME, workload = env.WORKLOAD_NAME;
  const api = \`https://\${env.KUBERNETES_SERVICE_HOST}:\${env.KUBERNETES_SERVICE_PORT}\`;
  const tokenFile = env.TOKEN_FILE || "${SERVICE_ACCOUNT_DIR}/token";
  const pollMs = Number(env.POLL_SECONDS || "${ROLLOUT_GATE_POLL_SECONDS}") * 1000;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let last = "";
  const say = (line) => { if (line !== last) { console.log(line); last = line; } };
  class Refused extends Error {}
  const get = async (path) => {
    const token = fs.readFileSync(tokenFile, "utf8").trim();
    const res = await fetch(api + path, { headers: { authorization: "Bearer " + token, accept: "application/json" }, signal: AbortSignal.timeout(10000) });
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      throw new Refused(\`GET \${path} answered \${res.status}: \${(await res.text()).slice(0, 300)}\`);
    }
    if (!res.ok) throw new Error(\`GET \${path} answered \${res.status}\`);
    return res.json();
  };
  const verdict = (ro, wl) => {
    const s = ro.status || {};
    const observed = Number(s.observedGeneration);
    if (Number.isInteger(observed) && observed < ro.metadata.generation) return ["Progressing", "waiting for the controller to observe the Rollout's spec (generation " + ro.metadata.generation + ")"];
    if (s.controllerPause && !(s.pauseConditions || []).length) return ["Progressing", "waiting for the rollout to unpause"];
    if (s.workloadObservedGeneration !== String(wl.metadata.generation)) return ["Progressing", "waiting for the controller to observe the Deployment's template (generation " + wl.metadata.generation + ")"];
    return [s.phase || "Progressing", s.message || ""];
  };
  for (;;) {
    try {
      const ro = await get(\`/apis/argoproj.io/v1alpha1/namespaces/\${ns}/rollouts/\${name}\`);
      const wl = await get(\`/apis/apps/v1/namespaces/\${ns}/deployments/\${workload}\`);
      const [phase, message] = verdict(ro, wl);
      const s = ro.status || {};
      const step = s.currentStepIndex === undefined ? "" : " step " + s.currentStepIndex;
      say(\`rollout \${ns}/\${name}: \${phase}\${step}\${message ? " - " + message : ""} (revision \${s.currentPodHash || "?"}, stable \${s.stableRS || "?"})\`);
      if (phase === "Healthy") { console.log("released: revision " + s.currentPodHash + " is Healthy"); process.exit(${ROLLOUT_GATE_EXIT.healthy}); }
      if (phase === "Degraded") {
        const outcome = s.abort ? "the controller aborted it: the stable revision " + (s.stableRS || "?") + " serves" : "the controller has not aborted it";
        console.error(\`release failed: rollout \${ns}/\${name} is Degraded (\${message || "no message"}); \${outcome}. Details: kubectl argo rollouts get rollout \${name} -n \${ns}\`);
        process.exit(${ROLLOUT_GATE_EXIT.degraded});
      }
    } catch (e) {
      if (e instanceof Refused) {
        console.error("rollout gate: " + e.message + " (its ServiceAccount, Role and RoleBinding are components/delivery/rollout-gate.ts)");
        process.exit(${ROLLOUT_GATE_EXIT.refused});
      }
      say("rollout gate: " + (e && e.message) + "; retrying");
    }
    await sleep(pollMs);
  }
})();
`;
}

/** What the gate may read: the app's Rollout and Deployment, by name, and nothing else. */
export const ROLLOUT_GATE_RULES = [
    { apiGroups: ["argoproj.io"], resources: ["rollouts"], resourceNames: [APP_NAME], verbs: ["get"] },
    { apiGroups: ["apps"], resources: ["deployments"], resourceNames: [APP_NAME], verbs: ["get"] },
];

/** A release's identity: what the Deployment's pod template and the Rollout's spec are made of. */
export function releaseIdentity(parts: pulumi.Input<unknown>): pulumi.Output<string> {
    return pulumi.jsonStringify(pulumi.output(parts)).apply((json) => createHash("sha256").update(json).digest("hex").slice(0, 16));
}

export interface RolloutGateArgs {
    readonly namespace: pulumi.Input<string>;
    /** The app image (the gate runs its node). */
    readonly image: pulumi.Input<string>;
    readonly user: { readonly uid: number; readonly gid: number };
    /** releaseIdentity() of this release: a new one replaces the Job, so the gate runs once per release. */
    readonly identity: pulumi.Input<string>;
    /** How long the release may take (every pause plus slack): the Job's deadline. */
    readonly deadlineSeconds: number;
    /** The VPC's CIDR and the `kubernetes` Service's ClusterIP (/32): the gate's egress to the API server. */
    readonly vpcCidr: string;
    readonly apiServiceCidr: pulumi.Input<string>;
    /** What every object of the app waits for (the cluster, the namespace's policies). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** The Rollout and the Deployment: the Job starts after them (its RBAC and egress beside them). */
    readonly release: pulumi.Input<pulumi.Resource>[];
}

/** The gate's objects; the Job is what `pulumi up` waits for. */
export function rolloutGate(parent: pulumi.Resource, name: string, args: RolloutGateArgs): k8s.batch.v1.Job {
    const security = restrictedSecurity(args.user);
    const opts = { parent, dependsOn: args.dependsOn };
    const metadata = { name: ROLLOUT_GATE_NAME, namespace: args.namespace, labels: ROLLOUT_GATE_LABELS };
    const account = new k8s.core.v1.ServiceAccount(`${name}-rollout-gate-sa`, { metadata, automountServiceAccountToken: false }, opts);
    const role = new k8s.rbac.v1.Role(`${name}-rollout-gate-role`, { metadata, rules: ROLLOUT_GATE_RULES }, opts);
    const binding = new k8s.rbac.v1.RoleBinding(`${name}-rollout-gate-binding`, {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
    }, opts);
    // The namespace denies everything else (network-policies.ts); the gate needs the API server only,
    // which it dials at KUBERNETES_SERVICE_HOST (the ClusterIP: shared/network-policy.ts says why both).
    const egress = new k8s.networking.v1.NetworkPolicy(`${name}-rollout-gate-egress`, {
        metadata: { name: "allow-rollout-gate-egress", namespace: args.namespace, labels: ROLLOUT_GATE_LABELS },
        spec: { podSelector: { matchLabels: ROLLOUT_GATE_LABELS }, policyTypes: ["Egress"], egress: [apiServerEgressRule(args.vpcCidr, args.apiServiceCidr)] },
    }, opts);
    return new k8s.batch.v1.Job(`${name}-rollout-gate`, {
        metadata: {
            ...metadata,
            // A failed gate stays failed, and the next `pulumi up` of the same release would see no
            // diff: with this the provider replaces an unready Job, so that `up` asks again (after a
            // `kubectl argo rollouts retry`, say) instead of reporting success.
            annotations: { "pulumi.com/replaceUnready": "true" },
        },
        spec: {
            activeDeadlineSeconds: args.deadlineSeconds,
            // A failed pod is a verdict (exit 1 or 2): the Job fails with BackoffLimitExceeded, one of
            // the two reasons the provider's Job await fails on at once (with DeadlineExceeded;
            // provider/pkg/await/checker/job/check.go). A FailJob rule would fail it with reason
            // PodFailurePolicy, which the provider ignores until its own timeout. A pod lost to a
            // drain or an eviction is not counted (Ignore), so it is simply replaced.
            backoffLimit: 0,
            podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] }] },
            template: {
                metadata: { labels: ROLLOUT_GATE_LABELS },
                spec: {
                    serviceAccountName: account.metadata.name,
                    automountServiceAccountToken: true,
                    restartPolicy: "Never",
                    securityContext: security.pod,
                    containers: [{
                        name: "gate",
                        image: args.image,
                        command: ["node", "-e", rolloutGateScript()],
                        env: [
                            { name: "ROLLOUT_NAMESPACE", value: args.namespace },
                            { name: "ROLLOUT_NAME", value: APP_NAME },
                            { name: "WORKLOAD_NAME", value: APP_NAME },
                            { name: "NODE_EXTRA_CA_CERTS", value: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
                            { name: "RELEASE", value: args.identity },
                        ],
                        resources: sized({ cpu: "10m", memoryMiB: 64 }),
                        securityContext: security.container,
                        terminationMessagePolicy: "FallbackToLogsOnError",
                    }],
                },
            },
        },
    }, {
        parent,
        dependsOn: [...args.dependsOn, ...args.release, binding, egress],
        replaceOnChanges: ["spec"],
        deleteBeforeReplace: true,
        customTimeouts: awaitTimeouts(args.deadlineSeconds, 5),
    });
}
