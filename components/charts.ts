/**
 * Every Helm chart the platform installs, pinned in one place: a bump is one line here (and the
 * values it needs in the component that installs it). See README "Keeping charts current".
 *
 * Each entry says where its values were checked, so the next bump knows where to look.
 */
export interface ChartPin {
    /** Helm repository URL. */
    readonly repo: string;
    /** Chart name in that repository. */
    readonly chart: string;
    /** Exact chart version: never a range, so a preview diff shows every upgrade. */
    readonly version: string;
}

export const CHARTS = {
    // Filled in by the components that install them (cluster services, data tier, observability).
} as const satisfies Record<string, ChartPin>;

export type ChartName = keyof typeof CHARTS;
