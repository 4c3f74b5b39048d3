import { describe, expect, it } from 'vitest';
import type { ErrorClassCounts, Stats, StatsBucket } from '../api/types';
import { attemptColumns, classesSeen, errorClassRows, latencyColumns, rateText, stack } from './chart';
import { verdictOf } from './verify';

const none: ErrorClassCounts = { timeout: 0, connect: 0, dns: 0, tls: 0, status: 0, redirect: 0, body: 0 };
const bucket = (start: string, patch: Partial<StatsBucket> = {}): StatsBucket => ({
  start,
  attempts: 0,
  succeeded: 0,
  failed: 0,
  error_classes: none,
  p95_ms: null,
  ...patch,
});
const totals = { attempts: 3, succeeded: 2, failed: 1, error_classes: { ...none, status: 1 }, success_rate: 2 / 3 };
const stats: Stats = {
  since: '2026-01-01T00:00:00Z',
  until: '2026-01-01T00:03:00Z',
  bucket_s: 60,
  overall: totals,
  endpoints: [],
  series: [
    bucket('2026-01-01T00:00:00Z', { attempts: 2, succeeded: 1, failed: 1, p95_ms: 120, error_classes: { ...none, status: 1 } }),
    bucket('2026-01-01T00:01:00Z'),
    bucket('2026-01-01T00:02:00Z', { attempts: 1, succeeded: 1, p95_ms: 40 }),
  ],
};

describe('stats to chart columns', () => {
  it('maps attempts per bucket with x in unix seconds, stacked: total then succeeded', () => {
    expect(attemptColumns(stats)).toEqual([
      [1767225600, 1767225660, 1767225720],
      [2, 0, 1],
      [1, 0, 1],
    ]);
  });

  it('leaves a gap in latency where a bucket had no attempts', () => {
    expect(latencyColumns(stats)[1]).toEqual([120, null, 40]);
  });

  it('stacks rows as running sums', () => {
    expect(stack([[1, 2], [3, 0], [1, 1]])).toEqual([[1, 2], [4, 2], [5, 3]]);
  });

  it('lists error classes seen, most frequent first, and the buckets that had any', () => {
    expect(classesSeen({ ...none, timeout: 1, status: 4 })).toEqual(['status', 'timeout']);
    const rows = errorClassRows(stats, ['status']);
    expect(rows).toEqual([{ start: Date.parse('2026-01-01T00:00:00Z'), counts: [1], total: 1 }]);
  });

  it('writes rates', () => {
    expect(rateText(null)).toBe('—');
    expect(rateText(1)).toBe('100%');
    expect(rateText(2 / 3)).toBe('66.7%');
  });
});

describe('verify verdicts', () => {
  it('explains each reason in plain words', () => {
    expect(verdictOf({ valid: true, reason: 'ok', message: '' }).tone).toBe('ok');
    expect(verdictOf({ valid: false, reason: 'stale_timestamp', message: '' }).title).toBe('Stale timestamp');
    expect(verdictOf({ valid: false, reason: 'mismatch', message: '' }).title).toMatch(/wrong secret/i);
    expect(verdictOf({ valid: false, reason: 'body_reformatted', message: '' }).title).toMatch(/re-formatted/);
    expect(verdictOf({ valid: false, reason: 'something_new', message: 'Engine says why' }).detail).toBe('Engine says why');
  });
});
