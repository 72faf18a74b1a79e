"""Helpers the security scenario tests share: timestamps, the target's clock, the configured user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

CLOCK_SKEW = timedelta(minutes=5)


def instant(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as an aware datetime (UTC when it names no offset), None when it is not one."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def server_now(response: httpx.Response) -> datetime:
    """The target's clock (its Date header), so that a skewed local clock does not matter."""
    try:
        return parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)


def is_now(value: Any, response: httpx.Response) -> bool:
    moment = instant(value)
    return moment is not None and abs(moment - server_now(response)) <= CLOCK_SKEW


def basic_user(kibana) -> str | None:
    """The user the suite signs in as, when it uses basic authentication (an API key names no user)."""
    settings = kibana.settings
    return None if settings.api_key else settings.username
