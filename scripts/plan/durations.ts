/**
 * Typical create and delete durations per resource type, in minutes, for the critical-path
 * estimate of `pulumi up` and `pulumi destroy` (critical-path.ts). Each entry names its source:
 * - "facts": shared/reference/aws-and-helm-facts.md "Typical durations (public Terraform logs)",
 *   researched 2026-11-26; the value is the middle of the range given there;
 * - "api": a single control-plane API call that returns when the object exists (seconds);
 * - "estimate": what the resource waits for, reasoned from the program (e.g. the Job waits for
 *   Elasticsearch to be yellow), not measured: the first real deploy should replace these with
 *   timings from `pulumi up` output;
 * - "measured": the commands the resource runs, timed on the dev machine (2 cores, load average
 *   7-8 while measured, so slower than a CI runner), with what could not be run here estimated.
 * Helm releases are keyed by chart (`helm:<chart>`): Helm's wait (atomic) covers their pods.
 */
import type { PlanResource } from "./model";

export interface Duration {
    readonly createMin: number;
    readonly deleteMin: number;
    readonly source: string;
}

const FACTS = "facts: aws-and-helm-facts.md typical durations (public Terraform logs)";
const API = "api: one API call, seconds";
/** How the build steps were timed: scripts/plan/measure-build.ts reruns them. */
const BUILD_STEPS = "the Dockerfile's RUN commands timed by scripts/plan/measure-build.ts on the dev machine";

function d(createMin: number, deleteMin: number, source: string): Duration {
    return { createMin, deleteMin, source };
}

