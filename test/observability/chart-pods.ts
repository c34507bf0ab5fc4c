/**
 * The pods the program's Helm releases make, as their charts render them and their operators
 * build them at the pinned versions, for the Pod Security test (pod-security.test.ts). Nothing is
 * fetched at test time: Helm cannot render offline. Each chart's defaults that decide a pod's
 * security (pod and container securityContexts, host namespaces, volume types) are encoded below
 * from the chart's sources at its pinned tag, and the program's values are merged over them the
 * way Helm merges values (maps merge, everything else replaces). Operators' defaulting (ECK,
 * prometheus-operator) is encoded the same way, from their sources at the pinned app version.
 *
 * A release whose chart is not modelled is an error, so a new chart cannot slip past the test.
 */
import { podOf, type PodView } from "../../policy/kubernetes/workloads";

export interface ModelledPod {
    /** "<release>/<workload>[/<container set>]": where the pod comes from. */
    readonly source: string;
    readonly namespace: string;
    readonly pod: PodView;
}

export interface ReleaseInput {
    readonly chart: string;
    readonly name: string;
    readonly namespace: string;
    readonly values: Record<string, any>;
}

type Obj = Record<string, any>;

/** Helm's coalescing of user values over chart defaults: maps merge, a null deletes, anything else replaces. */
export function helmMerge(defaults: Obj, values: Obj | undefined): Obj {
    const out: Obj = { ...defaults };
    for (const [k, v] of Object.entries(values ?? {})) {
        if (v === null) delete out[k];
        else if (isMap(v) && isMap(out[k])) out[k] = helmMerge(out[k], v);
        else out[k] = v;
    }
    return out;
}
const isMap = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
/** Charts whose securityContext value carries an `enabled` switch (not a Kubernetes field). */
const withoutEnabled = (sc: Obj): Obj => { const { enabled: _e, ...rest } = sc; return rest; };

const RUNTIME_DEFAULT = { type: "RuntimeDefault" };
const DROP_ALL = { drop: ["ALL"] };

function pod(spec: Obj): PodView {
    return podOf("kubernetes:core/v1:Pod", { spec })!;
}
const container = (name: string, securityContext: Obj | undefined, extra: Obj = {}) => ({ name, ...(securityContext ? { securityContext } : {}), ...extra });

// ---------------------------------------------------------------------------------------------
// kube-prometheus-stack 88.5.3 (prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3,
// charts/kube-prometheus-stack/values.yaml) and its subcharts grafana 12.11.1
// (grafana-community/helm-charts tag grafana-12.11.1), kube-state-metrics 8.4.0 and
// prometheus-node-exporter 4.56.1 (same repository, their tags).
// ---------------------------------------------------------------------------------------------
const KPS_DEFAULTS = {
    prometheusOperator: {
        securityContext: { fsGroup: 65534, runAsGroup: 65534, runAsNonRoot: true, runAsUser: 65534, seccompProfile: RUNTIME_DEFAULT },
        containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: DROP_ALL },
        admissionWebhooks: {
            patch: { enabled: true, securityContext: { runAsGroup: 2000, runAsNonRoot: true, runAsUser: 2000, seccompProfile: RUNTIME_DEFAULT } },
            createSecretJob: { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: DROP_ALL } },
            patchWebhookJob: { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: DROP_ALL } },
        },
    },
    prometheus: { prometheusSpec: { securityContext: { runAsGroup: 2000, runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: RUNTIME_DEFAULT } } },
    alertmanager: { alertmanagerSpec: { securityContext: { runAsGroup: 2000, runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: RUNTIME_DEFAULT } } },
    grafana: {
        securityContext: { runAsNonRoot: true, runAsUser: 472, runAsGroup: 472, fsGroup: 472 },
        containerSecurityContext: { allowPrivilegeEscalation: false, privileged: false, capabilities: DROP_ALL, seccompProfile: RUNTIME_DEFAULT },
        persistence: { enabled: false },
        initChownData: {
            enabled: true,
            securityContext: { readOnlyRootFilesystem: false, runAsNonRoot: false, runAsUser: 0, seccompProfile: RUNTIME_DEFAULT, capabilities: { add: ["CHOWN"], drop: ["ALL"] } },
        },
        // A `helm test` hook pod (hookType test): rendered with the chart when enabled.
        testFramework: { enabled: true, securityContext: {}, containerSecurityContext: {} },
        sidecar: { securityContext: { allowPrivilegeEscalation: false, capabilities: DROP_ALL, seccompProfile: RUNTIME_DEFAULT } },
    },
    "kube-state-metrics": {
        securityContext: { enabled: true, runAsGroup: 65534, runAsUser: 65534, fsGroup: 65534, runAsNonRoot: true, seccompProfile: RUNTIME_DEFAULT },
        containerSecurityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: DROP_ALL },
    },
    "prometheus-node-exporter": {
        namespaceOverride: "",
        hostNetwork: true,
        hostPID: true,
        hostIPC: false,
        securityContext: { fsGroup: 65534, runAsGroup: 65534, runAsNonRoot: true, runAsUser: 65534 },
        containerSecurityContext: { readOnlyRootFilesystem: true },
    },
};
/**
 * What prometheus-operator gives every container of the Prometheus and Alertmanager pods it builds
 * (prometheus-operator tag v0.93.0: pkg/prometheus/server/statefulset.go, pkg/alertmanager/statefulset.go,
 * pkg/operator/config_reloader.go).
 */
