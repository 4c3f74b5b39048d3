// The API calls the stores make, over the generated client. Stores depend on
// these small interfaces, so tests can hand them fakes.
import { unwrap, type ApiClient } from './client';
import type {
  FixtureLibrary,
  FixtureSelection,
  RenderedFixture,
  SentFixture,
  RunIn,
  RunOut,
  RunSummary,
  CatcherIn,
  CatcherOut,
  CatcherPatch,
  CaughtRequestOut,
  CaughtRequestPage,
  TimeWarp,
  DemoOut,
  DemoResetOut,
  DeliverySummary,
  Endpoint,
  EndpointsExport,
  EndpointsImport,
  ImportedSetup,
  JobOut,
  RecoverOut,
  RetentionSettings,
  RetryFailedIn,
  RetryFailedOut,
  Stats,
  StatsQuery,
  VerifyIn,
  VerifyOut,
  EndpointIn,
  EndpointPatch,
  EventOut,
  EventPage,
  EventsQuery,
  ServerInfo,
  TriggerIn,
  TriggerOut,
} from './types';

export interface EventsApi {
  listEvents(query: EventsQuery): Promise<EventPage>;
  getEvent(id: string): Promise<EventOut>;
}

export interface DeliveriesApi {
  retry(id: string): Promise<DeliverySummary>;
  cancel(id: string): Promise<DeliverySummary>;
  /** The delivery as a curl command; `resign` signs it anew with a fresh timestamp. */
  deliveryCurl(id: string, resign: boolean): Promise<string>;
  /** New deliveries of an event; `endpointIds` undefined: every enabled matching endpoint. */
  resend(eventId: string, endpointIds?: string[]): Promise<TriggerOut>;
  retryFailed(body: RetryFailedIn): Promise<RetryFailedOut>;
}

export interface JobsApi {
  getJob(id: string): Promise<JobOut>;
  cancelJob(id: string): Promise<JobOut>;
}

export interface ToolsApi {
  verify(body: VerifyIn): Promise<VerifyOut>;
  stats(query: StatsQuery): Promise<Stats>;
  getSettings(): Promise<RetentionSettings>;
  putSettings(body: RetentionSettings): Promise<RetentionSettings>;
  /** Deletes every event; the count deleted. */
  clearEvents(): Promise<number>;
  exportEndpoints(includeSecrets: boolean): Promise<EndpointsExport>;
  importEndpoints(body: EndpointsImport): Promise<ImportedSetup>;
}

export interface EndpointsApi {
  listEndpoints(): Promise<Endpoint[]>;
  createEndpoint(body: EndpointIn): Promise<Endpoint>;
  updateEndpoint(id: string, body: EndpointPatch): Promise<Endpoint>;
  deleteEndpoint(id: string): Promise<void>;
  /** The current `whsec_…` signing secret. */
  getSecret(id: string): Promise<string>;
  /** Switches to a new secret; the old one keeps signing for `graceS` seconds (default a day). */
  rotateSecret(id: string, graceS?: number): Promise<string>;
  /** Re-enables an endpoint and recovers what it missed (`dryRun`: counts only). */
  recover(id: string, dryRun: boolean): Promise<RecoverOut>;
}

export interface MetaApi {
  info(): Promise<ServerInfo>;
  trigger(body: TriggerIn): Promise<TriggerOut>;
}

export interface CatchersApi {
  listCatchers(): Promise<CatcherOut[]>;
  createCatcher(body: CatcherIn): Promise<CatcherOut>;
  updateCatcher(id: string, body: CatcherPatch): Promise<CatcherOut>;
  /** `withEndpoint`: also delete the endpoint created with it. */
  deleteCatcher(id: string, withEndpoint: boolean): Promise<void>;
  /** Newest first; `before` is the previous page's `next_before`. */
  listCaught(id: string, before?: string, limit?: number): Promise<CaughtRequestPage>;
  getCaught(id: string, requestId: string): Promise<CaughtRequestOut>;
  clearCaught(id: string): Promise<void>;
}

export interface TimeWarpApi {
  getTimeWarp(): Promise<TimeWarp>;
  /** 1 (or null) turns it off. */
  putTimeWarp(factor: number | null): Promise<TimeWarp>;
}

export interface FixturesApi {
  getFixtures(): Promise<FixtureLibrary>;
  /** An absolute folder path; null goes back to the default folder. */
  setFixturesFolder(dir: string | null): Promise<FixtureLibrary>;
  renderFixture(body: FixtureSelection): Promise<RenderedFixture>;
  sendFixture(body: FixtureSelection): Promise<SentFixture>;
}

export interface RunsApi {
  listRuns(): Promise<RunSummary[]>;
  getRun(id: string): Promise<RunOut>;
  startRun(body: RunIn): Promise<RunOut>;
  cancelRun(id: string): Promise<RunSummary>;
}

export type Api = EventsApi & DeliveriesApi & JobsApi & EndpointsApi & MetaApi & ToolsApi & CatchersApi & TimeWarpApi & FixturesApi & RunsApi & DemoApi;
export interface DemoApi {
  getDemo(): Promise<DemoOut>;
  /** Starts or resumes the demo; `intervalMs` between events (200 to 10000). */
  startDemo(intervalMs?: number): Promise<DemoOut>;
  stopDemo(): Promise<DemoOut>;
  /** Deletes what the demo created and gives the time warp back. */
  resetDemo(): Promise<DemoResetOut>;
}


