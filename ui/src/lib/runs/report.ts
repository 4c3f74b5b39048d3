// A run's report in words: verdicts, receiver problems, case outcomes, progress.
import type { CaseKind, CaseResult, DeliveryStatus, RunSummary, Verdict } from '../api/types';

/** What a failed fault case says about the receiver, as a sentence fragment. */
export function verdictText(kind: CaseKind, verdict: Verdict): string {
  if (verdict === 'processed_twice') return 'processed a duplicate twice';
  if (verdict === 'wrongly_rejected') {
    return kind === 'rotated_signature' ? 'rejected a valid rotated signature' : `rejected a valid ${kindLabel(kind)}`;
  }
  switch (kind) {
    case 'bad_signature':
      return 'accepted a bad signature';
    case 'missing_signature':
      return 'accepted a request without a signature';
    case 'stale_timestamp':
      return 'accepted a stale timestamp';
    case 'future_timestamp':
      return 'accepted a timestamp from the future';
    case 'truncated_body':
      return 'accepted a truncated body';
    default:
      return `accepted a bad ${kindLabel(kind)}`;
  }
}

/** `stale_timestamp` → `stale timestamp`; `send` → `send`. */
export function kindLabel(kind: CaseKind): string {
  return kind.replace(/_/g, ' ');
}

export type Outcome = 'passed' | 'failed' | 'skipped';

export function outcomeOf(c: Pick<CaseResult, 'passed' | 'skipped'>): Outcome {
  if (c.skipped) return 'skipped';
  return c.passed ? 'passed' : 'failed';
}

export interface ReceiverProblem {
  kind: CaseKind;
  verdict: Verdict;
  /** Capitalised: "Accepted a bad signature". */
  text: string;
  /** The case ids showing it, in plan order. */
  cases: number[];
}

/** The receiver's problems the run found: one per kind and verdict, the most frequent first. */
export function receiverProblems(cases: readonly CaseResult[]): ReceiverProblem[] {
  const found = new Map<string, ReceiverProblem>();
  for (const c of cases) {
    if (!c.verdict || c.passed || c.skipped) continue;
    const key = `${c.kind}:${c.verdict}`;
    const known = found.get(key);
    if (known) {
      known.cases.push(c.id);
      continue;
    }
    const text = verdictText(c.kind, c.verdict);
    found.set(key, { kind: c.kind, verdict: c.verdict, text: capitalise(text), cases: [c.id] });
  }
  return [...found.values()].sort((a, b) => b.cases.length - a.cases.length || (a.cases[0] ?? 0) - (b.cases[0] ?? 0));
}

/** One line for a run: `12 of 40 · 10 passed, 2 failed`, `Finished: …`, `Cancelled after …`. */
export function runSummaryText(run: RunSummary): string {
  const counts = `${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped`;
  if (run.state === 'running') return `${run.done} of ${run.total} · ${counts}`;
  if (run.state === 'cancelled') return `Cancelled after ${run.done - run.skipped} of ${run.total} · ${counts}`;
  return `Finished: ${counts}`;
}

/** The report's file name: `hooky-run-<id>.json`. */
export function reportFileName(id: string): string {
  return `hooky-run-${id}.json`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A run's state as a status pill: its colour and words. */
export function runLook(run: Pick<RunSummary, 'state' | 'failed'>): { status: DeliveryStatus; label: string } {
  if (run.state === 'running') return { status: 'pending', label: 'running' };
  if (run.state === 'cancelled') return { status: 'cancelled', label: 'cancelled' };
  return run.failed > 0 ? { status: 'failed', label: 'failures' } : { status: 'succeeded', label: 'all passed' };
}
