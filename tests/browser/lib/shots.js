// Screenshots go to tests/artifacts/screenshots (git-ignored); the ones the
// README shows are copied to docs/screenshots.
import { copyFileSync, mkdirSync } from 'node:fs';
import { it } from 'node:test';
import path from 'node:path';
import { repoDir } from './hooky.js';

export const shotsDir = path.join(repoDir, 'tests', 'artifacts', 'screenshots');
const docsDir = path.join(repoDir, 'docs', 'screenshots');

/** Saves a full-window screenshot as `<name>.png` and returns its path. */
export async function shot(page, name) {
  mkdirSync(shotsDir, { recursive: true });
  const file = path.join(shotsDir, `${name}.png`);
  // Let fonts, layout and CSS transitions settle.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(150);
  await page.screenshot({ path: file });
  return file;
}

/** Copies a saved screenshot into docs/screenshots under `docName`. */
export function publish(file, docName) {
  if (process.env.HOOKY_SKIP_DOCS_SCREENSHOTS) return;
  mkdirSync(docsDir, { recursive: true });
  copyFileSync(file, path.join(docsDir, docName));
}

/**
 * An ordered test step that leaves `FAILED-<prefix>-<name>.png` behind when it fails.
 * Set `step.page` once the page exists.
 * @param {string} prefix
 */
export function stepper(prefix) {
  /** @type {((name: string, fn: () => Promise<void>) => void) & { page: import('playwright-core').Page | null }} */
  const step = Object.assign(
    (name, fn) =>
      it(name, async () => {
        try {
          await fn();
        } catch (err) {
          const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50);
          if (step.page) await shot(step.page, `FAILED-${prefix}-${slug}`).catch(() => {});
          throw err;
        }
      }),
    { page: null },
  );
  return step;
}