export const DURATIONS: Readonly<Record<string, Duration>> = {
    // Network
    "aws:ec2/vpc:Vpc": d(0.1, 0.1, API),
    "aws:ec2/subnet:Subnet": d(0.1, 0.1, API),
    "aws:ec2/routeTable:RouteTable": d(0.05, 0.05, API),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": d(0.05, 0.05, API),
    "aws:ec2/route:Route": d(0.05, 0.05, API),
    "aws:ec2/internetGateway:InternetGateway": d(0.1, 0.2, API),
    "aws:ec2/eip:Eip": d(0.05, 0.05, API),
    "aws:ec2/natGateway:NatGateway": d(1.5, 1, FACTS),
    "aws:ec2/securityGroup:SecurityGroup": d(0.1, 0.2, API),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": d(0.05, 0.01, `${API} (delete only forgets it)`),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": d(0.05, 0.05, API),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": d(0.05, 0.05, API),
    "aws:ec2/vpcEndpoint:VpcEndpoint": d(1.5, 1.5, "estimate: interface endpoints go pending -> available in 1-2 min (Terraform waits for it); gateway endpoints are faster"),
    "aws:ec2/flowLog:FlowLog": d(0.1, 0.05, API),
    "aws:ec2/launchTemplate:LaunchTemplate": d(0.05, 0.05, API),
    "aws:cloudwatch/logGroup:LogGroup": d(0.05, 0.05, API),
    // IAM and keys (IAM is eventually consistent: providers retry for a few seconds)
    "aws:iam/role:Role": d(0.1, 0.1, API),
    "aws:iam/rolePolicy:RolePolicy": d(0.05, 0.05, API),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": d(0.05, 0.05, API),
    "aws:iam/policy:Policy": d(0.05, 0.05, API),
    "aws:kms/key:Key": d(0.1, 0.05, `${API} (delete schedules the deletion)`),
    "aws:kms/alias:Alias": d(0.05, 0.05, API),
    // EKS
    "aws:eks/cluster:Cluster": d(9.5, 5, FACTS),
    "aws:eks/nodeGroup:NodeGroup": d(3, 4, FACTS),
    "aws:eks/addon:Addon": d(1, 0.5, "estimate: add-on ACTIVE once its pods run (vpc-cni, coredns ~1 min; EBS CSI up to 2)"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": d(0.05, 0.05, API),
    "aws:eks/accessEntry:AccessEntry": d(0.05, 0.05, API),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": d(0.05, 0.05, API),
    // Destroy-time steps (scripts/destroy/): nothing on create; on delete the log group sweep runs
    // 6 sweeps 20 s apart, the volume wait returns once the EBS CSI driver deleted the volumes.
    "command:local:Command": d(0.01, 2, "estimate: log sweep 6 x 20 s; volume wait until EBS volumes are deleted (1-3 min after detach)"),
    // Data
    "aws:rds/subnetGroup:SubnetGroup": d(0.05, 0.05, API),
    "aws:rds/parameterGroup:ParameterGroup": d(0.05, 0.05, API),
    "aws:rds/instance:Instance single-az": d(5, 4, FACTS),
    "aws:rds/instance:Instance multi-az": d(15, 6.5, `${FACTS} (create listed as uncertain: 10-20 min)`),
    "aws:elasticache/subnetGroup:SubnetGroup": d(0.05, 0.05, API),
    "aws:elasticache/replicationGroup:ReplicationGroup": d(7.5, 7.5, FACTS),
    "aws:secretsmanager/secret:Secret": d(0.05, 0.05, API),
    "aws:secretsmanager/secretVersion:SecretVersion": d(0.05, 0.05, API),
    "aws:backup/vault:Vault": d(0.05, 0.05, API),
    "aws:backup/plan:Plan": d(0.05, 0.05, API),
    "aws:backup/selection:Selection": d(0.05, 0.05, API),
    // Images
    "aws:ecr/repository:Repository": d(0.05, 0.05, API),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": d(0.05, 0.05, API),
    "docker:index/image:Image": d(2, 0, "estimate: build of app/ and push to ECR on a warm builder; delete removes nothing"),
    // A review stack's build with cacheFrom dev's deployed image (components/delivery/image.ts).
    "docker:index/image:Image cached": d(1, 0, `measured 2026-12-01 (${BUILD_STEPS}): the build stage reruns, npm ci 24.0-26.7 s + tsc 11.9-17.6 s, at most 41.6 s (3 runs; inline cache keeps only the final stage's layers); the runtime stage's npm ci --omit=dev (8.5-11.9 s) and the base layers come from dev's image, which the provider pulls first (pulumi-docker provider/image.go); estimate +15 s for that pull (same region) and the push of the one new layer (dist/, 236 KiB); delete removes nothing; again 2026-12-02 on a faster machine, with TypeScript 7 compiling: npm ci 9.3-10.9 s + tsc 0.8-1.0 s (5.9 there: 3.1-3.2 s), at most 11.7 s, so the minute, from the slower machine, is an upper bound`),
    // Local
    "random:index/randomId:RandomId": d(0, 0, "local"),
    "random:index/randomPassword:RandomPassword": d(0, 0, "local"),
    "pulumi:providers:aws": d(0, 0, "local"),
    "pulumi:providers:kubernetes": d(0, 0, "local"),
    // Kubernetes objects (the provider's await logic)
    "kubernetes:core/v1:Namespace": d(0.05, 0.5, "estimate: delete waits for the namespace's finalizers"),
    "kubernetes:core/v1:ConfigMap": d(0.02, 0.02, API),
    "kubernetes:core/v1:Secret": d(0.02, 0.02, API),
    "kubernetes:core/v1:ServiceAccount": d(0.02, 0.02, API),
    "kubernetes:core/v1:Service": d(0.05, 0.1, "estimate: ClusterIP; a LoadBalancer Service would wait for its NLB (~3 min)"),
    "kubernetes:apps/v1:Deployment": d(1, 0.5, "estimate: Pulumi waits for the rollout (image pull, startup and readiness probes)"),
    "kubernetes:apps/v1:DeploymentPatch": d(0.5, 0.02, "estimate: a scale patch; the Deployment's new pods start (components/delivery/rollout.ts)"),
    "kubernetes:argoproj.io/v1alpha1:Rollout": d(0.02, 0.5, "api: not awaited (pulumi.com/skipAwait); the release gate's Job waits for the controller's verdict (job:orders-rollout-gate)"),
    "job:orders-rollout-gate": d(1, 0.02, "estimate: a first create skips the steps and goes straight to Healthy (Argo Rollouts docs, features/canary.md: \"the initial deploy ... will not go through the steps\"), so like a Deployment's rollout; an update waits for its steps, up to the Job's deadline (the plan's delivery line); a Degraded release ends it at once"),
    "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate": d(0.02, 0.02, API),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": d(0.02, 0.02, API),
    "kubernetes:policy/v1:PodDisruptionBudget": d(0.02, 0.02, API),
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": d(0.02, 0.02, API),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": d(0.02, 0.02, API),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": d(0.02, 0.02, API),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": d(0.02, 0.02, API),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": d(0.02, 0.02, API),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": d(0.02, 0.02, API),
    // Pulumi does not wait for a custom resource's readiness (no waitFor annotation): ECK rolls the
    // Filebeat DaemonSet out on its own, after `up` has moved on.
    "kubernetes:beat.k8s.elastic.co/v1beta1:Beat": d(0.02, 0.02, "estimate: API call only; ECK reconciles the DaemonSet asynchronously"),
    "kubernetes:storage.k8s.io/v1:StorageClass": d(0.02, 0.02, API),
    // The ALB itself takes 2-3 min to become active, but nothing here waits for that: the
    // controller writes the hostname CreateLoadBalancer returns right after creating the ALB, its
    // listeners, rules and TargetGroupBindings (kubernetes-sigs/aws-load-balancer-controller
    // controllers/ingress/group_controller.go reconcile: buildAndDeployModel, then
    // updateIngressGroupStatus; WaitUntilLoadBalancerAvailable is used only by its e2e tests), and
    // Pulumi waits for that status and an Endpoints object per backend Service, plus 10 s of
    // settling (pulumi-kubernetes provider/pkg/await/ingress.go).
    "kubernetes:networking.k8s.io/v1:Ingress": d(1, 1, "estimate: one controller reconcile (security groups, ALB, listeners, rules, target group bindings) before the hostname is in status (aws-load-balancer-controller group_controller.go; pulumi-kubernetes await/ingress.go waits for that and the backends' Endpoints); the ALB turns active 2-3 min later; delete: the controller deletes the ALB"),
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": d(0.02, 0.02, API),
    "kubernetes:core/v1:ResourceQuota": d(0.02, 0.02, API),
    "kubernetes:core/v1:LimitRange": d(0.02, 0.02, API),
    // Review namespaces (components/review/). The namespace's own delete is in the Namespace entry.
    "kubernetes:postgresql.cnpg.io/v1:Cluster": d(1.5, 0.3, "estimate: Pulumi waits for condition Ready (pulumi.com/waitFor): the operator's initdb Job (pull of ghcr.io/cloudnative-pg/postgresql, initdb on a new 1 GiB gp3 volume: EBS attach ~10-20 s) then the instance pod's startup; delete: the operator stops the pod (smart shutdown) and the PVC goes"),
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": d(0.02, 0.02, API),
    "kubernetes:external-secrets.io/v1:SecretStore": d(0.05, 0.02, API),
    "kubernetes:external-secrets.io/v1:ExternalSecret": d(0.2, 0.02, "estimate: waits for condition Ready (first sync from Secrets Manager)"),
    // The migration Job and the Deployment start together (components/delivery/workload.ts): the
    // pods' readiness waits for the schema, so the Deployment's minute must cover the Job's
    // (test/plan/durations.test.ts checks it).
    "job:migration": d(0.5, 0.1, "measured 2026-12-01: node dist/migrate.js on an empty PostgreSQL database 0.4-0.7 s (3 runs); plus the pod's start, at most 5 s at the 99th percentile excluding image pulls (Kubernetes SLO, kubernetes/community sig-scalability/slos/slos.md), and the image pull the Deployment's pods make at the same time (estimate 10-20 s from ECR in region); rounded up to half a minute"),
    "job:logs-ilm": d(2.5, 0.1, "estimate: starts after eck-stack and waits until Elasticsearch is yellow: the claim's EBS volume, the Elasticsearch image pull and the JVM's start; with the operator's 1.0 and eck-stack's 0.5 the 4.0 min of ECK (facts: 3-6 min for ECK + 1 ES node + Kibana, uncertain)"),
    // Helm charts
    "helm:aws-load-balancer-controller": d(1, 0.5, "estimate: two controller pods and the webhook"),
    "helm:cluster-autoscaler": d(0.75, 0.3, "estimate: one Deployment"),
    "helm:argo-rollouts": d(1, 0.5, "estimate: CRDs and two controller pods"),
    "helm:external-secrets": d(1, 0.5, "estimate: CRDs, controller, webhook, cert-controller"),
    "helm:eck-operator": d(1, 0.5, "estimate: CRDs and the operator StatefulSet (facts: part of 3-6 min for the ECK stack)"),
    "helm:eck-stack": d(0.5, 2, "estimate: custom resources only (Helm does not wait for Elasticsearch, see components/observability/observability.ts); delete waits for the operator to remove the pods (facts: 1-3 min)"),
    "helm:jaeger": d(1, 0.5, "estimate: one all-in-one Deployment"),
    "helm:kube-prometheus-stack": d(2.5, 1.5, FACTS),
    "helm:cloudnative-pg": d(1, 0.5, "estimate: CRDs, the operator Deployment and its webhooks"),
};

/** The table key of a resource: its type, refined where one type has very different timings. */
export function durationKey(r: PlanResource): string {
    if (r.type === "kubernetes:helm.sh/v3:Release") return `helm:${r.inputs.chart}`;
    if (r.type === "docker:index/image:Image" && (r.inputs.build?.cacheFrom?.images?.length ?? 0) > 0) return `${r.type} cached`;
    if (r.type === "aws:rds/instance:Instance") return `${r.type} ${r.inputs.multiAz ? "multi-az" : "single-az"}`;
    if (r.type === "kubernetes:batch/v1:Job") {
        const labels = r.inputs.metadata?.labels ?? {};
        return `job:${labels["app.kubernetes.io/component"] ?? labels["app.kubernetes.io/name"] ?? r.name}`;
    }
    return r.type;
}

/** A resource's durations; components take no time of their own. Undefined when the table lacks it. */
export function durationOf(r: PlanResource): Duration | undefined {
    if (!r.custom) return d(0, 0, "component: no operation of its own");
    // Pulumi returns as soon as the API server accepts an object it is told not to await.
    if (r.type.startsWith("kubernetes:") && r.inputs.metadata?.annotations?.["pulumi.com/skipAwait"] === "true") {
        return d(0.02, 0.02, `${API} (pulumi.com/skipAwait)`);
    }
    return DURATIONS[durationKey(r)];
}
