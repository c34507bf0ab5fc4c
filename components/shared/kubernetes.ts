/**
 * Small Kubernetes value helpers shared by the components that build pod specs and chart values.
 */

/**
 * How big a container is: its CPU request and its memory request, in MiB or in GiB (exactly one;
 * the quantity keeps the unit given: `memoryGiB: 4` is "4Gi", not "4096Mi").
 */
export type Sizing = {
    readonly cpu: string;
    /** Memory limit in MiB when it differs from the request (default: the request: no overcommit). */
    readonly memoryLimitMiB?: number;
    /** A CPU limit (default: none, so the container may burst). */
    readonly cpuLimit?: number | string;
} & ({ readonly memoryMiB: number; readonly memoryGiB?: never } | { readonly memoryGiB: number; readonly memoryMiB?: never });

/**
 * A container's `resources`: requests { cpu, memory }, limits { memory } (the memory limit equals
 * the request unless `memoryLimitMiB` says otherwise; a CPU limit only if `cpuLimit` is given).
 */
export function sized(s: Sizing & { readonly cpuLimit?: undefined }): { requests: { cpu: string; memory: string }; limits: { memory: string } };
export function sized(s: Sizing & { readonly cpuLimit: number | string }): { requests: { cpu: string; memory: string }; limits: { cpu: number | string; memory: string } };
export function sized(s: Sizing): { requests: { cpu: string; memory: string }; limits: { cpu?: number | string; memory: string } } {
    const memory = s.memoryGiB !== undefined ? `${s.memoryGiB}Gi` : `${s.memoryMiB}Mi`;
    const limitMemory = s.memoryLimitMiB !== undefined ? `${s.memoryLimitMiB}Mi` : memory;
    return {
        requests: { cpu: s.cpu, memory },
        limits: s.cpuLimit !== undefined ? { cpu: s.cpuLimit, memory: limitMemory } : { memory: limitMemory },
    };
}

/**
 * Pulumi's wait for an object that has a deadline of its own (a Job's activeDeadlineSeconds, a
 * rollout's): the deadline in whole minutes plus `marginMinutes`, so the object's own failure
 * (with its reason) is what `pulumi up` reports, not a bare timeout.
 */
export function awaitTimeouts(deadlineSeconds: number, marginMinutes: number): { create: string; update: string } {
    const minutes = `${Math.ceil(deadlineSeconds / 60) + marginMinutes}m`;
    return { create: minutes, update: minutes };
}
