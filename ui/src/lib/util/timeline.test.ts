import { describe, expect, it } from 'vitest';
import { axisEnd, layoutLane, makeScale, tickLabel, ticks, LOG_THRESHOLD_MS } from './timeline';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('makeScale', () => {
  it('maps time linearly onto the padded width for short spans', () => {
    const s = makeScale(T0, T0 + 10_000, 520, 10);
    expect(s.kind).toBe('linear');
    expect(s.x(T0)).toBe(10);
    expect(s.x(T0 + 10_000)).toBe(510);
    expect(s.x(T0 + 5_000)).toBe(260);
    expect(s.x(T0 + 2_500)).toBe(135);
  });

  it('clamps times outside the axis to its ends', () => {
    const s = makeScale(T0, T0 + 10_000, 520, 10);
    expect(s.x(T0 - 5_000)).toBe(10);
    expect(s.x(T0 + 99_000)).toBe(510);
  });

  it('never has a zero span', () => {
    const s = makeScale(T0, T0, 200, 0);
    expect(s.t1 - s.t0).toBe(1000);
    expect(s.x(T0 + 500)).toBe(100);
  });

  it('turns logarithmic past a minute, keeping early attempts apart', () => {
    const span = 10 * 3_600_000; // the standard schedule reaches hours
    const s = makeScale(T0, T0 + span, 1000, 0);
    expect(s.kind).toBe('log');
    expect(s.x(T0)).toBe(0);
    expect(s.x(T0 + span)).toBeCloseTo(1000);
    // 5 s and 5 min after the event would be 0.1 px and 8 px apart on a linear axis.
    const at5s = s.x(T0 + 5_000);
    const at5m = s.x(T0 + 300_000);
    expect(at5s).toBeGreaterThan(100);
    expect(at5m - at5s).toBeGreaterThan(150);
  });

  it('is monotonic on both kinds', () => {
    for (const span of [5_000, LOG_THRESHOLD_MS * 10]) {
      const s = makeScale(T0, T0 + span, 800);
      let last = -Infinity;
      for (let t = 0; t <= span; t += span / 50) {
        const x = s.x(T0 + t);
        expect(x).toBeGreaterThanOrEqual(last);
        last = x;
      }
    }
  });

  it('can be forced to a kind', () => {
    expect(makeScale(T0, T0 + 3_600_000, 500, 0, 'linear').kind).toBe('linear');
  });
});

describe('ticks', () => {
  it('labels offsets compactly', () => {
    expect(tickLabel(0)).toBe('0');
    expect(tickLabel(500)).toBe('500ms');
    expect(tickLabel(5000)).toBe('5s');
    expect(tickLabel(90_000)).toBe('1.5m');
    expect(tickLabel(7_200_000)).toBe('2h');
  });

  it('keeps ticks at least the minimum gap apart and inside the axis', () => {
    for (const span of [3_000, 40_000, 3_600_000, 86_400_000]) {
      const s = makeScale(T0, T0 + span, 600, 12);
      const list = ticks(s, 48);
      expect(list.length).toBeGreaterThanOrEqual(2);
      expect(list[0]?.offset).toBe(0);
      for (let i = 1; i < list.length; i++) {
        expect((list[i]?.x ?? 0) - (list[i - 1]?.x ?? 0)).toBeGreaterThanOrEqual(48);
        expect(list[i]?.x).toBeLessThanOrEqual(588);
      }
    }
  });
});

describe('layoutLane', () => {
  const scale = makeScale(T0, T0 + 10_000, 520, 10);
  const attempt = (id: string, at: number, succeeded = false) => ({ id, startedAt: T0 + at, durationMs: 5, succeeded });

  it('puts each attempt at its start time, oldest first', () => {
    const lane = layoutLane([attempt('b', 5_000, true), attempt('a', 0)], null, scale, T0);
    expect(lane.marks.map((m) => m.id)).toEqual(['a', 'b']);
    expect(lane.marks[0]?.x).toBe(10);
    expect(lane.marks[1]?.x).toBe(260);
    expect(lane.marks[1]?.succeeded).toBe(true);
    expect(lane.next).toBeNull();
  });

  it('pushes marks that would overlap apart', () => {
    const lane = layoutLane([attempt('a', 0), attempt('b', 10), attempt('c', 20)], null, scale, T0, 12);
    const xs = lane.marks.map((m) => m.x);
    expect(xs).toEqual([10, 22, 34]);
  });

  it('packs marks back from the right edge instead of overflowing', () => {
    const lane = layoutLane([attempt('a', 9_990), attempt('b', 9_995), attempt('c', 10_000)], null, scale, T0, 12);
    const xs = lane.marks.map((m) => m.x);
    expect(xs[2]).toBe(510);
    expect(xs[1]).toBe(498);
    expect(xs[0]).toBe(486);
  });

  it('places the scheduled next attempt as its own mark', () => {
    const now = T0 + 2_000;
    const lane = layoutLane([attempt('a', 0)], T0 + 7_500, scale, now);
    expect(lane.next).toEqual({ x: 385, at: T0 + 7_500, due: false });
  });

  it('marks a next attempt whose time has passed as due', () => {
    const lane = layoutLane([attempt('a', 0)], T0 + 1_000, scale, T0 + 3_000);
    expect(lane.next?.due).toBe(true);
  });

  it('keeps the next mark clear of the last attempt', () => {
    const lane = layoutLane([attempt('a', 1_000)], T0 + 1_010, scale, T0, 12);
    expect((lane.next?.x ?? 0) - (lane.marks[0]?.x ?? 0)).toBeGreaterThanOrEqual(12);
  });
});

describe('axisEnd', () => {
  it('reaches the latest attempt end, the next attempt, and now while active', () => {
    const lanes = [
      { attempts: [{ id: 'a', startedAt: T0 + 1000, durationMs: 400, succeeded: true }], nextAttemptAt: null, active: false },
    ];
    expect(axisEnd(T0, lanes, T0 + 60_000)).toBe(T0 + 1400);
    expect(axisEnd(T0, [...lanes, { attempts: [], nextAttemptAt: T0 + 300_000, active: true }], T0 + 60_000)).toBe(
      T0 + 300_000,
    );
    expect(axisEnd(T0, [{ attempts: [], nextAttemptAt: T0 + 10, active: true }], T0 + 60_000)).toBe(T0 + 60_000);
  });
});
