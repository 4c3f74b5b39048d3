// Managing endpoints in the UI against a real `hooky serve`: health figures
// from real deliveries, the settings screen, and an endpoint edited (filter
// preview, secret rotation, the TLS check), disabled and deleted after confirming. The
// terminal commands the settings screen offers are run as shown.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { promisify } from 'node:util';
import { api, hookyBin, startHooky, trigger } from '../lib/hooky.js';
import { closeAll, launch } from '../lib/browser.js';
import { startReceiver } from '../lib/receiver.js';
import { shot, stepper } from '../lib/shots.js';
import { nav, until } from '../lib/ui.js';

const WAIT = { timeout: 15_000 };
/** Event names the payments endpoint's filter will match in the preview. */
const PAYMENT_EVENTS = ['payment.captured', 'payment.refunded', 'payment.disputed', 'payment.voided', 'payment.failed'];

const step = stepper('endpoints');

describe('Endpoint management', () => {
  /** @type {Awaited<ReturnType<typeof startHooky>>} */
  let server;
  /** @type {Awaited<ReturnType<typeof startReceiver>>} */
  let good;
  /** @type {Awaited<ReturnType<typeof startReceiver>>} */
  let failing;
  /** @type {Awaited<ReturnType<typeof launch>>} */
  let b;
  let page;
  let ledgerId = '';

  before(async () => {
    server = await startHooky();
    good = await startReceiver({ status: 200 });
    failing = await startReceiver({ status: 500 });
    const orders = await api(server, 'POST', '/api/v1/endpoints', {
      url: good.url,
      name: 'Orders service',
      event_filter: ['order.*'],
    });
    assert.equal(orders.status, 201);
    const ledger = await api(server, 'POST', '/api/v1/endpoints', {
      url: failing.url,
      name: 'Payments ledger',
      event_filter: ['payment.*'],
      retry_schedule: [],
    });
    assert.equal(ledger.status, 201);
    ledgerId = ledger.body.id;
    for (const name of ['order.created', 'order.paid', ...PAYMENT_EVENTS]) await trigger(server, name, { id: name });
    await until(async () => {
      const { body } = await api(server, 'GET', '/api/v1/events?status=failed');
      return body.data.length === PAYMENT_EVENTS.length;
    }, 'every payment delivery to fail');
    b = await launch({ colorScheme: 'light' });
    page = b.page;
    step.page = page;
    await page.goto(server.link);
  });

  after(async () => {
    await closeAll(b, good, failing, server);
  });

  step('shows endpoint health and settings', async () => {
    await nav(page, 'Endpoints').click();
    const rate = async (name) => {
      const row = page.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
      return ((await row.locator('td.rate').textContent()) ?? '').trim();
    };
    await until(async () => (await rate('Orders service')).startsWith('100%'), 'the healthy endpoint at 100%');
    await until(async () => (await rate('Payments ledger')).startsWith('0%'), 'the failing endpoint at 0%');
    await shot(page, '09-endpoints');

    await nav(page, 'Settings').click();
    await page.getByRole('heading', { name: 'Trigger URL' }).waitFor(WAIT);
    const tokenShown = await page.getByLabel('API token (hidden)').textContent();
    assert.ok(!tokenShown?.includes(server.token), 'the token is shown unmasked');
    await page.getByText(server.baseUrl, { exact: true }).first().waitFor(WAIT);
    await shot(page, '10-settings');

    // The terminal commands work as shown: their environment line, then a trigger that waits.
    const shown = (await page.locator('section[aria-labelledby="s-cli"] pre').textContent()) ?? '';
    const lines = shown.split('\n');
    assert.ok(lines[0].startsWith('export HOOKY_LISTEN='), shown);
    const bin = mkdtempSync(path.join(tmpdir(), 'hooky-cli-'));
    symlinkSync(hookyBin(), path.join(bin, 'hooky'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    for (const name of ['HOOKY_LISTEN', 'HOOKY_DATA_DIR', 'HOOKY_TOKEN']) delete env[name];
    // Asynchronous: the receiver answering the delivery runs in this process.
    const script = [lines[0], lines.find((line) => line.startsWith('hooky trigger'))].join('\n');
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { env, timeout: 30_000 });
    rmSync(bin, { recursive: true, force: true });
    assert.match(stdout, /order\.created → 1 endpoint\(s\)\n {2}dlv_\w+ to http:\/\/127\.0\.0\.1:\d+\S*: succeeded after 1 attempt/);
  });

  step('edits an endpoint, previewing its filter and rotating its secret', async () => {
    await nav(page, 'Endpoints').click();
    await page.getByRole('link', { name: 'Edit Payments ledger' }).click();
    await page.getByRole('heading', { name: 'Edit Payments ledger' }).waitFor(WAIT);
    assert.equal(await page.getByLabel('Event filter').inputValue(), 'payment.*');
    await page.getByLabel('Event filter').fill('payment.*\norder.refunded');
    const httpsUrl = failing.url.replace('http://', 'https://');
    await page.locator('input[name="url"]').fill(httpsUrl);
    // The live preview lists recently seen names the filter matches.
    await page.getByText(`Matches ${PAYMENT_EVENTS.length} of ${PAYMENT_EVENTS.length + 2} recently seen event names`).waitFor(WAIT);
    // The signing secret: masked, revealed, rotated.
    const secretBox = page.getByLabel('Signing secret (hidden)');
    await until(async () => ((await secretBox.textContent()) ?? '').startsWith('whsec_'), 'the masked secret');
    const secretNow = async () => (await api(server, 'GET', `/api/v1/endpoints/${ledgerId}/secret`)).body.key;
    const before = await secretNow();
    await page.getByRole('button', { name: 'Rotate' }).click();
    // The click's request may still be on its way: read the new key once the API has it.
    const rotated = await until(async () => {
      const key = await secretNow();
      return key !== before && key;
    }, 'the rotation to reach the API');
    await until(async () => (await page.getByLabel('Signing secret', { exact: true }).textContent()) === rotated, 'the rotated secret to show');
    await page.getByRole('button', { name: 'Hide' }).click();
    // Certificates are checked unless the endpoint turns it off (a self-signed local receiver).
    const checkTls = page.getByRole('checkbox', { name: "Check the receiver's TLS certificate" });
    assert.equal(await checkTls.isChecked(), true);
    await checkTls.uncheck();
    await shot(page, '11-endpoint-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor(WAIT);
    const { body } = await api(server, 'GET', `/api/v1/endpoints/${ledgerId}`);
    assert.deepEqual(body.event_filter, ['payment.*', 'order.refunded']);
    assert.equal(body.verify_tls, false);
    assert.equal(body.url, httpsUrl);
    // The list says so, where an unchecked https:// receiver would otherwise go unnoticed.
    const row = page.locator(`tr[data-endpoint-id="${ledgerId}"]`);
    await row.getByText('TLS certificate not checked').waitFor(WAIT);
    assert.equal(await page.getByText('TLS certificate not checked').count(), 1, 'only the endpoint with the check off');
    await shot(page, '11b-endpoints-tls-unchecked');
  });

  step('disables an endpoint, and deletes it after confirming', async () => {
    await page.getByRole('switch', { name: 'Disable Payments ledger' }).click();
    await page.getByRole('switch', { name: 'Enable Payments ledger' }).waitFor(WAIT);
    assert.equal((await api(server, 'GET', `/api/v1/endpoints/${ledgerId}`)).body.enabled, false);

    await page.getByRole('button', { name: 'Delete Payments ledger' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Delete Payments ledger?' }).waitFor(WAIT);
    await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
    await until(async () => (await page.getByRole('link', { name: 'Payments ledger', exact: true }).count()) === 0, 'the row to go');
    const { body } = await api(server, 'GET', '/api/v1/endpoints');
    assert.deepEqual(body.data.map((e) => e.name), ['Orders service']);
  });

  step('logged no errors in the page', () => {
    assert.deepEqual(b.problems, []);
  });
});
