// Time warp factors for people: presets and the banner's sentence.

export const WARP_PRESETS = [
  { factor: 1, label: 'Off' },
  { factor: 60, label: '×60' },
  { factor: 3600, label: '×3600' },
  { factor: 86400, label: '×86400' },
] as const;

export const MAX_FACTOR = 1_000_000;

const UNITS = [
  { s: 86400, one: 'day', many: 'days' },
  { s: 3600, one: 'hour', many: 'hours' },
  { s: 60, one: 'minute', many: 'minutes' },
  { s: 1, one: 'second', many: 'seconds' },
] as const;

/** `1 hour`, `1.5 days`, `100 seconds`: how long `seconds` is, in its largest whole-ish unit. */
export function spanText(seconds: number): string {
  const unit = UNITS.find((u) => seconds >= u.s) ?? UNITS[UNITS.length - 1]!;
  const n = +(seconds / unit.s).toFixed(1);
  return `${n} ${n === 1 ? unit.one : unit.many}`;
}

/** `×3600`, `×2.5`. */
export function factorText(factor: number): string {
  return `×${+factor.toFixed(2)}`;
}

/** `1 hour of retries passes in 1 second`. */
export function warpSentence(factor: number): string {
  return `${spanText(factor)} of retries passes in 1 second`;
}

/** A factor typed by hand, or an error message. 1 (or empty) turns the warp off. */
export function parseFactor(text: string): number | string {
  const t = text.trim().replace(/^[×x*]/i, '');
  if (!t) return 1;
  const n = Number(t);
  if (!Number.isFinite(n) || n < 1 || n > MAX_FACTOR) return `A number from 1 to ${MAX_FACTOR.toLocaleString('en')}`;
  return n;
}