const OPERATOR_CONTAINER = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: DROP_ALL };

function kubePrometheusStack(r: ReleaseInput): ModelledPod[] {
    const v = helmMerge(KPS_DEFAULTS, r.values);
    const at = (source: string, spec: Obj, namespace = r.namespace): ModelledPod => ({ source: `${r.name}/${source}`, namespace, pod: pod(spec) });
    const op = v.prometheusOperator;
    const hooks = op.admissionWebhooks;
    const g = v.grafana;
    const ne = v["prometheus-node-exporter"];
    const ksm = v["kube-state-metrics"];
    const grafanaInit = g.persistence.enabled && g.initChownData.enabled ? [container("init-chown-data", g.initChownData.securityContext)] : [];
    const pods = [
        at("operator", { securityContext: op.securityContext, containers: [container("kube-prometheus-stack", op.containerSecurityContext)], volumes: [{ name: "tls-secret", secret: {} }] }),
        ...(hooks.patch.enabled ? [
            at("admission-create", { securityContext: hooks.patch.securityContext, containers: [container("create", hooks.createSecretJob.securityContext)] }),
            at("admission-patch", { securityContext: hooks.patch.securityContext, containers: [container("patch", hooks.patchWebhookJob.securityContext)] }),
        ] : []),
        at("prometheus", {
            securityContext: v.prometheus.prometheusSpec.securityContext,
            initContainers: [container("init-config-reloader", OPERATOR_CONTAINER)],
            containers: [container("prometheus", OPERATOR_CONTAINER), container("config-reloader", OPERATOR_CONTAINER)],
            volumes: [{ name: "prometheus-db", persistentVolumeClaim: {} }, { name: "config", secret: {} }, { name: "web-config", secret: {} }, { name: "config-out", emptyDir: {} }],
        }),
        at("alertmanager", {
            securityContext: v.alertmanager.alertmanagerSpec.securityContext,
            initContainers: [container("init-config-reloader", OPERATOR_CONTAINER)],
            containers: [container("alertmanager", OPERATOR_CONTAINER), container("config-reloader", OPERATOR_CONTAINER)],
            volumes: [{ name: "config-volume", secret: {} }, { name: "alertmanager-db", emptyDir: {} }],
        }),
        at("grafana", {
            securityContext: g.securityContext,
            initContainers: grafanaInit,
            containers: [container("grafana", g.containerSecurityContext), container("grafana-sc-dashboard", g.sidecar.securityContext), container("grafana-sc-datasources", g.sidecar.securityContext)],
            volumes: [{ name: "config", configMap: {} }, { name: "storage", ...(g.persistence.enabled ? { persistentVolumeClaim: {} } : { emptyDir: {} }) }],
        }),
        ...(g.testFramework.enabled ? [at("grafana-test", { securityContext: g.testFramework.securityContext, containers: [container("grafana-test", g.testFramework.containerSecurityContext)] })] : []),
        at("kube-state-metrics", { securityContext: withoutEnabled(ksm.securityContext), containers: [container("kube-state-metrics", ksm.containerSecurityContext)] }),
        // templates/daemonset.yaml: host namespaces from values, / /proc /sys as hostPath (hostRootFsMount.enabled).
        at("node-exporter", {
            hostNetwork: ne.hostNetwork, hostPID: ne.hostPID, hostIPC: ne.hostIPC,
            securityContext: ne.securityContext,
            containers: [container("node-exporter", ne.containerSecurityContext, { ports: [{ name: "http-metrics", containerPort: 9100 }] })],
            volumes: [{ name: "proc", hostPath: { path: "/proc" } }, { name: "sys", hostPath: { path: "/sys" } }, { name: "root", hostPath: { path: "/" } }],
        }, ne.namespaceOverride || r.namespace),
    ];
    return pods;
}

