import * as assert from "node:assert/strict";
import { BEAT_API_VERSION, FILEBEAT_CLUSTER_ROLE_RULES, filebeatSpec, logstashBeatsHost, NODE_AGENTS_NAMESPACE } from "../../components/observability/node-agents";
import { buildStack, reveal, type Built } from "../harness";

const BEAT = `kubernetes:${BEAT_API_VERSION}:Beat`;

describe("node agents: Filebeat in the privileged node-agents namespace (issue 12 item 12)", () => {
    it("ships to Logstash's beats Service by its namespaced name (Filebeat is no longer beside it)", () => {
        assert.equal(logstashBeatsHost("observability"), "logstash-ls-beats.observability.svc:5044");
        const spec: any = filebeatSpec("observability");
        assert.deepEqual(spec.config["output.logstash"], { hosts: ["logstash-ls-beats.observability.svc:5044"] });
        assert.equal(spec.elasticsearchRef, undefined, "no association: nothing for ECK to copy across namespaces");
        assert.deepEqual(Object.keys(spec).sort(), ["config", "daemonSet", "type", "version"]);
    });

    it("reads the node's container logs as root from hostPath volumes (why its namespace is privileged)", () => {
        const pod: any = (filebeatSpec("observability") as any).daemonSet.podTemplate.spec;
        assert.deepEqual(pod.volumes, [
            { name: "varlogcontainers", hostPath: { path: "/var/log/containers" } },
            { name: "varlogpods", hostPath: { path: "/var/log/pods" } },
        ]);
        assert.deepEqual(pod.containers[0].securityContext, { runAsUser: 0 });
        assert.equal(pod.serviceAccountName, "filebeat");
    });

    describe("in the dev stack", () => {
        let dev: Built;
        before(async () => { dev = await buildStack("dev"); });
        const one = (type: string) => {
            const found = dev.capture.ofType(type).filter((r) => r.name.startsWith("platform-dev-observability-filebeat"));
            assert.equal(found.length, 1, type);
            return reveal(found[0].inputs);
        };

        it("declares the Beat in node-agents with the subchart's licence annotation and the spec above", () => {
            const beat = one(BEAT);
            assert.deepEqual(beat.metadata, {
                name: "filebeat", namespace: NODE_AGENTS_NAMESPACE,
                labels: { "app.kubernetes.io/name": "filebeat", "app.kubernetes.io/part-of": "observability" },
                annotations: { "eck.k8s.elastic.co/license": "basic" },
            });
            assert.deepEqual(beat.spec, filebeatSpec("observability"));
        });

        it("gives it the RBAC eck-beats would have made, bound to the ServiceAccount in node-agents", () => {
            assert.deepEqual(one("kubernetes:core/v1:ServiceAccount").metadata.namespace, NODE_AGENTS_NAMESPACE);
            const role = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
            assert.equal(role.metadata.name, "filebeat-autodiscover");
            assert.deepEqual(role.rules, FILEBEAT_CLUSTER_ROLE_RULES);
            const binding = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
            assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "filebeat", namespace: NODE_AGENTS_NAMESPACE }]);
            assert.deepEqual(binding.roleRef, { kind: "ClusterRole", name: "filebeat-autodiscover", apiGroup: "rbac.authorization.k8s.io" });
        });
    });
});
