"""Assertions for scenario tests, failing with a short title and "Received / Documented" lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx
import pytest

from ..catalog import Operation
from ..contract import DivergencePolicy, envelope_problems, response_problems
from ..findings import ConformanceFailure, MalformedResponse
from .observed import judge_response

__all__ = [
    "ConformanceFailure",
    "MalformedResponse",
    "body_of",
    "describe",
    "expect",
    "expect_conforms",
    "expect_envelope",
    "expect_status",
    "expect_success",
    "forbidden_reason",
    "known_divergence",
    "shows_kibana_behaviour",
    "skip_if_forbidden",
]


def _shorten(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def describe(response: httpx.Response) -> str:
    """``METHOD /path`` for a response, without host or credentials."""
    request = response.request
    return f"{request.method} {request.url.raw_path.decode(errors='replace')}"


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def expect(condition: bool, summary: str, *, received: Any, documented: str) -> None:
    if not condition:
        raise ConformanceFailure(summary, _shorten(received), documented)


PERMISSION_PREFIX = "permissions:"


def forbidden_reason(request_line: str, body: Any) -> str:
    """Why a test is skipped after a 403: a permissions problem, with the target's own message."""
    message = body.get("message", "") if isinstance(body, dict) else ""
    return f"{PERMISSION_PREFIX} {request_line} answered 403; the credentials lack a privilege ({_shorten(str(message), 160)})"


def skip_if_forbidden(response: httpx.Response, allowed: Iterable[int] = ()) -> None:
    """A 403 to a valid request means the credentials lack a privilege: a permissions problem, not non-conformance."""
    if response.status_code == 403 and 403 not in set(allowed):
        pytest.skip(forbidden_reason(describe(response), body_of(response)))


def expect_status(response: httpx.Response, expected: int | Iterable[int], documented: str, *, with_run_credentials: bool = True) -> None:
    """``with_run_credentials=False`` for a request sent without the run's credentials: a 403 to it is a wrong answer, not a missing privilege."""
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if with_run_credentials:
        skip_if_forbidden(response, allowed)
    if response.status_code not in allowed:
        wanted = " or ".join(str(s) for s in sorted(allowed))
        raise ConformanceFailure(
            f"{describe(response)} answered {response.status_code}, expected {wanted}",
            f"{response.status_code} {_shorten(body_of(response))}",
            documented,
        )


def expect_success(response: httpx.Response, documented: str) -> None:
    skip_if_forbidden(response)
    if not 200 <= response.status_code < 300:
        raise ConformanceFailure(
            f"{describe(response)} was refused ({response.status_code}), expected success",
            f"{response.status_code} {_shorten(body_of(response))}",
            documented,
        )


def expect_conforms(op: Operation, response: httpx.Response) -> None:
    """The response matches what the document or Kibana states for its status.

    A response that breaks the document but shows Kibana's recorded behaviour is noted as a
    known divergence (it reaches the report through the run's observations), not failed.
    """
    verdict = judge_response(op, response.status_code, response.headers.get("content-type"), response.content, response.extensions.get("kct_divergences"))
    if verdict.problems:
        raise ConformanceFailure(
            f"{describe(response)} answered {response.status_code} with a response the schema does not allow",
            "; ".join(verdict.problems),
            f"the {op.id} schema for status {response.status_code}",
        )


def shows_kibana_behaviour(op: Operation, response: httpx.Response) -> bool:
    """Whether the response matches Kibana's recorded behaviour (the schema with its ``x-divergence`` shapes)."""
    return op.has_divergence and not response_problems(op, response.status_code, response.headers.get("content-type"), response.content, purpose="kibana")


def known_divergence(op: Operation, decision_id: str, seen: Any) -> None:
    """The target shows Kibana's own behaviour where the document says otherwise, as the schema's decision
    ``decision_id`` records (with its evidence): noted for the report (the test ends *divergent*), not failed,
    as long as the run accepts the divergence (the target's version is in its range, it has not expired);
    otherwise the behaviour is judged strictly: failed, saying why the divergence is not accepted.
    ``seen`` is the response that showed it, or the target."""
    divergence = op.known_divergence(decision_id)
    notes = seen.extensions.get("kct_divergences") if isinstance(seen, httpx.Response) else getattr(seen, "divergences", None)
    refusal = (notes.policy if notes is not None else DivergencePolicy()).refusal(divergence)
    if refusal:
        raise ConformanceFailure(
            f"{op.id} shows Kibana's known divergence {decision_id}, which is not accepted: {refusal}",
            f"Kibana's recorded behaviour: {divergence.summary}",
            op.decision(decision_id)["subject"],
        )
    if notes is not None:
        notes.note(divergence)


def expect_envelope(op: Operation, response: httpx.Response, status: int, message: str | None = None, *, with_run_credentials: bool = True) -> None:
    """The response is ``status`` with Kibana's envelope (and, if given, exactly this message)."""
    expect_status(response, status, f"{status} with Kibana's error envelope", with_run_credentials=with_run_credentials)
    body = body_of(response)
    problems = envelope_problems(op, status, body)
    if message is not None and isinstance(body, dict) and body.get("message") != message:
        problems.append(f"message is {body.get('message')!r}")
    if problems:
        documented = f"message {message!r}" if message is not None else "Kibana's {statusCode, error, message} envelope"
        raise ConformanceFailure(f"{describe(response)}: the {status} body is not the documented error", "; ".join(problems), documented)
