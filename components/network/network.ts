import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { planSubnets, type SubnetLayout, type SubnetTier } from "./cidr";
import type { NetworkConfig } from "./config";
import { serviceTrustPolicy } from "../shared/iam";
import { awsAccount } from "../shared/tags";
import { InputError } from "../config/engine";

/** Interface endpoints that let nodes pull images and get tokens without NAT traffic. */
export const INTERFACE_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr", "sts", "logs"] as const;

/**
 * Availability Zone IDs EKS does not support (EKS user guide, "Amazon EKS prerequisites": subnets
 * in these zones are rejected at cluster creation).
 */
export const EKS_UNSUPPORTED_ZONE_IDS = ["use1-az3", "usw1-az2", "cac1-az3"] as const;

export interface NetworkArgs {
    /** The validated `network` section of the stack config. */
    readonly config: NetworkConfig;
    /** AWS region (plain: endpoint service names are built from it). */
    readonly region: string;
}

/**
 * A VPC in three tiers across `availabilityZoneCount` AZs:
 * - public subnets (tagged `kubernetes.io/role/elb=1` for internet-facing load balancers) routed
 *   to an internet gateway; they hold the NAT gateways;
 * - private subnets for nodes and pods (tagged `kubernetes.io/role/internal-elb=1`), egress
 *   through NAT: one shared gateway or one per AZ, from config;
 * - isolated subnets for databases and caches, with no route to the internet at all.
 * Plus VPC flow logs to CloudWatch Logs, an S3 gateway endpoint (free; image layers come from
 * S3), optional interface endpoints, and a default security group with no rules.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly publicSubnetIds: pulumi.Output<string>[];
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly isolatedSubnetIds: pulumi.Output<string>[];
    /**
     * What gives the private subnets their route to the internet (gateway, NAT gateways, route
     * tables and associations). The cluster depends on these so that `pulumi destroy` removes the
     * cluster and its controllers, which call AWS APIs to clean up volumes and load balancers,
     * while they can still reach those APIs.
     */
    public readonly egress: pulumi.Resource[];
    /** Each tier's subnet CIDRs by AZ (plain: planned from config), for NetworkPolicy ipBlocks. */
    public readonly subnetCidrs: SubnetLayout;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:Network", name, {}, opts);
        const c = args.config;
        const layout = planSubnets(c.cidrBlock, c.availabilityZoneCount, {
            public: c.publicSubnetPrefixLength,
            private: c.privateSubnetPrefixLength,
            isolated: c.isolatedSubnetPrefixLength,
        });
        // parseConfig checked this; a direct caller with an unchecked config gets the same rule.
        if (!layout) {
            throw new InputError("network", [{
                key: "platform:network.cidrBlock", value: c.cidrBlock,
                rule: `large enough for ${c.availabilityZoneCount} AZs x (one /${c.privateSubnetPrefixLength} private + one /${c.publicSubnetPrefixLength} public + one /${c.isolatedSubnetPrefixLength} isolated subnet)`,
                fix: "pulumi config set --path 'platform:network.cidrBlock' 10.0.0.0/16",
            }]);
        }
        const parent = { parent: this };
        this.subnetCidrs = layout;

        const zones = this.availabilityZones(args);
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: c.cidrBlock,
            enableDnsHostnames: true, // required for interface endpoints' private DNS and EKS
            enableDnsSupport: true,
            tags: { Name: `${name}-vpc` },
        }, parent);
        this.vpcId = vpc.id;
        // CIS AWS 5.4: the default security group admits nothing.
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, {
            vpcId: vpc.id,
            tags: { Name: `${name}-default-deny` },
        }, parent);
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: `${name}-igw` } }, parent);

        const subnets = this.subnets(name, c.availabilityZoneCount, vpc, layout, zones);
        const publicEgress = this.publicRouting(name, vpc, igw, subnets.public);
        const privateEgress = this.privateRouting(name, c, vpc, igw, subnets);
        this.egress = [igw, ...publicEgress, ...privateEgress.natGateways, ...privateEgress.routeTables, ...privateEgress.associations];
        const isolatedRoutes = this.isolatedRouting(name, vpc, subnets.isolated);
        this.endpoints(name, args, vpc, [...privateEgress.routeTables, isolatedRoutes], subnets.private);
        this.createFlowLogs(name, vpc, c.flowLogsRetentionDays);

        this.publicSubnetIds = subnets.public.map((s) => s.id);
        this.privateSubnetIds = subnets.private.map((s) => s.id);
        this.isolatedSubnetIds = subnets.isolated.map((s) => s.id);
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
        });
    }

    /** The first availabilityZoneCount standard AZs of the region where EKS can run. */
    private availabilityZones(args: NetworkArgs): pulumi.Output<string[]> {
        const c = args.config;
        const zones = aws.getAvailabilityZonesOutput({
            state: "available",
            // Local Zones and Wavelength Zones are opt-in and lack services the platform uses.
            filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
            // Zone IDs where EKS cannot place a control plane (CreateCluster answers
            // UnsupportedAvailabilityZoneException) and current instance families are missing.
            // Names map to IDs differently per account, so exclude by ID, not by name.
            excludeZoneIds: [...EKS_UNSUPPORTED_ZONE_IDS],
        }, { parent: this });
        return zones.names.apply((names) => {
            if (names.length < c.availabilityZoneCount) {
                throw new InputError("network", [{ key: "platform:network.availabilityZoneCount", value: c.availabilityZoneCount, rule: `at most the ${names.length} standard AZs region ${args.region} has where EKS can run`, fix: `pulumi config set --path 'platform:network.availabilityZoneCount' ${names.length}` }]);
            }
            return names.slice(0, c.availabilityZoneCount);
        });
    }

    /** One subnet per tier and AZ, tagged for the load balancer controller where it places ALBs. */
    private subnets(name: string, azCount: number, vpc: aws.ec2.Vpc, layout: SubnetLayout, zones: pulumi.Output<string[]>): Record<SubnetTier, aws.ec2.Subnet[]> {
        const subnet = (tier: SubnetTier, i: number, tags: Record<string, string>) =>
            new aws.ec2.Subnet(`${name}-${tier}-${i}`, {
                vpcId: vpc.id,
                cidrBlock: layout[tier][i],
                availabilityZone: zones.apply((names) => names[i]),
                // Nothing gets a public IP by accident; load balancers and NAT bring their own.
                mapPublicIpOnLaunch: false,
                tags: { Name: `${name}-${tier}-${i}`, "platform/tier": tier, ...tags },
            }, { parent: this });
        const azIndexes = [...Array(azCount).keys()];
        return {
            public: azIndexes.map((i) => subnet("public", i, { "kubernetes.io/role/elb": "1" })),
            private: azIndexes.map((i) => subnet("private", i, { "kubernetes.io/role/internal-elb": "1" })),
            isolated: azIndexes.map((i) => subnet("isolated", i, {})),
        };
    }

    /** The public route table (default route to the IGW) and its associations. */
    private publicRouting(name: string, vpc: aws.ec2.Vpc, igw: aws.ec2.InternetGateway, publicSubnets: aws.ec2.Subnet[]): pulumi.Resource[] {
        const parent = { parent: this };
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
            tags: { Name: `${name}-public` },
        }, parent);
        const publicAssociations = publicSubnets.map((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-rta-${i}`, {
            subnetId: s.id, routeTableId: publicRoutes.id,
        }, parent));
        return [publicRoutes, ...publicAssociations];
    }

    /** NAT gateways (one, or one per AZ) and a private route table per AZ through them. */
    private privateRouting(name: string, c: NetworkConfig, vpc: aws.ec2.Vpc, igw: aws.ec2.InternetGateway, subnets: Record<SubnetTier, aws.ec2.Subnet[]>) {
        const parent = { parent: this };
        const natCount = c.natGateways === "perAz" ? c.availabilityZoneCount : 1;
        const natGateways = [...Array(natCount).keys()].map((i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-eip-${i}`, { domain: "vpc", tags: { Name: `${name}-nat-${i}` } }, parent);
            return new aws.ec2.NatGateway(`${name}-nat-${i}`, {
                allocationId: eip.id,
                subnetId: subnets.public[i].id,
                connectivityType: "public",
                tags: { Name: `${name}-nat-${i}` },
            }, { parent: this, dependsOn: [igw] }); // a NAT gateway needs the IGW attached first
        });
        const associations: aws.ec2.RouteTableAssociation[] = [];
        const routeTables = subnets.private.map((s, i) => {
            const rt = new aws.ec2.RouteTable(`${name}-private-rt-${i}`, {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: natGateways[c.natGateways === "perAz" ? i : 0].id }],
                tags: { Name: `${name}-private-${i}` },
            }, parent);
            associations.push(new aws.ec2.RouteTableAssociation(`${name}-private-rta-${i}`, { subnetId: s.id, routeTableId: rt.id }, parent));
            return rt;
        });
        return { natGateways, routeTables, associations };
    }

    /** No routes besides the VPC's local one (and S3's prefix list, added by the endpoint). */
    private isolatedRouting(name: string, vpc: aws.ec2.Vpc, isolatedSubnets: aws.ec2.Subnet[]): aws.ec2.RouteTable {
        const parent = { parent: this };
        const isolatedRoutes = new aws.ec2.RouteTable(`${name}-isolated-rt`, {
            vpcId: vpc.id,
            tags: { Name: `${name}-isolated` },
        }, parent);
        isolatedSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-isolated-rta-${i}`, {
            subnetId: s.id, routeTableId: isolatedRoutes.id,
        }, parent));
        return isolatedRoutes;
    }

    /** The S3 gateway endpoint (free) and, when configured, the interface endpoints in every AZ. */
    private endpoints(name: string, args: NetworkArgs, vpc: aws.ec2.Vpc, gatewayRouteTables: aws.ec2.RouteTable[], privateSubnets: aws.ec2.Subnet[]): void {
        const parent = { parent: this };
        new aws.ec2.VpcEndpoint(`${name}-s3`, {
            vpcId: vpc.id,
            serviceName: `com.amazonaws.${args.region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds: gatewayRouteTables.map((rt) => rt.id),
            tags: { Name: `${name}-s3` },
        }, parent);
        if (!args.config.interfaceEndpoints) return;
        const endpointSg = new aws.ec2.SecurityGroup(`${name}-endpoints-sg`, {
            vpcId: vpc.id,
            description: "HTTPS from the VPC to the interface endpoints",
            ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [args.config.cidrBlock], description: "HTTPS from the VPC" }],
            tags: { Name: `${name}-endpoints` },
        }, parent);
        for (const service of INTERFACE_ENDPOINT_SERVICES) {
            new aws.ec2.VpcEndpoint(`${name}-${service.replace(".", "-")}`, {
                vpcId: vpc.id,
                serviceName: `com.amazonaws.${args.region}.${service}`,
                vpcEndpointType: "Interface",
                privateDnsEnabled: true,
                subnetIds: privateSubnets.map((s) => s.id),
                securityGroupIds: [endpointSg.id],
                tags: { Name: `${name}-${service}` },
            }, parent);
        }
    }

    private createFlowLogs(name: string, vpc: aws.ec2.Vpc, retentionDays: number): void {
        const parent = { parent: this };
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
            retentionInDays: retentionDays,
            tags: { Name: `${name}-flow-logs` },
        }, parent);
        const account = awsAccount(this).accountId;
        const role = new aws.iam.Role(`${name}-flow-logs-role`, {
            // Confused-deputy guard (VPC User Guide, "IAM role for publishing flow logs").
            assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", { sourceAccount: account }),
        }, parent);
        const policy = new aws.iam.RolePolicy(`${name}-flow-logs-policy`, {
            role: role.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
                    Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
                }],
            }),
        }, parent);
        new aws.ec2.FlowLog(`${name}-flow-log`, {
            vpcId: vpc.id,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: logGroup.arn,
            iamRoleArn: role.arn,
            maxAggregationInterval: 60,
            tags: { Name: `${name}-flow-log` },
            // The role gets its permissions from the policy, not at creation: a flow log created
            // first delivers nothing ("Access error") until the policy exists (issue 12, item 15).
        }, { parent: this, dependsOn: [policy] });
    }
}
