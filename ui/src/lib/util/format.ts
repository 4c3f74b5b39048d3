// Durations, times and sizes for people.

/** `850 ms`, `1.2 s`, `4m 05s`, `2h 03m`, `3d 4h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 10_000) return `${sign}${(abs / 1000).toFixed(2).replace(/\.?0+$/, '')} s`;
  if (abs < 60_000) return `${sign}${Math.round(abs / 1000)} s`;
  const totalSeconds = Math.round(abs / 1000);
  if (totalSeconds < 3600) {
    const m = Math.floor(totalSeconds / 60);
    const s = totalSeconds % 60;
    return `${sign}${m}m ${String(s).padStart(2, '0')}s`;
  }
  const totalMinutes = Math.round(abs / 60_000);
  if (totalMinutes < 24 * 60) {
    const h = Math.floor(totalMinutes / 60);
    const m = totalMinutes % 60;
    return `${sign}${h}h ${String(m).padStart(2, '0')}m`;
  }
  const totalHours = Math.round(abs / 3_600_000);
  return `${sign}${Math.floor(totalHours / 24)}d ${totalHours % 24}h`;
}

/** A countdown to a moment: `in 4m 05s`, `now` once it has passed. */
export function formatCountdown(targetMs: number, nowMs: number): string {
  const left = targetMs - nowMs;
  if (left <= 500) return 'due now';
  return `in ${formatDuration(Math.ceil(left / 1000) * 1000)}`;
}

/** `just now`, `12s ago`, `5m ago`, `3h ago`, `2d ago`; future times read `in …`. */
export function formatRelative(thenMs: number, nowMs: number): string {
  const diff = nowMs - thenMs;
  const abs = Math.abs(diff);
  const future = diff < 0;
  let text: string;
  if (abs < 5_000) return 'just now';
  if (abs < 60_000) text = `${Math.floor(abs / 1000)}s`;
  else if (abs < 3_600_000) text = `${Math.floor(abs / 60_000)}m`;
  else if (abs < 86_400_000) text = `${Math.floor(abs / 3_600_000)}h`;
  else text = `${Math.floor(abs / 86_400_000)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local wall-clock time with milliseconds: `14:03:27.512`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// Fixed names: cheaper than Intl for every row of a long list.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Local date and time for the list: `14:03:27` today, else `Mar 4 14:03:27`. */
export function formatListTime(ms: number, nowMs: number): string {
  const d = new Date(ms);
  const now = new Date(nowMs);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  if (sameDay) return time;
  return `${MONTHS[d.getMonth()]} ${d.getDate()} ${time}`;
}

/** `1.5 KB`, `12 B`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KB`;
  return `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`;
}

/** `97%`, `99.5%`, `—` when nothing was measured. */
export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  const pct = ratio * 100;
  if (pct === 100 || pct === 0) return `${pct}%`;
  return `${pct >= 99 || pct < 1 ? pct.toFixed(1) : Math.round(pct)}%`;
}

/** Milliseconds since the epoch, or NaN, from an RFC 3339 string. */
export function parseTime(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) : Number.NaN;
}

/** Abbreviates a long id in the middle: `evt_01JDQ8…X3K5M1`. */
export function shortId(id: string, keep = 6): string {
  const underscore = id.indexOf('_');
  const prefix = underscore >= 0 ? id.slice(0, underscore + 1) : '';
  const body = id.slice(prefix.length);
  if (body.length <= keep * 2 + 1) return id;
  return `${prefix}${body.slice(0, keep)}…${body.slice(-keep)}`;
}

/** A retry delay in seconds, compactly: `5s`, `5m`, `2h`, `90s`, `1h 30m`. */
export function formatDelay(seconds: number): string {
  if (seconds < 60 || seconds % 60 !== 0) return seconds < 3600 ? `${seconds}s` : formatDuration(seconds * 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds < 3600) return `${seconds / 60}m`;
  return formatDuration(seconds * 1000);
}
