import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { roleWithPolicies, serviceTrustPolicy } from "../shared/iam";

export interface PodIdentityRoleArgs {
    /** EKS cluster name. */
    readonly clusterName: pulumi.Input<string>;
    /** Namespace and service account of the pods that assume the role. */
    readonly namespace: pulumi.Input<string>;
    readonly serviceAccount: pulumi.Input<string>;
    /** Inline policy document (JSON) with the least the workload needs. */
    readonly policy?: pulumi.Input<string>;
    /** Managed policies to attach instead of (or besides) the inline one. */
    readonly managedPolicyArns?: readonly pulumi.Input<string>[];
}

/**
 * The trust policy of every EKS Pod Identity role: the `pods.eks.amazonaws.com` service principal
 * with both `sts:AssumeRole` and `sts:TagSession` (the agent tags the session with the pod's
 * cluster, namespace and service account; without TagSession the assume fails).
 */
export const POD_IDENTITY_TRUST_POLICY = serviceTrustPolicy("pods.eks.amazonaws.com", { tagSession: true });

/** IAM role names are at most 64 characters; a `namePrefix` gets 26 appended (a timestamp and a counter). */
export const ROLE_NAME_PREFIX_MAX_LENGTH = 64 - 26;

/**
 * A role `namePrefix` from a logical name, within IAM's limit whatever the stack's name: Pulumi's
 * auto-name (`<logical name>-<7 hex>`) overflows 64 characters once the stack name is long
 * (`platform-pr-1000-cluster-services-cluster-autoscaler-role` is 57 before the suffix). A name
 * too long first loses the words before its last one (`platform-dev-cluster-autoscaler` from
 * `platform-dev-cluster-services-cluster-autoscaler`), keeping four; then the rest is cut before
 * the last word. The 26 appended characters keep it unique; the provider's tags name the stack.
 */
export function roleNamePrefix(name: string): string {
    const max = ROLE_NAME_PREFIX_MAX_LENGTH - 1;
    const words = name.split("-");
    while (words.join("-").length > max && words.length > 4) words.splice(words.length - 2, 1);
    let short = words.join("-");
    if (short.length > max) {
        const last = words[words.length - 1].slice(0, max - 2);
        short = `${short.slice(0, short.length - last.length - 1).slice(0, max - last.length - 1).replace(/-+$/, "")}-${last}`;
    }
    return `${short}-`;
}

/**
 * An IAM role for one Kubernetes service account through EKS Pod Identity. AL2023 nodes require
 * IMDSv2 with a hop limit of 1, so pods cannot borrow the node role: every AWS-calling controller
 * gets its own role, associated here. Needs the eks-pod-identity-agent add-on on the cluster.
 */
export class PodIdentityRole extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    /**
     * The role and its association: what a pod needs to exist when it is created (the webhook
     * injects credentials only then). Depending on the component waits for the policies too.
     */
    public readonly identity: pulumi.Resource[];
    /** The role's policies (inline and attached): what the pod's first AWS call needs. */
    public readonly permissions: pulumi.Resource[];

    constructor(name: string, args: PodIdentityRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:iam:PodIdentityRole", name, {}, opts);
        const parent = { parent: this };
        const { role, policies, attachments } = roleWithPolicies(`${name}-role`, {
            namePrefix: roleNamePrefix(name),
            assumeRolePolicy: POD_IDENTITY_TRUST_POLICY,
            inlinePolicies: args.policy !== undefined ? { [`${name}-policy`]: args.policy } : {},
            managedPolicies: Object.fromEntries((args.managedPolicyArns ?? []).map((arn, i) => [`${name}-attach-${i}`, arn])),
        }, parent);
        // Pods started before the association exists get no credentials: callers depend on this
        // component, which is a dependency on each of its children.
        const association = new aws.eks.PodIdentityAssociation(`${name}-association`, {
            clusterName: args.clusterName,
            namespace: args.namespace,
            serviceAccount: args.serviceAccount,
            roleArn: role.arn,
        }, parent);
        this.roleArn = role.arn;
        this.identity = [role, association];
        this.permissions = [...policies, ...attachments];
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
