// Endpoint health from recent deliveries, computed in the browser.
import type { EventSummary } from '../api/types';
import { parseTime } from './format';

/** Nearest-rank percentile of ascending `sorted`, or null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1] ?? null;
}

export interface LatencySample {
  /** When the delivery last changed, ms since the epoch. */
  at: number;
  ms: number;
  ok: boolean;
}

export interface Health {
  deliveries: number;
  attempts: number;
  successes: number;
  /** Successful attempts over all attempts, null before any attempt. */
  successRate: number | null;
  p50: number | null;
  p95: number | null;
  /** Oldest first, for the sparkline. */
  samples: LatencySample[];
}

/**
 * Health of one endpoint over the deliveries to it in `events` (newest first).
 * A delivery's attempts all failed except the last one of a succeeded delivery;
 * latency is the duration of each delivery's latest attempt.
 */
export function endpointHealth(events: readonly EventSummary[], endpointId: string, maxDeliveries = 200): Health {
  let attempts = 0;
  let successes = 0;
  let deliveries = 0;
  const samples: LatencySample[] = [];
  for (const event of events) {
    for (const d of event.deliveries) {
      if (d.endpoint_id !== endpointId) continue;
      if (deliveries >= maxDeliveries) break;
      deliveries++;
      attempts += d.attempt_count;
      const ok = d.status === 'succeeded';
      if (ok && d.attempt_count > 0) successes++;
      if (d.last_duration_ms !== null && d.last_duration_ms !== undefined && d.attempt_count > 0) {
        samples.push({ at: parseTime(d.updated_at), ms: d.last_duration_ms, ok });
      }
    }
  }
  samples.sort((a, b) => a.at - b.at);
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    deliveries,
    attempts,
    successes,
    successRate: attempts > 0 ? successes / attempts : null,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    samples,
  };
}
