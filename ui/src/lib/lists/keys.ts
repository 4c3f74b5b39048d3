// j/k/Enter on a list of rows (the events list, a catcher's request log), and `/` to filter.

export interface Row {
  id: string;
}

/** What a key does to a list: move the selection, open the selected row, focus the filter, or nothing (but the key is the list's). */
export type ListKeyAction =
  | { kind: 'select'; id: string; index: number }
  | { kind: 'open'; id: string }
  | { kind: 'search' }
  | { kind: 'none' };

/** The action of `key` on `rows` with `selected` chosen, or null when the list leaves the key alone. */
export function listKeyAction(key: string, rows: readonly Row[], selected: string | null, search: boolean): ListKeyAction | null {
  const at = selected ? rows.findIndex((r) => r.id === selected) : -1;
  const move = (index: number): ListKeyAction => {
    const row = rows[index];
    return row ? { kind: 'select', id: row.id, index } : { kind: 'none' };
  };
  switch (key) {
    case 'j':
    case 'ArrowDown':
      return move(at < 0 ? 0 : Math.min(at + 1, rows.length - 1));
    case 'k':
    case 'ArrowUp':
      return move(at < 0 ? 0 : Math.max(at - 1, 0));
    case 'Home':
      return move(0);
    case 'End':
      return move(rows.length - 1);
    case 'Enter':
      return selected && at >= 0 ? { kind: 'open', id: selected } : null;
    case '/':
      return search ? { kind: 'search' } : null;
    default:
      return null;
  }
}

/** True when a key press belongs to a text field or control, not to the list. */
export function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(target.tagName) || target.closest('dialog') !== null;
}

interface ListKeys {
  rows: () => readonly Row[];
  selected: () => string | null;
  /** Also scrolls the row into view. */
  select: (id: string, index: number) => void;
  open: (id: string) => void;
  /** Given, `/` calls it. */
  focusSearch?: () => void;
}

/** A keydown handler applying `listKeyAction`, for the window or for the list element. */
export function useListKeys(keys: ListKeys): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (typingInto(e.target)) return;
    const action = listKeyAction(e.key, keys.rows(), keys.selected(), keys.focusSearch !== undefined);
    if (!action) return;
    e.preventDefault();
    if (action.kind === 'select') keys.select(action.id, action.index);
    else if (action.kind === 'open') keys.open(action.id);
    else if (action.kind === 'search') keys.focusSearch?.();
  };
}
