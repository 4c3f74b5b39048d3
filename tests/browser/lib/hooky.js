// Starts a real `hooky serve` on a free loopback port with a fresh data dir,
// and returns its base URL and token (parsed from the link it prints).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const suiteDir = path.resolve(here, '..');
export const repoDir = path.resolve(suiteDir, '../..');

export function hookyBin() {
  const bin = process.env.HOOKY_BIN
    ? path.resolve(process.env.HOOKY_BIN)
    : path.resolve(suiteDir, '../../target/debug/hooky');
  if (!existsSync(bin)) {
    throw new Error(`no hooky binary at ${bin}: run 'cargo build -p hooky-cli' at the repository root or set HOOKY_BIN`);
  }
  return bin;
}

export function uiDir() {
  const dir = process.env.HOOKY_UI_DIR ? path.resolve(process.env.HOOKY_UI_DIR) : path.join(repoDir, 'ui', 'dist');
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`no built UI at ${dir}: run 'npm run build' in ui/`);
  }
  return dir;
}

/**
 * @returns {Promise<{ baseUrl: string, token: string, link: string, dataDir: string, output: () => string, stop: () => Promise<void> }>}
 */
export async function startHooky({ timeoutMs = 20_000 } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hooky-browser-'));
  const child = spawn(
    hookyBin(),
    ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--ui-dir', uiDir()],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', NO_COLOR: '1' } },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const found = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hooky serve printed no link within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ baseUrl: m[1], token: m[2], link: m[0] });
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`hooky serve exited (${code ?? signal}) before printing its link:\n${out}`));
    });
  });

  // If the test process ends abruptly, take the server down with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopped = false;
  return {
    ...found,
    dataDir,
    output: () => out,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms, 'timeout'));
        if ((await Promise.race([exited, wait(5000)])) === 'timeout') {
          child.kill('SIGKILL');
          await Promise.race([exited, wait(2000)]);
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A management API call with the token. */
export async function api(server, method, route, body) {
  const res = await fetch(`${server.baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Fires an event at the public trigger URL (no token); returns its id. */
export async function trigger(server, eventName, payload) {
  const res = await fetch(`${server.baseUrl}/api/v1/webhook_events/trigger`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event_name: eventName, payload }),
  });
  if (res.status !== 202) throw new Error(`trigger ${eventName}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}
