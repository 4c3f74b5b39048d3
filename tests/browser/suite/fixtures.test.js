// The fixture library and QA runs, end to end: a real `hooky serve` watching a
// real folder, files written and edited on disk as an editor would, sends to a
// real receiver, and a run with every fault against a receiver that accepts all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { api, startHooky } from '../lib/hooky.js';
import { closeAll, launch } from '../lib/browser.js';
import { startReceiver } from '../lib/receiver.js';
import { shot, stepper } from '../lib/shots.js';
import { nav, until } from '../lib/ui.js';

const WAIT = { timeout: 15_000 };
const step = stepper('fixtures');

const ORDERS = (totals) =>
  JSON.stringify(
    {
      event_name: 'order.created',
      variations: totals.map((total) => ({ id: 'ord_{{seq}}', total })),
    },
    null,
    2,
  );
// A missing comma on line 3.
const BROKEN = '{\n  "event_name": "order.paid"\n  "payload": {}\n}\n';

describe('Fixtures and runs', () => {
  /** @type {Awaited<ReturnType<typeof startHooky>>} */
  let server;
  /** @type {Awaited<ReturnType<typeof startReceiver>>} */
  let receiver;
  /** @type {Awaited<ReturnType<typeof launch>>} */
  let b;
  /** @type {import('playwright-core').Page} */
  let page;
  let dir = '';
  let endpointId = '';

  const file = (p) => page.locator(`[data-fixture-path="${p}"]`);
  const write = (p, text) => {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  };

  before(async () => {
    server = await startHooky();
    receiver = await startReceiver({ status: 200 });
    dir = mkdtempSync(path.join(tmpdir(), 'hooky-fixtures-'));
    write('orders/created.json', ORDERS([10, 20]));
    write('broken.json', BROKEN);
    const set = await api(server, 'PUT', '/api/v1/fixtures/folder', { dir });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    b = await launch({ colorScheme: 'light' });
    page = b.page;
    step.page = page;
  });

  after(async () => {
    await closeAll(b, receiver, server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  step('lists the folder, the good file by subfolder and the broken one with its line and column', async () => {
    await page.goto(server.link);
    await nav(page, 'Fixtures').click();
    await page.getByRole('heading', { name: 'Fixtures', level: 1 }).waitFor(WAIT);
    assert.equal(await page.getByTestId('fixtures-dir').textContent(), dir);
    await page.getByRole('region', { name: 'Folder orders' }).or(page.locator('section[aria-label="Folder orders"]')).first().waitFor(WAIT);
    await file('orders/created.json').getByText('2 variations').waitFor(WAIT);
    assert.match((await file('orders/created.json').textContent()) ?? '', /order\.created/);
    const error = file('broken.json').getByTestId('fixture-error');
    await error.waitFor(WAIT);
    assert.match((await error.textContent()) ?? '', /line 3, column \d+/);
    await file('broken.json').click();
    await page.getByRole('alert').filter({ hasText: /not a usable fixture \(line 3, column \d+\)/ }).waitFor(WAIT);
    await shot(page, 'fixtures-library-error');
  });

  step('follows edits on disk: a changed file, a new one, a removed one and a fixed one', async () => {
    await file('orders/created.json').click();
    write('orders/created.json', ORDERS([10, 20, 30]));
    await file('orders/created.json').getByText('3 variations').waitFor(WAIT);
    // Bare payload: the event name comes from the file name.
    write('refund.issued.json', '{"refund": "{{uuid}}"}');
    await file('refund.issued.json').getByText('refund.issued', { exact: true }).waitFor(WAIT);
    unlinkSync(path.join(dir, 'refund.issued.json'));
    await file('refund.issued.json').waitFor({ state: 'detached', ...WAIT });
    write('broken.json', BROKEN.replace('"order.paid"\n', '"order.paid",\n'));
    await file('broken.json').getByText('1 variation').waitFor(WAIT);
    assert.equal(await file('broken.json').getByTestId('fixture-error').count(), 0);
    // The selected file's variations re-rendered with the new one.
    await page.getByRole('article', { name: 'Variation 3' }).waitFor(WAIT);
  });

  step('previews rendered templates and sends every variation to a real receiver', async () => {
    const created = await api(server, 'POST', '/api/v1/endpoints', { url: receiver.url, name: 'Shop receiver', event_filter: ['order.*'] });
    assert.equal(created.status, 201);
    endpointId = created.body.id;
    const preview = page.getByRole('article', { name: 'Variation 1' }).getByTestId('preview');
    await until(async () => /"ord_\d+"/.test((await preview.textContent()) ?? ''), 'the rendered preview of variation 1');
    await page.getByRole('article', { name: 'Variation 1' }).getByRole('button', { name: 'Template' }).click();
    assert.match((await page.getByRole('article', { name: 'Variation 1' }).getByTestId('template').textContent()) ?? '', /ord_\{\{seq\}\}/);

    await page.getByRole('button', { name: 'Send all' }).click();
    const sent = page.getByRole('status').filter({ hasText: 'Sent all 3 variations' });
    await sent.waitFor(WAIT);
    const links = await sent.getByRole('link').evaluateAll((els) => els.map((a) => a.getAttribute('href')));
    assert.equal(links.length, 3);
    for (const href of links) assert.match(href ?? '', /^#\/events\/evt_/);

    await until(() => receiver.requests.length >= 3, 'three deliveries at the receiver');
    const bodies = receiver.requests.map((r) => r.body);
    for (const body of bodies) assert.ok(!body.includes('{{'), `a template was delivered unrendered: ${body}`);
    const ids = bodies.map((body) => body.match(/"ord_(\d+)"/)?.[1]).sort();
    assert.equal(new Set(ids).size, 3, `each variation gets its own {{seq}}: ${bodies.join(' | ')}`);
    for (const total of [10, 20, 30]) assert.ok(bodies.some((body) => body.includes(`"total":${total}`)), `total ${total} delivered`);

    await shot(page, 'fixtures-sent');
    await sent.getByRole('link').first().click();
    await page.waitForURL(/#\/events\/evt_/);
  });

  step('runs every fault against a receiver that accepts everything and names its problems', async () => {
    const before = receiver.requests.length;
    await nav(page, 'Runs').click();
    await page.getByRole('form', { name: 'Start a QA run' }).waitFor(WAIT);
    await page.getByLabel('Target endpoint').selectOption(endpointId);
    await page.getByPlaceholder('whsec_…').fill(`whsec_${randomBytes(32).toString('base64')}`);
    await page.getByRole('checkbox', { name: 'all', exact: true }).check();
    assert.equal(await page.locator('input[name=fault]:checked').count(), 8);
    await page.getByRole('button', { name: 'Start run' }).click();

    const results = page.locator('section[data-run-state]');
    await page.waitForURL(/#\/runs\/run_/);
    await page.locator('section[data-run-state="finished"]').waitFor({ timeout: 60_000 });
    assert.ok(receiver.requests.length > before, 'the run sent to the receiver');

    const problems = page.getByRole('region', { name: 'Receiver problems' });
    await problems.waitFor(WAIT);
    const text = (await problems.textContent()) ?? '';
    for (const wrong of [
      'Accepted a bad signature',
      'Accepted a request without a signature',
      'Accepted a stale timestamp',
      'Accepted a timestamp from the future',
      'Accepted a truncated body',
    ]) {
      assert.ok(text.includes(wrong), `"${wrong}" missing from: ${text}`);
    }
    // It accepts a valid rotated signature: that is not a problem.
    assert.ok(!text.includes('rotated'), text);
    const failed = Number(await results.locator('[data-total=failed]').textContent());
    const passed = Number(await results.locator('[data-total=passed]').textContent());
    assert.ok(failed >= 15, `3 variations × 5 refusals should fail, got ${failed}`);
    assert.ok(passed >= 3, `the plain sends pass, got ${passed}`);

    await shot(page, 'runs-results');

    // The case table renders only the rows in view; scrolling to the end brings the last one.
    const caseRows = results.locator('[role=row][data-case-kind]');
    const total = Number(await results.getByRole('table', { name: 'Cases' }).getAttribute('aria-rowcount')) - 1;
    assert.ok(total >= 24 && (await caseRows.count()) < total, `${await caseRows.count()} of ${total} case rows rendered`);
    const last = results.locator(`#case-${total}`);
    await until(async () => {
      // Rows measured on the way grow the list, so the end moves while scrolling.
      await page.locator('.screen-body').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      return last.isVisible();
    }, 'the last case after scrolling to the end');

    // The table is one tab stop: arrows, Home and End reach cases not rendered yet, and Tab leaves it.
    const focusedCase = () => page.evaluate(() => document.activeElement?.getAttribute('data-case-button') ?? null);
    const focusesCase = async (key, id) => {
      await page.keyboard.press(key);
      await until(async () => (await focusedCase()) === String(id), `${key} focuses case ${id}`);
    };
    await page.locator('.screen-body').evaluate((el) => el.scrollTo(0, 0));
    await results.locator('[data-case-button="1"]').focus();
    assert.equal(await results.locator('[data-case-button][tabindex="0"]').count(), 1);
    await focusesCase('End', total);
    await focusesCase('ArrowUp', total - 1);
    await focusesCase('Home', 1);
    await focusesCase('ArrowDown', 2);
    await page.keyboard.press('Tab');
    assert.equal(await focusedCase(), null, 'Tab leaves the case table');

    // A problem's case link scrolls to that case and opens it onto the receiver's answer.
    const firstBad = problems.locator('li[data-kind=bad_signature] button').first();
    const badId = ((await firstBad.textContent()) ?? '').replace('#', '');
    await firstBad.click();
    const badRow = results.locator(`#case-${badId}`);
    await badRow.waitFor(WAIT);
    assert.equal(await badRow.getAttribute('data-outcome'), 'failed');
    assert.match((await badRow.textContent()) ?? '', /accepted a bad signature/);
    const details = badRow.getByRole('button', { name: /Details of case/ });
    assert.equal(await details.getAttribute('aria-expanded'), 'true');
    const detail = results.locator(`#case-detail-${badId}`);
    await detail.getByText('x-receiver: hooky-browser-suite').waitFor(WAIT);
    await shot(page, 'runs-cases');
    // The keyboard still folds it away.
    await details.focus();
    await page.keyboard.press('Enter');
    await detail.waitFor({ state: 'detached', ...WAIT });

    // The past runs list has it, and the report downloads as JSON.
    await page.getByRole('region', { name: 'Past runs' }).locator('a[data-run-id]').first().waitFor(WAIT);
    const [download] = await Promise.all([page.waitForEvent('download'), results.getByRole('button', { name: 'Report JSON' }).click()]);
    const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(report.totals.failed, failed);
    assert.ok(report.cases.some((c) => c.verdict === 'wrongly_accepted' && c.kind === 'bad_signature'));
  });

  step('offers to skip the certificate check for an https:// URL, and sends that choice', async () => {
    await nav(page, 'Runs').click();
    const form = page.getByRole('form', { name: 'Start a QA run' });
    await form.waitFor(WAIT);
    await form.getByRole('radio', { name: 'URL' }).check();
    const check = form.getByRole('checkbox', { name: "Check the receiver's TLS certificate" });
    await form.getByLabel('Target URL').fill('http://127.0.0.1:9/hook');
    assert.equal(await check.count(), 0, 'nothing to check over plain http');
    await form.getByLabel('Target URL').fill('https://127.0.0.1:9/hook');
    assert.equal(await check.isChecked(), true, 'checked unless turned off');
    await check.uncheck();
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/runs'));
    await form.getByRole('button', { name: 'Start run' }).click();
    assert.deepEqual((await sent).postDataJSON().target, { url: 'https://127.0.0.1:9/hook', verify_tls: false });
    await page.locator('section[data-run-state="finished"]').waitFor({ timeout: 60_000 });
  });
});
