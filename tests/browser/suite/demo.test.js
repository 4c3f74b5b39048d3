// Demo mode end to end against a real `hooky serve`: start it from the Demo screen, watch
// the flow view animate (dots travel, outcomes land, counts rise), stop it, reset it, and
// find the demo's endpoints gone while the user's own endpoint stays.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startHooky } from '../lib/hooky.js';
import { closeAll, launch } from '../lib/browser.js';
import { startReceiver } from '../lib/receiver.js';
import { shot, stepper } from '../lib/shots.js';
import { nav, until } from '../lib/ui.js';

const WAIT = { timeout: 15_000 };

const step = stepper('demo');

/** The count a receiver node shows, from its `data-ok` / `data-failed` attribute. */
async function count(page, receiver, kind) {
  const value = await page.locator(`[data-receiver="${receiver}"] [data-${kind}]`).getAttribute(`data-${kind}`);
  return Number(value);
}

describe('Hooky demo mode', () => {
  let server;
  let receiver;
  let b;
  let page;
  let mine;

  before(async () => {
    server = await startHooky();
    receiver = await startReceiver({ status: 200 });
    mine = (await api(server, 'POST', '/api/v1/endpoints', { url: receiver.url, name: 'My users service', event_filter: ['user.*'] })).body.id;
    b = await launch({ colorScheme: 'light' });
    page = b.page;
    step.page = page;
    // The suite's default is reduced motion; this screen is about motion.
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    await page.goto(server.link);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor(WAIT);
  });

  after(async () => {
    await api(server, 'DELETE', '/api/v1/demo').catch(() => {});
    await closeAll(b, receiver, server);
  });

  step('before the start, the flow view draws the enabled endpoints', async () => {
    await nav(page, 'Demo').click();
    await page.getByRole('heading', { name: 'Demo', exact: true }).waitFor(WAIT);
    await page.locator('[data-demo-state="Not started"]').waitFor(WAIT);
    await page.locator('[data-receiver="My users service"]').waitFor(WAIT);
    assert.equal(await page.locator('[data-warp]').count(), 0, 'no time warp yet');
    await shot(page, 'demo-before');
  });

  step('starts the demo: four receivers, the time warp badge, and dots that travel and land', async () => {
    await page.getByRole('button', { name: 'Start demo' }).click();
    await page.locator('[data-demo-state="Running"]').waitFor(WAIT);
    await page.getByText('Time warp ×3,600').waitFor(WAIT);
    for (const name of ['Demo · healthy', 'Demo · slow', 'Demo · flaky', 'Demo · down']) {
      await page.locator(`[data-receiver="${name}"]`).waitFor(WAIT);
    }
    assert.equal(await page.locator('[data-receiver="My users service"]').count(), 0, 'only the demo endpoints are drawn');

    // Dots: new events travel in, attempts travel out with their outcome.
    await page.locator('[data-dot="in"]').first().waitFor({ state: 'attached', ...WAIT });
    await page.locator('[data-dot="out"][data-outcome="ok"]').first().waitFor({ state: 'attached', ...WAIT });
    await page.locator('[data-dot="out"][data-outcome="failed"]').first().waitFor({ state: 'attached', ...WAIT });
    // The dots are really moving: a dot's position changes between two frames.
    const moved = await page.evaluate(async () => {
      const dot = document.querySelector('[data-dot]');
      if (!dot) return 'no dot';
      const a = dot.getBoundingClientRect();
      await new Promise((r) => setTimeout(r, 120));
      const b = dot.getBoundingClientRect();
      return a.x !== b.x || a.y !== b.y;
    });
    assert.equal(moved, true, 'a dot moved');
    await shot(page, 'demo-flow-running');

    // Counts rise: the healthy receiver delivers, the down one fails and gets retries.
    await until(async () => (await count(page, 'Demo · healthy', 'ok')) >= 3, 'three deliveries to healthy');
    await until(async () => (await count(page, 'Demo · down', 'failed')) >= 3, 'three failures at down');
    await page.locator('[data-receiver="Demo · down"] [data-last="503"]').waitFor(WAIT);
    assert.equal(await count(page, 'Demo · down', 'ok'), 0);
    const sent = Number(await page.locator('[data-events-sent]').getAttribute('data-events-sent'));
    assert.ok(sent >= 1, `events sent: ${sent}`);
    // Fewer dots than the cap are ever on screen.
    assert.ok((await page.locator('[data-dot]').count()) <= 60);
    await shot(page, 'demo-flow-counts');
  });

  step('with reduced motion, outcomes blink at the receiver instead of travelling (dark theme)', async () => {
    await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
    const still = await page.evaluate(async () => {
      const deadline = Date.now() + 10_000;
      let dot = null;
      while (!dot && Date.now() < deadline) {
        dot = document.querySelector('[data-dot="out"]');
        if (!dot) await new Promise((r) => setTimeout(r, 20));
      }
      if (!dot) return 'no dot';
      const a = dot.getBoundingClientRect();
      await new Promise((r) => setTimeout(r, 120));
      const b = dot.getBoundingClientRect();
      return a.x === b.x && a.y === b.y;
    });
    assert.equal(still, true, 'a dot stays where it lands');
    await shot(page, 'demo-flow-dark-reduced');
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  });

  step('stops: no more events, the demo stays', async () => {
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('[data-demo-state="Stopped"]').waitFor(WAIT);
    const state = (await api(server, 'GET', '/api/v1/demo')).body;
    assert.equal(state.running, false);
    await page.waitForTimeout(1500);
    assert.equal((await api(server, 'GET', '/api/v1/demo')).body.events_sent, state.events_sent, 'no event after stop');
    await page.getByRole('button', { name: 'Resume demo' }).waitFor(WAIT);
  });

  step('resets: the demo endpoints are gone, the time warp too, and mine stays', async () => {
    await page.getByRole('button', { name: 'Reset demo' }).click();
    await page.getByRole('status').filter({ hasText: /Removed 4 catchers, 4 endpoints and [\d,]+ events/ }).waitFor(WAIT);
    await page.locator('[data-demo-state="Not started"]').waitFor(WAIT);
    await until(async () => (await page.locator('[data-warp]').count()) === 0, 'the time warp badge to go');
    await page.locator('[data-receiver="My users service"]').waitFor(WAIT);
    await shot(page, 'demo-after-reset');

    await nav(page, 'Endpoints').click();
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor(WAIT);
    await page.getByText('My users service').first().waitFor(WAIT);
    assert.equal(await page.getByText(/Demo · /).count(), 0, 'no demo endpoint is listed');
    const endpoints = (await api(server, 'GET', '/api/v1/endpoints')).body.data;
    assert.deepEqual(endpoints.map((e) => e.id), [mine]);
    assert.deepEqual((await api(server, 'GET', '/api/v1/catchers')).body.data, []);
  });
});
