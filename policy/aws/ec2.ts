/** EC2 and VPC: AWS FSBP EC2.2/6/15/18/19/53/54/170 and EBS encryption (EC2.3). */
import type { PolicyResource } from "@pulumi/policy";
import { asArray, isTrue, resourcePolicy, show, stackPolicy, WORLD_IPV4, WORLD_IPV6, type Check, type PlatformPolicy } from "../lib";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const INGRESS_TYPES = [SG, SG_RULE, INGRESS_RULE];

/** An ingress rule, whichever of the three resource shapes declared it. */
interface Ingress {
    /** "all", "tcp", "udp", "icmp", ... */
    readonly protocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly world4: boolean;
    readonly world6: boolean;
    readonly label: string;
}

function normaliseProtocol(p: unknown): string {
    const s = String(p ?? "").toLowerCase();
    if (s === "-1" || s === "all") return "all";
    if (s === "6") return "tcp";
    if (s === "17") return "udp";
    if (s === "1") return "icmp";
    return s;
}

/**
 * The ingress rules of a SecurityGroup (inline `ingress`), a SecurityGroupRule (`type: ingress`,
 * `protocol`) or a vpc.SecurityGroupIngressRule (`ipProtocol`, one `cidrIpv4`/`cidrIpv6`). All
 * protocols ("-1") cover every port whatever fromPort/toPort say.
 */
export function ingressRules(type: string, p: any): Ingress[] {
    const raw: Array<{ protocol: unknown; fromPort?: number; toPort?: number; v4: string[]; v6: string[] }> = [];
    if (type === SG) {
        for (const r of asArray<any>(p.ingress)) raw.push({ protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, v4: asArray(r.cidrBlocks), v6: asArray(r.ipv6CidrBlocks) });
    } else if (type === SG_RULE) {
        if (p.type === "ingress") raw.push({ protocol: p.protocol, fromPort: p.fromPort, toPort: p.toPort, v4: asArray(p.cidrBlocks), v6: asArray(p.ipv6CidrBlocks) });
    } else if (type === INGRESS_RULE) {
        raw.push({ protocol: p.ipProtocol, fromPort: p.fromPort, toPort: p.toPort, v4: asArray(p.cidrIpv4), v6: asArray(p.cidrIpv6) });
    }
    return raw.map((r) => {
        const protocol = normaliseProtocol(r.protocol);
        const all = protocol === "all";
        const fromPort = all ? 0 : Number(r.fromPort ?? 0);
        const toPort = all ? 65535 : Number(r.toPort ?? fromPort);
        return {
            protocol, fromPort, toPort,
            world4: r.v4.includes(WORLD_IPV4),
            world6: r.v6.includes(WORLD_IPV6),
            label: all ? "all protocols and ports" : `${protocol} ${fromPort === toPort ? fromPort : `${fromPort}-${toPort}`}`,
        };
    });
}

function covers(rule: Ingress, port: number): boolean {
    return (rule.protocol === "all" || rule.protocol === "tcp" || rule.protocol === "udp") && rule.fromPort <= port && port <= rule.toPort;
}

function worldRules(type: string, p: any): Ingress[] {
    return ingressRules(type, p).filter((r) => r.world4 || r.world6);
}

function source(r: Ingress): string {
    return [r.world4 ? WORLD_IPV4 : "", r.world6 ? WORLD_IPV6 : ""].filter(Boolean).join(" and ");
}

/**
 * Security Hub's EC2.19 list of high-risk ports (Security Hub controls reference, EC2.19:
 * FTP, SSH, Telnet, SMTP, POP3, RPC, IMAP, SMB, MSSQL, dev servers, MySQL, RDP, PostgreSQL,
 * Kibana, proxies, Elasticsearch).
 */
export const HIGH_RISK_PORTS = [20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300];
const ADMIN_PORTS = [22, 3389];

function adminCheck(id: string, family: "world4" | "world6", cidr: string, control: string): Check {
    return {
        id,
        rule: `no ingress from ${cidr} to 22 or 3389 (${control})`,
        test: (p, { args }) => worldRules(args!.type, p).filter((r) => r[family] && ADMIN_PORTS.some((port) => covers(r, port)))
            .map((r) => `ingress from ${cidr} on ${r.label} reaches a remote administration port (22/3389). Fix: remove it; use SSM Session Manager.`),
    };
}

