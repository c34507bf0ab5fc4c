// The front door: load and check the stack's config (every problem at once, before any resource
// is registered), build the platform, export what operators and CI need.
import { loadConfig } from "./components/config";
import { buildPlatform } from "./components/platform";

const platform = buildPlatform(loadConfig());

export const { region, environment, vpcId, privateSubnetIds, isolatedSubnetIds } = platform.outputs;
