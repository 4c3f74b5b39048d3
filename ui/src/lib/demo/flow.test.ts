import { describe, expect, it } from 'vitest';
import { FlowModel, MAX_DOTS, DOT_LIFETIME_MS, outcomeOf } from './flow';
import type { StreamMessage } from '../api/types';
import { attempt, created, delivery, event, updated } from '../test/fixtures';

const attempted = (eventId: string, a: ReturnType<typeof attempt>): StreamMessage => ({
  type: 'attempt_created',
  event_id: eventId,
  attempt: a,
});

describe('outcomeOf', () => {
  it('tells success, timeout and failure apart, with a short label', () => {
    const ok = attempt('dlv_1', { succeeded: true, response: { status: 200, headers: {}, body: '', body_truncated: false }, error: null });
    expect(outcomeOf(ok)).toEqual({ outcome: 'ok', label: '200' });
    expect(outcomeOf(attempt('dlv_1', { response: null, error: { class: 'timeout', message: 't' } }))).toEqual({
      outcome: 'timeout',
      label: 'timeout',
    });
    expect(outcomeOf(attempt('dlv_1'))).toEqual({ outcome: 'failed', label: '500' });
    expect(outcomeOf(attempt('dlv_1', { response: null, error: { class: 'connect', message: 'c' } })).label).toBe('connect');
  });
});

describe('FlowModel', () => {
  it('sends a dot in per event and one out per attempt to the delivery’s endpoint, and tallies', () => {
    const flow = new FlowModel();
    const d = delivery({ endpoint_id: 'ep_down' });
    const e = event({ deliveries: [d] });
    expect(flow.apply([created(e)], 0)).toBe(true);
    expect(flow.dots.map((dot) => dot.leg)).toEqual(['in']);
    flow.apply([attempted(e.id, attempt(d.id)), attempted(e.id, attempt(d.id, { succeeded: true, error: null }))], 10);
    const out = flow.dots.filter((dot) => dot.leg === 'out');
    expect(out.map((dot) => [dot.endpointId, dot.outcome])).toEqual([
      ['ep_down', 'failed'],
      ['ep_down', 'ok'],
    ]);
    expect(flow.tallies.get('ep_down')).toMatchObject({ ok: 1, failed: 1, last: { outcome: 'ok' } });
  });

  it('learns the endpoint from a delivery update in the same batch, and skips unknown deliveries', () => {
    const flow = new FlowModel();
    const d = delivery({ endpoint_id: 'ep_x', status: 'retrying', next_attempt_at: '2026-01-01T00:00:05.000Z' });
    flow.apply([attempted('evt_1', attempt(d.id)), updated('evt_1', d, 'retrying'), attempted('evt_1', attempt('dlv_unknown'))], 0);
    expect(flow.tallies.get('ep_x')?.failed).toBe(1);
    expect(flow.tallies.size).toBe(1);
    expect(flow.nextRetry('ep_x')).toBe(Date.parse('2026-01-01T00:00:05.000Z'));
    flow.apply([updated('evt_1', { ...d, status: 'succeeded', next_attempt_at: null }, 'succeeded')], 1);
    expect(flow.nextRetry('ep_x')).toBeNull();
  });

  it('caps the dots in flight, still counts, and prunes old dots', () => {
    const flow = new FlowModel();
    const d = delivery({ endpoint_id: 'ep_a' });
    const burst: StreamMessage[] = [created(event({ deliveries: [d] }))];
    for (let i = 0; i < MAX_DOTS + 40; i++) burst.push(attempted('evt_1', attempt(d.id)));
    flow.apply(burst, 0);
    expect(flow.dots.length).toBe(MAX_DOTS);
    expect(flow.skipped).toBe(41);
    expect(flow.tallies.get('ep_a')?.failed).toBe(MAX_DOTS + 40);
    flow.finish(flow.dots[0]!.id);
    expect(flow.dots.length).toBe(MAX_DOTS - 1);
    expect(flow.prune(DOT_LIFETIME_MS + 1)).toBe(true);
    expect(flow.dots).toEqual([]);
  });

  it('records tallies without dots when nobody watches', () => {
    const flow = new FlowModel();
    const d = delivery({ endpoint_id: 'ep_a' });
    flow.apply([created(event({ deliveries: [d] })), attempted('evt_1', attempt(d.id))], 0, false);
    expect(flow.dots).toEqual([]);
    expect(flow.tallies.get('ep_a')?.failed).toBe(1);
  });
});
