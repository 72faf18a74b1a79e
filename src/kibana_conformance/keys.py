"""What the plugin and the run's lifecycle keep on pytest's objects (``config.stash``, ``item.stash``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from .suite.context import RunContext


@dataclass(frozen=True)
class TestMeta:
    """What a suite test verifies: a requirement of one category, about some operations."""

    __test__ = False
    requirement: str
    category: str
    doc: str
    operations: tuple[str, ...] = field(default=())
    since: str | None = None  # the first Kibana version the requirement holds for (None: unknown, every version)
    until: str | None = None  # the first Kibana version it no longer holds for (exclusive)


RUN_KEY = pytest.StashKey[RunContext]()
META_KEY = pytest.StashKey[TestMeta]()
