import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { secretsSchema, type DatabaseConfig, type SecretsConfig } from "./config";
import { dataKey } from "./data-access";
import { InputError, sectionProblems } from "../config/engine";

/** What the app needs to reach PostgreSQL; the password stays in the RDS-managed secret. */
export interface DatabaseConnection {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly dbName: string;
    readonly username: string;
    readonly sslMode: DatabaseConfig["clientSslMode"];
    /** ARN of the RDS-managed secret (`{"username", "password"}`), rotated by RDS. */
    readonly passwordSecretArn: pulumi.Input<string>;
}

/** What the app needs to reach Valkey. */
export interface CacheConnection {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    /** The AUTH token (a secret). */
    readonly authToken: pulumi.Input<string>;
}

export interface SecretsArgs {
    /** The validated `secrets` section of the stack config. */
    readonly config: SecretsConfig;
    /** The stack's safety knob: the KMS key is protected with the data it guards. */
    readonly protect: boolean;
    readonly database: DatabaseConnection;
    readonly cache: CacheConnection;
}

/** The JSON document of the database connection secret. */
export function databaseSecretDocument(d: { host: string; port: number; dbName: string; username: string; sslMode: string; passwordSecretArn: string }) {
    return {
        engine: "postgres",
        host: d.host,
        port: d.port,
        dbname: d.dbName,
        username: d.username,
        sslmode: d.sslMode,
        passwordSecretArn: d.passwordSecretArn,
    };
}

/** The JSON document of the cache connection secret; `url` is what the app's REDIS_URL takes. */
export function cacheSecretDocument(c: { host: string; port: number; authToken: string }) {
    return { host: c.host, port: c.port, tls: true, url: `rediss://${c.host}:${c.port}`, authToken: c.authToken };
}

export function validateSecretsArgs(args: SecretsArgs): void {
    const problems = sectionProblems("platform", "secrets", secretsSchema, args.config);
    if (problems.length > 0) throw new InputError("secrets", problems);
}

/**
 * The app's connection settings in Secrets Manager, encrypted with their own KMS key:
 * - `<name>/database`: host, port, dbname, username, sslmode and the ARN of the RDS-managed secret
 *   that holds the password (RDS rotates it there; it is never copied);
 * - `<name>/cache`: host, port, tls, the rediss:// URL and the AUTH token.
 * A recovery window of 0 (review stacks) deletes at once so the same names can be recreated by the
 * next `pulumi up`; otherwise a deleted secret can be restored for that many days.
 */
export class Secrets extends pulumi.ComponentResource {
    public readonly databaseSecretArn: pulumi.Output<string>;
    public readonly cacheSecretArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;

    constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:data:Secrets", name, {}, opts);
        validateSecretsArgs(args);
        const parent = { parent: this };
        const key = dataKey(name, `Secrets Manager secrets of ${name}`, args.protect, parent);

        const secret = (suffix: string, description: string, document: pulumi.Output<object>) => {
            const s = new aws.secretsmanager.Secret(`${name}-${suffix}`, {
                // A fixed name operators can type; with a recovery window of 0 it is free again at once.
                name: `${name}/${suffix}`,
                description,
                kmsKeyId: key.arn,
                recoveryWindowInDays: args.config.recoveryWindowDays,
            }, { parent: this, deleteBeforeReplace: true });
            new aws.secretsmanager.SecretVersion(`${name}-${suffix}-version`, {
                secretId: s.id,
                secretString: pulumi.secret(pulumi.jsonStringify(document)),
            }, parent);
            return s;
        };

        const d = args.database;
        const databaseSecret = secret("database", "PostgreSQL connection settings of the app; the password is in the RDS-managed secret named by passwordSecretArn",
            pulumi.all([d.host, d.port, d.passwordSecretArn]).apply(([host, port, passwordSecretArn]) =>
                databaseSecretDocument({ host, port, dbName: d.dbName, username: d.username, sslMode: d.sslMode, passwordSecretArn })));
        const k = args.cache;
        const cacheSecret = secret("cache", "Valkey connection settings and AUTH token of the app",
            pulumi.all([k.host, k.port, k.authToken]).apply(([host, port, authToken]) => cacheSecretDocument({ host, port, authToken })));

        this.databaseSecretArn = databaseSecret.arn;
        this.cacheSecretArn = cacheSecret.arn;
        this.kmsKeyArn = key.arn;
        this.registerOutputs({
            databaseSecretArn: this.databaseSecretArn,
            cacheSecretArn: this.cacheSecretArn,
        });
    }
}
