"""Helpers the security scenario tests share: timestamps, the target's clock, the configured user."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from kibana_conformance.suite.read import maybe_instant, server_time

CLOCK_SKEW = timedelta(minutes=5)


def instant(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as an aware datetime (UTC when it names no zone), None when it is not one."""
    return maybe_instant(value)


def server_now(response: httpx.Response) -> datetime:
    """The target's clock (its Date header, in any form RFC 9110 allows), so that a skewed local clock does not matter."""
    return server_time(response)


def is_now(value: Any, response: httpx.Response) -> bool:
    moment = instant(value)
    return moment is not None and abs(moment - server_now(response)) <= CLOCK_SKEW


def basic_user(kibana) -> str | None:
    """The user the suite signs in as, when it uses basic authentication (an API key names no user)."""
    settings = kibana.settings
    return None if settings.api_key else settings.username
