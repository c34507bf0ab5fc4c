/**
 * The canary analysis queries (components/delivery/analysis.ts), run by promtool on synthetic
 * series: a healthy and a bad canary (5xx and slow, on the canary's pods only) beside a healthy
 * stable, and a healthy canary beside a bad stable. The same functions build the AnalysisTemplate.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import { analysisTemplateSpec, errorRatioQuery, HASH_PLACEHOLDER, p99SecondsQuery } from "../../components/delivery/analysis";

const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const MAX_ERROR_RATE = 0.01;
const MAX_P99_SECONDS = 0.5;

/** Counters per minute for pods of `hash`: `ok` 2xx and `errors` 5xx responses, all under `le` seconds. */
function series(hash: string, ok: number, errors: number, le: "0.1" | "1"): Array<{ series: string; values: string }> {
    const sel = (extra: string) => `{namespace="orders", pod="orders-${hash}-a", rollouts_pod_template_hash="${hash}"${extra}}`;
    const total = ok + errors;
    return [
        { series: `http_requests_total${sel(', status_code="200"')}`, values: `0+${ok}x10` },
        { series: `http_requests_total${sel(', status_code="500"')}`, values: `0+${errors}x10` },
        ...(["0.1", "0.5", "1", "+Inf"] as const).map((b) => ({
            series: `http_request_duration_seconds_bucket${sel(`, le="${b}"`)}`,
            values: `0+${b === "+Inf" || Number(b) >= Number(le) ? total : 0}x10`,
        })),
    ];
}

/** 1 when the pods of `hash` fail the threshold, 0 when they pass. */
const verdicts = (hash: string, errorRatio: 0 | 1, slow: 0 | 1) => [
    { expr: `${errorRatioQuery(hash)} > bool ${MAX_ERROR_RATE}`, eval_time: "10m", exp_samples: [{ labels: "{}", value: errorRatio }] },
    { expr: `${p99SecondsQuery(hash)} > bool ${MAX_P99_SECONDS}`, eval_time: "10m", exp_samples: [{ labels: "{}", value: slow }] },
];

describe("canary analysis queries (promtool)", function () {
    this.timeout(30_000);
    let dir: string;
    before(function () {
        const probe = spawnSync(PROMTOOL, ["--version"]);
        if ((probe.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
            const why = `${PROMTOOL} not found: install Debian's prometheus package or set PROMTOOL`;
            if (process.env.CI === "true") throw new Error(why);
            console.warn(`    skipped: ${why}`);
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "analysis-"));
        fs.writeFileSync(path.join(dir, "none.yaml"), toYaml({ groups: [] }));
    });
    after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

    const run = (tests: unknown[]) => {
        const file = path.join(dir, "analysis.test.yaml");
        fs.writeFileSync(file, toYaml({ rule_files: ["none.yaml"], evaluation_interval: "1m", tests }));
        const r = spawnSync(PROMTOOL, ["test", "rules", file], { encoding: "utf8" });
        return { status: r.status, output: `${r.stdout}${r.stderr}` };
    };

    it("passes a healthy canary and fails a bad one (20% 5xx, p99 near 1 s) beside a healthy stable, and is not fooled by a bad stable", () => {
        const r = run([
            { interval: "1m", input_series: [...series("stable1", 600, 0, "0.1"), ...series("good", 600, 0, "0.1"), ...series("bad", 480, 120, "1")],
                promql_expr_test: [...verdicts("good", 0, 0), ...verdicts("bad", 1, 1), ...verdicts("stable1", 0, 0)] },
            { interval: "1m", input_series: [...series("stable2", 480, 120, "1"), ...series("good2", 600, 0, "0.1")],
                promql_expr_test: [...verdicts("good2", 0, 0)] },
        ]);
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /SUCCESS/);
    });

    it("can fail: the bad canary is not reported healthy", () => {
        const r = run([{ interval: "1m", input_series: series("bad", 480, 120, "1"), promql_expr_test: verdicts("bad", 0, 0) }]);
        assert.notEqual(r.status, 0, r.output);
    });

    it("shows the same verdicts on the dashboard's canary-vs-stable panels, one line per pod-template hash", () => {
        const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "observability", "dashboards", "app.json"), "utf8"));
        const expr = (title: string) => {
            const panel = dashboard.panels.find((p: any) => p.title === title);
            assert.ok(panel, title);
            assert.equal(panel.targets[0].legendFormat, "{{rollouts_pod_template_hash}}");
            // Grafana's $__rate_interval, as the analysis' window.
            return panel.targets[0].expr.replaceAll("$__rate_interval", "2m");
        };
        const errors = expr("Canary vs stable: error ratio (5xx)");
        const p99 = expr("Canary vs stable: p99 latency");
        const r = run([{
            interval: "1m",
            input_series: [...series("stable1", 600, 0, "0.1"), ...series("bad", 480, 120, "1")],
            promql_expr_test: [
                { expr: `${errors} > bool ${MAX_ERROR_RATE}`, eval_time: "10m", exp_samples: [
                    { labels: '{rollouts_pod_template_hash="bad"}', value: 1 }, { labels: '{rollouts_pod_template_hash="stable1"}', value: 0 }] },
                { expr: `${p99} > bool ${MAX_P99_SECONDS}`, eval_time: "10m", exp_samples: [
                    { labels: '{rollouts_pod_template_hash="bad"}', value: 1 }, { labels: '{rollouts_pod_template_hash="stable1"}', value: 0 }] },
            ],
        }]);
        assert.equal(r.status, 0, r.output);
    });

    it("is the query the AnalysisTemplate sends, with the hash as the template's argument", () => {
        const spec = analysisTemplateSpec({ enabled: true, maxErrorRate: MAX_ERROR_RATE, maxP99Ms: 500, interval: "1m", failureLimit: 1 }) as any;
        assert.deepEqual(spec.metrics.map((m: any) => [m.provider.prometheus.query, m.successCondition]), [
            [errorRatioQuery(HASH_PLACEHOLDER), "isNaN(result[0]) || result[0] <= 0.01"],
            [p99SecondsQuery(HASH_PLACEHOLDER), "isNaN(result[0]) || result[0] <= 0.5"],
        ]);
    });
});
