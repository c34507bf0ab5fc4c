import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DESTROY_SCRIPTS, LOG_GROUP_SWEEP, VOLUME_WAIT } from "../../components/shared/destroy-steps";
import { buildStack, isSecret, reveal, ROOT, type Built, type CapturedResource } from "../harness";

const COMMAND = "command:local:Command";
const ADDON = "aws:eks/addon:Addon";
const STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

/**
 * Runs a destroy script for real (bash, jq) with fake `kubectl` and `aws` first on PATH. Each fake
 * answers its n-th call with the n-th answer of its list (the last one repeats) and logs its
 * arguments, so a test states what the API returns over time and reads what the script asked.
 */
function runScript(script: string, env: Record<string, string>, answers: { kubectl?: Answer[]; aws?: Answer[] }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "destroy-step-"));
    for (const cli of ["kubectl", "aws"] as const) {
        fs.writeFileSync(path.join(dir, `${cli}.answers.json`), JSON.stringify(answers[cli] ?? []));
        fs.writeFileSync(path.join(dir, cli), `#!/usr/bin/env node
const fs = require("node:fs");
const dir = ${JSON.stringify(dir)};
const log = dir + "/${cli}.log";
fs.appendFileSync(log, JSON.stringify(process.argv.slice(2)) + "\\n");
const answers = JSON.parse(fs.readFileSync(dir + "/${cli}.answers.json", "utf8"));
const n = fs.readFileSync(log, "utf8").trim().split("\\n").length;
const a = answers[Math.min(n, answers.length) - 1] ?? { exit: 99, stderr: "no answer" };
if (a.stdout) process.stdout.write(a.stdout);
if (a.stderr) process.stderr.write(a.stderr);
process.exit(a.exit ?? 0);
`, { mode: 0o755 });
    }
    const result = spawnSync("bash", [path.join(ROOT, script)], {
        cwd: ROOT,
        encoding: "utf8",
        env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, INTERVAL_SECONDS: "0", ...env },
    });
    const calls = (cli: string) => {
        const file = path.join(dir, `${cli}.log`);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]) : [];
    };
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, kubectl: calls("kubectl"), aws: calls("aws") };
}

interface Answer { stdout?: string; stderr?: string; exit?: number }

const pv = (name: string, storageClassName: string, claim: string, volume: string) => ({
    metadata: { name },
    spec: { storageClassName, claimRef: { namespace: claim.split("/")[0], name: claim.split("/")[1] }, csi: { driver: "ebs.csi.aws.com", volumeHandle: volume } },
    status: { phase: "Released" },
});
const pvList = (...items: unknown[]): Answer => ({ stdout: JSON.stringify({ apiVersion: "v1", kind: "List", items }) });

