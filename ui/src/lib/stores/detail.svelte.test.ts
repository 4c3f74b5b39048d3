import { describe, expect, it, vi } from 'vitest';
import { applyToEvent, EventDetailStore } from './detail.svelte';
import { attempt, delivery, event, eventOut, updated } from '../test/fixtures';

describe('applyToEvent', () => {
  const d = delivery({ status: 'pending' });
  const base = eventOut(event({ deliveries: [d] }));

  it('adds a finished attempt to its delivery, in order, once', () => {
    const second = attempt(d.id, { number: 2 });
    const first = attempt(d.id, { number: 1 });
    const msg = (a: typeof first) => ({ type: 'attempt_created' as const, event_id: base.id, attempt: a });
    const next = applyToEvent(base, [msg(second), msg(first), msg(first)]);
    expect(next.deliveries[0]?.attempts.map((a) => a.number)).toEqual([1, 2]);
    expect(base.deliveries[0]?.attempts).toEqual([]);
  });

  it('takes a delivery update and the event status', () => {
    const retrying = { ...d, status: 'retrying' as const, attempt_count: 1, next_attempt_at: '2026-01-01T00:00:06Z', updated_at: '2026-01-01T00:00:01Z' };
    const next = applyToEvent(base, [updated(base.id, retrying, 'retrying')]);
    expect(next.status).toBe('retrying');
    expect(next.deliveries[0]?.next_attempt_at).toBe('2026-01-01T00:00:06Z');
    expect(next.deliveries[0]?.attempts).toEqual([]);
  });

  it('applies messages that arrive while the event loads', async () => {
    let release: (e: typeof base) => void = () => {};
    const store = new EventDetailStore(() => ({ listEvents: vi.fn(), getEvent: () => new Promise((r) => (release = r)) }), base.id);
    const loading = store.load();
    const done = { ...d, status: 'failed' as const, attempt_count: 1, updated_at: '2026-01-01T00:00:02Z' };
    store.applyBatch([{ type: 'attempt_created', event_id: base.id, attempt: attempt(d.id) }, updated(base.id, done, 'failed')]);
    release(base); // fetched before the attempt finished
    await loading;
    expect(store.event?.status).toBe('failed');
    expect(store.event?.deliveries[0]?.attempts).toHaveLength(1);
  });

  it('adds a new delivery of the event (a resend) with its attempts', () => {
    const resent = delivery({ endpoint_id: 'ep_B', status: 'pending', updated_at: '2026-01-01T00:01:00.000Z' });
    const first = attempt(resent.id, { succeeded: true });
    const next = applyToEvent(base, [updated(base.id, resent, 'pending'), { type: 'attempt_created', event_id: base.id, attempt: first }]);
    expect(next.deliveries.map((x) => x.endpoint_id)).toEqual(['ep_A', 'ep_B']);
    expect(next.deliveries[1]?.attempts.map((a) => a.id)).toEqual([first.id]);
    expect(next.deliveries[1]?.event_id).toBe(base.id);
  });

  it('ignores messages about other events', () => {
    expect(applyToEvent(base, [updated('evt_other', d, 'failed')])).toBe(base);
  });
});
