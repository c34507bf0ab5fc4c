/**
 * Pod Security Standards, `restricted` profile (kubernetes.io/docs/concepts/security/pod-security-standards),
 * for every pod template the program declares: the baseline controls plus restricted's own. One
 * policy per control, one check per field the control reads; messages name the container.
 */
import { asArray, resourcePolicy, show, type Check, type PlatformPolicy } from "../lib";
import { podOf, WORKLOAD_TYPES, type ContainerView, type PodView } from "./workloads";

type PodCheck = (pod: PodView) => string[];
/** The Pod Security Standards level a check belongs to (restricted includes every baseline check). */
export type PodSecurityStandard = "baseline" | "restricted";
type LevelledCheck = Check & { readonly standard: PodSecurityStandard; readonly pod: PodCheck };

function podCheck(id: string, rule: string, test: PodCheck, standard: PodSecurityStandard = "restricted"): LevelledCheck {
    return { id, rule, standard, pod: test, test: (p, { args }) => { const pod = podOf(args!.type, p); return pod ? test(pod) : []; } };
}
const baseline = (id: string, rule: string, test: PodCheck) => podCheck(id, rule, test, "baseline");

/** Every pod check of the pack, by policy, with its level: what podSecurityFindings runs. */
const PACK_CHECKS: Array<{ policy: string; check: LevelledCheck }> = [];

function pss(name: string, control: string, description: string, checks: LevelledCheck[]): PlatformPolicy {
    for (const check of checks) PACK_CHECKS.push({ policy: name, check });
    return resourcePolicy({ name, control: `Pod Security Standards restricted: ${control}`, description, level: "mandatory", scope: "all", severity: "high", types: WORKLOAD_TYPES, checks });
}

const where = (c: ContainerView) => `${c.kind === "containers" ? "container" : c.kind.replace(/s$/, "")} ${c.name}`;

/** A container field, or the pod's when the container leaves it out (runAsNonRoot, seccompProfile...). */
function effective(pod: PodView, c: ContainerView, field: string): any {
    return c.securityContext[field] ?? pod.securityContext[field];
}

/** Restricted's volume types (everything else, hostPath first, is refused). */
const ALLOWED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
/** Baseline's safe sysctls. */
const SAFE_SYSCTLS = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

