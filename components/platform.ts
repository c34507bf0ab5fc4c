import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { ARGO_ROLLOUTS_NAMESPACE, Cluster } from "./cluster";
import { Cache, Database, DatabaseBackup, ExternalSecrets, Secrets } from "./data";
import { AppImage, Workload } from "./delivery";
import { AppNetworkPolicies } from "./delivery/network-policies";
import { Network } from "./network";
import { APP_RULES_NAMESPACE, OBSERVABILITY_NAMESPACE, Observability } from "./observability";
import { isSharedReview, ReviewEnvironment, ReviewHost } from "./review";
import { REVIEW_IMAGE_EXPIRY_DAYS } from "./delivery/image";
import { awsProvider, platformTags } from "./shared";

/**
 * The composition of the platform: which component feeds which. Tests call this for a dev, a
 * prod and a review configuration in one process; index.ts calls it once.
 */
export function buildPlatform(config: PlatformConfig) {
    const name = `${config.project}-${config.stack}`;
    const aws = awsProvider(name, config);
    const providers = { aws };

    const network = new Network(`${name}-network`, { config: config.network, region: config.region }, { providers });

    const cluster = new Cluster(`${name}-cluster`, {
        config: config.cluster,
        region: config.region,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        publicSubnetIds: network.publicSubnetIds,
        protect: config.protect,
        egress: network.egress,
        tags: platformTags(config),
        argoRollouts: config.cluster.argoRollouts ?? config.app.deliveryStrategy !== "rolling",
        eckOperator: {
            managedNamespace: OBSERVABILITY_NAMESPACE,
            vpcCidr: config.network.cidrBlock,
            // Declared by the observability component until issue 14: aliased, not replaced.
            previousParent: { name: `${name}-observability`, type: "platform:observability:Observability" },
        },
    }, { providers });

    const { database, cache, databaseBackup, secrets, externalSecrets } = dataTier(name, config, network, cluster, providers);

    // Observability: metrics (kube-prometheus-stack), traces (Jaeger) and logs (ECK). Installs after
    // the nodes, storage and cluster services, and is removed before them; nothing else waits for it.
    const observability = new Observability(`${name}-observability`, {
        config: config.observability,
        storageClassName: cluster.storageClassName,
        dependsOn: cluster.nodesReady,
        ingressDependsOn: cluster.servicesReady,
        protect: config.protect,
        vpcCidr: config.network.cidrBlock,
        apiServiceCidr: cluster.apiServiceCidr,
        rolloutsNamespace: cluster.rolloutsReady.length > 0 ? ARGO_ROLLOUTS_NAMESPACE : undefined,
        eckOperatorReady: cluster.eckOperatorReady,
        alertReceiverDelivery: { clusterName: cluster.clusterName, region: config.region, externalSecretsReady: [externalSecrets.release] },
    }, { providers: { ...providers, kubernetes: cluster.provider } });

    // The sample app: its image built for the nodes' architecture and pushed to ECR, then migrated,
    // deployed, autoscaled and scraped in its namespace. Its pods wait for the nodes, metrics-server
    // (through the cluster services, which wait for it) and the synced Secret.
    const appImage = new AppImage(`${name}-app-image`, {
        config: config.app,
        repositoryName: `${name}/orders`,
        platform: cluster.imagePlatform,
        protect: config.protect,
        // Review stacks push pr-<number>-<hash> here (components/review/); they expire on their own.
        reviewTagExpiryDays: config.reviewEnvironments.enabled ? REVIEW_IMAGE_EXPIRY_DAYS : undefined,
    }, { providers });
    // Default deny in the app's namespace, then what the app uses (delivery/network-policies.ts).
    const appNetwork = new AppNetworkPolicies(`${name}-app-netpol`, {
        namespace: externalSecrets.appNamespace,
        albSourceCidrs: config.app.internalIngress ? network.subnetCidrs.private : [],
        observabilityNamespace: observability.namespace,
        dataSubnetCidrs: network.subnetCidrs.isolated,
    }, { providers: { kubernetes: cluster.provider } });
    const workload = new Workload(`${name}-app`, {
        config: config.app,
        environment: config.environment,
        namespace: externalSecrets.appNamespace,
        secretName: externalSecrets.appSecretName,
        image: appImage.repoDigest,
        imageTag: appImage.tag,
        user: appImage.user,
        otlpEndpoint: observability.otlpHttpEndpoint,
        dependsOn: [...cluster.ready, externalSecrets.externalSecret, ...appNetwork.policies],
        ingressDependsOn: cluster.ready,
        rolloutsReady: cluster.rolloutsReady,
        monitoringReady: observability.crdsReady,
        vpcCidr: config.network.cidrBlock,
        apiServiceCidr: cluster.apiServiceCidr,
    }, { providers: { ...providers, kubernetes: cluster.provider } });

    const reviewHost = reviewHosting(name, config, cluster);

    return {
        network,
        cluster,
        database,
        cache,
        databaseBackup,
        secrets,
        externalSecrets,
        observability,
        appImage,
        workload,
        reviewHost,
        outputs: {
            ...platformOutputs(config, { network, cluster, database, cache, databaseBackup, secrets, externalSecrets, observability, appImage, workload }),
            ...reviewHostOutputs(config, cluster, reviewHost),
        },
    };
}

