"""HTTP translation for entity analytics and the entity store."""

from __future__ import annotations

from ..call import Call, Reply
from .models import EntityAnalyticsBackend


def get_privilege_monitoring_health(call: Call) -> Reply:
    return Reply(200, EntityAnalyticsBackend.of(call).privilege_monitoring_health())


def list_engines(call: Call) -> Reply:
    return Reply(200, EntityAnalyticsBackend.of(call).engines())
