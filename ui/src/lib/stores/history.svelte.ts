// The composer's recent sends, kept in localStorage.

export interface SentItem {
  event_name: string;
  /** The payload as typed (so formatting survives). */
  payload: string;
  sent_at: string;
  event_id: string;
  deliveries: number;
}

const KEY = 'hooky.composer.history';
const MAX = 30;

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function defaultStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export class HistoryStore {
  items = $state.raw<SentItem[]>([]);

  constructor(private readonly storage: StorageLike | null = defaultStorage()) {
    this.items = this.read();
  }

  add(item: SentItem): void {
    const sameContent = (i: SentItem) => i.event_name === item.event_name && i.payload.trim() === item.payload.trim();
    this.items = [item, ...this.items.filter((i) => !sameContent(i))].slice(0, MAX);
    this.write();
  }

  clear(): void {
    this.items = [];
    this.storage?.removeItem(KEY);
  }

  private read(): SentItem[] {
    try {
      const raw = this.storage?.getItem(KEY);
      if (!raw) return [];
      const parsed: unknown = JSON.parse(raw);
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (i): i is SentItem =>
          typeof i === 'object' && i !== null && typeof i.event_name === 'string' && typeof i.payload === 'string',
      );
    } catch {
      return [];
    }
  }

  private write(): void {
    try {
      this.storage?.setItem(KEY, JSON.stringify(this.items));
    } catch {
      // Quota or privacy mode: history just is not kept.
    }
  }
}
