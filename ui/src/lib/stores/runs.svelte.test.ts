import { describe, expect, it } from 'vitest';
import type { RunsApi } from '../api/calls';
import type { RunOut, RunSummary } from '../api/types';
import { RunsStore } from './runs.svelte';

const ID = 'run_01JDQ8W6S4Z6R4D2Y7B9X3K5M1';
const run = (patch: Partial<RunOut> = {}): RunOut => ({
  id: ID,
  state: 'running',
  target: 'http://127.0.0.1:1/x',
  total: 4,
  done: 0,
  passed: 0,
  failed: 0,
  skipped: 0,
  started_at: '2026-01-01T00:00:00Z',
  report: null,
  ...patch,
});
const updated = (r: RunSummary) => ({ type: 'run_updated' as const, run: r });
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A fake API whose GETs answer when the test says, with what the server has then. */
function fakeApi() {
  let server = run();
  const pending: (() => void)[] = [];
  const api: RunsApi = {
    listRuns: async () => [server],
    getRun: () =>
      new Promise((resolve) => {
        const snapshot = server; // what the server had when it answered
        pending.push(() => resolve(snapshot));
      }),
    startRun: async () => server,
    cancelRun: async () => server,
  };
  return {
    api,
    set: (r: RunOut) => (server = r),
    answerAll: async () => {
      while (pending.length) {
        pending.shift()?.();
        await tick();
      }
    },
  };
}

describe('RunsStore', () => {
  it('shows progress from run.updated at once and refetches the cases', async () => {
    const fake = fakeApi();
    const store = new RunsStore(() => fake.api);
    await store.start({ target: { url: 'http://127.0.0.1:1/x' } });
    const progressed = run({ done: 2, passed: 2 });
    fake.set(progressed);
    store.applyBatch([updated(progressed)]);
    expect(store.current?.done).toBe(2);
    expect(store.list[0]?.done).toBe(2);
    await fake.answerAll();
    expect(store.current?.done).toBe(2);
  });

  it('does not stay on a stale answer when the run ended while the GET was in flight', async () => {
    const fake = fakeApi();
    const store = new RunsStore(() => fake.api);
    fake.set(run({ done: 3, passed: 3 }));
    const opening = store.open(ID); // answered with done: 3, running
    const finished = run({ state: 'finished', done: 4, passed: 4, finished_at: '2026-01-01T00:00:01Z' });
    store.applyBatch([updated(finished)]); // the last message, before the GET's answer
    fake.set(finished);
    await fake.answerAll();
    await opening;
    await fake.answerAll();
    expect(store.current?.state).toBe('finished');
    expect(store.current?.done).toBe(4);
  });

  it('shows a run that ended before the answer to its start was read as ended', async () => {
    const fake = fakeApi();
    const store = new RunsStore(() => fake.api);
    const finished = run({ state: 'finished', done: 4, failed: 4, finished_at: '2026-01-01T00:00:01Z' });
    let answer: (r: RunOut) => void = () => {};
    fake.api.startRun = () => new Promise((resolve) => (answer = resolve));
    const starting = store.start({ target: { url: 'https://127.0.0.1:9/x' } });
    // Every case was refused at once: the stream tells of the end before the 202 is read.
    store.applyBatch([updated(run({ done: 1, failed: 1 })), updated(finished)]);
    fake.set(finished);
    answer(run());
    await starting;
    expect(store.list[0]?.state).toBe('finished');
    await fake.answerAll();
    expect(store.current?.state).toBe('finished');
    expect(store.current?.done).toBe(4);
  });

  it('lists a run started elsewhere from its first message, newest first', () => {
    const store = new RunsStore(() => fakeApi().api);
    store.applyBatch([updated(run({ id: 'run_A' as RunOut['id'] })), updated(run({ id: 'run_B' as RunOut['id'] }))]);
    expect(store.list.map((r) => r.id)).toEqual(['run_B', 'run_A']);
  });
});
