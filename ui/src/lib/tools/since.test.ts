import { describe, expect, it } from 'vitest';
import { sinceOf, windowQuery } from './since';

const NOW = new Date(2026, 4, 17, 15, 30, 12).getTime(); // local time

describe('since presets', () => {
  it('resolves the relative presets against now', () => {
    expect(sinceOf('hour', NOW)).toBe(new Date(NOW - 3_600_000).toISOString());
    expect(sinceOf('24h', NOW)).toBe(new Date(NOW - 86_400_000).toISOString());
  });

  it('starts "today" at local midnight', () => {
    expect(sinceOf('today', NOW)).toBe(new Date(2026, 4, 17, 0, 0, 0).toISOString());
  });

  it('reads a custom datetime-local value, or gives null', () => {
    expect(sinceOf('custom', NOW, '2026-05-16T08:00')).toBe(new Date(2026, 4, 16, 8, 0).toISOString());
    expect(sinceOf('custom', NOW, '')).toBeNull();
    expect(sinceOf('custom', NOW, 'nonsense')).toBeNull();
  });

  it('builds the stats window query', () => {
    expect(windowQuery('1h', NOW)).toEqual({ since: new Date(NOW - 3_600_000).toISOString(), until: new Date(NOW).toISOString() });
    expect(windowQuery('7d', NOW, 'ep_1').endpoint_id).toBe('ep_1');
  });
});
