"""Platform faults: request handling (auth, kbn-xsrf, versions, validation) and response shape.

Each is a bug of the layer every route shares: a route registered with the wrong options, a
serialiser that drops a field, an error mapper that forgets the envelope.
"""

from __future__ import annotations

from typing import Any

from ..errors import KibanaError, bad_request
from ..pipeline import VERSION_FORMAT
from . import fault, refusal_replaced, reply_json, set_json

# The Fleet routes (their paths start /api/fleet/, and they answer errors in Fleet's dialect): a fault of Fleet's
# error handler or response writer touches these only, and a selftest run of it needs only these.
FLEET = [
    "get-fleet-agent-status-data", "get-fleet-epm-packages", "get-fleet-outputs-outputid", "put-fleet-package-policies-packagepolicyid",
    "get-fleet-remote-synced-integrations-outputid-remote-status", "put-fleet-settings",
]
WRITES_POST = ["post-apm-agent-keys", "post-security-ai-assistant-current-user-conversations", "post-endpoint-action-upload"]


@fault("platform-xsrf-checked-on-put-only", "the XSRF check is registered for PUT routes only: POST requests without kbn-xsrf are served", expected=["HDR-XSRF-REQUIRED"], stage="check_xsrf", operations=WRITES_POST)
def _xsrf_put_only(call: Any, proceed: Any) -> None:
    return None


@fault("platform-xsrf-value-must-be-true", "kbn-xsrf is compared with the value 'true' instead of checked for presence", expected=["HDR-XSRF-ANY-VALUE"], stage="check_xsrf", operations=["put-fleet-settings"])
def _xsrf_value(call: Any, proceed: Any) -> None:
    proceed()
    if call.headers.get("kbn-xsrf", "").lower() != "true":
        raise bad_request("Request must contain a kbn-xsrf header.")


@fault("platform-auth-optional-on-entity-store", "the entity store route is registered with auth optional: anonymous requests are served", expected=["AUTH-MISSING"], stage="authenticate", operations=["get-entity-store-engines"])
def _auth_optional(call: Any, proceed: Any) -> None:
    if "authorization" in call.headers:
        proceed()


@fault("platform-api-key-format-only", "an ApiKey header is accepted when it decodes to id:key, without checking the key", expected=["AUTH-WRONG"], stage="authenticate")
def _api_key_format_only(call: Any, proceed: Any) -> None:
    import base64
    import binascii

    scheme, _, value = call.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "apikey":
        try:
            if ":" in base64.b64decode(value.strip(), validate=True).decode():
                call.user = "api_key"
                return
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
    proceed()


@fault("platform-wrong-credentials-forbidden", "wrong credentials on the Logstash route are answered 403 Forbidden (its security wrapper maps every failed check to 403)", expected=["AUTH-WRONG"], stage="authenticate", operations=["put-logstash-pipeline-id"])
def _wrong_credentials_forbidden(call: Any, proceed: Any) -> None:
    if "authorization" in call.headers:
        refusal_replaced(proceed, 401, lambda error: KibanaError(403, "Forbidden"))
    else:
        proceed()


@fault("platform-malformed-version-defaulted", "a malformed elastic-api-version falls back to the default version instead of 400", expected=["HDR-VERSION-MALFORMED"], stage="check_version", operations=["get-fleet-epm-packages", "put-fleet-settings"])
def _malformed_version(call: Any, proceed: Any) -> None:
    if not VERSION_FORMAT.match(call.headers.get("elastic-api-version", "2023-10-31").strip()):
        call.headers.pop("elastic-api-version")
    proceed()


@fault("platform-unknown-version-served", "a well-formed but unknown elastic-api-version is served by the default handler", expected=["HDR-VERSION-UNKNOWN"], stage="check_version", operations=["get-entity-store-engines"])
def _unknown_version(call: Any, proceed: Any) -> None:
    requested = call.headers.get("elastic-api-version", "")
    if VERSION_FORMAT.match(requested.strip()):
        call.headers.pop("elastic-api-version")
    proceed()


@fault("platform-version-header-dropped", "Fleet responses are written without the elastic-api-version header (a proxy strips it)", expected=["HDR-VERSION-DEFAULT", "SCHEMA-PROPERTIES"], stage="finish", operations=FLEET)
def _version_header_dropped(call: Any, proceed: Any, reply: Any) -> Any:
    reply = proceed()
    if call.op.path.startswith("/api/fleet/"):
        reply.headers.pop("elastic-api-version", None)
    return reply


@fault("platform-json-as-text", "the osquery results route sets Content-Type text/plain on its JSON answers", expected=["ERR-ENVELOPE-400", "ERR-NOT-FOUND", "SCHEMA-PROPERTIES"], stage="finish", operations=["get-osquery-live-queries-id-results-actionid"])
def _json_as_text(call: Any, proceed: Any, reply: Any) -> Any:
    reply = proceed()
    reply.content_type = "text/plain; charset=utf-8"
    return reply


