// Summary statistics over repeated samples. Percentiles interpolate linearly between the two
// nearest ranks (Hyndman & Fan type 7, what numpy and R use by default), so the p95 of 20
// samples lies between the 19th and 20th smallest, and the p99 of fewer than 100 samples is
// close to the maximum: it is reported with the sample count, never alone.

export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const median = (samples: readonly number[]): number | null => percentile(samples, 50);

export function mean(samples: readonly number[]): number | null {
  if (samples.length === 0) return null;
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

export function min(samples: readonly number[]): number | null {
  return samples.length === 0 ? null : Math.min(...samples);
}

export function max(samples: readonly number[]): number | null {
  return samples.length === 0 ? null : Math.max(...samples);
}

export interface Summary {
  readonly n: number;
  readonly median: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    median: median(samples),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    min: min(samples),
    max: max(samples),
    mean: mean(samples),
  };
}

/** Rounded for the JSON file: enough digits for sub-ms figures, no float noise. */
export function round(value: number | null | undefined, digits = 3): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
