/**
 * Every Helm chart the platform installs, pinned in one place: a bump is one line here (and the
 * values it needs in the component that installs it). See README "Keeping charts current".
 *
 * Each entry says where its values were checked, so the next bump knows where to look.
 */
export interface ChartPin {
    /** Helm repository URL. */
    readonly repo: string;
    /** Chart name in that repository. */
    readonly chart: string;
    /** Exact chart version: never a range, so a preview diff shows every upgrade. */
    readonly version: string;
}

export const CHARTS = {
    // Entry format (renovate.json's regex manager reads it; test/observability.test.ts checks every
    // entry matches): `name: { repo: <quoted URL>, chart: <quoted name>, version: <quoted exact
    // semver> },` with the three keys in this order, on one line or on adjacent lines, comments above.
    // Filled in by the components that install them (cluster services, data tier, observability).

    // Cluster services (components/cluster/cluster-services.ts).
    // App v3.5.0. Values checked in kubernetes-sigs/aws-load-balancer-controller tag v3.5.0,
    // helm/aws-load-balancer-controller/values.yaml (clusterName, region, vpcId, serviceAccount.name);
    // published as aws/eks-charts stable/aws-load-balancer-controller 3.5.0. Its IAM policy is
    // components/cluster/policies/aws-load-balancer-controller.json (same tag): bump both together.
    awsLoadBalancerController: {
        repo: "https://aws.github.io/eks-charts",
        chart: "aws-load-balancer-controller",
        version: "3.5.0",
    },
    // App 1.35.0 by default (image.tag is set per Kubernetes minor in cluster-services.ts). Values
    // checked in kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0,
    // cluster-autoscaler/charts/cluster-autoscaler/values.yaml (autoDiscovery.clusterName,
    // awsRegion, cloudProvider, rbac.serviceAccount.name, image.tag, extraArgs).
    clusterAutoscaler: {
        repo: "https://kubernetes.github.io/autoscaler",
        chart: "cluster-autoscaler",
        version: "9.59.0",
    },

    // Progressive delivery (components/cluster/argo-rollouts.ts). App v1.9.0. Values checked in
    // argoproj/argo-helm charts/argo-rollouts (Chart.yaml 2.41.0) values.yaml and templates/controller/
    // (installCRDs, keepCRDs, podSecurityContext, containerSecurityContext, serviceAccount, controller.replicas,
    // controller.resources, controller.metrics.{enabled,serviceMonitor.enabled}, controller.awsVerifyTargetGroup,
    // controller.extraArgs, controller.nodeSelector/tolerations, dashboard.enabled; metrics Service labels).
    argoRollouts: { repo: "https://argoproj.github.io/argo-helm", chart: "argo-rollouts", version: "2.41.0" },

    // Data tier (components/data/external-secrets.ts).
    // App v2.9.0; only external-secrets.io/v1 is served. Values checked in
    // external-secrets/external-secrets tag helm-chart-2.9.0, deploy/charts/external-secrets/values.yaml
    // (installCRDs, serviceAccount.name, scopedNamespace, scopedRBAC, processClusterStore,
    // processClusterExternalSecret, processClusterPushSecret, resources, webhook.resources, certController.resources; the
    // default securityContexts meet Pod Security "restricted"); AWS auth by Pod Identity per
    // docs/provider/aws-access.md ("EKS Pod Identity Setup": no auth block in the SecretStore).
    externalSecrets: { repo: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0" },

    // Observability (components/observability*.ts).
    // App (prometheus-operator) v0.93.1; grafana subchart 12.11.1 from grafana-community. Values checked in
    // prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3, charts/kube-prometheus-stack/values.yaml
    // (prometheus.prometheusSpec.*SelectorNilUsesHelmValues, retention, storageSpec, kubeControllerManager/
    // kubeScheduler/kubeEtcd/kubeProxy.enabled, alertmanager.config, grafana.admin.existingSecret,
    // grafana.sidecar.dashboards, grafana.additionalDataSources) and grafana-community/helm-charts tag
    // grafana-12.11.1, charts/grafana/values.yaml (admin, persistence, envValueFrom, deploymentStrategy).
    kubePrometheusStack: { repo: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3" },
    // Jaeger v2 (app 2.19.0). Values checked in jaegertracing/helm-charts tag jaeger-4.11.1,
    // charts/jaeger/values.yaml and templates/jaeger/*.yaml (userconfig replaces the whole config;
    // jaeger.resources/extraEnv/extraVolumes; esIndexCleaner; Service named after the release).
    jaeger: { repo: "https://jaegertracing.github.io/helm-charts", chart: "jaeger", version: "4.11.1" },
    // ECK operator. Values checked in elastic/cloud-on-k8s tag v3.5.0, deploy/eck-operator/values.yaml.
    eckOperator: { repo: "https://helm.elastic.co", chart: "eck-operator", version: "3.5.0" },
    // Elasticsearch, Kibana, Logstash, Beats as ECK resources (stack 9.5.0). Values checked in
    // elastic/cloud-on-k8s tag v3.5.0, deploy/eck-stack/values.yaml and charts/eck-{elasticsearch,
    // kibana,logstash,beats}/values.yaml + templates (nodeSets, volumeClaimTemplates, elasticsearchRefs,
    // pipelines, services, daemonSet, fullnameOverride).
    eckStack: { repo: "https://helm.elastic.co", chart: "eck-stack", version: "0.20.0" },

    // Review environments (components/review/host.ts). CloudNativePG operator app 1.30.0. Values
    // checked in cloudnative-pg/charts tag cloudnative-pg-v0.29.0, charts/cloudnative-pg/values.yaml
    // (crds.create, config.clusterWide, resources, monitoring.podMonitorEnabled; the default pod and
    // container securityContexts meet Pod Security "restricted"; webhooks failurePolicy Fail).
    cloudnativePg: { repo: "https://cloudnative-pg.github.io/charts", chart: "cloudnative-pg", version: "0.29.0" },
} as const satisfies Record<string, ChartPin>;
