// A full-text search stays live: events fired while it is active show in the
// list when the engine says they match, and only then, without a reload.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { api, startHooky, trigger } from '../lib/hooky.js';
import { closeAll, launch } from '../lib/browser.js';
import { startReceiver } from '../lib/receiver.js';
import { shot, stepper } from '../lib/shots.js';
import { row, until } from '../lib/ui.js';

const WAIT = { timeout: 15_000 };
const WORD = 'cus_8841';

const step = stepper('search-live');

describe('Search stays live', () => {
  /** @type {Awaited<ReturnType<typeof startHooky>>} */
  let server;
  /** @type {Awaited<ReturnType<typeof startReceiver>>} */
  let receiver;
  /** @type {Awaited<ReturnType<typeof launch>>} */
  let b;
  let page;
  let earlier = '';
  let matching = '';
  let other = '';

  before(async () => {
    server = await startHooky();
    receiver = await startReceiver({ status: 200, delayMs: 400 });
    const created = await api(server, 'POST', '/api/v1/endpoints', { url: receiver.url, name: 'Billing service' });
    assert.equal(created.status, 201);
    earlier = await trigger(server, 'invoice.paid', { customer: WORD, amount: 1200 });
    await trigger(server, 'invoice.paid', { customer: 'cus_1002', amount: 300 });
    b = await launch({ colorScheme: 'light' });
    page = b.page;
    step.page = page;
  });

  after(async () => {
    await closeAll(b, receiver, server);
  });

  step('searches for a word and shows only the events that hold it', async () => {
    await page.goto(server.link);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor(WAIT);
    await page.locator('[role=option]').nth(1).waitFor(WAIT);
    await page.getByLabel('Search payloads and response bodies').fill(WORD);
    await until(async () => (await page.locator('[role=option]').count()) === 1, 'one row for the search');
    await row(page, earlier).waitFor(WAIT);
    assert.match(page.url(), new RegExp(`q=${WORD}`));
  });

  step('shows a new matching event without a reload, and not one that does not match', async () => {
    // Survives only if the page is not reloaded.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    // The other one first: once the match shows, the list has been refetched after it was stored.
    other = await trigger(server, 'invoice.paid', { customer: 'cus_5150', amount: 75 });
    matching = await trigger(server, 'invoice.paid', { customer: WORD, amount: 4400, note: 'renewal' });
    await row(page, matching).waitFor(WAIT);
    // Newest first, above the earlier match.
    const ids = await page.locator('[role=option]').evaluateAll((els) => els.map((el) => el.getAttribute('data-event-id')));
    assert.deepEqual(ids, [matching, earlier]);
    assert.equal(await row(page, other).count(), 0, 'an event without the word shows under the search');
    assert.equal(await page.evaluate(() => Boolean(Reflect.get(window, '__sameDocument'))), true, 'the page reloaded');
  });

  step('keeps the new row live as its delivery finishes', async () => {
    await until(async () => (await row(page, matching).getAttribute('data-status')) === 'succeeded', 'the new row to succeed');
    await shot(page, 'search-live');
    // The one that did not match was stored all along: it shows once the search is cleared.
    await page.getByLabel('Search payloads and response bodies').fill('');
    await row(page, other).waitFor(WAIT);
    assert.equal(await row(page, other).count(), 1);
  });
});
