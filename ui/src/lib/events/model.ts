// Pure functions over the events list: which rows a filter keeps, and how
// stream messages change rows. The store (events.svelte.ts) drives them.
import type {
  DeliverySummary,
  EventOut,
  EventStatus,
  EventSummary,
  EventsQuery,
  StreamMessage,
  StreamMessageOf,
} from '../api/types';
import { parseTime } from '../util/format';

/** The list's filters; each maps onto a query parameter of `GET /api/v1/events`. */
export interface ListFilter {
  event_name?: string;
  status?: EventStatus;
  endpoint_id?: string;
  /** Full-text words over payloads and response bodies (the engine decides what matches). */
  q?: string;
  /** RFC 3339. */
  since?: string;
  until?: string;
}

export function filterToQuery(filter: ListFilter, cursor?: string | null, limit = 200): EventsQuery {
  const query: EventsQuery = { limit };
  if (filter.event_name) query.event_name = filter.event_name;
  if (filter.status) query.status = filter.status;
  if (filter.endpoint_id) query.endpoint_id = filter.endpoint_id;
  if (filter.q) query.q = filter.q;
  if (filter.since) query.since = filter.since;
  if (filter.until) query.until = filter.until;
  if (cursor) query.cursor = cursor;
  return query;
}

export function isFiltered(filter: ListFilter): boolean {
  return Boolean(filter.event_name || filter.status || filter.endpoint_id || filter.q || filter.since || filter.until);
}

/** The same test the engine applies, for rows that arrive over the stream. */
export function summaryMatches(filter: ListFilter, event: EventSummary): boolean {
  // A summary has no payload to search: under a search the store asks the engine instead (`refresh`).
  if (filter.q) return false;
  if (filter.event_name && event.event_name !== filter.event_name) return false;
  if (filter.status && event.status !== filter.status) return false;
  if (filter.endpoint_id && !event.deliveries.some((d) => d.endpoint_id === filter.endpoint_id)) return false;
  const created = parseTime(event.created_at);
  if (filter.since && created < parseTime(filter.since)) return false;
  if (filter.until && created > parseTime(filter.until)) return false;
  return true;
}

