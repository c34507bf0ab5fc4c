// How sure a bench's ratio is. Each round of `npm run bench` gives one ratio (instrumented ÷
// baseline, measured back to back); the printed ratio is their median, and this is its interval:
// a percentile bootstrap (the rounds resampled with replacement, the median of each resample), so
// a reader can tell a real difference from the machine's noise. On the 2-core build machine single
// rounds swing ±30%, and an A/B whose interval holds 1 has measured no difference.

export interface MedianInterval {
    readonly median: number;
    /** The interval's bounds (the resampled medians' (1 − confidence)/2 and (1 + confidence)/2 quantiles). */
    readonly low: number;
    readonly high: number;
}

/** The median of `values` (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
    if (values.length === 0) return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The value at quantile `q` (0–1) of sorted values (the nearest rank below); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
    if (sorted.length === 0) return Number.NaN;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))] as number;
}

/** A small seeded generator (mulberry32): the same rounds always print the same interval (and test/otlp-json.test.ts makes the same batches). */
export function seeded(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
}

/**
 * The median of `values` with its bootstrap interval at `confidence` (default 0.95) from
 * `resamples` resamples (default 4000). One value gives an interval of that value alone.
 */
export function medianInterval(values: readonly number[], options: { confidence?: number; resamples?: number; seed?: number } = {}): MedianInterval {
    const confidence = options.confidence ?? 0.95;
    const resamples = options.resamples ?? 4000;
    if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1 (exclusive), got ${confidence}`);
    if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
    const center = median(values);
    if (values.length === 0) return { median: center, low: Number.NaN, high: Number.NaN };
    const random = seeded(options.seed ?? 1);
    const medians = new Float64Array(resamples);
    const sample = new Array<number>(values.length);
    for (let r = 0; r < resamples; r += 1) {
        for (let i = 0; i < values.length; i += 1) sample[i] = values[Math.floor(random() * values.length)] as number;
        medians[r] = median(sample);
    }
    medians.sort();
    return { median: center, low: quantile(medians, (1 - confidence) / 2), high: quantile(medians, (1 + confidence) / 2) };
}
