/** Helm releases: reproducible installs (house rule; the review stack of a version bump is its test). */
import { resourcePolicy, show, type PlatformPolicy } from "../lib";

export const helmPolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "helm-release-pinned",
        control: "House rule (supply chain: pinned charts, components/shared/charts.ts)",
        description: "Helm releases pin an exact chart version from an explicit repository, with a fixed release name.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: ["kubernetes:helm.sh/v3:Release"],
        checks: [
            {
                id: "exact-version",
                rule: "version is an exact semver (no range, no latest)",
                test: (p) => /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(String(p.version ?? "")) ? undefined
                    : `version is ${show(p.version)}. Fix: pin the exact chart version in components/shared/charts.ts.`,
            },
            {
                id: "repository",
                rule: "repositoryOpts.repo is set",
                test: (p) => p.repositoryOpts?.repo ? undefined : "repositoryOpts.repo is unset: the chart resolves from whatever repository the runner has configured. Fix: set repositoryOpts.repo.",
            },
            {
                id: "release-name",
                rule: "name is set (otherwise every service name gets a random suffix)",
                test: (p) => p.name ? undefined : "name is unset: Helm gets a random release name and every service name a random suffix. Fix: set name.",
            },
        ],
    }),
];
