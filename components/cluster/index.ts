/**
 * The cluster layer: the EKS control plane, its access entries and KMS key, the managed node
 * groups, the EKS add-ons, the default StorageClass, the Kubernetes provider every object uses,
 * the cluster services (load balancer controller, cluster autoscaler), the operators higher
 * layers ask for (Argo Rollouts, ECK), the Pod Identity roles
 * controllers run with (pod-identity.ts), and the `platform:cluster` config section (config.ts).
 */
export { Cluster, type ClusterArgs } from "./cluster";
export { ClusterServices } from "./cluster-services";
export { PodIdentityRole } from "./pod-identity";
export { clusterSchema, type ClusterConfig } from "./config";
export { ARGO_ROLLOUTS_NAMESPACE } from "./argo-rollouts";
export { ECK_OPERATOR_NAMESPACE } from "./eck-operator";
