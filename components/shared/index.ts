/**
 * The small building blocks every layer uses: the AWS provider and its default tags (tags.ts),
 * IAM trust and role helpers (iam.ts), the pinned Helm charts (charts.ts) and how they are
 * installed (helm.ts), Kubernetes sizing (kubernetes.ts), namespaces with Pod Security
 * Admission (namespace.ts) and the NetworkPolicy building blocks (network-policy.ts). They know no layer.
 */
export { awsAccount, awsProvider, platformTags, type AwsAccount } from "./tags";
export { managedPolicyArn, roleWithPolicies, serviceTrustPolicy } from "./iam";
export { CHARTS, type ChartPin } from "./charts";
export { helmRelease } from "./helm";
export { sized } from "./kubernetes";
export { namespace, type PodSecurityLevel } from "./namespace";
