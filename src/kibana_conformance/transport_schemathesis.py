"""schemathesis' requests, sent through the run's :class:`~kibana_conformance.transport.Wire`.

schemathesis prepares each request (its serializers encode JSON and multipart bodies) and the
wire sends it, so the property tests and their checks' extra requests (``ignored_auth``,
``missing_required_header``) get the same rate limit, deadline, body cap, retries, recording and
error wording as the scenarios. The transport belongs to one schema object (a subclass made
for it), never to schemathesis' process-wide default.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from schemathesis.core.transport import Response
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from .transport import Wire

TRANSPORT_SETTINGS = ("timeout", "verify", "allow_redirects", "proxies", "stream", "cert", "session", "base_url", "max_redirects")


class WireTransport(RequestsTransport):
    """Serializes like schemathesis' requests transport, sends with the wire."""

    def __init__(self, wire: Wire) -> None:
        super().__init__()
        self._serializers = dict(REQUESTS_TRANSPORT._serializers)
        for media_type in ("multipart/form-data", "multipart/mixed"):
            if media_type in self._serializers:
                self._serializers[media_type] = _json_array_parts(self._serializers[media_type])
        self.wire = wire

    def send(self, case: Any, *, session: requests.Session | None = None, **kwargs: Any) -> Response:
        data = self.serialize_case(case, **kwargs)
        for name in ("headers", "params", "cookies"):
            extra = kwargs.get(name)
            if isinstance(extra, dict):
                data[name] = {**(data.get(name) or {}), **extra}
        fields = {k: v for k, v in data.items() if k not in TRANSPORT_SETTINGS}
        prepared = requests.Request(
            method=fields.pop("method"),
            url=fields.pop("url"),
            headers=fields.pop("headers", None),
            params=fields.pop("params", None),
            cookies=fields.pop("cookies", None),
            auth=fields.pop("auth", None),
            json=fields.pop("json", None),
            data=fields.pop("data", None),
            files=fields.pop("files", None),
        ).prepare()
        body = prepared.body or b""
        content = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        answer = self.wire.send(prepared.method or "GET", prepared.url or "", headers=list(prepared.headers.items()), content=content)
        headers: dict[str, list[str]] = {}
        for name, value in answer.headers.multi_items():
            headers.setdefault(name.lower(), []).append(value)
        return Response(
            status_code=answer.status_code,
            headers=headers,
            content=answer.content,
            request=prepared,
            elapsed=answer.elapsed.total_seconds(),
            verify=bool(self.wire.verify),
            message=answer.reason_phrase,
            http_version=answer.http_version.removeprefix("HTTP/"),
            encoding=answer.encoding,
        )


def _json_array_parts(serializer: Any) -> Any:
    """A multipart serializer that sends an array field whose encoding is application/json as one part holding the
    JSON array (as Kibana's config-schema reads it), not one part per item."""

    def serialize(ctx: Any, value: Any) -> Any:
        if isinstance(value, dict):
            media = ctx.case.operation.get_body_for_media_type(ctx.case.media_type or "multipart/form-data")
            encoding = (media.definition.get("encoding") or {}) if media is not None else {}
            for name, spec in encoding.items():
                if isinstance(value.get(name), list) and "json" in str((spec or {}).get("contentType", "")):
                    value = {**value, name: json.dumps(value[name])}
        return serializer(ctx, value)

    return serialize


def schema_class_for(base: type, wire: Wire) -> type:
    """A subclass of the schema's class whose transport is the run's wire (clones keep it)."""
    transport = WireTransport(wire)
    return type(f"Kibana{base.__name__}", (base,), {"transport": property(lambda self: transport)})
