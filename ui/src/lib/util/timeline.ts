// Layout of a delivery's attempt timeline: time → x on a shared axis, one
// mark per attempt and a hollow mark for the scheduled next attempt.
//
// Retry schedules span seconds to hours (5 s … 10 h), so beyond a minute the
// axis turns logarithmic in the time since the event: early attempts stay
// apart instead of piling up at the left edge.

export type ScaleKind = 'linear' | 'log';

export interface Scale {
  kind: ScaleKind;
  /** Start of the axis (the event's creation), ms since the epoch. */
  t0: number;
  /** End of the axis, ms since the epoch. */
  t1: number;
  width: number;
  padding: number;
  x(t: number): number;
}

/** Spans above this use the log axis. */
export const LOG_THRESHOLD_MS = 60_000;
/** The log axis treats the first second as roughly linear. */
const LOG_UNIT_MS = 1000;
/** The shortest axis, so a single instant attempt does not sit at both ends. */
const MIN_SPAN_MS = 1000;

export function makeScale(t0: number, t1: number, width: number, padding = 12, kind?: ScaleKind): Scale {
  const span = Math.max(t1 - t0, MIN_SPAN_MS);
  const end = t0 + span;
  const chosen: ScaleKind = kind ?? (span > LOG_THRESHOLD_MS ? 'log' : 'linear');
  const inner = Math.max(width - 2 * padding, 1);
  const logSpan = Math.log1p(span / LOG_UNIT_MS);
  const x = (t: number): number => {
    const dt = Math.min(Math.max(t - t0, 0), span);
    const ratio = chosen === 'log' ? Math.log1p(dt / LOG_UNIT_MS) / logSpan : dt / span;
    return padding + ratio * inner;
  };
  return { kind: chosen, t0, t1: end, width, padding, x };
}

export interface Tick {
  x: number;
  /** Time since the axis start, ms. */
  offset: number;
  label: string;
}

const LINEAR_STEPS = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000];
const LOG_TICKS = [
  0, 1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000,
  12 * 3_600_000, 86_400_000, 3 * 86_400_000, 7 * 86_400_000,
];

export function tickLabel(offsetMs: number): string {
  if (offsetMs === 0) return '0';
  if (offsetMs < 1000) return `${offsetMs}ms`;
  if (offsetMs < 60_000) return `${+(offsetMs / 1000).toFixed(1)}s`;
  if (offsetMs < 3_600_000) return `${+(offsetMs / 60_000).toFixed(1)}m`;
  if (offsetMs < 86_400_000) return `${+(offsetMs / 3_600_000).toFixed(1)}h`;
  return `${+(offsetMs / 86_400_000).toFixed(1)}d`;
}

/** Axis ticks at least `minGapPx` apart. */
export function ticks(scale: Scale, minGapPx = 48): Tick[] {
  const span = scale.t1 - scale.t0;
  let offsets: number[];
  if (scale.kind === 'linear') {
    const inner = scale.width - 2 * scale.padding;
    const maxTicks = Math.max(2, Math.floor(inner / minGapPx));
    const step = LINEAR_STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / 60_000) * 60_000;
    offsets = [];
    for (let t = 0; t <= span + 1e-6; t += step) offsets.push(t);
  } else {
    offsets = LOG_TICKS.filter((t) => t <= span);
  }
  const out: Tick[] = [];
  let lastX = -Infinity;
  for (const offset of offsets) {
    const x = scale.x(scale.t0 + offset);
    if (x - lastX < minGapPx) continue;
    out.push({ x, offset, label: tickLabel(offset) });
    lastX = x;
  }
  return out;
}

export interface AttemptPoint {
  id: string;
  startedAt: number;
  durationMs: number;
  succeeded: boolean;
}

export interface AttemptMark extends AttemptPoint {
  x: number;
}

export interface NextMark {
  x: number;
  at: number;
  /** The moment has passed and the attempt is about to run. */
  due: boolean;
}

export interface LaneLayout {
  marks: AttemptMark[];
  next: NextMark | null;
}

/**
 * Places attempt marks on `scale`, keeping them at least `minGap` px apart (later
 * marks are pushed right, and if that overflows the axis, the row is packed back
 * from the right edge) so quick retries stay clickable.
 */
export function layoutLane(
  attempts: readonly AttemptPoint[],
  nextAttemptAt: number | null,
  scale: Scale,
  now: number,
  minGap = 12,
): LaneLayout {
  const sorted = [...attempts].sort((a, b) => a.startedAt - b.startedAt);
  const xs = sorted.map((a) => scale.x(a.startedAt));
  for (let i = 1; i < xs.length; i++) {
    const prev = xs[i - 1] as number;
    if ((xs[i] as number) - prev < minGap) xs[i] = prev + minGap;
  }
  const right = scale.width - scale.padding;
  for (let i = xs.length - 1; i >= 0; i--) {
    const limit = i === xs.length - 1 ? right : (xs[i + 1] as number) - minGap;
    if ((xs[i] as number) > limit) xs[i] = limit;
  }
  const marks = sorted.map((a, i) => ({ ...a, x: Math.max(xs[i] as number, scale.padding) }));
  let next: NextMark | null = null;
  if (nextAttemptAt !== null && Number.isFinite(nextAttemptAt)) {
    const due = nextAttemptAt <= now;
    let x = scale.x(Math.max(nextAttemptAt, scale.t0));
    const last = marks.at(-1);
    if (last && x - last.x < minGap) x = Math.min(last.x + minGap, right);
    next = { x, at: nextAttemptAt, due };
  }
  return { marks, next };
}

/** The axis end for a set of lanes: their last attempt's end or next attempt, and now while any is active. */
export function axisEnd(
  t0: number,
  lanes: readonly { attempts: readonly AttemptPoint[]; nextAttemptAt: number | null; active: boolean }[],
  now: number,
): number {
  let end = t0;
  for (const lane of lanes) {
    for (const a of lane.attempts) end = Math.max(end, a.startedAt + a.durationMs);
    if (lane.nextAttemptAt !== null) end = Math.max(end, lane.nextAttemptAt);
    if (lane.active) end = Math.max(end, now);
  }
  return end;
}
