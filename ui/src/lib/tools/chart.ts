// Stats → uPlot's aligned columns.
import type { ErrorClass, ErrorClassCounts, Stats } from '../api/types';
import { parseTime } from '../util/format';

export const ERROR_CLASSES = ['timeout', 'connect', 'dns', 'tls', 'status', 'redirect', 'body'] as const satisfies readonly ErrorClass[];

/** x in Unix seconds (what uPlot's time scale takes), then the series. */
export type Columns = [number[], ...(number | null)[][]];

/**
 * Attempts per bucket, stacked for bars drawn back to front: x, then all
 * attempts (the failed part shows above the succeeded one), then succeeded.
 */
export function attemptColumns(stats: Stats): Columns {
  const [succeeded = [], total = []] = stack([stats.series.map((b) => b.succeeded), stats.series.map((b) => b.failed)]);
  return [stats.series.map((b) => parseTime(b.start) / 1000), total, succeeded];
}

/** p95 latency per bucket in ms; null (a gap) where a bucket had no attempts. */
export function latencyColumns(stats: Stats): Columns {
  return [stats.series.map((b) => parseTime(b.start) / 1000), stats.series.map((b) => b.p95_ms ?? null)];
}

/**
 * Stacks series for a stacked bar/area chart: each output row is the running
 * sum of the rows up to it, so drawing them back to front stacks them.
 */
export function stack(rows: readonly (readonly number[])[]): number[][] {
  const out: number[][] = [];
  rows.forEach((row, i) => {
    const below = out[i - 1];
    out.push(row.map((v, j) => v + (below ? (below[j] ?? 0) : 0)));
  });
  return out;
}

/** The error classes that occurred in the window, most frequent first. */
export function classesSeen(counts: ErrorClassCounts): ErrorClass[] {
  return ERROR_CLASSES.filter((c) => counts[c] > 0).sort((a, b) => counts[b] - counts[a]);
}

/** Error classes over time: one row per bucket, with its start and a count per class. */
export function errorClassRows(stats: Stats, classes: readonly ErrorClass[]): { start: number; counts: number[]; total: number }[] {
  return stats.series
    .map((b) => {
      const counts = classes.map((c) => b.error_classes[c]);
      return { start: parseTime(b.start), counts, total: counts.reduce((a, n) => a + n, 0) };
    })
    .filter((r) => r.total > 0);
}

/** The success rate as a percentage with one decimal, or an em dash. */
export function rateText(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  const pct = rate * 100;
  return `${pct === 100 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}
