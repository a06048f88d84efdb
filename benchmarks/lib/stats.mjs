// Small statistics helpers: median of runs, percentiles of latency samples.

/** Median of the finite numbers in `xs`; null when there are none. */
export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The p-th percentile (0..100, nearest rank) of a sorted typed array or array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Nanoseconds (bigint) to milliseconds (number). */
export const nsToMs = (ns) => Number(ns) / 1e6;
