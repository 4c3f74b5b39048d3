// "Since when" presets for bulk retries.

export const SINCE_PRESETS = {
  hour: 'Last hour',
  today: 'Today',
  '24h': 'Last 24 hours',
  custom: 'Custom…',
} as const;
export type SincePreset = keyof typeof SINCE_PRESETS;

/**
 * The RFC 3339 start of a preset at `now` (local midnight for "today"); for
 * "custom", the `datetime-local` value, or null when it is empty or invalid.
 */
export function sinceOf(preset: SincePreset, now: number, custom = ''): string | null {
  switch (preset) {
    case 'hour':
      return new Date(now - 3_600_000).toISOString();
    case '24h':
      return new Date(now - 86_400_000).toISOString();
    case 'today': {
      const d = new Date(now);
      d.setHours(0, 0, 0, 0);
      return d.toISOString();
    }
    case 'custom': {
      if (!custom) return null;
      const ms = new Date(custom).getTime();
      return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
    }
  }
}

/** Stats windows. */
export const WINDOWS = {
  '1h': { label: '1 hour', ms: 3_600_000 },
  '24h': { label: '24 hours', ms: 86_400_000 },
  '7d': { label: '7 days', ms: 7 * 86_400_000 },
} as const;
export type StatsWindow = keyof typeof WINDOWS;

export function windowQuery(window: StatsWindow, now: number, endpointId = ''): { since: string; until: string; endpoint_id?: string } {
  const q: { since: string; until: string; endpoint_id?: string } = {
    since: new Date(now - WINDOWS[window].ms).toISOString(),
    until: new Date(now).toISOString(),
  };
  if (endpointId) q.endpoint_id = endpointId;
  return q;
}