export const podSecurityPolicies: PlatformPolicy[] = [
    pss("pss-host-namespaces", "Host Namespaces, HostProcess (baseline)", "Pods share no host namespace and are not Windows HostProcess pods.", [
        ...(["hostNetwork", "hostPID", "hostIPC"] as const).map((field) => baseline(field, `spec.${field} is not true`,
            (pod) => pod.spec[field] === true ? [`spec.${field} is true. Fix: remove it.`] : [])),
        baseline("host-process", "no windowsOptions.hostProcess true (pod or container)", (pod) => [
            ...(pod.securityContext.windowsOptions?.hostProcess === true ? ["pod securityContext.windowsOptions.hostProcess is true. Fix: remove it."] : []),
            ...pod.containers.filter((c) => c.securityContext.windowsOptions?.hostProcess === true).map((c) => `${where(c)}: windowsOptions.hostProcess is true. Fix: remove it.`),
        ]),
    ]),
    pss("pss-privileged", "Privileged Containers (baseline)", "No container is privileged.", [
        baseline("privileged", "securityContext.privileged is not true for any container",
            (pod) => pod.containers.filter((c) => c.securityContext.privileged === true).map((c) => `${where(c)}: securityContext.privileged is true. Fix: remove it.`)),
    ]),
    pss("pss-capabilities", "Capabilities (baseline and restricted)", "Containers drop ALL capabilities and add back at most NET_BIND_SERVICE.", [
        podCheck("drop-all", "securityContext.capabilities.drop includes ALL for every container",
            (pod) => pod.containers.filter((c) => {
                // Capabilities given at all replace an operator's default drop ALL (CNPG does not merge them).
                const caps = c.securityContext.capabilities;
                return caps === undefined ? !pod.secureDefaults : !asArray<string>(caps.drop).includes("ALL");
            }).map((c) => `${where(c)}: capabilities.drop is ${show(c.securityContext.capabilities?.drop)}. Fix: set securityContext.capabilities.drop ["ALL"].`)),
        podCheck("add-only-net-bind-service", "securityContext.capabilities.add holds nothing but NET_BIND_SERVICE",
            (pod) => pod.containers.flatMap((c) => {
                const extra = asArray<string>(c.securityContext.capabilities?.add).filter((cap) => cap !== "NET_BIND_SERVICE");
                return extra.length === 0 ? [] : [`${where(c)}: capabilities.add has ${extra.join(", ")}. Fix: add none but NET_BIND_SERVICE.`];
            })),
    ]),
    pss("pss-volume-types", "HostPath Volumes (baseline), Volume Types (restricted)", "Pods mount only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.", [
        baseline("host-path", "no hostPath volume", (pod) => pod.volumes.filter((v) => v.hostPath !== undefined).map((v) => `volume ${v.name}: hostPath mounts the node's filesystem. Fix: use an emptyDir or a persistentVolumeClaim.`)),
        podCheck("volume-type", `every volume is one of ${ALLOWED_VOLUMES.join(", ")}`, (pod) => pod.volumes.flatMap((v) => {
            const kinds = Object.keys(v).filter((k) => k !== "name" && k !== "hostPath");
            const bad = kinds.filter((k) => !ALLOWED_VOLUMES.includes(k));
            return bad.length === 0 ? [] : [`volume ${v.name}: type ${bad.join(", ")} is not allowed by restricted. Fix: use a persistentVolumeClaim or a csi volume.`];
        })),
    ]),
    pss("pss-host-ports", "Host Ports (baseline)", "Containers expose no host ports.", [
        baseline("host-port", "no container port sets hostPort (other than 0)",
            (pod) => pod.containers.flatMap((c) => c.ports.filter((port) => Number(port.hostPort ?? 0) !== 0).map((port) => `${where(c)}: hostPort ${port.hostPort}. Fix: remove hostPort; expose the pod through a Service.`))),
    ]),
    pss("pss-privilege-escalation", "Privilege Escalation (restricted)", "Containers cannot gain more privileges than their process started with.", [
        podCheck("allow-privilege-escalation", "securityContext.allowPrivilegeEscalation is false for every container",
            (pod) => pod.containers.filter((c) => {
                const v = c.securityContext.allowPrivilegeEscalation;
                return v === undefined ? !pod.secureDefaults : v !== false;
            }).map((c) => `${where(c)}: allowPrivilegeEscalation is ${show(c.securityContext.allowPrivilegeEscalation)}. Fix: set securityContext.allowPrivilegeEscalation false.`)),
    ]),
    pss("pss-run-as-non-root", "Running as Non-root, Running as Non-root user (restricted)", "Containers run as a non-root user.", [
        podCheck("run-as-non-root", "runAsNonRoot is true on the pod or on every container",
            (pod) => pod.containers.filter((c) => {
                const v = effective(pod, c, "runAsNonRoot");
                return v === undefined ? !pod.secureDefaults : v !== true;
            }).map((c) => `${where(c)}: runAsNonRoot is ${show(effective(pod, c, "runAsNonRoot"))} (pod and container). Fix: set securityContext.runAsNonRoot true on the pod.`)),
        podCheck("run-as-user", "runAsUser is not 0 (pod or container)", (pod) => [
            ...(Number(pod.securityContext.runAsUser ?? -1) === 0 ? ["pod securityContext.runAsUser is 0 (root). Fix: run as the image's non-root user, e.g. 1000."] : []),
            ...pod.containers.filter((c) => Number(c.securityContext.runAsUser ?? -1) === 0).map((c) => `${where(c)}: runAsUser is 0 (root). Fix: run as a non-root user.`),
        ]),
    ]),
    pss("pss-seccomp", "Seccomp (baseline and restricted)", "Containers run with the RuntimeDefault (or a Localhost) seccomp profile.", [
        podCheck("seccomp-profile", "seccompProfile.type is RuntimeDefault or Localhost on the pod or on every container",
            (pod) => pod.containers.filter((c) => {
                const type = effective(pod, c, "seccompProfile")?.type;
                return type === undefined ? !pod.secureDefaults : !["RuntimeDefault", "Localhost"].includes(type);
            }).map((c) => `${where(c)}: seccompProfile.type is ${show(effective(pod, c, "seccompProfile")?.type)}. Fix: set securityContext.seccompProfile { type: "RuntimeDefault" } on the pod.`)),
    ]),
    pss("pss-baseline-hardening", "AppArmor, SELinux, /proc Mount Type, Sysctls (baseline)", "Pods keep AppArmor and SELinux confinement, the default /proc mount and only safe sysctls.", [
        baseline("apparmor", "appArmorProfile.type is not Unconfined (pod or container)", (pod) => [
            ...(pod.securityContext.appArmorProfile?.type === "Unconfined" ? ["pod appArmorProfile.type is Unconfined. Fix: use RuntimeDefault."] : []),
            ...pod.containers.filter((c) => c.securityContext.appArmorProfile?.type === "Unconfined").map((c) => `${where(c)}: appArmorProfile.type is Unconfined. Fix: use RuntimeDefault.`),
        ]),
        baseline("selinux", "seLinuxOptions sets no user or role, and type only container_t/container_init_t/container_kvm_t/container_engine_t", (pod) => {
            const bad = (o: any) => o !== undefined && (o.user !== undefined || o.role !== undefined || !SELINUX_TYPES.includes(o.type ?? ""));
            return [
                ...(bad(pod.securityContext.seLinuxOptions) ? [`pod seLinuxOptions ${show(pod.securityContext.seLinuxOptions)}. Fix: remove user/role; use type container_t.`] : []),
                ...pod.containers.filter((c) => bad(c.securityContext.seLinuxOptions)).map((c) => `${where(c)}: seLinuxOptions ${show(c.securityContext.seLinuxOptions)}. Fix: remove user/role; use type container_t.`),
            ];
        }),
        baseline("proc-mount", "procMount is unset or Default", (pod) => pod.containers.filter((c) => c.securityContext.procMount !== undefined && c.securityContext.procMount !== "Default")
            .map((c) => `${where(c)}: procMount is ${show(c.securityContext.procMount)}. Fix: remove it.`)),
        baseline("sysctls", "pod sysctls are from the safe set", (pod) => asArray<any>(pod.securityContext.sysctls).filter((s) => !SAFE_SYSCTLS.includes(s.name))
            .map((s) => `sysctl ${s.name} is not in the safe set. Fix: remove it.`)),
    ]),
];

