import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../components/charts";
import { ConfigError, parseConfig, PROJECT } from "../components/config";
import { ECK_OPERATOR_NAMESPACE, OBSERVABILITY_NAMESPACE, RELEASE_TIMEOUT_SECONDS } from "../components/observability";
import { DASHBOARD_FILE, loadAlertRuleGroups } from "../components/observability-metrics";
import { buildPlatform } from "../components/platform";
import {
    buildStack, encode, isSecret, readStackValues, reveal, ROOT, settle, stackConfig, startCapture, valueOf, type Built, type CapturedResource,
} from "./harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CUSTOM = (kind: string) => `kubernetes:monitoring.coreos.com/v1:${kind}`;
const SECRET = "kubernetes:core/v1:Secret";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const JOB = "kubernetes:batch/v1:Job";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const OBS_KEY = `${PROJECT}:observability`;

const STACKS = ["dev", "prod", "pr-1"] as const;
type Stack = (typeof STACKS)[number];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** MiB of a Kubernetes memory quantity ("512Mi", "2Gi"). */
function mebibytes(quantity: string): number {
    const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
    if (!m) throw new Error(`unexpected memory quantity ${quantity}`);
    return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

const release = (b: Built, releaseName: string): CapturedResource => {
    const found = b.capture.ofType(RELEASE).filter((r) => r.inputs.name === releaseName);
    assert.equal(found.length, 1, `one Helm release named ${releaseName}`);
    return found[0];
};
const valuesOf = (b: Built, releaseName: string): any => reveal(release(b, releaseName).inputs.values);

async function resourceOf(b: Built, resource: { urn: unknown }): Promise<CapturedResource> {
    return b.capture.byUrn(await valueOf(resource.urn as any));
}

/** The stack file's observability section, for overrides that change one key. */
function observabilitySection(stack: Stack): Record<string, unknown> {
    const text = readStackValues(stack).values[OBS_KEY];
    return text ? JSON.parse(text) : {};
}

/** Builds a stack recording each resource's `protect` option (the shared capture does not). */
async function protectedNames(stack: Stack): Promise<Map<string, boolean>> {
    const config = stackConfig(stack);
    await startCapture(config.stack);
    const seen = new Map<string, boolean>();
    const monitor: any = pulumi.runtime.getMonitor();
    const inner = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        seen.set(req.getName(), req.getProtect());
        return inner(req, cb);
    };
    try {
        buildPlatform(config);
        await settle();
    } finally {
        monitor.registerResource = inner;
    }
    return seen;
}

// ---------------------------------------------------------------------------------------------
// Chart pins and the Renovate config that keeps them current
// ---------------------------------------------------------------------------------------------

