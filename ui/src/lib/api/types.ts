// Names for the generated API schemas. Nothing here is written by hand: every
// type is an alias of `components` from schema.d.ts, which scripts/gen-api.sh
// generates from the engine's OpenAPI document.
import type { components } from './schema';

type Schemas = components['schemas'];

export type AttemptOut = Schemas['AttemptOut'];
export type AttemptError = Schemas['AttemptError'];
export type DeliveryOut = Schemas['DeliveryOut'];
export type DeliveryStatus = Schemas['DeliveryStatus'];
export type DeliverySummary = Schemas['DeliverySummary'];
export type AutoDisable = Schemas['AutoDisable'];
export type Endpoint = Schemas['Endpoint'];
export type EndpointIn = Schemas['EndpointIn'];
export type EndpointPatch = Schemas['EndpointPatch'];
export type ErrorBody = Schemas['ErrorBody'];
export type ErrorClass = Schemas['ErrorClass'];
export type EventOut = Schemas['EventOut'];
export type HeaderStyle = Schemas['HeaderStyle'];
export type PayloadFormat = Schemas['PayloadFormat'];
export type EventPage = Schemas['EventPage'];
export type EventStatus = Schemas['EventStatus'];
export type EventSummary = Schemas['EventSummary'];
export type ServerInfo = Schemas['ServerInfo'];
export type StreamMessage = Schemas['StreamMessage'];
export type TriggerIn = Schemas['TriggerIn'];
export type TriggerOut = Schemas['TriggerOut'];
export type VerifyIn = Schemas['VerifyIn'];
export type VerifyOut = Schemas['VerifyOut'];
export type JobOut = Schemas['JobOut'];
export type JobState = Schemas['JobState'];
export type RetryFailedIn = Schemas['RetryFailedIn'];
export type RetryFailedOut = Schemas['RetryFailedOut'];
export type RecoverOut = Schemas['RecoverOut'];
export type Stats = Schemas['Stats'];
export type StatsBucket = Schemas['StatsBucket'];
export type Totals = Schemas['Totals'];
export type EndpointStats = Schemas['EndpointStats'];
export type ErrorClassCounts = Schemas['ErrorClassCounts'];
export type RetentionSettings = Schemas['RetentionSettings'];
export type EndpointsExport = Schemas['EndpointsExport'];
export type EndpointsImport = Schemas['EndpointsImport'];
export type ImportedSetup = Schemas['ImportedSetup'];
export type FixtureLibrary = Schemas['FixtureLibrary'];
export type FixtureFile = Schemas['FixtureFile'];
export type FixtureError = Schemas['FixtureError'];
export type Fixture = Schemas['Fixture'];
export type FixtureSelection = Schemas['FixtureSelection'];
export type RenderedFixture = Schemas['RenderedFixture'];
export type SentFixture = Schemas['SentFixture'];
export type RunIn = Schemas['RunIn'];
export type RunOut = Schemas['RunOut'];
export type RunSummary = Schemas['RunSummary'];
export type RunReport = Schemas['RunReport'];
export type RunState = Schemas['RunState'];
export type CaseResult = Schemas['CaseResult'];
export type CaseKind = Schemas['CaseKind'];
export type Verdict = Schemas['Verdict'];
export type ResponseRecord = Schemas['ResponseRecord'];
// Catchers (mock receivers) and time warp.
export type CatcherIn = Schemas['CatcherIn'];
export type CatcherOut = Schemas['CatcherOut'];
export type CatcherPatch = Schemas['CatcherPatch'];
export type ResponseScript = Schemas['ResponseScript'];
export type VerifySpec = Schemas['VerifySpec'];
export type CaughtRequestSummary = Schemas['CaughtRequestSummary'];
export type CaughtRequestOut = Schemas['CaughtRequestOut'];
export type CaughtRequestPage = Schemas['CaughtRequestPage'];
export type SignatureOutcome = Schemas['SignatureOutcome'];
export type DemoIn = Schemas['DemoIn'];
export type DemoOut = Schemas['DemoOut'];
export type DemoResetOut = Schemas['DemoResetOut'];
export type TimeWarp = Schemas['TimeWarp'];

/** One variant of the stream's tagged union, by its `type`. */
export type StreamMessageOf<K extends StreamMessage['type']> = Extract<StreamMessage, { type: K }>;

/** Every event status, in the order the UI lists them. */
export const EVENT_STATUSES = [
  'pending',
  'retrying',
  'succeeded',
  'failed',
  'unrouted',
] as const satisfies readonly EventStatus[];

/** Query parameters of `GET /api/v1/stats`. */
export type StatsQuery = NonNullable<import('./schema').operations['get_stats']['parameters']['query']>;

/** Query parameters of `GET /api/v1/events`. */
export type EventsQuery = NonNullable<
  import('./schema').operations['list_events']['parameters']['query']
>;
