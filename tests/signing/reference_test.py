"""Deliveries from a real `hooky serve` checked by the reference `standardwebhooks` verifier.

Covers the webhook-* and svix-* header styles, a chosen and a generated secret, and
rotation (both secrets verify during the grace period, only the new one after it).
"""

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

HOOKY = os.environ.get("HOOKY_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/hooky"))
TOKEN = "signing-suite-token"
received = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def api(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("authorization", f"Bearer {TOKEN}")
    if data is not None:
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


def wait_for(count):
    deadline = time.time() + 15
    while len(received) < count:
        if time.time() > deadline:
            raise AssertionError(f"expected {count} deliveries, got {len(received)}")
        time.sleep(0.02)
    return received[count - 1]


def verifies(secret, headers, body):
    normalised = dict(headers)
    for name in ("id", "timestamp", "signature"):  # the library reads webhook-* names
        if f"svix-{name}" in headers:
            normalised[f"webhook-{name}"] = headers[f"svix-{name}"]
    try:
        Webhook(secret).verify(body, normalised)
        return True
    except WebhookVerificationError:
        return False


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{server.server_address[1]}"
    data_dir = tempfile.mkdtemp(prefix="hooky-signing-")
    hooky = subprocess.Popen(
        [HOOKY, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        env={**os.environ, "HOOKY_TOKEN": TOKEN, "HOOKY_LOG": "warn"},
        stdout=subprocess.PIPE,
        text=True,
    )
    passed, failed = 0, 0

    def check(name, condition):
        nonlocal passed, failed
        print(("ok    " if condition else "FAIL  ") + name)
        passed, failed = passed + bool(condition), failed + (not condition)

    try:
        base = hooky.stdout.readline().split()[-1]
        chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        plain = api(base, "POST", "/api/v1/endpoints", {"url": receiver + "/plain", "event_filter": ["plain.*"]})
        svix = api(base, "POST", "/api/v1/endpoints",
                   {"url": receiver + "/svix", "event_filter": ["svix.*"], "secret": chosen, "header_style": "svix"})
        generated = api(base, "GET", f"/api/v1/endpoints/{plain['id']}/secret")["key"]

        trigger = {"event_name": "plain.created", "payload": {"amount": 1299, "note": "caf\u00e9 \u2603"}}
        api(base, "POST", "/api/v1/webhook_events/trigger", trigger)
        _, headers, body = wait_for(1)
        check("a generated secret verifies with the reference library", verifies(generated, headers, body))
        check("a different secret does not", not verifies(chosen, headers, body))
        check("a modified body does not", not verifies(generated, headers, body + b" "))

        api(base, "POST", "/api/v1/webhook_events/trigger", {"event_name": "svix.created", "payload": [1, 2]})
        path, headers, body = wait_for(2)
        check("svix-* headers carry the signature", path == "/svix" and "svix-signature" in headers)
        check("a chosen secret verifies with the reference library", verifies(chosen, headers, body))

        rotated = api(base, "POST", f"/api/v1/endpoints/{plain['id']}/secret/rotate")["key"]
        api(base, "POST", "/api/v1/webhook_events/trigger", trigger)
        _, headers, body = wait_for(3)
        check("during the grace period the old secret verifies", verifies(generated, headers, body))
        check("during the grace period the new secret verifies", verifies(rotated, headers, body))

        final = api(base, "POST", f"/api/v1/endpoints/{plain['id']}/secret/rotate", {"grace_period_s": 0})["key"]
        api(base, "POST", "/api/v1/webhook_events/trigger", trigger)
        _, headers, body = wait_for(4)
        check("after an immediate rotation the new secret verifies", verifies(final, headers, body))
        check("after an immediate rotation the old secret does not", not verifies(rotated, headers, body))
    finally:
        hooky.terminate()
        hooky.wait(timeout=10)
        server.shutdown()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
