"""pytest plugin for the exchanges.har cost: the time the run spends recording, measured where it is spent.

Loaded into every process of a ``kibana-conformance run`` (main and xdist workers) with
``PYTEST_ADDOPTS="-p har_timing"`` and bench/ on PYTHONPATH. It times each exchange's recording
(:meth:`HarSpool.observe`, on the test's own thread) and the writing of exchanges.har at the end
(``Lifecycle._write_har``); each process appends its totals as a JSON line to the file named by
``KCT_BENCH_HAR_TIMING``.

Why: a full run with and without the HAR differs by ±15% from one run to the next on this shared
machine, so an A/B of whole runs cannot resolve a 5% cost; the time spent recording can be measured
directly, as a share of the same run's CPU time.
"""

from __future__ import annotations

import json
import os
import resource
from typing import Any

from common import timed_into

TOTALS = {"observe_s": 0.0, "observed": 0, "write_s": 0.0}


def _patch() -> None:
    from kibana_conformance import har, lifecycle

    har.HarSpool.observe = timed_into(har.HarSpool.observe, TOTALS, "observe_s", "observed")
    lifecycle.Lifecycle._write_har = timed_into(lifecycle.Lifecycle._write_har, TOTALS, "write_s")


# At import (``-p`` loads the plugin while the arguments are read): the suite's plugin hands ``spool.observe``
# to the transport in its own pytest_configure, and a bound method taken then would miss a later patch.
_patch()


def pytest_unconfigure(config: Any) -> None:
    target = os.environ.get("KCT_BENCH_HAR_TIMING")
    if target:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        line = {**TOTALS, "pid": os.getpid(), "process_cpu_s": usage.ru_utime + usage.ru_stime}
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")
