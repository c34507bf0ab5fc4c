/**
 * Elasticsearch users and roles of the platform's own clients (issue 12, item 14): each client has
 * its own user with the least privilege it needs, so no pod of the platform holds the `elastic`
 * superuser's password (ECK keeps generating it; operators read it for administration only).
 *
 * ECK mechanisms used (elastic/cloud-on-k8s tag v3.5.0, the pinned eck-operator 3.5.0 / eck-stack
 * 0.20.0; the eck-elasticsearch chart renders `.Values.auth` verbatim into `spec.auth`):
 * - `spec.auth.roles[].secretName`: a Secret with one `roles.yml` entry in Elasticsearch's
 *   file-based role format (pkg/apis/elasticsearch/v1/elasticsearch_types.go, RoleSource).
 * - `spec.auth.fileRealm[].secretName`: a Secret with exactly the keys `username` and `password`
 *   (kubernetes.io/basic-auth) and optionally `roles`, comma-separated with no spaces (ECK splits on
 *   ","; a role name must not start or end with a space). ECK hashes the password itself, reusing
 *   the hash while the password is unchanged (pkg/controller/elasticsearch/user/user_provided.go,
 *   realmFromBasicAuthSecret; validation.go: names 1-1024 printable ASCII, password >= 6 chars).
 *   A missing Secret is skipped with an event and re-read when it appears (dynamic watches).
 * - Kibana's own connection already uses ECK's service account `elastic/kibana` for stack >= 7.17
 *   (pkg/apis/kibana/v1/kibana_types.go, KibanaServiceAccountMinVersion), not `elastic`: no user
 *   here. `kibana-reader` is for people reading logs in Kibana.
 * Passwords come from RandomPassword (secret outputs) into Kubernetes Secrets only.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { stringify as toYaml } from "yaml";

/** The indices each client touches: one source for the pipelines, the data sources and the roles. */
export const ES_INDICES = {
    /** The data stream Logstash writes (`<type>-<dataset>-<namespace>`, its data_stream_* settings). */
    logs: { type: "logs", dataset: "kubernetes", namespace: "default" },
    /** What readers (Grafana's data source, Kibana) read: every logs data stream. */
    logsReadPattern: "logs-*",
    /** The data streams the built-in `logs` index template (and so `logs@custom`) matches. */
    logsManagedPattern: "logs-*-*",
    /**
     * Jaeger v2's indices with no index_prefix: jaeger-span-<date>, jaeger-service-<date>,
     * jaeger-dependencies-<date>, jaeger-sampling-<date> and their templates (jaegertracing/jaeger
     * v2.19.0, internal/storage/elasticsearch/config/config.go, Indices).
     */
    jaegerPattern: "jaeger-*",
} as const;
export const LOGS_DATA_STREAM_NAME = `${ES_INDICES.logs.type}-${ES_INDICES.logs.dataset}-${ES_INDICES.logs.namespace}`;

/** One file-based role (Elasticsearch's roles.yml format). */
export interface EsRole {
    readonly cluster: readonly string[];
    readonly indices: readonly { readonly names: readonly string[]; readonly privileges: readonly string[] }[];
    readonly applications?: readonly { readonly application: string; readonly privileges: readonly string[]; readonly resources: readonly string[] }[];
}

/**
 * The roles, each the least its client needs (why each privilege is there):
 * - logs writer (Logstash, data stream mode): `create_doc` (data streams accept only the `create`
 *   bulk action, which Logstash sends in that mode), `auto_configure` (creates the data stream from
 *   the built-in template on the first event and updates dynamic mappings); cluster `monitor` for
 *   the output's version and licence checks at start. No `manage_index_templates`: in data stream
 *   mode the output manages no template (logstash-output-elasticsearch data_stream_support.rb:
 *   `manage_template => false` implied), and auto routing is off so no other stream is written.
 * - logs lifecycle (the ILM Job): cluster `manage_ilm` (PUT _ilm/policy), `manage_index_templates`
 *   (PUT _component_template/logs@custom), `monitor` (_cluster/health); `manage` on the managed
 *   data streams (PUT <pattern>/_settings on existing backing indices).
 * - logs reader (Grafana's data source): `read` (_msearch), `view_index_metadata` (_mapping,
 *   _field_caps); cluster `monitor` for the data source's version check (GET /).
 * - Kibana logs reader (people): the same on the logs, plus Kibana's base `read` privilege in every
 *   space (application `kibana-.kibana`), so Discover and dashboards open read-only.
 * - traces writer (Jaeger v2 server): cluster `manage_index_templates` (it creates its index
 *   templates at start: create_index_templates defaults to true), `monitor` (its ping at start);
 *   on its indices `create_index` (daily indices), `index` (bulk index actions), `read` and
 *   `view_index_metadata` (the query side searches the same indices).
 * - traces cleaner (the chart's es-index-cleaner CronJob): `view_index_metadata` and `monitor` to
 *   list the indices, `delete_index` to drop those past the retention; cluster `monitor`.
 */
