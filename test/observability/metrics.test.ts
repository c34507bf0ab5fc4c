/**
 * The app's alert rules and dashboard against reality:
 * - the rules *as deployed* (the PrometheusRule's spec.groups, captured under mocks) pass
 *   `promtool check rules`, and `promtool test rules` proves each alert fires on a bad series and
 *   stays quiet on a good one (observability/rules/app-alerts.test.yaml);
 * - every metric a rule or a dashboard panel queries is one the app exposes (read from app/src)
 *   or one kube-state-metrics exports.
 * promtool comes from Debian's `prometheus` package (.ci/run installs it). Without it the promtool
 * tests fail on CI (CI=true) and are skipped, with the reason, elsewhere; so are the checks that
 * read app/src when it is absent.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { stringify as toYaml, parse as parseYaml } from "yaml";
import { observabilitySchema } from "../../components/observability/config";
import { Observability } from "../../components/observability/observability";
import { ALERT_RULES_FILE, APP_RULES_NAMESPACE, DASHBOARD_FILE, loadAlertRuleGroups } from "../../components/observability/metrics";
import { reveal, ROOT, settle, startCapture } from "../harness";

const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const RULE_TESTS_FILE = path.join(path.dirname(ALERT_RULES_FILE), "app-alerts.test.yaml");

function promtool(...args: string[]): { status: number | null; output: string; missing: boolean } {
    const r = spawnSync(PROMTOOL, args, { encoding: "utf8" });
    const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
    return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}`, missing };
}

/** The rule groups the component deploys, captured from its PrometheusRule. */
async function deployedRuleGroups(): Promise<unknown[]> {
    const capture = await startCapture("pr-1");
    const provider = new k8s.Provider("test", { kubeconfig: "{}" });
    // The cluster layer's ECK operator, which this component alone does not build: a stand-in.
    const eckOperator = new k8s.core.v1.ConfigMap("eck-operator-stand-in", {}, { provider });
    new Observability("obs", {
        config: observabilitySchema.parse({}),
        storageClassName: "gp3-encrypted",
        dependsOn: [],
        eckOperatorReady: [eckOperator],
        protect: false,
        vpcCidr: "10.0.0.0/16",
        apiServiceCidr: "172.20.0.1/32",
    }, { providers: { kubernetes: provider } });
    await settle();
    const rule = capture.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    return reveal(rule.inputs.spec.groups);
}

describe("alert rules (promtool)", function () {
    this.timeout(60000);
    let dir: string;
    let rulesFile: string;
    let deployed: unknown[];

    before(async function () {
        const probe = promtool("--version");
        if (probe.missing) {
            const why = `${PROMTOOL} not found: install Debian's prometheus package (apt-get install -y --no-install-recommends prometheus) or set PROMTOOL`;
            if (process.env.CI === "true") throw new Error(why);
            console.warn(`    skipped: ${why}`);
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "alert-rules-"));
        rulesFile = path.join(dir, "app-alerts.yaml");
        // promtool reads plain `groups:`, not a PrometheusRule: write the deployed spec.groups.
        deployed = await deployedRuleGroups();
        fs.writeFileSync(rulesFile, toYaml({ groups: deployed }));
        fs.copyFileSync(RULE_TESTS_FILE, path.join(dir, "app-alerts.test.yaml"));
    });
    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deploys exactly the rules of observability/rules/app-alerts.yaml", () => {
        // The captured PrometheusRule's spec against the file parsed here (not through the
        // component's loader), and the file promtool checks against that same spec.
        assert.deepEqual(deployed, parseYaml(fs.readFileSync(ALERT_RULES_FILE, "utf8")).groups);
        assert.deepEqual(parseYaml(fs.readFileSync(rulesFile, "utf8")).groups, deployed);
    });

    it("passes promtool check rules", () => {
        const r = promtool("check", "rules", rulesFile);
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /SUCCESS: 9 rules found/);
    });

    it("passes the promtool unit tests: each alert fires on a bad series and stays quiet on a good one", () => {
        const r = promtool("test", "rules", path.join(dir, "app-alerts.test.yaml"));
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /SUCCESS/);
    });

    it("fails promtool check on a broken rule (the check can fail)", () => {
        const broken = path.join(dir, "broken.yaml");
        fs.writeFileSync(broken, toYaml({ groups: [{ name: "x", rules: [{ alert: "Broken", expr: "sum(rate(http_requests_total[5m])" }] }] }));
        const r = promtool("check", "rules", broken);
        assert.notEqual(r.status, 0, r.output);
    });
});

