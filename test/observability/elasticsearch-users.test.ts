import * as assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import {
    elasticsearchAuth, ES_CLIENT_USERS, ES_ROLES, LOGS_DATA_STREAM_NAME, rolesYaml,
} from "../../components/observability/elasticsearch-users";
import { ilmJobScript } from "../../components/observability/logging";
import { OBSERVABILITY_NAMESPACE } from "../../components/observability/observability";
import { buildStack, isSecret, reveal, valueOf, type Built, type CapturedResource } from "../harness";
import { JOB, SECRET, STACKS, type Stack, release, valuesOf } from "./support";

/**
 * Issue 12, item 14: every Elasticsearch client has its own least-privilege user (ECK file realm and
 * roles, ECK v3.5.0 `spec.auth`); none uses the `elastic` superuser.
 */

/** The privileges each role grants: exactly these (why each is there: elasticsearch-users.ts). */
const EXPECTED_ROLES = {
    platform_logs_writer: {
        cluster: ["monitor"],
        indices: [{ names: ["logs-kubernetes-default"], privileges: ["create_doc", "auto_configure"] }],
    },
    platform_logs_lifecycle: {
        cluster: ["monitor", "manage_ilm", "manage_index_templates"],
        indices: [{ names: ["logs-*-*"], privileges: ["manage"] }],
    },
    platform_logs_reader: {
        cluster: ["monitor"],
        indices: [{ names: ["logs-*"], privileges: ["read", "view_index_metadata"] }],
    },
    platform_kibana_logs_reader: {
        cluster: [],
        indices: [{ names: ["logs-*"], privileges: ["read", "view_index_metadata"] }],
        applications: [{ application: "kibana-.kibana", privileges: ["read"], resources: ["*"] }],
    },
    platform_traces_writer: {
        cluster: ["monitor", "manage_index_templates"],
        indices: [{ names: ["jaeger-*"], privileges: ["create_index", "index", "read", "view_index_metadata"] }],
    },
    platform_traces_cleaner: {
        cluster: ["monitor"],
        indices: [{ names: ["jaeger-*"], privileges: ["view_index_metadata", "monitor", "delete_index"] }],
    },
};

/** Who logs in as whom, with which role. */
const EXPECTED_USERS = {
    logstash: ["logstash-writer", "es-user-logstash", "platform_logs_writer"],
    logsLifecycle: ["logs-lifecycle", "es-user-logs-lifecycle", "platform_logs_lifecycle"],
    grafana: ["grafana-reader", "es-user-grafana", "platform_logs_reader"],
    kibanaReader: ["kibana-reader", "es-user-kibana-reader", "platform_kibana_logs_reader"],
    jaeger: ["jaeger-writer", "es-user-jaeger", "platform_traces_writer"],
    jaegerCleaner: ["jaeger-cleaner", "es-user-jaeger-cleaner", "platform_traces_cleaner"],
};

const secretNamed = (b: Built, name: string): CapturedResource => {
    const found = b.capture.ofType(SECRET).filter((s) => s.inputs.metadata?.name === name);
    assert.equal(found.length, 1, `one Secret named ${name}`);
    return found[0];
};
const secretRef = (name: string) => ({ secretKeyRef: { name, key: "password" } });

