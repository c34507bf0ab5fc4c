/**
 * NetworkPolicies of the External Secrets Operator's namespace (issue 12 item 13): deny
 * everything, then allow what the operator's three pods use (external-secrets chart 2.9.0):
 * - the controller reads Secrets Manager over HTTPS. Its endpoint is public (through NAT) unless
 *   the optional interface endpoints exist, and AWS publishes no fixed address range for it that a
 *   policy could name, so the rule is TCP 443 to any address; its credentials come from the EKS
 *   Pod Identity agent on the node, at 169.254.170.23:80 (docs: pod-id-how-it-works);
 * - the controller and the cert controller watch and write through the API server (its private
 *   endpoint ENIs are in the VPC: TCP 443, within the rule above);
 * - the API server calls the webhook (`webhook.port` 10250) from those ENIs: ingress from the VPC.
 * No pod of the app's namespace talks to the operator: it writes the synced Secret through the
 * API server. Written here, not in delivery/, because the data layer owns the operator.
 */
import { awsApiEgressRules, operatorNetworkPolicies, type NetworkPolicySpec } from "../shared/network-policy";

/** The chart's webhook port (values.yaml `webhook.port`, helm-chart-2.9.0). */
export const ESO_WEBHOOK_PORT = 10250;

/** The policies, in creation order (the default deny first). */
export function externalSecretsNetworkPolicies(a: { vpcCidr: string }): NetworkPolicySpec[] {
    return operatorNetworkPolicies({ vpcCidr: a.vpcCidr, webhookPort: ESO_WEBHOOK_PORT, egress: awsApiEgressRules() });
}
