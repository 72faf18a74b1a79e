"""What the schemas say about one response: the documented statuses and bodies.

Shared by the mock's own tests and the suite's checks, so both read the contract the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from .catalog import KnownDivergence, Operation
from .openapi import PLATFORM_ERROR_SCHEMAS

JSON_MEDIA_TYPES = ("application/json",)

# The "error" member of Kibana's envelope is hapi/Boom's reason phrase for the status
# (fixed here: Python's own table renames some of them across versions).
BOOM_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Time-out",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_media_type(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind in JSON_MEDIA_TYPES or kind.endswith("+json")


def documented_status(op: Operation, status: int) -> bool:
    """Listed for the operation, or a 4xx, which Kibana's platform may answer on any route."""
    return str(status) in op.responses or 400 <= status < 500


def _platform_validator(op: Operation) -> Draft202012Validator:
    return Draft202012Validator(PLATFORM_ERROR_SCHEMAS[op.error_dialect])


def body_validator(op: Operation, status: int, purpose: str = "document", divergences: frozenset[str] | None = None) -> Draft202012Validator | None:
    """The schema a body with this status must match (the documented one, else the platform envelope)."""
    if str(status) in op.responses:
        return op.response_validator(status, purpose=purpose, divergences=divergences)
    if 400 <= status < 500:
        return _platform_validator(op)
    return None


def schema_problems(validator: Draft202012Validator, body: Any, limit: int = 5) -> list[str]:
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))[:limit]:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{pointer}: {error.message}")
    return problems


def response_problems(
    op: Operation, status: int, content_type: str | None, content: bytes, purpose: str = "document", divergences: frozenset[str] | None = None
) -> list[str]:
    """Everything in a response that the schemas (as transformed for ``purpose``) do not allow; empty when it conforms.

    ``document`` holds a response to the file as written (the mock's own answers); ``response``
    to what the document or Kibana states; ``kibana`` to that with Kibana's recorded divergences
    (those of the decisions in ``divergences``; None: all).
    """
    if not documented_status(op, status):
        return [f"status {status} is not documented for {op.label} (documented: {', '.join(op.responses)})"]
    documented = op.responses.get(str(status), {})
    if str(status) in op.responses and "content" not in documented:
        return [f"status {status} is documented without a body, got {len(content)} bytes"] if content else []
    if not is_json_media_type(content_type):
        return [f"content type {content_type!r} is not JSON"]
    try:
        body = json.loads(content)
    except ValueError:
        return ["body is not valid JSON"]
    validator = body_validator(op, status, purpose, divergences)
    return schema_problems(validator, body) if validator else []


@dataclass(frozen=True)
class DivergencePolicy:
    """Which known divergences a run accepts: those observed in the target's Kibana version (unknown:
    every version) that have not expired on ``today`` (None: the current date)."""

    kibana_version: str | None = None
    today: dt.date | None = None

    def refusal(self, divergence: KnownDivergence) -> str | None:
        """Why ``divergence`` is not accepted (None: it is)."""
        return divergence.refusal(self.kibana_version, self.today or dt.date.today())


@dataclass(frozen=True)
class ResponseVerdict:
    """What a response breaks of what is stated, and the known divergences it shows instead (if any)."""

    problems: list[str]
    divergences: list[KnownDivergence]


def check_response(op: Operation, status: int, content_type: str | None, content: bytes, policy: DivergencePolicy | None = None) -> ResponseVerdict:
    """A response against what the document or Kibana states: a response that breaks the document
    but shows Kibana's recorded behaviour is a known divergence, not a problem, as long as ``policy``
    accepts it (in the target's version range, not expired); one it does not accept is judged strictly
    and the problems say which divergence it shows and why it is not accepted."""
    problems = response_problems(op, status, content_type, content, purpose="response")
    if not problems or not op.has_divergence:
        return ResponseVerdict(problems, [])
    policy = policy or DivergencePolicy()
    refused = {d.decision: reason for d in op.known_divergences if (reason := policy.refusal(d))}
    accepted = [d for d in op.known_divergences if d.decision not in refused]

    def shows(decisions: list[KnownDivergence] | None) -> bool:
        chosen = None if decisions is None else frozenset(d.decision for d in decisions)
        return not response_problems(op, status, content_type, content, purpose="kibana", divergences=chosen)

    if accepted and shows(accepted):
        alone = [d for d in accepted if shows([d])]  # the divergences the answer shows, where one alone explains it
        return ResponseVerdict([], alone or accepted)
    if refused and shows(None):
        named = [d for d in op.known_divergences if d.decision in refused and shows([*accepted, d])] or [d for d in op.known_divergences if d.decision in refused]
        notes = [f"it shows Kibana's known divergence {d.decision} of {op.id}, which is not accepted: {refused[d.decision]}" for d in named]
        return ResponseVerdict(problems + notes, [])
    return ResponseVerdict(problems, [])


def envelope_problems(op: Operation, status: int, body: Any) -> list[str]:
    """How an error body departs from the envelope Kibana answers with for this operation's area.

    Kibana's platform and most plugins answer ``{statusCode, error, message}`` (``error`` is the
    reason phrase, Fleet may add ``errorType``); Security Solution routes may answer
    ``{message, status_code}`` instead, whose message may be a list of messages.
    """
    if not isinstance(body, dict):
        return [f"the error body is {type(body).__name__}, not a JSON object"]
    problems = []
    siem_shape = op.error_dialect == "security-solution" and "status_code" in body and "statusCode" not in body
    if siem_shape:
        if body.get("status_code") != status:
            problems.append(f"status_code is {body.get('status_code')!r}, the response status is {status}")
    else:
        if body.get("statusCode") != status:
            problems.append(f"statusCode is {body.get('statusCode', '(missing)')!r}, the response status is {status}")
        phrase = BOOM_PHRASES.get(status)
        if phrase and body.get("error") != phrase:
            problems.append(f"error is {body.get('error', '(missing)')!r}, Kibana's phrase for {status} is {phrase!r}")
        if op.error_dialect == "fleet" and "errorType" in body and not isinstance(body["errorType"], str):
            problems.append(f"errorType is {body['errorType']!r}, not a string")
    message = body.get("message")
    if siem_shape and isinstance(message, list) and message and all(isinstance(m, str) and m.strip() for m in message):
        # The lists plugin's error helper writes the body it is given as the message: its
        # comments check gives a list of messages (PUT /api/exception_lists/items, 400).
        return problems
    if not isinstance(message, str) or not message.strip():
        problems.append(f"message is {message!r}, not a non-empty string")
    return problems
