import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHARTS } from "../../components/shared/charts";
import { parse as parseYaml } from "yaml";
import * as k8s from "@pulumi/kubernetes";
import { LOGS_ILM_DEADLINE_SECONDS, Observability, OBSERVABILITY_NAMESPACE, RELEASE_TIMEOUT_SECONDS } from "../../components/observability/observability";
import { observabilitySchema } from "../../components/observability/config";
import { ECK_CA_VALIDITY, ECK_OPERATOR_NAMESPACE, ECK_OPERATOR_RELEASE_TIMEOUT_SECONDS } from "../../components/cluster/eck-operator";
import { NODE_AGENTS_NAMESPACE } from "../../components/observability/node-agents";
import { ilmJobScript } from "../../components/observability/logging";
import { ALERT_RULES_FILE, DASHBOARD_FILE } from "../../components/observability/metrics";
import {
    buildStack, isSecret, reveal, ROOT, settle, startCapture, valueOf, type Built,
} from "../harness";

import { RELEASE, CUSTOM, SECRET, CONFIG_MAP, JOB, INGRESS, NAMESPACE, OBS_KEY, STACKS, Stack, mebibytes, release, valuesOf, resourceOf, observabilitySection, protectedNames } from "./support";

// ---------------------------------------------------------------------------------------------
// The component in the whole platform, per environment
// ---------------------------------------------------------------------------------------------

/** Per-environment expectations: the values in the stack files (review = schema defaults). */
const EXPECTED: Record<Stack, {
    prometheusRetention: string; prometheusStorage: string; prometheusMemory: string; grafanaPersistence: boolean;
    esCount: number; esMemory: string; esStorage: string; logDays: number; jaeger: "memory" | "elasticsearch"; traceDays: number;
    protect: boolean; alertmanagerStorage: string | undefined;
}> = {
    dev: {
        prometheusRetention: "7d", prometheusStorage: "20Gi", prometheusMemory: "1536Mi", grafanaPersistence: true,
        esCount: 1, esMemory: "2Gi", esStorage: "30Gi", logDays: 7, jaeger: "elasticsearch", traceDays: 7, protect: false,
        alertmanagerStorage: undefined,
    },
    prod: {
        prometheusRetention: "15d", prometheusStorage: "100Gi", prometheusMemory: "2560Mi", grafanaPersistence: true,
        esCount: 3, esMemory: "3Gi", esStorage: "100Gi", logDays: 30, jaeger: "elasticsearch", traceDays: 14, protect: true,
        alertmanagerStorage: "2Gi",
    },
    "pr-1": {
        prometheusRetention: "2d", prometheusStorage: "10Gi", prometheusMemory: "1024Mi", grafanaPersistence: false,
        esCount: 1, esMemory: "2Gi", esStorage: "10Gi", logDays: 3, jaeger: "memory", traceDays: 3, protect: false,
        alertmanagerStorage: undefined,
    },
};

let reviewBuild: Built | undefined;
/** The port-forward commands of a review stack's component (built once by the suite below). */
function portForwardCommands(): Record<string, string> {
    assert.ok(reviewBuild, "the observability suite built pr-1 first");
    return reviewBuild.platform.observability.portForwardCommands;
}

