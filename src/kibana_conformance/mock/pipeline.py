"""The steps Kibana takes for every API request, in Kibana's order.

authenticate -> check_xsrf -> authorize -> check_version -> validate -> handle -> finish. Each step is a
plain function of the call, so a fault (see ``faults/``) can wrap any one of them for
one operation.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from typing import Any

from ..authz import forbidden_message, missing_privileges, route_allows
from ..catalog import API_VERSION
from .call import Call, Reply
from .config import MockConfig, decode_api_key
from .errors import KibanaError, bad_request
from .validation import coerce_query_value, validation_error

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
VERSION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AVAILABLE_VERSIONS = (API_VERSION,)
WWW_AUTHENTICATE = 'Basic realm="kibana", ApiKey'
JSON_TYPES = ("application/json",)
# Elasticsearch refuses documents nested deeper than 1000; the mock copies and dumps bodies
# recursively, so it refuses well before Python's recursion limit instead of failing with a 500.
MAX_JSON_DEPTH = 256
INVALID_JSON = "Invalid request payload JSON format"


def _unauthorized(message: str = "Unauthorized") -> KibanaError:
    return KibanaError(401, message, headers={"www-authenticate": WWW_AUTHENTICATE})


def _security_exception(username: str) -> KibanaError:
    reason = f"unable to authenticate user [{username}] for REST request [/_security/_authenticate]"
    return _unauthorized(f"[security_exception\n\tRoot causes:\n\t\tsecurity_exception: {reason}]: {reason}")


def authenticate(call: Call, config: MockConfig) -> None:
    header = call.headers.get("authorization", "").strip()
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if not header or not credentials:
        raise _unauthorized()
    if scheme.lower() == "basic":
        try:
            username, sep, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise _unauthorized() from None
        if not sep:
            raise _unauthorized()
        # compare_digest refuses str with non-ASCII characters (a TypeError, so a 500): compare bytes.
        if hmac.compare_digest(username.encode(), config.username.encode()) and hmac.compare_digest(password.encode(), config.password.encode()):
            call.user = username
            return
        for user in config.users:
            if hmac.compare_digest(username.encode(), user.username.encode()) and hmac.compare_digest(password.encode(), user.password.encode()):
                call.user, call.privileges = username, user.privileges
                return
        raise _security_exception(username)
    if scheme.lower() == "apikey":
        if any(hmac.compare_digest(credentials.encode(), key.encode()) for key in config.accepted_api_keys):
            key_id = (decode_api_key(credentials) or "api-key:").split(":", 1)[0]
            call.user = f"api_key_{key_id}"
            return
        raise _unauthorized("[security_exception\n\tRoot causes:\n\t\tsecurity_exception: unable to authenticate with provided credentials]: unable to authenticate with provided credentials")
    raise _unauthorized()


def authorize(call: Call) -> None:
    """The route's required privileges (Kibana checks them after authentication and the xsrf header,
    before the route's own validation); APM and Cases check theirs in their handlers."""
    if route_allows(call.op.id, call.privileges):
        return
    path = call.path + (f"?{call.query_string}" if call.query_string else "")
    raise KibanaError(403, forbidden_message(call.method, path, missing_privileges(call.op.id, call.privileges or frozenset())))


def check_xsrf(call: Call) -> None:
    if call.method not in SAFE_METHODS and "kbn-xsrf" not in call.headers and "kbn-version" not in call.headers:
        raise bad_request("Request must contain a kbn-xsrf header.")


def check_version(call: Call) -> None:
    # Node's parser drops the spaces around a header value; Kibana's versioned router then reads an
    # empty value as no version (a truthiness test) and serves the default.
    requested = (call.headers.get("elastic-api-version") or "").strip()
    if not requested or not call.op.versioned:
        # An unversioned route (Cases, Logstash) does not read the header; its answers still name the version.
        call.api_version = API_VERSION
        return
    if not VERSION_FORMAT.match(requested):
        raise bad_request(f'Invalid version. Received "{requested}", expected a valid date string formatted as YYYY-MM-DD.')
    if requested not in AVAILABLE_VERSIONS:
        available = ", ".join(AVAILABLE_VERSIONS)
        raise bad_request(
            f'No version "{requested}" available for [{call.method.lower()}] [{call.op.path}]. Available versions are: [{available}]'
        )
    call.api_version = requested


