import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Throttle } from './throttle';

/** A task whose runs the test finishes by hand. */
function manualTask() {
  const pending: (() => void)[] = [];
  let started = 0;
  const task = () =>
    new Promise<void>((resolve) => {
      started++;
      pending.push(resolve);
    });
  return {
    task,
    get started() {
      return started;
    },
    async finish() {
      pending.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

describe('Throttle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs the first request at once', async () => {
    const t = manualTask();
    new Throttle(t.task, 1000).request();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.started).toBe(1);
  });

  it('runs at most once per interval, folding a burst of requests into one run', async () => {
    const t = manualTask();
    const throttle = new Throttle(t.task, 1000);
    throttle.request();
    await vi.advanceTimersByTimeAsync(0);
    await t.finish();
    for (let i = 0; i < 50; i++) throttle.request();
    await vi.advanceTimersByTimeAsync(999);
    expect(t.started).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.started).toBe(2);
    await t.finish();
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.started).toBe(2); // nothing asked since
  });

  it('never starts a run while one is in flight, and runs once more after it when asked meanwhile', async () => {
    const t = manualTask();
    const throttle = new Throttle(t.task, 1000);
    throttle.request();
    await vi.advanceTimersByTimeAsync(0);
    throttle.request();
    throttle.request();
    await vi.advanceTimersByTimeAsync(3000); // the first run is slow
    expect(t.started).toBe(1);
    expect(throttle.busy).toBe(true);
    await t.finish(); // a whole interval has passed since it started: the next run starts now
    expect(t.started).toBe(2);
    await t.finish();
    expect(throttle.busy).toBe(false);
  });

  it('keeps running after a failed run', async () => {
    let runs = 0;
    const throttle = new Throttle(async () => {
      runs++;
      throw new Error('offline');
    }, 1000);
    throttle.request();
    await vi.advanceTimersByTimeAsync(0);
    throttle.request();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
  });

  it('drops a pending run on cancel', async () => {
    const t = manualTask();
    const throttle = new Throttle(t.task, 1000);
    throttle.request();
    throttle.cancel();
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.started).toBe(0);
    expect(throttle.busy).toBe(false);
  });
});
