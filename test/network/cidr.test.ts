import * as assert from "node:assert/strict";
import { planSubnets, isPrivateIpv4Cidr, kubernetesServiceCidr, parseCidr } from "../../components/network/cidr";

describe("cidr", () => {
    it("names the kubernetes Service's ClusterIP: the first host of the cluster's service range, as a /32", () => {
        assert.equal(kubernetesServiceCidr("172.20.0.0/16"), "172.20.0.1/32");
        assert.equal(kubernetesServiceCidr("10.100.0.0/16"), "10.100.0.1/32");
        assert.equal(kubernetesServiceCidr("192.168.4.0/22"), "192.168.4.1/32");
        assert.throws(() => kubernetesServiceCidr("172.20.0.1/16"), /the cluster's service range "172.20.0.1\/16" is not an IPv4 network of \/30 or wider/);
        assert.throws(() => kubernetesServiceCidr("fd00::/108"), /is not an IPv4 network/);
    });

    it("parses only network addresses", () => {
        assert.deepEqual(parseCidr("10.1.0.0/16"), { base: (10 << 24) + (1 << 16), prefixLength: 16 });
        assert.equal(parseCidr("10.1.0.1/16"), undefined);
        assert.equal(parseCidr("10.1.0.0/33"), undefined);
        assert.equal(parseCidr("256.1.0.0/16"), undefined);
        assert.equal(parseCidr("10.1.0.0"), undefined);
    });

    it("recognises the RFC 1918 ranges", () => {
        assert.ok(isPrivateIpv4Cidr("172.31.0.0/16"));
        assert.ok(isPrivateIpv4Cidr("192.168.0.0/16"));
        assert.ok(!isPrivateIpv4Cidr("172.32.0.0/16"));
        assert.ok(!isPrivateIpv4Cidr("10.0.0.0/7"));
    });

    it("packs the tiers largest-first without overlap", () => {
        const layout = planSubnets("10.0.0.0/16", 3, { private: 20, public: 24, isolated: 24 })!;
        assert.deepEqual(layout, {
            private: ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"],
            public: ["10.0.48.0/24", "10.0.49.0/24", "10.0.50.0/24"],
            isolated: ["10.0.51.0/24", "10.0.52.0/24", "10.0.53.0/24"],
        });
        assert.equal(planSubnets("10.0.0.0/20", 3, { private: 22, public: 24, isolated: 24 }), undefined);
        assert.deepEqual(planSubnets("10.0.0.0/22", 2, { private: 24, public: 26, isolated: 26 })!.isolated, ["10.0.2.128/26", "10.0.2.192/26"]);
    });
});
