/**
 * The review layer: what a pull request's `pr-<number>` stack is in shared mode — a namespace on
 * the dev cluster fenced by quota, limits and NetworkPolicies (isolation.ts), its own PostgreSQL
 * (CloudNativePG) and Valkey (services.ts), the app built from the pull request and run by the
 * delivery layer's Workload (review-environment.ts) — and the dev stack's side of it: the
 * CloudNativePG operator and the review ALB group (host.ts); the `platform:review` and
 * `platform:reviewEnvironments` config sections (config.ts). Full mode is the whole platform
 * (components/platform.ts).
 */
export { ReviewEnvironment, PLATFORM_OUTPUTS } from "./review-environment";
export { ReviewHost } from "./host";
export { isSharedReview, reviewEnvironmentsSchema, reviewSchema, type ReviewConfig, type ReviewEnvironmentsConfig } from "./config";
