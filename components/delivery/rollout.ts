/**
 * Canary and blue-green: the app's Argo Rollouts `Rollout` (argoproj.io/v1alpha1), its extra
 * Services (its release gate is rollout-gate.ts). The pod template stays in the Deployment (pod.ts via
 * workload.ts); the Rollout adopts it by `workloadRef`, so both strategies run the same pod.
 *
 * Switching without an empty Service:
 * - rolling → canary/blueGreen: the Deployment stays; the Rollout references it with
 *   `scaleDown: progressively`, so the controller scales the Deployment down only as the
 *   Rollout's own pods become available (docs/migrating.md).
 * - canary/blueGreen → rolling: a DeploymentPatch (workload.ts) sets the Deployment's replicas to
 *   maxReplicas (the HorizontalPodAutoscaler takes them back down within minutes) and is awaited
 *   before anything is deleted; Pulumi deletes the removed Rollout, and with it its pods, last.
 *
 * Fields the controller owns are never declared: replicas (the HPA), the `rollouts-pod-template-hash`
 * selector key it adds to the stable/canary/active/preview Services (server-side apply merges
 * selector keys per field manager), and the ALB action annotation it writes on the Ingress.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_CANARY_STEPS, durationSeconds, type AppConfig } from "./config";
import { analysisSettings, HASH_ARGS } from "./analysis";
import { APP_LABELS, APP_NAME, NEW_PODS_DEADLINE_SECONDS, PORT_NAME, SERVICE_PORT } from "./pod";

export const ROLLOUT_API_VERSION = "argoproj.io/v1alpha1";
/** Service names: the stable/active one is the app's existing Service. */
export const SERVICES = { stable: APP_NAME, canary: `${APP_NAME}-canary`, preview: `${APP_NAME}-preview`, metrics: `${APP_NAME}-metrics` } as const;
/** Time allowed per step for new pods to start (startup probe: up to 60 s) and be counted. */
export const STEP_SLACK_SECONDS = 120;
/** Added to every Rollout timeout: the last full scale-up, and the stable pods' shutdown. */
export const TIMEOUT_MARGIN_SECONDS = 600;
/**
 * What a release's first new pods may take beyond a step's slack: they wait for the migration
 * beside them (up to NEW_PODS_DEADLINE_SECONDS, pod.ts) before they are ready and counted.
 */
export const MIGRATION_WAIT_SECONDS = NEW_PODS_DEADLINE_SECONDS - STEP_SLACK_SECONDS;
/** A manual blue-green promotion must come within this (then `pulumi up` fails; the Rollout waits on). */
export const MANUAL_PROMOTION_SECONDS = 3600;

export type Traffic = "alb" | "replicas";

/** How canary traffic is split: exact weights at the ALB when the app's Ingress is on, else by pod counts. */
export function canaryTraffic(c: AppConfig): Traffic {
    return c.internalIngress ? "alb" : "replicas";
}

/** The canary steps of a stack (its own, or DEFAULT_CANARY_STEPS), as Rollout steps. */
export function canarySteps(c: AppConfig): Array<Record<string, unknown>> {
    return (c.canary?.steps ?? DEFAULT_CANARY_STEPS).flatMap((s) => [{ setWeight: s.weight }, { pause: { duration: s.pause } }]);
}

/**
 * How long a release may take before its gate (rollout-gate.ts) fails `pulumi up`. Canary: every pause
 * plus STEP_SLACK_SECONDS a step; blue-green: the promotion delay (or MANUAL_PROMOTION_SECONDS)
 * and the scale-down delay; both plus MIGRATION_WAIT_SECONDS (the first new pods may wait that much
 * longer for the migration) and TIMEOUT_MARGIN_SECONDS.
 */
export function rolloutTimeoutSeconds(c: AppConfig): number {
    if (c.deliveryStrategy === "canary") {
        const steps = c.canary?.steps ?? DEFAULT_CANARY_STEPS;
        return steps.reduce((t, s) => t + durationSeconds(s.pause) + STEP_SLACK_SECONDS, 0) + MIGRATION_WAIT_SECONDS + TIMEOUT_MARGIN_SECONDS;
    }
    const b = c.blueGreen;
    return (b?.autoPromotionSeconds ?? MANUAL_PROMOTION_SECONDS) + (b?.scaleDownDelaySeconds ?? 30) + MIGRATION_WAIT_SECONDS + TIMEOUT_MARGIN_SECONDS;
}