describe("destroy steps", () => {
    describe("wait-for-volumes.sh (against a fake kubectl)", () => {
        const env = { KUBECONFIG_DATA: '{"kind":"Config"}', STORAGE_CLASS: "gp3-encrypted", ATTEMPTS: "4" };
        const prometheus = pv("pvc-1", "gp3-encrypted", "monitoring/prometheus-db-0", "vol-0aaa");
        const elastic = pv("pvc-2", "gp3-encrypted", "logging/es-data-0", "vol-0bbb");
        const foreign = pv("pvc-3", "other-class", "x/y", "vol-0ccc");

        it("returns once the platform's volumes are gone, ignoring other classes", () => {
            const r = runScript(DESTROY_SCRIPTS.waitForVolumes, env, {
                kubectl: [pvList(prometheus, elastic, foreign), pvList(elastic, foreign), pvList(foreign)],
            });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.kubectl.length, 3);
            // Through the given kubeconfig (written to a file), all PVs as JSON.
            for (const args of r.kubectl) {
                assert.equal(args[0], "--kubeconfig");
                assert.deepEqual(args.slice(2), ["get", "persistentvolumes", "-o", "json"]);
            }
            assert.match(r.stdout, /check 1\/4: 2 PersistentVolume\(s\) of gp3-encrypted still deleting/);
            assert.match(r.stdout, /no PersistentVolume of StorageClass gp3-encrypted remains/);
        });

        it("fails after its checks, naming every leftover volume, its claim and EBS volume", () => {
            const r = runScript(DESTROY_SCRIPTS.waitForVolumes, env, { kubectl: [pvList(prometheus, elastic, foreign)] });
            assert.equal(r.status, 1);
            assert.equal(r.kubectl.length, 4, "bounded: ATTEMPTS checks");
            assert.match(r.stderr, /PersistentVolumes of StorageClass gp3-encrypted remain after 4 checks 0s apart:/);
            assert.match(r.stderr, /  pvc-1 claim=monitoring\/prometheus-db-0 volume=vol-0aaa phase=Released\n  pvc-2 claim=logging\/es-data-0 volume=vol-0bbb phase=Released\n/);
            assert.doesNotMatch(r.stderr, /pvc-3/);
            assert.match(r.stderr, /kubectl delete pvc -n <namespace> <claim>/);
        });

        it("retries an API error, and reports it when it lasts", () => {
            const down: Answer = { exit: 1, stderr: "error: You must be logged in to the server (Unauthorized)" };
            const recovered = runScript(DESTROY_SCRIPTS.waitForVolumes, env, { kubectl: [down, pvList()] });
            assert.equal(recovered.status, 0, recovered.stderr);
            const lasting = runScript(DESTROY_SCRIPTS.waitForVolumes, env, { kubectl: [down] });
            assert.equal(lasting.status, 1);
            assert.match(lasting.stderr, /could not list PersistentVolumes for 4 checks: error: You must be logged in to the server \(Unauthorized\)/);
        });
    });

    describe("delete-log-groups.sh (against a fake aws CLI)", () => {
        const groups = "/aws/eks/platform-dev-cluster-0a1b2c/cluster";
        const env = { LOG_GROUPS: groups, AWS_REGION: "us-east-1", ATTEMPTS: "3" };
        const notFound: Answer = { exit: 254, stderr: "An error occurred (ResourceNotFoundException) when calling the DeleteLogGroup operation: The specified log group does not exist." };

        it("deletes a group that comes back after the cluster, on every sweep of its window", () => {
            // Gone, then recreated by late events, then gone for good.
            const r = runScript(DESTROY_SCRIPTS.deleteLogGroups, env, { aws: [notFound, { exit: 0 }, notFound] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.aws, Array(3).fill(["logs", "delete-log-group", "--region", "us-east-1", "--log-group-name", groups]));
            assert.match(r.stdout, /sweep 2\/3: deleted \/aws\/eks\/platform-dev-cluster-0a1b2c\/cluster/);
        });

        it("sweeps every group it is given", () => {
            const two = "/aws/rds/instance/db-1/postgresql\n/aws/rds/instance/db-1/upgrade\n";
            const r = runScript(DESTROY_SCRIPTS.deleteLogGroups, { ...env, LOG_GROUPS: two, ATTEMPTS: "1" }, { aws: [notFound] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.aws.map((a) => a[5]), ["/aws/rds/instance/db-1/postgresql", "/aws/rds/instance/db-1/upgrade"]);
        });

        it("fails naming the group when a delete keeps failing for another reason", () => {
            const denied: Answer = { exit: 254, stderr: "An error occurred (AccessDeniedException)" };
            const r = runScript(DESTROY_SCRIPTS.deleteLogGroups, env, { aws: [denied] });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /could not delete log group\(s\) \/aws\/eks\/platform-dev-cluster-0a1b2c\/cluster: delete them with aws logs delete-log-group/);
        });
    });

    describe("in the graph", () => {
        let dev: Built;
        let prod: Built;
        let review: Built;
        before(async () => {
            dev = await buildStack("dev");
            prod = await buildStack("prod");
            review = await buildStack("pr-1");
        });
        const step = (b: Built, suffix: string) => b.capture.one(COMMAND, suffix);
        const env = (r: CapturedResource) => reveal(r.inputs.environment);

        it("runs only the committed script, and only on delete (a changed input updates it in place)", () => {
            for (const b of [dev, prod, review]) {
                const steps = b.capture.ofType(COMMAND);
                assert.deepEqual(steps.map((s) => s.name.replace(`platform-${b.config.stack}-`, "")).sort(),
                    ["cluster-log-sweep", "cluster-volume-wait", "database-log-sweep"]);
                for (const s of steps) {
                    assert.equal(s.inputs.create, "true");
                    assert.equal(s.inputs.update, "true");
                    assert.match(s.inputs.delete, /^bash scripts\/destroy\/[a-z-]+\.sh$/);
                    assert.ok(fs.existsSync(path.join(ROOT, s.inputs.delete.slice("bash ".length))), s.inputs.delete);
                }
            }
        });

        it("waits for volumes after every volume owner and before the EBS CSI driver and the StorageClass (issue 12, item 1)", () => {
            for (const b of [dev, prod, review]) {
                const wait = step(b, "-cluster-volume-wait");
                const csi = b.capture.ofType(ADDON).find((a) => a.inputs.addonName === "aws-ebs-csi-driver")!;
                const storageClass = b.capture.one(STORAGE_CLASS);
                assert.ok(b.capture.dependsOn(wait, csi) && b.capture.dependsOn(wait, storageClass), b.config.stack);
                // The driver's controller resolves the EC2 endpoint through coredns while it deletes
                // the volumes: coredns goes after the wait.
                const coredns = b.capture.ofType(ADDON).find((a) => a.inputs.addonName === "coredns")!;
                assert.ok(b.capture.dependsOn(wait, coredns), `${b.config.stack}: the volume wait before coredns goes`);
                assert.deepEqual(env(wait), {
                    KUBECONFIG_DATA: reveal(b.capture.one("pulumi:providers:kubernetes").inputs.kubeconfig),
                    STORAGE_CLASS: "gp3-encrypted", ATTEMPTS: String(VOLUME_WAIT.attempts), INTERVAL_SECONDS: String(VOLUME_WAIT.intervalSeconds),
                });
                assert.ok(isSecret(wait.inputs.environment.KUBECONFIG_DATA) || isSecret(wait.inputs.environment));
                // It lists PVs as the deployer: the access entries outlive it.
                for (const a of b.capture.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")) assert.ok(b.capture.dependsOn(wait, a));
                // Every Kubernetes object that is or may own a volume (everything outside the cluster
                // component: observability, data, delivery) is deleted before the wait.
                const cluster = b.capture.one("platform:cluster:Cluster");
                const owners = b.capture.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && b.capture.componentOf(r).urn !== cluster.urn);
                assert.ok(owners.length > 20, `${b.config.stack}: ${owners.length} owners`);
                for (const o of owners) assert.ok(b.capture.dependsOn(o, wait), `${b.config.stack}: ${o.type} ${o.name} waits for the volume step`);
                // Each release with a volume claim, by name.
                const releases = owners.filter((o) => o.type === "kubernetes:helm.sh/v3:Release").map((o) => o.inputs.name);
                for (const r of ["kube-prometheus-stack", "eck-stack"]) assert.ok(releases.some((n: string) => n.startsWith(r.split("-")[0])), `${r} among ${releases}`);
            }
        });

        it("sweeps the EKS log group after the cluster and its Pulumi-owned group are deleted (issue 12, item 2)", () => {
            for (const b of [dev, prod, review]) {
                const sweep = step(b, "-cluster-log-sweep");
                const group = b.capture.one(LOG_GROUP, "-cluster-control-plane-logs");
                const cluster = b.capture.one("aws:eks/cluster:Cluster");
                // The cluster and the group depend on the sweep, so a destroy deletes them before it.
                assert.ok(b.capture.dependsOn(group, sweep) && b.capture.dependsOn(cluster, sweep), b.config.stack);
                assert.deepEqual(env(sweep), {
                    LOG_GROUPS: `/aws/eks/platform-${b.config.stack}-cluster-0a1b2c/cluster`, AWS_REGION: "us-east-1",
                    ATTEMPTS: String(LOG_GROUP_SWEEP.attempts), INTERVAL_SECONDS: String(LOG_GROUP_SWEEP.intervalSeconds),
                });
                assert.equal(group.inputs.name, `/aws/eks/platform-${b.config.stack}-cluster-0a1b2c/cluster`);
            }
        });

        it("sweeps the RDS log groups after the DB instance and its groups are deleted (issue 12, item 2)", () => {
            for (const b of [dev, prod, review]) {
                const sweep = step(b, "-database-log-sweep");
                const instance = b.capture.one("aws:rds/instance:Instance");
                const groups = b.capture.ofType(LOG_GROUP).filter((g) => g.name.includes("-database-log-"));
                assert.equal(groups.length, 2);
                for (const g of groups) assert.ok(b.capture.dependsOn(g, sweep), g.name);
                assert.ok(b.capture.dependsOn(instance, sweep));
                assert.deepEqual(env(sweep).LOG_GROUPS.split("\n"), groups.map((g) => g.inputs.name));
                assert.equal(env(sweep).AWS_REGION, "us-east-1");
            }
        });
    });
});
