"""APM faults: agent keys."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from ..apm.models import ApmBackend
from ..errors import KibanaError
from . import fault, reply_json, set_json

AGENT_KEYS = ["post-apm-agent-keys"]
PRIVILEGES = ("event:write", "config_agent:read")


def _patch_key(reply: Any, change: Any) -> Any:
    if reply.status != 200:
        return reply
    body = reply_json(reply)
    change(body["agentKey"])
    return set_json(reply, body)


def _encode(key_id: str, api_key: str) -> str:
    return base64.b64encode(f"{key_id}:{api_key}".encode()).decode()


def _accepted_with(call: Any, privileges: list[str]) -> bool:
    """Whether the body passes validation once its privileges are replaced (the check the bug skipped)."""
    validator = call.op.request_validator(call.content_type())
    if validator is None or not isinstance(call.body, dict):
        return False
    candidate = {**call.body, "privileges": privileges}
    if list(validator.iter_errors(candidate)):
        return False
    call.body = candidate
    return True


@fault("apm-encoded-uses-name", "encoded is the Base64 of name:api_key instead of id:api_key", expected=["APM-AGENTKEY-ENCODED"], stage="handle", operations=AGENT_KEYS)
def _encoded_uses_name(call, proceed):
    return _patch_key(proceed(), lambda k: k.update(encoded=_encode(k["name"], k["api_key"])))


@fault("apm-encoded-url-safe", "encoded uses the URL-safe Base64 alphabet without padding, which Elasticsearch does not accept", expected=["APM-AGENTKEY-ENCODED"], stage="handle", operations=AGENT_KEYS)
def _encoded_url_safe(call, proceed):
    def url_safe(key: dict[str, Any]) -> None:
        key["encoded"] = base64.urlsafe_b64encode(f"{key['id']}:{key['api_key']}".encode()).decode().rstrip("=")

    return _patch_key(proceed(), url_safe)


@fault("apm-key-id-per-user", "the key id is derived from the creating user, so all of a user's keys share one id", expected=["APM-AGENTKEY-UNIQUE"], stage="handle", operations=AGENT_KEYS)
def _key_id_per_user(call, proceed):
    key_id = re.sub(r"[^A-Za-z0-9]", "", base64.b64encode(hashlib.sha256((call.user or "").encode()).digest()).decode())[:20]
    reply = proceed()
    if reply.status == 200:
        ApmBackend.of(call).shared["agent_keys"][-1]["id"] = key_id
    return _patch_key(reply, lambda k: k.update(id=key_id, encoded=_encode(key_id, k["api_key"])))


@fault("apm-api-key-cached", "the api_key secret is cached per user and privileges, so keys with the same privileges share it", expected=["APM-AGENTKEY-UNIQUE"], stage="handle", operations=AGENT_KEYS)
def _api_key_cached(call, proceed):
    seed = f"{call.user}/{sorted(call.body['privileges'])}".encode()
    api_key = base64.urlsafe_b64encode(hashlib.sha256(seed).digest()).decode()[:22]
    return _patch_key(proceed(), lambda k: k.update(api_key=api_key, encoded=_encode(k["id"], api_key)))


@fault("apm-name-slugified", "the key's name is returned slugified (lower case, spaces and brackets turned into dashes)", expected=["APM-AGENTKEY-NAME"], stage="handle", operations=AGENT_KEYS)
def _name_slugified(call, proceed):
    return _patch_key(proceed(), lambda k: k.update(name=re.sub(r"[^a-z0-9:_-]+", "-", k["name"].lower()).strip("-")))


@fault("apm-unknown-privileges-dropped", "privileges outside the documented values are silently dropped instead of refused", expected=["APM-AGENTKEY-PRIVILEGES"], stage="validate", operations=AGENT_KEYS)
def _unknown_dropped(call, proceed):
    try:
        return proceed()
    except KibanaError:
        privileges = call.body.get("privileges") if isinstance(call.body, dict) else None
        known = [p for p in privileges or [] if p in PRIVILEGES]
        if known and _accepted_with(call, known):
            return None
        raise


@fault("apm-privileges-case-insensitive", "privileges are compared case-insensitively, so EVENT:WRITE is accepted", expected=["APM-AGENTKEY-PRIVILEGES"], stage="validate", operations=AGENT_KEYS)
def _case_insensitive(call, proceed):
    try:
        return proceed()
    except KibanaError:
        privileges = call.body.get("privileges") if isinstance(call.body, dict) else None
        if isinstance(privileges, list) and all(isinstance(p, str) for p in privileges) and _accepted_with(call, [p.lower() for p in privileges]):
            return None
        raise