export function apiOver(client: ApiClient): Api {
  const id = (value: string) => ({ params: { path: { id: value } } });
  return {
    listEvents: async (query) => unwrap(await client.GET('/api/v1/events', { params: { query } })),
    getEvent: async (value) => unwrap(await client.GET('/api/v1/events/{id}', id(value))),
    retry: async (value) => unwrap(await client.POST('/api/v1/deliveries/{id}/retry', id(value))),
    cancel: async (value) => unwrap(await client.POST('/api/v1/deliveries/{id}/cancel', id(value))),
    listEndpoints: async () => unwrap(await client.GET('/api/v1/endpoints')).data,
    createEndpoint: async (body) => unwrap(await client.POST('/api/v1/endpoints', { body })),
    updateEndpoint: async (value, body) =>
      unwrap(await client.PATCH('/api/v1/endpoints/{id}', { ...id(value), body })),
    deleteEndpoint: async (value) => {
      unwrap(await client.DELETE('/api/v1/endpoints/{id}', id(value)));
    },
    getSecret: async (value) => unwrap(await client.GET('/api/v1/endpoints/{id}/secret', id(value))).key,
    rotateSecret: async (value, graceS) =>
      unwrap(
        await client.POST('/api/v1/endpoints/{id}/secret/rotate', {
          ...id(value),
          body: graceS === undefined ? {} : { grace_period_s: graceS },
        }),
      ).key,
    recover: async (value, dryRun) =>
      unwrap(await client.POST('/api/v1/endpoints/{id}/recover', { ...id(value), body: { dry_run: dryRun } })),
    deliveryCurl: async (value, resign) =>
      unwrap(await client.GET('/api/v1/deliveries/{id}/curl', { params: { path: { id: value }, query: { resign } } }))
        .command,
    resend: async (value, endpointIds) =>
      unwrap(
        await client.POST('/api/v1/events/{id}/resend', {
          ...id(value),
          body: endpointIds ? { endpoint_ids: endpointIds } : {},
        }),
      ),
    retryFailed: async (body) => unwrap(await client.POST('/api/v1/deliveries/retry-failed', { body })),
    getJob: async (value) => unwrap(await client.GET('/api/v1/jobs/{id}', id(value))),
    cancelJob: async (value) => unwrap(await client.POST('/api/v1/jobs/{id}/cancel', id(value))),
    verify: async (body) => unwrap(await client.POST('/api/v1/signatures/verify', { body })),
    stats: async (query) => unwrap(await client.GET('/api/v1/stats', { params: { query } })),
    getSettings: async () => unwrap(await client.GET('/api/v1/settings')),
    putSettings: async (body) => unwrap(await client.PUT('/api/v1/settings', { body })),
    clearEvents: async () =>
      unwrap(await client.DELETE('/api/v1/events', { params: { query: { confirm: 'all' } } })).deleted_events,
    exportEndpoints: async (includeSecrets) =>
      unwrap(await client.GET('/api/v1/export/endpoints', { params: { query: { include_secrets: includeSecrets } } })),
    importEndpoints: async (body) => unwrap(await client.POST('/api/v1/import/endpoints', { body })),
    info: async () => unwrap(await client.GET('/api/v1/info')),
    trigger: async (body) => unwrap(await client.POST('/api/v1/webhook_events/trigger', { body })),
    listCatchers: async () => unwrap(await client.GET('/api/v1/catchers')).data,
    createCatcher: async (body) => unwrap(await client.POST('/api/v1/catchers', { body })),
    updateCatcher: async (value, body) => unwrap(await client.PATCH('/api/v1/catchers/{id}', { ...id(value), body })),
    deleteCatcher: async (value, withEndpoint) => {
      unwrap(
        await client.DELETE('/api/v1/catchers/{id}', {
          params: { path: { id: value }, query: { with_endpoint: withEndpoint } },
        }),
      );
    },
    listCaught: async (value, before, limit) =>
      unwrap(
        await client.GET('/api/v1/catchers/{id}/requests', {
          params: { path: { id: value }, query: { ...(before ? { before } : {}), ...(limit ? { limit } : {}) } },
        }),
      ),
    getCaught: async (value, requestId) =>
      unwrap(
        await client.GET('/api/v1/catchers/{id}/requests/{request_id}', {
          params: { path: { id: value, request_id: requestId } },
        }),
      ),
    clearCaught: async (value) => {
      unwrap(await client.DELETE('/api/v1/catchers/{id}/requests', id(value)));
    },
    getTimeWarp: async () => unwrap(await client.GET('/api/v1/time_warp')),
    putTimeWarp: async (factor) => unwrap(await client.PUT('/api/v1/time_warp', { body: { factor } })),
    getFixtures: async () => unwrap(await client.GET('/api/v1/fixtures')),
    setFixturesFolder: async (dir) => unwrap(await client.PUT('/api/v1/fixtures/folder', { body: { dir } })),
    renderFixture: async (body) => unwrap(await client.POST('/api/v1/fixtures/render', { body })),
    sendFixture: async (body) => unwrap(await client.POST('/api/v1/fixtures/send', { body })),
    listRuns: async () => unwrap(await client.GET('/api/v1/runs')).data,
    getRun: async (value) => unwrap(await client.GET('/api/v1/runs/{id}', id(value))),
    startRun: async (body) => unwrap(await client.POST('/api/v1/runs', { body })),
    cancelRun: async (value) => unwrap(await client.POST('/api/v1/runs/{id}/cancel', id(value))),
    getDemo: async () => unwrap(await client.GET('/api/v1/demo')),
    startDemo: async (intervalMs) =>
      unwrap(await client.POST('/api/v1/demo', { body: intervalMs === undefined ? {} : { interval_ms: intervalMs } })),
    stopDemo: async () => unwrap(await client.POST('/api/v1/demo/stop')),
    resetDemo: async () => unwrap(await client.DELETE('/api/v1/demo')),
  };
}
