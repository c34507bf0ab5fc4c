/** ECR: AWS FSBP ECR.1/2/3. */
import { resourcePolicy, show, stackPolicy, type PlatformPolicy } from "../lib";

const REPOSITORY = ["aws:ecr/repository:Repository"];

export const ecrPolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "ecr-image-scanning",
        control: "AWS FSBP ECR.1",
        description: "Private repositories scan images on push.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: REPOSITORY,
        checks: [{
            id: "scan-on-push",
            rule: "imageScanningConfiguration.scanOnPush is true",
            test: (p) => p.imageScanningConfiguration?.scanOnPush === true ? undefined
                : `imageScanningConfiguration.scanOnPush is ${show(p.imageScanningConfiguration?.scanOnPush)}. Fix: set imageScanningConfiguration { scanOnPush: true }.`,
        }],
    }),
    resourcePolicy({
        name: "ecr-tag-immutability",
        control: "AWS FSBP ECR.2",
        description: "Private repositories have immutable tags, so a tag always names the image that was reviewed.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: REPOSITORY,
        checks: [{
            id: "immutable-tags",
            rule: "imageTagMutability is IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION)",
            test: (p) => ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"].includes(p.imageTagMutability) ? undefined
                : `imageTagMutability is ${show(p.imageTagMutability)} (unset means MUTABLE). Fix: set imageTagMutability "IMMUTABLE".`,
        }],
    }),
    stackPolicy({
        name: "ecr-lifecycle-policy",
        control: "AWS FSBP ECR.3",
        description: "Every repository the program creates has a lifecycle policy, so old images expire.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        checks: [{
            id: "lifecycle-policy",
            rule: "each aws:ecr/repository:Repository has an aws:ecr/lifecyclePolicy:LifecyclePolicy whose repository comes from it",
            test: (resources) => resources.filter((r) => r.type === REPOSITORY[0])
                .filter((repo) => !resources.some((r) => r.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy"
                    && (r.propertyDependencies.repository ?? []).some((d) => d.urn === repo.urn)))
                .map((repo) => ({ urn: repo.urn, message: `repository ${repo.name} has no lifecycle policy. Fix: add an aws.ecr.LifecyclePolicy with repository set from this repository.` })),
        }],
    }),
];
