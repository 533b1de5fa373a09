/** Summary of a sample of durations in milliseconds. */
export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of a sorted sample (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n,
    min: round(sorted[0] ?? NaN),
    mean: round(n ? sorted.reduce((s, v) => s + v, 0) / n : NaN),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[n - 1] ?? NaN),
  };
}

/** `p50 / p99 / max` of a summary for the table (milliseconds to 2 decimals unless `unit` says otherwise), or `n/a` when empty. */
export function formatSummary(s: Summary, unit: (ms: number) => string = (ms) => ms.toFixed(2)): string {
  return s.n ? `${unit(s.p50)} / ${unit(s.p99)} / ${unit(s.max)}` : 'n/a';
}
