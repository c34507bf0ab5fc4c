// The front door: load and check the stack's config (every problem at once, before any resource
// is registered), build the platform, export what operators and CI need. Secrets (kubeconfig)
// are exported as Pulumi secrets; no password is exported at all.
import { loadConfig } from "./components/config";
import { buildStack } from "./components/platform";

// A shared-mode review stack builds only its namespace on the dev cluster (components/review/).
const platform = buildStack(loadConfig());

export const {
    region, environment, vpcId, privateSubnetIds, isolatedSubnetIds,
    clusterName, kubeconfig,
    databaseIdentifier, databaseAddress, databaseSecretArn, databasePasswordSecretArn,
    cacheAddress, cacheSecretArn, backupVaultName, backupRoleArn, backupRestoreRoleArn,
    appNamespace, appSecretName,
    observabilityNamespace, otlpHttpEndpoint, grafanaAdminSecretName, observabilityPortForward,
    appImageRepositoryUrl, appImage, appServiceUrl, appIngressHostname, appPreviewPortForward, appPreviewUrl,
    imagePlatform, storageClassName, reviewOperatorNamespace, reviewIngressGroup, reviewDomain, reviewAlbSourceCidr,
    reviewUrl, reviewPortForward,
} = platform.outputs;
