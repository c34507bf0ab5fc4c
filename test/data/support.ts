import * as pulumi from "@pulumi/pulumi";
import { valueOf, type Built } from "../harness";
export const SECRET = "aws:secretsmanager/secret:Secret";
export const VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
export const KEY = "aws:kms/key:Key";
export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const STORE = "kubernetes:external-secrets.io/v1:SecretStore";
export const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation";
export const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** The ARNs the ExternalSecret may name: the app's two secrets and the RDS-managed one. */
export async function appSecretArns(b: Built) {
    return {
        database: await valueOf(b.platform.secrets.databaseSecretArn),
        password: await valueOf(b.platform.database.masterUserSecretArn),
        cache: await valueOf(b.platform.secrets.cacheSecretArn),
    };
}

/** Every value of a (possibly nested) Output, resolved, with the key path it sits at. */
export async function leaves(value: unknown, path: string[] = []): Promise<Array<{ path: string; value: unknown; secret: boolean }>> {
    if (pulumi.Output.isInstance(value)) {
        const secret = await (value as any).isSecret;
        const inner = await valueOf(value as pulumi.Output<unknown>);
        return (await leaves(inner, path)).map((l) => ({ ...l, secret: l.secret || secret }));
    }
    if (Array.isArray(value)) return (await Promise.all(value.map((v, i) => leaves(v, [...path, String(i)])))).flat();
    if (value !== null && typeof value === "object") {
        return (await Promise.all(Object.entries(value).map(([k, v]) => leaves(v, [...path, k])))).flat();
    }
    return [{ path: path.join("."), value, secret: false }];
}
