// Small helpers over Playwright for the Hooky UI.

/** Replaces the CodeMirror document with `text`. */
export async function setEditor(page, text) {
  const content = page.locator('.cm-content');
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // Typed key by key, like a person (auto-closed brackets and quotes are typed over).
  await page.keyboard.type(text);
}

/** The events-list row of an event. */
export const row = (page, id) => page.locator(`[role=option][data-event-id="${id}"]`);

/** The id of the event row under the point (x, y) of the page, or null: what a click there would open. */
export const rowAt = (page, x, y) =>
  page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('[role=option]')?.getAttribute('data-event-id') ?? null, [x, y]);

/** Waits until `fn()` (run in the test) returns truthy, or fails with `what`. */
export async function until(fn, what, { timeoutMs = 15_000, everyMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** A link in the main navigation. */
export const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/**
 * Wraps the page's EventSource before the page loads. It records what the page received (`__streamTap.created`,
 * the ids of new events; `__streamTap.resyncs`), and lets a test stand in for a stream that falls behind:
 * `streamLag(page, true)` makes the page miss the engine's messages, as when its queue overflows, and
 * `streamLag(page, false)` then hands it the `resync` message the engine sends in that case.
 */
export const tapStream = (page) =>
  page.addInitScript(() => {
    const Original = window.EventSource;
    const tap = { sources: [], dropping: false, created: new Set(), resyncs: 0 };
    window.__streamTap = tap;
    window.EventSource = class extends Original {
      constructor(...args) {
        super(...args);
        tap.sources.push(this);
        this.addEventListener('event.created', (e) => {
          try {
            tap.created.add(JSON.parse(e.data).event.id);
          } catch {}
        });
        this.addEventListener('resync', () => tap.resyncs++);
      }
      addEventListener(type, listener, options) {
        const kept = type === 'resync' ? listener : (e) => tap.dropping || listener.call(this, e);
        super.addEventListener(type, kept, options);
      }
    };
  });

export const streamLag = (page, lagging) =>
  page.evaluate((lagging) => {
    const tap = window.__streamTap;
    tap.dropping = lagging;
    if (!lagging) tap.sources.at(-1)?.dispatchEvent(new MessageEvent('resync', { data: JSON.stringify({ missed: 1 }) }));
  }, lagging);
