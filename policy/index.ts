// The policy pack entry point: `pulumi preview --policy-pack policy` (prod: add
// `--policy-pack-config policy/config/prod.json`). The only module that constructs the pack, which
// starts the analyzer's gRPC server; the definitions live in policies.ts and policy/aws, policy/kubernetes.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
    description: "Platform guard rails: AWS Foundational Security Best Practices, CIS EKS and Pod Security Standards restricted (docs/policy-pack.md).",
    enforcementLevel: "mandatory",
    policies,
});