describe("alert rules (structure)", () => {
    const groups = loadAlertRuleGroups() as Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }> }>;
    const rules = groups.flatMap((g) => g.rules);
    const tests = parseYaml(fs.readFileSync(RULE_TESTS_FILE, "utf8")).tests as Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;

    it("covers the five failure modes the issue names, total outage, a stuck Rollout, and the app not being scraped", () => {
        assert.deepEqual(rules.map((r) => r.alert), [
            "OrdersHighErrorRatio", "OrdersHighLatencyP99", "OrdersPodRestarting", "OrdersHpaAtMaxReplicas", "OrdersPodNotReady", "OrdersNoReplicasAvailable",
            "OrdersRolloutDegraded", "OrdersRolloutPausedTooLong", "OrdersNotScraped",
        ]);
    });

    it("alerts when no target of the app's namespace is scraped successfully for 15 minutes", () => {
        const r = rules.find((x) => x.alert === "OrdersNotScraped")!;
        assert.deepEqual({ expr: r.expr.trim(), for: r.for, labels: r.labels },
            { expr: 'absent(up{namespace="orders"} == 1)', for: "15m", labels: { severity: "warning", namespace: "orders" } });
    });

    it("selects, in every rule and dashboard query, the app's namespace \"orders\" (APP_RULES_NAMESPACE)", () => {
        assert.equal(APP_RULES_NAMESPACE, "orders");
        const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, "utf8"));
        const exprs = [...rules.map((r) => r.expr), ...dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr))];
        for (const expr of exprs) {
            const namespaces = [...expr.matchAll(/namespace\s*=~?\s*"([^"]*)"/g)].map((m: RegExpMatchArray) => m[1]);
            assert.ok(namespaces.length > 0, `no namespace matcher in ${expr}`);
            for (const ns of namespaces) assert.equal(ns, "orders", expr);
        }
    });

    it("gives every alert a severity, a summary and a description", () => {
        for (const r of rules) {
            assert.ok(["warning", "critical"].includes(r.labels.severity), `${r.alert} severity`);
            assert.ok(r.annotations.summary && r.annotations.description, `${r.alert} annotations`);
        }
    });

    it("has, for every alert, a unit test where it fires and one where it stays quiet", () => {
        for (const r of rules) {
            const evals = tests.flatMap((t) => t.alert_rule_test).filter((a) => a.alertname === r.alert);
            assert.ok(evals.some((a) => a.exp_alerts.length > 0), `${r.alert}: no test where it fires`);
            assert.ok(evals.some((a) => a.exp_alerts.length === 0), `${r.alert}: no test where it stays quiet`);
        }
    });
});

// ---------------------------------------------------------------------------------------------
// Metric names: rules and dashboard query only what exists
// ---------------------------------------------------------------------------------------------

/** kube-state-metrics series the rules and dashboard use (kube-state-metrics docs/metrics/). */
const KUBE_STATE_METRICS = [
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_status_desired_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_pod_container_status_restarts_total",
    "kube_pod_status_ready",
    "kube_pod_status_phase",
    "kube_deployment_status_replicas_available",
    // docs/metrics/workload/pod-metrics.md: owner_kind, owner_name, owner_is_controller.
    "kube_pod_owner",
];

/** The Argo Rollouts controller's series (controller/metrics/prommetrics.go at the pinned release). */
const ARGO_ROLLOUTS_SERIES = ["rollout_info"];

/** Series Prometheus writes itself for every scrape target. */
const PROMETHEUS_SERIES = ["up"];

/** PromQL functions, aggregations and keywords (everything else in an expression is a metric). */
const PROMQL_WORDS = new Set([
    "sum", "avg", "min", "max", "count", "topk", "bottomk", "quantile", "stddev", "group",
    "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "abs", "ceil", "floor", "round",
    "clamp", "clamp_min", "clamp_max", "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "absent", "vector", "scalar",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
]);