// ---------------------------------------------------------------------------------------------
// jaeger 4.11.1 (jaegertracing/helm-charts tag jaeger-4.11.1, charts/jaeger/values.yaml and
// templates/jaeger/jaeger-deploy.yaml, templates/es-maintenance/es-index-cleaner-cronjob.yaml).
// ---------------------------------------------------------------------------------------------
const JAEGER_DEFAULTS = {
    jaeger: { podSecurityContext: { runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 }, securityContext: {}, extraVolumes: [] },
    esIndexCleaner: { enabled: false, podSecurityContext: { runAsUser: 1000 }, securityContext: { runAsUser: 1000 } },
};

function jaeger(r: ReleaseInput): ModelledPod[] {
    const v = helmMerge(JAEGER_DEFAULTS, r.values);
    const out: ModelledPod[] = [{
        source: `${r.name}/jaeger`, namespace: r.namespace,
        pod: pod({ securityContext: v.jaeger.podSecurityContext, containers: [container("jaeger", v.jaeger.securityContext)], volumes: [{ name: "user-config", configMap: {} }, ...v.jaeger.extraVolumes] }),
    }];
    if (v.esIndexCleaner.enabled) {
        out.push({
            source: `${r.name}/es-index-cleaner`, namespace: r.namespace,
            pod: pod({ securityContext: v.esIndexCleaner.podSecurityContext, containers: [container("es-index-cleaner", v.esIndexCleaner.securityContext)], volumes: (v.esIndexCleaner.extraSecretMounts ?? []).map((m: Obj) => ({ name: m.name, secret: {} })) }),
        });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// ECK 3.5.0 (elastic/cloud-on-k8s tag v3.5.0): the eck-operator chart's values.yaml, and how the
// operator builds the pods of the eck-stack 0.20.0 resources (stack 9.5.0). ECK applies its pod
// securityContext only when the podTemplate has none, and a container's only when it has none
// (pkg/controller/common/defaults/pod_template.go WithPodSecurityContext, WithContainersSecurityContext).
// ---------------------------------------------------------------------------------------------
const ECK_OPERATOR_DEFAULTS = {
    podSecurityContext: { runAsNonRoot: true },
    securityContext: { allowPrivilegeEscalation: false, capabilities: DROP_ALL, readOnlyRootFilesystem: true, runAsNonRoot: true },
};
const ECK_POD_DEFAULT = { fsGroup: 1000, seccompProfile: RUNTIME_DEFAULT };
/** Elasticsearch 9.x containers (pkg/controller/elasticsearch/securitycontext For, with the data volume mounted). */
const ES_CONTAINER_DEFAULT = { privileged: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: DROP_ALL, runAsNonRoot: true };
/** Kibana (pkg/controller/kibana/securitycontext.go). */
const KIBANA_CONTAINER_DEFAULT = { allowPrivilegeEscalation: false, capabilities: DROP_ALL, privileged: false, readOnlyRootFilesystem: true, runAsUser: 1000, runAsGroup: 1000 };
/** Logstash's init container (pkg/controller/logstash/initcontainer.go); its main container gets none. */
const LOGSTASH_INIT_DEFAULT = { privileged: false };

/** The operator's containers over the user's: the user's by name first, ECK's where none is given. */
function eckContainers(user: Obj[] | undefined, names: string[], fallback: (name: string) => Obj | undefined): Obj[] {
    const byName = new Map((user ?? []).map((c) => [c.name, c]));
    return names.map((name) => {
        const given = byName.get(name);
        return container(name, given?.securityContext ?? fallback(name));
    });
}

function eckOperator(r: ReleaseInput): ModelledPod[] {
    const v = helmMerge(ECK_OPERATOR_DEFAULTS, r.values);
    return [{ source: `${r.name}/operator`, namespace: r.namespace, pod: pod({ securityContext: v.podSecurityContext, containers: [container("manager", v.securityContext)], volumes: [{ name: "cert", secret: {} }] }) }];
}

function eckStack(r: ReleaseInput): ModelledPod[] {
    const out: ModelledPod[] = [];
    const v = r.values;
    const es = v["eck-elasticsearch"];
    if (es?.enabled !== false && es) {
        for (const set of es.nodeSets ?? []) {
            const spec = set.podTemplate?.spec ?? {};
            out.push({
                source: `${r.name}/elasticsearch-${set.name}`, namespace: r.namespace,
                pod: pod({
                    ...spec,
                    securityContext: spec.securityContext ?? ECK_POD_DEFAULT,
                    initContainers: eckContainers(spec.initContainers, ["elastic-internal-init-filesystem", "elastic-internal-suspend"], () => ES_CONTAINER_DEFAULT),
                    containers: eckContainers(spec.containers, ["elasticsearch"], () => ES_CONTAINER_DEFAULT),
                    volumes: [...(spec.volumes ?? []), { name: "elasticsearch-data", persistentVolumeClaim: {} }],
                }),
            });
        }
    }
    const kb = v["eck-kibana"];
    if (kb?.enabled !== false && kb) {
        const spec = kb.podTemplate?.spec ?? {};
        out.push({
            source: `${r.name}/kibana`, namespace: r.namespace,
            pod: pod({ ...spec, securityContext: spec.securityContext ?? ECK_POD_DEFAULT, containers: eckContainers(spec.containers, ["kibana"], () => KIBANA_CONTAINER_DEFAULT) }),
        });
    }
    const ls = v["eck-logstash"];
    if (ls?.enabled !== false && ls) {
        const spec = ls.podTemplate?.spec ?? {};
        out.push({
            source: `${r.name}/logstash`, namespace: r.namespace,
            pod: pod({
                ...spec,
                securityContext: spec.securityContext ?? ECK_POD_DEFAULT,
                initContainers: eckContainers(spec.initContainers, ["logstash-internal-init-config"], () => LOGSTASH_INIT_DEFAULT),
                containers: eckContainers(spec.containers, ["logstash"], () => undefined),
            }),
        });
    }
    const beat = v["eck-beats"];
    if (beat?.enabled !== false && beat) {
        const spec = (beat.daemonSet ?? beat.deployment)?.podTemplate?.spec ?? {};
        out.push({ source: `${r.name}/beat-${beat.type}`, namespace: r.namespace, pod: pod(spec) });
    }
    return out;
}

/** Pods of a Beat custom resource the program declares (ECK adds no securityContext to the Beat's own container). */
export function beatPods(name: string, namespace: string, spec: Obj): ModelledPod[] {
    const template = (spec.daemonSet ?? spec.deployment)?.podTemplate?.spec ?? {};
    return [{ source: `beat/${name}`, namespace, pod: pod(template) }];
}

// ---------------------------------------------------------------------------------------------
// external-secrets 2.9.0 (external-secrets/external-secrets tag helm-chart-2.9.0,
// deploy/charts/external-secrets/values.yaml) and cloudnative-pg 0.29.0 (cloudnative-pg/charts tag
// cloudnative-pg-v0.29.0, charts/cloudnative-pg/values.yaml).
// ---------------------------------------------------------------------------------------------
const ESO_SECURITY = { podSecurityContext: { enabled: true }, securityContext: { allowPrivilegeEscalation: false, capabilities: DROP_ALL, enabled: true, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 1000, seccompProfile: RUNTIME_DEFAULT } };
const ESO_DEFAULTS = { ...ESO_SECURITY, webhook: { create: true, ...ESO_SECURITY }, certController: { create: true, ...ESO_SECURITY } };

function externalSecrets(r: ReleaseInput): ModelledPod[] {
    const v = helmMerge(ESO_DEFAULTS, r.values);
    const part = (source: string, p: Obj): ModelledPod => ({
        source: `${r.name}/${source}`, namespace: r.namespace,
        pod: pod({ securityContext: withoutEnabled(p.podSecurityContext), containers: [container(source, withoutEnabled(p.securityContext))] }),
    });
    return [part("controller", v), ...(v.webhook.create ? [part("webhook", v.webhook)] : []), ...(v.certController.create ? [part("cert-controller", v.certController)] : [])];
}

const CNPG_DEFAULTS = {
    podSecurityContext: { runAsNonRoot: true, seccompProfile: RUNTIME_DEFAULT },
    containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: RUNTIME_DEFAULT, capabilities: DROP_ALL },
};

function cloudnativePg(r: ReleaseInput): ModelledPod[] {
    const v = helmMerge(CNPG_DEFAULTS, r.values);
    return [{ source: `${r.name}/operator`, namespace: r.namespace, pod: pod({ securityContext: v.podSecurityContext, containers: [container("manager", v.containerSecurityContext)], volumes: [{ name: "scratch-data", emptyDir: {} }, { name: "webhook-certificates", secret: {} }] }) }];
}

// argo-rollouts 2.41.0 (argoproj/argo-helm tag argo-rollouts-2.41.0, charts/argo-rollouts/values.yaml):
// top-level podSecurityContext and containerSecurityContext apply to the controller
// (templates/controller/deployment.yaml); the dashboard (its own contexts) is off by default.
const ARGO_ROLLOUTS_DEFAULTS = {
    podSecurityContext: { runAsNonRoot: true },
    containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: DROP_ALL, readOnlyRootFilesystem: true, seccompProfile: RUNTIME_DEFAULT },
    dashboard: { enabled: false, podSecurityContext: { runAsNonRoot: true }, containerSecurityContext: {} },
};

