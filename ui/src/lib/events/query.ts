// The events screen's filters as they appear in the address (`#/events?status=failed&range=1h`).
import { EVENT_STATUSES, type EventStatus } from '../api/types';
import type { ListFilter } from './model';

export const RANGES = {
  '15m': { label: 'Last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
} as const;
export type RangePreset = keyof typeof RANGES;
export type Range = '' | RangePreset | 'custom';

export interface FilterForm {
  name: string;
  /** Full-text search words. */
  q: string;
  status: '' | EventStatus;
  endpoint: string;
  range: Range;
  /** `datetime-local` values (local time, no zone), for the custom range. */
  from: string;
  to: string;
}

export const EMPTY_FORM: FilterForm = { name: '', q: '', status: '', endpoint: '', range: '', from: '', to: '' };

export function formFromQuery(query: URLSearchParams): FilterForm {
  const status = query.get('status') ?? '';
  const range = query.get('range') ?? '';
  return {
    name: query.get('name') ?? '',
    q: query.get('q') ?? '',
    status: (EVENT_STATUSES as readonly string[]).includes(status) ? (status as EventStatus) : '',
    endpoint: query.get('endpoint') ?? '',
    range: range in RANGES || range === 'custom' ? (range as Range) : '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
}

export function queryFromForm(form: FilterForm): string {
  const q = new URLSearchParams();
  if (form.name.trim()) q.set('name', form.name.trim());
  if (form.q.trim()) q.set('q', form.q.trim());
  if (form.status) q.set('status', form.status);
  if (form.endpoint) q.set('endpoint', form.endpoint);
  if (form.range) q.set('range', form.range);
  if (form.range === 'custom') {
    if (form.from) q.set('from', form.from);
    if (form.to) q.set('to', form.to);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** `datetime-local` text (local time) to RFC 3339, or undefined when empty or invalid. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** The API filter for a form, with presets resolved against `now`. */
export function filterFromForm(form: FilterForm, now: number): ListFilter {
  const filter: ListFilter = {};
  if (form.name.trim()) filter.event_name = form.name.trim();
  if (form.q.trim()) filter.q = form.q.trim();
  if (form.status) filter.status = form.status;
  if (form.endpoint) filter.endpoint_id = form.endpoint;
  if (form.range && form.range !== 'custom') {
    filter.since = new Date(now - RANGES[form.range].ms).toISOString();
  } else if (form.range === 'custom') {
    const since = localToIso(form.from);
    const until = localToIso(form.to);
    if (since) filter.since = since;
    if (until) filter.until = until;
  }
  return filter;
}

export function isFormFiltered(form: FilterForm): boolean {
  return Boolean(form.name.trim() || form.q.trim() || form.status || form.endpoint || form.range);
}
