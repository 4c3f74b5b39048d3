// The API calls the stores make, over the generated client. Stores depend on
// these small interfaces, so tests can hand them fakes.
import { unwrap, type ApiClient } from './client';
import type {
  DeliverySummary,
  Endpoint,
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
}

export interface EndpointsApi {
  listEndpoints(): Promise<Endpoint[]>;
  createEndpoint(body: EndpointIn): Promise<Endpoint>;
  updateEndpoint(id: string, body: EndpointPatch): Promise<Endpoint>;
  deleteEndpoint(id: string): Promise<void>;
  /** The current `whsec_…` signing secret. */
  getSecret(id: string): Promise<string>;
  /** Switches to a new secret; the old one keeps signing for the grace period. */
  rotateSecret(id: string): Promise<string>;
}

export interface MetaApi {
  info(): Promise<ServerInfo>;
  trigger(body: TriggerIn): Promise<TriggerOut>;
}

export type Api = EventsApi & DeliveriesApi & EndpointsApi & MetaApi;

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
    rotateSecret: async (value) =>
      unwrap(await client.POST('/api/v1/endpoints/{id}/secret/rotate', { ...id(value), body: {} })).key,
    info: async () => unwrap(await client.GET('/api/v1/info')),
    trigger: async (body) => unwrap(await client.POST('/api/v1/webhook_events/trigger', { body })),
  };
}