export const ec2Policies: PlatformPolicy[] = [
    resourcePolicy({
        name: "ec2-sg-authorized-ports",
        control: "AWS FSBP EC2.18",
        description: "Security groups admit unrestricted (0.0.0.0/0, ::/0) traffic only on authorized TCP ports (80 and 443 by default).",
        level: "mandatory",
        scope: "all",
        severity: "high",
        configSchema: {
            properties: {
                authorizedTcpPorts: { type: "array", items: { type: "integer", minimum: 0, maximum: 65535 }, default: [80, 443], description: "TCP ports that may face the internet." },
            },
        },
        types: INGRESS_TYPES,
        checks: [
            {
                id: "all-protocols",
                rule: "no world-open rule with protocol -1 (all protocols and ports)",
                test: (p, { args }) => worldRules(args!.type, p).filter((r) => r.protocol === "all")
                    .map((r) => `ingress from ${source(r)} on all protocols and ports. Fix: allow only the TCP ports that must face the internet, from a load balancer's security group.`),
            },
            {
                id: "unauthorized-port",
                rule: "a world-open rule is TCP on a single authorized port",
                test: (p, { args, config }) => {
                    const authorized = new Set<number>(config.authorizedTcpPorts ?? [80, 443]);
                    return worldRules(args!.type, p).filter((r) => r.protocol !== "all")
                        .filter((r) => r.protocol !== "tcp" || r.fromPort !== r.toPort || !authorized.has(r.fromPort))
                        .map((r) => `ingress from ${source(r)} on ${r.label}: only TCP ${[...authorized].join(", ")} may face the internet. Fix: restrict the source CIDRs or the port.`);
                },
            },
        ],
    }),
    resourcePolicy({
        name: "ec2-sg-high-risk-ports",
        control: "AWS FSBP EC2.19",
        description: "No security group admits unrestricted traffic to a high-risk port (SSH, RDP, databases, Elasticsearch, Kibana, ...).",
        level: "mandatory",
        scope: "all",
        severity: "critical",
        types: INGRESS_TYPES,
        checks: [{
            id: "high-risk-port",
            rule: `no world-open rule covers ${HIGH_RISK_PORTS.join(", ")}`,
            test: (p, { args }) => worldRules(args!.type, p).flatMap((r) => {
                const hit = HIGH_RISK_PORTS.filter((port) => covers(r, port));
                return hit.length === 0 ? [] : [`ingress from ${source(r)} on ${r.label} opens high-risk port(s) ${hit.slice(0, 5).join(", ")}${hit.length > 5 ? ", ..." : ""}. Fix: allow them from a security group or a private CIDR only.`];
            }),
        }],
    }),
    resourcePolicy({
        name: "ec2-sg-remote-admin",
        control: "AWS FSBP EC2.53 (IPv4), EC2.54 (IPv6)",
        description: "No security group admits the internet to remote server administration ports 22 and 3389.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: INGRESS_TYPES,
        checks: [adminCheck("ipv4-admin-ports", "world4", WORLD_IPV4, "EC2.53"), adminCheck("ipv6-admin-ports", "world6", WORLD_IPV6, "EC2.54")],
    }),
    resourcePolicy({
        name: "ec2-default-sg-closed",
        control: "AWS FSBP EC2.2",
        description: "The VPC's default security group allows no inbound and no outbound traffic.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: ["aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"],
        checks: [
            {
                id: "no-ingress",
                rule: "ingress is empty",
                test: (p) => asArray(p.ingress).length === 0 ? undefined : `the default security group has ${asArray(p.ingress).length} ingress rule(s). Fix: remove them; give resources their own security groups.`,
            },
            {
                id: "no-egress",
                rule: "egress is empty",
                test: (p) => asArray(p.egress).length === 0 ? undefined : `the default security group has ${asArray(p.egress).length} egress rule(s). Fix: remove them.`,
            },
        ],
    }),
    stackPolicy({
        name: "ec2-vpc-guarded",
        control: "AWS FSBP EC2.6, EC2.2",
        description: "Every VPC the program creates has flow logs (ALL or REJECT traffic) and adopts its default security group to close it.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        checks: [
            {
                id: "flow-log",
                rule: "each aws:ec2/vpc:Vpc has an aws:ec2/flowLog:FlowLog whose vpcId comes from it, with trafficType ALL or REJECT",
                test: (resources) => vpcs(resources).filter((vpc) => !resources.some((r) => r.type === "aws:ec2/flowLog:FlowLog"
                    && refersTo(r, "vpcId", vpc) && ["ALL", "REJECT"].includes(r.props.trafficType)))
                    .map((vpc) => ({ urn: vpc.urn, message: `VPC ${vpc.name} has no flow log capturing ALL or REJECT traffic. Fix: add an aws.ec2.FlowLog with vpcId from this VPC.` })),
            },
            {
                id: "default-sg-adopted",
                rule: "each aws:ec2/vpc:Vpc has an aws:ec2/defaultSecurityGroup:DefaultSecurityGroup whose vpcId comes from it",
                test: (resources) => vpcs(resources).filter((vpc) => !resources.some((r) => r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup" && refersTo(r, "vpcId", vpc)))
                    .map((vpc) => ({ urn: vpc.urn, message: `VPC ${vpc.name}'s default security group is not managed (AWS creates it allowing all traffic within the group). Fix: add an aws.ec2.DefaultSecurityGroup with no rules.` })),
            },
        ],
    }),
    resourcePolicy({
        name: "ec2-subnet-no-public-ip",
        control: "AWS FSBP EC2.15",
        description: "Subnets do not assign public IP addresses automatically (public load balancers get theirs from the controller).",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: ["aws:ec2/subnet:Subnet"],
        checks: [{
            id: "map-public-ip",
            rule: "mapPublicIpOnLaunch is not true",
            test: (p) => isTrue(p.mapPublicIpOnLaunch) ? "mapPublicIpOnLaunch is true: every instance launched here gets a public IP. Fix: set mapPublicIpOnLaunch false." : undefined,
        }],
    }),
    resourcePolicy({
        name: "ec2-launch-template-imdsv2",
        control: "AWS FSBP EC2.170 (EC2.8 for the instances it launches)",
        description: "Launch templates require IMDSv2 with a hop limit of 1, so pods cannot take the node's role.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: ["aws:ec2/launchTemplate:LaunchTemplate"],
        checks: [
            {
                id: "metadata-options",
                rule: "metadataOptions is set (without it instances accept IMDSv1)",
                test: (p) => p.metadataOptions === undefined
                    ? "metadataOptions is unset, so instances accept IMDSv1. Fix: set metadataOptions { httpTokens: \"required\", httpPutResponseHopLimit: 1, httpEndpoint: \"enabled\" }." : undefined,
            },
            {
                id: "http-tokens",
                rule: "metadataOptions.httpTokens is required",
                test: (p) => p.metadataOptions === undefined || p.metadataOptions.httpTokens === "required" ? undefined
                    : `metadataOptions.httpTokens is ${show(p.metadataOptions.httpTokens)}. Fix: set it to "required" (IMDSv2 only).`,
            },
            {
                id: "hop-limit",
                rule: "metadataOptions.httpPutResponseHopLimit is 1",
                test: (p) => p.metadataOptions === undefined || Number(p.metadataOptions.httpPutResponseHopLimit ?? 1) === 1 ? undefined
                    : `metadataOptions.httpPutResponseHopLimit is ${show(p.metadataOptions.httpPutResponseHopLimit)}: pods could reach the node role. Fix: set it to 1 (every controller has its own Pod Identity role).`,
            },
        ],
    }),
    resourcePolicy({
        name: "ec2-launch-template-ebs-encrypted",
        control: "AWS FSBP EC2.3",
        description: "Volumes of instances launched from the platform's templates are encrypted at rest.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: ["aws:ec2/launchTemplate:LaunchTemplate"],
        checks: [
            {
                id: "root-volume-declared",
                rule: "blockDeviceMappings declares the volumes (otherwise encryption depends on the account's EBS default)",
                test: (p) => asArray(p.blockDeviceMappings).length > 0 ? undefined
                    : "blockDeviceMappings is empty: the root volume's encryption depends on the account default. Fix: declare the root volume with ebs.encrypted true.",
            },
            {
                id: "volume-encrypted",
                rule: "every blockDeviceMappings[].ebs has encrypted true",
                test: (p) => asArray<any>(p.blockDeviceMappings).filter((m) => m.ebs !== undefined && !isTrue(m.ebs.encrypted))
                    .map((m) => `${m.deviceName ?? "a volume"}: ebs.encrypted is ${show(m.ebs.encrypted)}. Fix: set ebs.encrypted true.`),
            },
        ],
    }),
];

function vpcs(resources: PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => r.type === "aws:ec2/vpc:Vpc");
}

/** True when `resource.<property>` was computed from `target` (its id), as Pulumi records it. */
export function refersTo(resource: PolicyResource, property: string, target: PolicyResource): boolean {
    return (resource.propertyDependencies[property] ?? []).some((r) => r.urn === target.urn);
}
