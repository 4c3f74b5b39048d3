import { describe, expect, it } from 'vitest';
import type { JobsApi } from '../api/calls';
import type { JobOut } from '../api/types';
import { JobWatcher, jobProgress, jobSummary } from './job.svelte';

const job = (patch: Partial<JobOut> = {}): JobOut => ({
  id: 'job_1',
  kind: 'retry_failed',
  state: 'running',
  total: 4,
  done: 0,
  succeeded: 0,
  failed: 0,
  started_at: '2026-01-01T00:00:00Z',
  ...patch,
});

function fakeApi(answers: JobOut[]) {
  const calls: string[] = [];
  const api: JobsApi = {
    getJob: async (id) => {
      calls.push(`get ${id}`);
      return answers.shift() ?? job({ state: 'finished', done: 4, succeeded: 4 });
    },
    cancelJob: async (id) => {
      calls.push(`cancel ${id}`);
      return job({ state: 'cancelled', done: 2, succeeded: 2 });
    },
  };
  return { api, calls };
}

describe('job watcher', () => {
  it('polls until the job finishes, showing each step', async () => {
    const { api, calls } = fakeApi([job({ done: 2, succeeded: 1, failed: 1 }), job({ state: 'finished', done: 4, succeeded: 3, failed: 1 })]);
    const seen: number[] = [];
    const watcher: JobWatcher = new JobWatcher(() => api, { sleep: async () => { seen.push(watcher.progress); } });
    const end = await watcher.watch(job());
    expect(end.state).toBe('finished');
    expect(calls).toEqual(['get job_1', 'get job_1']);
    expect(seen).toEqual([0, 0.5]);
    expect(watcher.running).toBe(false);
    expect(jobSummary(end)).toBe('Done: 3 succeeded, 1 failed');
  });

  it('does not poll a job that already ended', async () => {
    const { api, calls } = fakeApi([]);
    const watcher = new JobWatcher(() => api, { sleep: async () => {} });
    await watcher.watch(job({ state: 'finished', total: 0 }));
    expect(calls).toEqual([]);
    expect(watcher.progress).toBe(1);
  });

  it('cancels, and stops polling once the job says cancelled', async () => {
    const { api, calls } = fakeApi([job({ done: 1 }), job({ done: 2 })]);
    let ticks = 0;
    const watcher: JobWatcher = new JobWatcher(() => api, {
      sleep: async () => {
        if (++ticks === 2) await watcher.cancel();
      },
    });
    const end = await watcher.watch(job());
    expect(calls).toEqual(['get job_1', 'cancel job_1']);
    expect(end.state).toBe('cancelled');
    expect(jobSummary(job({ state: 'cancelled', done: 2, total: 4, succeeded: 2 }))).toBe('Cancelled after 2 of 4 · 2 succeeded, 0 failed');
  });

  it('reset stops a watch in progress', async () => {
    const { api, calls } = fakeApi([job({ done: 1 })]);
    const watcher: JobWatcher = new JobWatcher(() => api, { sleep: async () => { watcher.reset(); } });
    await watcher.watch(job());
    expect(calls).toEqual([]);
    expect(watcher.job).toBeNull();
    expect(jobProgress({ done: 5, total: 4 })).toBe(1);
  });
});