describe("observability", function () {
    this.timeout(60000);
    const built = {} as Record<Stack, Built>;
    before(async () => {
        for (const stack of STACKS) built[stack] = await buildStack(stack);
        reviewBuild = built["pr-1"];
    });

    for (const stack of STACKS) {
        describe(`on ${stack}`, () => {
            const e = EXPECTED[stack];
            const b = () => built[stack];

            it("installs four releases from CHARTS with explicit names, namespaces, timeouts and rollback (eck-operator by the cluster layer)", () => {
                // Jaeger 900 s: on a fresh cluster it waits for Elasticsearch (see the ordering test).
                assert.deepEqual(RELEASE_TIMEOUT_SECONDS, { kubePrometheusStack: 900, jaeger: 900, eckStack: 600 });
                assert.equal(ECK_OPERATOR_RELEASE_TIMEOUT_SECONDS, 600);
                const expected = [
                    { name: "kube-prometheus-stack", pin: CHARTS.kubePrometheusStack, namespace: OBSERVABILITY_NAMESPACE, timeout: RELEASE_TIMEOUT_SECONDS.kubePrometheusStack },
                    { name: "jaeger", pin: CHARTS.jaeger, namespace: OBSERVABILITY_NAMESPACE, timeout: RELEASE_TIMEOUT_SECONDS.jaeger },
                    { name: "eck-operator", pin: CHARTS.eckOperator, namespace: ECK_OPERATOR_NAMESPACE, timeout: ECK_OPERATOR_RELEASE_TIMEOUT_SECONDS },
                    { name: "eck-stack", pin: CHARTS.eckStack, namespace: OBSERVABILITY_NAMESPACE, timeout: RELEASE_TIMEOUT_SECONDS.eckStack },
                ];
                for (const x of expected) {
                    const r = release(b(), x.name).inputs;
                    assert.deepEqual(
                        { chart: r.chart, version: r.version, repo: r.repositoryOpts.repo, namespace: r.namespace, timeout: r.timeout, atomic: r.atomic, cleanupOnFail: r.cleanupOnFail },
                        { chart: x.pin.chart, version: x.pin.version, repo: x.pin.repo, namespace: x.namespace, timeout: x.timeout, atomic: true, cleanupOnFail: true },
                        x.name,
                    );
                }
            });

            it("makes Prometheus select monitors, rules, probes and scrape configs of every namespace", () => {
                const spec = valuesOf(b(), "kube-prometheus-stack").prometheus.prometheusSpec;
                for (const kind of ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"]) {
                    assert.equal(spec[`${kind}SelectorNilUsesHelmValues`], false, kind);
                    assert.deepEqual(spec[`${kind}Selector`], {}, kind);
                    assert.deepEqual(spec[`${kind}NamespaceSelector`], {}, kind);
                }
            });

            it("sizes Prometheus from config on the cluster's gp3 class", () => {
                const spec = valuesOf(b(), "kube-prometheus-stack").prometheus.prometheusSpec;
                assert.equal(spec.retention, e.prometheusRetention);
                assert.equal(spec.retentionSize, `${Math.floor(mebibytes(e.prometheusStorage) * 0.85)}MiB`);
                assert.deepEqual(spec.storageSpec, {
                    volumeClaimTemplate: {
                        spec: { storageClassName: b().platform.cluster.storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: e.prometheusStorage } } },
                    },
                });
                assert.deepEqual(spec.resources, { requests: { cpu: "200m", memory: e.prometheusMemory }, limits: { memory: e.prometheusMemory } });
                assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy,
                    e.protect ? { whenDeleted: "Retain", whenScaled: "Retain" } : { whenDeleted: "Delete", whenScaled: "Delete" });
            });

            it("turns off the control-plane scrapes EKS does not allow (and with them their alerts)", () => {
                const v = valuesOf(b(), "kube-prometheus-stack");
                for (const component of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) {
                    assert.deepEqual(v[component], { enabled: false }, component);
                }
            });

            it("takes Grafana's admin login from a Pulumi-made Secret, never from values or outputs", async () => {
                const grafana = valuesOf(b(), "kube-prometheus-stack").grafana;
                assert.deepEqual(grafana.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
                assert.equal(grafana.adminPassword, undefined);
                const secret = b().capture.ofType(SECRET).find((s) => s.inputs.metadata?.name === "grafana-admin")!;
                assert.ok(secret, "Secret grafana-admin");
                assert.equal(secret.inputs.metadata.namespace, OBSERVABILITY_NAMESPACE);
                assert.ok(isSecret(secret.inputs.stringData["admin-password"]) || isSecret(secret.inputs.stringData), "password is a Pulumi secret");
                const password = reveal(secret.inputs.stringData)["admin-password"];
                assert.equal(password.length, 32);
                const outputs = JSON.stringify(reveal(await valueOf(b().platform.outputs as any)));
                assert.ok(!outputs.includes(password), "the password is in no stack output");
                const release = b().capture.ofType(RELEASE).find((r) => r.inputs.name === "kube-prometheus-stack")!;
                assert.ok(!JSON.stringify(reveal(release.inputs)).includes(password), "nor in the release's values");
            });

            it("gives Grafana Prometheus (the chart's), Jaeger and Elasticsearch data sources", () => {
                const grafana = valuesOf(b(), "kube-prometheus-stack").grafana;
                assert.deepEqual(grafana.sidecar.datasources, { enabled: true, defaultDatasourceEnabled: true, uid: "prometheus" });
                assert.deepEqual(grafana.additionalDataSources.map((d: any) => [d.uid, d.type, d.url]), [
                    ["jaeger", "jaeger", "http://jaeger.observability.svc:16686"],
                    ["elasticsearch-logs", "elasticsearch", "https://elasticsearch-es-http.observability.svc:9200"],
                ]);
                const es = grafana.additionalDataSources[1];
                assert.deepEqual({ basicAuth: es.basicAuth, user: es.basicAuthUser, secure: es.secureJsonData, tls: es.jsonData.tlsAuthWithCACert, index: es.jsonData.index },
                    { basicAuth: true, user: "grafana-reader", secure: { basicAuthPassword: "$ES_PASSWORD", tlsCACert: "$ES_CA_CERT" }, tls: true, index: "logs-*" });
                assert.deepEqual(grafana.envValueFrom, {
                    ES_PASSWORD: { secretKeyRef: { name: "es-user-grafana", key: "password" } },
                    ES_CA_CERT: { secretKeyRef: { name: "elasticsearch-es-http-certs-public", key: "ca.crt" } },
                });
            });

            it("loads the app dashboard from a ConfigMap labelled grafana_dashboard=1, searched in all namespaces", () => {
                const grafana = valuesOf(b(), "kube-prometheus-stack").grafana;
                assert.deepEqual(grafana.sidecar.dashboards, { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" });
                const cm = b().capture.ofType(CONFIG_MAP).find((c) => c.inputs.metadata?.labels?.grafana_dashboard !== undefined)!;
                assert.deepEqual(cm.inputs.metadata, { name: "orders-dashboard", namespace: OBSERVABILITY_NAMESPACE, labels: { grafana_dashboard: "1" } });
                assert.equal(cm.inputs.data["orders.json"], fs.readFileSync(DASHBOARD_FILE, "utf8"));
            });

            it("persists Grafana only where configured, with Recreate so the volume can move", () => {
                const grafana = valuesOf(b(), "kube-prometheus-stack").grafana;
                if (e.grafanaPersistence) {
                    assert.equal(grafana.persistence.enabled, true);
                    assert.equal(grafana.persistence.storageClassName, b().platform.cluster.storageClassName);
                    assert.deepEqual(grafana.deploymentStrategy, { type: "Recreate" });
                } else {
                    assert.deepEqual(grafana.persistence, { enabled: false });
                    assert.deepEqual(grafana.deploymentStrategy, { type: "RollingUpdate" });
                }
            });

            it("routes alerts to the null receiver by default", () => {
                const am = valuesOf(b(), "kube-prometheus-stack").alertmanager;
                assert.equal(am.config.route.receiver, "null");
                assert.deepEqual(am.config.receivers, [{ name: "null" }]);
                assert.deepEqual(am.alertmanagerSpec.secrets, []);
                assert.deepEqual(am.alertmanagerSpec.storage?.volumeClaimTemplate.spec.resources.requests.storage, e.alertmanagerStorage);
            });

            it("deploys the app's alert rules as a PrometheusRule after the chart that brings its CRD", () => {
                const rule = b().capture.one(CUSTOM("PrometheusRule"));
                assert.deepEqual(rule.inputs.metadata, { name: "orders-alerts", namespace: OBSERVABILITY_NAMESPACE, labels: { "app.kubernetes.io/part-of": "orders" } });
                // Parsed here, not through the component's loader: the deployed spec is the file, unchanged.
                assert.deepEqual(reveal(rule.inputs.spec.groups), parseYaml(fs.readFileSync(ALERT_RULES_FILE, "utf8")).groups);
                assert.ok(b().capture.dependsOn(rule, release(b(), "kube-prometheus-stack")));
            });

            it(`stores traces in ${e.jaeger} with Jaeger v2's own config keys (no 3.x keys)`, () => {
                const v = valuesOf(b(), "jaeger");
                for (const legacy of ["allInOne", "provisionDataStore", "collector", "query", "agent", "ingester"]) {
                    assert.equal(v[legacy], undefined, `${legacy} is a 3.x key the 4.x chart ignores`);
                }
                const backend = v.userconfig.extensions.jaeger_storage.backends.primary_store;
                assert.deepEqual(v.userconfig.receivers.otlp.protocols, { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } });
                assert.deepEqual(v.userconfig.extensions.healthcheckv2, { use_v2: true, http: { endpoint: "0.0.0.0:13133" } });
                assert.deepEqual(v.userconfig.service.pipelines.traces.exporters, ["jaeger_storage_exporter"]);
                if (e.jaeger === "memory") {
                    assert.deepEqual(backend, { memory: { max_traces: 20000 } });
                    assert.deepEqual(v.esIndexCleaner, { enabled: false });
                    assert.deepEqual(v.jaeger.extraEnv, []);
                } else {
                    const replicas = e.esCount > 1 ? 1 : 0;
                    assert.deepEqual(backend, {
                        elasticsearch: {
                            server_urls: ["https://elasticsearch-es-http.observability.svc:9200"],
                            auth: { basic: { username: "jaeger-writer", password: "${env:ES_PASSWORD}" } },
                            tls: { insecure: false, ca_file: "/es-ca/ca.crt" },
                            indices: Object.fromEntries(["spans", "services", "dependencies", "sampling"].map((k) => [k, { shards: 1, replicas }])),
                        },
                    });
                    assert.deepEqual(v.jaeger.extraEnv, [{ name: "ES_PASSWORD", valueFrom: { secretKeyRef: { name: "es-user-jaeger", key: "password" } } }]);
                    assert.deepEqual(v.jaeger.extraVolumes, [{ name: "es-ca", secret: { secretName: "elasticsearch-es-http-certs-public" } }]);
                    assert.deepEqual(v.jaeger.extraVolumeMounts, [{ name: "es-ca", mountPath: "/es-ca", readOnly: true }]);
                    assert.deepEqual(v.esIndexCleaner.extraEnv, [
                        { name: "ES_PASSWORD", valueFrom: { secretKeyRef: { name: "es-user-jaeger-cleaner", key: "password" } } },
                        { name: "ES_TLS_ENABLED", value: "true" },
                        { name: "ES_TLS_CA", value: "/es-ca/ca.crt" },
                    ]);
                    assert.deepEqual(v.esIndexCleaner.extraSecretMounts, [
                        { name: "es-ca", secretName: "elasticsearch-es-http-certs-public", mountPath: "/es-ca/ca.crt", subPath: "ca.crt", readOnly: true },
                    ]);
                    assert.equal(v.esIndexCleaner.enabled, true);
                    assert.equal(v.esIndexCleaner.numberOfDays, e.traceDays);
                    // Only what the chart's elasticsearch.env helper reads for the cleaner (no inert tls.enabled).
                    assert.deepEqual(v.storage, {
                        type: "elasticsearch",
                        elasticsearch: { url: "https://elasticsearch-es-http.observability.svc:9200", user: "jaeger-cleaner" },
                    });
                }
            });

            it("exports the OTLP endpoint of the Service the jaeger chart creates (named after the release)", () => {
                assert.equal(b().platform.observability.otlpHttpEndpoint, "http://jaeger.observability.svc:4318");
                assert.equal(b().platform.outputs.otlpHttpEndpoint, "http://jaeger.observability.svc:4318");
                assert.equal(release(b(), "jaeger").inputs.name, "jaeger");
            });

            it("sizes Elasticsearch from config: node count, memory, gp3 volume claim named elasticsearch-data", () => {
                const es = valuesOf(b(), "eck-stack")["eck-elasticsearch"];
                assert.equal(es.fullnameOverride, "elasticsearch");
                assert.equal(es.volumeClaimDeletePolicy, e.protect ? "DeleteOnScaledownOnly" : "DeleteOnScaledownAndClusterDeletion");
                assert.equal(es.nodeSets.length, 1);
                const set = es.nodeSets[0];
                assert.equal(set.count, e.esCount);
                assert.deepEqual(set.config, { "node.store.allow_mmap": false });
                assert.deepEqual(set.podTemplate.spec.containers, [{
                    name: "elasticsearch",
                    resources: { requests: { cpu: "500m", memory: e.esMemory }, limits: { memory: e.esMemory } },
                }]);
                assert.deepEqual(set.volumeClaimTemplates, [{
                    metadata: { name: "elasticsearch-data" },
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: b().platform.cluster.storageClassName, resources: { requests: { storage: e.esStorage } } },
                }]);
            });

            it("ships container logs Filebeat → Logstash → Elasticsearch over TLS as Logstash's own writer user", () => {
                const v = valuesOf(b(), "eck-stack");
                assert.deepEqual(v["eck-kibana"].elasticsearchRef, { name: "elasticsearch" });
                const ls = v["eck-logstash"];
                // No association: ECK's association user has the broad eck_logstash_user_role.
                assert.equal(ls.elasticsearchRefs, undefined);
                const pipeline: string = ls.pipelines[0]["config.string"];
                assert.ok(!pipeline.includes('user => "elastic"'));
                const container = ls.podTemplate.spec.containers[0];
                const env = Object.fromEntries(container.env.map((x: any) => [x.name, x.value ?? x.valueFrom]));
                assert.deepEqual({ url: env.ES_URL, user: env.ES_USER, password: env.ES_PASSWORD }, {
                    url: "https://elasticsearch-es-http.observability.svc:9200", user: "logstash-writer",
                    password: { secretKeyRef: { name: "es-user-logstash", key: "password" } },
                });
                assert.deepEqual(ls.podTemplate.spec.volumes, [{ name: "es-ca", secret: { secretName: "elasticsearch-es-http-certs-public" } }]);
                assert.deepEqual(container.volumeMounts, [{ name: "es-ca", mountPath: "/es-ca", readOnly: true }]);
                for (const line of ['hosts => [ "${ES_URL}" ]', 'user => "${ES_USER}"', 'password => "${ES_PASSWORD}"',
                    'ssl_certificate_authorities => "/es-ca/ca.crt"', "data_stream_auto_routing => false",
                    'data_stream_type => "logs"', 'data_stream_dataset => "kubernetes"', 'data_stream_namespace => "default"', "beats { port => 5044 }",
                    'json { source => "message" target => "app" skip_on_invalid_json => true }', 'if [kubernetes][namespace] == "orders" {']) {
                    assert.ok(pipeline.includes(line), `pipeline has ${line}`);
                }
                assert.deepEqual(ls.services[0].service.spec.ports, [{ name: "beats", port: 5044, targetPort: 5044, protocol: "TCP" }]);
                // Filebeat is not the chart's (its subchart cannot leave the release's namespace): a Beat of its own in node-agents.
                assert.deepEqual(v["eck-beats"], { enabled: false });
                const beat = filebeatOf(b());
                assert.equal(reveal(beat.inputs.metadata.namespace), "node-agents");
                const fb = reveal(beat.inputs.spec);
                assert.equal(fb.type, "filebeat");
                assert.equal(fb.version, "9.5.0");
                assert.ok("daemonSet" in fb && !("deployment" in fb), "Filebeat runs on every node");
                assert.deepEqual(fb.daemonSet.podTemplate.spec.tolerations, [{ operator: "Exists", effect: "NoSchedule" }], "tainted system nodes included");
                // <logstash fullname>-ls-<service name>, in the observability namespace.
                assert.deepEqual(fb.config["output.logstash"], { hosts: ["logstash-ls-beats.observability.svc:5044"] });
                // No elasticsearchRef: no cross-namespace association for ECK to make.
                assert.equal(fb.elasticsearchRef, undefined);
                // No add_cloud_metadata: IMDS is out of a pod's reach on AL2023 (hop limit 1, no host network).
                assert.deepEqual(fb.config.processors, [{ add_host_metadata: {} }]);
                assert.equal(fb.daemonSet.podTemplate.spec.hostNetwork, undefined);
                assert.equal(fb.config["output.elasticsearch"], undefined);
            });

            it("runs the ILM Job again on the next pulumi up after it failed, and lets its own deadline, not Pulumi's, end it", () => {
                const job = b().capture.ofType(JOB).find((j) => j.name.endsWith("-logs-ilm"))!;
                // Without it, an errored Job is re-awaited as it is by every later `up` and fails again.
                assert.equal(job.inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
                assert.equal(job.inputs.spec.activeDeadlineSeconds, LOGS_ILM_DEADLINE_SECONDS);
                // 5 minutes past the deadline: a Job out of time fails with the provider's [DeadlineExceeded].
                assert.deepEqual(job.customTimeouts, { create: "35m", update: "35m", delete: "" });
            });

            it(`keeps logs ${e.logDays} days with an ILM policy applied by a Job that starts with the operator, on the nodes`, async () => {
                const job = b().capture.ofType(JOB).find((j) => j.name.endsWith("-logs-ilm"))!;
                const env = Object.fromEntries(job.inputs.spec.template.spec.containers[0].env.map((x: any) => [x.name, x.value ?? x.valueFrom]));
                const policy = JSON.parse(env.ILM_POLICY);
                assert.deepEqual(policy.policy.phases.delete, { min_age: `${e.logDays}d`, actions: { delete: {} } });
                assert.deepEqual(JSON.parse(env.COMPONENT_TEMPLATE).template.settings,
                    { "index.lifecycle.name": "platform-logs", "index.number_of_replicas": e.esCount > 1 ? 1 : 0 });
                assert.deepEqual(JSON.parse(env.INDEX_SETTINGS),
                    { "index.lifecycle.name": "platform-logs", "index.number_of_replicas": e.esCount > 1 ? 1 : 0 });
                assert.equal(env.ES_URL, "https://elasticsearch-es-http.observability.svc:9200");
                assert.equal(job.inputs.spec.template.spec.containers[0].command[2], ilmJobScript());
                // Its own user's password (not elastic's), and ECK's CA mounted where every curl of the script reads it.
                assert.deepEqual(env.ES_PASSWORD, { secretKeyRef: { name: "es-user-logs-lifecycle", key: "password" } });
                assert.deepEqual(job.inputs.spec.template.spec.volumes, [{ name: "es-ca", secret: { secretName: "elasticsearch-es-http-certs-public" } }]);
                assert.deepEqual(job.inputs.spec.template.spec.containers[0].volumeMounts, [{ name: "es-ca", mountPath: "/es-ca", readOnly: true }]);
                assert.equal(ilmJobScript().match(/ --cacert \/es-ca\/ca\.crt -u "\$auth" /g)?.length, 4);
                assert.ok(ilmJobScript().includes('auth="logs-lifecycle:${ES_PASSWORD}"'));
                assert.deepEqual(job.inputs.spec.template.spec.containers[0].resources, { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } });
                // The Job only retries until Elasticsearch answers: after eck-stack (and so the
                // cluster's ECK operator) it loses nothing, and its estimate is Elasticsearch's start.
                assert.ok(b().capture.dependsOn(job, release(b(), "eck-stack")) && b().capture.dependsOn(job, release(b(), "eck-operator")));
                for (const ready of b().platform.cluster.nodesReady) assert.ok(b().capture.dependsOn(job, await resourceOf(b(), ready)));
            });

            it("orders releases: after nodes and storage, not the cluster services; ECK stack after the cluster's operator", async () => {
                const cluster = b().platform.cluster;
                const all = ["kube-prometheus-stack", "jaeger", "eck-stack"].map((n) => release(b(), n));
                for (const ready of cluster.nodesReady) {
                    const target = await resourceOf(b(), ready);
                    for (const r of all) assert.ok(b().capture.dependsOn(r, target), `${r.inputs.name} after ${target.name}`);
                }
                // The load balancer controller's Service webhook is off and its pod webhook selects
                // labelled namespaces only: nothing here but the Ingresses (tested below) waits for it.
                assert.equal(valuesOf(b(), "aws-load-balancer-controller").enableServiceMutatorWebhook, false);
                for (const ready of cluster.servicesReady) {
                    const target = await resourceOf(b(), ready);
                    for (const r of all) assert.ok(!b().capture.dependsOn(r, target), `${r.inputs.name} waits for ${target.name}`);
                }
                for (const ns of b().capture.ofType(NAMESPACE).filter((n) => /observability/.test(n.name))) {
                    assert.equal(ns.inputs.metadata.labels?.["elbv2.k8s.aws/pod-readiness-gate-inject"], undefined, `${ns.name} is not selected by the pod webhook`);
                }
                const [kps, jaeger, stackRelease] = all;
                const operator = release(b(), "eck-operator");
                assert.ok(b().capture.dependsOn(stackRelease, operator), "eck-stack after eck-operator (and removed before it)");
                assert.ok(b().capture.dependsOn(kps, stackRelease), "Grafana reads the Elasticsearch Secrets");
                assert.equal(b().capture.dependsOn(jaeger, stackRelease), e.jaeger === "elasticsearch", "Jaeger waits for ELK only when it stores there");
                // Helm's wait on eck-stack ends when the Elasticsearch resource exists; the ILM Job
                // completes only once the cluster is yellow, and Jaeger v2 exits if ES does not answer.
                const ilmJob = b().capture.ofType(JOB).find((j) => j.name.endsWith("-logs-ilm"))!;
                assert.equal(b().capture.dependsOn(jaeger, ilmJob), e.jaeger === "elasticsearch",
                    "in Elasticsearch mode Jaeger installs only after the ILM Job has seen the cluster healthy");
                assert.match(ilmJobScript(), /until curl [^\n]*\/_cluster\/health\?wait_for_status=yellow/, "the Job's gate is the cluster health");
                assert.ok(!b().capture.dependsOn(operator, kps) && !b().capture.dependsOn(operator, jaeger), "the operator waits for nothing of the stack");
                assert.ok(!b().capture.dependsOn(kps, jaeger) && !b().capture.dependsOn(jaeger, kps), "metrics and traces are independent");
            });

            it("blocks nothing outside: the data tier and cluster do not depend on observability", () => {
                const component = b().capture.resources.find((r) => r.type === "platform:observability:Observability")!;
                const inside = new Set([component.urn, ...b().capture.descendantsOf(component).map((r) => r.urn)]);
                for (const r of b().capture.resources) {
                    if (inside.has(r.urn)) continue;
                    const closure = b().capture.dependencyClosure(r);
                    // The app's ServiceMonitor (and any PodMonitor/PrometheusRule) needs the CRDs
                    // (crdsReady: kube-prometheus-stack), and may wait for nothing else of the stack.
                    // Anything depending on such a monitor reaches the stack through it and fails below.
                    if (r.type.startsWith("kubernetes:monitoring.coreos.com/")) {
                        const kps = release(b(), "kube-prometheus-stack");
                        const allowed = new Set([kps.urn, ...b().capture.dependencyClosure(kps)]);
                        const extra = [...inside].filter((u) => closure.has(u) && !allowed.has(u));
                        assert.deepEqual(extra, [], `${r.name} waits for the observability stack beyond its CRDs`);
                        continue;
                    }
                    assert.ok(![...inside].some((u) => closure.has(u)), `${r.name} must not wait for the observability stack`);
                }
            });

            it("puts every Kubernetes object on the cluster's provider", async () => {
                const component = b().capture.resources.find((r) => r.type === "platform:observability:Observability")!;
                const providerUrn = await valueOf(b().platform.cluster.provider.urn);
                const objects = b().capture.descendantsOf(component).filter((r) => r.type.startsWith("kubernetes:"));
                // Issue 12 item 12: + the node-agents Namespace, Filebeat's ServiceAccount, ClusterRole,
                // ClusterRoleBinding and Beat; item 13: + Logstash's ingress from node-agents and the four
                // policies of node-agents; item 14: 8 Secrets (Grafana's admin, the Elasticsearch roles
                // and 6 client users). The ECK operator, its namespace and its three policies are the
                // cluster layer's (issue 14).
                // + Prometheus' ingress from the Argo Rollouts controller's analysis on canary stacks.
                const policies = (b().config.observability.alertReceiver === "none" ? 13 : 14) + (b().config.app.deliveryStrategy === "rolling" ? 0 : 1);
                assert.equal(objects.length, 22 + policies);
                assert.deepEqual(objects.map((o) => o.type.replace(/^kubernetes:/, "")).sort(), [
                    "batch/v1:Job", "beat.k8s.elastic.co/v1beta1:Beat", "core/v1:ConfigMap", "core/v1:Namespace", "core/v1:Namespace", ...Array(8).fill("core/v1:Secret"), "core/v1:ServiceAccount",
                    "helm.sh/v3:Release", "helm.sh/v3:Release", "helm.sh/v3:Release",
                    "monitoring.coreos.com/v1:PrometheusRule", "monitoring.coreos.com/v1:ServiceMonitor",
                    ...Array(policies).fill("networking.k8s.io/v1:NetworkPolicy"),
                    "rbac.authorization.k8s.io/v1:ClusterRole", "rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                    "scheduling.k8s.io/v1:PriorityClass",
                ]);
                for (const o of objects) assert.equal(o.provider.split("::").slice(0, -1).join("::"), providerUrn, o.name);
            });

            it("runs the host agents in a privileged namespace of their own, everything else of the stack restricted (issue 12 item 12)", () => {
                const labels = (n: string) => b().capture.ofType(NAMESPACE).find((r) => r.inputs.metadata.name === n)!.inputs.metadata.labels["pod-security.kubernetes.io/enforce"];
                assert.equal(labels(OBSERVABILITY_NAMESPACE), "restricted");
                assert.equal(labels(NODE_AGENTS_NAMESPACE), "privileged");
                assert.equal(valuesOf(b(), "kube-prometheus-stack")["prometheus-node-exporter"].namespaceOverride, NODE_AGENTS_NAMESPACE);
                // Helm does not create the override's namespace: the release waits for it.
                const agentsNs = b().capture.ofType(NAMESPACE).find((r) => r.inputs.metadata.name === NODE_AGENTS_NAMESPACE)!;
                assert.ok(b().capture.dependsOn(release(b(), "kube-prometheus-stack"), agentsNs), "kube-prometheus-stack after the node-agents namespace");
                assert.ok(b().capture.dependsOn(filebeatOf(b()), agentsNs), "the Beat after the node-agents namespace");
                assert.ok(b().capture.dependsOn(filebeatOf(b()), release(b(), "eck-operator")), "the Beat after the operator (its CRD and webhook)");
                assert.equal(labels(ECK_OPERATOR_NAMESPACE), "restricted");
                assert.deepEqual(valuesOf(b(), "eck-operator").podSecurityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
            });

            it("gives the ECK operator 512 MiB (chart default limit 1 GiB) and ten-year CAs", () => {
                const v = valuesOf(b(), "eck-operator");
                assert.deepEqual(v.resources, { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: 1, memory: "512Mi" } });
                // Grafana and Jaeger read the Elasticsearch CA once at start: a yearly new CA (the
                // chart's 8760h) would break them; docs/observability.md has the planned rotation.
                assert.deepEqual(v.config, { caValidity: "87600h", caRotateBefore: "24h" });
            });

            it("gives Filebeat ECK's default 300Mi and both node agents a PriorityClass above workloads (issue 12 item 11)", () => {
                const pcs = b().capture.ofType("kubernetes:scheduling.k8s.io/v1:PriorityClass");
                assert.equal(pcs.length, 1);
                assert.deepEqual(pcs[0].inputs, {
                    apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass",
                    metadata: { name: "platform-node-agent" }, value: 1_000_000, globalDefault: false, preemptionPolicy: "PreemptLowerPriority",
                    description: "Per-node log shipper and node-exporter: preempt workloads rather than stay Pending.",
                });
                const fb = reveal(filebeatOf(b()).inputs.spec).daemonSet.podTemplate.spec;
                assert.equal(fb.priorityClassName, "platform-node-agent");
                assert.deepEqual(fb.containers[0].resources, { requests: { cpu: "50m", memory: "300Mi" }, limits: { memory: "300Mi" } });
                assert.equal(valuesOf(b(), "kube-prometheus-stack")["prometheus-node-exporter"].priorityClassName, "platform-node-agent");
                assert.ok(b().capture.dependsOn(release(b(), "kube-prometheus-stack"), pcs[0]), "kube-prometheus-stack after the PriorityClass");
                assert.ok(b().capture.dependsOn(filebeatOf(b()), pcs[0]), "the Beat after the PriorityClass");
            });

            it("creates no Ingress unless asked (port-forward by default)", () => {
                // The app's own (prod's canary at the ALB) is the delivery layer's.
                assert.equal(b().capture.ofType(INGRESS).filter((i) => !i.name.endsWith("-app-ingress")).length, 0);
            });

            it("fits on the node group's minimum nodes with a quarter of their memory left for the app and cluster services", () => {
                const total = observabilityMemoryMiB(b());
                const nodes = b().config.cluster.nodes;
                // The general nodes are one group per AZ: the fewest is minSizePerAz in each AZ.
                const minimumNodes = nodes.minSizePerAz * b().config.network.availabilityZoneCount;
                const allocatable = allocatableMiB(nodes.instanceTypes) * minimumNodes;
                assert.ok(total <= allocatable * 0.75,
                    `observability asks ${total} MiB; ${minimumNodes} x ${nodes.instanceTypes.join("/")} allocate ${allocatable} MiB (limit 75%: ${Math.floor(allocatable * 0.75)} MiB)`);
                assert.equal(total, SIZING_MIB[stack], "docs/observability.md states this figure: update both");
            });

            it("fits each pod on ONE node: its memory request within a node's allocatable memory less the DaemonSets", () => {
                const nodes = b().config.cluster.nodes;
                const room = allocatableMiB(nodes.instanceTypes) - daemonSetMemoryPerNodeMiB(b());
                const pods = podMemoryMiB(b());
                assert.deepEqual(Object.keys(pods).sort(), [
                    "alertmanager", "eck-operator", "elasticsearch", "grafana", "jaeger", "kibana", "kube-state-metrics", "logstash", "prometheus", "prometheus-operator",
                ]);
                for (const [pod, mib] of Object.entries(pods)) {
                    assert.ok(mib <= room, `${pod} asks ${mib} MiB; one ${nodes.instanceTypes.join("/")} node has ${room} MiB after the DaemonSets`);
                }
                // The biggest pod per environment (docs/observability.md, "Sizing").
                assert.deepEqual(Object.entries(pods).sort((x, y) => y[1] - x[1])[0], BIGGEST_POD[stack]);
            });
        });
    }

    it("installs exactly the platform's seven Helm releases, each at its literal pinned version and from a CHARTS pin", () => {
        const pins = new Set(Object.values(CHARTS).map((p) => `${p.repo} ${p.chart} ${p.version}`));
        for (const stack of STACKS) {
            const releases = built[stack].capture.ofType(RELEASE);
            for (const r of releases) {
                const id = `${r.inputs.repositoryOpts?.repo} ${r.inputs.chart} ${r.inputs.version}`;
                assert.ok(pins.has(id), `${stack}: release ${r.inputs.name} (${id}) is not pinned in components/shared/charts.ts`);
            }
            // Exactly these seven releases, each at the version pinned today (written out here, not
            // read from CHARTS: a bump must change this table too).
            assert.deepEqual(
                releases.map((r) => [r.inputs.name, r.inputs.repositoryOpts?.repo, r.inputs.chart, r.inputs.version]).sort((x, y) => x[0].localeCompare(y[0])),
                [
                    // dev and prod deliver by canary (components/cluster/argo-rollouts.ts).
                    ...(stack === "pr-1" ? [] : [["argo-rollouts", "https://argoproj.github.io/argo-helm", "argo-rollouts", "2.41.0"]]),
                    ["aws-load-balancer-controller", "https://aws.github.io/eks-charts", "aws-load-balancer-controller", "3.5.0"],
                    ["cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.59.0"],
                    // dev hosts the review namespaces (components/review/host.ts).
                    ...(stack === "dev" ? [["cnpg", "https://cloudnative-pg.github.io/charts", "cloudnative-pg", "0.29.0"]] : []),
                    ["eck-operator", "https://helm.elastic.co", "eck-operator", "3.5.0"],
                    ["eck-stack", "https://helm.elastic.co", "eck-stack", "0.20.0"],
                    ["external-secrets", "https://charts.external-secrets.io", "external-secrets", "2.9.0"],
                    ["jaeger", "https://jaegertracing.github.io/helm-charts", "jaeger", "4.11.1"],
                    ["kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.5.3"],
                ],
                `${stack}: Helm releases`,
            );
        }
    });

    it("protects the releases holding data (metrics, logs) on prod only", async () => {
        for (const stack of ["prod", "pr-1"] as const) {
            const protect = await protectedNames(stack);
            const name = (suffix: string) => `platform-${stack}-observability-${suffix}`;
            for (const suffix of ["kube-prometheus-stack", "eck-stack"]) assert.equal(protect.get(name(suffix)), stack === "prod", `${stack} ${suffix}`);
            for (const suffix of ["jaeger"]) assert.equal(protect.get(name(suffix)), false, `${stack} ${suffix}`);
        }
    });

    it("routes alerts to Slack through a mounted Secret when configured", async () => {
        const b = await buildStack("pr-1", { [OBS_KEY]: { alertReceiver: "slack", alertReceiverSecretsManagerName: "platform/alertmanager-receiver", alertSlackChannel: "#orders-alerts" } });
        const am = valuesOf(b, "kube-prometheus-stack").alertmanager;
        assert.equal(am.config.route.receiver, "slack");
        assert.deepEqual(am.config.receivers, [
            { name: "null" },
            { name: "slack", slack_configs: [{ api_url_file: "/etc/alertmanager/secrets/alertmanager-receiver/url", channel: "#orders-alerts", send_resolved: true }] },
        ]);
        // The Secret External Secrets syncs from Secrets Manager (alert-receiver.test.ts).
        assert.deepEqual(am.alertmanagerSpec.secrets, ["alertmanager-receiver"]);
    });

    it("adds internal ALB Ingresses for Grafana and Kibana on request, after the load balancer controller", async () => {
        const b = await buildStack("dev", { [OBS_KEY]: { ...observabilitySection("dev"), internalIngress: true } });
        const ingresses = b.capture.ofType(INGRESS);
        assert.deepEqual(ingresses.map((i) => [i.inputs.metadata.name, i.inputs.spec.rules[0].http.paths[0].backend.service]).sort(), [
            ["grafana", { name: "kube-prometheus-stack-grafana", port: { number: 80 } }],
            ["kibana", { name: "kibana-kb-http", port: { number: 5601 } }],
        ]);
        // Grafana and Kibana become the ALB's ip targets: readiness gates on their namespace (issue 12 item 8).
        const obsNs = (x: typeof b) => x.capture.ofType(NAMESPACE).find((r) => r.inputs.metadata.name === OBSERVABILITY_NAMESPACE)!;
        assert.equal(obsNs(b).inputs.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"], "enabled");
        for (const ready of b.platform.cluster.servicesReady) assert.ok(b.capture.dependsOn(obsNs(b), await resourceOf(b, ready)));
        const without = await buildStack("dev");
        assert.equal(obsNs(without).inputs.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"], undefined);
        for (const i of ingresses) {
            assert.equal(i.inputs.spec.ingressClassName, "alb");
            assert.equal(i.inputs.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internal");
            for (const ready of b.platform.cluster.servicesReady) {
                assert.ok(b.capture.dependsOn(i, await resourceOf(b, ready)), `${i.inputs.metadata.name} after the cluster services`);
            }
        }
    });
});

// ---------------------------------------------------------------------------------------------
// Sizing
// ---------------------------------------------------------------------------------------------

/**
 * EC2 memory and the VPC CNI's pod limit per instance type used in the stack files: allocatable
 * memory on EKS AL2023 = memory - kube-reserved (255 MiB + 11 MiB per pod) - 100 MiB eviction.
 */
const INSTANCES: Record<string, { memoryMiB: number; maxPods: number }> = {
    "t3.large": { memoryMiB: 8192, maxPods: 35 },
    "t3a.large": { memoryMiB: 8192, maxPods: 35 },
    "t3.xlarge": { memoryMiB: 16384, maxPods: 58 },
    "m5.large": { memoryMiB: 8192, maxPods: 29 },
    "m6i.large": { memoryMiB: 8192, maxPods: 29 },
    "m7i.large": { memoryMiB: 8192, maxPods: 29 },
    "m7i.xlarge": { memoryMiB: 16384, maxPods: 58 },
    "m7g.large": { memoryMiB: 8192, maxPods: 29 },
};

function allocatableMiB(instanceTypes: readonly string[]): number {
    return Math.min(...instanceTypes.map((t) => {
        const i = INSTANCES[t];
        if (!i) throw new Error(`add ${t} to INSTANCES in test/observability.test.ts (memory and max pods)`);
        return i.memoryMiB - (255 + 11 * i.maxPods) - 100;
    }));
}

/** The memory the stack requests, read back from the values the releases received. */
function observabilityMemoryMiB(b: Built): number {
    const nodes = b.config.cluster.nodes.minSizePerAz * b.config.network.availabilityZoneCount;
    const mem = (r: any) => mebibytes(r.requests.memory);
    const kps = valuesOf(b, "kube-prometheus-stack");
    const reloader = mem(kps.prometheusOperator.prometheusConfigReloader.resources);
    const metrics = mem(kps.prometheus.prometheusSpec.resources) + reloader // Prometheus pod
        + mem(kps.alertmanager.alertmanagerSpec.resources) + reloader // Alertmanager pod
        + mem(kps.prometheusOperator.resources)
        + mem(kps.grafana.resources) + 2 * mem(kps.grafana.sidecar.resources)
        + mem(kps["kube-state-metrics"].resources)
        + nodes * mem(kps["prometheus-node-exporter"].resources);
    const j = valuesOf(b, "jaeger");
    const tracing = mem(j.jaeger.resources) + (j.esIndexCleaner.enabled ? mem(j.esIndexCleaner.resources) : 0);
    const stack = valuesOf(b, "eck-stack");
    const es = stack["eck-elasticsearch"].nodeSets.reduce((sum: number, s: any) => sum + s.count * mem(s.podTemplate.spec.containers[0].resources), 0);
    const logging = mem(valuesOf(b, "eck-operator").resources) + es
        + mem(stack["eck-kibana"].podTemplate.spec.containers[0].resources)
        + mem(stack["eck-logstash"].podTemplate.spec.containers[0].resources)
        + nodes * mem(reveal(filebeatOf(b).inputs.spec).daemonSet.podTemplate.spec.containers[0].resources);
    const job = b.capture.ofType(JOB).find((x) => x.name.endsWith("-logs-ilm"))!;
    return metrics + tracing + logging + mem(job.inputs.spec.template.spec.containers[0].resources);
}

/** Totals stated in docs/observability.md ("Sizing"). */
const SIZING_MIB: Record<Stack, number> = { dev: 8436, prod: 16628, "pr-1": 7768 };

/** Memory request of each pod that is not a DaemonSet (one replica each; Elasticsearch: one node). */
function podMemoryMiB(b: Built): Record<string, number> {
    const mem = (r: any) => mebibytes(r.requests.memory);
    const kps = valuesOf(b, "kube-prometheus-stack");
    const reloader = mem(kps.prometheusOperator.prometheusConfigReloader.resources);
    const stack = valuesOf(b, "eck-stack");
    const esSets = stack["eck-elasticsearch"].nodeSets.map((s: any) => mem(s.podTemplate.spec.containers[0].resources));
    return {
        prometheus: mem(kps.prometheus.prometheusSpec.resources) + reloader,
        alertmanager: mem(kps.alertmanager.alertmanagerSpec.resources) + reloader,
        "prometheus-operator": mem(kps.prometheusOperator.resources),
        grafana: mem(kps.grafana.resources) + 2 * mem(kps.grafana.sidecar.resources),
        "kube-state-metrics": mem(kps["kube-state-metrics"].resources),
        jaeger: mem(valuesOf(b, "jaeger").jaeger.resources),
        "eck-operator": mem(valuesOf(b, "eck-operator").resources),
        elasticsearch: Math.max(...esSets),
        kibana: mem(stack["eck-kibana"].podTemplate.spec.containers[0].resources),
        logstash: mem(stack["eck-logstash"].podTemplate.spec.containers[0].resources),
    };
}

/** What the observability DaemonSets take on every node (node exporter, Filebeat). */
function daemonSetMemoryPerNodeMiB(b: Built): number {
    const mem = (r: any) => mebibytes(r.requests.memory);
    return mem(valuesOf(b, "kube-prometheus-stack")["prometheus-node-exporter"].resources)
        + mem(reveal(filebeatOf(b).inputs.spec).daemonSet.podTemplate.spec.containers[0].resources);
}

/** The Filebeat Beat the stack declares (node-agents.ts). */
function filebeatOf(b: Built) {
    const beats = b.capture.ofType("kubernetes:beat.k8s.elastic.co/v1beta1:Beat");
    assert.equal(beats.length, 1, "one Beat");
    return beats[0];
}

const BIGGEST_POD: Record<Stack, [string, number]> = { dev: ["elasticsearch", 2048], prod: ["elasticsearch", 3072], "pr-1": ["elasticsearch", 2048] };

describe("docs/observability.md", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "observability.md"), "utf8");
    it("documents the port-forward commands the component exports", () => {
        const commands = Object.values(portForwardCommands());
        assert.equal(commands.length, 5);
        for (const command of commands) {
            assert.ok(doc.includes(command), `docs/observability.md shows: ${command}`);
        }
    });
    it("states the CA lifetime the operator gets and the rotation that restarts the clients reading it once", () => {
        assert.ok(doc.includes(`\`caValidity: ${ECK_CA_VALIDITY.caValidity}\``), `docs state caValidity ${ECK_CA_VALIDITY.caValidity}`);
        for (const line of [
            "kubectl -n observability delete secret elasticsearch-es-http-ca-internal",
            "kubectl -n observability rollout restart deployment/kube-prometheus-stack-grafana deployment/jaeger",
        ]) assert.ok(doc.includes(line), `docs/observability.md has: ${line}`);
    });
    it("gives the CRD procedure for kube-prometheus-stack bumps (Helm never upgrades crds/)", () => {
        assert.ok(doc.includes(`helm show crds prometheus-community/${CHARTS.kubePrometheusStack.chart} --version <new version> | kubectl apply --server-side --force-conflicts -f -`));
    });
    it("names the user Logstash writes as (its own writer user, not elastic) and the readers' logins", () => {
        assert.ok(doc.includes("as its own user\n  `logstash-writer`, which may create documents in that one data stream only"));
        assert.ok(doc.includes("kubectl -n observability get secret es-user-kibana-reader -o jsonpath='{.data.password}'"));
        assert.ok(!/Logstash[^.]*with the `elastic` user/.test(doc), "no sentence says Logstash uses elastic");
    });
    it("states the memory each environment's observability stack requests", () => {
        for (const [stack, mib] of Object.entries(SIZING_MIB)) {
            assert.ok(doc.includes(`| ${stack} | ${mib} MiB`), `docs/observability.md has the row "| ${stack} | ${mib} MiB"`);
        }
    });
});

describe("observability without the cluster's ECK operator", () => {
    it("refuses to build, naming the argument, the rule and the fix, before creating anything", async () => {
        const capture = await startCapture("pr-1");
        const provider = new k8s.Provider("test", { kubeconfig: "{}" });
        assert.throws(() => new Observability("obs", {
            config: observabilitySchema.parse({}), storageClassName: "gp3-encrypted", dependsOn: [], eckOperatorReady: [], protect: false, vpcCidr: "10.0.0.0/16", apiServiceCidr: "172.20.0.1/32",
        }, { providers: { kubernetes: provider } }), (e: Error) => {
            assert.match(e.message, /eckOperatorReady argument/);
            assert.match(e.message, /eck-stack and the Beat need its CRDs and webhook/);
            assert.match(e.message, /pass cluster\.eckOperatorReady \(components\/platform\.ts\)/);
            return true;
        });
        await settle();
        assert.deepEqual(capture.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:core/v1:Namespace").map((r) => r.type), [], "no release, Secret or policy was registered");
    });
});
