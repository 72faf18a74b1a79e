"""The mock Kibana deployment as an ASGI application.

``create_app(MockConfig(...))`` returns an app that any ASGI server can host; ``server.py``
runs it with uvicorn. API paths work at ``/api/...`` and under ``/s/{space_id}/api/...``;
the control plane lives at ``/_mock/...`` and is authenticated like the API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from starlette.requests import ClientDisconnect, Request
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
from .status import status_body

STAGES = ("authenticate", "check_xsrf", "authorize", "check_version", "validate", "handle", "finish")
MULTIPART = "multipart/form-data"
# Parsing a body takes time in proportion to its size (a 25 MB upload, about 2 s): bodies above
# this size are handled in a worker thread so that the event loop goes on serving other clients.
INLINE_BODY_BYTES = 256 * 1024
STATE_DOCUMENT_BYTES = 16 * 1024 * 1024  # a dump of MAX_SPACES busy spaces fits
logger = logging.getLogger(__name__)


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
        self.served: Counter[int] = Counter()  # API answers by status, for /_mock/stats
        self.fault_errors: Counter[str] = Counter()  # exceptions out of a fault's own code, by fault
        self.stats_lock = threading.Lock()

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
        except ClientDisconnect:
            return  # nobody is left to answer
        except Exception:
            # A bug in the mock: answer as Kibana does (its 500 envelope) and keep the traceback.
            logger.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            reply = _error_reply(KibanaError(500, "An internal server error occurred."))
        if not scope["path"].startswith("/_mock"):
            self.served[reply.status] += 1
        await _to_response(reply, request.method)(scope, receive, send)

    async def dispatch(self, request: Request) -> Reply:
        path = _raw_path(request.scope)
        if path == "/_mock" or path.startswith("/_mock/"):
            return await self.control_plane(request, path)
        space, api_path = _split_space(path)
        if space is None or not api_path.startswith("/api/"):
            raise not_found()
        if api_path == "/api/status" and request.method in ("GET", "HEAD"):
            return await self.status(request)
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
            raw_query=parse_qs(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            raw_body=b"",
            store=self.store,
            path=api_path,
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
        )
        limit = self.config.upload_max_bytes if _accepts(op.request_body, MULTIPART) else self.config.max_body_bytes
        too_large = False
        try:
            call.raw_body = await _read_body(request, limit)
        except BodyTooLarge:
            too_large = True
        if len(call.raw_body) > INLINE_BODY_BYTES:
            return await asyncio.get_running_loop().run_in_executor(None, self.run, call, too_large, limit)
        return self.run(call, too_large, limit)

    def run(self, call: Call, too_large: bool, limit: int) -> Reply:
        try:
            self._stage("authenticate", call, lambda: pipeline.authenticate(call, self.config))
            self._stage("check_xsrf", call, lambda: pipeline.check_xsrf(call))
            self._stage("authorize", call, lambda: pipeline.authorize(call))
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
        if call.content_type() == MULTIPART and _accepts(call.op.request_body, MULTIPART):
            call.body, call.files = parse_multipart(call.raw_body, call.headers.get("content-type", ""), call.op)
            call.has_body = True
        else:
            pipeline.parse_json_body(call, self.config)
        pipeline.validate_parameters(call)
        pipeline.validate_body(call)

    def _stage(self, stage: str, call: Call, proceed: Callable[[], Any], *extra: Any) -> Any:
        for fault in self.faults:
            if fault.stage == stage and fault.applies_to(call.op.id):
                proceed = self._wrapped(fault, call, proceed, extra)
        return proceed()

    def _wrapped(self, fault: Fault, call: Call, proceed: Callable[[], Any], extra: tuple[Any, ...]) -> Callable[[], Any]:
        def run() -> Any:
            try:
                return fault.wrap(call, proceed, *extra)
            except KibanaError:
                raise
            except Exception as exc:
                # Not a refusal Kibana would give: the fault's own code broke (a 500 that must not
                # count as a kill). The innermost fault an exception passes through is its author.
                if not hasattr(exc, "kct_fault"):
                    exc.kct_fault = fault.name  # type: ignore[attr-defined]
                    with self.stats_lock:
                        self.fault_errors[fault.name] += 1
                raise

        return run

    def stats(self) -> dict[str, Any]:
        """What /_mock/stats answers: API answers by status, and the faults whose own code raised."""
        with self.stats_lock:
            return {
                "requests": sum(self.served.values()),
                "by_status": {str(k): v for k, v in sorted(self.served.items())},
                "fault_errors": dict(sorted(self.fault_errors.items())),
            }

    def _authenticate(self, request: Request) -> None:
        """Authentication for the routes outside the documented operations (status, control plane)."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        pipeline.authenticate(Call(self.catalog.operations[0], request.method, DEFAULT_SPACE, {}, {}, headers, b"", self.store), self.config)

    async def status(self, request: Request) -> Reply:
        self._authenticate(request)
        return Reply(200, status_body(), versioned=False)

    async def control_plane(self, request: Request, path: str) -> Reply:
        self._authenticate(request)
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
                document = pipeline.parse_json(await _read_body(request, STATE_DOCUMENT_BYTES) or b"null")
                with self.handler_lock:
                    self.store.load(document)
            except BodyTooLarge:
                raise KibanaError(413, "state document too large") from None
            except (ValueError, StateError) as exc:
                raise KibanaError(400, f"cannot load state: {exc}") from None
            return Reply(200, {"loaded": True}, versioned=False)
        if action == ("GET", "/_mock/stats"):
            return Reply(200, self.stats(), versioned=False)
        if action == ("GET", "/_mock/faults"):
            return Reply(200, {"active": [f.name for f in self.faults]}, versioned=False)
        raise not_found(f"unknown control-plane endpoint {request.method} {path}; see /_mock/reset, /_mock/state, /_mock/stats, /_mock/faults")




def create_app(config: MockConfig | None = None, catalog: Catalog | None = None) -> MockKibana:
    return MockKibana(config or MockConfig(), catalog)


def _accepts(request_body: dict[str, Any] | None, content_type: str) -> bool:
    return content_type in (request_body or {}).get("content", {})


def _raw_path(scope: Scope) -> str:
    """The path as sent, still percent-encoded: Kibana (hapi) matches routes on it and decodes
    each path parameter once, so ``a%2Fb`` is one segment and ``%2541`` stays ``%41``."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else quote(scope["path"])


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
        reply.body = _to_json(reply.body)
    return reply


def _to_json(value: Any) -> bytes:
    """JSON as JavaScript's JSON.stringify writes it: a number too large for a double (``1e400``
    in a request) becomes null, and a lone surrogate (``"\\ud800"``) is escaped, not an encoding error."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except ValueError:  # a non-finite float, or a lone surrogate (UnicodeEncodeError)
        return json.dumps(_finite(value), separators=(",", ":")).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


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
