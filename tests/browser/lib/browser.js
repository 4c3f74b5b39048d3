// Headless Debian Chromium through playwright-core (no browser download).
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('no Chromium found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  return found;
}

/**
 * @param {{ colorScheme?: 'light' | 'dark', width?: number, height?: number }} [options]
 */
export async function launch({ colorScheme = 'light', width = 1440, height = 900 } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'hooky-chromium-'));
  // A persistent context on a fresh profile dir is how Playwright takes --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width, height },
    deviceScaleFactor: 1,
    colorScheme,
    reducedMotion: 'reduce',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    // API answers like 401/404/422 are part of the flows under test; the browser logs each as a failed resource.
    if (msg.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) {
      problems.push(`console.error: ${msg.text()}`);
    }
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Ends a suite: closes the browser, stops each service (receivers, the server) in the order
 * given, and prints what the page reported as problems.
 * @param {{ close: () => Promise<void>, problems: string[] } | undefined} b
 * @param {...({ stop: () => Promise<void> } | undefined)} services
 */
export async function closeAll(b, ...services) {
  await b?.close();
  for (const service of services) await service?.stop();
  if (b?.problems.length) console.log(`browser problems:\n${b.problems.join('\n')}`);
}
