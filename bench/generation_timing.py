"""pytest plugin for the peer comparison: where our per-case time goes.

Loaded with ``-p generation_timing`` (bench/ on PYTHONPATH) into the property-test run of
``suite_runs._ours``. It splits the time the property tests take into sending and checking a
case (``call_and_validate``: the request, the mock's answer and every check) and the rest,
which is schemathesis' and hypothesis' case generation (the same library code the CLI runs).
The figures go as JSON to the file named by ``KCT_BENCH_GENERATION_TIMING``.

Why: the per-case ratio against the CLI cannot fall below what generation alone costs
per case, so the bench measures that floor instead of leaving it to argument.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from common import timed_into

TOTALS = {"property_tests_s": 0.0, "send_and_check_s": 0.0, "calls": 0}


def pytest_configure(config: Any) -> None:
    # Patched before the suite's test module imports run_property_test by name.
    from kibana_conformance.suite import properties

    properties.run_property_test = timed_into(properties.run_property_test, TOTALS, "property_tests_s")
    properties.call_and_validate = timed_into(properties.call_and_validate, TOTALS, "send_and_check_s", "calls")


def pytest_unconfigure(config: Any) -> None:
    target = os.environ.get("KCT_BENCH_GENERATION_TIMING")
    if target:
        figures = {**TOTALS, "generation_s": TOTALS["property_tests_s"] - TOTALS["send_and_check_s"]}
        Path(target).write_text(json.dumps(figures), encoding="utf-8")
