// Endpoints: the list, kept live by `endpoint.updated` / `endpoint.deleted`.
import type { EndpointsApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { Endpoint, EndpointIn, EndpointPatch, StreamMessage } from '../api/types';
import { matchesAny } from '../util/filter';
import { shortId } from '../util/format';

export class EndpointsStore {
  list = $state.raw<Endpoint[]>([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);

  byId = $derived(new Map(this.list.map((e) => [e.id, e])));

  constructor(private readonly api: () => EndpointsApi) {}

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.list = sortEndpoints(await this.api().listEndpoints());
      this.loaded = true;
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loading = false;
    }
  }

  /** Throws ApiError (with `field` on 422) for the form to show. */
  async create(body: EndpointIn): Promise<Endpoint> {
    const created = await this.api().createEndpoint(body);
    this.put(created);
    return created;
  }

  async update(id: string, patch: EndpointPatch): Promise<Endpoint> {
    const updated = await this.api().updateEndpoint(id, patch);
    this.put(updated);
    return updated;
  }

  async remove(id: string): Promise<void> {
    await this.api().deleteEndpoint(id);
    this.list = this.list.filter((e) => e.id !== id);
  }

  applyBatch(messages: readonly StreamMessage[]): void {
    for (const m of messages) {
      if (m.type === 'endpoint_updated') this.put(m.endpoint);
      else if (m.type === 'endpoint_deleted') this.list = this.list.filter((e) => e.id !== m.endpoint_id);
    }
  }

  /** A short name for an endpoint id: its name, else its URL's host and path. */
  label(id: string): string {
    const ep = this.byId.get(id);
    if (ep) return endpointLabel(ep);
    return this.loaded ? `deleted ${shortId(id, 4)}` : shortId(id, 4);
  }

  /** Endpoints an event of `name` is delivered to (enabled) and those that match but are disabled. */
  matching(name: string): { enabled: Endpoint[]; disabled: Endpoint[] } {
    const enabled: Endpoint[] = [];
    const disabled: Endpoint[] = [];
    if (!name) return { enabled, disabled };
    for (const ep of this.list) {
      if (!matchesAny(ep.event_filter, name)) continue;
      (ep.enabled ? enabled : disabled).push(ep);
    }
    return { enabled, disabled };
  }

  private put(endpoint: Endpoint): void {
    const at = this.list.findIndex((e) => e.id === endpoint.id);
    if (at >= 0) {
      const next = this.list.slice();
      next[at] = endpoint;
      this.list = next;
    } else {
      this.list = sortEndpoints([...this.list, endpoint]);
    }
  }
}

function sortEndpoints(list: Endpoint[]): Endpoint[] {
  return list.slice().sort((a, b) => a.created_at.localeCompare(b.created_at));
}

export function endpointLabel(ep: Pick<Endpoint, 'name' | 'url'>): string {
  if (ep.name) return ep.name;
  try {
    const u = new URL(ep.url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return ep.url;
  }
}

export { errorMessage };
