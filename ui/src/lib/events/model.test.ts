import { describe, expect, it } from 'vitest';
import {
  applyMessages,
  compareNewestFirst,
  insertSorted,
  mergeNames,
  mergePage,
  mergeRows,
  rowLatency,
  summaryMatches,
  withDelivery,
} from './model';
import { created, delivery, event, updated } from '../test/fixtures';

describe('applyMessages', () => {
  it('puts new events at the front, newest first', () => {
    const old = event({ created_at: '2026-01-01T00:00:00Z' });
    const a = event({ created_at: '2026-01-01T00:00:01Z' });
    const b = event({ created_at: '2026-01-01T00:00:02Z' });
    const result = applyMessages([old], [created(a), created(b)], {});
    expect(result.rows.map((r) => r.id)).toEqual([b.id, a.id, old.id]);
    expect(result.prepended).toBe(2);
  });

  it('places an event that arrives late below newer rows already shown', () => {
    const t = (s: number) => `2026-01-01T00:00:0${s}Z`;
    const [e1, e2, e3, e4] = [1, 2, 3, 4].map((s) => event({ created_at: t(s) })) as [
      ReturnType<typeof event>,
      ReturnType<typeof event>,
      ReturnType<typeof event>,
      ReturnType<typeof event>,
    ];
    const shown = applyMessages([e1], [created(e4), created(e2)], {}).rows;
    const result = applyMessages(shown, [created(e3)], {});
    expect(result.rows.map((r) => r.id)).toEqual([e4.id, e3.id, e2.id, e1.id]);
  });

  it('ignores an event it already holds', () => {
    const a = event();
    const result = applyMessages([a], [created(a), created(a)], {});
    expect(result.rows).toHaveLength(1);
    expect(result.prepended).toBe(0);
  });

  it('skips new events the filter does not match', () => {
    const paid = event({ event_name: 'order.paid' });
    const other = event({ event_name: 'user.created' });
    const result = applyMessages([], [created(paid), created(other)], { event_name: 'order.paid' });
    expect(result.rows.map((r) => r.id)).toEqual([paid.id]);
  });

  it('applies a delivery update to its row and the event status', () => {
    const d = delivery({ status: 'pending' });
    const row = event({ deliveries: [d] });
    const other = event();
    const rows = [other, row];
    const done = { ...d, status: 'succeeded' as const, attempt_count: 1, last_duration_ms: 42, updated_at: '2026-01-01T00:00:05Z' };
    const result = applyMessages(rows, [updated(row.id, done, 'succeeded')], {});
    expect(result.rows).not.toBe(rows);
    expect(result.updated).toBe(1);
    expect(result.rows[1]?.status).toBe('succeeded');
    expect(result.rows[1]?.deliveries[0]).toEqual(done);
    // Untouched rows keep their identity, so their components do not re-render.
    expect(result.rows[0]).toBe(other);
    // The input is not mutated.
    expect(rows[1]?.status).toBe('pending');
  });

  it('applies updates to an event created in the same batch', () => {
    const d = delivery();
    const e = event({ deliveries: [d] });
    const retrying = { ...d, status: 'retrying' as const, attempt_count: 1, updated_at: '2026-01-01T00:00:03Z' };
    const result = applyMessages([], [created(e), updated(e.id, retrying, 'retrying')], {});
    expect(result.rows[0]?.status).toBe('retrying');
    expect(result.rows[0]?.deliveries[0]?.attempt_count).toBe(1);
  });

  it('ignores an update older than the row', () => {
    const d = delivery({ status: 'succeeded', updated_at: '2026-01-01T00:00:09Z' });
    const row = event({ status: 'succeeded', deliveries: [d] });
    const stale = { ...d, status: 'retrying' as const, updated_at: '2026-01-01T00:00:02Z' };
    const result = applyMessages([row], [updated(row.id, stale, 'retrying')], {});
    expect(result.rows[0]).toBe(row);
    expect(result.updated).toBe(0);
  });

  it('returns the same array when nothing changed', () => {
    const rows = [event()];
    expect(applyMessages(rows, [], {}).rows).toBe(rows);
  });

  it('reports rows it does not hold that may now match a status filter', () => {
    const d = delivery({ status: 'failed' });
    const result = applyMessages([], [updated('evt_elsewhere', d, 'failed')], { status: 'failed' });
    expect(result.missing).toEqual(['evt_elsewhere']);
    expect(applyMessages([], [updated('evt_elsewhere', d, 'failed')], {}).missing).toEqual([]);
  });

  it('drops the oldest rows past the cap', () => {
    const rows = [event(), event()];
    const result = applyMessages(rows, [created(event({ created_at: '2026-02-01T00:00:00Z' }))], {}, 2);
    expect(result.rows).toHaveLength(2);
    expect(result.rows[1]).toBe(rows[0]);
  });
});

describe('mergeRows', () => {
  it('keeps each delivery as last updated and the newest status', () => {
    const d1 = delivery({ updated_at: '2026-01-01T00:00:01Z' });
    const d2 = delivery({ updated_at: '2026-01-01T00:00:01Z' });
    const fetched = event({ status: 'pending', deliveries: [d1, d2] });
    const live = { ...fetched, status: 'succeeded' as const, deliveries: [{ ...d1, status: 'succeeded' as const, updated_at: '2026-01-01T00:00:05Z' }] };
    for (const merged of [mergeRows(fetched, live), mergeRows(live, fetched)]) {
      expect(merged.status).toBe('succeeded');
      expect(merged.deliveries.map((d) => d.status)).toEqual(['succeeded', 'pending']);
    }
  });
});

