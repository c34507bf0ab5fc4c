import * as assert from "node:assert/strict";
import { appNetworkPolicies, DATABASE_CLIENT_PODS, SERVING_PODS } from "../../components/delivery/network-policies";
import { buildStack, reveal, selects, type Built, type CapturedResource } from "../harness";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const tcp = (port: number) => ({ protocol: "TCP", port });

describe("app namespace network policies (issue 12 item 13)", () => {
    const args = { albSourceCidrs: ["10.20.0.0/19", "10.20.32.0/19"], observabilityNamespace: "observability", dataSubnetCidrs: ["10.20.200.0/24", "10.20.201.0/24"] };

    it("denies everything first: an empty podSelector over both directions", () => {
        assert.deepEqual(appNetworkPolicies(args)[0], { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
    });

    it("admits the app's port from the ALB's subnets and from Prometheus in observability only, and nothing else", () => {
        const p = appNetworkPolicies(args);
        const ingress = p.filter((x) => (x.spec.policyTypes as string[]).includes("Ingress") && x.spec.ingress);
        assert.deepEqual(ingress.map((x) => x.name), ["allow-app-ingress"]);
        assert.deepEqual(ingress[0].spec.ingress, [
            { from: [{ ipBlock: { cidr: "10.20.0.0/19" } }, { ipBlock: { cidr: "10.20.32.0/19" } }], ports: [tcp(8080)] },
            { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }], ports: [tcp(8080)] },
        ]);
        // Without an ALB in front of the app, only Prometheus.
        assert.deepEqual(appNetworkPolicies({ ...args, albSourceCidrs: [] }).find((x) => x.name === "allow-app-ingress")!.spec.ingress, [ingress[0].spec.ingress![1]]);
    });

    it("lets PostgreSQL 5432 and Valkey 6379 out only to the isolated subnets, OTLP only to Jaeger, and DNS only to CoreDNS", () => {
        const p = appNetworkPolicies(args);
        const rules = p.flatMap((x) => ((x.spec.egress ?? []) as any[]).map((rule) => ({ policy: x.name, selector: x.spec.podSelector, rule })));
        const to = (port: number) => rules.filter((r) => r.rule.ports.some((x: any) => x.port === port));
        const data = args.dataSubnetCidrs.map((cidr) => ({ ipBlock: { cidr } }));
        assert.deepEqual(to(5432), [{ policy: "allow-database-egress", selector: DATABASE_CLIENT_PODS, rule: { to: data, ports: [tcp(5432)] } }]);
        assert.deepEqual(to(6379), [{ policy: "allow-app-egress", selector: SERVING_PODS, rule: { to: data, ports: [tcp(6379)] } }]);
        assert.deepEqual(to(4318).map((r) => r.rule), [{
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } }, podSelector: { matchLabels: { "app.kubernetes.io/instance": "jaeger" } } }],
            ports: [tcp(4317), tcp(4318)],
        }]);
        assert.deepEqual(to(53).map((r) => r.policy), ["allow-dns"]);
        // Every egress rule is one of these four: nothing reaches the API server, AWS or the internet.
        assert.equal(rules.length, 4);
        assert.ok(rules.every((r) => r.rule.to.length > 0 && r.rule.ports.length > 0), "no rule without a peer or a port");
    });

    for (const internalIngress of [false, true]) {
        describe(`in the dev stack (app.internalIngress ${internalIngress})`, () => {
            let dev: Built;
            before(async () => { dev = await buildStack("dev", { "platform:app": { internalIngress } }); });
            const policies = () => dev.capture.ofType(NETPOL).filter((r) => reveal(r.inputs.metadata.namespace) === "orders");
            const podLabels = (r: CapturedResource) => reveal(r.inputs.spec.template.metadata.labels);

            it("creates them in the app's namespace from the stack's subnet plan", () => {
                const layout = dev.platform.network.subnetCidrs;
                const expected = appNetworkPolicies({ albSourceCidrs: internalIngress ? layout.private : [], observabilityNamespace: "observability", dataSubnetCidrs: layout.isolated });
                const byName = (a: [string, unknown], b: [string, unknown]) => a[0].localeCompare(b[0]);
                assert.deepEqual(policies().map((r): [string, unknown] => [r.inputs.metadata.name, reveal(r.inputs.spec)]).sort(byName), expected.map((x): [string, unknown] => [x.name, x.spec]).sort(byName));
                assert.equal(layout.isolated.length, dev.config.network.availabilityZoneCount);
            });

            it("selects the serving pods and the migration Job's as the workload labels them, and opens the ports they use", () => {
                const deployment = dev.capture.ofType("kubernetes:apps/v1:Deployment").find((r) => reveal(r.inputs.metadata.namespace) === "orders")!;
                const job = dev.capture.ofType("kubernetes:batch/v1:Job").find((r) => reveal(r.inputs.metadata.namespace) === "orders")!;
                assert.equal(selects(SERVING_PODS, podLabels(deployment)), true);
                assert.equal(selects(DATABASE_CLIENT_PODS, podLabels(deployment)), true);
                assert.equal(selects(SERVING_PODS, podLabels(job)), false, "the migration Job gets no ingress, no cache, no OTLP");
                assert.equal(selects(DATABASE_CLIENT_PODS, podLabels(job)), true, "the migration Job reaches the database");
                const container = reveal(deployment.inputs.spec.template.spec.containers[0]);
                assert.deepEqual(container.ports.map((x: any) => x.containerPort), [8080]);
                const otlp = container.env.find((e: any) => e.name === "OTEL_EXPORTER_OTLP_ENDPOINT").value;
                assert.match(otlp, /^http:\/\/jaeger\.observability\.svc:4318$/);
            });

            it("creates every app object after its policies (no pod starts in a half-fenced namespace)", () => {
                const deny = policies().find((r) => r.inputs.metadata.name === "default-deny")!;
                const database = policies().find((r) => r.inputs.metadata.name === "allow-database-egress")!;
                for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"]) {
                    const r = dev.capture.ofType(type).find((x) => reveal(x.inputs.metadata.namespace) === "orders")!;
                    assert.ok(dev.capture.dependsOn(r, deny) && dev.capture.dependsOn(r, database), `${type} after the policies`);
                }
            });

            it("are valid NetworkPolicies (kubernetes-models)", async () => {
                const { NetworkPolicy }: any = await import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy");
                for (const r of policies()) new NetworkPolicy({ metadata: reveal(r.inputs.metadata), spec: reveal(r.inputs.spec) }).validate();
                assert.equal(policies().length, 5);
            });
        });
    }
});
