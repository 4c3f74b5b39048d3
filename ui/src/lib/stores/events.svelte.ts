// The events list: a page loaded over HTTP, kept live by stream batches.
import type { EventsApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { EventSummary, StreamMessage } from '../api/types';
import {
  applyMessages,
  compareNewestFirst,
  filterToQuery,
  insertSorted,
  mergeNames,
  mergePage,
  summaryMatches,
  summaryOf,
  type ListFilter,
} from '../events/model';
import { Throttle } from '../events/throttle';

/** 'reload': the same filter read again (the stream fell behind), so a held view can keep its rows. */
export type ListChange = 'reset' | 'reload' | 'prepend' | 'append' | 'update';

export interface EventsStoreOptions {
  pageSize?: number;
  /** Older rows beyond this are dropped when new ones arrive. */
  maxRows?: number;
  /** Under a search, the least time between two refetches of the first page. */
  refreshMs?: number;
}

/** Pages a search refetch reads at most to reach the rows it holds (see `refreshFirstPage`). */
const MAX_REFRESH_PAGES = 10;

export class EventsStore {
  /** Newest first. Raw state: rows are replaced, never mutated, so 100k of them cost no proxies. */
  rows = $state.raw<EventSummary[]>([]);
  filter = $state.raw<ListFilter>({});
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  loadingMore = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** What the last change to `rows` was; the list keeps its scroll position on 'prepend'. */
  lastChange = $state<ListChange>('reset');
  /** How many rows the last 'prepend' added. */
  lastPrepended = $state(0);
  /** Bumped on every change to `rows`, so consumers can react to each one. */
  version = $state(0);
  /** Every event name seen, sorted (for filters and the composer's autocomplete). */
  names = $state.raw<string[]>([]);

  private readonly pageSize: number;
  private readonly maxRows: number;
  private generation = 0;
  private heldBack: StreamMessage[] | null = null;
  private fetching = new Set<string>();
  /** Refetches the first page under a search, where only the engine can tell what matches. */
  private readonly refresher: Throttle;

  constructor(
    private readonly api: () => EventsApi,
    options: EventsStoreOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 200;
    this.maxRows = options.maxRows ?? 200_000;
    this.refresher = new Throttle(() => this.refreshFirstPage(), options.refreshMs ?? 1000);
  }

  /** Loads the first page again, after the stream fell behind or reconnected. */
  reload(): Promise<void> {
    return this.load(this.filter, 'reload');
  }

  /** Loads the first page for `filter` (default: the current one). */
  async load(filter: ListFilter = this.filter, change: ListChange = 'reset'): Promise<void> {
    const generation = ++this.generation;
    this.refresher.cancel();
    this.filter = filter;
    this.loading = true;
    this.error = null;
    // Messages that arrive while the page is in flight are applied on top of it.
    this.heldBack = [];
    try {
      const page = await this.api().listEvents(filterToQuery(filter, null, this.pageSize));
      if (generation !== this.generation) return;
      this.setRows(page.data, change);
      this.nextCursor = page.next_cursor ?? null;
      this.loaded = true;
    } catch (err) {
      if (generation !== this.generation) return;
      this.error = errorMessage(err);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        const held = this.heldBack ?? [];
        this.heldBack = null;
        if (held.length) this.applyBatch(held);
      }
    }
  }

  /** Loads the next (older) page, if there is one. */
  async loadMore(): Promise<void> {
    if (!this.nextCursor || this.loadingMore || this.loading) return;
    const generation = this.generation;
    this.loadingMore = true;
    try {
      const page = await this.api().listEvents(filterToQuery(this.filter, this.nextCursor, this.pageSize));
      if (generation !== this.generation) return;
      const have = new Set(this.rows.map((r) => r.id));
      const older = page.data.filter((r) => !have.has(r.id));
      this.setRows(this.rows.concat(older), 'append');
      this.nextCursor = page.next_cursor ?? null;
    } catch (err) {
      if (generation === this.generation) this.error = errorMessage(err);
    } finally {
      if (generation === this.generation) this.loadingMore = false;
    }
  }

  /** Applies one batch of stream messages (one call per animation frame). */
  applyBatch(messages: readonly StreamMessage[]): void {
    if (this.heldBack) {
      this.heldBack.push(...messages);
      return;
    }
    const created = messages.flatMap((m) => (m.type === 'event_created' ? [m.event.event_name] : []));
    if (created.length) this.names = mergeNames(this.names, created);
    if (!this.loaded) return;
    const result = applyMessages(this.rows, messages, this.filter, this.maxRows);
    if (result.rows !== this.rows) {
      this.rows = result.rows;
      this.lastChange = result.prepended > 0 ? 'prepend' : 'update';
      this.lastPrepended = result.prepended;
      this.version++;
    }
    for (const id of result.missing) void this.fetchMissing(id);
    if (result.refresh) this.refresher.request();
  }

  /** Adds a row we know exists (e.g. just triggered), when it matches the filter. */
  upsert(event: EventSummary): void {
    this.names = mergeNames(this.names, [event.event_name]);
    if (!this.loaded || !summaryMatches(this.filter, event)) return;
    const wasFirst = this.rows.length === 0 || this.rows[0]?.id !== event.id;
    const before = this.rows.length;
    this.rows = insertSorted(this.rows, event);
    this.lastChange = this.rows.length > before && wasFirst ? 'prepend' : 'update';
    this.lastPrepended = this.rows.length - before;
    this.version++;
  }

  /**
   * Merges the search's newest matches into the rows (new matches appear, held rows stay live).
   * More than a page can match between two refetches, so it reads on until it reaches the
   * newest row it holds; past MAX_REFRESH_PAGES pages it reloads the list instead.
   */
  private async refreshFirstPage(): Promise<void> {
    if (!this.loaded || this.heldBack || !this.filter.q) return;
    const generation = this.generation;
    const newestHeld = this.rows[0];
    try {
      const fetched: EventSummary[] = [];
      let cursor: string | null = null;
      let reached = false;
      for (let pages = 0; pages < MAX_REFRESH_PAGES && !reached; pages++) {
        const page = await this.api().listEvents(filterToQuery(this.filter, cursor, this.pageSize));
        if (generation !== this.generation) return;
        fetched.push(...page.data);
        const oldest = page.data[page.data.length - 1];
        cursor = page.next_cursor ?? null;
        reached = !cursor || !oldest || !newestHeld || compareNewestFirst(oldest, newestHeld) >= 0;
      }
      if (!reached) {
        // More matched than the pages read: start over from the newest rather than leave a gap.
        await this.load(this.filter);
        return;
      }
      const result = mergePage(this.rows, fetched, this.maxRows);
      if (result.rows === this.rows) return;
      this.rows = result.rows;
      this.names = mergeNames(
        this.names,
        fetched.map((r) => r.event_name),
      );
      const onTop = result.added > 0 && result.prepended === result.added;
      this.lastChange = onTop ? 'prepend' : 'update';
      this.lastPrepended = result.added;
      this.version++;
    } catch {
      // Rows already shown stay live; the next message or reload tries again.
    }
  }

  /** Rows the filter now matches but we never held: fetch and slot them in. */
  private async fetchMissing(id: string): Promise<void> {
    if (this.fetching.has(id)) return;
    this.fetching.add(id);
    const generation = this.generation;
    try {
      const event = await this.api().getEvent(id);
      if (generation !== this.generation) return;
      const summary = summaryOf(event);
      if (summaryMatches(this.filter, summary)) {
        const before = this.rows.length;
        this.rows = insertSorted(this.rows, summary);
        this.lastChange = 'update';
        this.lastPrepended = this.rows.length - before;
        this.version++;
      }
    } catch {
      // The row just does not show; the next reload has it.
    } finally {
      this.fetching.delete(id);
    }
  }

  private setRows(rows: EventSummary[], change: ListChange): void {
    this.rows = rows.length > this.maxRows ? rows.slice(0, this.maxRows) : rows;
    this.lastChange = change;
    this.lastPrepended = 0;
    this.version++;
    this.names = mergeNames(
      this.names,
      rows.map((r) => r.event_name),
    );
  }
}
