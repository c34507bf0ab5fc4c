/**
 * Destroy-time steps: `command.local.Command`s with only a `delete`, which Pulumi runs when the
 * step is deleted. Where a step sits in the graph decides when it runs: it is deleted after every
 * resource that depends on it and before every resource it depends on. The scripts live in
 * scripts/destroy/ (tested against fake CLIs in test/shared/destroy-steps.test.ts) and run from
 * the project directory with the checkout's version at destroy time.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

/** The scripts, relative to the project directory (where Pulumi runs the command provider). */
export const DESTROY_SCRIPTS = {
    waitForVolumes: "scripts/destroy/wait-for-volumes.sh",
    deleteLogGroups: "scripts/destroy/delete-log-groups.sh",
} as const;

/** Checks and pause of the volume wait: 10 minutes, the EBS CSI driver's detach-and-delete in minutes. */
export const VOLUME_WAIT = { attempts: 60, intervalSeconds: 10 } as const;
/** Sweeps and pause of the log group sweep: 2 minutes after the owner is gone. */
export const LOG_GROUP_SWEEP = { attempts: 6, intervalSeconds: 20 } as const;

/**
 * A command that does nothing on create and on update (so a changed input never replaces it,
 * which would run its delete on a live stack) and runs `script` when the step is deleted.
 */
function destroyStep(name: string, script: string, environment: pulumi.Input<Record<string, pulumi.Input<string>>>, opts: pulumi.CustomResourceOptions): command.local.Command {
    return new command.local.Command(name, {
        create: "true",
        update: "true",
        delete: `bash ${script}`,
        environment,
    }, opts);
}

export interface VolumeWaitArgs {
    readonly kubeconfig: pulumi.Input<string>;
    readonly storageClassName: string;
}

/**
 * Waits, on destroy, until no PersistentVolume of the storage class remains (issue 12, item 1).
 * Give it the CSI driver and the StorageClass (and the API access) in `opts.dependsOn`, and make
 * every owner of a volume depend on it: they are deleted first, the driver deletes their volumes
 * while this step waits, and only then are the driver and the StorageClass deleted.
 */
export function volumeWait(name: string, args: VolumeWaitArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    return destroyStep(name, DESTROY_SCRIPTS.waitForVolumes, {
        KUBECONFIG_DATA: pulumi.secret(args.kubeconfig),
        STORAGE_CLASS: args.storageClassName,
        ATTEMPTS: String(VOLUME_WAIT.attempts),
        INTERVAL_SECONDS: String(VOLUME_WAIT.intervalSeconds),
    }, opts);
}

export interface LogGroupSweepArgs {
    readonly logGroupNames: pulumi.Input<string>[];
    readonly region: pulumi.Input<string>;
}

/**
 * Deletes, on destroy, log groups an AWS service recreates after its owner is gone (issue 12,
 * item 2). Make the owner (cluster, DB instance) and the Pulumi-owned log groups depend on it:
 * they are deleted first, then this step sweeps for LOG_GROUP_SWEEP's window. The guarantee:
 * nothing recreated within that window survives; a group recreated later is not seen.
 */
export function logGroupSweep(name: string, args: LogGroupSweepArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    return destroyStep(name, DESTROY_SCRIPTS.deleteLogGroups, {
        LOG_GROUPS: pulumi.all(args.logGroupNames).apply((names) => names.join("\n")),
        AWS_REGION: args.region,
        ATTEMPTS: String(LOG_GROUP_SWEEP.attempts),
        INTERVAL_SECONDS: String(LOG_GROUP_SWEEP.intervalSeconds),
    }, opts);
}
