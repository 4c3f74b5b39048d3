"""Seeds a running Hooky with one of each resource and writes a schemathesis.toml that sends
their ids to the operations with an id in their path.

Without it, generated ids never name anything, so those operations answer 404 to every case
and their bodies and logic are never reached. Operations that delete get resources of their
own, so the others keep theirs. Events can still go (clearing the log, retention), so the
hooks swap the seeded event and delivery ids for live ones (see schemathesis_hooks.py).
Usage: schemathesis_seed.py BASE_URL TOKEN OUT.toml
"""

import json
import sys
import time
import urllib.request


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None


def main():
    base, token, out = sys.argv[1], sys.argv[2], sys.argv[3]

    def api(method, path, body=None):
        return call(base, token, method, path, body)

    kept = api("POST", "/api/v1/catchers", {"name": "seed-kept"})
    doomed = api("POST", "/api/v1/catchers", {"name": "seed-doomed"})
    # Deliveries go to the kept catcher, on this same server: they succeed, and are caught.
    endpoint = api("POST", "/api/v1/endpoints", {"url": f"{base}/catch/seed-kept", "event_filter": ["seed.*"]})
    doomed_endpoint = api("POST", "/api/v1/endpoints", {"url": f"{base}/catch/seed-doomed", "event_filter": ["none"]})
    event = api("POST", "/api/v1/webhook_events/trigger", {"event_name": "seed.created", "payload": {"n": 1}})
    delivery_id = event["deliveries"][0]["id"]
    caught = []
    for _ in range(100):
        caught = api("GET", f"/api/v1/catchers/{kept['id']}/requests")["data"]
        if caught:
            break
        time.sleep(0.05)
    if not caught:
        sys.exit("the seeded delivery never reached its catcher")
    job = api("POST", "/api/v1/deliveries/retry-failed", {"since": "2000-01-01T00:00:00Z"})["job"]

    # (path, methods, {parameter: value})
    bindings = [
        ("/api/v1/endpoints/{id}", ["GET", "PATCH"], {"path.id": endpoint["id"]}),
        ("/api/v1/endpoints/{id}", ["DELETE"], {"path.id": doomed_endpoint["id"]}),
        ("/api/v1/endpoints/{id}/secret", ["GET"], {"path.id": endpoint["id"]}),
        ("/api/v1/endpoints/{id}/secret/rotate", ["POST"], {"path.id": endpoint["id"]}),
        ("/api/v1/endpoints/{id}/recover", ["POST"], {"path.id": endpoint["id"]}),
        ("/api/v1/events/{id}", ["GET"], {"path.id": event["id"]}),
        ("/api/v1/events/{id}/resend", ["POST"], {"path.id": event["id"]}),
        ("/api/v1/deliveries/{id}/retry", ["POST"], {"path.id": delivery_id}),
        ("/api/v1/deliveries/{id}/cancel", ["POST"], {"path.id": delivery_id}),
        ("/api/v1/deliveries/{id}/curl", ["GET"], {"path.id": delivery_id}),
        ("/api/v1/catchers/{id}", ["GET", "PATCH"], {"path.id": kept["id"]}),
        ("/api/v1/catchers/{id}", ["DELETE"], {"path.id": doomed["id"]}),
        ("/api/v1/catchers/{id}/requests", ["GET", "DELETE"], {"path.id": kept["id"]}),
        (
            "/api/v1/catchers/{id}/requests/{request_id}",
            ["GET"],
            {"path.id": kept["id"], "path.request_id": caught[0]["id"]},
        ),
    ]
    if job:
        bindings.append(("/api/v1/jobs/{id}", ["GET"], {"path.id": job["id"]}))
        bindings.append(("/api/v1/jobs/{id}/cancel", ["POST"], {"path.id": job["id"]}))

    lines = []
    for path, methods, parameters in bindings:
        # One filter per block: Schemathesis applies a block when any of its filters matches.
        lines.append("[[operations]]")
        lines.append(f"include-name = {json.dumps([f'{method} {path}' for method in methods])}")
        pairs = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in parameters.items())
        lines.append(f"parameters = {{ {pairs} }}")
        lines.append("")
    with open(out, "w", encoding="utf-8") as file:
        file.write("\n".join(lines))
    # The hooks read which ids to swap for live ones.
    with open(out + ".ids", "w", encoding="utf-8") as file:
        file.write(f"{event['id']} {delivery_id}")
    print(f"==> seeded ids for {len(bindings)} operations")


if __name__ == "__main__":
    main()
