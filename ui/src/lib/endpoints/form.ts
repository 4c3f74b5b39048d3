// The endpoint form's values, and the API bodies made from them.
import type { AutoDisable, Endpoint, EndpointIn, EndpointPatch, HeaderStyle, PayloadFormat } from '../api/types';
import { parsePatterns, patternProblem } from '../util/filter';

export const RETRY_PRESETS = {
  standard: { label: 'Standard', schedule: [5, 300, 1800, 7200, 18000, 36000, 36000] },
  fast: { label: 'Fast dev', schedule: [1, 2, 5] },
  none: { label: 'None', schedule: [] },
} as const;
export type RetryPreset = keyof typeof RETRY_PRESETS;

export interface HeaderRow {
  key: number;
  name: string;
  value: string;
}

export interface EndpointForm {
  url: string;
  name: string;
  description: string;
  /** One pattern per line. */
  filters: string;
  timeoutMs: string;
  /** Seconds, comma-separated. */
  schedule: string;
  maxInFlight: string;
  /** Empty for no limit. */
  rateLimit: string;
  headers: HeaderRow[];
  enabled: boolean;
  headerStyle: HeaderStyle;
  payloadFormat: PayloadFormat;
  /** Check an https:// receiver's certificate. */
  verifyTls: boolean;
  autoDisable: AutoDisable['policy'];
  /** For `consecutive_failures`. */
  autoFailures: string;
  /** For `failing_for`, in hours. */
  autoHours: string;
  /** A `whsec_…` secret for a new endpoint; empty lets Hooky generate one. */
  secret: string;
}

/** Field name (as the API names it) → message. */
export type FieldErrors = Partial<Record<keyof EndpointIn | 'form', string>>;

let rowKey = 0;
export const headerRow = (name = '', value = ''): HeaderRow => ({ key: ++rowKey, name, value });

export function emptyForm(): EndpointForm {
  return {
    url: '',
    name: '',
    description: '',
    filters: '**',
    timeoutMs: '15000',
    schedule: RETRY_PRESETS.standard.schedule.join(', '),
    maxInFlight: '10',
    rateLimit: '',
    headers: [],
    enabled: true,
    headerStyle: 'webhook',
    payloadFormat: 'raw',
    verifyTls: true,
    autoDisable: 'failing_for',
    autoFailures: '10',
    autoHours: '120',
    secret: '',
  };
}

export function formFromEndpoint(ep: Endpoint): EndpointForm {
  return {
    url: ep.url,
    name: ep.name,
    description: ep.description,
    filters: ep.event_filter.join('\n'),
    timeoutMs: String(ep.timeout_ms),
    schedule: ep.retry_schedule.join(', '),
    maxInFlight: String(ep.max_in_flight),
    rateLimit: ep.rate_limit_per_s === null || ep.rate_limit_per_s === undefined ? '' : String(ep.rate_limit_per_s),
    headers: Object.entries(ep.headers).map(([n, v]) => headerRow(n, v)),
    enabled: ep.enabled,
    headerStyle: ep.header_style,
    payloadFormat: ep.payload_format,
    verifyTls: ep.verify_tls,
    autoDisable: ep.auto_disable.policy,
    autoFailures: ep.auto_disable.policy === 'consecutive_failures' ? String(ep.auto_disable.failures) : '10',
    autoHours: ep.auto_disable.policy === 'failing_for' ? String(+(ep.auto_disable.window_s / 3600).toFixed(2)) : '120',
    secret: '',
  };
}

/** Parses `5, 300 1800` into seconds, or an error message. */
export function parseSchedule(text: string): number[] | string {
  const parts = text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return `"${part}" is not a whole number of seconds`;
    out.push(Number(part));
  }
  return out;
}

export function presetOf(schedule: readonly number[]): RetryPreset | null {
  for (const [key, preset] of Object.entries(RETRY_PRESETS) as [RetryPreset, (typeof RETRY_PRESETS)[RetryPreset]][]) {
    if (preset.schedule.length === schedule.length && preset.schedule.every((v, i) => v === schedule[i])) return key;
  }
  return null;
}

function wholeNumber(text: string): number | null {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : null;
}

/**
 * The create body for a form, or the fields that cannot even be sent. Ranges are
 * left to the engine, whose 422 names the field.
 */
export function toBody(form: EndpointForm): { body: EndpointIn; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const filters = parsePatterns(form.filters);
  if (filters.length === 0) errors.event_filter = 'Add at least one pattern; ** matches every event';
  for (const p of filters) {
    const problem = patternProblem(p);
    if (problem) {
      errors.event_filter = `"${p}" ${problem}`;
      break;
    }
  }
  const timeout = wholeNumber(form.timeoutMs);
  if (timeout === null) errors.timeout_ms = 'A whole number of milliseconds';
  const schedule = parseSchedule(form.schedule);
  if (typeof schedule === 'string') errors.retry_schedule = schedule;
  const maxInFlight = wholeNumber(form.maxInFlight);
  if (maxInFlight === null) errors.max_in_flight = 'A whole number';
  let rate: number | null = null;
  if (form.rateLimit.trim()) {
    rate = Number(form.rateLimit);
    if (!Number.isFinite(rate)) errors.rate_limit_per_s = 'A number of requests per second, or empty for no limit';
  }
  const headers: Record<string, string> = {};
  for (const row of form.headers) {
    const name = row.name.trim();
    if (!name && !row.value.trim()) continue;
    if (!name) {
      errors.headers = 'Each header needs a name';
      continue;
    }
    if (Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) {
      errors.headers = `Header "${name}" is listed twice`;
    }
    headers[name] = row.value;
  }
  let autoDisable: AutoDisable = { policy: 'off' };
  if (form.autoDisable === 'consecutive_failures') {
    const failures = wholeNumber(form.autoFailures);
    if (failures === null) errors.auto_disable = 'A whole number of deliveries';
    autoDisable = { policy: 'consecutive_failures', failures: failures ?? 0 };
  } else if (form.autoDisable === 'failing_for') {
    const hours = Number(form.autoHours);
    if (!form.autoHours.trim() || !Number.isFinite(hours)) errors.auto_disable = 'A number of hours';
    autoDisable = { policy: 'failing_for', window_s: Math.round((Number.isFinite(hours) ? hours : 0) * 3600) };
  }
  const body: EndpointIn = {
    url: form.url.trim(),
    name: form.name.trim(),
    description: form.description,
    event_filter: filters,
    timeout_ms: timeout ?? 0,
    retry_schedule: typeof schedule === 'string' ? [] : schedule,
    max_in_flight: maxInFlight ?? 0,
    rate_limit_per_s: rate,
    headers,
    enabled: form.enabled,
    header_style: form.headerStyle,
    payload_format: form.payloadFormat,
    verify_tls: form.verifyTls,
    auto_disable: autoDisable,
    ...(form.secret.trim() ? { secret: form.secret.trim() } : {}),
  };
  return { body, errors };
}

/** The same values as a full patch (absent rate limit → null removes it). */
export function toPatch(body: EndpointIn): EndpointPatch {
  // The secret is not a patchable field: it changes by rotation.
  const { secret: _secret, ...rest } = body;
  return { ...rest, rate_limit_per_s: body.rate_limit_per_s ?? null };
}
