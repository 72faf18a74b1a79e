"""Schema-driven property tests: the assembled document, configured for a Kibana target.

The same configuration drives the suite's schemathesis tests and, written as
``schemathesis.toml``, the plain ``schemathesis run`` used for comparison.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

from ..catalog import load_catalog
from ..openapi import default_document
from . import checks as _kibana_checks  # noqa: F401  (registers the Kibana checks)
from .resources import pinned_path_parameters
from .settings import Settings

# Kibana refuses bad input with these; 413 and 415 are hapi's answers for oversized and
# mistyped bodies.
REJECTION_STATUSES = ["400", "401", "403", "404", "409", "413", "415", "422"]
# The document implies constraints its schemas cannot state (a package must exist, an item is
# addressed by id or item_id, a stream must be a group stream, an output must be remote):
# a schema-valid request may meet a documented 400 on these operations.
SEMANTIC_400_OPERATIONS = (
    "put-fleet-package-policies-packagepolicyid",
    "put-exception-lists-items",
    "get-streams-name-group",
    "get-fleet-remote-synced-integrations-outputid-remote-status",
)
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "429"]
UNEXPECTED_METHODS = ["DELETE", "PATCH", "POST", "PUT", "GET"]
READ_ONLY_UNEXPECTED_METHODS = ["GET"]
BUILT_IN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
)


# Called with (method, url, status, request headers, response body) for every request schemathesis sends.
CALL_OBSERVERS: list[Any] = []
# The run's prefix (kct-<run id>-), given to the names of what generated cases create.
RUN_PREFIX: list[str] = []
PREFIXED_BODY_FIELDS = {
    "post-security-ai-assistant-current-user-conversations": "id",
    "post-apm-agent-keys": "name",
}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    request = response.request
    for observe in CALL_OBSERVERS:
        observe(request.method, request.url, response.status_code, dict(request.headers), response.content or b"")


def _operation_id(context: Any) -> str | None:
    operation = getattr(context, "operation", None)
    return operation.definition.raw.get("operationId") if operation is not None else None


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
    """Pipelines the property tests create carry the run prefix too, so they can be told apart."""
    if RUN_PREFIX and _operation_id(context) == "put-logstash-pipeline-id" and isinstance(path_parameters.get("id"), str):
        path_parameters["id"] = RUN_PREFIX[0] + path_parameters["id"]
    return path_parameters


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    field = PREFIXED_BODY_FIELDS.get(_operation_id(context) or "")
    if RUN_PREFIX and field and isinstance(body, dict) and isinstance(body.get(field), str):
        body[field] = RUN_PREFIX[0] + body[field]
    return body


PIPELINE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    """The same prefix on the cases the map hooks never see (the examples and coverage phases).

    Without it, a coverage case such as PUT /api/logstash/pipeline/0 would overwrite a pipeline
    of that name on a live deployment. Only ids the document allows are prefixed (a valid id
    stays valid, an invalid one invalid), and only once.
    """
    if not RUN_PREFIX:
        return
    prefix, op_id = RUN_PREFIX[0], _operation_id(context)
    params = case.path_parameters
    if op_id == "put-logstash-pipeline-id" and isinstance(params, dict):
        value = params.get("id")
        if isinstance(value, str) and PIPELINE_ID.match(value) and not value.startswith(prefix):
            params["id"] = prefix + value
    field = PREFIXED_BODY_FIELDS.get(op_id or "")
    body = case.body
    if field and isinstance(body, dict) and isinstance(body.get(field), str) and not body[field].startswith(prefix):
        body[field] = prefix + body[field]


def auth_config(settings: Settings) -> dict[str, Any]:
    from .target import encode_api_key

    if settings.api_key:
        return {"openapi": {"apiKeyAuth": {"api_key": f"ApiKey {encode_api_key(settings.api_key)}"}}}
    if settings.username and settings.password:
        return {"basic": {"username": settings.username, "password": settings.password}}
    return {}


def checks_config() -> dict[str, Any]:
    config: dict[str, Any] = {name: {"enabled": True} for name in BUILT_IN_CHECKS}
    config["negative_data_rejection"]["expected-statuses"] = REJECTION_STATUSES
    config["positive_data_acceptance"]["expected-statuses"] = POSITIVE_STATUSES
    config["missing_required_header"]["expected-statuses"] = ["400", "401"]
    config["response_schema_conformance"]["validate-formats"] = True
    # Kibana answers 404, not 405, for a method a route does not have; see undocumented_method_rejected.
    config["unsupported_method"] = {"enabled": False}
    for name in ("use_after_free", "ensure_resource_availability"):
        config[name] = {"enabled": False}
    return config


def config_dict(settings: Settings, base_url: str, seed: int, rate: float | None = None) -> dict[str, Any]:
    """The schemathesis configuration, in ``schemathesis.toml`` shape."""
    operations: list[dict[str, Any]] = []
    for op_id in SEMANTIC_400_OPERATIONS:
        operations.append(
            {
                "include-operation-id": op_id,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "400"]}},
            }
        )
    operations.append(
        {
            "include-operation-id": "post-endpoint-action-upload",
            # A form field cannot tell a one-element array from a string: the "string instead of
            # array" case is sent exactly like a valid one. The upload scenarios check rejection.
            "checks": {"negative_data_rejection": {"enabled": False}},
        }
    )
    for op_id, parameters in pinned_path_parameters().items():
        operations.append({"include-operation-id": op_id, "parameters": {f"path.{k}": v for k, v in parameters.items()}})
    config: dict[str, Any] = {
        "seed": seed,
        "base-url": base_url,
        "request-timeout": settings.timeout,
        "max-redirects": 0,
        "tls-verify": False if settings.insecure else (str(settings.ca_cert) if settings.ca_cert else True),
        "generation": {"max-examples": settings.max_examples, "mode": "all", "database": "none"},
        "phases": {
            "examples": {"enabled": True, "fill-missing": True},
            "coverage": {"enabled": True, "unexpected-methods": READ_ONLY_UNEXPECTED_METHODS if settings.read_only else UNEXPECTED_METHODS},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "checks": checks_config(),
        "operations": operations,
    }
    auth = auth_config(settings)
    if auth:
        config["auth"] = auth
    if rate is not None:
        config["rate-limit"] = f"{max(1, round(rate * 60))}/m"
    return config


def build_schema(settings: Settings, base_url: str, seed: int, rate: float | None = None) -> Any:
    """The schemathesis schema of the selected operations, aimed at ``base_url``."""
    config = schemathesis.Config.from_dict(config_dict(settings, base_url, seed, rate))
    schema = schemathesis.openapi.from_dict(default_document(), config=config)
    selected = [op.id for op in load_catalog() if settings.selects(op.id, op.area) and not (settings.read_only and op.is_write)]
    return schema.include(operation_id=selected)


def call_and_validate(case: Any, timeout: float) -> None:
    """Send a generated case and run every check; a transport failure is one line, not a traceback.

    A 403 to a case sent with the run's credentials is a permissions problem (Kibana checks
    privileges before it validates anything): the test is skipped, as the scenarios do.
    """
    import pytest
    import requests

    from .checks import KIBANA_CHECKS
    from .expect import body_of, forbidden_reason
    from .target import TargetFailure, describe_requests_error

    install_transport_guard()
    try:
        response = case.call(session=shared_session())
        if response.status_code == 403:
            pytest.skip(forbidden_reason(f"{case.method} {case.formatted_path}", body_of(response)))
        case.validate_response(response, additional_checks=list(KIBANA_CHECKS))
    except requests.exceptions.RequestException as exc:
        what = describe_requests_error(exc, timeout)
        raise TargetFailure(f"{case.method} {case.formatted_path}: {what}", what, "an HTTP response") from None


# Set by the plugin: the run's rate limiter (--max-rps), the one the suite's own HTTP client waits on.
RATE_LIMITER: list[Any] = []


def _guarded_session_class() -> type | None:
    """A ``requests`` session that waits on the run's rate limiter and stops reading a body past the cap.

    schemathesis opens a session of this class for every request it sends, its checks' extra
    requests (``ignored_auth``, ``missing_required_header``) included; none goes around it.
    Its own ``rate-limit`` allows bursts (a per-minute bucket): a live target must not see them.
    """
    try:
        from schemathesis.transport import requests as st_requests
    except ImportError:  # pragma: no cover
        return None
    base = getattr(st_requests, "SameHostRedirectsSession", None)
    if base is None or getattr(base, "kct_guarded", False):
        return None

    from .target import BODY_TOO_LARGE, MAX_RESPONSE_BYTES, BodyTooLarge

    class GuardedSession(base):  # type: ignore[misc, valid-type]
        kct_guarded = True

        def send(self, request: Any, **kwargs: Any) -> Any:
            if RATE_LIMITER:
                RATE_LIMITER[0].wait()
            response = super().send(request, **kwargs)
            if kwargs.get("stream") and not response.headers.get("content-type", "").startswith("text/event-stream"):
                chunks, size = [], 0
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        chunks.clear()  # the exception's traceback keeps this frame (and its locals) alive
                        response.close()
                        raise BodyTooLarge(BODY_TOO_LARGE, request=request, response=None)
                    chunks.append(chunk)
                response._content = b"".join(chunks)
                response._content_consumed = True
            return response

    return GuardedSession


def install_transport_guard() -> None:
    """Route schemathesis' requests through :func:`_guarded_session_class` (idempotent)."""
    guarded = _guarded_session_class()
    if guarded is not None:
        from schemathesis.transport import requests as st_requests

        st_requests.SameHostRedirectsSession = guarded


_SHARED_SESSION: list[Any] = []


def shared_session() -> Any:
    """One keep-alive session per process (schemathesis opens a new connection per case otherwise),
    guarded like the others, and refusing cookies: a session cookie must never stand in for the
    credentials a check removes."""
    if not _SHARED_SESSION:
        import http.cookiejar

        import requests
        from schemathesis.transport import requests as st_requests

        session = st_requests.SameHostRedirectsSession()
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        # The environment's proxies, read once: requests would read them again for every request.
        session.proxies = requests.utils.get_environ_proxies("")
        session.trust_env = False
        _SHARED_SESSION.append(session)
    return _SHARED_SESSION[0]
