"""HTTP translation for exception list items."""

from __future__ import annotations

from ..call import Call, Reply
from .models import ExceptionListsBackend


def update_item(call: Call) -> Reply:
    item = ExceptionListsBackend.of(call).update_item(call.body, call.user or "")
    return Reply(200, item)
