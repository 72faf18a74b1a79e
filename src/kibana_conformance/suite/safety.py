"""Keeping a live deployment safe: no writes in read-only mode, and the gate for remote targets."""

from __future__ import annotations

import pytest

from ..transport import SAFE_METHODS


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
