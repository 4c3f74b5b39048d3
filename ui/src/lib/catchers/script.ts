// The response-script form of a catcher, the ResponseScript made from it, and
// the one-line summary a list shows ("500 → 500 → 200", "flaky 50 %").
import type { ResponseScript } from '../api/types';
import { headerRow, type HeaderRow } from '../endpoints/form';

export const DEFAULT_BODY = '{"ok":true}';
export const DEFAULT_FAIL_STATUS = 503;

export interface ScriptForm {
  /** The status sequence, one input per step; the last repeats. */
  statuses: string[];
  /** 0 to 100: how often (per cent) to answer `failStatus` instead. */
  failPercent: number;
  failStatus: string;
  /** Milliseconds; empty for none. */
  delayMs: string;
  /** A Retry-After header value; empty for none. */
  retryAfter: string;
  body: string;
  headers: HeaderRow[];
  hang: boolean;
}

/** API field (`script.statuses`…) → message; `form` for the whole form. */
export type ScriptErrors = Partial<Record<`script.${keyof ResponseScript}`, string>>;

export function emptyScriptForm(): ScriptForm {
  return {
    statuses: ['200'],
    failPercent: 0,
    failStatus: String(DEFAULT_FAIL_STATUS),
    delayMs: '',
    retryAfter: '',
    body: DEFAULT_BODY,
    headers: [],
    hang: false,
  };
}

export function formFromScript(script: ResponseScript): ScriptForm {
  return {
    statuses: (script.statuses?.length ? script.statuses : [200]).map(String),
    failPercent: Math.round((script.fail_rate ?? 0) * 1000) / 10,
    failStatus: String(script.fail_status ?? DEFAULT_FAIL_STATUS),
    delayMs: script.delay_ms ? String(script.delay_ms) : '',
    retryAfter: script.retry_after ?? '',
    body: script.body ?? DEFAULT_BODY,
    headers: Object.entries(script.headers ?? {}).map(([n, v]) => headerRow(n, v)),
    hang: script.hang ?? false,
  };
}

/** Splits `500, 500 200` (typed or pasted into one chip) into statuses. */
export function splitStatuses(text: string): string[] {
  return text.split(/[\s,→>]+/).filter(Boolean);
}

/**
 * The script for a form, or the fields that cannot even be sent. Ranges
 * (200–599, 10 minutes…) are left to the engine, whose 422 names the field.
 */
export function scriptFromForm(form: ScriptForm): { script: ResponseScript; errors: ScriptErrors } {
  const errors: ScriptErrors = {};
  const statuses: number[] = [];
  for (const raw of form.statuses.flatMap(splitStatuses)) {
    if (!/^\d+$/.test(raw)) {
      errors['script.statuses'] = `"${raw}" is not an HTTP status`;
      break;
    }
    statuses.push(Number(raw));
  }
  if (statuses.length === 0 && !errors['script.statuses']) errors['script.statuses'] = 'Add at least one status';
  const script: ResponseScript = { statuses };
  if (form.failPercent > 0) {
    script.fail_rate = Math.round(form.failPercent * 10) / 1000;
    if (!/^\s*\d+\s*$/.test(form.failStatus)) errors['script.fail_status'] = 'An HTTP status, e.g. 503';
    else script.fail_status = Number(form.failStatus);
  }
  if (form.delayMs.trim()) {
    if (!/^\s*\d+\s*$/.test(form.delayMs)) errors['script.delay_ms'] = 'A whole number of milliseconds';
    else if (Number(form.delayMs) > 0) script.delay_ms = Number(form.delayMs);
  }
  if (form.retryAfter.trim()) script.retry_after = form.retryAfter.trim();
  script.body = form.body;
  const headers: Record<string, string> = {};
  for (const row of form.headers) {
    const name = row.name.trim();
    if (!name && !row.value.trim()) continue;
    if (!name) errors['script.headers'] = 'Each header needs a name';
    else headers[name] = row.value;
  }
  if (Object.keys(headers).length) script.headers = headers;
  if (form.hang) script.hang = true;
  return { script, errors };
}

/** `2 s`, `1.5 s`, `250 ms`. */
function delayText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${+(ms / 1000).toFixed(2)} s`;
}

/** How a catcher answers, in a few words: `500 → 500 → 200 · flaky 50 % · delay 2 s`. */
export function scriptSummary(script: ResponseScript): string {
  if (script.hang) return 'hang';
  const parts: string[] = [];
  const statuses = script.statuses?.length ? script.statuses : [200];
  const plain = statuses.length === 1 && statuses[0] === 200;
  // A lone 200 is the default: say it only when nothing else is scripted.
  if (!plain || !(script.fail_rate || script.delay_ms)) parts.push(statuses.join(' → '));
  if (script.fail_rate) {
    const pct = +(script.fail_rate * 100).toFixed(1);
    parts.push(`flaky ${pct} %${script.fail_status && script.fail_status !== DEFAULT_FAIL_STATUS ? ` (${script.fail_status})` : ''}`);
  }
  if (script.delay_ms) parts.push(`delay ${delayText(script.delay_ms)}`);
  if (script.retry_after) parts.push(`Retry-After ${script.retry_after}`);
  return parts.join(' · ');
}
