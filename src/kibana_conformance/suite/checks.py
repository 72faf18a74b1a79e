"""Kibana-specific checks, registered with schemathesis next to its built-in ones.

Each check verifies one property Kibana's platform guarantees on every route, and fails
with a two-line "Received / Documented" message.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis import CheckContext, Case, Response
from schemathesis.core.failures import Failure, Severity

from ..catalog import API_VERSION, Operation, load_catalog
from ..contract import envelope_problems, is_json_media_type


class KibanaCheckFailure(Failure):
    """A Kibana platform guarantee that a response broke."""

    code = "ST990"
    kind_title = "Kibana platform guarantee broken"

    def __init__(self, *, operation: str, title: str, received: str, documented: str) -> None:
        super().__init__(
            operation=operation,
            title=title,
            message=f"Received: {received}\nDocumented: {documented}",
            severity=Severity.MEDIUM,
        )
        self.received = received
        self.documented = documented

    @property
    def _unique_key(self) -> str:
        return self.title


def operation_of(case: Case) -> Operation:
    return load_catalog().get(case.operation.definition.raw["operationId"])


def _header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def _json(response: Response) -> Any:
    try:
        return json.loads(response.content or b"")
    except ValueError:
        return None


@schemathesis.check
def kibana_error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx body is Kibana's error envelope for the operation's area."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    op = operation_of(case)
    if not is_json_media_type(_header(response, "content-type")):
        problems = [f"content type {_header(response, 'content-type')!r}, not JSON"]
    else:
        body = _json(response)
        problems = ["the body is not JSON"] if body is None else envelope_problems(op, status, body)
    if problems:
        raise KibanaCheckFailure(
            operation=case.operation.label,
            title="Error body is not Kibana's error envelope",
            received=f"{status} with {'; '.join(problems)}",
            documented=_envelope_text(op),
        )
    return None


def _envelope_text(op: Operation) -> str:
    if op.error_dialect == "security-solution":
        return "{statusCode, error, message} or {message, status_code}, matching the response status"
    extra = " (Fleet may add errorType)" if op.error_dialect == "fleet" else ""
    return f"{{statusCode, error, message}} with statusCode equal to the status and error its reason phrase{extra}"


@schemathesis.check
def api_version_header(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A successful response names the API version that served it."""
    if not 200 <= response.status_code < 300:
        return None
    received = _header(response, "elastic-api-version")
    if received != API_VERSION:
        raise KibanaCheckFailure(
            operation=case.operation.label,
            title="Successful response without the elastic-api-version header",
            received=f"elastic-api-version: {received}" if received else "no elastic-api-version header",
            documented=f"elastic-api-version: {API_VERSION} (the only version of these operations)",
        )
    return None


@schemathesis.check
def json_content_type(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A JSON body is declared as JSON."""
    if not response.content or is_json_media_type(_header(response, "content-type")):
        return None
    if _json(response) is not None:
        raise KibanaCheckFailure(
            operation=case.operation.label,
            title="JSON body not declared as JSON",
            received=f"Content-Type: {_header(response, 'content-type')}",
            documented="application/json for every JSON response",
        )
    return None


@schemathesis.check
def undocumented_method_rejected(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A method the document does not list is refused (Kibana answers 404; 405 is also a refusal)."""
    method = (response.request.method or "").upper()
    if method == case.operation.method.upper() or method in ("HEAD", "OPTIONS"):
        return None
    if not 400 <= response.status_code < 500:
        raise KibanaCheckFailure(
            operation=case.operation.label,
            title="Undocumented method not refused",
            received=f"{method} answered {response.status_code}",
            documented=f"only {case.operation.method.upper()} is documented for {case.operation.path}; other methods get 404 or 405",
        )
    return None


KIBANA_CHECKS = (kibana_error_envelope, api_version_header, json_content_type, undocumented_method_rejected)
