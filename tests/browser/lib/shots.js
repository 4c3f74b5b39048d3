// Screenshots go to tests/artifacts/screenshots (git-ignored); the ones the
// README shows are copied to docs/screenshots.
import { copyFileSync, mkdirSync } from 'node:fs';
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
