// A typed client over the generated `paths`: every route, parameter and body
// type comes from the OpenAPI document.
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import type { ErrorBody } from './types';

export type ApiClient = Client<paths>;

/** An API answer that was not a success, with the engine's message and field. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }

  /** The message without the `field: ` prefix the engine puts before validation errors. */
  get fieldMessage(): string {
    const prefix = this.field ? `${this.field}: ` : '';
    return prefix && this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
  }
}

export function createApiClient(baseUrl: string, token: string, fetchImpl?: typeof fetch): ApiClient {
  const client = createClient<paths>({
    baseUrl,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && 'message' in error;
}

/**
 * Unwraps an openapi-fetch result: the data on success, else throws an ApiError
 * carrying the engine's `{"error":{code,message,field}}`.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  const { response } = result;
  if (response.ok) return result.data as T;
  const body = result.error;
  if (isErrorBody(body)) {
    throw new ApiError(response.status, body.error.code, body.error.message, body.error.field ?? null);
  }
  throw new ApiError(response.status, 'http_error', `${response.status} ${response.statusText || 'error'}`);
}

/** Turns anything thrown into a sentence for the screen. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return `Cannot reach Hooky (${err.message}). Is \`hooky serve\` still running?`;
  if (err instanceof Error) return err.message;
  return String(err);
}
