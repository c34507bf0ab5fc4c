/** The network layer's config section: `platform:network`. */
import { z } from "zod";
import { field, problem, retentionDays, type ConfigProblem, type Rule } from "../config/engine";
import { isPrivateIpv4Cidr, parseCidr, planSubnets } from "./cidr";

export const networkSchema = z.strictObject({
    cidrBlock: field(
        z.string().refine((v) => {
            // isPrivateIpv4Cidr is false for anything that does not parse.
            const prefixLength = parseCidr(v)?.prefixLength ?? 0;
            return isPrivateIpv4Cidr(v) && prefixLength >= 16 && prefixLength <= 24;
        }),
        {
            doc: "IPv4 range of the VPC.",
            rule: "a private (RFC 1918) IPv4 CIDR with a prefix from /16 to /24 (AWS allows /16-/28 for a VPC; /24 is the smallest that fits three tiers)",
            example: "10.0.0.0/16",
        },
    ).default("10.0.0.0/16"),
    availabilityZoneCount: field(z.int().min(2).max(6), {
        doc: "How many availability zones the subnets span.",
        rule: "an integer from 2 to 6 (EKS and the RDS subnet group need subnets in at least 2 AZs)",
    }).default(2),
    publicSubnetPrefixLength: field(z.int().min(16).max(28), {
        doc: "Size of each public subnet (load balancers, NAT gateways).",
        rule: "an integer from 16 to 28 (AWS subnets are /16 to /28), larger than the VPC prefix",
    }).default(24),
    privateSubnetPrefixLength: field(z.int().min(16).max(28), {
        doc: "Size of each private subnet (nodes and pods: the VPC CNI gives every pod a VPC address, so keep these large).",
        rule: "an integer from 16 to 28, larger than the VPC prefix",
    }).default(20),
    isolatedSubnetPrefixLength: field(z.int().min(16).max(28), {
        doc: "Size of each isolated subnet (databases and caches; no route to the internet).",
        rule: "an integer from 16 to 28, larger than the VPC prefix",
    }).default(24),
    natGateways: field(z.enum(["single", "perAz"]), {
        doc: "One shared NAT gateway (cheap; an AZ outage cuts egress for all) or one per AZ (highly available).",
        rule: 'one of "single", "perAz"',
    }).default("single"),
    flowLogsRetentionDays: retentionDays("Retention of the VPC flow logs in CloudWatch Logs.").default(7),
    interfaceEndpoints: field(z.boolean(), {
        doc: "Create interface endpoints for ECR (api, dkr), STS and CloudWatch Logs in every AZ (about $7.30 per endpoint per AZ a month); the S3 gateway endpoint is always there (free).",
        rule: "true or false",
    }).default(false),
});

export type NetworkConfig = z.output<typeof networkSchema>;

export const networkRules: Rule<{ readonly network: NetworkConfig }>[] = [
    // Subnets must fit the VPC: three tiers times the AZ count, each subnet smaller than the VPC.
    (c, p) => {
        const n = c.network;
        const vpc = parseCidr(n.cidrBlock)!;
        const out: ConfigProblem[] = [];
        for (const tier of ["public", "private", "isolated"] as const) {
            const k = `${tier}SubnetPrefixLength` as const;
            if (n[k] <= vpc.prefixLength) {
                out.push(problem(p, ["network", k], n[k],
                    `larger than the VPC prefix /${vpc.prefixLength} (a subnet is a part of the VPC)`,
                    Math.min(28, vpc.prefixLength + 4)));
            }
        }
        if (out.length === 0) {
            const layout = planSubnets(n.cidrBlock, n.availabilityZoneCount, {
                private: n.privateSubnetPrefixLength, public: n.publicSubnetPrefixLength, isolated: n.isolatedSubnetPrefixLength,
            });
            if (!layout) {
                out.push(problem(p, ["network", "cidrBlock"], n.cidrBlock,
                    `large enough for ${n.availabilityZoneCount} AZs x (one /${n.privateSubnetPrefixLength} private + one /${n.publicSubnetPrefixLength} public + one /${n.isolatedSubnetPrefixLength} isolated subnet); use a larger VPC or smaller subnets (higher *SubnetPrefixLength)`,
                    "10.0.0.0/16"));
            }
        }
        return out;
    },
];