/** The Rollout's strategy block. */
export function rolloutStrategy(c: AppConfig, analysisTemplateName: string): Record<string, unknown> {
    const a = analysisSettings(c);
    const templates = [{ templateName: analysisTemplateName }];
    if (c.deliveryStrategy === "canary") {
        const alb = canaryTraffic(c) === "alb";
        return {
            canary: {
                // Replica-ratio canary: no stable/canary Services, or the app's Service would
                // lose the canary pods (the controller pins a Service to one hash).
                ...(alb ? {
                    stableService: SERVICES.stable,
                    canaryService: SERVICES.canary,
                    trafficRouting: { alb: { ingress: APP_NAME, servicePort: SERVICE_PORT, rootService: SERVICES.stable } },
                } : {}),
                maxUnavailable: 0,
                steps: canarySteps(c),
                // Background analysis from the first step: a failed run aborts (weight back to 0).
                ...(a.enabled ? { analysis: { templates, args: HASH_ARGS } } : {}),
            },
        };
    }
    const b = c.blueGreen;
    return {
        blueGreen: {
            activeService: SERVICES.stable,
            previewService: SERVICES.preview,
            autoPromotionEnabled: b?.autoPromotionSeconds !== undefined,
            ...(b?.autoPromotionSeconds !== undefined ? { autoPromotionSeconds: b.autoPromotionSeconds } : {}),
            scaleDownDelaySeconds: b?.scaleDownDelaySeconds ?? 30,
            ...(a.enabled ? { prePromotionAnalysis: { templates, args: HASH_ARGS } } : {}),
        },
    };
}

/** The Rollout's full object (validated in test/delivery/rollout.test.ts against the CRD's model). */
export function rolloutObject(c: AppConfig, namespace: pulumi.Input<string>, analysisTemplateName: string): Record<string, unknown> {
    return {
        apiVersion: ROLLOUT_API_VERSION,
        kind: "Rollout",
        metadata: {
            name: APP_NAME,
            namespace,
            labels: APP_LABELS,
            // Not awaited: the release gate (rollout-gate.ts) waits for the controller's verdict on
            // each release, which a wait on this object cannot see (a new image changes the
            // Deployment, not the Rollout) and cannot fail on (an abort).
            annotations: { "pulumi.com/skipAwait": "true" },
        },
        spec: {
            // No replicas: the HorizontalPodAutoscaler owns them.
            selector: { matchLabels: APP_LABELS },
            workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: APP_NAME, scaleDown: "progressively" },
            revisionHistoryLimit: 5,
            // New pods not progressing for progressDeadlineSeconds make the Rollout Degraded; abort
            // then too, so a Degraded release is always back on the stable version (otherwise the
            // canary keeps its weight while the release gate fails `pulumi up`). The deadline lets
            // them wait for the migration, which runs beside them (pod.ts).
            progressDeadlineSeconds: NEW_PODS_DEADLINE_SECONDS,
            progressDeadlineAbort: true,
            strategy: rolloutStrategy(c, analysisTemplateName),
        },
    };
}

/** A Service over the app's pods (the controller narrows the canary and preview ones to one hash). */
function extraService(parent: pulumi.Resource, name: string, serviceName: string, component: string, namespace: pulumi.Input<string>, dependsOn: pulumi.Input<pulumi.Resource>[], clusterIP?: "None"): k8s.core.v1.Service {
    return new k8s.core.v1.Service(name, {
        metadata: { name: serviceName, namespace, labels: { ...APP_LABELS, "app.kubernetes.io/component": component } },
        spec: {
            type: "ClusterIP",
            ...(clusterIP ? { clusterIP } : {}),
            selector: APP_LABELS,
            ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: PORT_NAME, protocol: "TCP" }],
        },
    }, { parent, dependsOn });
}

export interface RolloutParts {
    readonly rollout: k8s.apiextensions.CustomResource;
    /** The Service the ServiceMonitor scrapes: every pod, whatever its hash. */
    readonly metricsService: k8s.core.v1.Service;
    /** The preview colour's Service (blue-green). */
    readonly previewService?: k8s.core.v1.Service;
    /** The Rollout's spec as declared: with the pod template, a release's identity (rollout-gate.ts). */
    readonly spec: unknown;
}

/** The Rollout, after the Deployment it adopts, and its Services. */
export function rollout(parent: pulumi.Resource, name: string, c: AppConfig, namespace: pulumi.Input<string>, analysisTemplateName: string, dependsOn: pulumi.Input<pulumi.Resource>[]): RolloutParts {
    const canary = c.deliveryStrategy === "canary" && canaryTraffic(c) === "alb"
        ? [extraService(parent, `${name}-canary-service`, SERVICES.canary, "canary", namespace, dependsOn)] : [];
    const previewService = c.deliveryStrategy === "blueGreen"
        ? extraService(parent, `${name}-preview-service`, SERVICES.preview, "preview", namespace, dependsOn) : undefined;
    // Headless: Prometheus scrapes the endpoints, and the controller never touches this one, so
    // stable, canary and preview pods are all scraped once.
    const metricsService = extraService(parent, `${name}-metrics-service`, SERVICES.metrics, "metrics", namespace, dependsOn, "None");
    const object = rolloutObject(c, namespace, analysisTemplateName);
    const r = new k8s.apiextensions.CustomResource(`${name}-rollout`, object as k8s.apiextensions.CustomResourceArgs,
        { parent, dependsOn: [...canary, ...(previewService ? [previewService] : []), ...dependsOn] });
    return { rollout: r, metricsService, previewService, spec: object.spec };
}
