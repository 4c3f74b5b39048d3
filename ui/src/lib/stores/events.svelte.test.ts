import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventsStore } from './events.svelte';
import type { EventsApi } from '../api/calls';
import type { EventPage, EventsQuery, EventSummary } from '../api/types';
import { Batcher } from '../events/stream';
import { created, delivery, event, eventOut, manualScheduler, updated } from '../test/fixtures';
import type { StreamMessage } from '../api/types';

function fakeApi(pages: EventPage[]) {
  const queries: EventsQuery[] = [];
  const api: EventsApi = {
    listEvents: vi.fn(async (query: EventsQuery) => {
      queries.push(query);
      return pages.shift() ?? { data: [], next_cursor: null };
    }),
    getEvent: vi.fn(async (id: string) => eventOut(event({ id, status: 'failed' }))),
  };
  return { api, queries };
}

describe('EventsStore', () => {
  it('loads the first page with the filter as query parameters', async () => {
    const rows = [event(), event()];
    const { api, queries } = fakeApi([{ data: rows, next_cursor: 'c1' }]);
    const store = new EventsStore(() => api, { pageSize: 50 });
    await store.load({ status: 'failed', event_name: 'order.paid' });
    expect(queries[0]).toEqual({ limit: 50, status: 'failed', event_name: 'order.paid' });
    expect(store.rows).toEqual(rows);
    expect(store.nextCursor).toBe('c1');
    expect(store.loaded).toBe(true);
    expect(store.names).toEqual(['order.created']);
  });

  it('appends older pages with the cursor', async () => {
    const first = [event({ created_at: '2026-01-02T00:00:00Z' })];
    const older = [event({ created_at: '2026-01-01T00:00:00Z' })];
    const { api, queries } = fakeApi([
      { data: first, next_cursor: 'c1' },
      { data: older, next_cursor: null },
    ]);
    const store = new EventsStore(() => api);
    await store.load();
    await store.loadMore();
    expect(queries[1]?.cursor).toBe('c1');
    expect(store.rows.map((r) => r.id)).toEqual([first[0]?.id, older[0]?.id]);
    expect(store.lastChange).toBe('append');
    expect(store.nextCursor).toBeNull();
    await store.loadMore(); // no cursor: nothing to do
    expect(queries).toHaveLength(2);
  });

  it('marks a reload of the same filter apart from a load of a new one', async () => {
    const { api, queries } = fakeApi([
      { data: [event()], next_cursor: null },
      { data: [event(), event()], next_cursor: null },
    ]);
    const store = new EventsStore(() => api);
    await store.load({ status: 'failed' });
    expect(store.lastChange).toBe('reset');
    await store.reload();
    expect(queries[1]).toEqual(queries[0]);
    expect(store.rows).toHaveLength(2);
    expect(store.lastChange).toBe('reload');
  });

  it('applies event.created and delivery.updated batches', async () => {
    const d = delivery({ endpoint_id: 'ep_A' });
    const existing = event({ deliveries: [d] });
    const { api } = fakeApi([{ data: [existing], next_cursor: null }]);
    const store = new EventsStore(() => api);
    await store.load();

    const fresh = event({ event_name: 'user.signup', created_at: '2026-01-05T00:00:00Z' });
    store.applyBatch([
      created(fresh),
      updated(existing.id, { ...d, status: 'succeeded', attempt_count: 1, updated_at: '2026-01-05T00:00:00Z' }, 'succeeded'),
    ]);
    expect(store.rows.map((r) => r.id)).toEqual([fresh.id, existing.id]);
    expect(store.rows[1]?.status).toBe('succeeded');
    expect(store.lastChange).toBe('prepend');
    expect(store.lastPrepended).toBe(1);
    expect(store.names).toEqual(['order.created', 'user.signup']);

    store.applyBatch([updated(fresh.id, delivery(), 'pending')]);
    expect(store.lastChange).toBe('update');
  });

  it('batches a burst of stream messages into one store update per frame', async () => {
    const { api } = fakeApi([{ data: [], next_cursor: null }]);
    const store = new EventsStore(() => api);
    await store.load();
    const frames = manualScheduler();
    const apply = vi.spyOn(store, 'applyBatch');
    const batcher = new Batcher<StreamMessage>((batch) => store.applyBatch(batch), frames.schedule);
    for (let i = 0; i < 500; i++) batcher.push(created(event({ created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() })));
    expect(store.rows).toHaveLength(0);
    frames.runAll();
    expect(apply).toHaveBeenCalledTimes(1);
    expect(store.rows).toHaveLength(500);
    expect(store.rows[0]?.created_at).toBe('2026-01-01T00:08:19.000Z'); // newest first
  });

  it('holds back messages that arrive while a page loads, then applies them on top', async () => {
    const existing = event();
    let release: (page: EventPage) => void = () => {};
    const api: EventsApi = {
      listEvents: () => new Promise((resolve) => (release = resolve)),
      getEvent: vi.fn(),
    };
    const store = new EventsStore(() => api);
    const loading = store.load();
    const fresh = event({ created_at: '2026-01-09T00:00:00Z' });
    store.applyBatch([created(fresh)]);
    expect(store.rows).toHaveLength(0);
    release({ data: [existing], next_cursor: null });
    await loading;
    expect(store.rows.map((r) => r.id)).toEqual([fresh.id, existing.id]);
  });

  it('fetches an event that newly matches a status filter', async () => {
    const { api } = fakeApi([{ data: [], next_cursor: null }]);
    const store = new EventsStore(() => api);
    await store.load({ status: 'failed' });
    store.applyBatch([updated('evt_late', delivery({ status: 'failed' }), 'failed')]);
    await vi.waitFor(() => expect(store.rows.map((r) => r.id)).toEqual(['evt_late']));
    expect(api.getEvent).toHaveBeenCalledWith('evt_late');
  });

  it('shows an API error instead of rows', async () => {
    const api: EventsApi = {
      listEvents: async () => {
        throw new Error('boom');
      },
      getEvent: vi.fn(),
    };
    const store = new EventsStore(() => api);
    await store.load();
    expect(store.error).toBe('boom');
    expect(store.loading).toBe(false);
  });

  describe('under a search', () => {
    afterEach(() => vi.useRealTimers());

    it('refetches the first page when events arrive, at most once a second, and merges new matches', async () => {
      vi.useFakeTimers();
      const shown = event({ created_at: '2026-01-01T00:00:00Z' });
      const match1 = event({ created_at: '2026-01-01T00:00:01Z' });
      const match2 = event({ created_at: '2026-01-01T00:00:02Z' });
      const { api, queries } = fakeApi([
        { data: [shown], next_cursor: 'c1' },
        { data: [match1, shown], next_cursor: 'c1' },
        { data: [match2, match1, shown], next_cursor: 'c1' },
      ]);
      const store = new EventsStore(() => api, { pageSize: 50 });
      await store.load({ q: 'cus_42' });

      store.applyBatch([created(match1), created(event())]);
      expect(store.rows).toEqual([shown]); // the stream alone cannot tell what matches
      await vi.advanceTimersByTimeAsync(0);
      expect(queries[1]).toEqual({ limit: 50, q: 'cus_42' });
      expect(store.rows.map((r) => r.id)).toEqual([match1.id, shown.id]);
      expect(store.lastChange).toBe('prepend');
      expect(store.lastPrepended).toBe(1);

      // A burst within the second: one more request, when the second is up.
      for (let i = 0; i < 20; i++) store.applyBatch([created(event()), updated(`evt_other${i}`, delivery(), 'pending')]);
      await vi.advanceTimersByTimeAsync(500);
      expect(queries).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(500);
      expect(queries).toHaveLength(3);
      expect(store.rows.map((r) => r.id)).toEqual([match2.id, match1.id, shown.id]);
      expect(store.nextCursor).toBe('c1'); // paging on still goes below the first load
    });

    it('reads on past the first page until it reaches the rows it holds', async () => {
      vi.useFakeTimers();
      const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}Z`;
      const shown = event({ created_at: at(0) });
      // Five new matches within one refetch interval, read two to a page, newest first.
      const matches = [5, 4, 3, 2, 1].map((second) => event({ created_at: at(second) }));
      const { api, queries } = fakeApi([
        { data: [shown], next_cursor: null },
        { data: matches.slice(0, 2), next_cursor: 'p2' },
        { data: matches.slice(2, 4), next_cursor: 'p3' },
        { data: [matches[4] as EventSummary, shown], next_cursor: 'p4' },
      ]);
      const store = new EventsStore(() => api, { pageSize: 2 });
      await store.load({ q: 'cus_42' });

      store.applyBatch(matches.map((m) => created(m)));
      await vi.advanceTimersByTimeAsync(0);
      expect(queries.slice(1).map((q) => q.cursor)).toEqual([undefined, 'p2', 'p3']);
      expect(store.rows.map((r) => r.id)).toEqual([...matches, shown].map((r) => r.id));
      expect(store.lastPrepended).toBe(5);
      expect(store.nextCursor).toBeNull(); // the held rows' own paging is unchanged
    });

    it('reloads when more matched than the refetch reads, rather than leave a gap', async () => {
      vi.useFakeTimers();
      const shown = event({ created_at: '2026-01-01T00:00:00Z' });
      const newer = () => event({ created_at: '2026-01-01T00:01:00Z' });
      const page = (cursor: string) => ({ data: [newer()], next_cursor: cursor });
      const newest = newer();
      const { api, queries } = fakeApi([
        { data: [shown], next_cursor: null },
        ...Array.from({ length: 10 }, (_, i) => page(`p${i + 2}`)),
        { data: [newest], next_cursor: 'older' },
      ]);
      const store = new EventsStore(() => api, { pageSize: 1 });
      await store.load({ q: 'cus_42' });
      store.applyBatch([created(newest)]);
      await vi.advanceTimersByTimeAsync(0);
      expect(queries).toHaveLength(12); // the load, ten refetch pages, then a fresh load
      expect(queries[11]).toEqual({ limit: 1, q: 'cus_42' });
      expect(store.rows.map((r) => r.id)).toEqual([newest.id]);
      expect(store.nextCursor).toBe('older');
    });

    it('keeps one refetch in flight, and drops its answer after the filter changes', async () => {
      vi.useFakeTimers();
      const releases: ((page: EventPage) => void)[] = [];
      const queries: EventsQuery[] = [];
      const api: EventsApi = {
        listEvents: (query) => {
          queries.push(query);
          if (queries.length === 1) return Promise.resolve({ data: [], next_cursor: null });
          return new Promise((resolve) => releases.push(resolve));
        },
        getEvent: vi.fn(),
      };
      const store = new EventsStore(() => api);
      await store.load({ q: 'cus_42' });
      store.applyBatch([created(event())]);
      await vi.advanceTimersByTimeAsync(0);
      store.applyBatch([created(event())]);
      await vi.advanceTimersByTimeAsync(5000);
      expect(queries).toHaveLength(2); // the first refetch has not answered yet

      const cleared = store.load({});
      const [stale, reload] = releases;
      reload?.({ data: [], next_cursor: null });
      await cleared;
      stale?.({ data: [event()], next_cursor: null }); // answers after the new load
      await vi.advanceTimersByTimeAsync(5000);
      expect(store.rows).toEqual([]);
      expect(queries.map((q) => q.q)).toEqual(['cus_42', 'cus_42', undefined]);
    });
  });
});
