import { describe, expect, it } from 'vitest';
import { coalesce } from './coalesce';

describe('coalesce', () => {
  it('folds calls made during a run into one more run', async () => {
    let runs = 0;
    let release: () => void = () => {};
    const task = coalesce(async () => {
      runs++;
      await new Promise<void>((r) => (release = r));
    });
    const first = task();
    void task();
    void task();
    expect(runs).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    release();
    await first;
    expect(runs).toBe(2);
  });

  it('runs again for a call after the previous run ended', async () => {
    let runs = 0;
    const task = coalesce(async () => {
      runs++;
    });
    await task();
    await task();
    expect(runs).toBe(2);
  });

  it('runs again after a failed run', async () => {
    let runs = 0;
    const task = coalesce(async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    });
    await expect(task()).rejects.toThrow('boom');
    await task();
    expect(runs).toBe(2);
  });
});
