"""Fault injection: each fault is one realistic bug, kept in one place and named.

A fault wraps one pipeline stage (see ``pipeline.py``) for one or more operations:
``wrap(call, proceed, *extra)`` may call ``proceed()`` (the correct behaviour) and then
change its outcome, or not call it at all. ``kibana-conformance mock --fault NAME``
and ``MockConfig(faults=(NAME,))`` switch faults on.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

STAGES = ("authenticate", "check_xsrf", "check_version", "validate", "handle", "finish")


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    stage: str
    operations: frozenset[str] | None
    wrap: Callable[..., Any]

    def applies_to(self, operation_id: str) -> bool:
        return self.operations is None or operation_id in self.operations


REGISTRY: dict[str, Fault] = {}


def fault(name: str, description: str, *, stage: str, operations: Iterable[str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated ``wrap(call, proceed, *extra)`` as the fault ``name``."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")

    def register(wrap: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY:
            raise ValueError(f"fault {name!r} is defined twice")
        REGISTRY[name] = Fault(name, description, stage, frozenset(operations) if operations else None, wrap)
        return wrap

    return register


def catalogue() -> dict[str, Fault]:
    """Every known fault, by name (importing the modules of this package registers them)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(REGISTRY.items()))


def resolve_faults(names: Iterable[str]) -> tuple[Fault, ...]:
    known = catalogue()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r}; `kibana-conformance mock --list-faults` lists the {len(known)} known faults")
    return tuple(known[n] for n in names)
