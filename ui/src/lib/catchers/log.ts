// The caught-request log: newest first, without duplicates, whichever way rows
// arrive (a page, a live message, or both for the same request).
import type { CaughtRequestSummary } from '../api/types';

function newerFirst(a: CaughtRequestSummary, b: CaughtRequestSummary): number {
  if (a.received_at !== b.received_at) return a.received_at < b.received_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** `rows` and `incoming` merged, newest first, each id once (the incoming copy wins). */
export function mergeCaught(
  rows: readonly CaughtRequestSummary[],
  incoming: readonly CaughtRequestSummary[],
): CaughtRequestSummary[] {
  if (incoming.length === 0) return rows.slice();
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const r of incoming) byId.set(r.id, r);
  return [...byId.values()].sort(newerFirst);
}

/** Whether a body is JSON worth showing as a tree. */
export function parseJsonBody(body: string): { ok: true; value: unknown } | { ok: false } {
  const t = body.trim();
  if (!t || !(t.startsWith('{') || t.startsWith('['))) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch {
    return { ok: false };
  }
}
