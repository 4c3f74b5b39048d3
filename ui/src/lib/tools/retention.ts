// The retention form: text fields (empty = off) to and from the API's settings.
import type { RetentionSettings } from '../api/types';

export interface RetentionForm {
  days: string;
  maxEvents: string;
  maxMb: string;
}

const MB = 1024 * 1024;

export function retentionForm(s: RetentionSettings): RetentionForm {
  const text = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return {
    days: text(s.retention_days),
    maxEvents: text(s.retention_max_events),
    maxMb: s.retention_max_bytes ? String(+(s.retention_max_bytes / MB).toFixed(2)) : '',
  };
}

export type RetentionErrors = Partial<Record<keyof RetentionForm, string>>;

/** The settings for a form, or the fields that are not whole (or, for MB, positive) numbers. */
export function retentionSettings(form: RetentionForm): { settings: RetentionSettings } | { errors: RetentionErrors } {
  const errors: RetentionErrors = {};
  const whole = (key: keyof RetentionForm): number | null => {
    const t = form[key].trim();
    if (!t) return null;
    if (!/^\d+$/.test(t)) {
      errors[key] = 'A whole number, or empty for no limit';
      return null;
    }
    return Number(t);
  };
  const days = whole('days');
  const events = whole('maxEvents');
  let bytes: number | null = null;
  const mb = form.maxMb.trim();
  if (mb) {
    const n = Number(mb);
    if (!Number.isFinite(n) || n <= 0) errors.maxMb = 'A number of megabytes, or empty for no limit';
    else bytes = Math.round(n * MB);
  }
  if (Object.keys(errors).length) return { errors };
  return { settings: { retention_days: days, retention_max_events: events, retention_max_bytes: bytes } };
}

/** Which form field an API error's `field` belongs to. */
export function retentionField(field: string | null): keyof RetentionForm | null {
  if (field === 'retention_days') return 'days';
  if (field === 'retention_max_events') return 'maxEvents';
  if (field === 'retention_max_bytes') return 'maxMb';
  return null;
}
