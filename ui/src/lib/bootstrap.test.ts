import { describe, expect, it, vi } from 'vitest';
import { browserConnection, splitTokenFromHash, TOKEN_KEY } from './bootstrap';

function env(hash: string, stored: string | null = null) {
  const storage = new Map<string, string>(stored ? [[TOKEN_KEY, stored]] : []);
  return {
    location: { hash, origin: 'http://127.0.0.1:7717', pathname: '/', search: '' },
    history: { replaceState: vi.fn() },
    sessionStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, v),
    },
    storage,
  };
}

describe('bootstrap', () => {
  it('splits the token from the fragment', () => {
    expect(splitTokenFromHash('#token=abc')).toEqual({ token: 'abc', rest: '' });
    expect(splitTokenFromHash('#/events&token=abc')).toEqual({ token: 'abc', rest: '/events' });
    expect(splitTokenFromHash('#/events')).toEqual({ token: null, rest: '/events' });
    expect(splitTokenFromHash('')).toEqual({ token: null, rest: '' });
  });

  it('keeps the token for the tab and removes it from the address bar', () => {
    const e = env('#token=s3cret');
    expect(browserConnection(e)).toEqual({ baseUrl: 'http://127.0.0.1:7717', token: 's3cret', desktop: false });
    expect(e.storage.get(TOKEN_KEY)).toBe('s3cret');
    expect(e.history.replaceState).toHaveBeenCalledWith(null, '', '/');
  });

  it('can point at another API origin (the Vite dev server)', () => {
    expect(browserConnection(env('#token=t'), 'http://127.0.0.1:7717/')?.baseUrl).toBe('http://127.0.0.1:7717');
  });

  it('falls back to the stored token, and to nothing', () => {
    expect(browserConnection(env('#/events', 'kept'))?.token).toBe('kept');
    expect(browserConnection(env(''))).toBeNull();
  });
});
