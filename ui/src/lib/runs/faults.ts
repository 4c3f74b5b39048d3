// The fault kinds a run can inject, and the checkbox logic with "all".
import type { CaseKind } from '../api/types';

export type FaultKind = Exclude<CaseKind, 'send'>;

export const FAULTS: readonly { kind: FaultKind; label: string; what: string }[] = [
  { kind: 'duplicate', label: 'Duplicate', what: 'the same message twice; it must not be processed twice' },
  { kind: 'reorder', label: 'Reorder', what: 'variations sent last first; each must still be accepted' },
  { kind: 'stale_timestamp', label: 'Stale timestamp', what: 'signed 10 minutes ago; must be refused' },
  { kind: 'future_timestamp', label: 'Future timestamp', what: 'signed 10 minutes ahead; must be refused' },
  { kind: 'bad_signature', label: 'Bad signature', what: 'a signature of other content; must be refused' },
  { kind: 'missing_signature', label: 'Missing signature', what: 'no webhook-signature header; must be refused' },
  { kind: 'rotated_signature', label: 'Rotated signature', what: "an old secret's signature, then the valid one; must be accepted" },
  { kind: 'truncated_body', label: 'Truncated body', what: 'half the body, signed over all of it; must be refused' },
];

export const FAULT_KINDS: readonly FaultKind[] = FAULTS.map((f) => f.kind);

/** Whether every fault is selected. */
export function allSelected(selected: ReadonlySet<FaultKind>): boolean {
  return FAULT_KINDS.every((k) => selected.has(k));
}

/** The "all" box: checked, unchecked, or mixed when only some are. */
export function allState(selected: ReadonlySet<FaultKind>): 'all' | 'none' | 'some' {
  if (allSelected(selected)) return 'all';
  return FAULT_KINDS.some((k) => selected.has(k)) ? 'some' : 'none';
}

/** The selection after ticking (`on`) or unticking one box; "all" ticks or unticks every fault. */
export function toggleFault(selected: ReadonlySet<FaultKind>, kind: FaultKind | 'all', on: boolean): Set<FaultKind> {
  if (kind === 'all') return new Set(on ? FAULT_KINDS : []);
  const next = new Set(selected);
  if (on) next.add(kind);
  else next.delete(kind);
  return next;
}

/** The run's `faults` field: `["all"]` when every one is ticked, else the ticked ones in the list's order. */
export function faultsForRun(selected: ReadonlySet<FaultKind>): string[] {
  if (allSelected(selected)) return ['all'];
  return FAULT_KINDS.filter((k) => selected.has(k));
}
