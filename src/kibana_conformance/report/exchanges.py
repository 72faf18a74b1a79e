"""Exchanges as the reports show them: excerpts of bodies, and a curl line that reproduces a request.

Raw exchanges (:class:`~kibana_conformance.transport.Exchange`) go through the redaction point
on their way into any artifact; the curl line names the credentials ``$KIBANA_AUTH`` instead.
"""

from __future__ import annotations

from typing import Any

EXCERPT_BYTES = 2048
SKIPPED_IN_CURL = ("host", "content-length", "accept-encoding", "connection", "user-agent", "accept")


def excerpt(content: bytes, size: int | None = None) -> str:
    total = len(content) if size is None else size
    text = content[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return text + (f"... ({total} bytes)" if total > EXCERPT_BYTES else "")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def to_curl(exchange: Any) -> str:
    parts = [f"curl -sS -X {exchange.method} {_quote(exchange.url)}"]
    for name, value in exchange.request_headers:
        if name.lower() in SKIPPED_IN_CURL:
            continue
        if name.lower() == "authorization":
            value = "$KIBANA_AUTH"
        parts.append(f"-H {_quote(f'{name}: {value}')}")
    if exchange.request_body:
        parts.append(f"--data-binary {_quote(excerpt(exchange.request_body))}")
    return " \\\n  ".join(parts)


def exchange_dict(exchange: Any) -> dict[str, Any]:
    """An exchange for a failure report: excerpts, and a curl line that reproduces it without credentials."""
    return {
        "method": exchange.method,
        "url": exchange.url,
        "request_headers": dict(exchange.request_headers),
        "request_body": excerpt(exchange.request_body),
        "status": exchange.status,
        "response_headers": dict(exchange.response_headers),
        "response_body": excerpt(exchange.response_body, exchange.response_size),
        "error": exchange.error,
        "curl": to_curl(exchange),
        "har_id": exchange.har_id,
    }
