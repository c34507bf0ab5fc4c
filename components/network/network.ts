import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { planSubnets } from "./cidr";
import type { NetworkConfig } from "./config";
import { serviceTrustPolicy } from "../shared/iam";
import { awsAccount } from "../shared/tags";

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

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:Network", name, {}, opts);
        const c = args.config;
        const layout = planSubnets(c.cidrBlock, c.availabilityZoneCount, {
            public: c.publicSubnetPrefixLength,
            private: c.privateSubnetPrefixLength,
            isolated: c.isolatedSubnetPrefixLength,
        });
        // parseConfig checked this; a direct caller with an unchecked config gets the same rule.
        if (!layout) throw new Error(`network: the subnets do not fit ${c.cidrBlock} across ${c.availabilityZoneCount} AZs`);
        const parent = { parent: this };

        const zones = aws.getAvailabilityZonesOutput({
            state: "available",
            // Local Zones and Wavelength Zones are opt-in and lack services the platform uses.
            filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
            // Zone IDs where EKS cannot place a control plane (CreateCluster answers
            // UnsupportedAvailabilityZoneException) and current instance families are missing.
            // Names map to IDs differently per account, so exclude by ID, not by name.
            excludeZoneIds: [...EKS_UNSUPPORTED_ZONE_IDS],
        }, parent);
        const availabilityZones = zones.names.apply((names) => {
            if (names.length < c.availabilityZoneCount) {
                throw new Error(`network.availabilityZoneCount is ${c.availabilityZoneCount} but region ${args.region} has ${names.length} standard AZs: pulumi config set --path 'platform:network.availabilityZoneCount' ${names.length}`);
            }
            return names.slice(0, c.availabilityZoneCount);
        });
        const zoneAt = (i: number) => availabilityZones.apply((names) => names[i]);

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

        const subnet = (tier: "public" | "private" | "isolated", i: number, tags: Record<string, string>) =>
            new aws.ec2.Subnet(`${name}-${tier}-${i}`, {
                vpcId: vpc.id,
                cidrBlock: layout[tier][i],
                availabilityZone: zoneAt(i),
                // Nothing gets a public IP by accident; load balancers and NAT bring their own.
                mapPublicIpOnLaunch: false,
                tags: { Name: `${name}-${tier}-${i}`, "platform/tier": tier, ...tags },
            }, parent);

        const azIndexes = [...Array(c.availabilityZoneCount).keys()];
        const publicSubnets = azIndexes.map((i) => subnet("public", i, { "kubernetes.io/role/elb": "1" }));
        const privateSubnets = azIndexes.map((i) => subnet("private", i, { "kubernetes.io/role/internal-elb": "1" }));
        const isolatedSubnets = azIndexes.map((i) => subnet("isolated", i, {}));

        const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
            tags: { Name: `${name}-public` },
        }, parent);
        const publicAssociations = publicSubnets.map((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-rta-${i}`, {
            subnetId: s.id, routeTableId: publicRoutes.id,
        }, parent));

        const natCount = c.natGateways === "perAz" ? c.availabilityZoneCount : 1;
        const natGateways = [...Array(natCount).keys()].map((i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-eip-${i}`, { domain: "vpc", tags: { Name: `${name}-nat-${i}` } }, parent);
            return new aws.ec2.NatGateway(`${name}-nat-${i}`, {
                allocationId: eip.id,
                subnetId: publicSubnets[i].id,
                connectivityType: "public",
                tags: { Name: `${name}-nat-${i}` },
            }, { parent: this, dependsOn: [igw] }); // a NAT gateway needs the IGW attached first
        });

        const privateAssociations: aws.ec2.RouteTableAssociation[] = [];
        const privateRouteTables = privateSubnets.map((s, i) => {
            const rt = new aws.ec2.RouteTable(`${name}-private-rt-${i}`, {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: natGateways[c.natGateways === "perAz" ? i : 0].id }],
                tags: { Name: `${name}-private-${i}` },
            }, parent);
            privateAssociations.push(new aws.ec2.RouteTableAssociation(`${name}-private-rta-${i}`, { subnetId: s.id, routeTableId: rt.id }, parent));
            return rt;
        });
        this.egress = [igw, publicRoutes, ...publicAssociations, ...natGateways, ...privateRouteTables, ...privateAssociations];

        // No routes besides the VPC's local one (and S3's prefix list, added by the endpoint).
        const isolatedRoutes = new aws.ec2.RouteTable(`${name}-isolated-rt`, {
            vpcId: vpc.id,
            tags: { Name: `${name}-isolated` },
        }, parent);
        isolatedSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-isolated-rta-${i}`, {
            subnetId: s.id, routeTableId: isolatedRoutes.id,
        }, parent));

        new aws.ec2.VpcEndpoint(`${name}-s3`, {
            vpcId: vpc.id,
            serviceName: `com.amazonaws.${args.region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds: [...privateRouteTables.map((rt) => rt.id), isolatedRoutes.id],
            tags: { Name: `${name}-s3` },
        }, parent);

        if (c.interfaceEndpoints) {
            const endpointSg = new aws.ec2.SecurityGroup(`${name}-endpoints-sg`, {
                vpcId: vpc.id,
                description: "HTTPS from the VPC to the interface endpoints",
                ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [c.cidrBlock], description: "HTTPS from the VPC" }],
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

        this.createFlowLogs(name, vpc, c.flowLogsRetentionDays);

        this.publicSubnetIds = publicSubnets.map((s) => s.id);
        this.privateSubnetIds = privateSubnets.map((s) => s.id);
        this.isolatedSubnetIds = isolatedSubnets.map((s) => s.id);
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
        });
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
        new aws.iam.RolePolicy(`${name}-flow-logs-policy`, {
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
        }, parent);
    }
}
