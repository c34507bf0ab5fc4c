/**
 * The app on the cluster: the Workload component and its steps (service account, flags, the
 * migration Job, the serving pods, Service, autoscaler, disruption budget, scrape config, Ingress).
 * The pod itself is in pod.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import type { AppConfig } from "./config";
import { analysisSettings, analysisTemplate, ROLLOUT_HASH_LABEL } from "./analysis";
import { canaryTraffic, rollout, rolloutTimeoutSeconds, SERVICES, type RolloutParts, type Traffic } from "./rollout";
import { releaseIdentity, rolloutGate } from "./rollout-gate";
import { ARGO_ROLLOUTS_METRICS_LABELS, ARGO_ROLLOUTS_NAMESPACE } from "../cluster/argo-rollouts";
import { InputError } from "../config/engine";
import { awaitTimeouts } from "../shared/kubernetes";
import {
    APP_LABELS, APP_NAME, appPod, FLAGS_SOURCE, MIGRATION_DEADLINE_SECONDS, NEW_PODS_DEADLINE_SECONDS, PATHS, PORT_NAME, SERVICE_PORT, servingPodTemplate, type AppPod,
} from "./pod";

/** Pulumi's wait for the Deployment and the Service's endpoints: the new pods' deadline and 4 minutes. */
const NEW_PODS_TIMEOUTS = awaitTimeouts(NEW_PODS_DEADLINE_SECONDS, 4);


/**
 * app/flags/flags.json with each configured flag's default variant (platform:app.flags; the
 * config rules already refused unknown flags and variants, this re-checks the file it renders).
 */
