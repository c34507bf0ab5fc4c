/**
 * A shared-mode review stack: the pull request's namespace on the dev cluster. Everything it
 * creates is namespace-scoped, through a Kubernetes provider built from the platform stack's
 * kubeconfig output; the app image goes to the platform stack's ECR repository.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "../delivery/config";
import { AppImage, Workload } from "../delivery";
import { contextHash, reviewImageTag, APP_BUILD_CONTEXT } from "../delivery/image";
import { APP_LABELS, CONTAINER_PORT, PATHS, PORT_NAME } from "../delivery/pod";
import { PlatformStackError, platformStackProblems, type ReviewConfig } from "./config";
import { isolation, reviewLabels } from "./isolation";
import { backingServices, DATABASE_APP_SECRET, DATABASE_POD_LABELS } from "./services";

/** The OTLP/HTTP port of the shared collector (Jaeger v2). */
export const OTLP_HTTP_PORT = 4318;

/** The platform stack's outputs a review stack reads (platform.ts, reviewHostOutputs). */
export const PLATFORM_OUTPUTS = [
    "environment", "kubeconfig", "clusterName", "appImageRepositoryUrl", "appImage", "imagePlatform", "otlpHttpEndpoint",
    "observabilityNamespace", "storageClassName", "reviewOperatorNamespace", "reviewIngressGroup", "reviewDomain",
    "reviewAlbSourceCidr",
] as const;

export interface ReviewEnvironmentArgs {
    /** The stack name: the namespace, the host label and the image tag's prefix (checked by the config rules). */
    readonly stack: string;
    readonly review: ReviewConfig;
    /** The sample app's settings (replicas, sizes, flags): the same Workload as every stack. */
    readonly app: AppConfig;
    /** DEPLOYMENT_ENVIRONMENT of the pods ("review"). */
    readonly environment: string;
    /** pr-<number>.<domain> joins the review ALB group when set (it must equal the platform's reviewDomain). */
    readonly domain: string;
    /**
     * The build context of the app.
     * @default APP_BUILD_CONTEXT
     */
    readonly context?: string;
}

/** The Ingress host of a review stack. */
export function reviewHost(stack: string, domain: string): string {
    return `${stack}.${domain}`;
}

/**
 * The review namespace on the platform stack's cluster: its fences (isolation.ts), PostgreSQL
 * (CloudNativePG) and Valkey (services.ts), the app image pushed as `<stack>-<content hash>`, the
 * platform's Workload, and with a domain an Ingress in the review ALB group.
 */
