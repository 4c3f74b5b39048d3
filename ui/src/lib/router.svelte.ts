// Hash routing: `#/events`, `#/events/evt_…`, `#/compose`, `#/endpoints`,
// `#/endpoints/new`, `#/endpoints/ep_…`, `#/stats`, `#/verify`, `#/settings`,
// `#/catchers`, `#/catchers/cat_…`, `#/fixtures`, `#/runs`, `#/runs/run_…`, `#/demo`.

export type Route =
  | { name: 'events'; query: URLSearchParams }
  | { name: 'event'; id: string }
  | { name: 'compose' }
  | { name: 'endpoints' }
  | { name: 'endpoint-new' }
  | { name: 'endpoint-edit'; id: string }
  | { name: 'stats' }
  | { name: 'verify' }
  | { name: 'settings' }
  | { name: 'fixtures' }
  | { name: 'runs' }
  | { name: 'run'; id: string }
  | { name: 'catchers' }
  | { name: 'catcher'; id: string }
  | { name: 'demo' }
  | { name: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  const path = pathPart.replace(/\/+$/, '') || '/events';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(queryPart);
  switch (parts[0]) {
    case undefined:
    case 'events':
      if (parts.length === 1 || parts.length === 0) return { name: 'events', query };
      if (parts.length === 2) return { name: 'event', id: parts[1] as string };
      break;
    case 'compose':
      return { name: 'compose' };
    case 'endpoints':
      if (parts.length === 1) return { name: 'endpoints' };
      if (parts[1] === 'new') return { name: 'endpoint-new' };
      if (parts.length === 2) return { name: 'endpoint-edit', id: parts[1] as string };
      break;
    case 'settings':
      return { name: 'settings' };
    case 'fixtures':
      if (parts.length === 1) return { name: 'fixtures' };
      break;
    case 'runs':
      if (parts.length === 1) return { name: 'runs' };
      if (parts.length === 2) return { name: 'run', id: parts[1] as string };
      break;
    case 'catchers':
      if (parts.length === 1) return { name: 'catchers' };
      if (parts.length === 2) return { name: 'catcher', id: parts[1] as string };
      break;
    case 'stats':
      return { name: 'stats' };
    case 'verify':
      return { name: 'verify' };
    case 'demo':
      return { name: 'demo' };
  }
  return { name: 'not-found', path };
}

export function href(path: string): string {
  return `#${path}`;
}

class Router {
  route = $state<Route>({ name: 'events', query: new URLSearchParams() });

  start(): void {
    this.route = parseRoute(location.hash);
    window.addEventListener('hashchange', () => (this.route = parseRoute(location.hash)));
  }

  /** Navigates (a new history entry). */
  go(path: string): void {
    if (location.hash === `#${path}`) return;
    location.hash = path;
  }

  /** Changes the address without a history entry (filters). */
  replace(path: string): void {
    history.replaceState(null, '', `${location.pathname}${location.search}#${path}`);
    this.route = parseRoute(`#${path}`);
  }
}

export const router = new Router();
