// Builders for API objects in unit tests.
import type { AttemptOut, DeliverySummary, EventOut, EventSummary, StreamMessage } from '../api/types';

let seq = 0;
const ulid = () => String(++seq).padStart(26, '0');

export function delivery(patch: Partial<DeliverySummary> = {}): DeliverySummary {
  return {
    id: `dlv_${ulid()}`,
    endpoint_id: 'ep_A',
    status: 'pending',
    attempt_count: 0,
    next_attempt_at: null,
    last_duration_ms: null,
    last_response_status: null,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}

export function event(patch: Partial<EventSummary> = {}): EventSummary {
  return {
    id: `evt_${ulid()}`,
    event_name: 'order.created',
    status: 'pending',
    created_at: '2026-01-01T00:00:00.000Z',
    deliveries: [],
    ...patch,
  };
}

export function eventOut(summary: EventSummary, payload: Record<string, unknown> = { id: 1 }): EventOut {
  return {
    ...summary,
    payload,
    deliveries: summary.deliveries.map((d) => ({ ...d, attempts: [], created_at: summary.created_at, event_id: summary.id })),
  };
}

export function attempt(deliveryId: string, patch: Partial<AttemptOut> = {}): AttemptOut {
  return {
    id: `att_${ulid()}`,
    delivery_id: deliveryId,
    number: 1,
    trigger: 'automatic',
    succeeded: false,
    started_at: '2026-01-01T00:00:01.000Z',
    duration_ms: 12,
    request: { url: 'http://127.0.0.1:9/x', headers: { 'content-type': 'application/json' }, body: '{"id":1}' },
    response: { status: 500, headers: {}, body: 'nope', body_truncated: false },
    error: { class: 'status', message: 'HTTP 500' },
    ...patch,
  };
}

export const created = (e: EventSummary): StreamMessage => ({ type: 'event_created', event: e });

export const updated = (eventId: string, d: DeliverySummary, status: EventSummary['status']): StreamMessage => ({
  type: 'delivery_updated',
  event_id: eventId,
  event_status: status,
  delivery: d,
});

/** A scheduler the test flushes by hand. */
export function manualScheduler() {
  const queue: (() => void)[] = [];
  return {
    schedule: (fn: () => void) => {
      queue.push(fn);
      return () => {
        const at = queue.indexOf(fn);
        if (at >= 0) queue.splice(at, 1);
      };
    },
    get pending() {
      return queue.length;
    },
    runAll() {
      while (queue.length) queue.shift()?.();
    },
  };
}
