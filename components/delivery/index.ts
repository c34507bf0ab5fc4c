/**
 * The delivery layer: how the app reaches the cluster — its ECR repository and image built by
 * content hash (image.ts), and the workload that runs it: migration Job, Deployment, Service,
 * autoscaler, disruption budget, scrape config and flags (workload.ts) — and the `platform:app`
 * config section (config.ts). Deployment strategies live here.
 */
export { AppImage } from "./image";
export { Workload } from "./workload";
export { appSchema, type AppConfig } from "./config";
