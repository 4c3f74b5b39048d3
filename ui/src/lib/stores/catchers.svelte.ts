// Catchers (mock receivers): the list, kept live by `catcher.updated`,
// `catcher.deleted` and `request.caught`.
import type { CatchersApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { CatcherIn, CatcherOut, CatcherPatch, StreamMessage } from '../api/types';

/** The engine keeps the newest 1,000 requests of each catcher. */
export const KEPT_REQUESTS = 1000;

export class CatchersStore {
  list = $state.raw<CatcherOut[]>([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);

  byId = $derived(new Map(this.list.map((c) => [c.id, c])));

  constructor(private readonly api: () => CatchersApi) {}

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.list = sortCatchers(await this.api().listCatchers());
      this.loaded = true;
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loading = false;
    }
  }

  /** Throws ApiError (with `field` on 422) for the form to show. */
  async create(body: CatcherIn): Promise<CatcherOut> {
    const created = await this.api().createCatcher(body);
    this.putAnswer(created);
    return created;
  }

  async update(id: string, patch: CatcherPatch): Promise<CatcherOut> {
    const updated = await this.api().updateCatcher(id, patch);
    this.putAnswer(updated);
    return updated;
  }

  async remove(id: string, withEndpoint: boolean): Promise<void> {
    await this.api().deleteCatcher(id, withEndpoint);
    this.drop(id);
  }

  async clearRequests(id: string): Promise<void> {
    await this.api().clearCaught(id);
    const c = this.byId.get(id);
    if (c) this.put({ ...c, request_count: 0, last_request_at: null });
  }

  applyBatch(messages: readonly StreamMessage[]): void {
    for (const m of messages) {
      if (m.type === 'catcher_updated') this.put(m.catcher);
      else if (m.type === 'catcher_deleted') this.drop(m.catcher_id);
      else if (m.type === 'request_caught') {
        const c = this.byId.get(m.catcher_id);
        if (!c) continue;
        this.put({
          ...c,
          request_count: Math.min(c.request_count + 1, KEPT_REQUESTS),
          last_request_at: m.request.received_at,
        });
      }
    }
  }

  /** An answer tells of the catcher as it was written; the stream may already have told of
   *  requests caught since (a receiver answers fast), and those counts must not go back. */
  private putAnswer(answer: CatcherOut): void {
    const known = this.byId.get(answer.id);
    if (known && caughtLater(known.last_request_at, answer.last_request_at)) {
      this.put({ ...answer, request_count: known.request_count, last_request_at: known.last_request_at });
    } else {
      this.put(answer);
    }
  }

  private drop(id: string): void {
    this.list = this.list.filter((c) => c.id !== id);
  }

  private put(catcher: CatcherOut): void {
    const at = this.list.findIndex((c) => c.id === catcher.id);
    if (at >= 0) {
      const next = this.list.slice();
      next[at] = catcher;
      this.list = next;
    } else {
      this.list = sortCatchers([...this.list, catcher]);
    }
  }
}

function caughtLater(known: string | null | undefined, answered: string | null | undefined): boolean {
  if (!known) return false;
  return !answered || Date.parse(known) > Date.parse(answered);
}

function sortCatchers(list: CatcherOut[]): CatcherOut[] {
  return list.slice().sort((a, b) => a.name.localeCompare(b.name));
}
