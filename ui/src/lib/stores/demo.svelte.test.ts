import { describe, expect, it } from 'vitest';
import type { DemoApi } from '../api/calls';
import { ApiError } from '../api/client';
import type { DemoOut, StreamMessage } from '../api/types';
import { attempt, created, delivery, event } from '../test/fixtures';
import { DemoStore } from './demo.svelte';

const WARP = { factor: 3600, enabled: true, since: '2026-01-01T00:00:00Z' };
const OFF = { factor: 1, enabled: false, since: null };

const demo = (patch: Partial<DemoOut> = {}): DemoOut => ({
  running: true,
  active: true,
  started_at: '2026-01-01T00:00:00Z',
  events_sent: 0,
  catchers: ['cat_1'],
  endpoints: ['ep_demo'],
  interval_ms: 1200,
  time_warp: WARP,
  ...patch,
});

function fakeApi() {
  const calls: string[] = [];
  const api: DemoApi = {
    getDemo: async () => demo({ running: false, active: false, endpoints: [], catchers: [], time_warp: OFF }),
    startDemo: async (ms) => {
      calls.push(`start ${ms ?? ''}`);
      return demo();
    },
    stopDemo: async () => demo({ running: false }),
    resetDemo: async () => ({ deleted_catchers: 4, deleted_endpoints: 4, deleted_events: 1234, time_warp: OFF }),
  };
  return { api, calls };
}

describe('DemoStore', () => {
  it('counts demo events between the engine’s announcements and takes its count when it comes', async () => {
    const { api } = fakeApi();
    const store = new DemoStore(() => api);
    await store.start();
    expect(store.timeWarp?.factor).toBe(3600);
    const toDemo = created(event({ deliveries: [delivery({ endpoint_id: 'ep_demo' })] }));
    const toOther = created(event({ deliveries: [delivery({ endpoint_id: 'ep_user' })] }));
    store.applyBatch([toDemo, toDemo, toOther]);
    expect(store.state?.events_sent).toBe(2);
    const announced: StreamMessage = { type: 'demo_changed', demo: demo({ events_sent: 10 }) };
    store.applyBatch([announced]);
    expect(store.state?.events_sent).toBe(10);
  });

  it('tallies attempts, makes dots only while watched, and a reset clears them and says what went', async () => {
    const { api } = fakeApi();
    const store = new DemoStore(() => api);
    await store.start();
    const d = delivery({ endpoint_id: 'ep_demo' });
    store.applyBatch([created(event({ deliveries: [d] })), { type: 'attempt_created', event_id: 'evt_1', attempt: attempt(d.id) }]);
    expect(store.dots).toEqual([]);
    expect(store.tallies.get('ep_demo')?.failed).toBe(1);
    store.watching = true;
    store.applyBatch([{ type: 'attempt_created', event_id: 'evt_1', attempt: attempt(d.id) }]);
    expect(store.dots.map((dot) => dot.outcome)).toEqual(['failed']);
    await store.reset();
    expect(store.tallies.size).toBe(0);
    expect(store.dots).toEqual([]);
    expect(store.notice).toBe('Removed 4 catchers, 4 endpoints and 1,234 events.');
    expect(store.state?.active).toBe(false);
    expect(store.timeWarp?.enabled).toBe(false);
  });

  it('shows the engine’s refusal', async () => {
    const { api } = fakeApi();
    api.startDemo = async () => {
      throw new ApiError(409, 'name_taken', 'a catcher named "demo-slow" already exists');
    };
    const store = new DemoStore(() => api);
    await store.start();
    expect(store.error).toContain('demo-slow');
    expect(store.busy).toBeNull();
  });
});