export class ReviewEnvironment extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** https://<stack>.<domain>, when a domain is set. */
    public readonly reviewUrl?: pulumi.Output<string>;
    public readonly reviewPortForward: pulumi.Output<string>;
    public readonly appImage: pulumi.Output<string>;
    public readonly appServiceUrl: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;

    constructor(name: string, args: ReviewEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:review:ReviewEnvironment", name, {}, opts);
        const platform = this.platformOutputs(name, args);
        // deleteUnreachable: when the dev cluster is gone first, destroy drops these objects from
        // the state instead of failing (pulumi-kubernetes #2037); nothing here is a Helm release.
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: platform.kubeconfig,
            deleteUnreachable: true,
            namespace: args.stack,
        }, { parent: this, dependsOn: platform.gate });
        const k8sOpts = { parent: this, provider: this.provider };
        const labels = reviewLabels(args.stack);

        const fence = isolation(name, {
            namespace: args.stack,
            labels,
            albSourceCidr: platform.get("reviewAlbSourceCidr"),
            observabilityNamespace: platform.get("observabilityNamespace"),
            operatorNamespace: platform.get("reviewOperatorNamespace"),
            appSelector: APP_LABELS,
            databaseSelector: DATABASE_POD_LABELS,
            appPort: CONTAINER_PORT,
            otlpPort: OTLP_HTTP_PORT,
        }, k8sOpts);
        const inNamespace = { ...k8sOpts, dependsOn: [fence.namespace, fence.quota, fence.limits] };
        const services = backingServices(name, {
            namespace: fence.namespace.metadata.name,
            labels,
            storageClassName: platform.get("storageClassName"),
        }, inNamespace);

        const context = args.context ?? APP_BUILD_CONTEXT;
        const image = new AppImage(`${name}-app-image`, {
            config: args.app,
            repositoryName: "",
            platform: platform.get("imagePlatform") as pulumi.Output<"linux/amd64" | "linux/arm64">,
            protect: false,
            context,
            existingRepository: { url: platform.get("appImageRepositoryUrl"), tag: reviewImageTag(args.stack, contextHash(context)) },
            // dev's deployed image (same repository, same platform): a pull request's build reuses its
            // layers, about a minute instead of two (scripts/plan/durations.ts, "cached").
            cacheFrom: platform.get("appImage"),
        }, { parent: this, dependsOn: platform.gate });
        const workload = new Workload(`${name}-app`, {
            config: args.app,
            environment: args.environment,
            namespace: fence.namespace.metadata.name,
            secretName: services.appSecret.metadata.name,
            databasePasswordSecret: { name: DATABASE_APP_SECRET, key: "password" },
            image: image.repoDigest,
            imageTag: image.tag,
            user: image.user,
            otlpEndpoint: platform.get("otlpHttpEndpoint"),
            dependsOn: [fence.namespace, ...fence.policies, services.database, services.appSecret, services.valkeyService],
            // The Prometheus Operator's CRDs are the shared cluster's.
            monitoringReady: [],
            alwaysRolling: true,
        }, { parent: this, providers: { kubernetes: this.provider } });

        if (args.domain !== "") {
            this.ingress(name, args, platform.get("reviewIngressGroup"), labels, workload, k8sOpts);
            this.reviewUrl = pulumi.output(`https://${reviewHost(args.stack, args.domain)}`);
        }
        this.namespace = fence.namespace.metadata.name;
        this.clusterName = platform.get("clusterName");
        this.reviewPortForward = pulumi.interpolate`kubectl -n ${this.namespace} port-forward svc/orders 8080:80  # cluster ${this.clusterName} (aws eks update-kubeconfig --name ${this.clusterName})`;
        this.appImage = image.repoDigest;
        this.appServiceUrl = workload.serviceUrl;
        this.registerOutputs({ namespace: this.namespace, reviewUrl: this.reviewUrl, reviewPortForward: this.reviewPortForward });
    }

    /**
     * The platform stack's outputs, behind one check made when they resolve (platformStackProblems):
     * a prod (or unlabelled) platform stack, or another review domain, fails with one
     * PlatformStackError before anything of this stack is registered. `gate` is that check as a
     * dependsOn: the provider and the image wait for it before their inputs are even serialized,
     * and every value read here carries it, so no object reaches the cluster or the registry.
     */
    private platformOutputs(name: string, args: ReviewEnvironmentArgs) {
        const ref = new pulumi.StackReference(`${name}-platform`, { name: args.review.platformStack }, { parent: this });
        const checked = pulumi.all([ref.getOutput("environment"), ref.getOutput("reviewDomain")]).apply(([environment, reviewDomain]) => {
            const problems = platformStackProblems(args.review.platformStack, { environment, reviewDomain }, args.domain);
            if (problems.length > 0) throw new PlatformStackError(args.stack, problems);
            return environment as string;
        });
        const get = (key: (typeof PLATFORM_OUTPUTS)[number]): pulumi.Output<string> =>
            pulumi.all([checked, ref.getOutput(key)]).apply(([, v]) => v as string);
        const gate: pulumi.Output<pulumi.Resource[]> = checked.apply(() => []);
        return { get, gate, kubeconfig: pulumi.secret(get("kubeconfig")) };
    }

    /**
     * The Ingress in the review ALB group. No dependency on anything of the platform stack: the
     * load balancer controller runs on the shared cluster, so it is there to remove this stack's
     * rule and target group when the Ingress is deleted (first, with the namespace's objects).
     */
    private ingress(name: string, args: ReviewEnvironmentArgs, group: pulumi.Input<string>, labels: Record<string, string>, workload: Workload, opts: pulumi.CustomResourceOptions): void {
        new k8s.networking.v1.Ingress(`${name}-ingress`, {
            metadata: {
                name: "orders",
                namespace: args.stack,
                labels,
                annotations: {
                    "alb.ingress.kubernetes.io/group.name": group,
                    "alb.ingress.kubernetes.io/scheme": "internet-facing",
                    "alb.ingress.kubernetes.io/target-type": "ip",
                    "alb.ingress.kubernetes.io/listen-ports": JSON.stringify([{ HTTPS: 443 }]),
                    // The certificate is found in ACM by the host (the controller's discovery).
                    "alb.ingress.kubernetes.io/healthcheck-path": PATHS.readiness,
                },
            },
            spec: {
                ingressClassName: "alb",
                rules: [{
                    host: reviewHost(args.stack, args.domain),
                    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "orders", port: { name: PORT_NAME } } } }] },
                }],
            },
        }, { ...opts, dependsOn: [workload] });
    }
}
