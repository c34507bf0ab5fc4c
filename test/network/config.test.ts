// The section's own rules, each refused with the exact key, value, rule and fix.
import { refusesEach, type ConfigCase } from "../harness";

const NET = "platform:network";

const cases: ConfigCase[] = [
    {
        title: "a VPC CIDR that is not a network address",
        overrides: { [NET]: { cidrBlock: "10.0.0.1/16" } },
        problems: [{
            key: "platform:network.cidrBlock", value: "10.0.0.1/16",
            rule: "a private (RFC 1918) IPv4 CIDR with a prefix from /16 to /24 (AWS allows /16-/28 for a VPC; /24 is the smallest that fits three tiers)",
            fix: "pulumi config set --path 'platform:network.cidrBlock' 10.0.0.0/16",
        }],
    },
    {
        title: "a public VPC range",
        overrides: { [NET]: { cidrBlock: "8.8.0.0/16" } },
        problems: [{
            key: "platform:network.cidrBlock", value: "8.8.0.0/16",
            rule: "a private (RFC 1918) IPv4 CIDR with a prefix from /16 to /24 (AWS allows /16-/28 for a VPC; /24 is the smallest that fits three tiers)",
            fix: "pulumi config set --path 'platform:network.cidrBlock' 10.0.0.0/16",
        }],
    },
    {
        title: "a VPC larger than AWS allows",
        overrides: { [NET]: { cidrBlock: "10.0.0.0/8" } },
        problems: [{
            key: "platform:network.cidrBlock", value: "10.0.0.0/8",
            rule: "a private (RFC 1918) IPv4 CIDR with a prefix from /16 to /24 (AWS allows /16-/28 for a VPC; /24 is the smallest that fits three tiers)",
            fix: "pulumi config set --path 'platform:network.cidrBlock' 10.0.0.0/16",
        }],
    },
    {
        title: "one availability zone",
        overrides: { [NET]: { availabilityZoneCount: 1 } },
        problems: [{
            key: "platform:network.availabilityZoneCount", value: 1,
            rule: "an integer from 2 to 6 (EKS and the RDS subnet group need subnets in at least 2 AZs)",
            fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2",
        }],
    },
    {
        title: "a fractional AZ count",
        overrides: { [NET]: { availabilityZoneCount: 2.5 } },
        problems: [{
            key: "platform:network.availabilityZoneCount", value: 2.5,
            rule: "an integer from 2 to 6 (EKS and the RDS subnet group need subnets in at least 2 AZs)",
            fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2",
        }],
    },
    {
        title: "an unknown NAT strategy",
        overrides: { [NET]: { natGateways: "none" } },
        problems: [{
            key: "platform:network.natGateways", value: "none",
            rule: 'one of "single", "perAz"',
            fix: "pulumi config set --path 'platform:network.natGateways' single",
        }],
    },
    {
        title: "a flow-log retention CloudWatch does not offer",
        overrides: { [NET]: { flowLogsRetentionDays: 10 } },
        problems: [{
            key: "platform:network.flowLogsRetentionDays", value: 10,
            rule: "one of CloudWatch Logs' retention periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
            fix: "pulumi config set --path 'platform:network.flowLogsRetentionDays' 7",
        }],
    },
    {
        title: "a misspelt network key, with a suggestion",
        overrides: { [NET]: { natGateway: "perAz" } },
        problems: [{
            key: "platform:network.natGateway", value: "perAz",
            rule: "unknown setting; known settings here: cidrBlock, availabilityZoneCount, publicSubnetPrefixLength, privateSubnetPrefixLength, isolatedSubnetPrefixLength, natGateways, flowLogsRetentionDays, interfaceEndpoints",
            fix: "pulumi config rm --path 'platform:network.natGateway'  # did you mean platform:network.natGateways?",
        }],
    },
    {
        title: "a subnet as large as the VPC",
        overrides: { [NET]: { cidrBlock: "10.0.0.0/20", privateSubnetPrefixLength: 20 } },
        problems: [{
            key: "platform:network.privateSubnetPrefixLength", value: 20,
            rule: "larger than the VPC prefix /20 (a subnet is a part of the VPC)",
            fix: "pulumi config set --path 'platform:network.privateSubnetPrefixLength' 24",
        }],
    },
    {
        title: "subnets that do not fit the VPC",
        overrides: { [NET]: { cidrBlock: "10.0.0.0/20", availabilityZoneCount: 3, privateSubnetPrefixLength: 22 } },
        problems: [{
            key: "platform:network.cidrBlock", value: "10.0.0.0/20",
            rule: "large enough for 3 AZs x (one /22 private + one /24 public + one /24 isolated subnet); use a larger VPC or smaller subnets (higher *SubnetPrefixLength)",
            fix: "pulumi config set --path 'platform:network.cidrBlock' 10.0.0.0/16",
        }],
    },
    {
        title: "a subnet smaller than AWS allows",
        overrides: { [NET]: { isolatedSubnetPrefixLength: 29 } },
        problems: [{
            key: "platform:network.isolatedSubnetPrefixLength", value: 29,
            rule: "an integer from 16 to 28, larger than the VPC prefix",
            fix: "pulumi config set --path 'platform:network.isolatedSubnetPrefixLength' 24",
        }],
    },
];

describe("network config", () => {
    refusesEach(cases);
});
