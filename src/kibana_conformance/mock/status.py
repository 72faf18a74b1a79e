"""``GET /api/status``: Kibana's status API, which clients (and the suite's preflight) use to learn the version."""

from __future__ import annotations

from typing import Any

MOCK_KIBANA_VERSION = "9.1.0"


def status_body() -> dict[str, Any]:
    return {
        "name": "kibana-conformance-mock",
        "uuid": "5b2de169-2785-441b-ae8c-186a1936b17d",
        "version": {
            "number": MOCK_KIBANA_VERSION,
            "build_hash": "mock",
            "build_number": 0,
            "build_snapshot": False,
            "build_flavor": "traditional",
        },
        "status": {"overall": {"level": "available", "summary": "All services and plugins are available"}},
    }
