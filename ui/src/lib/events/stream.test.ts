import { describe, expect, it, vi } from 'vitest';
import { Batcher, StreamHub, type EventSourceLike } from './stream';
import type { StreamMessage } from '../api/types';
import { created, delivery, event, manualScheduler, updated } from '../test/fixtures';

describe('Batcher', () => {
  it('delivers everything pushed before a frame as one batch', () => {
    const clock = manualScheduler();
    const batches: number[][] = [];
    const b = new Batcher<number>((batch) => batches.push(batch), clock.schedule);
    b.push(1);
    b.push(2);
    b.push(3);
    expect(clock.pending).toBe(1); // one frame requested, not three
    expect(batches).toEqual([]);
    clock.runAll();
    expect(batches).toEqual([[1, 2, 3]]);
    b.push(4);
    clock.runAll();
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('can drop what is queued', () => {
    const clock = manualScheduler();
    const deliver = vi.fn();
    const b = new Batcher<number>(deliver, clock.schedule);
    b.push(1);
    b.clear();
    clock.runAll();
    expect(deliver).not.toHaveBeenCalled();
    expect(b.pending).toBe(0);
  });
});

class FakeSource implements EventSourceLike {
  readyState = 0;
  onerror: ((event: Event) => void) | null = null;
  onopen: ((event: Event) => void) | null = null;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  closed = false;
  addEventListener(type: string, listener: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data: unknown) {
    for (const l of this.listeners.get(type) ?? []) l({ data: JSON.stringify(data) } as MessageEvent);
  }
}

describe('StreamHub', () => {
  function setup() {
    const clock = manualScheduler();
    const sources: FakeSource[] = [];
    const states: string[] = [];
    const hub = new StreamHub({
      url: 'http://127.0.0.1:1/api/v1/stream?token=t',
      schedule: clock.schedule,
      createSource: () => {
        const s = new FakeSource();
        sources.push(s);
        return s;
      },
      onState: (s) => states.push(s),
    });
    const batches: (readonly StreamMessage[])[] = [];
    const resyncs = vi.fn();
    hub.subscribe({ onBatch: (b) => batches.push(b), onResync: resyncs });
    hub.start();
    return { clock, sources, states, hub, batches, resyncs };
  }

  it('parses named SSE messages and hands them over once per frame', () => {
    const { clock, sources, batches, states } = setup();
    const src = sources[0] as FakeSource;
    src.emit('ready', {});
    expect(states.at(-1)).toBe('live');
    const e = event();
    src.emit('event.created', created(e));
    src.emit('delivery.updated', updated(e.id, delivery(), 'pending'));
    expect(batches).toHaveLength(0);
    clock.runAll();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((m) => m.type)).toEqual(['event_created', 'delivery_updated']);
  });

  it('asks for a reload on resync and on a reconnect, not on the first ready', () => {
    const { sources, resyncs, clock, batches } = setup();
    const src = sources[0] as FakeSource;
    src.emit('ready', {});
    expect(resyncs).not.toHaveBeenCalled();
    src.emit('event.created', created(event()));
    src.emit('resync', { missed: 3 });
    expect(resyncs).toHaveBeenCalledTimes(1);
    clock.runAll();
    expect(batches).toHaveLength(0); // the reload supersedes what was queued
    src.onerror?.(new Event('error')); // the browser reconnects by itself…
    src.emit('ready', {}); // …and says ready again
    expect(resyncs).toHaveBeenCalledTimes(2);
  });

  it('asks for a reload when the log was cleared elsewhere', () => {
    const { sources, resyncs } = setup();
    const src = sources[0] as FakeSource;
    src.emit('ready', {});
    src.emit('events.cleared', { type: 'events_cleared', deleted_events: 4 });
    expect(resyncs).toHaveBeenCalledTimes(1);
  });

  it('ignores malformed data', () => {
    const { sources, clock, batches } = setup();
    for (const l of (sources[0] as FakeSource).listeners.get('event.created') ?? []) l({ data: '{nope' } as MessageEvent);
    clock.runAll();
    expect(batches).toHaveLength(0);
  });

  it('stops cleanly', () => {
    const { sources, hub, states } = setup();
    hub.stop();
    expect((sources[0] as FakeSource).closed).toBe(true);
    expect(states.at(-1)).toBe('closed');
  });
});
