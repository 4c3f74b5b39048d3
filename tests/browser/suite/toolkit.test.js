// The toolkit screens end to end against a real `hooky serve` and real
// receivers: verify a signature, resend, retry everything that failed, search,
// stats, retention and clearing. Steps run in order and build on each other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { api, startHooky } from '../lib/hooky.js';
import { closeAll, launch } from '../lib/browser.js';
import { startReceiver } from '../lib/receiver.js';
import { shot, stepper } from '../lib/shots.js';
import { nav, row, until } from '../lib/ui.js';

const WAIT = { timeout: 15_000 };

async function trigger(server, eventName, payload) {
  const res = await fetch(`${server.baseUrl}/api/v1/webhook_events/trigger`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event_name: eventName, payload }),
  });
  assert.equal(res.status, 202, `trigger ${eventName}: ${res.status}`);
  return (await res.json()).id;
}

async function eventOf(server, id) {
  return (await api(server, 'GET', `/api/v1/events/${id}`)).body;
}

const step = stepper('2x');

describe('Hooky toolkit', () => {
  let server;
  let good;
  let flaky;
  let b;
  let page;
  const ep = {};
  let orderId = '';
  const paymentIds = [];

  before(async () => {
    server = await startHooky();
    good = await startReceiver({ status: 200 });
    flaky = await startReceiver({ status: 500 });
    const make = async (name, url, filter, extra = {}) =>
      (await api(server, 'POST', '/api/v1/endpoints', { url, name, event_filter: [filter], retry_schedule: [], ...extra })).body.id;
    ep.orders = await make('Orders service', good.url, 'order.*');
    ep.audit = await make('Audit log', good.url, 'audit.*');
    ep.ledger = await make('Payments ledger', flaky.url, 'payment.*');
    b = await launch({ colorScheme: 'light' });
    page = b.page;
    step.page = page;
    await page.goto(server.link);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor(WAIT);
  });

  after(async () => {
    await closeAll(b, good, flaky, server);
  });

  step('verifies a real delivery with the endpoint secret, and explains a stale timestamp', async () => {
    orderId = await trigger(server, 'order.created', { order_id: 'ord_1', note: 'zebracorn delivery' });
    await until(async () => (await eventOf(server, orderId)).status === 'succeeded', 'the order to be delivered');
    await page.goto(`${server.baseUrl}/#/events/${orderId}`);
    await page.getByRole('heading', { name: 'order.created' }).waitFor(WAIT);
    await page.getByRole('region', { name: /Attempt 1/ }).getByRole('button', { name: 'Verify this request' }).click();
    await page.getByRole('heading', { name: 'Verify signature' }).waitFor(WAIT);
    assert.equal(await page.getByLabel('Raw body').inputValue(), good.requests.at(-1).body);
    assert.match(await page.getByLabel('Headers').inputValue(), /^webhook-id: /m);

    await page.getByRole('button', { name: "Use Orders service's secret" }).click();
    const secret = (await api(server, 'GET', `/api/v1/endpoints/${ep.orders}/secret`)).body.key;
    await until(async () => (await page.getByLabel('Secret', { exact: true }).inputValue()) === secret, 'the secret to fill in');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Valid signature' }).waitFor(WAIT);
    await shot(page, '2x-verify-valid');

    // Move the timestamp back 20 minutes: a receiver would take it for a replay.
    const headers = await page.getByLabel('Headers').inputValue();
    const edited = headers.replace(/webhook-timestamp: (\d+)/, (_, ts) => `webhook-timestamp: ${Number(ts) - 1200}`);
    assert.notEqual(edited, headers);
    await page.getByLabel('Headers').fill(edited);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Stale timestamp' }).waitFor(WAIT);
    await shot(page, '2x-verify-stale');

    // A wrong secret, picked from another endpoint.
    await page.getByLabel('Use the secret of an endpoint').selectOption({ label: 'Audit log' });
    await page.getByLabel('Headers').fill(headers);
    await until(async () => (await page.getByLabel('Secret', { exact: true }).inputValue()) !== secret, 'the other secret');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Wrong secret, or the body was modified' }).waitFor(WAIT);
  });

  step('resends an event to a chosen endpoint', async () => {
    await page.goto(`${server.baseUrl}/#/events/${orderId}`);
    await page.getByRole('heading', { name: 'order.created' }).waitFor(WAIT);
    // The delivery succeeded, so its retry is a forced resend.
    await page.locator('.lane').first().getByRole('button', { name: /^Force resend/ }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Resend…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Resend order.created' });
    await dialog.waitFor(WAIT);
    assert.equal(await dialog.getByRole('checkbox', { name: /Orders service/ }).isChecked(), true, 'the matching endpoint is preselected');
    assert.equal(await dialog.getByRole('checkbox', { name: /Audit log/ }).isChecked(), false);
    await dialog.getByRole('checkbox', { name: /Orders service/ }).uncheck();
    await dialog.getByRole('checkbox', { name: /Audit log/ }).check();
    await shot(page, '2x-resend-dialog');
    await dialog.getByRole('button', { name: 'Resend to 1 endpoint' }).click();
    await until(async () => (await page.locator('.lane').count()) === 2, 'a second delivery lane');
    await until(async () => {
      const e = await eventOf(server, orderId);
      return e.deliveries.length === 2 && e.deliveries.some((d) => d.endpoint_id === ep.audit && d.status === 'succeeded');
    }, 'the delivery to Audit log to succeed');
    await page.locator(`.lane[data-status="succeeded"]`).nth(1).waitFor(WAIT);
    await shot(page, '2x-resend-done');
  });

  step('retries everything that failed: a dry-run count, progress, then succeeded rows', async () => {
    for (let i = 1; i <= 3; i++) paymentIds.push(await trigger(server, 'payment.captured', { payment_id: `pay_${i}` }));
    await until(async () => {
      const all = await Promise.all(paymentIds.map((id) => eventOf(server, id)));
      return all.every((e) => e.status === 'failed');
    }, 'the payments to fail');
    flaky.setStatus(200);

    await nav(page, 'Events').click();
    await row(page, paymentIds[0]).waitFor(WAIT);
    await page.getByRole('button', { name: 'Retry failed…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry failed deliveries' });
    await dialog.getByRole('status').filter({ hasText: '3 failed deliveries will be retried.' }).waitFor(WAIT);
    // Narrowing to another endpoint counts again.
    await dialog.getByLabel('Endpoint').selectOption({ label: 'Orders service' });
    await dialog.getByRole('status').filter({ hasText: 'Nothing failed in that range.' }).waitFor(WAIT);
    await dialog.getByLabel('Endpoint').selectOption({ label: 'Payments ledger' });
    await dialog.getByRole('status').filter({ hasText: '3 failed deliveries will be retried.' }).waitFor(WAIT);
    await shot(page, '2x-retry-failed-dry-run');
    await dialog.getByRole('button', { name: 'Retry 3' }).click();
    await dialog.getByText('Done: 3 succeeded, 0 failed').waitFor(WAIT);
    assert.equal(await dialog.locator('progress').getAttribute('value'), '3');
    await shot(page, '2x-retry-failed-done');
    await dialog.getByRole('button', { name: 'Close' }).click();
    for (const id of paymentIds) {
      await until(async () => (await row(page, id).getAttribute('data-status')) === 'succeeded', `row ${id} to turn succeeded`);
    }
    const all = await Promise.all(paymentIds.map((id) => eventOf(server, id)));
    assert.ok(all.every((e) => e.status === 'succeeded'));
  });

  step('searches payloads with the events search box', async () => {
    const search = page.getByLabel('Search payloads and response bodies');
    await search.fill('zebracorn');
    await until(async () => (await page.locator('[role=option][data-event-id]').count()) === 1, 'one matching row');
    await row(page, orderId).waitFor(WAIT);
    assert.match(page.url(), /q=zebracorn/);
    await shot(page, '2x-search');
    await search.fill('zebracorn pay_2');
    await page.getByRole('heading', { name: /Nothing matched/ }).waitFor(WAIT);
    await shot(page, '2x-search-empty');
    await page.getByRole('button', { name: 'Clear search and filters' }).click();
    await until(async () => (await page.locator('[role=option][data-event-id]').count()) === 4, 'every row back');
  });

  step('shows stats: headline numbers and charts', async () => {
    await nav(page, 'Stats').click();
    await page.getByRole('heading', { name: 'Stats', exact: true }).waitFor(WAIT);
    const attempts = page.locator('[data-stat="attempts"]');
    await attempts.waitFor(WAIT);
    // 1 order + 1 resend + 1 audit… : 2 to good endpoints, 3 failed + 3 retried payments.
    await until(async () => Number((await attempts.textContent())?.replace(/\D/g, '')) >= 8, 'the attempt count');
    assert.match((await page.locator('[data-stat="success-rate"]').textContent()) ?? '', /%$/);
    assert.match((await page.locator('[data-stat="p95"]').textContent()) ?? '', /\d/);
    assert.ok((await page.locator('canvas').count()) >= 2, 'two charts');
    await page.getByRole('table').filter({ hasText: 'Per endpoint' }).getByRole('rowheader', { name: 'Payments ledger' }).waitFor(WAIT);
    await page.getByRole('radio', { name: '1 hour' }).click();
    await page.getByLabel('Stats for endpoint').selectOption({ label: 'Payments ledger' });
    await until(async () => (await attempts.textContent())?.trim() === '6', 'the ledger attempts only');
    await shot(page, '2x-stats');
  });

  step('saves retention settings and keeps them after a reload', async () => {
    await nav(page, 'Settings').click();
    const days = page.getByLabel('Keep events for (days)');
    await until(async () => await days.isEnabled(), 'the settings to load');
    await days.fill('30');
    await page.getByLabel('Keep at most (events)').fill('5000');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor(WAIT);
    const { body } = await api(server, 'GET', '/api/v1/settings');
    assert.deepEqual(body, { retention_days: 30, retention_max_events: 5000, retention_max_bytes: null });
    await page.reload();
    await until(async () => (await page.getByLabel('Keep events for (days)').inputValue()) === '30', 'the saved days after reload');
    assert.equal(await page.getByLabel('Keep at most (events)').inputValue(), '5000');
    assert.equal(await page.getByLabel('Keep the database under (MB)').inputValue(), '');
    // A bad value is caught by the field.
    await page.getByLabel('Keep the database under (MB)').fill('lots');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await page.locator('[data-field="maxMb"]').getByRole('alert').waitFor(WAIT);
    await page.getByLabel('Keep the database under (MB)').fill('');
    await shot(page, '2x-settings');
  });

  step('exports events with the token and imports endpoints, showing a 422 by its field', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Events as JSON Lines' }).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    assert.ok(lines.some((e) => e.id === orderId && e.deliveries.length === 2));
    const [har] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Events as HAR' }).click()]);
    assert.ok(JSON.parse(readFileSync(await har.path(), 'utf8')).log.entries.length >= 8);

    const file = page.locator('input[type=file]');
    const bad = { version: 1, endpoints: [{ url: good.url, event_filter: ['**'] }, { url: good.url, timeout_ms: 5 }] };
    await file.setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await page.getByRole('alert').filter({ hasText: 'endpoints[1].timeout_ms' }).waitFor(WAIT);
    const okDoc = {
      version: 1,
      endpoints: [{ url: good.url, name: 'Imported hook', event_filter: ['**'] }],
      catchers: [{ name: 'imported-mock' }],
    };
    await file.setInputFiles({ name: 'ok.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(okDoc)) });
    await page.getByRole('status').filter({ hasText: 'Imported 1 endpoint and 1 catcher' }).waitFor(WAIT);
    const mock = (await api(server, 'GET', '/api/v1/catchers')).body.data.find((c) => c.name === 'imported-mock');
    assert.ok(mock, 'the imported catcher exists');
    await api(server, 'DELETE', `/api/v1/catchers/${mock.id}`);
    const names = (await api(server, 'GET', '/api/v1/endpoints')).body.data.map((e) => e.name);
    assert.ok(names.includes('Imported hook'));
    await api(server, 'DELETE', `/api/v1/endpoints/${(await api(server, 'GET', '/api/v1/endpoints')).body.data.find((e) => e.name === 'Imported hook').id}`);
  });

  step('clears all data only after typing CLEAR', async () => {
    await page.getByRole('button', { name: 'Clear all data…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear all data?' });
    await dialog.waitFor(WAIT);
    const confirm = dialog.getByRole('button', { name: 'Clear all data' });
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel('Type CLEAR to confirm').fill('clear');
    assert.equal(await confirm.isDisabled(), true, 'lower case does not count');
    await dialog.getByLabel('Type CLEAR to confirm').fill('CLEAR');
    await shot(page, '2x-clear-confirm');
    await confirm.click();
    await page.getByRole('status').filter({ hasText: 'Deleted 4 events' }).waitFor(WAIT);
    assert.equal((await api(server, 'GET', '/api/v1/events')).body.data.length, 0);
    await nav(page, 'Events').click();
    await page.getByRole('heading', { name: 'No events yet. Fire one:' }).waitFor(WAIT);
  });

  step('offers recovery when enabling a disabled endpoint', async () => {
    flaky.setStatus(500);
    await api(server, 'PATCH', `/api/v1/endpoints/${ep.ledger}`, { enabled: false });
    await trigger(server, 'payment.refunded', { payment_id: 'pay_9' });
    await nav(page, 'Endpoints').click();
    await page.getByRole('switch', { name: 'Enable Payments ledger' }).click();
    const dialog = page.getByRole('dialog', { name: 'Enable Payments ledger' });
    await dialog.getByText('1 missed event to deliver').waitFor(WAIT);
    await shot(page, '2x-recover-dialog');
    flaky.setStatus(200);
    await dialog.getByRole('button', { name: 'Enable and recover' }).click();
    // The job's progress counts the missed event's first attempt too: it finishes once that is in.
    await dialog.getByText('1 missed event was queued').waitFor(WAIT);
    await dialog.getByText('Payments ledger is enabled again.').waitFor(WAIT);
    const job = dialog.locator('[data-job-state]');
    await dialog.locator('[data-job-state=finished]').waitFor(WAIT);
    const [done, total] = ((await job.locator('.count').textContent()) ?? '').split('/').map((n) => Number(n.trim()));
    assert.ok(total >= 1 && done === total, `progress ${done} / ${total}`);
    assert.ok(flaky.requests.some((r) => r.body.includes('pay_9')), 'the missed event reached the receiver before the job finished');
    await shot(page, '2x-recover-done');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('switch', { name: 'Disable Payments ledger' }).waitFor(WAIT);
  });

  step('looks right in the dark theme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await trigger(server, 'order.created', { order_id: 'ord_2' });
    await nav(page, 'Stats').click();
    await page.locator('[data-stat="attempts"]').waitFor(WAIT);
    await page.waitForTimeout(300);
    await shot(page, '2x-stats-dark');
    await nav(page, 'Verify signature').click();
    await shot(page, '2x-verify-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(b.problems, []);
  });
});
