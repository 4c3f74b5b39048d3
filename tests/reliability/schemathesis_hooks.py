"""Schemathesis hooks for Hooky (loaded through SCHEMATHESIS_HOOKS by schemathesis.sh).

A catcher answers as its script says, and a script may say "never answer" (`hang`) or
"wait up to ten minutes" (`delay_ms`). Generated scripts like that are valid, and Hooky
stores them; but a later generated request to that catcher's `/catch/{name}` would then
hang past the client's timeout by design, which Schemathesis reports as a network error.
So scripts sent by the fuzzer never hang and answer within a second. Everything else in
the body is sent as generated, invalid values included.
"""

import schemathesis

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
