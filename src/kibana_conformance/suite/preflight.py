"""Before any test: does the target answer like Kibana, and does it accept the credentials?

A target that fails this ends the run at once with one line and exit code 3, instead of
hundreds of failures that all say the same thing.
"""

from __future__ import annotations

import json

from .. import exit_codes
from ..catalog import load_catalog
from ..transport import TransportError
from .context import RunContext


class TargetUnavailable(Exception):
    """The target cannot be reached, is not Kibana at this base URL, or rejects the credentials."""

    exit_code = exit_codes.TARGET_UNAVAILABLE


def _probe_path() -> str:
    return next(op.path for op in load_catalog() if op.method == "GET" and "{" not in op.path)


def preflight(ctx: RunContext) -> None:
    """Check once that the target answers and accepts the credentials; learn its version."""
    target = ctx.target
    shown = ctx.describe_target()
    try:
        response = target.request("GET", "/api/status", expect_missing=True)
        if response.status_code == 404:
            probe = _probe_path()
            response = target.request("GET", probe, expect_missing=True)
            if response.status_code == 404:
                raise TargetUnavailable(
                    f"{shown} answers 404 to both /api/status and {probe}: nothing Kibana-like is served at this base URL; "
                    "check the base path (Kibana's server.basePath) in --base-url"
                )
    except TransportError as exc:
        raise TargetUnavailable(f"{shown}: {exc.what}") from None
    status = response.status_code
    if status == 401:
        kind = {"api-key": "the API key", "basic": "the user name and password"}.get(ctx.settings.credentials_kind, "no credentials")
        raise TargetUnavailable(f"{shown} rejected {kind} (401); check --api-key or --username/--password")
    if 300 <= status < 400:
        location = response.headers.get("location", "?")
        if str(response.request.url.join(location)) == str(response.request.url):
            raise TargetUnavailable(f"{shown} redirects {response.request.url.path} to itself (a redirect loop); it is not serving")
        raise TargetUnavailable(f"{shown} redirects to {ctx.redactor.text(location)!r}; give the final URL as --base-url")
    if status >= 500:
        raise TargetUnavailable(f"{shown} answers {status} to a status request; it is not serving")
    if status in (429, 503):
        raise TargetUnavailable(f"{shown} answers {status} (too busy) to a status request, even after waiting; try again later or lower --max-rps")
    content_type = response.headers.get("content-type", "")
    if status < 300 and "json" not in content_type.lower():
        page = "html" in content_type.lower() or response.content.lstrip()[:1] == b"<"
        what = "an HTML page" if page else f"a {content_type or 'body without a content type'}"
        raise TargetUnavailable(
            f"{shown} answers {response.request.method} {response.request.url.path} with {what} ({status}), "
            "not Kibana's JSON: is a login page or a proxy in the way? give Kibana's own URL as --base-url"
        )
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    version = body.get("version") if isinstance(body, dict) else None
    number = version.get("number") if isinstance(version, dict) else None
    ctx.kibana_version = ctx.settings.kibana_version or (number if isinstance(number, str) and len(number) < 40 else None)
