import { describe, expect, it } from 'vitest';
import type { CaseResult, RunSummary } from '../api/types';
import { outcomeOf, receiverProblems, runLook, runSummaryText, verdictText } from './report';

let id = 0;
const result = (patch: Partial<CaseResult>): CaseResult => ({
  id: ++id,
  fixture: 'orders/created.json',
  variation: '1',
  kind: 'send',
  event_name: 'order.created',
  latency_ms: 3,
  passed: true,
  skipped: false,
  failures: [],
  ...patch,
});

const summary = (patch: Partial<RunSummary>): RunSummary => ({
  id: 'run_01JDQ8W6S4Z6R4D2Y7B9X3K5M1',
  state: 'running',
  target: 'http://127.0.0.1:1/x',
  total: 10,
  done: 4,
  passed: 3,
  failed: 1,
  skipped: 0,
  started_at: '2026-01-01T00:00:00Z',
  ...patch,
});

describe('verdict wording', () => {
  it('names what the receiver did wrong', () => {
    expect(verdictText('bad_signature', 'wrongly_accepted')).toBe('accepted a bad signature');
    expect(verdictText('missing_signature', 'wrongly_accepted')).toBe('accepted a request without a signature');
    expect(verdictText('stale_timestamp', 'wrongly_accepted')).toBe('accepted a stale timestamp');
    expect(verdictText('future_timestamp', 'wrongly_accepted')).toBe('accepted a timestamp from the future');
    expect(verdictText('truncated_body', 'wrongly_accepted')).toBe('accepted a truncated body');
    expect(verdictText('duplicate', 'processed_twice')).toBe('processed a duplicate twice');
    expect(verdictText('rotated_signature', 'wrongly_rejected')).toBe('rejected a valid rotated signature');
  });
});

describe('receiver problems', () => {
  it('groups failed fault cases by kind and verdict, the most frequent first', () => {
    const cases = [
      result({ kind: 'send' }),
      result({ kind: 'duplicate', passed: false, verdict: 'processed_twice' }),
      result({ kind: 'bad_signature', passed: false, verdict: 'wrongly_accepted' }),
      result({ kind: 'bad_signature', passed: false, verdict: 'wrongly_accepted' }),
    ];
    const problems = receiverProblems(cases);
    expect(problems.map((p) => p.text)).toEqual(['Accepted a bad signature', 'Processed a duplicate twice']);
    expect(problems[0]?.cases).toEqual([cases[2]?.id, cases[3]?.id]);
  });

  it('ignores passed and skipped cases and failures without a verdict', () => {
    const problems = receiverProblems([
      result({ kind: 'send', passed: false, failures: ['status 500, expected 2xx'] }),
      result({ kind: 'bad_signature', skipped: true, passed: false, verdict: 'wrongly_accepted' }),
      result({ kind: 'reorder', passed: false, failures: ['2 was answered 500'] }),
    ]);
    expect(problems).toEqual([]);
  });
});

describe('case outcome and run summary', () => {
  it('reads a case as passed, failed or skipped', () => {
    expect(outcomeOf({ passed: true, skipped: false })).toBe('passed');
    expect(outcomeOf({ passed: false, skipped: false })).toBe('failed');
    expect(outcomeOf({ passed: false, skipped: true })).toBe('skipped');
  });

  it('sums a run up by its state', () => {
    expect(runSummaryText(summary({}))).toBe('4 of 10 · 3 passed, 1 failed, 0 skipped');
    expect(runSummaryText(summary({ state: 'finished', done: 10, passed: 8, failed: 2 }))).toBe(
      'Finished: 8 passed, 2 failed, 0 skipped',
    );
    expect(runSummaryText(summary({ state: 'cancelled', done: 10, passed: 3, failed: 1, skipped: 6 }))).toBe(
      'Cancelled after 4 of 10 · 3 passed, 1 failed, 6 skipped',
    );
  });
});

describe('run look', () => {
  it('colours a run by its state and failures', () => {
    expect(runLook({ state: 'running', failed: 3 })).toEqual({ status: 'pending', label: 'running' });
    expect(runLook({ state: 'cancelled', failed: 0 })).toEqual({ status: 'cancelled', label: 'cancelled' });
    expect(runLook({ state: 'finished', failed: 1 })).toEqual({ status: 'failed', label: 'failures' });
    expect(runLook({ state: 'finished', failed: 0 })).toEqual({ status: 'succeeded', label: 'all passed' });
  });
});
