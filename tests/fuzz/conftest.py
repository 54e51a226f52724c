"""Hypothesis profiles for the fuzz tests: a small, derandomized budget in the default run (the
same examples every run, so CI is deterministic) and a larger random one nightly
(``HYPOTHESIS_PROFILE=nightly``, set by ``make nightly``; hypothesis prints the seed of a failing
example). No example database is written into the checkout."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "database": None,
    "deadline": 2000,  # ms per example: a parser that hangs fails, it does not stall the run
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
settings.register_profile("default", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile("nightly", max_examples=1500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
