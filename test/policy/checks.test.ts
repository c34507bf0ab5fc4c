import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies, prodPackConfig } from "../../policy/policies";
import { ROOT } from "../harness";
import { checkIds, sharedPack, type PackServer, type Diagnostic } from "./analyzer";
import { FIXTURES, mutate, type ResourceFixture, type StackFixture } from "./fixtures";

const PROD_CONFIG = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", "prod.json"), "utf8"));

async function run(pack: PackServer, fixture: ResourceFixture | StackFixture, variant?: string): Promise<Diagnostic[]> {
    if (fixture.kind === "stack") return pack.analyzeStack(variant === undefined ? fixture.pass : fixture.violations[variant]);
    if (variant === undefined) return pack.analyze(fixture.type, fixture.pass);
    const v = fixture.violations[variant] as any;
    if (typeof v.type === "string" && v.props) return pack.analyze(v.type, v.props);
    return pack.analyze(fixture.type, mutate(fixture.pass, v));
}

describe("policy pack: every check, through the served pack", () => {
    let pack: PackServer;
    before(async function () {
        this.timeout(30000);
        pack = await sharedPack();
        await pack.configure(PROD_CONFIG);
    });

    it("has at least 30 policies, each naming its control, with a fixture for the policy and for every one of its checks", async () => {
        assert.ok(policies.length >= 30, `only ${policies.length} policies`);
        const served = await pack.info();
        assert.deepEqual(served.map((p) => p.name), policies.map((p) => p.name));
        for (const p of served) assert.match(p.description, /^\[(AWS FSBP|CIS EKS|Pod Security|House rule)[^\]]*\] /, `${p.name} names no control`);
        assert.deepEqual(Object.keys(FIXTURES).sort(), policies.map((p) => p.name).sort());
        for (const p of policies) {
            assert.deepEqual(Object.keys(FIXTURES[p.name].violations).sort(), p.meta.checks.map((c) => c.id).sort(), `${p.name}: a fixture per check`);
        }
    });

    for (const p of policies) {
        const fixture = FIXTURES[p.name];
        it(`${p.name}: the compliant fixture passes every policy`, async () => {
            assert.deepEqual(checkIds(await run(pack, fixture)), []);
        });
        for (const check of p.meta.checks) {
            it(`${p.name}/${check.id}: its violating fixture is reported by that check alone`, async () => {
                const ds = await run(pack, fixture, check.id);
                const own = ds.filter((d) => d.policy === p.name);
                assert.deepEqual(checkIds(own), [`${p.name}/${check.id}`], `got ${JSON.stringify(checkIds(ds))}`);
                assert.equal(own[0].level, p.meta.level);
                assert.ok(own[0].message.includes("Fix: "), `the message says how to fix it: ${own[0].message}`);
            });
        }
    }

    it("constructs the PolicyPack only in policy/index.ts (anywhere else it would start a gRPC server in every importer)", () => {
        const files = (fs.readdirSync(path.join(ROOT, "policy"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
        assert.ok(files.length >= 10, `found ${files.join(", ")}`);
        assert.deepEqual(files.filter((f) => /new\s+PolicyPack\s*\(/.test(fs.readFileSync(path.join(ROOT, "policy", f), "utf8"))), ["index.ts"]);
    });

    it("docs/policy-pack.md has a row per policy with its control, enforcement and checks", () => {
        const docs = fs.readFileSync(path.join(ROOT, "docs", "policy-pack.md"), "utf8");
        for (const p of policies) {
            const row = docs.split("\n").find((l) => l.startsWith(`| \`${p.name}\` |`));
            assert.ok(row, `no row for ${p.name}`);
            const level = p.meta.scope === "prod" ? `${p.meta.level}, prod only` : p.meta.level;
            assert.ok(row.includes(`| ${p.meta.control} | ${level} |`), `${p.name}: control or level out of date in docs/policy-pack.md: ${row}`);
            for (const c of p.meta.checks) assert.ok(row.includes(`\`${c.id}\``), `${p.name}: check ${c.id} missing from docs/policy-pack.md`);
        }
    });

    it("policy/config/prod.json is what the catalogue says: each prod-only policy at its level, prod's parameters", () => {
        assert.deepEqual(PROD_CONFIG, prodPackConfig());
        assert.deepEqual(PROD_CONFIG["rds-multi-az"], "mandatory");
        assert.deepEqual(PROD_CONFIG["cloudwatch-log-retention-minimum"], "advisory");
    });

    it("policy/config/prod.json sets only properties the policies' schemas declare, of their type", async () => {
        const info = new Map((await pack.info()).map((p) => [p.name, p]));
        for (const [name, value] of Object.entries<any>(PROD_CONFIG)) {
            assert.ok(info.has(name), `${name} is not a policy`);
            if (typeof value === "string") { assert.ok(["mandatory", "advisory", "disabled"].includes(value)); continue; }
            for (const [k, v] of Object.entries(value)) {
                if (k === "enforcementLevel") continue;
                const schema = info.get(name)!.configSchema?.properties[k];
                assert.ok(schema, `${name}.${k} is not in its config schema`);
                if (schema.type === "integer") assert.ok(Number.isInteger(v), `${name}.${k} must be an integer`);
                if (schema.enum) assert.ok(schema.enum.includes(v), `${name}.${k} must be one of ${schema.enum}`);
            }
        }
    });
});

describe("policy pack: enforcement levels and config, as the SDK applies them", () => {
    let pack: PackServer;
    before(async function () {
        this.timeout(30000);
        pack = await sharedPack();
    });

    const SINGLE_AZ = mutate(FIXTURES["rds-multi-az"].kind === "resource" ? (FIXTURES["rds-multi-az"] as ResourceFixture).pass : {}, { multiAz: false, deletionProtection: false, skipFinalSnapshot: true });

    it("declares prod-only policies disabled: dev and review stacks (no pack config) do not run them", async () => {
        const info = await pack.info();
        for (const p of policies) {
            assert.equal(info.find((i) => i.name === p.name)!.level, p.meta.scope === "prod" ? "disabled" : p.meta.level, p.name);
        }
        await pack.configure({});
        assert.deepEqual(checkIds(await pack.analyze("aws:rds/instance:Instance", SINGLE_AZ)), []);
    });

    it("runs them, mandatory, with policy/config/prod.json", async () => {
        await pack.configure(PROD_CONFIG);
        const ds = await pack.analyze("aws:rds/instance:Instance", SINGLE_AZ);
        assert.deepEqual(ds.map((d) => [d.policy, d.level]), [["rds-multi-az", "mandatory"], ["rds-deletion-protection", "mandatory"], ["rds-deletion-protection", "mandatory"]]);
    });

    it("reports an advisory policy as advisory, and honours a pack config that changes a level (\"all\" included)", async () => {
        const defaultPort = mutate((FIXTURES["rds-non-default-port"] as ResourceFixture).pass, { port: 5432 });
        await pack.configure({});
        assert.deepEqual((await pack.analyze("aws:rds/instance:Instance", defaultPort)).map((d) => [d.policy, d.level]), [["rds-non-default-port", "advisory"]]);
        // The finding says what the port is once: set to the default, or not set at all.
        const unset = mutate(defaultPort, { port: undefined });
        assert.match((await pack.analyze("aws:rds/instance:Instance", defaultPort))[0]?.message ?? "", /port 5432 is the postgres default\. Fix: /);
        assert.match((await pack.analyze("aws:rds/instance:Instance", unset))[0]?.message ?? "", /port is not set, so the instance listens on the postgres default 5432\. Fix: /);
        await pack.configure({ "rds-non-default-port": "mandatory" });
        assert.deepEqual((await pack.analyze("aws:rds/instance:Instance", defaultPort)).map((d) => d.level), ["mandatory"]);
        await pack.configure({ "rds-non-default-port": "disabled" });
        assert.deepEqual(await pack.analyze("aws:rds/instance:Instance", defaultPort), []);
        await pack.configure({ all: "advisory" });
        const publicDb = mutate(defaultPort, { publiclyAccessible: true });
        assert.deepEqual((await pack.analyze("aws:rds/instance:Instance", publicDb)).map((d) => [d.policy, d.level]),
            [["rds-no-public-access", "advisory"], ["rds-non-default-port", "advisory"]]);
    });

    it("passes the policy's config (schema defaults, then the file) to the checks", async () => {
        const rule = { type: "ingress", protocol: "tcp", fromPort: 8443, toPort: 8443, cidrBlocks: ["0.0.0.0/0"], securityGroupId: "sg-1" };
        await pack.configure({});
        assert.deepEqual(checkIds(await pack.analyze("aws:ec2/securityGroupRule:SecurityGroupRule", rule)), ["ec2-sg-authorized-ports/unauthorized-port"]);
        await pack.configure({ "ec2-sg-authorized-ports": { authorizedTcpPorts: [443, 8443] } });
        assert.deepEqual(checkIds(await pack.analyze("aws:ec2/securityGroupRule:SecurityGroupRule", rule)), []);
        assert.deepEqual(checkIds(await pack.analyze("aws:ec2/securityGroupRule:SecurityGroupRule", { ...rule, fromPort: 80, toPort: 80 })), ["ec2-sg-authorized-ports/unauthorized-port"]);
        const version133 = mutate((FIXTURES["eks-supported-version"] as ResourceFixture).pass, { version: "1.34" });
        await pack.configure({ "eks-supported-version": { oldestSupportedVersion: "1.34" } });
        assert.deepEqual(checkIds(await pack.analyze("aws:eks/cluster:Cluster", version133)), []);
        await pack.configure({});
        assert.deepEqual(checkIds(await pack.analyze("aws:eks/cluster:Cluster", version133)), ["eks-supported-version/version"]);
    });

    it("refuses a prod stack previewed without the prod pack config, and the prod config on a dev stack", async () => {
        const provider = (environment: string) => ({ type: "pulumi:providers:aws", name: "aws", urn: "urn:pulumi:prod::platform::pulumi:providers:aws::aws", props: { defaultTags: JSON.stringify({ tags: { environment } }) } });
        await pack.configure({});
        const ds = await pack.analyzeStack([provider("prod")]);
        assert.deepEqual(ds.map((d) => [d.policy, d.level, d.urn]), [["pack-config-environment", "mandatory", "urn:pulumi:prod::platform::pulumi:providers:aws::aws"]]);
        assert.match(ds[0].message, /--policy-pack-config policy\/config\/prod\.json/);
        assert.deepEqual(await pack.analyzeStack([provider("dev")]), []);
        await pack.configure(PROD_CONFIG);
        assert.deepEqual(checkIds(await pack.analyzeStack([provider("dev")])), ["pack-config-environment/environment"]);
    });
});
