// The desktop app end to end: the real binary, its window driven through
// tauri-driver and WebKitWebDriver, a real receiver, and the data dir on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  alive, api, appPids, artifactsDir, freePort, launchPlain, launchWindow, listeners, startDriver, within,
} from '../lib/app.js';
// The browser suite's receiver: plain node:http, no dependencies of that suite.
import { startReceiver } from '../../browser/lib/receiver.js';
import { capture, windowsTitled } from '../lib/screen.js';
import { KEY, until } from '../lib/webdriver.js';

const logFile = path.join(artifactsDir, 'app.log');
const temps = [];
const tempDir = (name) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `hooky-desktop-${name}-`));
  temps.push(dir);
  return dir;
};
const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

let failed = false;
/** A step of one story: once a step fails, the later ones are skipped. */
function step(name, fn) {
  it(name, async (t) => {
    if (failed) return t.skip('an earlier step failed');
    try {
      await fn();
    } catch (err) {
      failed = true;
      await shot(`failed-${name.replace(/\W+/g, '-').slice(0, 40)}`).catch(() => {});
      throw err;
    }
  });
}

let session = null;
/** Saves the Hooky window (the whole screen if it is not there) to tests/artifacts/desktop/<name>.png. */
async function shot(name) {
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the last change paint
  const file = path.join(artifactsDir, `${name}.png`);
  capture(file, windowsTitled('Hooky').length ? 'Hooky' : null);
}

