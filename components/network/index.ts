/**
 * The network layer: the VPC and everything addressed inside it — public, private and isolated
 * subnets planned from one CIDR (cidr.ts), NAT, routes, flow logs, the S3 gateway and optional
 * interface endpoints, the closed default security group — and its config section (config.ts).
 * Nothing here knows of the cluster or the data tier: they receive subnet IDs and the egress.
 */
export { Network, type NetworkArgs } from "./network";
export { networkSchema, type NetworkConfig } from "./config";
