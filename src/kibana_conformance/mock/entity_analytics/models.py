"""Entity analytics: Privilege Monitoring and the entity store engines, per space."""

from __future__ import annotations

from typing import Any

from ..state import Backend


def _engine(entity_type: str) -> dict[str, Any]:
    """An engine as Kibana starts it with the default settings."""
    return {
        "type": entity_type,
        "status": "started",
        "indexPattern": "",
        "filter": "",
        "fieldHistoryLength": 10,
        "lookbackPeriod": "24h",
        "timestampField": "@timestamp",
        "frequency": "1m",
        "delay": "1m",
        "timeout": "180s",
        # -1 is Kibana's "no throttling" value for the transform.
        "docsPerSecond": -1,
    }


class EntityAnalyticsBackend(Backend):
    area = "entity_analytics"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        return {"privilege_monitoring": {"ok": True}, "entity_store": {"engines": [_engine("host"), _engine("user")]}}

    def privilege_monitoring_health(self) -> dict[str, Any]:
        return dict(self.data["privilege_monitoring"])

    def engines(self) -> dict[str, Any]:
        engines = [dict(engine) for engine in self.data["entity_store"]["engines"]]
        return {"count": len(engines), "engines": engines}