export const ES_ROLES = {
    platform_logs_writer: {
        cluster: ["monitor"],
        indices: [{ names: [LOGS_DATA_STREAM_NAME], privileges: ["create_doc", "auto_configure"] }],
    },
    platform_logs_lifecycle: {
        cluster: ["monitor", "manage_ilm", "manage_index_templates"],
        indices: [{ names: [ES_INDICES.logsManagedPattern], privileges: ["manage"] }],
    },
    platform_logs_reader: {
        cluster: ["monitor"],
        indices: [{ names: [ES_INDICES.logsReadPattern], privileges: ["read", "view_index_metadata"] }],
    },
    platform_kibana_logs_reader: {
        cluster: [],
        indices: [{ names: [ES_INDICES.logsReadPattern], privileges: ["read", "view_index_metadata"] }],
        applications: [{ application: "kibana-.kibana", privileges: ["read"], resources: ["*"] }],
    },
    platform_traces_writer: {
        cluster: ["monitor", "manage_index_templates"],
        indices: [{ names: [ES_INDICES.jaegerPattern], privileges: ["create_index", "index", "read", "view_index_metadata"] }],
    },
    platform_traces_cleaner: {
        cluster: ["monitor"],
        indices: [{ names: [ES_INDICES.jaegerPattern], privileges: ["view_index_metadata", "monitor", "delete_index"] }],
    },
} as const satisfies Record<string, EsRole>;
export type EsRoleName = keyof typeof ES_ROLES;

/** A client's user: its name in Elasticsearch, the Secret holding its password, its roles. */
export interface EsClientUser {
    readonly user: string;
    /** A kubernetes.io/basic-auth Secret (keys username, password, roles) in the observability namespace. */
    readonly secret: string;
    readonly roles: readonly EsRoleName[];
}

/** Every user of the file realm, by client. */
export const ES_CLIENT_USERS = {
    logstash: { user: "logstash-writer", secret: "es-user-logstash", roles: ["platform_logs_writer"] },
    logsLifecycle: { user: "logs-lifecycle", secret: "es-user-logs-lifecycle", roles: ["platform_logs_lifecycle"] },
    grafana: { user: "grafana-reader", secret: "es-user-grafana", roles: ["platform_logs_reader"] },
    kibanaReader: { user: "kibana-reader", secret: "es-user-kibana-reader", roles: ["platform_kibana_logs_reader"] },
    jaeger: { user: "jaeger-writer", secret: "es-user-jaeger", roles: ["platform_traces_writer"] },
    jaegerCleaner: { user: "jaeger-cleaner", secret: "es-user-jaeger-cleaner", roles: ["platform_traces_cleaner"] },
} as const satisfies Record<string, EsClientUser>;
export type EsClient = keyof typeof ES_CLIENT_USERS;

/** The Secret with roles.yml. */
export const ES_ROLES_SECRET = "es-roles";
/** Keys of a basic-auth Secret ECK reads as a file-realm user. */
export const ES_USER_SECRET_KEYS = { user: "username", password: "password", roles: "roles" } as const;

/** The environment variable every client pod reads its password from. */
export const ES_PASSWORD_VAR = "ES_PASSWORD";

/** roles.yml: the file-based role definitions. */
export function rolesYaml(): string {
    return toYaml(ES_ROLES);
}

/** The Elasticsearch resource's `spec.auth`: the roles Secret and one file-realm Secret per user. */
export function elasticsearchAuth(): { roles: { secretName: string }[]; fileRealm: { secretName: string }[] } {
    return {
        roles: [{ secretName: ES_ROLES_SECRET }],
        fileRealm: Object.values(ES_CLIENT_USERS).map((u) => ({ secretName: u.secret })),
    };
}

/** The Secret key of a client's password (for `valueFrom`). */
export function esPasswordSecretKeyRef(client: EsClient): { name: string; key: string } {
    return { name: ES_CLIENT_USERS[client].secret, key: ES_USER_SECRET_KEYS.password };
}

/** ES_PASSWORD_VAR from a client's own Secret. */
export function esPasswordEnv(client: EsClient): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } } {
    return { name: ES_PASSWORD_VAR, valueFrom: { secretKeyRef: esPasswordSecretKeyRef(client) } };
}

/**
 * The roles Secret and one basic-auth Secret per user, in the observability namespace. The eck-stack
 * release and each client depend on them. Passwords are 32 letters and digits (ECK needs >= 6; no
 * special characters, so they pass unquoted through Logstash's and Jaeger's `${VAR}` expansion).
 */
export function elasticsearchUserSecrets(name: string, namespace: pulumi.Input<string>, opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource }): Record<EsClient | "roles", k8s.core.v1.Secret> {
    const roles = new k8s.core.v1.Secret(`${name}-es-roles`, {
        metadata: { name: ES_ROLES_SECRET, namespace },
        type: "Opaque",
        stringData: { "roles.yml": rolesYaml() },
    }, opts);
    const users = Object.fromEntries(Object.entries(ES_CLIENT_USERS).map(([client, u]) => {
        const password = new random.RandomPassword(`${name}-es-${client}-password`, { length: 32, special: false }, { parent: opts.parent });
        const secret = new k8s.core.v1.Secret(`${name}-es-user-${client}`, {
            metadata: { name: u.secret, namespace },
            type: "kubernetes.io/basic-auth",
            stringData: {
                [ES_USER_SECRET_KEYS.user]: u.user,
                [ES_USER_SECRET_KEYS.password]: password.result,
                [ES_USER_SECRET_KEYS.roles]: u.roles.join(","),
            },
        }, opts);
        return [client, secret];
    })) as Record<EsClient, k8s.core.v1.Secret>;
    return { ...users, roles };
}
