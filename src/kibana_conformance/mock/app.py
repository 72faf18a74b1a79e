"""The mock Kibana deployment as an ASGI application.

``create_app(MockConfig(...))`` returns an app that any ASGI server can host; ``server.py``
runs it with uvicorn. API paths work at ``/api/...`` and under ``/s/{space_id}/api/...``;
the control plane lives at ``/_mock/...`` and is authenticated like the API.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..catalog import Catalog, load_catalog
from . import areas, pipeline
from .call import Call, Reply
from .config import MockConfig
from .errors import KibanaError, not_found
from .faults import Fault, resolve_faults
from .multipart import parse_multipart
from .state import DEFAULT_SPACE, SPACE_ID, StateError, Store

STAGES = ("authenticate", "check_xsrf", "check_version", "validate", "handle", "finish")


class BodyTooLarge(Exception):
    pass


class MockKibana:
    """The ASGI app. ``store`` holds the state; ``faults`` are the bugs it was asked to have."""

    def __init__(self, config: MockConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.catalog = catalog or load_catalog()
        self.store = Store(areas.backends())
        self.routes = areas.routes()
        missing = {op.id for op in self.catalog} - set(self.routes)
        if missing:
            raise RuntimeError(f"the mock has no handler for {sorted(missing)}")
        self.faults: tuple[Fault, ...] = resolve_faults(config.faults)
        self.handler_lock = threading.RLock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            reply = await self.dispatch(request)
        except KibanaError as error:
            reply = _error_reply(error)
        await _to_response(reply, request.method)(scope, receive, send)

    async def dispatch(self, request: Request) -> Reply:
        path = request.url.path
        if path == "/_mock" or path.startswith("/_mock/"):
            return await self.control_plane(request, path)
        space, api_path = _split_space(path)
        if space is None or not api_path.startswith("/api/"):
            raise not_found()
        method = request.method.upper()
        found = self.catalog.match("GET" if method == "HEAD" else method, api_path)
        if found is None:
            raise not_found()
        op, path_params = found
        call = Call(
            op=op,
            method=method,
            space=space,
            path_params={k: unquote(v) for k, v in path_params.items()},
            raw_query=parse_qs(request.url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            raw_body=b"",
            store=self.store,
        )
        limit = self.config.upload_max_bytes if "multipart/form-data" in (op.request_body or {}).get("content", {}) else self.config.max_body_bytes
        too_large = False
        try:
            call.raw_body = await _read_body(request, limit)
        except BodyTooLarge:
            too_large = True
        return self.run(call, too_large, limit)

    def run(self, call: Call, too_large: bool, limit: int) -> Reply:
        try:
            self._stage("authenticate", call, lambda: pipeline.authenticate(call, self.config))
            self._stage("check_xsrf", call, lambda: pipeline.check_xsrf(call))
            self._stage("check_version", call, lambda: pipeline.check_version(call))
            if too_large:
                raise KibanaError(413, f"Payload content length greater than maximum allowed: {limit}")
            self._stage("validate", call, lambda: self._validate(call))
            with self.handler_lock:
                reply = self._stage("handle", call, lambda: _encoded(self.routes[call.op.id](call)))
        except KibanaError as error:
            reply = _error_reply(error)
        return self._stage("finish", call, lambda: pipeline.finish(call, reply), reply)

    def _validate(self, call: Call) -> None:
        if call.content_type() == "multipart/form-data" and call.op.request_body:
            call.body, call.files = parse_multipart(call.raw_body, call.headers.get("content-type", ""), call.op)
            call.has_body = True
        else:
            pipeline.parse_json_body(call, self.config)
        pipeline.validate_parameters(call)
        pipeline.validate_body(call)

    def _stage(self, stage: str, call: Call, proceed: Callable[[], Any], *extra: Any) -> Any:
        for fault in self.faults:
            if fault.stage == stage and fault.applies_to(call.op.id):
                proceed = _wrapped(fault, call, proceed, extra)
        return proceed()

    async def control_plane(self, request: Request, path: str) -> Reply:
        headers = {k.lower(): v for k, v in request.headers.items()}
        probe = Call(self.catalog.operations[0], request.method, DEFAULT_SPACE, {}, {}, headers, b"", self.store)
        pipeline.authenticate(probe, self.config)
        action = (request.method.upper(), path.rstrip("/"))
        if action == ("POST", "/_mock/reset"):
            with self.handler_lock:
                self.store.reset()
            return Reply(200, {"reset": True}, versioned=False)
        if action == ("GET", "/_mock/state"):
            with self.handler_lock:
                return _encoded(Reply(200, self.store.dump(), versioned=False))
        if action == ("PUT", "/_mock/state"):
            try:
                document = json.loads(await _read_body(request, 64 * self.config.max_body_bytes) or b"null")
                with self.handler_lock:
                    self.store.load(document)
            except BodyTooLarge:
                raise KibanaError(413, "state document too large") from None
            except (ValueError, StateError) as exc:
                raise KibanaError(400, f"cannot load state: {exc}") from None
            return Reply(200, {"loaded": True}, versioned=False)
        if action == ("GET", "/_mock/faults"):
            return Reply(200, {"active": [f.name for f in self.faults]}, versioned=False)
        raise not_found(f"unknown control-plane endpoint {request.method} {path}; see /_mock/reset, /_mock/state, /_mock/faults")


def _wrapped(fault: Fault, call: Call, proceed: Callable[[], Any], extra: tuple[Any, ...]) -> Callable[[], Any]:
    return lambda: fault.wrap(call, proceed, *extra)


def create_app(config: MockConfig | None = None, catalog: Catalog | None = None) -> MockKibana:
    return MockKibana(config or MockConfig(), catalog)


def _split_space(path: str) -> tuple[str | None, str]:
    if not path.startswith("/s/"):
        return DEFAULT_SPACE, path
    _, _, rest = path.partition("/s/")
    space, sep, tail = rest.partition("/")
    if not sep or not SPACE_ID.match(space):
        return None, path
    return space, "/" + tail


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _encoded(reply: Reply) -> Reply:
    """The reply with its body serialised now, while the state it may share is locked."""
    if reply.body is not None and not isinstance(reply.body, (bytes, str)):
        reply.body = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
    return reply


def _error_reply(error: KibanaError) -> Reply:
    return _encoded(Reply(error.status, error.body, dict(error.headers), versioned=error.versioned))


def _to_response(reply: Reply, method: str) -> Response:
    if reply.status == 204 or reply.body is None:
        return Response(status_code=reply.status, headers=reply.headers)
    response = Response(content=_encoded(reply).body, status_code=reply.status, headers=reply.headers, media_type=None)
    response.headers["content-type"] = reply.content_type
    if method == "HEAD":
        response.body = b""
    return response


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
