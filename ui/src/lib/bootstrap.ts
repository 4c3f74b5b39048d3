// Finds out how to reach the engine: in the desktop window from the shell's
// `api_connection` command, in a browser from the link `hooky serve` prints
// (`http://127.0.0.1:PORT/#token=…`).

export interface Connection {
  baseUrl: string;
  token: string;
  desktop: boolean;
}

export type Boot = { kind: 'ready'; connection: Connection } | { kind: 'no-token' } | { kind: 'error'; message: string };

export const TOKEN_KEY = 'hooky.token';

/** Splits `#token=abc&x=1` (or `#/route&token=abc`) into the token and the rest of the fragment. */
export function splitTokenFromHash(hash: string): { token: string | null; rest: string } {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw) return { token: null, rest: '' };
  const parts = raw.split('&');
  let token: string | null = null;
  const kept: string[] = [];
  for (const part of parts) {
    if (part.startsWith('token=')) {
      const value = decodeURIComponent(part.slice('token='.length)).trim();
      if (value) token = value;
    } else if (part) {
      kept.push(part);
    }
  }
  return { token, rest: kept.join('&') };
}

interface BrowserEnv {
  location: Pick<Location, 'hash' | 'origin' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState'>;
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * The browser path: token from the fragment (then hidden), else from this tab's session.
 * The API is this page's own origin, unless `apiBase` says otherwise (the Vite dev server).
 */
export function browserConnection(env: BrowserEnv, apiBase?: string): Connection | null {
  const { token: fromHash, rest } = splitTokenFromHash(env.location.hash);
  if (fromHash) {
    env.sessionStorage.setItem(TOKEN_KEY, fromHash);
    // Take the token out of the address bar (and so out of history and screenshots).
    const url = env.location.pathname + env.location.search + (rest ? `#${rest}` : '');
    env.history.replaceState(null, '', url);
  }
  const token = fromHash ?? env.sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  return { baseUrl: apiBase ? apiBase.replace(/\/+$/, '') : env.location.origin, token, desktop: false };
}

export function isDesktop(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

interface ApiConnection {
  base_url: string;
  token: string;
}

export async function boot(): Promise<Boot> {
  if (isDesktop()) {
    try {
      const { invoke } = await import('@tauri-apps/api/core');
      const found = await invoke<ApiConnection>('api_connection');
      return {
        kind: 'ready',
        connection: { baseUrl: found.base_url.replace(/\/+$/, ''), token: found.token, desktop: true },
      };
    } catch (err) {
      return { kind: 'error', message: `The desktop shell did not say where the engine is: ${String(err)}` };
    }
  }
  // `npm run dev` serves the UI from Vite, so it needs the engine's address:
  // VITE_HOOKY_URL=http://127.0.0.1:7717 (and `hooky serve --allow-origin http://localhost:5173`).
  const devApi = import.meta.env.DEV ? (import.meta.env['VITE_HOOKY_URL'] as string | undefined) : undefined;
  const connection = browserConnection(window, devApi);
  return connection ? { kind: 'ready', connection } : { kind: 'no-token' };
}

/** Forgets a token the engine refused, so the next visit asks for a fresh link. */
export function forgetToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage may be unavailable; nothing to forget then
  }
}
