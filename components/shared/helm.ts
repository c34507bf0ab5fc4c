import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartPin } from "./charts";

export interface HelmReleaseArgs {
    /** The pinned chart (from CHARTS). */
    readonly chart: ChartPin;
    /** Helm release name; explicit so service names carry no random suffix. */
    readonly releaseName: string;
    readonly namespace: pulumi.Input<string>;
    readonly values: pulumi.Input<Record<string, unknown>>;
    /** How long Helm waits for the release to become ready. */
    readonly timeoutSeconds: number;
    /** Create the namespace with the release (false when a Namespace resource owns it). */
    readonly createNamespace?: boolean;
}

/**
 * A Helm release the way this platform installs every chart: `helm.v3.Release` (real Helm, so
 * chart hooks run — `helm.v4.Chart` skips them), the pinned repo/chart/version, an explicit
 * release name and namespace, a timeout, and `atomic` + `cleanupOnFail` so a failed install
 * rolls back instead of leaving half a release behind.
 */
export function helmRelease(name: string, args: HelmReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(name, {
        name: args.releaseName,
        namespace: args.namespace,
        createNamespace: args.createNamespace ?? false,
        chart: args.chart.chart,
        version: args.chart.version,
        repositoryOpts: { repo: args.chart.repo },
        values: args.values,
        timeout: args.timeoutSeconds,
        atomic: true,
        cleanupOnFail: true,
        maxHistory: 5,
    }, opts);
}
