import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHARTS } from "../../components/shared/charts";
import { ELASTIC_STACK_VERSION } from "../../components/observability/logging";
import {
    ROOT,
} from "../harness";


// ---------------------------------------------------------------------------------------------
// Chart pins and the Renovate config that keeps them current
// ---------------------------------------------------------------------------------------------

describe("chart pins (components/shared/charts.ts) and renovate.json", () => {
    const renovate = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8"));
    const manager = renovate.customManagers.find((m: any) => m.customType === "regex" && m.datasourceTemplate === "helm");
    const chartsFile = path.join(ROOT, "components", "shared", "charts.ts");

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

    it("has a Renovate regex manager for components/shared/charts.ts with the helm datasource", () => {
        assert.ok(manager, "renovate.json has a customManagers entry with customType regex and datasourceTemplate helm");
        const patterns: string[] = manager.managerFilePatterns;
        const matchesFile = patterns.some((p) => {
            const m = /^\/(.*)\/$/.exec(p);
            return m ? new RegExp(m[1]).test("components/shared/charts.ts") : p === "components/shared/charts.ts";
        });
        assert.ok(matchesFile, `managerFilePatterns ${JSON.stringify(patterns)} must select components/shared/charts.ts`);
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

    it("finds ELASTIC_STACK_VERSION, and no other marked version, with the Renovate comment-marker regex", () => {
        const marker = renovate.customManagers.find((m: any) => m.customType === "regex" && m.datasourceTemplate === undefined);
        assert.ok(marker, "renovate.json has a regex manager that takes the datasource from a `// renovate:` comment");
        const fileRegexes = (marker.managerFilePatterns as string[]).map((p) => new RegExp(/^\/(.*)\/$/.exec(p)![1]));
        const files = (fs.readdirSync(path.join(ROOT, "components"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => `components/${f}`)
            .filter((f) => fileRegexes.some((r) => r.test(f)));
        assert.ok(files.includes("components/observability/logging.ts"), `managerFilePatterns select ${files.join(", ")}`);
        const found: Array<Record<string, string>> = [];
        for (const file of files) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const source of marker.matchStrings as string[]) {
                for (const m of text.matchAll(new RegExp(source, "g"))) found.push({ file, ...m.groups });
            }
        }
        assert.deepEqual(found, [{
            file: "components/observability/logging.ts",
            datasource: "docker",
            depName: "docker.elastic.co/elasticsearch/elasticsearch",
            currentValue: ELASTIC_STACK_VERSION,
        }]);
    });

    it("groups the ECK operator, the eck-stack chart and the Elastic Stack version into one Renovate pull request", () => {
        const groups = (renovate.packageRules as Array<{ matchDepNames?: string[]; groupName?: string }>).filter((r) => r.groupName);
        const groupOf = (dep: string) => groups.filter((r) => r.matchDepNames?.includes(dep)).map((r) => r.groupName);
        const eck = groupOf(CHARTS.eckOperator.chart);
        assert.equal(eck.length, 1, "eck-operator is in exactly one group");
        assert.deepEqual(groupOf(CHARTS.eckStack.chart), eck);
        assert.deepEqual(groupOf("docker.elastic.co/elasticsearch/elasticsearch"), eck);
        assert.deepEqual(groupOf(CHARTS.kubePrometheusStack.chart), [], "other charts keep their own pull requests");
    });
});
