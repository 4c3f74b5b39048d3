// A small W3C WebDriver client over fetch: enough to drive the Hooky window
// through tauri-driver, with lookups by accessible role, name and label.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const KEY = { CONTROL: '\uE009', ENTER: '\uE007', DELETE: '\uE017', BACKSPACE: '\uE003' };

export class WebDriverError extends Error {}

async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    // A command that hangs (e.g. a window that never appears) fails the step instead of the suite.
    signal: AbortSignal.timeout(path === '/session' ? 90_000 : 30_000),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new WebDriverError(`${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!res.ok) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${v.error ?? res.status}: ${v.message ?? text.slice(0, 300)}`);
  }
  return json.value;
}

// Runs in the page: finds the first visible element with an accessible role and name,
// or a form control by the text of its label. Names match exactly, by prefix, or by regex.
const FIND_SCRIPT = `
const [query] = arguments;
const squash = (s) => (s || '').replace(/\\s+/g, ' ').trim();
const textOf = (el) => squash(el ? el.textContent : '');
const matches = (value) => {
  if (query.name === undefined) return true;
  if (query.regex) return new RegExp(query.name).test(value);
  return query.prefix ? value.startsWith(query.name) : value === query.name;
};
const labelText = (label) => {
  const copy = label.cloneNode(true);
  copy.querySelectorAll('input, textarea, select, [role=alert], .hint, [aria-hidden=true]').forEach((n) => n.remove());
  return textOf(copy);
};
const nameOf = (el) => {
  const aria = el.getAttribute('aria-label');
  if (aria) return squash(aria);
  const by = el.getAttribute('aria-labelledby');
  if (by) return squash(by.split(/\\s+/).map((id) => textOf(document.getElementById(id))).join(' '));
  if (el.labels && el.labels.length) return labelText(el.labels[0]);
  if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') return squash(el.getAttribute('placeholder'));
  return textOf(el);
};
const roleOf = (el) => {
  const explicit = el.getAttribute('role');
  if (explicit) return explicit;
  const tag = el.tagName.toLowerCase();
  if (tag === 'a' && el.hasAttribute('href')) return 'link';
  if (tag === 'button') return 'button';
  if (/^h[1-6]$/.test(tag)) return 'heading';
  if (tag === 'input') return ['button', 'submit', 'reset'].includes(el.type) ? 'button' : el.type === 'checkbox' ? 'checkbox' : 'textbox';
  if (tag === 'textarea') return 'textbox';
  if (tag === 'select') return 'combobox';
  if (tag === 'nav') return 'navigation';
  if (tag === 'form') return 'form';
  return null;
};
const visible = (el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
};
const scope = query.within ? document.querySelector(query.within) : document;
if (!scope) return null;
const all = scope.querySelectorAll(query.css || '*');
for (const el of all) {
  if (!visible(el)) continue;
  if (query.label !== undefined) {
    if (!['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || !el.labels || !el.labels.length) continue;
    const text = labelText(el.labels[0]);
    if (query.regex ? new RegExp(query.label).test(text) : text.startsWith(query.label)) return el;
    continue;
  }
  if (query.role && roleOf(el) !== query.role) continue;
  if (matches(nameOf(el))) return el;
}
return null;
`;

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, capabilities) {
    const value = await call(base, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, value.sessionId);
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async delete() {
    await this.cmd('DELETE', '');
  }

  execute(script, ...args) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Runs an async script: `done` (the last argument) receives the result. */
  executeAsync(script, ...args) {
    return this.cmd('POST', '/execute/async', { script, args });
  }

  /** Calls an IPC command of the app from the page, as the UI does: {ok, value} or {ok: false, error}. */
  invoke(command, args = {}) {
    return this.executeAsync(
      `const [command, args, done] = arguments;
       window.__TAURI_INTERNALS__.invoke(command, args)
         .then((value) => done({ ok: true, value }), (error) => done({ ok: false, error: String(error) }));`,
      command,
      args,
    );
  }

  /** fetch() from the page: {ok, status} or {ok: false, error} when the page may not connect. */
  pageFetch(url) {
    return this.executeAsync(
      `const [url, done] = arguments;
       fetch(url).then((r) => done({ ok: true, status: r.status }), (e) => done({ ok: false, error: String(e) }));`,
      url,
    );
  }

  /** The first visible element matching `query` ({role, name, prefix, regex, label, css, within}), or null. */
  async find(query) {
    const found = await this.execute(FIND_SCRIPT, query);
    return found && found[ELEMENT] ? new Element(this, found[ELEMENT]) : null;
  }

  /** Waits for `find(query)` to succeed. */
  async waitFor(query, { timeoutMs = 20_000 } = {}) {
    return until(() => this.find(query), `an element like ${JSON.stringify(query)}`, { timeoutMs });
  }

  async title() {
    return this.cmd('GET', '/title');
  }

  async url() {
    return this.cmd('GET', '/url');
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  cmd(method, path, body) {
    return this.session.cmd(method, `/element/${this.id}${path}`, body);
  }

  click() {
    return this.cmd('POST', '/click', {});
  }

  clear() {
    return this.cmd('POST', '/clear', {});
  }

  type(text) {
    return this.cmd('POST', '/value', { text });
  }

  async fill(text) {
    await this.clear();
    await this.type(text);
  }

  attribute(name) {
    return this.cmd('GET', `/attribute/${encodeURIComponent(name)}`);
  }

  text() {
    return this.cmd('GET', '/text');
  }
}

/** Waits until `fn()` returns truthy, or fails naming `what`. */
export async function until(fn, what, { timeoutMs = 20_000, everyMs = 150 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  const detail = last instanceof Error ? last.message : JSON.stringify(last);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
}
