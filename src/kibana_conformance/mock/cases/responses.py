"""HTTP translation for case settings."""

from __future__ import annotations

from ..call import Call, Reply
from .models import CasesBackend


def get_configuration(call: Call) -> Reply:
    owner = call.query.get("owner")
    owners = [owner] if isinstance(owner, str) else owner
    return Reply(200, CasesBackend.of(call).configurations(owners))
