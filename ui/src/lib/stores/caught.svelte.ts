// One catcher's request log: pages back with `before`, live rows from `request.caught`.
import type { CatchersApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { CaughtRequestSummary, StreamMessage } from '../api/types';
import { mergeCaught } from '../catchers/log';

const PAGE = 100;

export class CaughtLog {
  rows = $state.raw<CaughtRequestSummary[]>([]);
  nextBefore = $state<string | null>(null);
  loaded = $state(false);
  loadingMore = $state(false);
  error = $state<string | null>(null);
  /** Rows the last live batch put on top (for keeping the rows in view still). */
  lastPrepended = $state(0);
  /** Bumped on every change, so effects see two alike changes in a row. */
  version = $state(0);

  constructor(
    private readonly api: () => CatchersApi,
    readonly catcherId: string,
  ) {}

  async load(): Promise<void> {
    this.error = null;
    try {
      const page = await this.api().listCaught(this.catcherId, undefined, PAGE);
      // Rows caught while the page was on its way stay; the page fills in the rest.
      this.rows = mergeCaught(this.loaded ? [] : this.rows, page.data);
      this.nextBefore = page.next_before ?? null;
      this.loaded = true;
      this.changed(0);
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  async loadMore(): Promise<void> {
    if (!this.nextBefore || this.loadingMore) return;
    this.loadingMore = true;
    try {
      const page = await this.api().listCaught(this.catcherId, this.nextBefore, PAGE);
      this.rows = mergeCaught(this.rows, page.data);
      this.nextBefore = page.next_before ?? null;
      this.changed(0);
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loadingMore = false;
    }
  }

  applyBatch(messages: readonly StreamMessage[]): void {
    const caught: CaughtRequestSummary[] = [];
    let cleared = false;
    for (const m of messages) {
      if (m.type === 'request_caught' && m.catcher_id === this.catcherId) caught.push(m.request);
      else if (m.type === 'catcher_updated' && m.catcher.id === this.catcherId && m.catcher.request_count === 0) {
        cleared = true;
        caught.length = 0;
      }
    }
    if (cleared) {
      this.rows = [];
      this.nextBefore = null;
    }
    if (caught.length === 0) {
      if (cleared) this.changed(0);
      return;
    }
    this.rows = mergeCaught(this.rows, caught);
    this.changed(caught.length);
  }

  private changed(prepended: number): void {
    this.lastPrepended = prepended;
    this.version++;
  }
}
