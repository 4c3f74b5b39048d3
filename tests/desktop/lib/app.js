// Runs the real desktop binary: through tauri-driver (which starts WebKitWebDriver,
// which starts the app) for the window, or directly for launches without a window.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, until } from './webdriver.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const suiteDir = path.resolve(here, '..');
export const repoDir = path.resolve(suiteDir, '../..');
export const artifactsDir = path.join(repoDir, 'tests/artifacts/desktop');
mkdirSync(artifactsDir, { recursive: true });

export function desktopBin() {
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(repoDir, 'target');
  const bin = path.resolve(process.env.HOOKY_DESKTOP_BIN || path.join(targetDir, 'debug/hooky-desktop'));
  if (!existsSync(bin)) throw new Error(`no desktop binary at ${bin}: run 'cargo build -p hooky-desktop' or set HOOKY_DESKTOP_BIN`);
  return bin;
}

export function tauriDriverBin() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const cargoBin = path.join(os.homedir(), '.cargo/bin/tauri-driver');
  return existsSync(cargoBin) ? cargoBin : 'tauri-driver';
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts tauri-driver with `env` (which the app inherits); its output, and the app's, goes to `logFile`. */
export async function startDriver({ env, logFile }) {
  const [port, nativePort] = [await freePort(), await freePort()];
  const log = openSync(logFile, 'a');
  const child = spawn(tauriDriverBin(), ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/status`)).ok, 'tauri-driver to answer', { timeoutMs: 15_000 });
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Opens a WebDriver session: WebKitWebDriver launches the app and attaches to its window. */
export function launchWindow(driver) {
  return Session.create(driver.url, { 'tauri:options': { application: desktopBin() } });
}

/** Runs the app without WebDriver, e.g. as a second launch; collects its output. */
export function launchPlain(env) {
  const child = spawn(desktopBin(), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    get output() {
      return output;
    },
  };
}

/** Waits for `exited` (a promise of {code, signal}), or null after `ms`. */
export function within(exited, ms) {
  return Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
}

/** Pids of the desktop binary running on `dataDir` (matched by its exe and HOOKY_DATA_DIR). */
export function appPids(dataDir) {
  const bin = desktopBin();
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`) !== bin) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`HOOKY_DATA_DIR=${dataDir}`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How many sockets listen on `port` on this machine (IPv4 and IPv6). */
export function listeners(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') count++;
    }
  }
  return count;
}

/** GET an API route of the engine with its token. */
export async function api(baseUrl, token, route) {
  const res = await fetch(`${baseUrl}${route}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${route}: HTTP ${res.status}`);
  return res.json();
}
