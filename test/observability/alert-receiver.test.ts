import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    ALERT_RECEIVER_SECRET, alertReceiverOperatorValues, alertReceiverPolicy, alertReceiverSecretLookup, missingAlertReceiverSecret,
} from "../../components/observability/alert-receiver";
import { OBSERVABILITY_NAMESPACE } from "../../components/observability/observability";
import { ESO_NAMESPACE } from "../../components/data/external-secrets";
import {
    ACCOUNT_ID, buildStack, MISSING_SECRETS_MANAGER_NAMES, reveal, startCapture, valueOf, type Built, type CapturedResource,
} from "../harness";
import { decide } from "../bootstrap/fixtures";
import { OBS_KEY, RELEASE, release, valuesOf } from "./support";

/**
 * Issue 12, item 10: the receiver URL comes from Secrets Manager through External Secrets, and a
 * missing secret fails preview/up instead of leaving Alertmanager unable to start.
 */

const SECRET_NAME = "platform/alertmanager-receiver";
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:${SECRET_NAME}-AbC123`;
const SLACK = { alertReceiver: "slack", alertReceiverSecretsManagerName: SECRET_NAME, alertSlackChannel: "#orders-alerts" };
const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const SECRET_STORE = "kubernetes:external-secrets.io/v1:SecretStore";

const oneNamed = (b: Built, type: string, name: string): CapturedResource => {
    const found = b.capture.ofType(type).filter((r) => r.inputs.metadata?.name === name || r.inputs.name === name);
    assert.equal(found.length, 1, `one ${type} named ${name}`);
    return found[0];
};

describe("alert receiver from Secrets Manager (issue 12, item 10)", function () {
    this.timeout(60000);
    let b: Built;
    before(async () => {
        b = await buildStack("pr-1", { [OBS_KEY]: SLACK });
    });

    it("syncs the secret's value into the Secret Alertmanager mounts, and waits for it to be Ready", () => {
        const es = oneNamed(b, EXTERNAL_SECRET, ALERT_RECEIVER_SECRET);
        assert.deepEqual(reveal(es.inputs.metadata), {
            name: "alertmanager-receiver", namespace: OBSERVABILITY_NAMESPACE, annotations: { "pulumi.com/waitFor": "condition=Ready" },
        });
        assert.deepEqual(reveal(es.inputs.spec), {
            refreshPolicy: "Periodic",
            refreshInterval: "1h",
            secretStoreRef: { name: "alert-receiver-secrets-manager", kind: "SecretStore" },
            target: { name: "alertmanager-receiver", creationPolicy: "Owner" },
            data: [{ secretKey: "url", remoteRef: { key: SECRET_ARN } }],
        });
        const am = valuesOf(b, "kube-prometheus-stack").alertmanager;
        assert.deepEqual(am.alertmanagerSpec.secrets, ["alertmanager-receiver"]);
        assert.equal(am.config.receivers[1].slack_configs[0].api_url_file, "/etc/alertmanager/secrets/alertmanager-receiver/url");
    });

    it("installs Alertmanager (kube-prometheus-stack) only after the ExternalSecret, which waits for its store and controller", () => {
        const es = oneNamed(b, EXTERNAL_SECRET, ALERT_RECEIVER_SECRET);
        const store = oneNamed(b, SECRET_STORE, "alert-receiver-secrets-manager");
        const controller = oneNamed(b, RELEASE, "external-secrets-observability");
        assert.ok(b.capture.dependsOn(release(b, "kube-prometheus-stack"), es));
        assert.ok(b.capture.dependsOn(es, store) && b.capture.dependsOn(es, controller) && b.capture.dependsOn(store, controller));
        // The controller needs the data layer's release (CRDs, webhook, namespace) and the observability namespace (its Role).
        assert.ok(b.capture.dependsOn(controller, release(b, "external-secrets")));
        const ns = b.capture.ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === OBSERVABILITY_NAMESPACE)!;
        assert.ok(b.capture.dependsOn(controller, ns));
        // No auth block: the store uses the second controller's own Pod Identity.
        assert.deepEqual(reveal(store.inputs.spec), { provider: { aws: { service: "SecretsManager", region: "us-east-1" } } });
        assert.equal(store.inputs.metadata.namespace, OBSERVABILITY_NAMESPACE);
    });

    it("runs a second controller confined to the observability namespace, without CRDs, webhook or cert controller", () => {
        const controller = oneNamed(b, RELEASE, "external-secrets-observability");
        assert.equal(controller.inputs.namespace, ESO_NAMESPACE);
        const expected = {
            installCRDs: false,
            scopedNamespace: "observability", scopedRBAC: true,
            processClusterStore: false, processClusterExternalSecret: false, processClusterPushSecret: false,
            serviceAccount: { create: true, name: "external-secrets-observability" },
            resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
            webhook: { create: false },
            certController: { create: false },
        };
        assert.deepEqual(reveal(controller.inputs.values), expected);
        assert.deepEqual(alertReceiverOperatorValues("observability"), expected);
        // The data layer's controller stays confined to the app's namespace.
        assert.equal(valuesOf(b, "external-secrets").scopedNamespace, "orders");
    });

    it("gives that controller a Pod Identity role that may read only this secret", async () => {
        const association = b.capture.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation")
            .filter((a) => a.inputs.serviceAccount === "external-secrets-observability");
        assert.equal(association.length, 1);
        assert.equal(association[0].inputs.namespace, ESO_NAMESPACE);
        const policies = b.capture.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.includes("alert-receiver-eso"));
        assert.equal(policies.length, 1);
        const doc = JSON.parse(reveal(policies[0].inputs.policy));
        assert.deepEqual(doc, JSON.parse(await valueOf(alertReceiverPolicy("us-east-1", SECRET_ARN))));
        const other = `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:orders-database-XyZ789`;
        assert.equal(await decide([doc], { action: "secretsmanager:GetSecretValue", resource: SECRET_ARN }), "Allowed");
        assert.equal(await decide([doc], { action: "secretsmanager:GetSecretValue", resource: other }), "ImplicitlyDenied");
        // The KMS statement is pinned exactly above (the doc equals alertReceiverPolicy's); iam-simulate
        // drops kms:EncryptionContext:* request keys (failedBecauseMissing), so its decrypt decision
        // cannot be simulated here.
        assert.deepEqual(doc.Statement[1], {
            Sid: "DecryptItThroughSecretsManager", Effect: "Allow", Action: "kms:Decrypt", Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": SECRET_ARN } },
        });
        assert.deepEqual(doc.Statement[0].Resource, [SECRET_ARN]);
    });

    it("fails preview and up, naming the key, the secret, the rule and the fix, when the secret does not exist", async () => {
        const missing = "platform/no-such-receiver";
        MISSING_SECRETS_MANAGER_NAMES.add(missing);
        try {
            await startCapture("pr-1");
            const parent = new pulumi.ComponentResource("test:index:Parent", "lookup-parent");
            const err: unknown = await (alertReceiverSecretLookup(missing, "us-east-1", parent) as any).promise().then(() => undefined, (e: unknown) => e);
            assert.ok(err, "the read failed");
            // cmd/run prints a RunError's message alone (test/config/errors.test.ts).
            assert.ok(pulumi.RunError.isInstance(err as Error), "a RunError");
            // The mocks' transport drops a failed call's text (the real provider's names the secret:
            // "reading Secrets Manager Secret (<name>): ..."); the cause's formatting is tested below.
            assert.equal((err as Error).message.replace(/\(reading it failed: [^)]*\)/, "(reading it failed: <cause>)"), [
                "observability: 1 problem in its inputs.",
                '  1. platform:observability.alertReceiverSecretsManagerName = "platform/no-such-receiver"',
                "     rule: an existing Secrets Manager secret in us-east-1 whose SecretString is the receiver URL (reading it failed: <cause>)",
                "     fix:  aws secretsmanager create-secret --region us-east-1 --name 'platform/no-such-receiver' --secret-string 'https://hooks.slack.com/services/...'  # or set the key to the existing secret's name",
            ].join("\n"));
        } finally {
            MISSING_SECRETS_MANAGER_NAMES.delete(missing);
        }
    });

    it("makes the role's policy and the ExternalSecret take their input from that read (so its failure stops them)", () => {
        const lookups = (r: CapturedResource) => JSON.stringify(reveal(r.inputs)).includes(SECRET_ARN);
        const policy = b.capture.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name.includes("alert-receiver-eso"))!;
        assert.ok(lookups(policy) && lookups(oneNamed(b, EXTERNAL_SECRET, ALERT_RECEIVER_SECRET)));
    });

    it("quotes the first line of the read's failure in the rule (an Error's message, or a gRPC error's details)", () => {
        const rule = (cause: unknown) => missingAlertReceiverSecret("x", "eu-west-1", cause).problems[0].rule;
        assert.equal(rule(new Error("Invoke of 'aws:secretsmanager/getSecret:getSecret' failed: couldn't find resource\nmore")),
            "an existing Secrets Manager secret in eu-west-1 whose SecretString is the receiver URL (reading it failed: Invoke of 'aws:secretsmanager/getSecret:getSecret' failed: couldn't find resource)");
        assert.equal(rule({ message: "", details: "AccessDeniedException: not authorized" }),
            "an existing Secrets Manager secret in eu-west-1 whose SecretString is the receiver URL (reading it failed: AccessDeniedException: not authorized)");
    });

    it("creates none of it without a receiver", async () => {
        const none = await buildStack("pr-1");
        assert.deepEqual(none.capture.ofType(EXTERNAL_SECRET).filter((r) => r.inputs.metadata?.namespace === OBSERVABILITY_NAMESPACE), []);
        assert.deepEqual(none.capture.ofType(RELEASE).filter((r) => r.inputs.name === "external-secrets-observability"), []);
        assert.deepEqual(valuesOf(none, "kube-prometheus-stack").alertmanager.alertmanagerSpec.secrets, []);
    });
});
