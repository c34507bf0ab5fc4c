import * as assert from "node:assert/strict";
import { REVIEW_LIMITS, REVIEW_QUOTA, reviewLabels, reviewNetworkPolicies } from "../../components/review/isolation";

describe("review isolation", () => {
    it("labels objects with the stack and, for pr-<n>, the pull request", () => {
        assert.deepEqual(reviewLabels("pr-42"), { "app.kubernetes.io/part-of": "review-environment", "platform.review/stack": "pr-42", "platform.review/pull-request": "42" });
        assert.deepEqual(reviewLabels("feature-x"), { "app.kubernetes.io/part-of": "review-environment", "platform.review/stack": "feature-x" });
    });

    it("sizes the quota for the app at maxReplicas plus a surge pod and the migration, PostgreSQL with its initdb Job, and Valkey", () => {
        const mib = (s: string) => (s.endsWith("Gi") ? Number(s.slice(0, -2)) * 1024 : Number(s.slice(0, -2)));
        // Defaults: app 256 MiB x (2 + 1 surge + 1 migration), CNPG 512 MiB x 2 (instance, initdb), Valkey 128 MiB.
        const need = 256 * 4 + 512 * 2 + 128;
        assert.ok(need <= mib(REVIEW_QUOTA.memory), `${need} MiB fits in ${REVIEW_QUOTA.memory}`);
        assert.equal(REVIEW_QUOTA.loadBalancerServices, "0", "no Service of type LoadBalancer: the shared ALB only");
        assert.ok(mib(REVIEW_LIMITS.max.memory) >= 512, "the CNPG instance (512 MiB) fits the per-container maximum");
    });

    it("leaves nothing but the listed flows open", () => {
        const p = reviewNetworkPolicies({
            namespace: "pr-1", labels: {}, albSourceCidr: "10.0.0.0/16", observabilityNamespace: "observability", operatorNamespace: "cnpg-system",
            appSelector: { app: "a" }, databaseSelector: { db: "d" }, appPort: 8080, otlpPort: 4318,
        });
        assert.deepEqual(Object.values(p).map((x) => x.policyTypes), [["Ingress", "Egress"], ["Ingress", "Egress"], ["Ingress", "Egress"], ["Ingress", "Egress"]]);
        assert.deepEqual(p["allow-dns-and-namespace"].ingress, [{ from: [{ podSelector: {} }] }]);
        assert.deepEqual(p["allow-database-operator"].egress, [{ ports: [{ protocol: "TCP", port: 443 }] }]);
    });
});
