"""Schemathesis hooks for Hooky (loaded through SCHEMATHESIS_HOOKS by schemathesis.sh).

A catcher answers as its script says, and a script may say "never answer" (`hang`) or
"wait up to ten minutes" (`delay_ms`). Generated scripts like that are valid, and Hooky
stores them; but a later generated request to that catcher's `/catch/{name}` would then
hang past the client's timeout by design, which Schemathesis reports as a network error.
So scripts sent by the fuzzer never hang and answer within a second. Everything else in
the body is sent as generated, invalid values included.

Operations on one event or delivery get the seeded ids (schemathesis_seed.py). Clearing the
event log or a generated retention limit may delete that event during the run, so those ids
are swapped for an event that exists at the time of the call (one is triggered if none does).
"""

import os
import sys

import schemathesis

# Schemathesis loads this file by path; its sibling, the seed script, holds the API call.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schemathesis_seed import call  # noqa: E402

MAX_FUZZED_DELAY_MS = 1000


def _bounded(value):
    """Walks a generated JSON body and bounds every response script found in it."""
    if isinstance(value, dict):
        if value.get("hang") is True:
            value["hang"] = False
        delay = value.get("delay_ms")
        if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay > MAX_FUZZED_DELAY_MS:
            value["delay_ms"] = MAX_FUZZED_DELAY_MS
        for child in value.values():
            _bounded(child)
    elif isinstance(value, list):
        for child in value:
            _bounded(child)


@schemathesis.hook
def before_call(context, case, kwargs):
    _bounded(case.body)


EVENT_PATHS = ("/api/v1/events/{id}", "/api/v1/events/{id}/resend")
DELIVERY_PATHS = ("/api/v1/deliveries/{id}/retry", "/api/v1/deliveries/{id}/cancel", "/api/v1/deliveries/{id}/curl")


def _api(method, path, body=None):
    return call(os.environ["HOOKY_SEED_BASE"], os.environ["HOOKY_SEED_TOKEN"], method, path, body)


def _live_event():
    """An event with a delivery, as (event id, delivery id); None if none can be had."""
    try:
        for event in _api("GET", "/api/v1/events?limit=50")["data"]:
            if event["deliveries"]:
                return event["id"], event["deliveries"][0]["id"]
        fired = _api("POST", "/api/v1/webhook_events/trigger", {"event_name": "seed.created", "payload": {}})
        if fired["deliveries"]:
            return fired["id"], fired["deliveries"][0]["id"]
    except (OSError, ValueError, KeyError):
        pass
    return None


@schemathesis.hook("before_call")
def live_ids(context, case, kwargs):
    path = case.operation.path
    if path not in EVENT_PATHS + DELIVERY_PATHS or "HOOKY_SEED_BASE" not in os.environ:
        return
    seeded = os.environ.get("HOOKY_SEED_IDS", "").split()
    if (case.path_parameters or {}).get("id") not in seeded:
        return
    live = _live_event()
    if live:
        case.path_parameters["id"] = live[0] if path in EVENT_PATHS else live[1]
