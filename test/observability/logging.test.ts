import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { ilmJobScript } from "../../components/observability/logging";


// ---------------------------------------------------------------------------------------------
// The ILM Job's script, run by bash against a fake curl
// ---------------------------------------------------------------------------------------------

describe("the logs ILM Job's script", () => {
    /** Runs ilmJobScript() with a curl that logs `METHOD URL BODY` and answers the settings PUT with `settingsCode`. */
    function run(settingsCode: string): { status: number | null; calls: string[]; output: string } {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ilm-job-"));
        try {
            fs.writeFileSync(path.join(dir, "curl"), [
                "#!/bin/bash",
                'method=GET; url=""; body=""; out=""; fmt=""',
                "while [ $# -gt 0 ]; do",
                '  case "$1" in -X) method="$2"; shift ;; -d) body="$2"; shift ;; -o) out="$2"; shift ;; -w) fmt="$2"; shift ;;',
                '    -u|-H|--cacert) shift ;; http*) url="$1" ;; esac; shift',
                "done",
                'echo "$method $url $body" >> "$CURL_LOG"',
                'if [ -n "$out" ]; then echo \'{"acknowledged":true}\' > "$out"; fi',
                'if [ -n "$fmt" ]; then printf %s "$SETTINGS_CODE"; fi',
            ].join("\n"), { mode: 0o755 });
            const log = path.join(dir, "calls.log");
            const r = spawnSync("/bin/bash", ["-c", ilmJobScript()], {
                encoding: "utf8",
                env: {
                    PATH: `${dir}:${process.env.PATH}`, CURL_LOG: log, SETTINGS_CODE: settingsCode,
                    ES_URL: "https://es.test:9200", ES_PASSWORD: "pw", ILM_POLICY: '{"policy":1}', COMPONENT_TEMPLATE: '{"template":1}', INDEX_SETTINGS: '{"settings":1}',
                },
            });
            const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
            return { status: r.status, calls, output: `${r.stdout}${r.stderr}` };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("waits for the cluster, PUTs the policy and logs@custom, then applies the settings to existing logs-*-* indices", () => {
        const r = run("200");
        assert.equal(r.status, 0, r.output);
        assert.deepEqual(r.calls, [
            "GET https://es.test:9200/_cluster/health?wait_for_status=yellow&timeout=30s ",
            'PUT https://es.test:9200/_ilm/policy/platform-logs {"policy":1}',
            'PUT https://es.test:9200/_component_template/logs@custom {"template":1}',
            // A data stream Logstash created before the template existed gets the policy too.
            'PUT https://es.test:9200/logs-*-*/_settings {"settings":1}',
        ]);
    });

    it("tolerates 404 from the settings PUT (no logs index yet) and fails on any other error", () => {
        assert.equal(run("404").status, 0);
        const failed = run("403");
        assert.equal(failed.status, 1);
        assert.match(failed.output, /applying the settings to existing logs-\*-\* indices failed: HTTP 403/);
    });
});
