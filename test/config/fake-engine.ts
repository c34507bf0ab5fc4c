/**
 * A small stand-in for the Pulumi CLI's side of a program run: the engine (Log, root resource) and
 * the resource monitor (SupportsFeature, RegisterResource for the Stack resource) on loopback,
 * so that the SDK's own program runner (`@pulumi/pulumi/cmd/run`, what the Node language host
 * starts for `pulumi up`) runs a program in a child process exactly as under the CLI. The CLI prints
 * each Log message of severity ERROR as `error: <message>`: the messages recorded here are what a
 * user reads. Anything a test program asks for beyond that fails loudly (UNIMPLEMENTED).
 */
import * as grpc from "@grpc/grpc-js";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../harness";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const enginerpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const enginepb = require("@pulumi/pulumi/proto/engine_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const resrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const respb = require("@pulumi/pulumi/proto/resource_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

export interface LoggedMessage {
    readonly severity: "debug" | "info" | "warning" | "error";
    readonly message: string;
}

export interface ProgramRun {
    readonly exitCode: number | null;
    /** What the program sent to the engine's Log, in order. */
    readonly logs: LoggedMessage[];
    /** URNs the program registered (the Stack resource first). */
    readonly registered: string[];
    readonly stdout: string;
    readonly stderr: string;
}

const SEVERITY: Record<number, LoggedMessage["severity"]> = {
    [enginepb.LogSeverity.DEBUG]: "debug",
    [enginepb.LogSeverity.INFO]: "info",
    [enginepb.LogSeverity.WARNING]: "warning",
    [enginepb.LogSeverity.ERROR]: "error",
};

/**
 * Runs `program` (a directory or file, relative to the repository) with cmd/run against the fake
 * engine and monitor, with `config` as the stack's config (`namespace:key` to text, as the CLI
 * passes PULUMI_CONFIG). TypeScript is transpiled only (type checking is `npm run typecheck`'s job).
 */
export async function runProgram(options: { program: string; project: string; stack: string; config: Record<string, string> }): Promise<ProgramRun> {
    const logs: LoggedMessage[] = [];
    const registered: string[] = [];
    let root = "";
    const server = new grpc.Server();
    server.addService(enginerpc.EngineService, {
        log: (call: any, cb: any) => {
            logs.push({ severity: SEVERITY[call.request.getSeverity()], message: call.request.getMessage() });
            cb(null, new Empty());
        },
        getRootResource: (_call: any, cb: any) => cb(null, new enginepb.GetRootResourceResponse().setUrn(root)),
        setRootResource: (call: any, cb: any) => {
            root = call.request.getUrn();
            cb(null, new enginepb.SetRootResourceResponse());
        },
    });
    server.addService(resrpc.ResourceMonitorService, {
        supportsFeature: (_call: any, cb: any) => cb(null, new respb.SupportsFeatureResponse().setHassupport(false)),
        registerResource: (call: any, cb: any) => {
            const req = call.request;
            const urn = `urn:pulumi:${options.stack}::${options.project}::${req.getType()}::${req.getName()}`;
            registered.push(urn);
            cb(null, new respb.RegisterResourceResponse().setUrn(urn).setObject(Struct.fromJavaScript({})));
        },
        registerResourceOutputs: (_call: any, cb: any) => cb(null, new Empty()),
    });
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    try {
        const address = `127.0.0.1:${port}`;
        const child = spawn(process.execPath, [
            require.resolve("@pulumi/pulumi/cmd/run"),
            `--monitor=${address}`, `--engine=${address}`, `--project=${options.project}`, `--stack=${options.stack}`,
            `--pwd=${ROOT}`, path.join(ROOT, options.program),
        ], {
            cwd: ROOT,
            env: {
                PATH: process.env.PATH, HOME: process.env.HOME,
                ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
                PULUMI_CONFIG: JSON.stringify(options.config),
                PULUMI_NODEJS_TYPESCRIPT: "true", PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const exitCode = await new Promise<number | null>((resolve) => child.on("exit", resolve));
        return { exitCode, logs, registered, stdout, stderr };
    } finally {
        server.forceShutdown();
    }
}
