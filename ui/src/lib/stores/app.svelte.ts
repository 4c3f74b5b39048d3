// The app's wiring: the connection, the API, the live stream and one store per concern.
import { apiOver, type Api } from '../api/calls';
import { ApiError, createApiClient, errorMessage } from '../api/client';
import type { ServerInfo } from '../api/types';
import { boot, forgetToken, type Connection } from '../bootstrap';
import { mergeNames } from '../events/model';
import { StreamHub, type StreamState } from '../events/stream';
import { ComposerStore } from './composer.svelte';
import { DemoStore } from './demo.svelte';
import { EndpointsStore } from './endpoints.svelte';
import { EventsStore } from './events.svelte';
import { HistoryStore } from './history.svelte';
import { VerifyDraft } from './verify.svelte';
import { FixturesStore } from './fixtures.svelte';
import { RunsStore } from './runs.svelte';
import { CatchersStore } from './catchers.svelte';
import { TimeWarpStore } from './timewarp.svelte';

export type Phase = 'booting' | 'ready' | 'no-token' | 'rejected' | 'error';

class AppState {
  phase = $state<Phase>('booting');
  message = $state('');
  connection = $state.raw<Connection | null>(null);
  info = $state.raw<ServerInfo | null>(null);
  stream = $state<StreamState>('connecting');

  private apiImpl: Api | null = null;
  hub: StreamHub | null = null;

  /** The events list screen's rows (filtered). */
  readonly events = new EventsStore(() => this.api, { pageSize: 200 });
  /** The latest events, unfiltered, for endpoint health and name suggestions. */
  readonly recent = new EventsStore(() => this.api, { pageSize: 500, maxRows: 5000 });
  readonly endpoints = new EndpointsStore(() => this.api);
  readonly history = new HistoryStore();
  readonly composer = new ComposerStore();
  readonly verify = new VerifyDraft();
  readonly fixtures = new FixturesStore(() => this.api);
  readonly runs = new RunsStore(() => this.api);
  readonly catchers = new CatchersStore(() => this.api);
  readonly timeWarp = new TimeWarpStore(() => this.api);
  readonly demo = new DemoStore(() => this.api);

  /** Every event name seen: in the list, in recent events and in the send history. */
  names = $derived(
    mergeNames(
      mergeNames(this.events.names, this.recent.names),
      this.history.items.map((i) => i.event_name),
    ),
  );

  get api(): Api {
    if (!this.apiImpl) throw new Error('the API is not connected yet');
    return this.apiImpl;
  }

  async start(): Promise<void> {
    const found = await boot();
    if (found.kind === 'no-token') {
      this.phase = 'no-token';
      return;
    }
    if (found.kind === 'error') {
      this.phase = 'error';
      this.message = found.message;
      return;
    }
    const { connection } = found;
    this.connection = connection;
    this.apiImpl = apiOver(createApiClient(connection.baseUrl, connection.token));
    try {
      this.info = await this.api.info();
      this.timeWarp.warp = this.info.time_warp;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.reject();
      } else {
        this.phase = 'error';
        this.message = errorMessage(err);
      }
      return;
    }
    this.startStream(connection);
    void this.endpoints.load();
    this.phase = 'ready';
  }

  private reject(): void {
    forgetToken();
    this.hub?.stop();
    this.phase = 'rejected';
  }

  private startStream(connection: Connection): void {
    const url = `${connection.baseUrl}/api/v1/stream?token=${encodeURIComponent(connection.token)}`;
    const hub = new StreamHub({
      url,
      onState: (state) => (this.stream = state),
      onFatal: async () => {
        try {
          await this.api.info();
          return true;
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) {
            this.reject();
            return false;
          }
          return true; // the engine is down or restarting: keep trying
        }
      },
    });
    hub.subscribe({
      onBatch: (batch) => {
        this.events.applyBatch(batch);
        this.recent.applyBatch(batch);
        this.endpoints.applyBatch(batch);
        this.fixtures.applyBatch(batch);
        this.runs.applyBatch(batch);
        this.catchers.applyBatch(batch);
        this.timeWarp.applyBatch(batch);
        this.demo.applyBatch(batch);
      },
      onResync: () => {
        if (this.events.loaded) void this.events.reload();
        if (this.recent.loaded) void this.recent.load();
        void this.endpoints.load();
        if (this.fixtures.loaded) void this.fixtures.load();
        this.runs.onResync();
        if (this.catchers.loaded) void this.catchers.load();
        void this.timeWarp.load().catch(() => {});
        if (this.demo.loaded) void this.demo.load();
      },
    });
    this.hub = hub;
    hub.start();
  }
}

export const app = new AppState();
