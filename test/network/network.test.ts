import * as assert from "node:assert/strict";
import { EKS_UNSUPPORTED_ZONE_IDS, INTERFACE_ENDPOINT_SERVICES } from "../../components/network/network";
import { buildStack, type Built } from "../harness";
import { SUBNET, ASSOCIATION, NAT, ENDPOINT, subnetsOfTier, routeTableOf } from "./support";

describe("network", () => {
    let dev: Built;
    let prod: Built;
    let review: Built;

    before(async () => {
        dev = await buildStack("dev");
        prod = await buildStack("prod");
        review = await buildStack("pr-1");
    });

    it("spans the configured AZs with one subnet per tier per AZ", () => {
        for (const [b, azs] of [[dev, 3], [prod, 3], [review, 2]] as const) {
            for (const tier of ["public", "private", "isolated"]) {
                const subnets = subnetsOfTier(b, tier);
                assert.equal(subnets.length, azs, `${b.config.stack} ${tier}`);
                // us-east-1b is use1-az3 in the mocked account: EKS cannot use it.
                assert.deepEqual(subnets.map((s) => s.inputs.availabilityZone), ["us-east-1a", "us-east-1c", "us-east-1d"].slice(0, azs));
            }
        }
    });

    it("uses the planned CIDRs inside the stack's VPC", () => {
        const vpc = dev.capture.one("aws:ec2/vpc:Vpc");
        assert.equal(vpc.inputs.cidrBlock, "10.20.0.0/16");
        assert.equal(vpc.inputs.enableDnsHostnames, true);
        assert.deepEqual(subnetsOfTier(dev, "private").map((s) => s.inputs.cidrBlock), ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]);
        assert.deepEqual(subnetsOfTier(prod, "isolated").map((s) => s.inputs.cidrBlock), ["10.30.51.0/24", "10.30.52.0/24", "10.30.53.0/24"]);
    });

    it("tags subnets for the load balancer controller", () => {
        for (const s of subnetsOfTier(prod, "public")) {
            assert.equal(s.inputs.tags["kubernetes.io/role/elb"], "1");
            assert.equal(s.inputs.tags["kubernetes.io/role/internal-elb"], undefined);
        }
        for (const s of subnetsOfTier(prod, "private")) {
            assert.equal(s.inputs.tags["kubernetes.io/role/internal-elb"], "1");
            assert.equal(s.inputs.tags["kubernetes.io/role/elb"], undefined);
        }
        for (const s of subnetsOfTier(prod, "isolated")) {
            assert.equal(s.inputs.tags["kubernetes.io/role/elb"], undefined);
            assert.equal(s.inputs.tags["kubernetes.io/role/internal-elb"], undefined);
        }
        for (const s of prod.capture.ofType(SUBNET)) assert.equal(s.inputs.mapPublicIpOnLaunch, false);
    });

    it("assigns no public IP on launch in any subnet of any stack", () => {
        for (const b of [dev, prod, review]) {
            const subnets = b.capture.ofType(SUBNET);
            assert.equal(subnets.length, 3 * b.config.network.availabilityZoneCount);
            assert.deepEqual(subnets.filter((s) => s.inputs.mapPublicIpOnLaunch !== false).map((s) => s.name), []);
        }
    });

    it("creates one NAT gateway for 'single' and one per AZ for 'perAz'", () => {
        assert.equal(dev.capture.ofType(NAT).length, 1);
        assert.equal(review.capture.ofType(NAT).length, 1);
        assert.equal(prod.capture.ofType(NAT).length, 3);
        assert.deepEqual(prod.capture.ofType("aws:ec2/eip:Eip").map((e) => e.inputs.domain), ["vpc", "vpc", "vpc"]);
        // Every NAT gateway sits in a public subnet and waits for the internet gateway.
        const igw = prod.capture.one("aws:ec2/internetGateway:InternetGateway");
        const publicUrns = subnetsOfTier(prod, "public").map((s) => s.urn);
        for (const nat of prod.capture.ofType(NAT)) {
            assert.ok(publicUrns.includes(nat.propertyDependencies.subnetId[0]), `${nat.name} is not in a public subnet`);
            assert.ok(nat.dependencies.includes(igw.urn));
        }
    });

    it("routes each private subnet through its own AZ's NAT in prod and the shared one in dev", () => {
        const natUrns = (b: Built) => subnetsOfTier(b, "private").map((s) => routeTableOf(b, s).propertyDependencies.routes[0]);
        const prodNats = natUrns(prod);
        assert.equal(new Set(prodNats).size, 3);
        assert.deepEqual(prodNats, prod.capture.ofType(NAT).map((n) => n.urn));
        assert.equal(new Set(natUrns(dev)).size, 1);
        for (const s of subnetsOfTier(prod, "private")) {
            const routes = routeTableOf(prod, s).inputs.routes;
            assert.equal(routes.length, 1);
            assert.equal(routes[0].cidrBlock, "0.0.0.0/0");
            assert.ok(routes[0].natGatewayId, "private default route must go through NAT");
            assert.equal(routes[0].gatewayId, undefined);
        }
    });

    it("gives isolated subnets no route to the internet", () => {
        for (const b of [dev, prod, review]) {
            const tables = new Set(subnetsOfTier(b, "isolated").map((s) => routeTableOf(b, s)));
            assert.equal(tables.size, 1);
            for (const table of tables) {
                assert.deepEqual(table.inputs.routes ?? [], []);
            }
            // Nothing else adds a route to that table.
            assert.equal(b.capture.ofType("aws:ec2/route:Route").length, 0);
        }
    });

    it("routes public subnets to the internet gateway", () => {
        const igw = dev.capture.one("aws:ec2/internetGateway:InternetGateway");
        for (const s of subnetsOfTier(dev, "public")) {
            const table = routeTableOf(dev, s);
            assert.deepEqual(table.inputs.routes.map((r: any) => r.cidrBlock), ["0.0.0.0/0"]);
            assert.deepEqual(table.propertyDependencies.routes, [igw.urn]);
        }
    });

    it("skips the zone IDs where EKS cannot run", () => {
        assert.deepEqual([...EKS_UNSUPPORTED_ZONE_IDS], ["use1-az3", "usw1-az2", "cac1-az3"]);
        for (const b of [dev, prod, review]) {
            assert.ok(!b.capture.ofType(SUBNET).some((s) => s.inputs.availabilityZone === "us-east-1b"));
        }
    });

    it("keeps the nodes and what runs on them until egress is gone: node groups and cluster services depend on NAT, routes and associations; the control plane does not wait", () => {
        for (const b of [dev, prod]) {
            const eks = b.capture.one("aws:eks/cluster:Cluster");
            const egressTypes = [NAT, ASSOCIATION, "aws:ec2/internetGateway:InternetGateway"];
            const egress = b.capture.resources.filter((r) => egressTypes.includes(r.type) &&
                (r.type !== ASSOCIATION || !subnetsOfTier(b, "isolated").some((s) => r.propertyDependencies.subnetId?.includes(s.urn))));
            assert.equal(egress.length, b.config.network.availabilityZoneCount * 2 + (b.config.network.natGateways === "perAz" ? 3 : 1) + 1);
            const nodeGroups = b.capture.ofType("aws:eks/nodeGroup:NodeGroup");
            const services = b.capture.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && /aws-load-balancer-controller|cluster-autoscaler/.test(r.name));
            assert.ok(nodeGroups.length >= 2 && services.length === 2);
            for (const r of egress) {
                // The control plane's ENIs need no NAT: it is created alongside the egress.
                assert.ok(!b.capture.dependsOn(eks, r), `${b.config.stack}: the cluster waits for ${r.name}`);
                // On destroy the nodes (draining) and the controllers (deleting ALBs, volumes) go
                // before the NAT and routes they reach AWS through.
                for (const after of [...nodeGroups, ...services]) assert.ok(b.capture.dependsOn(after, r), `${b.config.stack}: ${after.name} does not depend on ${r.name}`);
            }
        }
    });

    it("ships flow logs of all traffic to a log group with the configured retention", () => {
        for (const [b, days] of [[dev, 14], [prod, 365], [review, 7]] as const) {
            const group = b.capture.one("aws:cloudwatch/logGroup:LogGroup", "-flow-logs");
            assert.equal(group.inputs.retentionInDays, days);
            const flowLog = b.capture.one("aws:ec2/flowLog:FlowLog");
            assert.equal(flowLog.inputs.trafficType, "ALL");
            assert.equal(flowLog.inputs.logDestinationType, "cloud-watch-logs");
            assert.ok(flowLog.dependencies.includes(group.urn));
            const role = b.capture.one("aws:iam/role:Role", "-flow-logs-role");
            const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
            assert.equal(trust.Principal.Service, "vpc-flow-logs.amazonaws.com");
            assert.deepEqual(trust.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
            assert.ok(flowLog.propertyDependencies.iamRoleArn.includes(role.urn));
            const policy = JSON.parse(b.capture.one("aws:iam/rolePolicy:RolePolicy", "-flow-logs-policy").inputs.policy);
            assert.deepEqual(policy.Statement[0].Action, ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"]);
            // Only this log group (the mock ARN of a resource is arn:aws:<service>:us-east-1:<account>:<name>).
            const groupArn = `arn:aws:cloudwatch:us-east-1:123456789012:${group.name}`;
            assert.deepEqual(policy.Statement[0].Resource, [groupArn, `${groupArn}:*`]);
        }
    });

    it("creates the flow log after its role policy, so the first delivery has permission (issue 12, item 15)", () => {
        for (const b of [dev, prod, review]) {
            const flowLog = b.capture.one("aws:ec2/flowLog:FlowLog");
            const policy = b.capture.one("aws:iam/rolePolicy:RolePolicy", "-flow-logs-policy");
            assert.ok(flowLog.dependencies.includes(policy.urn), b.config.stack);
        }
    });

    it("always has the S3 gateway endpoint on the private and isolated route tables", () => {
        for (const b of [dev, prod, review]) {
            const s3 = b.capture.ofType(ENDPOINT).filter((e) => e.inputs.vpcEndpointType === "Gateway");
            assert.equal(s3.length, 1);
            assert.equal(s3[0].inputs.serviceName, "com.amazonaws.us-east-1.s3");
            const expected = [...subnetsOfTier(b, "private"), ...subnetsOfTier(b, "isolated")].map((s) => routeTableOf(b, s).urn);
            assert.deepEqual(new Set(s3[0].propertyDependencies.routeTableIds), new Set(expected));
        }
    });

    it("creates interface endpoints only when configured", () => {
        const interfaces = (b: Built) => b.capture.ofType(ENDPOINT).filter((e) => e.inputs.vpcEndpointType === "Interface");
        assert.equal(interfaces(dev).length, 0);
        assert.equal(interfaces(review).length, 0);
        assert.deepEqual(interfaces(prod).map((e) => e.inputs.serviceName).sort(),
            INTERFACE_ENDPOINT_SERVICES.map((s) => `com.amazonaws.us-east-1.${s}`).sort());
        for (const e of interfaces(prod)) {
            assert.equal(e.inputs.privateDnsEnabled, true);
            assert.deepEqual(e.propertyDependencies.subnetIds, subnetsOfTier(prod, "private").map((s) => s.urn));
        }
        const sg = prod.capture.one("aws:ec2/securityGroup:SecurityGroup", "-endpoints-sg");
        assert.deepEqual(sg.inputs.ingress.map((r: any) => [r.protocol, r.fromPort, r.toPort, r.cidrBlocks]), [["tcp", 443, 443, ["10.30.0.0/16"]]]);
    });

    it("locks down the default security group", () => {
        const sg = prod.capture.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
        assert.equal(sg.inputs.ingress, undefined);
        assert.equal(sg.inputs.egress, undefined);
    });

    it("puts every AWS resource on the stack's tagged provider", () => {
        for (const b of [dev, prod, review]) {
            const provider = b.capture.one("pulumi:providers:aws");
            assert.equal(provider.inputs.region, "us-east-1");
            assert.deepEqual(JSON.parse(provider.inputs.defaultTags).tags, {
                project: "platform", stack: b.config.stack, environment: b.config.environment, "managed-by": "pulumi",
            });
            for (const r of b.capture.resources.filter((x) => x.custom && x.type.startsWith("aws:"))) {
                assert.ok(r.provider.startsWith(provider.urn), `${r.type} ${r.name} does not use the tagged provider`);
            }
        }
    });

    it("parents every network resource to the Network component", () => {
        const network = prod.capture.one("platform:network:Network");
        const children = prod.capture.descendantsOf(network);
        assert.equal(children.filter((c) => c.type === SUBNET).length, 9);
        const networkTypes = ["vpc:Vpc", "subnet:Subnet", "routeTable:RouteTable", "routeTableAssociation:RouteTableAssociation",
            "natGateway:NatGateway", "eip:Eip", "internetGateway:InternetGateway", "vpcEndpoint:VpcEndpoint", "flowLog:FlowLog",
            "defaultSecurityGroup:DefaultSecurityGroup"].map((t) => `aws:ec2/${t}`);
        for (const r of prod.capture.resources.filter((x) => networkTypes.includes(x.type))) {
            assert.ok(children.includes(r), `${r.name} is not inside the network component`);
        }
    });
});