def _dialect_extra(call: Call) -> dict[str, Any]:
    return {"errorType": "RequestValidationError"} if call.op.error_dialect == "fleet" else {}


def validate_parameters(call: Call) -> None:
    op = call.op
    extra = _dialect_extra(call)
    for param in op.parameters_in("path"):
        value = call.path_params.get(param["name"], "")
        errors = list(op.parameter_validator(param).iter_errors(value))
        if errors:
            raise validation_error(op, _named(errors, param["name"]), "path", extra)
    query: dict[str, Any] = {}
    for param in op.parameters_in("query"):
        raw = call.raw_query.get(param["name"])
        if raw is None:
            if param["required"]:
                raise validation_error(op, [_missing(param["name"], param["schema"])], "query", extra)
            continue
        value = coerce_query_value(raw, param["schema"])
        errors = list(op.parameter_validator(param).iter_errors(value))
        if errors:
            raise validation_error(op, _named(errors, param["name"]), "query", extra)
        query[param["name"]] = value
    unknown = sorted(set(call.raw_query) - {p["name"] for p in op.parameters_in("query")})
    if unknown and op.error_dialect != "security-solution":
        # config-schema objects reject unknown keys; zod objects (Security Solution) strip them.
        raise validation_error(op, [_unknown_key(unknown)], "query", extra)
    call.query = query


def validate_body(call: Call) -> None:
    op = call.op
    body_spec = op.request_body
    if body_spec is None:
        return
    content_type = call.content_type()
    validator = op.request_validator(content_type) if content_type else None
    if not call.has_body:
        if body_spec["required"]:
            raise validation_error(op, [_null_body()], "body", _dialect_extra(call))
        return
    if validator is None:
        return
    errors = list(validator.iter_errors(call.body))
    if errors:
        raise validation_error(op, errors, "body", _dialect_extra(call))


def parse_json_body(call: Call, config: MockConfig) -> None:
    """Decode a JSON body; multipart bodies are decoded before (see app).

    Only an empty body is no body: whitespace alone is a payload that is not JSON (hapi answers 400).
    """
    if not call.raw_body:
        return
    content_type = call.content_type()
    accepted = list((call.op.request_body or {}).get("content", {}))
    if content_type not in accepted:
        if call.op.request_body is None and content_type in JSON_TYPES:
            return  # Kibana ignores a body the route does not declare.
        raise KibanaError(415, "Unsupported Media Type")
    if content_type in JSON_TYPES:
        try:
            call.body = parse_json(call.raw_body)
        except ValueError:
            raise bad_request(INVALID_JSON) from None
        call.has_body = True


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse_json(raw: bytes) -> Any:
    """JSON as JavaScript's JSON.parse reads a UTF-8 body: no NaN or Infinity literals, no other
    encodings (json.loads would guess UTF-16 or skip a BOM), and not nested beyond MAX_JSON_DEPTH.
    Raises ValueError for anything else."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise ValueError("nested too deeply")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def finish(call: Call, reply: Reply) -> Reply:
    if reply.versioned and call.api_version:
        reply.headers.setdefault("elastic-api-version", call.api_version)
    return reply


def _named(errors: list[Any], name: str) -> list[Any]:
    for error in errors:
        error.path.appendleft(name)
    return errors


class _SyntheticError:
    """A validation failure found outside jsonschema, shaped like a jsonschema error."""

    def __init__(self, validator: str, validator_value: Any, instance: Any, schema: dict[str, Any], path: list[str]) -> None:
        from collections import deque

        self.validator = validator
        self.validator_value = validator_value
        self.instance = instance
        self.schema = schema
        self.path = deque(path)
        self.message = validator

    @property
    def absolute_path(self) -> Any:
        return self.path


def _missing(name: str, schema: dict[str, Any]) -> Any:
    return _SyntheticError("required", [name], {}, {"properties": {name: schema}}, [])


def _unknown_key(names: list[str]) -> Any:
    return _SyntheticError("additionalProperties", False, dict.fromkeys(names), {"properties": {}}, [])


def _null_body() -> Any:
    return _SyntheticError("type", "object", None, {"type": "object"}, [])
