"""Kibana-specific checks, run by schemathesis next to its built-in ones on every generated case.

Each check verifies one property Kibana's platform guarantees on every route and fails with a
:class:`~kibana_conformance.findings.Finding` of its own class ("Received / Documented"). They
are passed to each validation explicitly (``KIBANA_CHECKS``), never registered process-wide.
"""

from __future__ import annotations

import json
from typing import Any

from schemathesis import Case, CheckContext, Response

from ..catalog import API_VERSION, Operation, load_catalog
from ..contract import envelope_problems, is_json_media_type
from ..findings import ApiVersionHeaderFailure, ErrorEnvelopeFailure, JsonContentTypeFailure, ResponseSchemaFailure, UndocumentedMethodFailure
from .observed import judge_response


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
        raise ErrorEnvelopeFailure(ErrorEnvelopeFailure.kind_title, f"{status} with {'; '.join(problems)}", _envelope_text(op), operation=case.operation.label)
    return None


def _envelope_text(op: Operation) -> str:
    if op.error_dialect == "security-solution":
        return "{statusCode, error, message} or {message, status_code}, matching the response status"
    extra = " (Fleet may add errorType)" if op.error_dialect == "fleet" else ""
    return f"{{statusCode, error, message}} with statusCode equal to the status and error its reason phrase{extra}"


def api_version_header(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A successful response names the API version that served it."""
    if not 200 <= response.status_code < 300:
        return None
    received = _header(response, "elastic-api-version")
    if received != API_VERSION:
        raise ApiVersionHeaderFailure(
            ApiVersionHeaderFailure.kind_title,
            f"elastic-api-version: {received}" if received else "no elastic-api-version header",
            f"elastic-api-version: {API_VERSION} (the only version of these operations)",
            operation=case.operation.label,
        )
    return None


def json_content_type(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A JSON body is declared as JSON."""
    if not response.content or is_json_media_type(_header(response, "content-type")):
        return None
    if _json(response) is not None:
        raise JsonContentTypeFailure(
            JsonContentTypeFailure.kind_title,
            f"Content-Type: {_header(response, 'content-type')}",
            "application/json for every JSON response",
            operation=case.operation.label,
        )
    return None


def undocumented_method_rejected(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A method the document does not list is refused (Kibana answers 404; 405 is also a refusal)."""
    method = (response.request.method or "").upper()
    if method == case.operation.method.upper() or method in ("HEAD", "OPTIONS"):
        return None
    if not 400 <= response.status_code < 500:
        raise UndocumentedMethodFailure(
            UndocumentedMethodFailure.kind_title,
            f"{method} answered {response.status_code}",
            f"only {case.operation.method.upper()} is documented for {case.operation.path}; other methods get 404 or 405",
            operation=case.operation.label,
        )
    return None


def documented_response_schema(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The body matches what the document or Kibana states for its status (schemathesis' own
    check would also hold the examples' guesses where the rendering hides the schema)."""
    if (response.request.method or "").upper() != case.operation.method.upper():
        return None  # an undocumented method's answer has no documented body
    op = operation_of(case)
    verdict = judge_response(op, response.status_code, _header(response, "content-type"), response.content, getattr(case.operation.schema, "kct_divergences", None))
    if verdict.problems:
        raise ResponseSchemaFailure(
            f"{response.status_code} body does not match the documented schema",
            "; ".join(verdict.problems),
            f"the {op.id} schema for status {response.status_code} (what the document or Kibana states)",
            operation=case.operation.label,
        )
    return None


def ignored_auth(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """schemathesis' ``ignored_auth`` with the memory its own runner gives it: once an operation refused a
    request without credentials and one with wrong credentials, its later successes are not probed again
    (enforcement belongs to the operation, not to the case). ``validate_response`` makes a fresh context
    per case, so without the schema's set every successful case would send the two probes again."""
    from schemathesis.specs.openapi.checks import ignored_auth as probe_auth

    ctx.auth_enforced_operations = getattr(case.operation.schema, "kct_auth_enforced", None)
    return probe_auth(ctx, response, case)


KIBANA_CHECKS = (ignored_auth, kibana_error_envelope, api_version_header, json_content_type, undocumented_method_rejected, documented_response_schema)