/** Metric names an expression reads. */
function metricNames(expr: string): string[] {
    const stripped = expr
        .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
        .replace(/\{[^}]*\}/g, "") // label matchers
        .replace(/\[[^\]]*\]/g, "") // range selectors ($__rate_interval included)
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1"); // label lists
    const tokens = stripped.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
    return [...new Set(tokens.filter((t) => !PROMQL_WORDS.has(t)))];
}

/** Series names the app's prom-client metrics produce, read from app/src. */
function appMetricNames(): Set<string> | undefined {
    const dir = path.join(ROOT, "app", "src");
    if (!fs.existsSync(dir)) return undefined;
    const names = new Set<string>();
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
        const text = fs.readFileSync(path.join(dir, file), "utf8");
        for (const m of text.matchAll(/new\s+client\.(Counter|Gauge|Histogram|Summary)\s*\(\s*\{\s*name:\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"/g)) {
            const [, kind, name] = m;
            names.add(name);
            if (kind === "Histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
            if (kind === "Summary") for (const s of ["_sum", "_count"]) names.add(name + s);
        }
    }
    return names;
}

describe("metric names in rules and dashboard", () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, "utf8"));
    const app = appMetricNames();
    /** Without app/src the checks against the app's metrics cannot run: a failure on CI (CI=true), a skip with the reason elsewhere. */
    const requireApp = (ctx: Mocha.Context) => {
        if (app) return;
        const why = `${path.join(ROOT, "app", "src")} not found: the metric names cannot be checked against the app's`;
        if (process.env.CI === "true") throw new Error(why);
        console.warn(`    skipped: ${why}`);
        ctx.skip();
    };

    it("reads the app's metrics from app/src/metrics.ts", function () {
        requireApp(this);
        for (const name of ["http_requests_total", "http_request_duration_seconds_bucket", "orders_cache_requests_total", "db_pool_connections"]) {
            assert.ok(app!.has(name), `app/src defines ${name}`);
        }
    });

    it("extracts metric names from PromQL (the checker itself)", () => {
        assert.deepEqual(
            metricNames('sum by (le) (rate(http_request_duration_seconds_bucket{namespace="orders", route=~"/v1/.*"}[$__rate_interval])) / ignoring (result) group_left sum(x_total)'),
            ["http_request_duration_seconds_bucket", "x_total"],
        );
    });

    const check = (where: string, expr: string) => {
        const known = new Set([...(app ?? []), ...KUBE_STATE_METRICS, ...PROMETHEUS_SERIES, ...ARGO_ROLLOUTS_SERIES]);
        const names = metricNames(expr);
        assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
        for (const name of names) assert.ok(known.has(name), `${where}: ${name} is neither exposed by the app (app/src) nor by kube-state-metrics`);
    };

    it("has a dashboard that parses, with panels for rate, errors, latency, HPA and restarts", () => {
        assert.equal(dashboard.uid, "orders-service");
        const titles = dashboard.panels.map((p: any) => p.title);
        for (const t of ["Request rate by route", "Error ratio (5xx)", "Latency percentiles", "Replicas vs HPA", "Pod restarts (1h)"]) {
            assert.ok(titles.includes(t), `panel ${t}`);
        }
        const latency = dashboard.panels.find((p: any) => p.title === "Latency percentiles");
        assert.deepEqual(latency.targets.map((t: any) => t.legendFormat), ["p50", "p95", "p99"]);
    });

    it("queries only metrics the app or kube-state-metrics expose, in every dashboard panel", function () {
        requireApp(this);
        for (const panel of dashboard.panels) {
            assert.ok(panel.targets.length > 0, panel.title);
            for (const t of panel.targets) check(`panel "${panel.title}"`, t.expr);
            assert.equal(panel.datasource.uid, "${datasource}", `${panel.title} uses the data source variable`);
        }
    });

    it("queries only metrics the app or kube-state-metrics expose, in every alert rule", function () {
        requireApp(this);
        for (const g of loadAlertRuleGroups() as Array<{ rules: Array<{ alert: string; expr: string }> }>) {
            for (const r of g.rules) check(`alert ${r.alert}`, r.expr);
        }
    });
});
