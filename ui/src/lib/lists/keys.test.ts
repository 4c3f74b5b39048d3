import { describe, expect, it } from 'vitest';
import { listKeyAction } from './keys';

const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

describe('listKeyAction', () => {
  it('moves down and up with j/k and the arrows, stopping at the ends', () => {
    expect(listKeyAction('j', rows, 'a', false)).toEqual({ kind: 'select', id: 'b', index: 1 });
    expect(listKeyAction('ArrowDown', rows, 'c', false)).toEqual({ kind: 'select', id: 'c', index: 2 });
    expect(listKeyAction('k', rows, 'b', false)).toEqual({ kind: 'select', id: 'a', index: 0 });
    expect(listKeyAction('ArrowUp', rows, 'a', false)).toEqual({ kind: 'select', id: 'a', index: 0 });
  });

  it('starts at the first row when nothing (or a row no longer listed) is selected', () => {
    expect(listKeyAction('j', rows, null, false)).toEqual({ kind: 'select', id: 'a', index: 0 });
    expect(listKeyAction('k', rows, 'gone', false)).toEqual({ kind: 'select', id: 'a', index: 0 });
  });

  it('jumps to the ends with Home and End', () => {
    expect(listKeyAction('Home', rows, 'c', false)).toEqual({ kind: 'select', id: 'a', index: 0 });
    expect(listKeyAction('End', rows, null, false)).toEqual({ kind: 'select', id: 'c', index: 2 });
  });

  it('takes the moving keys on an empty list without selecting anything', () => {
    expect(listKeyAction('j', [], null, false)).toEqual({ kind: 'none' });
    expect(listKeyAction('End', [], null, false)).toEqual({ kind: 'none' });
  });

  it('opens the selected row with Enter, and leaves Enter alone without one', () => {
    expect(listKeyAction('Enter', rows, 'b', false)).toEqual({ kind: 'open', id: 'b' });
    expect(listKeyAction('Enter', rows, null, false)).toBeNull();
    expect(listKeyAction('Enter', rows, 'gone', false)).toBeNull();
  });

  it('focuses the filter with / only where the list has one', () => {
    expect(listKeyAction('/', rows, null, true)).toEqual({ kind: 'search' });
    expect(listKeyAction('/', rows, null, false)).toBeNull();
  });

  it('leaves other keys alone', () => {
    expect(listKeyAction('x', rows, 'a', true)).toBeNull();
    expect(listKeyAction('Tab', rows, 'a', true)).toBeNull();
  });
});