describe("chart pins (components/charts.ts) and renovate.json", () => {
    const renovate = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8"));
    const manager = renovate.customManagers.find((m: any) => m.customType === "regex" && m.datasourceTemplate === "helm");
    const chartsFile = path.join(ROOT, "components", "charts.ts");

    it("pins every chart to an exact version (no ranges), once per repo/chart", () => {
        const seen = new Set<string>();
        for (const [name, pin] of Object.entries(CHARTS)) {
            assert.match(pin.version, /^\d+\.\d+\.\d+$/, `${name}: ${pin.version} is not an exact version`);
            assert.match(pin.repo, /^https:\/\//, `${name}: ${pin.repo}`);
            assert.ok(!seen.has(`${pin.repo} ${pin.chart}`), `${pin.chart} pinned twice`);
            seen.add(`${pin.repo} ${pin.chart}`);
        }
    });

    it("pins the observability charts checked for this platform", () => {
        assert.deepEqual(
            { kubePrometheusStack: CHARTS.kubePrometheusStack, jaeger: CHARTS.jaeger, eckOperator: CHARTS.eckOperator, eckStack: CHARTS.eckStack },
            {
                kubePrometheusStack: { repo: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3" },
                // 4.x is Jaeger v2; 3.x keys (allInOne, collector, query) are gone.
                jaeger: { repo: "https://jaegertracing.github.io/helm-charts", chart: "jaeger", version: "4.11.1" },
                eckOperator: { repo: "https://helm.elastic.co", chart: "eck-operator", version: "3.5.0" },
                eckStack: { repo: "https://helm.elastic.co", chart: "eck-stack", version: "0.20.0" },
            },
        );
    });

    it("has a Renovate regex manager for components/charts.ts with the helm datasource", () => {
        assert.ok(manager, "renovate.json has a customManagers entry with customType regex and datasourceTemplate helm");
        const patterns: string[] = manager.managerFilePatterns;
        const matchesFile = patterns.some((p) => {
            const m = /^\/(.*)\/$/.exec(p);
            return m ? new RegExp(m[1]).test("components/charts.ts") : p === "components/charts.ts";
        });
        assert.ok(matchesFile, `managerFilePatterns ${JSON.stringify(patterns)} must select components/charts.ts`);
        assert.equal(manager.versioningTemplate, "helm");
    });

    it("finds every CHARTS entry, and nothing else, with the Renovate regex", () => {
        const text = fs.readFileSync(chartsFile, "utf8");
        const found: Array<{ repo: string; chart: string; version: string }> = [];
        for (const source of manager.matchStrings as string[]) {
            for (const m of text.matchAll(new RegExp(source, "g"))) {
                const g = m.groups!;
                found.push({ repo: g.registryUrl, chart: g.depName, version: g.currentValue });
            }
        }
        const key = (p: { repo: string; chart: string; version: string }) => `${p.repo} ${p.chart} ${p.version}`;
        assert.deepEqual(found.map(key).sort(), Object.values(CHARTS).map(key).sort(),
            "every CHARTS entry must be written `name: { repo: \"…\", chart: \"…\", version: \"…\" }` (see the comment atop CHARTS)");
    });
});

// ---------------------------------------------------------------------------------------------
// Config rules of the observability section
// ---------------------------------------------------------------------------------------------

describe("observability config", () => {
    const parse = (section: Record<string, unknown>, environment = "review", stack = "pr-7") =>
        parseConfig({
            project: PROJECT,
            stack,
            values: encode({ "aws:region": "us-east-1", [`${PROJECT}:environment`]: environment, [OBS_KEY]: section,
                [`${PROJECT}:cluster`]: { publicAccessCidrs: ["203.0.113.0/24"] } }),
        });
    const problems = (section: Record<string, unknown>) => {
        try {
            parse(section);
        } catch (e) {
            if (e instanceof ConfigError) return e.problems.map((p) => ({ key: p.key, rule: p.rule, fix: p.fix }));
            throw e;
        }
        return [];
    };

    it("defaults a review stack to the cheapest stack that works and destroys cleanly", () => {
        assert.deepEqual(parse({}).observability, {
            prometheusRetentionDays: 2,
            prometheusStorageGiB: 10,
            prometheusMemoryMiB: 1024,
            alertmanagerStorageGiB: 0,
            alertReceiver: "none",
            alertReceiverSecretName: "",
            alertSlackChannel: "",
            grafanaStorageGiB: 0,
            elasticsearchNodeCount: 1,
            elasticsearchMemoryGiB: 2,
            elasticsearchStorageGiB: 10,
            logRetentionDays: 3,
            jaegerStorage: "memory",
            traceRetentionDays: 3,
            internalIngress: false,
        });
    });

    const cases: Array<{ name: string; section: Record<string, unknown>; expected: Array<{ key: string; rule: string; fix: string }> }> = [
        {
            name: "a Slack receiver without its secret or channel",
            section: { alertReceiver: "slack" },
            expected: [
                {
                    key: "platform:observability.alertReceiverSecretName",
                    rule: 'the name of a Secret (key `url`) in the observability namespace while alertReceiver is "slack"',
                    fix: "pulumi config set --path 'platform:observability.alertReceiverSecretName' alertmanager-receiver",
                },
                {
                    key: "platform:observability.alertSlackChannel",
                    rule: 'a Slack channel such as "#alerts" while alertReceiver is "slack"',
                    fix: "pulumi config set --path 'platform:observability.alertSlackChannel' '#alerts'",
                },
            ],
        },
        {
            name: "a webhook receiver without its secret",
            section: { alertReceiver: "webhook" },
            expected: [{
                key: "platform:observability.alertReceiverSecretName",
                rule: 'the name of a Secret (key `url`) in the observability namespace while alertReceiver is "webhook"',
                fix: "pulumi config set --path 'platform:observability.alertReceiverSecretName' alertmanager-receiver",
            }],
        },
        {
            name: "an unknown receiver",
            section: { alertReceiver: "pagerduty" },
            expected: [{
                key: "platform:observability.alertReceiver",
                rule: 'one of "none", "slack", "webhook"',
                fix: "pulumi config set --path 'platform:observability.alertReceiver' none",
            }],
        },
        {
            name: "a secret name Kubernetes refuses",
            section: { alertReceiver: "webhook", alertReceiverSecretName: "Alert_URL" },
            expected: [{
                key: "platform:observability.alertReceiverSecretName",
                rule: 'a Kubernetes object name such as "alertmanager-slack", or "" with alertReceiver "none"',
                fix: "pulumi config set --path 'platform:observability.alertReceiverSecretName' alertmanager-receiver",
            }],
        },
        {
            name: "two Elasticsearch nodes (no quorum when one goes)",
            section: { elasticsearchNodeCount: 2 },
            expected: [{
                key: "platform:observability.elasticsearchNodeCount",
                rule: "1, or at least 3: two master-eligible nodes cannot elect a master when one is gone",
                fix: "pulumi config set --path 'platform:observability.elasticsearchNodeCount' 3",
            }],
        },
        {
            name: "Elasticsearch below ECK's 2 GiB",
            section: { elasticsearchMemoryGiB: 1 },
            expected: [{
                key: "platform:observability.elasticsearchMemoryGiB",
                rule: "an integer from 2 to 64 (GiB; ECK's default and minimum useful size is 2)",
                fix: "pulumi config set --path 'platform:observability.elasticsearchMemoryGiB' 2",
            }],
        },
        {
            name: "an unknown Jaeger storage (e.g. the 3.x badger/cassandra choice)",
            section: { jaegerStorage: "cassandra" },
            expected: [{
                key: "platform:observability.jaegerStorage",
                rule: 'one of "memory", "elasticsearch"',
                fix: "pulumi config set --path 'platform:observability.jaegerStorage' memory",
            }],
        },
        {
            name: "a misspelt key, with a suggestion",
            section: { logRetentionDay: 7 },
            expected: [{
                key: "platform:observability.logRetentionDay",
                rule: problemsRuleUnknown(),
                fix: "pulumi config rm --path 'platform:observability.logRetentionDay'  # did you mean platform:observability.logRetentionDays?",
            }],
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.name}`, () => assert.deepEqual(problems(c.section), c.expected));
    }

    it("accepts a complete Slack receiver", () => {
        assert.deepEqual(problems({ alertReceiver: "slack", alertReceiverSecretName: "alertmanager-slack", alertSlackChannel: "#alerts" }), []);
    });
});

function problemsRuleUnknown(): string {
    return "unknown setting; known settings here: prometheusRetentionDays, prometheusStorageGiB, prometheusMemoryMiB, alertmanagerStorageGiB, alertReceiver, alertReceiverSecretName, alertSlackChannel, grafanaStorageGiB, elasticsearchNodeCount, elasticsearchMemoryGiB, elasticsearchStorageGiB, logRetentionDays, jaegerStorage, traceRetentionDays, internalIngress";
}

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

            it("installs four releases from CHARTS with explicit names, namespaces, timeouts and rollback", () => {
                const expected = [
                    { name: "kube-prometheus-stack", pin: CHARTS.kubePrometheusStack, namespace: OBSERVABILITY_NAMESPACE, timeout: RELEASE_TIMEOUT_SECONDS.kubePrometheusStack },
                    { name: "jaeger", pin: CHARTS.jaeger, namespace: OBSERVABILITY_NAMESPACE, timeout: RELEASE_TIMEOUT_SECONDS.jaeger },
                    { name: "eck-operator", pin: CHARTS.eckOperator, namespace: ECK_OPERATOR_NAMESPACE, timeout: RELEASE_TIMEOUT_SECONDS.eckOperator },
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
                    { basicAuth: true, user: "elastic", secure: { basicAuthPassword: "$ES_PASSWORD", tlsCACert: "$ES_CA_CERT" }, tls: true, index: "logs-*" });
                assert.deepEqual(grafana.envValueFrom, {
                    ES_PASSWORD: { secretKeyRef: { name: "elasticsearch-es-elastic-user", key: "elastic" } },
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
                assert.deepEqual(reveal(rule.inputs.spec.groups), loadAlertRuleGroups());
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
                            auth: { basic: { username: "elastic", password: "${env:ES_PASSWORD}" } },
                            tls: { insecure: false, ca_file: "/es-ca/ca.crt" },
                            indices: Object.fromEntries(["spans", "services", "dependencies", "sampling"].map((k) => [k, { shards: 1, replicas }])),
                        },
                    });
                    assert.deepEqual(v.jaeger.extraEnv, [{ name: "ES_PASSWORD", valueFrom: { secretKeyRef: { name: "elasticsearch-es-elastic-user", key: "elastic" } } }]);
                    assert.deepEqual(v.jaeger.extraVolumes, [{ name: "es-ca", secret: { secretName: "elasticsearch-es-http-certs-public" } }]);
                    assert.equal(v.esIndexCleaner.enabled, true);
                    assert.equal(v.esIndexCleaner.numberOfDays, e.traceDays);
                    assert.equal(v.storage.elasticsearch.url, "https://elasticsearch-es-http.observability.svc:9200");
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

            it("ships container logs Filebeat → Logstash → Elasticsearch over TLS with the generated elastic user", () => {
                const v = valuesOf(b(), "eck-stack");
                assert.deepEqual(v["eck-kibana"].elasticsearchRef, { name: "elasticsearch" });
                const ls = v["eck-logstash"];
                assert.deepEqual(ls.elasticsearchRefs, [{ clusterName: "eck", name: "elasticsearch" }]);
                const pipeline: string = ls.pipelines[0]["config.string"];
                for (const line of ['hosts => [ "${ECK_ES_HOSTS}" ]', 'password => "${ECK_ES_PASSWORD}"',
                    'ssl_certificate_authorities => "${ECK_ES_SSL_CERTIFICATE_AUTHORITY}"', "beats { port => 5044 }",
                    'json { source => "message" target => "app" skip_on_invalid_json => true }', 'if [kubernetes][namespace] == "orders" {']) {
                    assert.ok(pipeline.includes(line), `pipeline has ${line}`);
                }
                assert.deepEqual(ls.services[0].service.spec.ports, [{ name: "beats", port: 5044, targetPort: 5044, protocol: "TCP" }]);
                const fb = v["eck-beats"];
                assert.equal(fb.type, "filebeat");
                assert.ok("daemonSet" in fb && !("deployment" in fb), "Filebeat runs on every node");
                assert.deepEqual(fb.daemonSet.podTemplate.spec.tolerations, [{ operator: "Exists", effect: "NoSchedule" }], "tainted system nodes included");
                // <logstash fullname>-ls-<service name>
                assert.deepEqual(fb.config["output.logstash"], { hosts: ["logstash-ls-beats:5044"] });
                assert.equal(fb.config["output.elasticsearch"], undefined);
            });

            it(`keeps logs ${e.logDays} days with an ILM policy applied by a Job after eck-stack`, () => {
                const job = b().capture.ofType(JOB).find((j) => j.name.endsWith("-logs-ilm"))!;
                const env = Object.fromEntries(job.inputs.spec.template.spec.containers[0].env.map((x: any) => [x.name, x.value ?? x.valueFrom]));
                const policy = JSON.parse(env.ILM_POLICY);
                assert.deepEqual(policy.policy.phases.delete, { min_age: `${e.logDays}d`, actions: { delete: {} } });
                assert.deepEqual(JSON.parse(env.COMPONENT_TEMPLATE).template.settings,
                    { "index.lifecycle.name": "platform-logs", "index.number_of_replicas": e.esCount > 1 ? 1 : 0 });
                assert.equal(env.ES_URL, "https://elasticsearch-es-http.observability.svc:9200");
                assert.ok(b().capture.dependsOn(job, release(b(), "eck-stack")));
            });

            it("orders releases: after nodes, storage and cluster services; ECK stack after its operator", async () => {
                const cluster = b().platform.cluster;
                const all = ["kube-prometheus-stack", "jaeger", "eck-operator", "eck-stack"].map((n) => release(b(), n));
                for (const ready of [...cluster.nodesReady, ...cluster.servicesReady]) {
                    const target = await resourceOf(b(), ready);
                    for (const r of all) assert.ok(b().capture.dependsOn(r, target), `${r.inputs.name} after ${target.name}`);
                }
                const [kps, jaeger, operator, stackRelease] = all;
                assert.ok(b().capture.dependsOn(stackRelease, operator), "eck-stack after eck-operator (and removed before it)");
                assert.ok(b().capture.dependsOn(kps, stackRelease), "Grafana reads the Elasticsearch Secrets");
                assert.equal(b().capture.dependsOn(jaeger, stackRelease), e.jaeger === "elasticsearch", "Jaeger waits for ELK only when it stores there");
                assert.ok(!b().capture.dependsOn(operator, kps) && !b().capture.dependsOn(operator, jaeger), "the operator waits for nothing of the stack");
                assert.ok(!b().capture.dependsOn(kps, jaeger) && !b().capture.dependsOn(jaeger, kps), "metrics and traces are independent");
            });

            it("blocks nothing outside: the data tier and cluster do not depend on observability", () => {
                const component = b().capture.resources.find((r) => r.type === "platform:observability:Observability")!;
                const inside = new Set([component.urn, ...b().capture.descendantsOf(component).map((r) => r.urn)]);
                for (const r of b().capture.resources) {
                    if (inside.has(r.urn)) continue;
                    const closure = b().capture.dependencyClosure(r);
                    assert.ok(![...inside].some((u) => closure.has(u)), `${r.name} must not wait for the observability stack`);
                }
            });

            it("puts every Kubernetes object on the cluster's provider", async () => {
                const component = b().capture.resources.find((r) => r.type === "platform:observability:Observability")!;
                const providerUrn = await valueOf(b().platform.cluster.provider.urn);
                const objects = b().capture.descendantsOf(component).filter((r) => r.type.startsWith("kubernetes:"));
                assert.ok(objects.length >= 10);
                for (const o of objects) assert.equal(o.provider.split("::").slice(0, -1).join("::"), providerUrn, o.name);
            });

            it("runs host agents in a privileged namespace and the ECK operator in a restricted one", () => {
                const labels = (n: string) => b().capture.ofType(NAMESPACE).find((r) => r.inputs.metadata.name === n)!.inputs.metadata.labels["pod-security.kubernetes.io/enforce"];
                assert.equal(labels(OBSERVABILITY_NAMESPACE), "privileged");
                assert.equal(labels(ECK_OPERATOR_NAMESPACE), "restricted");
                assert.deepEqual(valuesOf(b(), "eck-operator").podSecurityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
            });

            it("creates no Ingress unless asked (port-forward by default)", () => {
                assert.equal(b().capture.ofType(INGRESS).length, 0);
            });

            it("fits on the node group's minimum nodes with a quarter of their memory left for the app and cluster services", () => {
                const total = observabilityMemoryMiB(b());
                const nodes = b().config.cluster.nodes;
                const allocatable = allocatableMiB(nodes.instanceTypes) * nodes.minSize;
                assert.ok(total <= allocatable * 0.75,
                    `observability asks ${total} MiB; ${nodes.minSize} x ${nodes.instanceTypes.join("/")} allocate ${allocatable} MiB (limit 75%: ${Math.floor(allocatable * 0.75)} MiB)`);
                assert.equal(total, SIZING_MIB[stack], "docs/observability.md states this figure: update both");
            });
        });
    }

    it("installs every Helm release of the platform from a CHARTS pin", () => {
        const pins = new Set(Object.values(CHARTS).map((p) => `${p.repo} ${p.chart} ${p.version}`));
        for (const stack of STACKS) {
            for (const r of built[stack].capture.ofType(RELEASE)) {
                const id = `${r.inputs.repositoryOpts?.repo} ${r.inputs.chart} ${r.inputs.version}`;
                assert.ok(pins.has(id), `${stack}: release ${r.inputs.name} (${id}) is not pinned in components/charts.ts`);
            }
        }
    });

    it("protects the releases holding data (metrics, logs) on prod only", async () => {
        for (const stack of ["prod", "pr-1"] as const) {
            const protect = await protectedNames(stack);
            const name = (suffix: string) => `platform-${stack}-observability-${suffix}`;
            for (const suffix of ["kube-prometheus-stack", "eck-stack"]) assert.equal(protect.get(name(suffix)), stack === "prod", `${stack} ${suffix}`);
            for (const suffix of ["jaeger", "eck-operator"]) assert.equal(protect.get(name(suffix)), false, `${stack} ${suffix}`);
        }
    });

    it("routes alerts to Slack through a mounted Secret when configured", async () => {
        const b = await buildStack("pr-1", { [OBS_KEY]: { alertReceiver: "slack", alertReceiverSecretName: "alertmanager-slack", alertSlackChannel: "#orders-alerts" } });
        const am = valuesOf(b, "kube-prometheus-stack").alertmanager;
        assert.equal(am.config.route.receiver, "slack");
        assert.deepEqual(am.config.receivers, [
            { name: "null" },
            { name: "slack", slack_configs: [{ api_url_file: "/etc/alertmanager/secrets/alertmanager-slack/url", channel: "#orders-alerts", send_resolved: true }] },
        ]);
        assert.deepEqual(am.alertmanagerSpec.secrets, ["alertmanager-slack"]);
    });

    it("adds internal ALB Ingresses for Grafana and Kibana on request, after the load balancer controller", async () => {
        const b = await buildStack("dev", { [OBS_KEY]: { ...observabilitySection("dev"), internalIngress: true } });
        const ingresses = b.capture.ofType(INGRESS);
        assert.deepEqual(ingresses.map((i) => [i.inputs.metadata.name, i.inputs.spec.rules[0].http.paths[0].backend.service]).sort(), [
            ["grafana", { name: "kube-prometheus-stack-grafana", port: { number: 80 } }],
            ["kibana", { name: "kibana-kb-http", port: { number: 5601 } }],
        ]);
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
    const nodes = b.config.cluster.nodes.minSize;
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
        + nodes * mem(stack["eck-beats"].daemonSet.podTemplate.spec.containers[0].resources);
    const job = b.capture.ofType(JOB).find((x) => x.name.endsWith("-logs-ilm"))!;
    return metrics + tracing + logging + mem(job.inputs.spec.template.spec.containers[0].resources);
}

/** Totals stated in docs/observability.md ("Sizing"). */
const SIZING_MIB: Record<Stack, number> = { dev: 7568, prod: 16008, "pr-1": 7248 };

describe("docs/observability.md", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "observability.md"), "utf8");
    it("documents the port-forward commands the component exports", () => {
        const commands = Object.values(portForwardCommands());
        assert.equal(commands.length, 5);
        for (const command of commands) {
            assert.ok(doc.includes(command), `docs/observability.md shows: ${command}`);
        }
    });
    it("states the memory each environment's observability stack requests", () => {
        for (const [stack, mib] of Object.entries(SIZING_MIB)) {
            assert.ok(doc.includes(`| ${stack} | ${mib} MiB`), `docs/observability.md has the row "| ${stack} | ${mib} MiB"`);
        }
    });
});