describe("Elasticsearch users and roles (issue 12, item 14)", function () {
    this.timeout(60000);
    const built = {} as Record<Stack, Built>;
    before(async () => {
        for (const stack of STACKS) built[stack] = await buildStack(stack);
    });

    it("defines the roles with exactly the listed privileges, in roles.yml", () => {
        assert.deepEqual(parseYaml(rolesYaml()), EXPECTED_ROLES);
        assert.deepEqual(ES_ROLES, EXPECTED_ROLES);
    });

    it("gives each client its own user, Secret and role", () => {
        assert.deepEqual(Object.fromEntries(Object.entries(ES_CLIENT_USERS).map(([k, u]) => [k, [u.user, u.secret, u.roles.join(",")]])), EXPECTED_USERS);
    });

    it("encodes index names once: the pipeline, the ILM Job and Grafana's data source use the roles' indices", () => {
        assert.equal(LOGS_DATA_STREAM_NAME, EXPECTED_ROLES.platform_logs_writer.indices[0].names[0]);
        assert.ok(ilmJobScript().includes(`/${EXPECTED_ROLES.platform_logs_lifecycle.indices[0].names[0]}/_settings`));
        const b = built.dev;
        const pipeline: string = valuesOf(b, "eck-stack")["eck-logstash"].pipelines[0]["config.string"];
        const [type, dataset, namespace] = LOGS_DATA_STREAM_NAME.split("-");
        for (const line of [`data_stream_type => "${type}"`, `data_stream_dataset => "${dataset}"`, `data_stream_namespace => "${namespace}"`]) {
            assert.ok(pipeline.includes(line), line);
        }
        const es = valuesOf(b, "kube-prometheus-stack").grafana.additionalDataSources.find((d: any) => d.type === "elasticsearch");
        assert.equal(es.jsonData.index, EXPECTED_ROLES.platform_logs_reader.indices[0].names[0]);
    });

    for (const stack of STACKS) {
        describe(`on ${stack}`, () => {
            const b = () => built[stack];

            it("references the roles Secret and every user's Secret from the Elasticsearch resource's spec.auth", () => {
                const auth = valuesOf(b(), "eck-stack")["eck-elasticsearch"].auth;
                assert.deepEqual(auth, {
                    roles: [{ secretName: "es-roles" }],
                    fileRealm: Object.values(EXPECTED_USERS).map(([, secret]) => ({ secretName: secret })),
                });
                assert.deepEqual(auth, elasticsearchAuth());
                const roles = secretNamed(b(), "es-roles");
                assert.equal(roles.inputs.metadata.namespace, OBSERVABILITY_NAMESPACE);
                assert.deepEqual(parseYaml(reveal(roles.inputs.stringData)["roles.yml"]), EXPECTED_ROLES);
            });

            it("stores each user as a basic-auth Secret ECK reads (username, password, roles), the password secret", async () => {
                const outputs = JSON.stringify(reveal(await valueOf(b().platform.outputs as any)));
                for (const [user, secretName, role] of Object.values(EXPECTED_USERS)) {
                    const s = secretNamed(b(), secretName);
                    assert.equal(s.inputs.type, "kubernetes.io/basic-auth");
                    assert.equal(s.inputs.metadata.namespace, OBSERVABILITY_NAMESPACE);
                    assert.ok(isSecret(s.inputs.stringData) || isSecret(s.inputs.stringData.password), `${secretName}'s password is a secret output`);
                    const data = reveal(s.inputs.stringData);
                    assert.deepEqual(Object.keys(data).sort(), ["password", "roles", "username"]);
                    assert.deepEqual({ username: data.username, roles: data.roles }, { username: user, roles: role });
                    // ECK: at least 6 characters; letters and digits pass unquoted through ${VAR} expansion.
                    assert.match(data.password, /^[A-Za-z0-9]{32}$/);
                    assert.ok(!outputs.includes(data.password), `${secretName}'s password is in no stack output`);
                    // Every role a user names is defined (ECK splits on "," and rejects names with spaces).
                    for (const r of data.roles.split(",")) assert.ok(r in EXPECTED_ROLES, `${r} is defined in roles.yml`);
                }
                // One RandomPassword per user (the mock's results share a prefix, so compare resources, not values).
                for (const [client, [, secretName]] of Object.entries(EXPECTED_USERS)) {
                    const generator = b().capture.ofType("random:index/randomPassword:RandomPassword").filter((r) => r.name.endsWith(`-es-${client}-password`));
                    assert.equal(generator.length, 1, `one password generator for ${client}`);
                    assert.deepEqual([generator[0].inputs.length, generator[0].inputs.special], [32, false]);
                    assert.ok(b().capture.dependsOn(secretNamed(b(), secretName), generator[0]), `${secretName} holds ${client}'s own password`);
                }
            });

            it("has each client read its own user's password", () => {
                const kps = valuesOf(b(), "kube-prometheus-stack").grafana;
                assert.equal(kps.additionalDataSources.find((d: any) => d.type === "elasticsearch").basicAuthUser, "grafana-reader");
                assert.deepEqual(kps.envValueFrom.ES_PASSWORD, secretRef("es-user-grafana"));
                const ls = valuesOf(b(), "eck-stack")["eck-logstash"].podTemplate.spec.containers[0];
                const lsEnv = Object.fromEntries(ls.env.map((x: any) => [x.name, x.value ?? x.valueFrom]));
                assert.deepEqual([lsEnv.ES_USER, lsEnv.ES_PASSWORD], ["logstash-writer", secretRef("es-user-logstash")]);
                const job = b().capture.ofType(JOB).find((j) => j.name.endsWith("-logs-ilm"))!;
                const jobEnv = Object.fromEntries(job.inputs.spec.template.spec.containers[0].env.map((x: any) => [x.name, x.value ?? x.valueFrom]));
                assert.deepEqual(jobEnv.ES_PASSWORD, secretRef("es-user-logs-lifecycle"));
                assert.ok(ilmJobScript().includes('auth="logs-lifecycle:${ES_PASSWORD}"'));
                const jaeger = valuesOf(b(), "jaeger");
                if (jaeger.esIndexCleaner.enabled) {
                    assert.equal(jaeger.userconfig.extensions.jaeger_storage.backends.primary_store.elasticsearch.auth.basic.username, "jaeger-writer");
                    assert.deepEqual(jaeger.jaeger.extraEnv, [{ name: "ES_PASSWORD", valueFrom: secretRef("es-user-jaeger") }]);
                    assert.equal(jaeger.storage.elasticsearch.user, "jaeger-cleaner");
                    assert.deepEqual(jaeger.esIndexCleaner.extraEnv[0], { name: "ES_PASSWORD", valueFrom: secretRef("es-user-jaeger-cleaner") });
                }
            });

            it("references the elastic superuser nowhere: no Secret key, no user name", () => {
                for (const r of b().capture.resources) {
                    const text = JSON.stringify(reveal(r.inputs));
                    assert.ok(!text.includes("elasticsearch-es-elastic-user"), `${r.type} ${r.name} references the elastic user's Secret`);
                    assert.ok(!/"(user|username|basicAuthUser)":"elastic"|user => \\"elastic\\"|auth=\\"elastic:/.test(text), `${r.type} ${r.name} logs in as elastic`);
                }
            });

            it("creates the Secrets before Elasticsearch and each client that reads them", () => {
                const c = b().capture;
                const eckStack = release(b(), "eck-stack");
                for (const name of ["es-roles", ...Object.values(EXPECTED_USERS).map(([, s]) => s)]) {
                    assert.ok(c.dependsOn(eckStack, secretNamed(b(), name)), `eck-stack waits for ${name}`);
                }
                assert.ok(c.dependsOn(release(b(), "kube-prometheus-stack"), secretNamed(b(), "es-user-grafana")));
                const job = c.ofType(JOB).find((j) => j.name.endsWith("-logs-ilm"))!;
                assert.ok(c.dependsOn(job, secretNamed(b(), "es-user-logs-lifecycle")));
                const jaeger = release(b(), "jaeger");
                if (valuesOf(b(), "jaeger").esIndexCleaner.enabled) {
                    assert.ok(c.dependsOn(jaeger, secretNamed(b(), "es-user-jaeger")) && c.dependsOn(jaeger, secretNamed(b(), "es-user-jaeger-cleaner")));
                }
            });
        });
    }
});
