// The flow view's model: which dots travel (app → Hooky for each new event, Hooky →
// endpoint for each attempt) and each endpoint's running tally. Pure, so it is tested
// without a browser; the demo store feeds it stream batches.
import type { AttemptOut, StreamMessage } from '../api/types';

export type Outcome = 'ok' | 'failed' | 'timeout';

/** One dot on its way: `in` from the app to Hooky, `out` from Hooky to an endpoint. */
export interface Dot {
  id: number;
  leg: 'in' | 'out';
  endpointId: string | null;
  outcome: Outcome | null;
  /** `200`, `503`, `timeout`, `connect`…; empty on `in` dots. */
  label: string;
  born: number;
}

/** A receiver box: an endpoint. */
export interface FlowNode {
  id: string;
  label: string;
  enabled: boolean;
}

export interface Tally {
  ok: number;
  failed: number;
  last: { outcome: Outcome; label: string } | null;
}

/** Dots animating at once at most, so a burst stays smooth; beyond it new dots are skipped. */
export const MAX_DOTS = 60;
/** A dot older than this is gone, even if its animation never reported its end. */
export const DOT_LIFETIME_MS = 2500;
/** Delivery → endpoint mappings kept (attempt messages name only the delivery). */
const MAX_KNOWN_DELIVERIES = 5000;

export function outcomeOf(attempt: AttemptOut): { outcome: Outcome; label: string } {
  if (attempt.succeeded) return { outcome: 'ok', label: String(attempt.response?.status ?? 'ok') };
  if (attempt.error?.class === 'timeout') return { outcome: 'timeout', label: 'timeout' };
  const status = attempt.response?.status;
  return { outcome: 'failed', label: status ? String(status) : (attempt.error?.class ?? 'failed') };
}

export class FlowModel {
  dots: Dot[] = [];
  tallies = new Map<string, Tally>();
  /** Skipped dots (over the cap), for the curious. */
  skipped = 0;
  private nextId = 1;
  private endpointOf = new Map<string, string>();
  /** endpoint → (delivery → next retry, unix ms). */
  private retries = new Map<string, Map<string, number>>();

  /**
   * Applies a batch; `animate` false records tallies only (nobody is looking). Returns
   * whether anything the view shows changed.
   */
  apply(batch: readonly StreamMessage[], now: number, animate = true): boolean {
    // Learn delivery → endpoint first: an attempt may come in the same batch as its delivery.
    for (const m of batch) {
      if (m.type === 'event_created') for (const d of m.event.deliveries) this.remember(d.id, d.endpoint_id);
      else if (m.type === 'delivery_updated') this.remember(m.delivery.id, m.delivery.endpoint_id);
    }
    let changed = this.prune(now);
    for (const m of batch) {
      if (m.type === 'event_created') {
        if (animate) changed = this.add({ leg: 'in', endpointId: null, outcome: null, label: '' }, now) || changed;
      } else if (m.type === 'attempt_created') {
        const endpointId = this.endpointOf.get(m.attempt.delivery_id) ?? null;
        if (!endpointId) continue;
        const result = outcomeOf(m.attempt);
        const tally = this.tallies.get(endpointId) ?? { ok: 0, failed: 0, last: null };
        this.tallies.set(endpointId, {
          ok: tally.ok + (result.outcome === 'ok' ? 1 : 0),
          failed: tally.failed + (result.outcome === 'ok' ? 0 : 1),
          last: result,
        });
        changed = true;
        if (animate) this.add({ leg: 'out', endpointId, ...result }, now);
      } else if (m.type === 'delivery_updated') {
        changed = this.trackRetry(m.delivery.endpoint_id, m.delivery.id, m.delivery.status, m.delivery.next_attempt_at) || changed;
      }
    }
    return changed;
  }

  /** The soonest scheduled retry to `endpointId`, unix ms. */
  nextRetry(endpointId: string): number | null {
    const due = this.retries.get(endpointId);
    if (!due || due.size === 0) return null;
    let soonest = Infinity;
    for (const at of due.values()) soonest = Math.min(soonest, at);
    return soonest;
  }

  /** A dot's animation ended. */
  finish(id: number): void {
    this.dots = this.dots.filter((d) => d.id !== id);
  }

  /** Drops dots past their lifetime; true when some went. */
  prune(now: number): boolean {
    const before = this.dots.length;
    this.dots = this.dots.filter((d) => now - d.born < DOT_LIFETIME_MS);
    return this.dots.length !== before;
  }

  /** Forgets tallies and dots (after a reset). */
  clear(): void {
    this.dots = [];
    this.tallies = new Map();
    this.retries = new Map();
    this.endpointOf = new Map();
    this.skipped = 0;
  }

  private add(dot: Omit<Dot, 'id' | 'born'>, now: number): boolean {
    if (this.dots.length >= MAX_DOTS) {
      this.skipped++;
      return false;
    }
    this.dots = [...this.dots, { ...dot, id: this.nextId++, born: now }];
    return true;
  }

  private remember(deliveryId: string, endpointId: string): void {
    if (this.endpointOf.has(deliveryId)) return;
    this.endpointOf.set(deliveryId, endpointId);
    if (this.endpointOf.size > MAX_KNOWN_DELIVERIES) {
      const oldest = this.endpointOf.keys().next().value;
      if (oldest !== undefined) this.endpointOf.delete(oldest);
    }
  }

  private trackRetry(endpointId: string, deliveryId: string, status: string, nextAt: string | null | undefined): boolean {
    let due = this.retries.get(endpointId);
    if (status === 'retrying' && nextAt) {
      if (!due) this.retries.set(endpointId, (due = new Map()));
      due.set(deliveryId, Date.parse(nextAt));
      if (due.size > MAX_KNOWN_DELIVERIES) {
        const oldest = due.keys().next().value;
        if (oldest !== undefined) due.delete(oldest);
      }
      return true;
    }
    return due?.delete(deliveryId) ?? false;
  }
}
