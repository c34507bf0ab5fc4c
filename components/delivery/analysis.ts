/**
 * The canary analysis: the PromQL that measures the new pods' own 5xx ratio and p99 latency, one
 * source for the AnalysisTemplate (rollout.ts) and the promtool unit test
 * (test/delivery/analysis.test.ts), and the AnalysisTemplate itself.
 *
 * The new pods are told apart by the `rollouts-pod-template-hash` label Argo Rollouts puts on
 * them; the app's ServiceMonitor copies it onto every sample (`podTargetLabels`), where Prometheus
 * spells it `rollouts_pod_template_hash`.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "./config";
import { APP_LABELS, APP_NAME } from "./pod";
import { KUBE_PROMETHEUS_STACK } from "../observability/metrics";
import { OBSERVABILITY_NAMESPACE } from "../observability/observability";

/** The pod label Argo Rollouts sets, and its Prometheus spelling. */
export const ROLLOUT_HASH_LABEL = "rollouts-pod-template-hash";
export const ROLLOUT_HASH_METRIC_LABEL = "rollouts_pod_template_hash";
/** The template's argument carrying the new pods' hash, and its placeholder in a query. */
export const HASH_ARG = "canary-hash";
export const HASH_PLACEHOLDER = `{{args.${HASH_ARG}}}`;
/** The rate window of the queries. */
export const ANALYSIS_WINDOW = "2m";

/** The platform's Prometheus (kube-prometheus-stack's Service, port 9090). */
export function prometheusAddress(namespace: string = OBSERVABILITY_NAMESPACE): string {
    return `http://${KUBE_PROMETHEUS_STACK.prometheusService}.${namespace}.svc:9090`;
}

const selector = (hash: string, extra = "") =>
    `namespace="${APP_NAME}", ${ROLLOUT_HASH_METRIC_LABEL}="${hash}"${extra}`;

/** Share of the pods with `hash` whose responses are 5xx (NaN without traffic). */
export function errorRatioQuery(hash: string): string {
    return `sum(rate(http_requests_total{${selector(hash, ', status_code=~"5.."')}}[${ANALYSIS_WINDOW}]))`
        + ` / sum(rate(http_requests_total{${selector(hash)}}[${ANALYSIS_WINDOW}]))`;
}

/** p99 latency in seconds of the pods with `hash` (NaN without traffic). */
export function p99SecondsQuery(hash: string): string {
    return `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${selector(hash)}}[${ANALYSIS_WINDOW}])))`;
}

type Analysis = Required<NonNullable<AppConfig["analysis"]>>;

/** The analysis settings of a stack: its `analysis` block over the defaults. */
export function analysisSettings(c: AppConfig): Analysis {
    return { enabled: true, maxErrorRate: 0.01, maxP99Ms: 500, interval: "1m", failureLimit: 1, ...c.analysis };
}

/**
 * The AnalysisTemplate spec. No traffic gives NaN, which passes (a canary nobody calls has not
 * failed); a missing series is an error, and errors past consecutiveErrorLimit make the run
 * Inconclusive (the Rollout pauses rather than promoting blind).
 */
export function analysisTemplateSpec(a: Analysis, prometheusNamespace?: string): Record<string, unknown> {
    const address = prometheusAddress(prometheusNamespace);
    const metric = (name: string, query: string, max: number) => ({
        name,
        interval: a.interval,
        failureLimit: a.failureLimit,
        consecutiveErrorLimit: 4,
        successCondition: `isNaN(result[0]) || result[0] <= ${max}`,
        provider: { prometheus: { address, query } },
    });
    return {
        args: [{ name: HASH_ARG }],
        metrics: [
            metric("error-ratio", errorRatioQuery(HASH_PLACEHOLDER), a.maxErrorRate),
            metric("p99-seconds", p99SecondsQuery(HASH_PLACEHOLDER), a.maxP99Ms / 1000),
        ],
    };
}

/** The argument a Rollout passes: the hash of its newest pods (the canary, or the preview colour). */
export const HASH_ARGS = [{ name: HASH_ARG, valueFrom: { podTemplateHashValue: "Latest" } }];

export function analysisTemplate(parent: pulumi.Resource, name: string, namespace: pulumi.Input<string>, a: Analysis, dependsOn: pulumi.Input<pulumi.Resource>[]): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(`${name}-analysis`, {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: { name: `${APP_NAME}-canary`, namespace, labels: APP_LABELS },
        spec: analysisTemplateSpec(a),
    }, { parent, dependsOn });
}
