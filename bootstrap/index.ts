// The bootstrap's front door: check the config (every problem at once, before any resource),
// create the account's CI access and state backend, export what GitHub and the platform's stacks
// need (README.md here: which output goes to which GitHub variable).
import { AccountBootstrap } from "./bootstrap";
import { loadBootstrapConfig } from "./config";

const config = loadBootstrapConfig();
const bootstrap = new AccountBootstrap(`${config.platformProject}-bootstrap`, config);

export const {
    awsRegion, previewRoleArn, devDeployRoleArn, prodDeployRoleArn, reviewRoleArn,
    backendUrl, secretsProvider, permissionsBoundaryArn,
} = bootstrap.outputs;