describe('row helpers', () => {
  it('matches filters like the engine', () => {
    const e = event({ event_name: 'order.paid', status: 'failed', created_at: '2026-01-01T10:00:00Z', deliveries: [delivery({ endpoint_id: 'ep_X' })] });
    expect(summaryMatches({}, e)).toBe(true);
    expect(summaryMatches({ status: 'failed', endpoint_id: 'ep_X' }, e)).toBe(true);
    expect(summaryMatches({ status: 'succeeded' }, e)).toBe(false);
    expect(summaryMatches({ endpoint_id: 'ep_Y' }, e)).toBe(false);
    expect(summaryMatches({ since: '2026-01-01T09:00:00Z', until: '2026-01-01T11:00:00Z' }, e)).toBe(true);
    expect(summaryMatches({ since: '2026-01-01T10:00:01Z' }, e)).toBe(false);
  });

  it('adds a delivery it has not seen', () => {
    const e = event();
    const d = delivery();
    expect(withDelivery(e, d, 'pending').deliveries).toEqual([d]);
  });

  it('inserts a row at its place', () => {
    const newer = event({ created_at: '2026-01-03T00:00:00Z' });
    const older = event({ created_at: '2026-01-01T00:00:00Z' });
    const middle = event({ created_at: '2026-01-02T00:00:00Z' });
    expect(insertSorted([newer, older], middle).map((r) => r.id)).toEqual([newer.id, middle.id, older.id]);
    expect([older, newer].sort(compareNewestFirst)[0]).toBe(newer);
  });

  it('takes the slowest delivery as the row latency', () => {
    expect(rowLatency(event())).toBeNull();
    expect(rowLatency(event({ deliveries: [delivery({ last_duration_ms: 12 }), delivery({ last_duration_ms: 80 })] }))).toBe(80);
  });

  it('merges names without churn', () => {
    const names = ['a', 'c'];
    expect(mergeNames(names, ['c'])).toBe(names);
    expect(mergeNames(names, ['b'])).toEqual(['a', 'b', 'c']);
  });
});

describe('applyMessages under a search', () => {
  it('adds no new row itself but asks for a refetch when an event is created', () => {
    const fresh = event();
    const result = applyMessages([], [created(fresh)], { q: 'cus_42' });
    expect(result.rows).toEqual([]);
    expect(result.refresh).toBe(true);
  });

  it('asks for a refetch when a row it does not hold gets a delivery update', () => {
    const result = applyMessages([], [updated('evt_elsewhere', delivery({ status: 'failed' }), 'failed')], { q: 'cus_42' });
    expect(result.refresh).toBe(true);
    expect(result.missing).toEqual([]); // only the engine can tell whether it matches
  });

  it('keeps held rows live without a refetch', () => {
    const d = delivery();
    const held = event({ deliveries: [d] });
    const done = { ...d, status: 'succeeded' as const, updated_at: '2026-01-01T00:00:05Z' };
    const result = applyMessages([held], [updated(held.id, done, 'succeeded'), created(held)], { q: 'cus_42' });
    expect(result.rows[0]?.status).toBe('succeeded');
    expect(result.refresh).toBe(false);
  });

  it('never asks for a refetch without a search', () => {
    const result = applyMessages([], [created(event()), updated('evt_x', delivery(), 'pending')], {});
    expect(result.refresh).toBe(false);
  });
});

describe('mergePage', () => {
  const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}Z`;

  it('puts new matches above the rows shown, newest first', () => {
    const old = event({ created_at: at(1) });
    const a = event({ created_at: at(2) });
    const b = event({ created_at: at(3) });
    const result = mergePage([old], [b, a, old]);
    expect(result.rows.map((r) => r.id)).toEqual([b.id, a.id, old.id]);
    expect(result).toMatchObject({ added: 2, prepended: 2, updated: 0 });
  });

  it('slots a match older than the newest row at its place', () => {
    const [e1, e2, e3] = [1, 2, 3].map((s) => event({ created_at: at(s) })) as [
      ReturnType<typeof event>,
      ReturnType<typeof event>,
      ReturnType<typeof event>,
    ];
    const result = mergePage([e3, e1], [e3, e2, e1]);
    expect(result.rows.map((r) => r.id)).toEqual([e3.id, e2.id, e1.id]);
    expect(result).toMatchObject({ added: 1, prepended: 0 });
  });

  it('keeps the identity of rows the page does not change, and the array when nothing changes', () => {
    const a = event({ created_at: at(2) });
    const b = event({ created_at: at(1) });
    const rows = [a, b];
    const result = mergePage(rows, [{ ...a }, { ...b }]);
    expect(result.rows).toBe(rows);
    expect(result.updated).toBe(0);
  });

  it('keeps a live update newer than the fetched view, and takes a newer fetched one', () => {
    const d1 = delivery({ endpoint_id: 'ep_A' });
    const d2 = delivery({ endpoint_id: 'ep_B' });
    const live = event({
      status: 'succeeded',
      deliveries: [{ ...d1, status: 'succeeded', updated_at: at(9) }, d2],
    });
    const fetched = { ...live, status: 'failed' as const, deliveries: [d1, { ...d2, status: 'failed' as const, updated_at: at(5) }] };
    const result = mergePage([live], [fetched]);
    const row = result.rows[0];
    expect(row?.deliveries.find((d) => d.id === d1.id)?.status).toBe('succeeded');
    expect(row?.deliveries.find((d) => d.id === d2.id)?.status).toBe('failed');
    expect(result.updated).toBe(1);
    expect(result.added).toBe(0);
  });

  it('drops the oldest rows beyond the cap', () => {
    const old = event({ created_at: at(1) });
    const fresh = event({ created_at: at(2) });
    const result = mergePage([old], [fresh], 1);
    expect(result.rows.map((r) => r.id)).toEqual([fresh.id]);
  });
});