/** Newest first; ids are ULIDs, so they break ties in creation order. */
export function compareNewestFirst(a: EventSummary, b: EventSummary): number {
  const diff = parseTime(b.created_at) - parseTime(a.created_at);
  if (diff !== 0) return diff;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A row with one delivery replaced (or added) and the event's new status. */
export function withDelivery(event: EventSummary, delivery: DeliverySummary, status: EventStatus): EventSummary {
  const at = event.deliveries.findIndex((d) => d.id === delivery.id);
  let deliveries: DeliverySummary[];
  if (at < 0) {
    deliveries = [...event.deliveries, delivery];
  } else {
    // Ignore an update older than what we have (messages can cross a reload).
    const current = event.deliveries[at] as DeliverySummary;
    if (parseTime(current.updated_at) > parseTime(delivery.updated_at)) return event;
    deliveries = event.deliveries.slice();
    deliveries[at] = delivery;
  }
  return { ...event, status, deliveries };
}

/**
 * Two views of the same row (say, a fetched one and one kept live by the stream):
 * each delivery as last updated, and the status of the side that saw the latest change.
 */
export function mergeRows(a: EventSummary, b: EventSummary): EventSummary {
  const latest = (row: EventSummary) => Math.max(0, ...row.deliveries.map((d) => parseTime(d.updated_at)));
  const [older, newer] = latest(a) > latest(b) ? [b, a] : [a, b];
  let merged = { ...newer, deliveries: newer.deliveries.slice() };
  for (const d of older.deliveries) merged = withDelivery(merged, d, merged.status);
  return merged;
}

/** The list row for a full event. */
export function summaryOf(event: EventOut): EventSummary {
  return {
    id: event.id,
    event_name: event.event_name,
    status: event.status,
    created_at: event.created_at,
    deliveries: event.deliveries.map(({ attempts: _attempts, created_at: _c, event_id: _e, ...summary }) => summary),
  };
}

/** The slowest latest-attempt duration among the deliveries, the row's latency. */
export function rowLatency(event: EventSummary): number | null {
  let max: number | null = null;
  for (const d of event.deliveries) {
    if (d.last_duration_ms !== null && d.last_duration_ms !== undefined) {
      max = max === null ? d.last_duration_ms : Math.max(max, d.last_duration_ms);
    }
  }
  return max;
}

export interface ApplyResult {
  rows: EventSummary[];
  /** Rows added at the front (newest). */
  prepended: number;
  /** Rows changed in place. */
  updated: number;
  /** Events whose update arrived but whose row we do not hold, and that may now match the filter. */
  missing: string[];
  /** Under a search: events arrived or changed that only the engine can match, so refetch the first page. */
  refresh: boolean;
}

/**
 * Applies a batch of stream messages to `rows` (newest first), returning a new
 * array when anything changed. New events that do not match `filter` are skipped.
 */
export function applyMessages(
  rows: readonly EventSummary[],
  messages: readonly StreamMessage[],
  filter: ListFilter,
  maxRows = Number.POSITIVE_INFINITY,
): ApplyResult {
  const fresh: EventSummary[] = [];
  const freshIds = new Map<string, number>();
  let copy: EventSummary[] | null = null;
  let updated = 0;
  const missing = new Set<string>();
  const known = new Set<string>();
  let refresh = false;

  const findRow = (id: string): number => {
    const list = copy ?? rows;
    // Updates mostly hit recent events, so search from the newest.
    for (let i = 0; i < list.length; i++) if ((list[i] as EventSummary).id === id) return i;
    return -1;
  };

  for (const message of messages) {
    if (message.type === 'event_created') {
      const event = message.event;
      if (freshIds.has(event.id) || known.has(event.id) || findRow(event.id) >= 0) continue;
      if (filter.q) refresh = true;
      if (!summaryMatches(filter, event)) continue;
      freshIds.set(event.id, fresh.length);
      fresh.push(event);
      known.add(event.id);
    } else if (message.type === 'delivery_updated') {
      const m = message as StreamMessageOf<'delivery_updated'>;
      const freshAt = freshIds.get(m.event_id);
      if (freshAt !== undefined) {
        fresh[freshAt] = withDelivery(fresh[freshAt] as EventSummary, m.delivery, m.event_status);
        continue;
      }
      const at = findRow(m.event_id);
      if (at < 0) {
        // A new response body may make an event match the search.
        if (filter.q) refresh = true;
        else if (filter.status === m.event_status || (filter.endpoint_id && filter.endpoint_id === m.delivery.endpoint_id)) {
          missing.add(m.event_id);
        }
        continue;
      }
      copy ??= rows.slice();
      const before = copy[at] as EventSummary;
      const after = withDelivery(before, m.delivery, m.event_status);
      if (after !== before) {
        copy[at] = after;
        updated++;
      }
    }
  }

  if (fresh.length === 0 && copy === null) {
    return { rows: rows as EventSummary[], prepended: 0, updated, missing: [...missing], refresh };
  }
  fresh.sort(compareNewestFirst);
  let next = fresh.length ? mergeNewestFirst(fresh, copy ?? rows) : (copy as EventSummary[]);
  if (next.length > maxRows) next = next.slice(0, maxRows);
  return { rows: next, prepended: fresh.length, updated, missing: [...missing], refresh };
}

export interface PageMergeResult {
  rows: EventSummary[];
  /** Rows the page added. */
  added: number;
  /** How many of those landed above every row held before. */
  prepended: number;
  /** Held rows the page changed. */
  updated: number;
}

/** Whether two views of a row show the same thing (so the held one can stay as it is). */
function sameRow(a: EventSummary, b: EventSummary): boolean {
  if (a.status !== b.status || a.deliveries.length !== b.deliveries.length) return false;
  return a.deliveries.every((d) => {
    const other = b.deliveries.find((o) => o.id === d.id);
    return other !== undefined && other.updated_at === d.updated_at && other.status === d.status;
  });
}

/**
 * Folds a freshly fetched first page into newest-first `rows`: held rows merge with their
 * fetched view (the later change of each delivery wins), new ones slot in at their place.
 */
export function mergePage(
  rows: readonly EventSummary[],
  page: readonly EventSummary[],
  maxRows = Number.POSITIVE_INFINITY,
): PageMergeResult {
  const fetched = new Map(page.map((r) => [r.id, r]));
  let copy: EventSummary[] | null = null;
  let updated = 0;
  for (let i = 0; i < rows.length && fetched.size > 0; i++) {
    const held = rows[i] as EventSummary;
    const view = fetched.get(held.id);
    if (!view) continue;
    fetched.delete(held.id);
    const merged = mergeRows(held, view);
    if (sameRow(merged, held)) continue;
    copy ??= rows.slice();
    copy[i] = merged;
    updated++;
  }
  const fresh = [...fetched.values()].sort(compareNewestFirst);
  const base = copy ?? (rows as EventSummary[]);
  if (fresh.length === 0) return { rows: base, added: 0, prepended: 0, updated };
  const first = rows[0];
  const prepended = first ? fresh.filter((r) => compareNewestFirst(r, first) < 0).length : fresh.length;
  let next = mergeNewestFirst(fresh, base);
  if (next.length > maxRows) next = next.slice(0, maxRows);
  return { rows: next, added: fresh.length, prepended, updated };
}

/**
 * Merges two newest-first lists. Events reach the stream in commit order, which is not quite id
 * order under load, so a batch may hold events older than rows already shown.
 */
function mergeNewestFirst(fresh: readonly EventSummary[], rows: readonly EventSummary[]): EventSummary[] {
  const first = rows[0];
  if (!first || compareNewestFirst(fresh[fresh.length - 1] as EventSummary, first) <= 0) return fresh.concat(rows);
  const merged: EventSummary[] = [];
  let i = 0;
  let j = 0;
  while (i < fresh.length && j < rows.length) {
    if (compareNewestFirst(fresh[i] as EventSummary, rows[j] as EventSummary) <= 0) merged.push(fresh[i++] as EventSummary);
    else merged.push(rows[j++] as EventSummary);
  }
  for (; i < fresh.length; i++) merged.push(fresh[i] as EventSummary);
  for (; j < rows.length; j++) merged.push(rows[j] as EventSummary);
  return merged;
}

/** Inserts `event` at its place in newest-first `rows` (or merges it into its row). */
export function insertSorted(rows: readonly EventSummary[], event: EventSummary): EventSummary[] {
  const existing = rows.findIndex((r) => r.id === event.id);
  const next = rows.slice();
  if (existing >= 0) {
    next[existing] = mergeRows(next[existing] as EventSummary, event);
    return next;
  }
  let lo = 0;
  let hi = next.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareNewestFirst(next[mid] as EventSummary, event) <= 0) lo = mid + 1;
    else hi = mid;
  }
  next.splice(lo, 0, event);
  return next;
}

/** Sorted unique event names. */
export function mergeNames(into: readonly string[], names: Iterable<string>): string[] {
  const set = new Set(into);
  let changed = false;
  for (const name of names) {
    if (!set.has(name)) {
      set.add(name);
      changed = true;
    }
  }
  return changed ? [...set].sort() : (into as string[]);
}
