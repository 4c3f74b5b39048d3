// j/k/Enter on the events list, and `/` to filter.

interface ListKeys {
  rows: () => readonly { id: string }[];
  selected: () => string | null;
  select: (id: string, index: number) => void;
  open: (id: string) => void;
  focusSearch: () => void;
}

/** True when a key press belongs to a text field or control, not to the list. */
export function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(target.tagName) || target.closest('dialog') !== null;
}

export function useListKeys(keys: ListKeys): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (typingInto(e.target)) return;
    const rows = keys.rows();
    const current = keys.selected();
    const at = current ? rows.findIndex((r) => r.id === current) : -1;
    const move = (index: number) => {
      const row = rows[index];
      if (row) keys.select(row.id, index);
    };
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        e.preventDefault();
        move(at < 0 ? 0 : Math.min(at + 1, rows.length - 1));
        break;
      case 'k':
      case 'ArrowUp':
        e.preventDefault();
        move(at < 0 ? 0 : Math.max(at - 1, 0));
        break;
      case 'Home':
        e.preventDefault();
        move(0);
        break;
      case 'End':
        e.preventDefault();
        move(rows.length - 1);
        break;
      case 'Enter':
        if (current && at >= 0) {
          e.preventDefault();
          keys.open(current);
        }
        break;
      case '/':
        e.preventDefault();
        keys.focusSearch();
        break;
    }
  };
}
