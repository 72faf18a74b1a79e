"""Stream definitions. Streams are Elasticsearch data streams and index templates, so they
belong to the whole deployment, not to a space.

Kibana keeps three kinds: wired streams (``logs`` and its ``logs.*`` children, routed by
Kibana), classic streams (existing data streams it only describes) and group streams,
which gather other streams under a description, tags and metadata.
"""

from __future__ import annotations

from typing import Any

from ..errors import bad_request, not_found
from ..state import Backend


def _wired(name: str, description: str, routing: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "ingest": {"lifecycle": {"inherit": {}}, "processing": [], "wired": {"fields": {}, "routing": routing}},
    }


def _route(destination: str, field: str, value: str) -> dict[str, Any]:
    return {"destination": destination, "if": {"field": field, "operator": "eq", "value": value}, "status": "enabled"}


def _group(name: str, description: str, members: list[str], metadata: dict[str, str], tags: list[str]) -> dict[str, Any]:
    group = {"description": description, "members": members, "metadata": metadata, "tags": tags}
    return {"name": name, "description": description, "group": group}


class StreamsBackend(Backend):
    area = "streams"

    @classmethod
    def seed_shared(cls) -> dict[str, Any]:
        streams = [
            _wired(
                "logs",
                "Root of the wired log streams",
                [_route(f"logs.{service}", "service.name", service) for service in ("nginx", "checkout", "payments-api")],
            ),
            _wired("logs.nginx", "Access and error logs of the edge proxies", []),
            _wired("logs.checkout", "Checkout service logs", []),
            _wired("logs.payments-api", "Payments API logs", []),
            {
                "name": "logs-nginx.access-default",
                "description": "",
                "ingest": {"lifecycle": {"inherit": {}}, "processing": [], "classic": {}},
            },
            _group(
                "web-services",
                "Everything that serves public web traffic",
                ["logs.nginx", "logs-nginx.access-default"],
                {"owner": "team-web", "tier": "frontend"},
                ["web", "production"],
            ),
            _group(
                "payments",
                "Checkout and payment processing",
                ["logs.checkout", "logs.payments-api"],
                {"owner": "team-payments", "pci": "in-scope"},
                ["payments", "production", "pci"],
            ),
        ]
        return {"streams": {stream["name"]: stream for stream in streams}}

    def group_settings(self, name: str) -> dict[str, Any]:
        stream = self.shared["streams"].get(name)
        if stream is None:
            raise not_found(f"Cannot find stream {name}")
        if "group" not in stream:
            raise bad_request("Stream is not a group stream")  # Kibana names no stream in this message
        return {"group": stream["group"]}
