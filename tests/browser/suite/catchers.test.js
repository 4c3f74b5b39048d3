// Catchers and time warp, end to end: a real `hooky serve` and the built UI in
// headless Chromium. A catcher scripted 500 → 200 is created from the UI and
// subscribed to `order.*`; an event is triggered; its two deliveries (the 500
// and the retry's 200) appear live in the catcher's log with verified
// signatures, and the event ends succeeded. The retry waits 5 s on the default
// schedule, so the time warp is set to ×3600 from the Settings card first,
// which also shows the banner in every open tab; the banner turns it off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startHooky } from '../lib/hooky.js';
import { closeAll, launch } from '../lib/browser.js';
import { shot, stepper } from '../lib/shots.js';
import { nav, row, until } from '../lib/ui.js';

const WAIT = { timeout: 15_000 };

const step = stepper('catchers');

describe('Catchers and time warp', () => {
  /** @type {Awaited<ReturnType<typeof startHooky>>} */
  let server;
  /** @type {Awaited<ReturnType<typeof launch>>} */
  let b;
  /** @type {import('playwright-core').Page} */
  let page;
  /** A second tab: the banner must follow the first one's changes live. */
  /** @type {import('playwright-core').Page} */
  let other;
  let catcherId = '';
  let eventId = '';

  const banner = (p) => p.getByRole('region', { name: 'Time warp' });

  before(async () => {
    server = await startHooky();
    b = await launch({ colorScheme: 'light' });
    page = b.page;
    step.page = page;
    other = await b.context.newPage();
  });

  after(async () => {
    await closeAll(b, server);
  });

  step('sets time warp ×3600 from Settings; every open tab shows the banner', async () => {
    await page.goto(server.link);
    await other.goto(server.link);
    for (const p of [page, other]) await p.getByRole('status').filter({ hasText: 'Live' }).waitFor(WAIT);
    assert.equal(await banner(page).count(), 0, 'no banner while the warp is off');
    await nav(page, 'Settings').click();
    const card = page.getByRole('region', { name: 'Time warp' }).or(page.locator('section[aria-labelledby="s-warp"]'));
    await card.getByRole('radio', { name: '×3600' }).click();
    for (const p of [page, other]) {
      await banner(p).getByText('Time warp ×3600 — 1 hour of retries passes in 1 second').waitFor(WAIT);
    }
    const warp = await api(server, 'GET', '/api/v1/time_warp');
    assert.equal(warp.body.factor, 3600);
    assert.equal(await card.getByRole('radio', { name: '×3600' }).getAttribute('aria-checked'), 'true');
    await shot(page, 'catchers-01-time-warp-banner');
  });

  step('creates a catcher scripted 500 → 200 and subscribed to order.*, with an inline 422 first', async () => {
    await nav(page, 'Catchers').click();
    await page.getByRole('heading', { name: 'No catchers yet' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'New catcher' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New catcher' });
    await dialog.getByLabel('Name', { exact: true }).fill('orders');
    await dialog.getByLabel('Status 1', { exact: true }).fill('500');
    await dialog.getByRole('button', { name: 'Add a status' }).click();
    const status2 = dialog.getByLabel('Status 2', { exact: true });
    assert.ok(await status2.evaluate((el) => el === document.activeElement), 'the added status has the focus');
    // 99 is not a final status: the engine's 422 names script.statuses and it shows by the chips.
    await dialog.getByLabel('Status 2', { exact: true }).fill('99');
    await dialog.getByLabel('Event filter', { exact: true }).fill('order.*');
    assert.equal(await dialog.getByLabel('Subscribe as an endpoint').isChecked(), true, 'subscribing is the default');
    await dialog.getByRole('button', { name: 'Create catcher' }).click();
    const inline = dialog.locator('[data-field="script.statuses"] [role=alert]');
    await inline.waitFor(WAIT);
    assert.match((await inline.textContent()) ?? '', /200|599|status/i);
    assert.equal(await dialog.getByLabel('Status 2', { exact: true }).getAttribute('aria-invalid'), 'true');
    await shot(page, 'catchers-00-new-catcher-422');

    await dialog.getByLabel('Status 2', { exact: true }).fill('200');
    await dialog.getByRole('button', { name: 'Create catcher' }).click();
    await page.waitForURL(/#\/catchers\/cat_/, WAIT);
    catcherId = decodeURIComponent(page.url().split('#/catchers/')[1] ?? '');
    await page.getByRole('heading', { name: 'orders', level: 1 }).waitFor(WAIT);
    assert.equal(await page.getByTestId('script-summary').textContent(), '500 → 200');

    const catcher = (await api(server, 'GET', `/api/v1/catchers/${catcherId}`)).body;
    assert.deepEqual(catcher.script.statuses, [500, 200]);
    assert.ok(catcher.endpoint_id, 'one click also made the endpoint');
    assert.deepEqual(catcher.verify, { endpoint_id: catcher.endpoint_id });
    const endpoint = (await api(server, 'GET', `/api/v1/endpoints/${catcher.endpoint_id}`)).body;
    assert.deepEqual(endpoint.event_filter, ['order.*']);
    assert.equal(endpoint.url, catcher.url);
  });

  step('shows the 500 and the retried 200 live, both with verified signatures', async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/webhook_events/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_name: 'order.created', payload: { order_id: 'ord_4711', total: 42 } }),
    });
    assert.equal(res.status, 202);
    eventId = (await res.json()).id;

    const rows = page.locator('[role=option][data-request-id]');
    await until(async () => (await rows.count()) === 2, 'two caught requests in the log', { timeoutMs: 30_000 }).catch(async (err) => {
      const caught = await api(server, 'GET', `/api/v1/catchers/${catcherId}/requests`);
      const event = await api(server, 'GET', `/api/v1/events/${eventId}`);
      throw new Error(`${err.message}\ncaught: ${JSON.stringify(caught.body)}\nevent: ${JSON.stringify(event.body).slice(0, 1500)}`);
    });
    // Newest first: the retry's 200 on top of the first attempt's 500.
    const statuses = await rows.locator('.status').allTextContents();
    assert.deepEqual(statuses, ['200', '500']);
    assert.equal(await rows.locator('[data-signature="verified"]').count(), 2);
    assert.match((await page.locator('.count').first().textContent()) ?? '', /2 requests/);
    await shot(page, 'catchers-02-log');
  });

  step('opens a request: its body as JSON, its headers and the signature outcome', async () => {
    await page.locator('[role=option][data-request-id]').first().click();
    const view = page.getByRole('region', { name: 'Caught request' });
    await view.getByRole('group', { name: 'Request body' }).waitFor(WAIT);
    const body = (await view.getByRole('group', { name: 'Request body' }).textContent()) ?? '';
    assert.match(body, /ord_4711/);
    assert.match((await view.textContent()) ?? '', /POST\s+\/catch\/orders/);
    await view.getByText('The signature matches the secret it was checked with.').waitFor(WAIT);
    assert.match((await view.locator('.headers').textContent()) ?? '', /webhook-signature/);
    await shot(page, 'catchers-03-request-detail');

    // j/k move through the log like the events list; the view follows.
    const reqRows = page.locator('[role=option][data-request-id]');
    await page.keyboard.press('j');
    await until(async () => (await reqRows.nth(1).getAttribute('aria-selected')) === 'true', 'j to select the older request');
    assert.equal(await reqRows.nth(0).getAttribute('aria-selected'), 'false');
    await page.keyboard.press('k');
    await until(async () => (await reqRows.nth(0).getAttribute('aria-selected')) === 'true', 'k to select the newer one again');
  });

  step('the events screen shows the event succeeded after a retry', async () => {
    await nav(page, 'Events').click();
    await until(async () => (await row(page, eventId).getAttribute('data-status')) === 'succeeded', 'the event row to read succeeded');
    const event = (await api(server, 'GET', `/api/v1/events/${eventId}`)).body;
    assert.equal(event.status, 'succeeded');
    const attempts = event.deliveries.flatMap((d) => d.attempts);
    assert.deepEqual(attempts.map((a) => a.response?.status), [500, 200]);
  });

  step('lists the catcher with its URL, script and request count', async () => {
    await nav(page, 'Catchers').click();
    const line = page.locator('tr[data-catcher="orders"]');
    await line.waitFor(WAIT);
    const text = (await line.textContent()) ?? '';
    assert.match(text, /\/catch\/orders/);
    assert.match(text, /500 → 200/);
    assert.equal(await line.locator('td.num').textContent(), '2');
    assert.match(text, /just now|s ago/);
    await shot(page, 'catchers-04-list');
  });

  step('turns time warp off from the banner, in every tab', async () => {
    await banner(page).getByRole('button', { name: 'Turn off' }).click();
    for (const p of [page, other]) await banner(p).waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal((await api(server, 'GET', '/api/v1/time_warp')).body.enabled, false);
  });

  step('edits the script and clears the requests', async () => {
    await page.locator('tr[data-catcher="orders"] a').click();
    await page.getByRole('button', { name: 'Edit script' }).click();
    const dialog = page.getByRole('dialog', { name: 'Script of orders' });
    await dialog.getByRole('button', { name: 'Always 500' }).click();
    await dialog.getByLabel('Delay (ms)').fill('2000');
    await dialog.getByRole('button', { name: 'Save script' }).click();
    await until(async () => (await page.getByTestId('script-summary').textContent()) === '500 · delay 2 s', 'the new script summary');
    assert.equal((await api(server, 'GET', `/api/v1/catchers/${catcherId}`)).body.script.delay_ms, 2000);
    await page.getByRole('button', { name: 'Clear requests' }).click();
    await page.getByText('No requests yet.').waitFor(WAIT);
    assert.equal((await api(server, 'GET', `/api/v1/catchers/${catcherId}/requests`)).body.data.length, 0);
  });

  step('deletes the catcher together with its endpoint', async () => {
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete catcher orders?' });
    assert.equal(await confirm.getByLabel(/Also delete its endpoint/).isChecked(), true);
    await confirm.getByRole('button', { name: 'Delete catcher' }).click();
    await page.getByRole('heading', { name: 'No catchers yet' }).waitFor(WAIT);
    assert.equal((await api(server, 'GET', '/api/v1/endpoints')).body.data.length, 0);
  });
});