export function flagDefinitions(flagsJson: string, flags: AppConfig["flags"]): string {
    const doc = JSON.parse(flagsJson);
    for (const [key, { defaultVariant }] of Object.entries(flags)) {
        const flag = doc.flags?.[key];
        if (!flag?.variants || !(defaultVariant in flag.variants)) {
            throw new InputError("workload", [{ key: `${FLAGS_SOURCE} flags.${key}.variants`, value: flag?.variants === undefined ? undefined : Object.keys(flag.variants), rule: `a ${key} flag with a "${defaultVariant}" variant (platform:app.flags.${key}.defaultVariant picks it)`, fix: `add the "${defaultVariant}" variant to the ${key} flag in ${FLAGS_SOURCE}, or pick one of its variants` }]);
        }
        flag.defaultVariant = defaultVariant;
    }
    return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The PodDisruptionBudget: with one replica, maxUnavailable 1 (a budget that blocks nothing, or
 * node drains and EKS upgrades would hang); with more, all but one of the minimum stay up.
 */
export function disruptionBudget(minReplicas: number): { maxUnavailable: number } | { minAvailable: number } {
    return minReplicas >= 2 ? { minAvailable: minReplicas - 1 } : { maxUnavailable: 1 };
}

export interface WorkloadArgs {
    /** The validated `app` section of the stack config. */
    readonly config: AppConfig;
    /** DEPLOYMENT_ENVIRONMENT of the pods (config.environment). */
    readonly environment: string;
    /** The app's namespace (Pod Security "restricted"), from ExternalSecrets. */
    readonly namespace: pulumi.Input<string>;
    /** The Secret ESO syncs there (APP_SECRET_KEYS). */
    readonly secretName: pulumi.Input<string>;
    /** The image to run, by digest (AppImage.repoDigest): a new push rolls the pods. */
    readonly image: pulumi.Input<string>;
    /** The image's immutable tag (plain): the migration Job is named after it, so each image migrates once. */
    readonly imageTag: string;
    /** OTLP/HTTP base URL of the trace collector. */
    readonly otlpEndpoint: pulumi.Input<string>;
    /**
     * Created before every object and deleted after them: Cluster.ready (nodes, metrics-server for
     * the HorizontalPodAutoscaler, the load balancer controller for the Ingress) and the
     * ExternalSecret the pods' Secret comes from.
     */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** The Prometheus Operator's CRDs (kube-prometheus-stack): the ServiceMonitor needs them. */
    readonly monitoringReady: pulumi.Input<pulumi.Resource>[];
    /** The numeric uid/gid the pods run as: the image's Dockerfile USER (AppImage.user). */
    readonly user: { readonly uid: number; readonly gid: number };
    /**
     * The Secret and key of the database password, when not `secretName`'s DATABASE_PASSWORD.
     * @default - DATABASE_PASSWORD of `secretName`
     */
    readonly databasePasswordSecret?: { readonly name: pulumi.Input<string>; readonly key: string };
    /**
     * The stack has never run a Rollout and never will (review environments: rolling only, their
     * config rules say so), so a rolling Workload needs no DeploymentPatch to restore its size.
     * @default false
     */
    readonly alwaysRolling?: boolean;
    /**
     * What the Services and the Ingress wait for and are deleted before, when less than
     * `dependsOn` (they need the load balancer controller's webhooks, not the app's secret).
     * @default - dependsOn
     */
    readonly ingressDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** The Argo Rollouts controller (Cluster.rolloutsReady): the Rollout and AnalysisTemplate need its CRDs. */
    readonly rolloutsReady?: pulumi.Input<pulumi.Resource>[];
    /**
     * The VPC's CIDR, where the API server's endpoint ENIs are: the release gate's egress
     * (canary and blue-green only; rollout-gate.ts).
     */
    readonly vpcCidr?: string;
    /** The `kubernetes` Service's ClusterIP as a /32 (Cluster.apiServiceCidr): with vpcCidr. */
    readonly apiServiceCidr?: pulumi.Input<string>;
}

/**
 * The app on the cluster, in its namespace, all on the cluster's provider (passed as the
 * `kubernetes` provider of this component):
 * - a ServiceAccount without a token (the app calls no Kubernetes API);
 * - a ConfigMap with the flag definitions, updated in place (the app polls it; no restart);
 * - a migration Job per image (`node dist/migrate.js`), run beside the Deployment: the pods' readiness
 *   waits for the schema (app/src/server.ts), so new code never serves before its migration;
 * - a Deployment whose replica count the HorizontalPodAutoscaler owns, Pod Security "restricted",
 *   secrets as files, probes on the app's health endpoints, spread across zones;
 * - a ClusterIP Service (80 → 8080 "http"), a HorizontalPodAutoscaler on CPU, a
 *   PodDisruptionBudget, a ServiceMonitor for Prometheus and optionally an internal ALB Ingress;
 * - canary and blue-green: the Rollout (rollout.ts) and the release gate `pulumi up` waits for
 *   (rollout-gate.ts).
 */
export class Workload extends pulumi.ComponentResource {
    /** In-cluster URL of the Service. */
    public readonly serviceUrl: pulumi.Output<string>;
    /** The migration Job's name (`orders-migrate-<tag hash>`). */
    public readonly migrationJobName: string;
    /** Canary traffic split: "alb" (weighted target groups) or "replicas" (pod ratio); undefined otherwise. */
    public readonly traffic?: Traffic;
    /** Blue-green: the command that reaches the preview colour. */
    public readonly previewPortForward?: pulumi.Output<string>;
    /** Blue-green with `blueGreen.previewHost`: the URL of the preview colour on the internal ALB. */
    public readonly previewUrl?: string;
    /** The internal ALB's DNS name, when `internalIngress` is on. */
    public readonly ingressHostname?: pulumi.Output<string | undefined>;

    constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:app:Workload", name, {}, opts);
        const c = args.config;
        // Before anything is created.
        if (c.deliveryStrategy !== "rolling" && (args.vpcCidr === undefined || args.apiServiceCidr === undefined)) {
            throw new InputError(`workload ${name}`, [{
                key: "vpcCidr and apiServiceCidr arguments", value: { vpcCidr: args.vpcCidr, apiServiceCidr: args.apiServiceCidr },
                rule: `deliveryStrategy ${c.deliveryStrategy} has a release gate, whose pod reaches the API server at the kubernetes Service's ClusterIP and the endpoint's ENIs (components/delivery/rollout-gate.ts)`,
                fix: "pass config.network.cidrBlock and cluster.apiServiceCidr (components/platform.ts)",
            }]);
        }
        const after = { parent: this, dependsOn: args.dependsOn };

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: APP_NAME, namespace: args.namespace, labels: APP_LABELS },
            automountServiceAccountToken: false,
        }, after);
        const flags = this.flags(name, args);
        const pod = appPod({ ...args, flagsConfigMapName: flags.metadata.name });

        this.migrationJobName = `${APP_NAME}-migrate-${args.imageTag}`;
        const migration = this.migration(name, args, pod, serviceAccount.metadata.name, this.migrationJobName);
        const template = servingPodTemplate(pod, serviceAccount.metadata.name);
        const deployment = this.deployment(name, args, template);
        const service = this.service(name, args);
        const ingress = c.internalIngress ? this.ingress(name, args, service) : undefined;
        const progressive = this.progressive(name, args, template, deployment, migration, ingress);
        this.autoscaler(name, args, progressive?.rollout ?? deployment);
        this.disruptionBudget(name, args);
        this.serviceMonitor(name, args, progressive?.metricsService ?? service);
        if (ingress) this.ingressHostname = ingress.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname);
        this.traffic = c.deliveryStrategy === "canary" ? canaryTraffic(c) : undefined;
        if (progressive?.previewService) {
            this.previewPortForward = pulumi.interpolate`kubectl -n ${args.namespace} port-forward svc/${progressive.previewService.metadata.name} 8080:${SERVICE_PORT}`;
            const host = c.blueGreen?.previewHost;
            if (host !== undefined && c.internalIngress) this.previewUrl = `http://${host}`;
        }

        this.serviceUrl = pulumi.interpolate`http://${service.metadata.name}.${args.namespace}.svc:${SERVICE_PORT}`;
        this.registerOutputs({ serviceUrl: this.serviceUrl, migrationJobName: this.migrationJobName, previewPortForward: this.previewPortForward });
    }

    /**
     * Canary and blue-green: the AnalysisTemplate, the Rollout adopting the Deployment (after it
     * and the migration) and its Services, and the controller's ServiceMonitor. Rolling: the
     * DeploymentPatch that brings the Deployment back to full size before a removed Rollout (and
     * its pods) is deleted (rollout.ts explains the switch).
     */
    private progressive(name: string, args: WorkloadArgs, template: k8s.types.input.core.v1.PodTemplateSpec, deployment: k8s.apps.v1.Deployment, migration: k8s.batch.v1.Job, ingress?: k8s.networking.v1.Ingress): RolloutParts | undefined {
        const c = args.config;
        // A new Rollout follows the migration (its first revision gets traffic at once). A new image
        // changes only the Deployment, which starts beside the Job: its canary pods are ready, and so
        // given weight at the ALB, only once the schema has their migration (app readiness).
        const dependsOn = [deployment, migration, ...args.dependsOn];
        if (c.deliveryStrategy === "rolling") {
            if (args.alwaysRolling) return undefined;
            new k8s.apps.v1.DeploymentPatch(`${name}-deployment-scale`, {
                metadata: {
                    name: deployment.metadata.name,
                    namespace: args.namespace,
                    // The controller's field manager owns spec.replicas after a Rollout scaled it to 0.
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                spec: { replicas: c.maxReplicas },
            }, { parent: this, dependsOn });
            return undefined;
        }
        const controller = args.rolloutsReady ?? [];
        const analysis = analysisTemplate(this, name, args.namespace, analysisSettings(c), [...controller, ...args.dependsOn]);
        // ALB canary: the controller reads the Ingress it writes weights on, so it exists first.
        const parts = rollout(this, name, c, args.namespace, `${APP_NAME}-canary`, [analysis, ...controller, ...(ingress ? [ingress] : []), ...dependsOn]);
        // One gate per release: a new pod template (image, environment, flags file's name...) or
        // Rollout spec replaces the Job, and `pulumi up` waits for the controller's verdict on it.
        rolloutGate(this, name, {
            namespace: args.namespace,
            image: args.image,
            user: args.user,
            identity: releaseIdentity({ template, rollout: parts.spec }),
            deadlineSeconds: rolloutTimeoutSeconds(c),
            vpcCidr: args.vpcCidr!,
            apiServiceCidr: args.apiServiceCidr!,
            dependsOn: args.dependsOn,
            release: [parts.rollout, deployment, migration],
        });
        new k8s.apiextensions.CustomResource(`${name}-rollouts-monitor`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: "argo-rollouts", namespace: ARGO_ROLLOUTS_NAMESPACE, labels: ARGO_ROLLOUTS_METRICS_LABELS },
            // honorLabels: rollout_info's own `namespace` is the Rollout's (orders), which the alert
            // rules select on; without it Prometheus renames it exported_namespace.
            spec: { selector: { matchLabels: ARGO_ROLLOUTS_METRICS_LABELS }, endpoints: [{ port: "metrics", interval: "30s", honorLabels: true }] },
        }, { parent: this, dependsOn: [...args.monitoringReady, ...args.dependsOn] });
        return parts;
    }

    /**
     * A fixed name, not auto-named: a changed flag is an in-place update the running pods see
     * within FLAGS_POLL_INTERVAL_MS, not a new ConfigMap and a rollout.
     */
    private flags(name: string, args: WorkloadArgs): k8s.core.v1.ConfigMap {
        return new k8s.core.v1.ConfigMap(`${name}-flags`, {
            metadata: { name: `${APP_NAME}-flags`, namespace: args.namespace, labels: APP_LABELS },
            data: { "flags.json": flagDefinitions(fs.readFileSync(FLAGS_SOURCE, "utf8"), args.config.flags) },
        }, { parent: this, dependsOn: args.dependsOn });
    }

    /**
     * One Job per image: named after the tag, so a new image migrates once and an unchanged one
     * never again. Any other change replaces it (a Job's pod template is immutable). Pulumi waits
     * for it to complete; a failed migration stops the rollout.
     */
    private migration(name: string, args: WorkloadArgs, pod: AppPod, serviceAccountName: pulumi.Input<string>, jobName: string): k8s.batch.v1.Job {
        return new k8s.batch.v1.Job(`${name}-migrate`, {
            metadata: {
                name: jobName,
                namespace: args.namespace,
                labels: { ...APP_LABELS, "app.kubernetes.io/component": "migration" },
                // A failed Job would otherwise stay failed: the next `pulumi up` with the same image
                // sees no diff. With this the provider replaces an unready Job, so a database fix
                // followed by `pulumi up` re-runs the migration.
                annotations: { "pulumi.com/replaceUnready": "true" },
            },
            spec: {
                backoffLimit: 2,
                activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
                template: {
                    metadata: { labels: { ...APP_LABELS, "app.kubernetes.io/component": "migration" } },
                    spec: {
                        serviceAccountName,
                        automountServiceAccountToken: false,
                        restartPolicy: "Never",
                        securityContext: pod.podSecurity,
                        volumes: pod.volumes,
                        containers: [{ ...pod.container("migrate"), command: ["node", "dist/migrate.js"] }],
                    },
                },
            },
        }, {
            parent: this,
            dependsOn: args.dependsOn,
            replaceOnChanges: ["spec"],
            deleteBeforeReplace: true,
            customTimeouts: awaitTimeouts(MIGRATION_DEADLINE_SECONDS, 5),
        });
    }

    private deployment(name: string, args: WorkloadArgs, template: k8s.types.input.core.v1.PodTemplateSpec): k8s.apps.v1.Deployment {
        return new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: {
                name: APP_NAME, namespace: args.namespace, labels: APP_LABELS,
                // Canary/blue-green: the Rollout is awaited instead (Healthy: its own pods ready);
                // the Deployment is its template, scaled down by the controller as they become
                // available, so waiting for the Deployment's pods first would only add a rollout.
                ...(args.config.deliveryStrategy === "rolling" ? {} : { annotations: { "pulumi.com/skipAwait": "true" } }),
            },
            spec: {
                // No replicas: the HorizontalPodAutoscaler owns the count (server-side apply leaves a
                // field Pulumi does not set to its owner).
                selector: { matchLabels: APP_LABELS },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
                // Its new pods wait for the migration (up to its deadline) before they are ready.
                progressDeadlineSeconds: NEW_PODS_DEADLINE_SECONDS,
                revisionHistoryLimit: 5,
                template,
            },
        // Not after the migration Job: both start together (a minute less per new image). Schema
        // before code still holds: a new pod is unready until the schema has its build's version
        // (app readiness), and the rollout removes no old pod before a new one is ready
        // (maxUnavailable 0). A failed migration leaves the rollout stuck on unready pods, the old
        // ones serving, and fails `pulumi up` with the Job. Pulumi's default 10 minutes would end
        // the wait for those pods before a migration that is still within its deadline.
        }, { parent: this, dependsOn: args.dependsOn, customTimeouts: NEW_PODS_TIMEOUTS });
    }

    private service(name: string, args: WorkloadArgs): k8s.core.v1.Service {
        const ns = args.namespace;
        return new k8s.core.v1.Service(`${name}-service`, {
        metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
        spec: {
            type: "ClusterIP",
            selector: APP_LABELS,
            ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: PORT_NAME, protocol: "TCP" }],
        },
    // Pulumi waits for the Service's endpoints, that is for the first ready pod: after the migration.
    }, { parent: this, dependsOn: args.ingressDependsOn ?? args.dependsOn, customTimeouts: NEW_PODS_TIMEOUTS });
    }

    private autoscaler(name: string, args: WorkloadArgs, target: k8s.apps.v1.Deployment | k8s.apiextensions.CustomResource): void {
        const c = args.config;
        const ns = args.namespace;
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, {
        metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
        spec: {
            // The Rollout when there is one (it has the scale subresource; docs/features/hpa-support.md).
            scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.metadata.name },
            minReplicas: c.minReplicas,
            maxReplicas: c.maxReplicas,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: c.targetCpuUtilizationPercent } } }],
            // Scale up at once, down only after 5 minutes of lower load (no flapping).
            behavior: {
                scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
                scaleUp: { stabilizationWindowSeconds: 0 },
            },
        },
    }, { parent: this, dependsOn: [target, ...args.dependsOn] });
    }

    private disruptionBudget(name: string, args: WorkloadArgs): void {
        const ns = args.namespace;
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
        metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
        spec: {
            ...disruptionBudget(args.config.minReplicas),
            selector: { matchLabels: APP_LABELS },
            // A pod that never became ready may be evicted: it must not block a node drain.
            unhealthyPodEvictionPolicy: "AlwaysAllow",
        },
    }, { parent: this, dependsOn: args.dependsOn });
    }

    /**
     * Scrapes the app's Service (rolling) or the headless metrics Service (canary, blue-green: the
     * controller narrows the others to one hash), copying the Rollout's hash label onto every
     * sample so the analysis and the dashboard tell canary from stable.
     */
    private serviceMonitor(name: string, args: WorkloadArgs, service: k8s.core.v1.Service): void {
        const ns = args.namespace;
        const progressive = args.config.deliveryStrategy !== "rolling";
        new k8s.apiextensions.CustomResource(`${name}-monitor`, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
        spec: {
            selector: { matchLabels: progressive ? { ...APP_LABELS, "app.kubernetes.io/component": "metrics" } : APP_LABELS },
            ...(progressive ? { podTargetLabels: [ROLLOUT_HASH_LABEL] } : {}),
            endpoints: [{ port: PORT_NAME, path: PATHS.metrics, interval: "30s" }],
        },
    }, { parent: this, dependsOn: [service, ...args.monitoringReady, ...args.dependsOn] });
    }

    /** The optional internal ALB Ingress. */
    private ingress(name: string, args: WorkloadArgs, service: k8s.core.v1.Service): k8s.networking.v1.Ingress {
        const ns = args.namespace;
        const albCanary = args.config.deliveryStrategy === "canary" && canaryTraffic(args.config) === "alb";
        const previewHost = args.config.deliveryStrategy === "blueGreen" ? args.config.blueGreen?.previewHost : undefined;
        const ingress = new k8s.networking.v1.Ingress(`${name}-ingress`, {
            metadata: {
                name: APP_NAME,
                namespace: ns,
                labels: APP_LABELS,
                annotations: {
                    // VPC only; pods as targets, so the ALB follows readiness directly.
                    "alb.ingress.kubernetes.io/scheme": "internal",
                    "alb.ingress.kubernetes.io/target-type": "ip",
                    "alb.ingress.kubernetes.io/healthcheck-path": PATHS.readiness,
                },
            },
            spec: {
                ingressClassName: "alb",
                // ALB canary: the controller writes the `actions.orders` annotation (weights across
                // the stable and canary target groups) that `use-annotation` points at.
                rules: [
                    // Blue-green with a preview host: that host reaches the preview colour (the
                    // controller points orders-preview at the new pods); the catch-all rule after it serves the active one.
                    ...(previewHost ? [{ host: previewHost, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: SERVICES.preview, port: { name: PORT_NAME } } } }] } }] : []),
                    { http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service.metadata.name, port: { name: albCanary ? "use-annotation" : PORT_NAME } } } }] } },
                ],
            },
        // dependsOn holds the load balancer controller: the Ingress is deleted before it, so the
        // controller removes the ALB it made before the subnets go.
        }, { parent: this, dependsOn: [service, ...(args.ingressDependsOn ?? args.dependsOn)] });
        return ingress;
    }
}
