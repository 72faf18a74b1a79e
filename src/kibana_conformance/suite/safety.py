"""Keeping a live deployment safe: no writes in read-only mode, and a bounded request rate."""

from __future__ import annotations

import threading
import time

import pytest

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RateLimiter:
    """At most ``rate`` requests per second, evenly spaced, shared by the threads of one process."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def read_only_guard(method: str) -> None:
    """A last line of defence: a test that would write in read-only mode is skipped, not sent."""
    if method.upper() not in SAFE_METHODS:
        pytest.skip(f"--read-only: this test sends {method.upper()} requests")


def writes_refused_message(url: str) -> str:
    return (
        f"{url} is not on this machine and the suite writes to it (creates pipelines, conversations and API keys, "
        "updates settings and policies): pass --allow-writes (or KIBANA_CONFORMANCE_ALLOW_WRITES=1) to accept that, "
        "or --read-only to send only GET requests"
    )
