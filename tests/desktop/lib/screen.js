// Screenshots from the X display (Xvfb): WebKitWebDriver's own screenshot command
// does not answer for WebKitGTK windows here, and the display shows native dialogs too.
import { execFileSync } from 'node:child_process';

/** X windows whose title is `title`, largest first: [{ id, width, height }]. */
export function windowsTitled(title) {
  const tree = execFileSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' });
  const found = [];
  for (const line of tree.split('\n')) {
    const m = line.match(/^\s*(0x[0-9a-f]+) "(.*)": \(.*\)\s+(\d+)x(\d+)[+-]/);
    if (m && m[2] === title) found.push({ id: m[1], width: Number(m[3]), height: Number(m[4]) });
  }
  return found.sort((a, b) => b.width * b.height - a.width * a.height);
}

/** Saves the largest window titled `title` (or the whole screen when `title` is null) as a PNG. */
export function capture(file, title = null) {
  const target = title === null ? 'root' : windowsTitled(title)[0]?.id;
  if (!target) throw new Error(`no window titled ${JSON.stringify(title)} to capture`);
  execFileSync('import', ['-window', target, file]);
}
