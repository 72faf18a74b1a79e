"""Kibana versions: comparing them, and whether a version lies in a ``since``/``until`` range.

Shared by the requirements (``@pytest.mark.requirement(..., since=, until=)``) and the known
divergences (a schema decision's or a flavour entry's ``since``/``until``): ``since`` is the first
version the statement holds for, ``until`` the first one it no longer holds for.
"""

from __future__ import annotations

import datetime as dt
import re

VERSION = re.compile(r"^\s*(\d+(?:\.\d+)*)(?:[-+][0-9A-Za-z.-]*)?\s*$")


def version_key(text: str) -> tuple[int, ...] | None:
    """``9.1.0`` as (9, 1, 0), for comparing Kibana versions (a suffix such as ``-SNAPSHOT`` is ignored); None if it is none."""
    match = VERSION.match(str(text))
    if not match:
        return None
    parts = [int(part) for part in match.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()  # 9.1 and 9.1.0 are one version
    return tuple(parts)


def holds_for(version: str | None, since: str | None, until: str | None, what: str = "holds") -> str | None:
    """Why something that ``what`` (holds, is observed...) from ``since`` until ``until`` (exclusive)
    does not apply to ``version``, or None when it does or the version is unknown."""
    current = version_key(version) if version else None
    if current is None:
        return None
    if since and (key := version_key(since)) is not None and current < key:
        return f"{what} since Kibana {since}; the target is {version} (--kibana-version overrides what /api/status says)"
    if until and (key := version_key(until)) is not None and current >= key:
        return f"{what} until Kibana {until} (exclusive); the target is {version} (--kibana-version overrides what /api/status says)"
    return None


def not_accepted(version: str | None, since: str | None, until: str | None, expires: dt.date | None, today: dt.date) -> str | None:
    """Why a known divergence (observed from ``since`` until ``until``, to be reviewed by ``expires``) is not
    accepted for a target of ``version`` on ``today``, or None when it is: expired (after its day), or
    observed in other versions than the target's. An unknown version is in every range."""
    if expires is not None and expires < today:
        return f"expired on {expires.isoformat()} (to review: renew its expires or drop it)"
    return holds_for(version, since, until, "observed")
