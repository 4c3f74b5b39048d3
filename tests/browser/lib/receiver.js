// A scripted webhook receiver on 127.0.0.1: answers each request with the
// current status (e.g. 500 until the test flips it to 200) and records it.
import http from 'node:http';

export async function startReceiver({ status = 200, delayMs = 0 } = {}) {
  const state = { status, delayMs, requests: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      state.requests.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
      const answer = () => {
        const code = state.status;
        res.writeHead(code, { 'content-type': 'application/json', 'x-receiver': 'hooky-browser-suite' });
        res.end(JSON.stringify(code < 400 ? { received: true } : { error: 'scripted failure', status: code }));
      };
      if (state.delayMs) setTimeout(answer, state.delayMs);
      else answer();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    /** Answer with this status from now on. */
    setStatus(code) {
      state.status = code;
    },
    setDelay(ms) {
      state.delayMs = ms;
    },
    get requests() {
      return state.requests;
    },
    async stop() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