@fault("platform-error-without-status-code", "validation errors of Fleet routes are answered as {error, message} without statusCode", expected=["ERR-ENVELOPE-400", "SCHEMA-PROPERTIES"], stage="finish", operations=FLEET)
def _error_without_status(call: Any, proceed: Any, reply: Any) -> Any:
    reply = proceed()
    if reply.status == 400 and call.op.error_dialect == "fleet":
        body = reply_json(reply)
        if isinstance(body, dict):
            body.pop("statusCode", None)
            set_json(reply, body)
    return reply


@fault("platform-not-found-phrase", "404 answers carry error 'Error' instead of 'Not Found' (a generic error mapper)", expected=["ERR-NOT-FOUND", "FLEET-OUTPUT-NOT-FOUND", "FLEET-PACKAGE-POLICY-NOT-FOUND", "STREAMS-GROUP-NOT-FOUND"], stage="finish")
def _not_found_phrase(call: Any, proceed: Any, reply: Any) -> Any:
    reply = proceed()
    body = reply_json(reply) if reply.status == 404 else None
    if isinstance(body, dict) and "statusCode" in body:
        set_json(reply, {**body, "error": "Error"})
    return reply


@fault("platform-validation-skipped-for-conversations", "the conversation route is registered without body validation: invalid bodies reach the handler", expected=["SCHEMA-PROPERTIES"], stage="validate", operations=["post-security-ai-assistant-current-user-conversations"])
def _conversation_validation_skipped(call: Any, proceed: Any) -> None:
    try:
        proceed()
    except KibanaError:
        if not isinstance(call.body, dict):
            raise
        call.body.setdefault("title", "")


@fault("platform-wrong-content-type-parsed", "a body sent as application/xml is parsed as JSON anyway instead of refused with 415", expected=["HDR-UNPARSED-MEDIA-TYPE"], stage="validate", operations=["put-fleet-settings", "post-apm-agent-keys"])
def _wrong_content_type_parsed(call: Any, proceed: Any) -> None:
    if call.content_type() == "application/xml":
        call.headers["content-type"] = "application/json"
    proceed()


@fault("platform-long-name-500", "a pipeline description longer than 255 characters overflows a keyword field and answers 500", expected=["PLATFORM-BOUNDARY-NO-SERVER-ERROR"], stage="handle", operations=["put-logstash-pipeline-id"])
def _long_name(call: Any, proceed: Any) -> Any:
    if isinstance(call.body, dict) and len(str(call.body.get("description", ""))) > 255:
        raise KibanaError(500, "An internal server error occurred.")
    return proceed()


@fault("platform-unicode-title-500", "a conversation title outside ASCII fails an ASCII-only encoder and answers 500", expected=["PLATFORM-BOUNDARY-NO-SERVER-ERROR"], stage="handle", operations=["post-security-ai-assistant-current-user-conversations"])
def _unicode_title(call: Any, proceed: Any) -> Any:
    if isinstance(call.body, dict) and not str(call.body.get("title", "")).isascii():
        raise KibanaError(500, "An internal server error occurred.")
    return proceed()


@fault("platform-empty-description-500", "an exception item with an empty description hits an unguarded .trim() and answers 500", expected=["PLATFORM-BOUNDARY-NO-SERVER-ERROR", "SCHEMA-PROPERTIES"], stage="handle", operations=["put-exception-lists-items"])
def _empty_description(call: Any, proceed: Any) -> Any:
    if isinstance(call.body, dict) and call.body.get("description") == "":
        raise KibanaError(500, "Cannot read properties of undefined (reading 'trim')")
    return proceed()


@fault("platform-required-field-dropped", "the prebuilt rules status drops timelines_not_updated (a renamed source field)", expected=["SCHEMA-PROPERTIES", "SEC-PREBUILT-STATUS-COUNTS"], stage="handle", operations=["get-detection-engine-rules-prepackaged-status"])
def _required_dropped(call: Any, proceed: Any) -> Any:
    reply = proceed()
    body = reply_json(reply)
    if reply.status == 200 and isinstance(body, dict):
        body.pop("timelines_not_updated", None)
        set_json(reply, body)
    return reply


@fault("platform-count-as-string", "the entity store count is serialised as a string (an aggregation's key_as_string)", expected=["SCHEMA-PROPERTIES", "SEC-ENTITY-STORE-COUNT"], stage="handle", operations=["get-entity-store-engines"])
def _count_as_string(call: Any, proceed: Any) -> Any:
    reply = proceed()
    body = reply_json(reply)
    if reply.status == 200 and isinstance(body, dict):
        set_json(reply, {**body, "count": str(body.get("count"))})
    return reply