/** Baseline's default capabilities: what a baseline pod may add (restricted: NET_BIND_SERVICE only). */
const BASELINE_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

/**
 * Baseline's own forms of two controls whose restricted forms the pack enforces (and which imply
 * them): capabilities added beyond the default set, and an Unconfined seccomp profile. Not part of
 * the pack's policies; podSecurityFindings runs them at the baseline level only.
 */
const BASELINE_ONLY: Array<{ policy: string; check: LevelledCheck }> = [
    { policy: "pss-capabilities", check: baseline("add-only-baseline-capabilities", `securityContext.capabilities.add holds only ${BASELINE_CAPABILITIES.join(", ")}`, (pod) => pod.containers.flatMap((c) => {
        const extra = asArray<string>(c.securityContext.capabilities?.add).filter((cap) => !BASELINE_CAPABILITIES.includes(cap));
        return extra.length === 0 ? [] : [`${where(c)}: capabilities.add has ${extra.join(", ")}. Fix: add only baseline's default capabilities.`];
    })) },
    { policy: "pss-seccomp", check: baseline("seccomp-not-unconfined", "seccompProfile.type is not Unconfined (pod or container)", (pod) => [
        ...(pod.securityContext.seccompProfile?.type === "Unconfined" ? ["pod seccompProfile.type is Unconfined. Fix: use RuntimeDefault."] : []),
        ...pod.containers.filter((c) => c.securityContext.seccompProfile?.type === "Unconfined").map((c) => `${where(c)}: seccompProfile.type is Unconfined. Fix: use RuntimeDefault.`),
    ]) },
];

/**
 * What Pod Security Admission at `level` would refuse in this pod, by the pack's own checks:
 * "<policy>/<check>: <message>" for each. restricted: every check of the pack; baseline: the
 * baseline controls (host namespaces, privileged, hostPath, host ports, AppArmor, SELinux, /proc,
 * sysctls, capabilities beyond the default set, Unconfined seccomp); privileged: nothing.
 */
export function podSecurityFindings(pod: PodView, level: PodSecurityStandard | "privileged"): string[] {
    if (level === "privileged") return [];
    const checks = level === "restricted" ? PACK_CHECKS : [...PACK_CHECKS.filter((c) => c.check.standard === "baseline"), ...BASELINE_ONLY];
    return checks.flatMap(({ policy, check }) => check.pod(pod).map((message) => `${policy}/${check.id}: ${message}`));
}