describe('Hooky desktop', () => {
  const dataDir = tempDir('data');
  let port;
  let baseUrl;
  let receiver;
  let driver;
  let eventId;
  const token = () => readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
  const nav = (name) => session.waitFor({ within: 'nav[aria-label="Main"]', role: 'link', name });
  /** Fires an event at the app's trigger URL, as an app under development would. */
  const trigger = (name) =>
    fetch(`${baseUrl}/api/v1/webhook_events/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_name: name, payload: { n: 1 } }),
    });

  before(async () => {
    writeFileSync(logFile, '');
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    receiver = await startReceiver();
    driver = await startDriver({
      env: { HOOKY_DATA_DIR: dataDir, HOOKY_LISTEN: `127.0.0.1:${port}`, RUST_LOG: 'info,hooky_desktop=debug' },
      logFile,
    });
  });

  after(async () => {
    await session?.delete().catch(() => {});
    await driver?.stop();
    for (const dir of temps) for (const pid of appPids(dir)) process.kill(pid, 'SIGKILL');
    await receiver?.stop();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  /** Quits the app like a logout does (SIGTERM; the tray's Quit takes the same path) and waits. */
  async function quit() {
    const pids = appPids(dataDir);
    assert.equal(pids.length, 1, `one app process on the data dir, found ${pids.length}`);
    process.kill(pids[0], 'SIGTERM');
    await until(() => !alive(pids[0]), 'the app to exit', { timeoutMs: 15_000 });
    await session?.delete().catch(() => {});
    session = null;
  }

  step('launches, starts the engine in-process and shows the events screen', async () => {
    session = await launchWindow(driver);
    await session.waitFor({ role: 'heading', name: 'Events' });
    await session.waitFor({ role: 'status', name: 'Live' }); // the UI's live stream is connected
    assert.match(await session.title(), /Hooky/);
    assert.equal(appPids(dataDir).length, 1);
    assert.equal(listeners(port), 1);
    assert.equal((await (await fetch(`${baseUrl}/api/v1/health`)).json()).status, 'ok');
    await shot('01-events');
  });

  step('gives the UI the engine address, and its CSP lets the page reach only that', async () => {
    const connection = await session.invoke('api_connection');
    assert.deepEqual(connection, { ok: true, value: { base_url: baseUrl, token: token() } });
    assert.equal((await session.pageFetch(`${baseUrl}/api/v1/health`)).ok, true);
    const foreign = await session.pageFetch(receiver.url); // another loopback port: refused by connect-src
    assert.equal(foreign.ok, false, `the page could fetch ${receiver.url}`);
  });

  step('reads and changes the desktop settings over IPC', async () => {
    const initial = await session.invoke('desktop_settings');
    assert.deepEqual(initial, { ok: true, value: { listen: null, notifications: true, close_to_tray: true } });
    const changed = await session.invoke('set_desktop_settings', { patch: { notifications: false } });
    assert.deepEqual(changed.value, { listen: null, notifications: false, close_to_tray: true });
    const saved = JSON.parse(readFileSync(path.join(dataDir, 'desktop.json'), 'utf8'));
    assert.equal(saved.notifications, false);
    const refused = await session.invoke('set_desktop_settings', { patch: { listen: '0.0.0.0:80' } });
    assert.equal(refused.ok, false);
    assert.match(refused.error, /loopback/);
    await session.invoke('set_desktop_settings', { patch: { notifications: true } });
  });

  step('creates an endpoint pointing at a real receiver through the UI', async () => {
    await (await nav('Endpoints')).click();
    await session.waitFor({ role: 'heading', name: 'Endpoints' });
    const add = await session.waitFor({ role: 'link', name: '^(New endpoint|Add your first endpoint)$', regex: true });
    await add.click();
    await session.waitFor({ role: 'heading', name: 'New endpoint' });
    await (await session.waitFor({ label: 'URL' })).fill(receiver.url);
    await (await session.waitFor({ label: 'Name' })).fill('Desktop receiver');
    await shot('02-new-endpoint');
    await (await session.waitFor({ role: 'button', name: 'Create endpoint' })).click();
    await session.waitFor({ role: 'link', name: 'Desktop receiver' });
    const endpoints = await api(baseUrl, token(), '/api/v1/endpoints');
    assert.deepEqual(endpoints.data.map((e) => [e.name, e.url]), [['Desktop receiver', receiver.url]]);
    await shot('03-endpoints');
  });

  step('sends an event from the composer and watches it succeed', async () => {
    await (await nav('Send event')).click();
    await session.waitFor({ role: 'heading', name: 'Send event' });
    await (await session.waitFor({ label: 'Event name' })).fill('order.created');
    const editor = await session.waitFor({ css: '.cm-content' });
    await editor.click();
    await editor.type(`${KEY.CONTROL}a${KEY.CONTROL}${KEY.DELETE}`);
    // Typed whole: the editor's auto-closed brackets and quotes are typed over.
    await editor.type('{"order_id": "ord_desktop", "total": 42}');
    await session.waitFor({ css: '#payload-state', name: 'Valid JSON' });
    await (await session.waitFor({ role: 'button', name: 'Send' })).click();
    const result = await session.waitFor({ css: '[role=status][data-event-id]' });
    eventId = await result.attribute('data-event-id');
    assert.match(eventId, /^evt_/);
    await shot('04-composer-sent');

    await (await nav('Events')).click();
    const row = await session.waitFor({ css: `[role=option][data-event-id="${eventId}"]` });
    await until(async () => (await row.attribute('data-status')) === 'succeeded', 'the event to succeed');
    const delivered = receiver.requests.find((r) => r.headers['webhook-id'] === eventId);
    assert.ok(delivered, 'the receiver got the event');
    assert.deepEqual(JSON.parse(delivered.body), { order_id: 'ord_desktop', total: 42 });
    await shot('05-event-succeeded');
  });

  step('holds the row under the pointer still while events arrive, and shows the newest once it leaves', async () => {
    const pointerTo = (x, y) =>
      session.cmd('POST', '/actions', {
        actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: [{ type: 'pointerMove', duration: 0, origin: 'viewport', x, y }] }],
      });
    const rowAt = (x, y) =>
      session.execute('return document.elementFromPoint(arguments[0], arguments[1])?.closest("[role=option]")?.getAttribute("data-event-id") ?? null', x, y);
    const pill = () => session.execute('return document.querySelector(".new-pill")?.textContent.trim() ?? null');

    // The list holds the one event sent so far: far shorter than its pane.
    await session.waitFor({ css: `[role=option][data-event-id="${eventId}"]` });
    const { x, y } = await session.execute(
      'const r = document.querySelector(`[role=option][data-event-id="${arguments[0]}"]`).getBoundingClientRect(); return { x: Math.round(r.x + 200), y: Math.round(r.y + r.height / 2) };',
      eventId,
    );
    await pointerTo(x, y);
    assert.equal(await rowAt(x, y), eventId);
    for (const n of [1, 2, 3]) assert.equal((await trigger(`hold.${n}`)).status, 202);
    await until(async () => (await pill()) === '3 new', 'the pill to count 3 new');
    assert.equal(await rowAt(x, y), eventId, 'the row under the pointer moved as events arrived');
    await shot('05b-rows-held-under-the-pointer');

    await pointerTo(5, 5);
    await until(async () => (await pill()) === null, 'the pill to go once the pointer leaves');
    const newest = await session.execute('return document.querySelector("[role=option]")?.getAttribute("data-event-id")');
    const body = await api(baseUrl, token(), '/api/v1/events?limit=1');
    assert.equal(newest, body.data[0].id, 'the newest event is at the top once the pointer left');
  });

  step('notifies from Rust when a delivery fails for good or an endpoint is disabled; the tray follows', async () => {
    const gone = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(410).end()));
    await new Promise((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const goneUrl = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (gone.address()).port}/gone`;
    const headers = { authorization: `Bearer ${token()}`, 'content-type': 'application/json' };
    const addEndpoint = (name) =>
      fetch(`${baseUrl}/api/v1/endpoints`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: goneUrl, name, event_filter: ['gone.*'], retry_schedule: [] }),
      });
    try {
      const start = log().length;
      assert.equal((await addEndpoint('Gone receiver')).status, 201);
      assert.equal((await trigger('gone.away')).status, 202);
      // A 410 disables the endpoint and fails the delivery for good: one notification each.
      await until(() => log().slice(start).includes('notification title=Endpoint disabled: Gone receiver'), 'the endpoint-disabled notification');
      await until(() => /notification title=Delivery failed body=gone\.away to Gone receiver failed after 1 attempt/.test(log().slice(start)), 'the delivery-failed notification');
      // Events today: the order and this one; failing endpoints: the disabled one.
      await until(() => /tray counts events=\d+ failing=1/.test(log().slice(start)), 'the tray to count the failing endpoint');
      await (await nav('Events')).click();
      await shot('06-failed-delivery');

      // Turned off in the settings: the next failure is logged but not shown.
      await session.invoke('set_desktop_settings', { patch: { notifications: false } });
      const quiet = log().length;
      assert.equal((await addEndpoint('Gone again')).status, 201);
      assert.equal((await trigger('gone.again')).status, 202);
      await until(() => log().slice(quiet).includes('notification silenced by the settings'), 'the silenced notification');
      assert.doesNotMatch(log().slice(quiet), /INFO hooky_desktop::notify: notification title/);
      await session.invoke('set_desktop_settings', { patch: { notifications: true } });
    } finally {
      gone.close();
    }
  });

  step('quits cleanly and finds the history at the next launch on the same data dir', async () => {
    await quit();
    assert.equal(listeners(port), 0, 'the engine stopped listening');
    assert.match(log(), /Hooky engine stopped/);

    session = await launchWindow(driver);
    await session.waitFor({ role: 'heading', name: 'Events' });
    const row = await session.waitFor({ css: `[role=option][data-event-id="${eventId}"]` });
    assert.equal(await row.attribute('data-status'), 'succeeded');
    await (await nav('Endpoints')).click();
    await session.waitFor({ role: 'link', name: 'Desktop receiver' });
    await (await nav('Events')).click();
    await session.waitFor({ css: `[role=option][data-event-id="${eventId}"]` });
    await shot('07-history-after-relaunch');
  });

  step('a second launch hands over to the first and starts no second engine', async () => {
    const otherDir = tempDir('second');
    const otherPort = await freePort();
    const before = log().length;
    const second = launchPlain({ HOOKY_DATA_DIR: otherDir, HOOKY_LISTEN: `127.0.0.1:${otherPort}` });
    const exit = await within(second.exited, 20_000);
    if (!exit) second.child.kill('SIGKILL');
    assert.ok(exit, `the second launch is still running:\n${second.output}`);
    assert.equal(exit.code, 0, second.output);
    assert.doesNotMatch(second.output, /engine started|API ready/);
    assert.equal(listeners(otherPort), 0, 'nothing listens on the second launch port');
    assert.equal(existsSync(path.join(otherDir, 'hooky.db')), false, 'no database in the second data dir');
    // The first is untouched, and was asked to show its window.
    assert.equal(listeners(port), 1);
    assert.equal((await fetch(`${baseUrl}/api/v1/health`)).status, 200);
    await until(() => log().slice(before).includes('Hooky was launched again'), 'the first app to hear of it');
    await session.waitFor({ role: 'heading', name: 'Events' });
    await shot('08-after-second-launch');
    await quit();
  });

  step('says plainly, in a native dialog, when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = /** @type {net.AddressInfo} */ (blocker.address()).port;
    const app = launchPlain({ HOOKY_DATA_DIR: tempDir('busy'), HOOKY_LISTEN: `127.0.0.1:${busy}` });
    try {
      await until(() => app.output.includes('the port is taken'), 'the app to notice the port is taken');
      const title = `Port ${busy} is in use`;
      await until(() => windowsTitled(title).length > 0, 'the dialog');
      await new Promise((resolve) => setTimeout(resolve, 500)); // let it paint
      capture(path.join(artifactsDir, '09-port-in-use-dialog.png'), title);
      assert.equal(app.child.exitCode, null, 'the app waits for an answer instead of exiting');
      app.child.kill('SIGTERM');
      assert.ok(await within(app.exited, 15_000), 'the app quits on SIGTERM');
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
      blocker.close();
    }
  });
});
