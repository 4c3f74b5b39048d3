import { describe, expect, it } from 'vitest';
import { allState, FAULT_KINDS, faultsForRun, toggleFault, type FaultKind } from './faults';

describe('fault selection', () => {
  it('lists every fault kind of the runner once', () => {
    expect(FAULT_KINDS).toEqual([
      'duplicate',
      'reorder',
      'stale_timestamp',
      'future_timestamp',
      'bad_signature',
      'missing_signature',
      'rotated_signature',
      'truncated_body',
    ]);
  });

  it('sends nothing when none is ticked', () => {
    expect(faultsForRun(new Set())).toEqual([]);
    expect(allState(new Set())).toBe('none');
  });

  it('"all" ticks and unticks every fault', () => {
    const all = toggleFault(new Set(), 'all', true);
    expect(all.size).toBe(FAULT_KINDS.length);
    expect(faultsForRun(all)).toEqual(['all']);
    expect(allState(all)).toBe('all');
    expect(toggleFault(all, 'all', false).size).toBe(0);
  });

  it('unticking one of all leaves the rest, in list order', () => {
    const all = toggleFault(new Set(), 'all', true);
    const some = toggleFault(all, 'reorder', false);
    expect(allState(some)).toBe('some');
    expect(faultsForRun(some)).toEqual(FAULT_KINDS.filter((k) => k !== 'reorder'));
  });

  it('ticking every fault one by one reads as "all"', () => {
    let selected = new Set<FaultKind>();
    for (const kind of [...FAULT_KINDS].reverse()) selected = toggleFault(selected, kind, true);
    expect(faultsForRun(selected)).toEqual(['all']);
  });

  it('keeps the order of the list, not of the clicks', () => {
    let selected = toggleFault(new Set(), 'truncated_body', true);
    selected = toggleFault(selected, 'duplicate', true);
    expect(faultsForRun(selected)).toEqual(['duplicate', 'truncated_body']);
  });

  it('does not change the selection it was given', () => {
    const before = new Set<FaultKind>(['duplicate']);
    toggleFault(before, 'reorder', true);
    expect([...before]).toEqual(['duplicate']);
  });
});