/** The stack's program: the whole platform, or in a shared-mode review stack its namespace on the platform stack's cluster. */
export function buildStack(config: PlatformConfig): { outputs: StackOutputs } {
    return isSharedReview(config) ? buildReviewEnvironment(config) : buildPlatform(config);
}

/**
 * A shared-mode review stack: namespace-scoped objects on the platform stack's cluster and an image
 * in its repository; no AWS resource of its own (the provider reads nothing but ECR's token).
 */
export function buildReviewEnvironment(config: PlatformConfig) {
    const name = `${config.project}-${config.stack}`;
    const review = new ReviewEnvironment(`${name}-review`, {
        stack: config.stack,
        review: config.review,
        app: config.app,
        environment: config.environment,
        domain: config.reviewEnvironments.domain,
    }, { providers: { aws: awsProvider(name, config) } });
    const outputs: StackOutputs = {
        region: config.region,
        environment: config.environment,
        clusterName: review.clusterName,
        appNamespace: review.namespace,
        appImage: review.appImage,
        appServiceUrl: review.appServiceUrl,
        reviewUrl: review.reviewUrl,
        reviewPortForward: review.reviewPortForward,
    };
    return { review, outputs };
}

/** The dev stack as host of review namespaces: what their stacks read (components/review/review-environment.ts PLATFORM_OUTPUTS). */
function reviewHosting(name: string, config: PlatformConfig, cluster: Cluster): ReviewHost | undefined {
    if (!config.reviewEnvironments.enabled) return undefined;
    return new ReviewHost(`${name}-review-host`, { config: config.reviewEnvironments, platformName: name, vpcCidr: config.network.cidrBlock, apiServiceCidr: cluster.apiServiceCidr, dependsOn: cluster.ready }, { providers: { kubernetes: cluster.provider } });
}

function reviewHostOutputs(config: PlatformConfig, cluster: Cluster, host: ReviewHost | undefined) {
    return {
        imagePlatform: host ? cluster.imagePlatform : undefined,
        storageClassName: host ? cluster.storageClassName : undefined,
        reviewOperatorNamespace: host?.operatorNamespace,
        reviewIngressGroup: host?.ingressGroup,
        reviewDomain: host?.domain,
        reviewAlbSourceCidr: host ? config.network.cidrBlock : undefined,
        reviewUrl: undefined as pulumi.Output<string> | undefined,
        reviewPortForward: undefined as pulumi.Output<string> | undefined,
    };
}

/**
 * The data tier: PostgreSQL and Valkey in the isolated subnets, reachable only from the cluster's
 * nodes and pods; their connection settings in Secrets Manager; delivered to the app's namespace
 * by the External Secrets Operator. Passwords never appear in the outputs.
 */
