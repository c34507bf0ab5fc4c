/**
 * IPv4 CIDR arithmetic for the VPC layout: small, pure and exhaustively tested, so the subnet
 * plan is known (and checked against the VPC) before any resource is registered.
 */

export interface Cidr {
    /** Network address as an unsigned 32-bit integer. */
    readonly base: number;
    readonly prefixLength: number;
}

/** Parses `a.b.c.d/n`; undefined unless it is a network address (no host bits set). */
export function parseCidr(text: string): Cidr | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefixLength = Number(m[5]);
    if (octets.some((o) => o > 255) || prefixLength > 32) return undefined;
    const base = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
    if (base % blockSize(prefixLength) !== 0) return undefined;
    return { base, prefixLength };
}

export function formatCidr(c: Cidr): string {
    const b = c.base;
    return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefixLength}`;
}

/**
 * The `kubernetes` Service's address as a /32: the first host of the cluster's service range
 * (the API server takes it for `default/kubernetes`, kube-apiserver's --service-cluster-ip-range).
 */
export function kubernetesServiceCidr(serviceCidr: string): string {
    const c = parseCidr(serviceCidr);
    if (c === undefined || c.prefixLength > 30) throw new Error(`the cluster's service range ${JSON.stringify(serviceCidr)} is not an IPv4 network of /30 or wider`);
    return formatCidr({ base: c.base + 1, prefixLength: 32 });
}

function blockSize(prefixLength: number): number {
    return 2 ** (32 - prefixLength);
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((t) => parseCidr(t)!);

/** True when the whole block lies inside one RFC 1918 range. */
export function isPrivateIpv4Cidr(text: string): boolean {
    const c = parseCidr(text);
    if (!c) return false;
    return PRIVATE_RANGES.some((r) => c.prefixLength >= r.prefixLength &&
        c.base >= r.base && c.base + blockSize(c.prefixLength) <= r.base + blockSize(r.prefixLength));
}

export type SubnetTier = "public" | "private" | "isolated";
export type SubnetLayout = Record<SubnetTier, string[]>;

/**
 * One subnet per tier per AZ, packed into the VPC: the largest blocks first (so every block is
 * aligned to its own size), ties in the order private, public, isolated. Undefined when they do
 * not fit.
 */
export function planSubnets(vpcCidr: string, azCount: number, prefixLengths: Record<SubnetTier, number>): SubnetLayout | undefined {
    const vpc = parseCidr(vpcCidr);
    if (!vpc) return undefined;
    const order: SubnetTier[] = ["private", "public", "isolated"];
    const tiers = [...order].sort((a, b) => prefixLengths[a] - prefixLengths[b] || order.indexOf(a) - order.indexOf(b));
    const layout: SubnetLayout = { public: [], private: [], isolated: [] };
    const end = vpc.base + blockSize(vpc.prefixLength);
    let next = vpc.base;
    for (const tier of tiers) {
        const prefixLength = prefixLengths[tier];
        if (prefixLength <= vpc.prefixLength || prefixLength > 28) return undefined;
        const size = blockSize(prefixLength);
        for (let i = 0; i < azCount; i++) {
            next = Math.ceil(next / size) * size;
            if (next + size > end) return undefined;
            layout[tier].push(formatCidr({ base: next, prefixLength }));
            next += size;
        }
    }
    return layout;
}