@fault("platform-null-category", "a conversation without category is answered with category null (the default applied after serialising)", expected=["SCHEMA-PROPERTIES", "SEC-CONVERSATION-CATEGORY"], stage="handle", operations=["post-security-ai-assistant-current-user-conversations"])
def _null_category(call: Any, proceed: Any) -> Any:
    reply = proceed()
    if reply.status == 200 and isinstance(call.body, dict) and "category" not in call.body:
        set_json(reply, {**reply_json(reply), "category": None})
    return reply


@fault("platform-enum-out-of-range", "exception items report namespace_type 'space' (an internal name) instead of 'single'", expected=["DOC-EXAMPLE-REPLAY", "SCHEMA-PROPERTIES"], stage="handle", operations=["put-exception-lists-items"])
def _enum_out_of_range(call: Any, proceed: Any) -> Any:
    reply = proceed()
    body = reply_json(reply)
    if reply.status == 200 and isinstance(body, dict) and body.get("namespace_type") == "single":
        set_json(reply, {**body, "namespace_type": "space"})
    return reply


@fault("platform-extra-property-in-closed-object", "package policy items leak the saved object's internal 'migrationVersion' (item allows no additional property)", expected=["SCHEMA-PROPERTIES"], stage="handle", operations=["put-fleet-package-policies-packagepolicyid"])
def _extra_property(call: Any, proceed: Any) -> Any:
    reply = proceed()
    body = reply_json(reply)
    if reply.status == 200 and isinstance(body, dict) and isinstance(body.get("item"), dict):
        body["item"]["migrationVersion"] = {"ingest-package-policies": "8.14.0"}
        set_json(reply, body)
    return reply


@fault("platform-204-as-200", "the Logstash route answers 200 with an empty JSON object instead of 204 No Content", expected=["DOC-EXAMPLE-REPLAY", "LOGSTASH-PIPELINE-CREATE-REPLACE", "SCHEMA-PROPERTIES"], stage="handle", operations=["put-logstash-pipeline-id"])
def _no_content_as_ok(call: Any, proceed: Any) -> Any:
    reply = proceed()
    if reply.status == 204:
        reply.status = 200
        set_json(reply, {})
    return reply


@fault("platform-space-prefix-dropped", "the space prefix is stripped before routing and the default space is used", expected=["SPACES-CONVERSATION-ID-PER-SPACE", "SPACES-CONVERSATION-NAMESPACE", "SPACES-EXCEPTION-VERSION-ISOLATED", "SPACES-PACKAGE-POLICY-REVISION-ISOLATED"], stage="validate")
def _space_dropped(call: Any, proceed: Any) -> None:
    call.space = "default"
    proceed()


@fault("platform-api-key-id-only", "an ApiKey value that is not Base64 is read as id:key and only the id is looked up, so any key with a plausible id passes", expected=["AUTH-WRONG"], stage="authenticate")
def _api_key_id_only(call: Any, proceed: Any) -> None:
    scheme, _, value = call.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "apikey" and ":" in value:
        call.user = f"api_key_{value.split(':', 1)[0].strip()}"
        return
    proceed()


@fault("platform-version-unanchored", "elastic-api-version is matched without an end anchor, so '2023-10-31x' is read as 2023-10-31", expected=["HDR-VERSION-MALFORMED"], stage="check_version")
def _version_unanchored(call: Any, proceed: Any) -> None:
    requested = call.headers.get("elastic-api-version", "")
    if len(requested) > 10 and VERSION_FORMAT.match(requested[:10]):
        call.headers["elastic-api-version"] = requested[:10]
    proceed()


@fault("platform-content-type-exact", "Fleet routes compare the whole Content-Type with 'application/json', so a charset parameter gets 415", expected=["HDR-JSON-CHARSET"], stage="validate", operations=["put-fleet-settings", "put-fleet-package-policies-packagepolicyid"])
def _content_type_exact(call: Any, proceed: Any) -> None:
    if call.raw_body and call.headers.get("content-type", "").strip().lower() != "application/json":
        raise KibanaError(415, "Unsupported Media Type")
    proceed()


@fault("platform-413-rfc-phrase", "413 answers carry the RFC 9110 phrase 'Content Too Large' instead of Boom's 'Request Entity Too Large'", expected=["ERR-ENVELOPE-413"], stage="finish")
def _413_rfc_phrase(call: Any, proceed: Any, reply: Any) -> Any:
    reply = proceed()
    body = reply_json(reply) if reply.status == 413 else None
    return set_json(reply, {**body, "error": "Content Too Large"}) if isinstance(body, dict) else reply


@fault("platform-scheme-case-sensitive", "the entity store route's auth wrapper compares the Authorization scheme case-sensitively, so 'basic' or 'APIKEY' is refused", expected=["AUTH-SCHEME-CASE"], stage="authenticate", operations=["get-entity-store-engines"])
def _scheme_case_sensitive(call: Any, proceed: Any) -> None:
    scheme = call.headers.get("authorization", "").partition(" ")[0]
    if scheme and scheme not in ("Basic", "ApiKey"):
        raise KibanaError(401, "Unauthorized")
    proceed()