function argoRollouts(r: ReleaseInput): ModelledPod[] {
    const v = helmMerge(ARGO_ROLLOUTS_DEFAULTS, r.values);
    const controller: ModelledPod = { source: `${r.name}/controller`, namespace: r.namespace, pod: pod({ securityContext: v.podSecurityContext, containers: [container("argo-rollouts", v.containerSecurityContext)] }) };
    return [controller, ...(v.dashboard.enabled ? [{ source: `${r.name}/dashboard`, namespace: r.namespace, pod: pod({ securityContext: v.dashboard.podSecurityContext, containers: [container("argo-rollouts-dashboard", v.dashboard.containerSecurityContext)] }) }] : [])];
}

/**
 * Charts whose pods run in kube-system, which the program does not declare (EKS leaves it at
 * Pod Security privileged): nothing to evaluate against a level the program sets.
 */
export const KUBE_SYSTEM_CHARTS = ["aws-load-balancer-controller", "cluster-autoscaler"];

const MODELS: Record<string, (r: ReleaseInput) => ModelledPod[]> = {
    "kube-prometheus-stack": kubePrometheusStack,
    jaeger,
    "eck-operator": eckOperator,
    "eck-stack": eckStack,
    "external-secrets": externalSecrets,
    "cloudnative-pg": cloudnativePg,
    "argo-rollouts": argoRollouts,
};

/** The pods of one release; throws for a chart with no model (add one above). */
export function releasePods(r: ReleaseInput): ModelledPod[] {
    if (KUBE_SYSTEM_CHARTS.includes(r.chart)) {
        if (r.namespace !== "kube-system") throw new Error(`${r.chart} is modelled as a kube-system chart but installs into ${r.namespace}: model its pods`);
        return [];
    }
    const model = MODELS[r.chart];
    if (!model) throw new Error(`no pod model for chart ${r.chart} (release ${r.name}): encode its pods' security defaults at the pinned version in test/observability/chart-pods.ts`);
    return model(r);
}