function dataTier(name: string, config: PlatformConfig, network: Network, cluster: Cluster, providers: { aws: aws.Provider }) {
    // The sample app's namespace: the data tier delivers its Secret there, observability watches it.
    const appNamespace = APP_RULES_NAMESPACE;
    const dataPlacement = {
        protect: config.protect,
        vpcId: network.vpcId,
        isolatedSubnetIds: network.isolatedSubnetIds,
        allowedSecurityGroupId: cluster.clusterSecurityGroupId,
    };
    const database = new Database(`${name}-database`, { config: config.database, ...dataPlacement }, { providers });
    const cache = new Cache(`${name}-cache`, { config: config.cache, ...dataPlacement }, { providers });
    const databaseBackup = config.database.backupPlan.enabled
        ? new DatabaseBackup(`${name}-backup`, {
            config: config.database.backupPlan,
            protect: config.protect,
            databaseArn: database.instanceArn,
            region: config.region,
        }, { providers })
        : undefined;
    const secrets = new Secrets(`${name}-secrets`, {
        config: config.secrets,
        protect: config.protect,
        database: {
            host: database.address,
            port: database.port,
            dbName: database.dbName,
            username: database.username,
            sslMode: config.database.clientSslMode,
            passwordSecretArn: database.masterUserSecretArn,
        },
        cache: { host: cache.primaryEndpointAddress, port: cache.port, authToken: cache.authToken },
    }, { providers });
    const externalSecrets = new ExternalSecrets(`${name}-external-secrets`, {
        config: config.secrets,
        clusterName: cluster.clusterName,
        region: config.region,
        appNamespace,
        databaseSecretArn: secrets.databaseSecretArn,
        databasePasswordSecretArn: database.masterUserSecretArn,
        cacheSecretArn: secrets.cacheSecretArn,
        kmsKeyArns: [database.kmsKeyArn, secrets.kmsKeyArn],
        // Pods need nodes; the load balancer controller's webhooks must be up before the chart's
        // objects are created, and on destroy the operator goes first.
        dependsOn: cluster.ready,
        vpcCidr: config.network.cidrBlock,
    }, { providers: { ...providers, kubernetes: cluster.provider } });
    return { database, cache, databaseBackup, secrets, externalSecrets };
}

type Parts = {
    network: Network; cluster: Cluster; database: Database; cache: Cache; databaseBackup?: DatabaseBackup; secrets: Secrets;
    externalSecrets: ExternalSecrets; observability: Observability; appImage: AppImage; workload: Workload;
};

/** The stack outputs operators and CI read. Secrets (kubeconfig) are Pulumi secrets; no password is an output. */
function platformOutputs(config: PlatformConfig, p: Parts) {
    const { network, cluster, database, cache, databaseBackup, secrets, externalSecrets, observability, appImage, workload } = p;
    return {
    region: config.region,
    environment: config.environment,
    vpcId: network.vpcId,
    privateSubnetIds: pulumi.output(network.privateSubnetIds),
    isolatedSubnetIds: pulumi.output(network.isolatedSubnetIds),
    clusterName: cluster.clusterName,
    kubeconfig: pulumi.secret(cluster.kubeconfig),
    databaseIdentifier: database.identifier,
    databaseAddress: database.address,
    databaseSecretArn: secrets.databaseSecretArn,
    databasePasswordSecretArn: database.masterUserSecretArn,
    cacheAddress: cache.primaryEndpointAddress,
    cacheSecretArn: secrets.cacheSecretArn,
    backupVaultName: databaseBackup?.vaultName,
    backupRoleArn: databaseBackup?.roleArn,
    // Restore jobs only (docs/runbook-restore-database.md); absent without a backup plan.
    backupRestoreRoleArn: databaseBackup?.restoreRoleArn,
    appNamespace: externalSecrets.appNamespace,
    appSecretName: externalSecrets.appSecretName,
    observabilityNamespace: observability.namespace,
    otlpHttpEndpoint: observability.otlpHttpEndpoint,
    grafanaAdminSecretName: observability.grafanaAdminSecretName,
    observabilityPortForward: observability.portForwardCommands,
    appImageRepositoryUrl: appImage.repositoryUrl,
    appImage: appImage.repoDigest,
    appServiceUrl: workload.serviceUrl,
    appIngressHostname: workload.ingressHostname,
    // Blue-green: how to reach the preview colour before promotion.
    appPreviewPortForward: workload.previewPortForward,
    appPreviewUrl: workload.previewUrl,
};
}

export type Platform = ReturnType<typeof buildPlatform>;

/** Every output of any stack; those a mode does not produce are undefined (index.ts exports them all). */
export type StackOutputs = { [K in keyof Platform["outputs"]]?: Platform["outputs"][K] | pulumi.Input<string> };
