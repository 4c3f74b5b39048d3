// End to end: a real `hooky serve`, real receivers and the built UI in
// headless Chromium. The steps run in order and build on each other, like a
// person using the app: create endpoints, send, watch, inspect, retry, filter.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startHooky, trigger } from '../lib/hooky.js';
import { closeAll, launch } from '../lib/browser.js';
import { startReceiver } from '../lib/receiver.js';
import { publish, shot, stepper } from '../lib/shots.js';
import { nav, row, rowAt, setEditor, streamLag, tapStream, until } from '../lib/ui.js';

const WAIT = { timeout: 15_000 };

const step = stepper('ui');

describe('Hooky UI', () => {
  /** @type {Awaited<ReturnType<typeof startHooky>>} */
  let server;
  /** @type {Awaited<ReturnType<typeof startReceiver>>} */
  let good;
  /** @type {Awaited<ReturnType<typeof startReceiver>>} */
  let flaky;
  /** @type {Awaited<ReturnType<typeof launch>>} */
  let b;
  let page;
  let sentId = '';
  let failedId = '';

  before(async () => {
    server = await startHooky();
    good = await startReceiver({ status: 200 });
    flaky = await startReceiver({ status: 500 });
    b = await launch({ colorScheme: 'light' });
    page = b.page;
    await tapStream(page);
    step.page = page;
  });

  after(async () => {
    await closeAll(b, good, flaky, server);
  });

  step('opens from the printed link, hides the token and teaches the first step', async () => {
    await page.goto(server.link);
    await page.getByRole('heading', { name: 'No events yet. Fire one:' }).waitFor(WAIT);
    const url = new URL(page.url());
    assert.ok(!url.hash.includes('token'), `the token is still in the address bar: ${page.url()}`);
    // The empty state shows a curl command with the real trigger URL.
    const curl = await page.locator('pre code').first().textContent();
    assert.match(curl ?? '', new RegExp(`${server.baseUrl}/api/v1/webhook_events/trigger`));
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor(WAIT);
    await shot(page, '01-events-empty');
  });

  step('creates endpoints through the form, showing API validation errors inline', async () => {
    await nav(page, 'Endpoints').click();
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Add your first endpoint' }).click();
    await page.getByRole('heading', { name: 'New endpoint' }).waitFor(WAIT);

    await page.getByLabel('URL', { exact: false }).first().fill(good.url);
    await page.getByLabel('Name', { exact: true }).fill('Orders service');
    await page.getByLabel('Description').fill('Receives order events');
    await page.getByLabel('Event filter').fill('order.*');
    await page.getByLabel('Timeout (ms)').fill('50'); // below the engine's minimum
    await page.getByRole('button', { name: /^Fast dev/ }).click();
    await page.getByRole('button', { name: 'Add header' }).click();
    const focused = (label) => page.getByLabel(label, { exact: true }).evaluate((el) => el === document.activeElement);
    assert.ok(await focused('Header 1 name'), 'adding a header focuses its name');
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByRole('button', { name: 'Remove header 2' }).click();
    assert.ok(await focused('Remove header 1'), 'removing the last header focuses the one before');
    await page.getByLabel('Header 1 name').fill('X-Team');
    await page.getByLabel('Header 1 value').fill('payments');
    await page.getByRole('button', { name: 'Create endpoint' }).click();

    // The engine answers 422 with field=timeout_ms; the message sits by that field.
    const timeoutGroup = page.locator('[data-field="timeout_ms"]');
    await timeoutGroup.getByRole('alert').waitFor(WAIT);
    assert.match((await timeoutGroup.getByRole('alert').textContent()) ?? '', /between 100 and 600000/);
    assert.equal(await page.getByLabel('Timeout (ms)').getAttribute('aria-invalid'), 'true');
    await shot(page, '02-endpoint-form-error');

    await page.getByLabel('Timeout (ms)').fill('5000');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Orders service', exact: true }).waitFor(WAIT);

    // A second one, with no retries, for the failing receiver.
    await page.getByRole('link', { name: 'New endpoint' }).click();
    await page.getByLabel('URL', { exact: false }).first().fill(flaky.url);
    await page.getByLabel('Name', { exact: true }).fill('Payments ledger');
    await page.getByLabel('Event filter').fill('payment.*');
    await page.getByRole('button', { name: 'None', exact: true }).click();
    await page.getByLabel('Signature headers').selectOption('svix');
    await page.getByLabel('Auto-disable policy').selectOption('consecutive_failures');
    await page.getByLabel('Failed deliveries in a row before it is disabled').fill('50');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByRole('link', { name: 'Payments ledger', exact: true }).waitFor(WAIT);

    const { body } = await api(server, 'GET', '/api/v1/endpoints');
    const byName = Object.fromEntries(body.data.map((e) => [e.name, e]));
    assert.deepEqual(byName['Orders service'].event_filter, ['order.*']);
    assert.deepEqual(byName['Orders service'].retry_schedule, [1, 2, 5]);
    assert.equal(byName['Orders service'].timeout_ms, 5000);
    assert.deepEqual(byName['Orders service'].headers, { 'X-Team': 'payments' });
    assert.equal(byName['Orders service'].description, 'Receives order events');
    assert.deepEqual(byName['Payments ledger'].retry_schedule, []);
    assert.equal(byName['Payments ledger'].header_style, 'svix');
    assert.deepEqual(byName['Payments ledger'].auto_disable, { policy: 'consecutive_failures', failures: 50 });
    assert.equal(byName['Orders service'].header_style, 'webhook');
  });

  step('sends from the composer and shows the event at once', async () => {
    good.setDelay(1500); // slow enough to see the event pending first
    await nav(page, 'Send event').click();
    await page.getByRole('heading', { name: 'Send event' }).waitFor(WAIT);
    await page.getByLabel('Event name').fill('order.created');
    await setEditor(page, '{"order_id": "ord_1042", "amount": 4999, "currency": "EUR", "customer": {"id": "cus_7", "email": "ada@example.com"}, "items": [{"sku": "book", "qty": 2}]}');
    // Only the orders endpoint matches order.created.
    const targets = page.getByRole('region', { name: /Delivers to/ });
    await targets.getByText('Orders service').waitFor(WAIT);
    assert.equal(await targets.getByText('Payments ledger').count(), 0);
    await page.getByRole('button', { name: 'Format' }).click();
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+Enter');

    const result = page.locator('[role=status][data-event-id]');
    await result.waitFor(WAIT);
    sentId = (await result.getAttribute('data-event-id')) ?? '';
    assert.match(sentId, /^evt_/);
    await shot(page, '03-composer');
    // The history keeps it for one-click reuse.
    await page.getByRole('button', { name: /^Load order\.created sent/ }).waitFor(WAIT);
  });

  step('watches the event turn succeeded live, without a reload', async () => {
    await page.evaluate(() => ((/** @type {any} */ (window)).__noReload = true));
    await nav(page, 'Events').click();
    const r = row(page, sentId);
    await r.waitFor(WAIT);
    // It is still waiting on the slow receiver…
    assert.equal(await r.getAttribute('data-status'), 'pending');
    // …and turns succeeded when the receiver answers, pushed over the stream.
    await until(async () => (await r.getAttribute('data-status')) === 'succeeded', 'the row to turn succeeded');
    assert.equal(await page.evaluate(() => (/** @type {any} */ (window)).__noReload), true, 'the page was reloaded');
    good.setDelay(0);
  });

  step('opens its timeline with the attempt, request and response', async () => {
    // Keyboard: j selects the newest row, Enter opens it.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'order.created' }).waitFor(WAIT);
    assert.match(page.url(), new RegExp(`#/events/${sentId}$`));
    const lane = page.locator('.lane').first();
    assert.equal(await lane.getAttribute('data-status'), 'succeeded');
    await lane.getByRole('button', { name: /^Attempt 1 \(automatic\) succeeded with HTTP 200/ }).waitFor(WAIT);
    const panel = page.getByRole('region', { name: /Attempt 1/ });
    await panel.getByText('HTTP 200').waitFor(WAIT);
    await panel.getByText('x-receiver').waitFor(WAIT); // the receiver's response header
    await panel.getByText('x-team').first().waitFor(WAIT); // the endpoint's custom header, as sent
    await page.getByRole('group', { name: 'Payload' }).getByText('"ord_1042"').waitFor(WAIT);
    assert.equal(good.requests.length, 1);
    await shot(page, '04-event-detail');
  });

  step('retries a failed delivery and watches it recover', async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/webhook_events/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_name: 'payment.captured', payload: { payment_id: 'pay_88', amount: 1250 } }),
    });
    assert.equal(res.status, 202);
    failedId = (await res.json()).id;
    await page.goto(`${server.baseUrl}/#/events/${failedId}`);
    await page.getByRole('heading', { name: 'payment.captured' }).waitFor(WAIT);
    const lane = page.locator('.lane').first();
    // No retries are scheduled, so one 500 fails it for good.
    await until(async () => (await lane.getAttribute('data-status')) === 'failed', 'the delivery to fail');
    await lane.getByRole('button', { name: /^Attempt 1 \(automatic\) failed with HTTP 500/ }).waitFor(WAIT);
    await shot(page, '05-event-detail-failed');

    flaky.setStatus(200);
    await lane.getByRole('button', { name: /^Retry now/ }).click();
    await until(async () => (await lane.getAttribute('data-status')) === 'succeeded', 'the delivery to recover');
    await lane.getByRole('button', { name: /^Attempt 2 \(manual\) succeeded with HTTP 200/ }).waitFor(WAIT);
    await page.locator('.screen-header').getByText('succeeded').waitFor(WAIT);
    // The panel follows the newest attempt.
    await page.getByRole('region', { name: /Attempt 2/ }).getByText('Manual retry').waitFor(WAIT);
    await shot(page, '06-event-detail-recovered');
    flaky.setStatus(500);
  });

  step('filters the list by status', async () => {
    // A few more events: two that fail (payments) and one that succeeds (orders).
    for (const name of ['payment.refunded', 'order.paid', 'payment.disputed']) {
      const r = await fetch(`${server.baseUrl}/api/v1/webhook_events/trigger`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_name: name, payload: { id: name } }),
      });
      assert.equal(r.status, 202);
    }
    await until(async () => {
      const { body } = await api(server, 'GET', '/api/v1/events?status=failed');
      return body.data.length === 2;
    }, 'two failed events');

    await nav(page, 'Events').click();
    await page.locator('[role=option]').first().waitFor(WAIT);
    await until(async () => (await page.locator('[role=option]').count()) === 5, 'five rows');
    await shot(page, '07-events');

    await page.getByLabel('Filter by status').selectOption('failed');
    await until(async () => {
      const statuses = await page.locator('[role=option]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
      return statuses.length === 2 && statuses.every((s) => s === 'failed');
    }, 'only the two failed rows');
    assert.match(page.url(), /status=failed/);
    await page.getByText('2 events matching').waitFor(WAIT);
    await shot(page, '08-events-filtered');

    // A new failure shows up live in the filtered list; a success does not.
    await fetch(`${server.baseUrl}/api/v1/webhook_events/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_name: 'payment.voided', payload: {} }),
    });
    await until(async () => (await page.locator('[role=option]').count()) === 3, 'the new failure to appear');

    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await until(async () => (await page.locator('[role=option]').count()) === 6, 'all rows back');
  });

  step('counts down to the next scheduled attempt, and cancels it', async () => {
    const { status, body: shipping } = await api(server, 'POST', '/api/v1/endpoints', {
      url: flaky.url,
      name: 'Shipping',
      event_filter: ['order.shipped'],
      retry_schedule: [1, 1, 900],
    });
    assert.equal(status, 201);
    const id = await trigger(server, 'order.shipped', { order_id: 'ord_1042', carrier: 'DHL', tracking: 'JD0141' });
    await page.goto(`${server.baseUrl}/#/events/${id}`);
    await page.getByRole('heading', { name: 'order.shipped' }).waitFor(WAIT);
    const lane = page.locator('.lane', { hasText: 'Shipping' });
    // Three quick failures, then a ~15-minute wait (the engine adds jitter) shown as a hollow mark with a countdown.
    await lane.getByRole('button', { name: /^Attempt 3 \(automatic\) failed with HTTP 500/ }).waitFor(WAIT);
    await until(async () => (await lane.getAttribute('data-status')) === 'retrying', 'the delivery to wait for its next attempt');
    const countdown = lane.locator('.next-mark .countdown');
    await countdown.waitFor(WAIT);
    assert.match((await countdown.textContent()) ?? '', /^in 1\dm \d\ds$/);
    const first = await countdown.textContent();
    await until(async () => (await countdown.textContent()) !== first, 'the countdown to tick');
    await page.locator('.lane', { hasText: 'Orders service' }).getByRole('button', { name: /^Attempt 1 \(automatic\) succeeded/ }).click();
    // The payload's size is what was sent: the same as the request body's, not the indented text's.
    assert.equal(await page.locator('.payload .size').textContent(), '59 B');
    await page.getByText('Body · 59 B').first().waitFor(WAIT);
    const file = await shot(page, '06b-event-detail-retrying');
    publish(file, 'event-detail.png');

    await lane.getByRole('button', { name: /^Cancel delivery/ }).click();
    await until(async () => (await lane.getAttribute('data-status')) === 'cancelled', 'the delivery to be cancelled');
    assert.equal(await lane.locator('.next-mark').count(), 0, 'a cancelled delivery still shows a next attempt');
    const { body: event } = await api(server, 'GET', `/api/v1/events/${id}`);
    assert.equal(event.deliveries.find((d) => d.endpoint_id === shipping.id).status, 'cancelled');

    // A busier list for the README: a mix of outcomes arriving live.
    await nav(page, 'Events').click();
    const mix = [
      ['order.created', { order_id: 'ord_1043' }],
      ['user.signup', { user_id: 'usr_311' }],
      ['order.shipped', { order_id: 'ord_1039' }],
      ['payment.failed', { payment_id: 'pay_91' }],
      ['order.paid', { order_id: 'ord_1043' }],
      ['invoice.finalized', { invoice_id: 'in_77' }],
      ['order.created', { order_id: 'ord_1044' }],
      ['order.shipped', { order_id: 'ord_1041' }],
      ['order.paid', { order_id: 'ord_1044' }],
    ];
    // Watched with the pointer over the list: though too short to fill its pane, it holds the row under the pointer
    // still while new events arrive above it, and counts them in its pill; moving off the list shows the newest.
    const listBox = await page.getByRole('listbox', { name: 'Events, newest first' }).boundingBox();
    const [x, y] = [listBox.x + 200, listBox.y + 34 * 2 + 17];
    await page.mouse.move(x, y);
    const aimed = await rowAt(page, x, y);
    assert.ok(aimed, 'no row under the pointer');
    for (const [name, payload] of mix) {
      await trigger(server, name, payload);
      await page.waitForTimeout(120);
    }
    const pill = () => page.evaluate(() => document.querySelector('.new-pill')?.textContent.trim() ?? null);
    await until(async () => (await pill()) === '9 new', 'the pill to count 9 new');
    assert.equal(await rowAt(page, x, y), aimed, 'the row under the pointer moved as events arrived');
    // The stream falls behind and misses three events; the engine's resync reloads the list, which keeps the row
    // under the pointer where it was and counts the missed events in the pill.
    await streamLag(page, true);
    for (const [name, payload] of [
      ['order.created', { order_id: 'ord_1045' }],
      ['user.signup', { user_id: 'usr_312' }],
      ['order.paid', { order_id: 'ord_1045' }],
    ]) {
      await trigger(server, name, payload);
    }
    await page.waitForTimeout(300);
    assert.equal(await pill(), '9 new', 'the page saw events the stream was to miss');
    await streamLag(page, false);
    await until(async () => (await pill()) === '12 new', 'the pill to count the missed events, 12 new');
    assert.equal(await rowAt(page, x, y), aimed, 'the row under the pointer moved when the list reloaded');
    await page.mouse.move(listBox.x + 200, listBox.y - 60);
    await page.locator('.new-pill').waitFor({ state: 'detached', timeout: 15_000 });
    await until(async () => (await page.locator('[role=option]').count()) === 19, 'nineteen rows');
    await until(async () => (await page.locator('[role=option][data-status=retrying]').count()) === 2, 'two retrying rows');
    await until(async () => (await page.locator('[role=option][data-status=pending]').count()) === 0, 'no pending rows');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Home');
    await page.keyboard.press('j');
    const busy = await shot(page, '07b-events-busy');
    publish(busy, 'events.png');
    assert.equal((await api(server, 'DELETE', `/api/v1/endpoints/${shipping.id}`)).status, 204);
  });

  step('offers Edit & resend with the composer prefilled', async () => {
    await page.goto(`${server.baseUrl}/#/events/${sentId}`);
    await page.getByRole('button', { name: 'Edit & resend' }).click();
    await page.getByRole('heading', { name: 'Send event' }).waitFor(WAIT);
    assert.equal(await page.getByLabel('Event name').inputValue(), 'order.created');
    await page.locator('.cm-content').getByText('"ord_1042"').waitFor(WAIT);
  });

  step('explains how to get in without a token', async () => {
    const fresh = await launch({ colorScheme: 'light', width: 1280, height: 800 });
    try {
      await fresh.page.goto(server.baseUrl);
      await fresh.page.getByRole('heading', { name: 'Open Hooky from its link' }).waitFor(WAIT);
      await fresh.page.getByText('hooky serve', { exact: true }).first().waitFor(WAIT);
      await shot(fresh.page, '12-no-token');
      await fresh.page.goto(`${server.baseUrl}/?again#token=not-the-token`);
      await fresh.page.getByRole('heading', { name: "This link's token was refused" }).waitFor(WAIT);
    } finally {
      await fresh.close();
    }
  });

  step('follows a dark system theme', async () => {
    const dark = await launch({ colorScheme: 'dark' });
    try {
      await dark.page.goto(server.link);
      await dark.page.locator('[role=option]').first().waitFor(WAIT);
      const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(15, 17, 21)');
      await shot(dark.page, '13-events-dark');
      await dark.page.goto(`${server.baseUrl}/#/events/${failedId}`);
      await dark.page.getByRole('heading', { name: 'payment.captured' }).waitFor(WAIT);
      await shot(dark.page, '14-event-detail-dark');
      assert.deepEqual(dark.problems, []);
    } finally {
      await dark.close();
    }
  });

  step('logged no errors in the page', () => {
    assert.deepEqual(b.problems, []);
  });
});
