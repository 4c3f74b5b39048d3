import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCountdown,
  formatDelay,
  formatDuration,
  formatListTime,
  formatPercent,
  formatRelative,
  shortId,
} from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [12.4, '12 ms'],
    [999, '999 ms'],
    [1000, '1 s'],
    [1234, '1.23 s'],
    [1500, '1.5 s'],
    [9999, '10 s'],
    [45_000, '45 s'],
    [65_000, '1m 05s'],
    [3_599_000, '59m 59s'],
    [3_600_000, '1h 00m'],
    [7_380_000, '2h 03m'],
    [90_000_000, '1d 1h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('has a dash for nothing', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('relative times', () => {
  const now = Date.parse('2026-03-04T12:00:00Z');
  it.each([
    [now - 1000, 'just now'],
    [now - 12_000, '12s ago'],
    [now - 5 * 60_000, '5m ago'],
    [now - 3 * 3_600_000, '3h ago'],
    [now - 2 * 86_400_000, '2d ago'],
    [now + 90_000, 'in 1m'],
  ])('%d → %s', (then, text) => {
    expect(formatRelative(then, now)).toBe(text);
  });

  it('counts down to a scheduled moment', () => {
    expect(formatCountdown(now + 4 * 60_000 + 5_000, now)).toBe('in 4m 05s');
    expect(formatCountdown(now + 1_200, now)).toBe('in 2 s');
    expect(formatCountdown(now + 30_000, now)).toBe('in 30 s');
    expect(formatCountdown(now - 10, now)).toBe('due now');
  });

  it('shows only the time for today and adds the date otherwise', () => {
    const local = new Date(2026, 2, 4, 14, 3, 27).getTime();
    expect(formatListTime(local, new Date(2026, 2, 4, 18, 0, 0).getTime())).toBe('14:03:27');
    expect(formatListTime(local, new Date(2026, 2, 6, 9, 0, 0).getTime())).toBe('Mar 4 14:03:27');
  });
});

describe('other formats', () => {
  it('formats retry delays compactly', () => {
    expect([5, 300, 1800, 7200, 18000, 36000].map(formatDelay)).toEqual(['5s', '5m', '30m', '2h', '5h', '10h']);
    expect(formatDelay(90)).toBe('90s');
    expect(formatDelay(86_400)).toBe('1d');
  });

  it('formats sizes, percentages and ids', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(2 * 1024 * 1024)).toBe('2 MB');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.5)).toBe('50%');
    expect(formatPercent(0.995)).toBe('99.5%');
    expect(formatPercent(null)).toBe('—');
    expect(shortId('evt_01JDQ8W6S4Z6R4D2Y7B9X3K5M1')).toBe('evt_01JDQ8…X3K5M1');
    expect(shortId('ep_short')).toBe('ep_short');
  });
});
