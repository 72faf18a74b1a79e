"""Reading what a target answered: the one defensive layer between a response and a test's logic.

A test never indexes a body it has not checked. Each function here returns the value a test
asks for, of the JSON type it needs, or raises :class:`MalformedResponse` ("Received /
Documented"): a malformed answer is the target's failure, never a Python exception of the
suite's own.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..findings import MalformedResponse

JSON_TYPES: dict[type, str] = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "an integer", float: "a number"}


def _line(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {request.url.raw_path.decode(errors='replace')}"


def _shown(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in JSON_TYPES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON's true is not a number
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, kinds)


def body(response: httpx.Response, kind: type | tuple[type, ...] = dict, *, documented: str = "a JSON body") -> Any:
    """The JSON body, of the JSON type ``kind``."""
    try:
        value = json.loads(response.content or b"")
    except ValueError:
        raise MalformedResponse(
            f"{_line(response)} answered {response.status_code} with a body that is not JSON",
            f"{response.headers.get('content-type', 'no content type')}: {_shown(response.text)}",
            documented,
        ) from None
    if not _is(value, kind):
        raise MalformedResponse(f"{_line(response)}: the body is {_type_name(value)}", _shown(value), documented)
    return value


def member(container: Any, key: str | int, kind: type | tuple[type, ...], *, where: str, documented: str, optional: bool = False) -> Any:
    """``container[key]`` of the JSON type ``kind`` (``None`` for an absent optional member)."""
    present = (isinstance(container, dict) and key in container) or (isinstance(container, list) and isinstance(key, int) and -len(container) <= key < len(container))
    if not present:
        if optional:
            return None
        raise MalformedResponse(f"{where} has no {key!r}", _shown(container), documented)
    value = container[key]
    if not _is(value, kind):
        raise MalformedResponse(f"{where}.{key} is {_type_name(value)}", _shown(value), documented)
    return value


def item(response: httpx.Response, *, documented: str, key: str = "item") -> dict[str, Any]:
    """The ``item`` object of a Fleet-style answer ``{"item": {...}}``."""
    return member(body(response, dict, documented=documented), key, dict, where=_line(response), documented=documented)


def instant(value: Any, *, where: str, documented: str) -> datetime:
    """An ISO-8601 timestamp. One that names no zone is read as UTC (Kibana writes UTC); one that is not a timestamp is malformed."""
    if not isinstance(value, str):
        raise MalformedResponse(f"{where} is {_type_name(value)}, not a timestamp", _shown(value), documented)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise MalformedResponse(f"{where} is not an ISO-8601 timestamp", _shown(value), documented) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def maybe_instant(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as an aware datetime (UTC when it names no zone), None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


IMF_DATE = re.compile(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC|[+-]\d{4})")


def server_time(response: httpx.Response) -> datetime:
    """The target's clock from its Date header: any RFC 9110 form (obsolete ones included), the first of
    several (a proxy may add its own or join them with a comma); this machine's clock when there is none."""
    for value in response.headers.get_list("date"):
        for candidate in [value.strip(), *IMF_DATE.findall(value)]:
            try:
                moment = parsedate_to_datetime(candidate)
            except (TypeError, ValueError, IndexError):
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def objects(values: Any, *, where: str, documented: str) -> list[dict[str, Any]]:
    """A JSON array whose every element is an object."""
    if not isinstance(values, list):
        raise MalformedResponse(f"{where} is {_type_name(values)}, not an array", _shown(values), documented)
    odd = [i for i, value in enumerate(values) if not isinstance(value, dict)]
    if odd:
        raise MalformedResponse(f"{where}[{odd[0]}] is {_type_name(values[odd[0]])}, not an object", _shown(values[odd[0]]), documented)
    return values


def listed(response: httpx.Response, key: str, *, documented: str) -> list[dict[str, Any]]:
    """The array of objects under ``key`` in an object body (``items``, ``engines``...)."""
    where = _line(response)
    return objects(member(body(response, dict, documented=documented), key, list, where=where, documented=documented), where=f"{where} {key}", documented=documented)
