/** IAM: AWS FSBP IAM.1 and IAM.21 on every policy document the program writes. */
import { asArray, parseJson, resourcePolicy, type PlatformPolicy } from "../lib";

const POLICY = "aws:iam/policy:Policy";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ROLE = "aws:iam/role:Role";
const ATTACHMENTS = ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"];

interface Statement { Effect?: string; Action?: string | string[]; NotAction?: string | string[]; Resource?: string | string[] }

/** The identity-policy documents a resource declares (a role's inline policies included). */
function documents(type: string, p: any): Array<{ where: string; statements: Statement[] }> {
    const texts: Array<{ where: string; text: unknown }> = [];
    if (type === POLICY || type === ROLE_POLICY) texts.push({ where: "policy", text: p.policy });
    if (type === ROLE) asArray<any>(p.inlinePolicies).forEach((ip, i) => texts.push({ where: `inlinePolicies[${i}] ${ip.name ?? ""}`.trim(), text: ip.policy }));
    return texts.map(({ where, text }) => ({ where, statements: asArray<Statement>(parseJson<any>(text)?.Statement) }));
}

function allowStatements(type: string, p: any) {
    return documents(type, p).flatMap(({ where, statements }) => statements.filter((s) => s.Effect === "Allow").map((s) => ({ where, s })));
}

export const iamPolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "iam-no-admin-privileges",
        control: "AWS FSBP IAM.1",
        description: "No policy the program writes or attaches grants full administrative privileges (\"*\" on \"*\").",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: [POLICY, ROLE_POLICY, ROLE, ...ATTACHMENTS],
        checks: [
            {
                id: "star-on-star",
                rule: "no Allow statement with Action \"*\" (or NotAction) on Resource \"*\"",
                test: (p, { args }) => allowStatements(args!.type, p)
                    .filter(({ s }) => (asArray(s.Action).includes("*") || s.NotAction !== undefined) && asArray(s.Resource).includes("*"))
                    .map(({ where }) => `${where} allows every action on every resource. Fix: list the actions and resources the role needs.`),
            },
            {
                id: "administrator-access",
                rule: "no attachment of arn:aws:iam::aws:policy/AdministratorAccess",
                test: (p, { args }) => ATTACHMENTS.includes(args!.type) && /:policy\/AdministratorAccess$/.test(String(p.policyArn ?? ""))
                    ? "attaches AdministratorAccess. Fix: attach a least-privilege policy." : undefined,
            },
        ],
    }),
    resourcePolicy({
        name: "iam-no-service-wildcards",
        control: "AWS FSBP IAM.21",
        description: "Policies the program writes list actions; they do not grant a whole service (\"s3:*\").",
        level: "mandatory",
        scope: "all",
        severity: "low",
        types: [POLICY, ROLE_POLICY, ROLE],
        checks: [{
            id: "service-wildcard",
            rule: "no Allow statement with an Action of the form \"<service>:*\" or \"*\"",
            test: (p, { args }) => allowStatements(args!.type, p).flatMap(({ where, s }) => {
                const wild = asArray(s.Action).filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
                return wild.length === 0 ? [] : [`${where} allows ${wild.join(", ")}. Fix: list the actions needed.`];
            }),
        }],
    }),
];
