"""Fault injection: each fault is one realistic bug, kept in one place and named.

A fault wraps one pipeline stage (see ``pipeline.py``) for one or more operations:
``wrap(call, proceed, *extra)`` may call ``proceed()`` (the correct behaviour) and then
change its outcome, or not call it at all. ``kibana-conformance mock --fault NAME``
and ``MockConfig(faults=(NAME,))`` switch faults on.

Stages: ``authenticate``, ``check_xsrf``, ``authorize``, ``check_version`` and ``validate`` raise
``KibanaError`` to refuse a call (skipping ``proceed()`` skips the check); ``handle`` returns
the handler's ``Reply``; ``finish`` gets the reply as ``extra[0]`` and returns it. A reply's
body is already JSON bytes: read it with :func:`reply_json` and write it back with
:func:`set_json`, so a fault never touches the stored state by accident.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import KibanaError

STAGES = ("authenticate", "check_xsrf", "authorize", "check_version", "validate", "handle", "finish")


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    stage: str
    operations: frozenset[str] | None
    wrap: Callable[..., Any]
    invisible: str | None = None
    # The requirement ids whose tests are meant to catch the fault: selftest credits a kill only
    # when one of them fails (other failures are collateral, reported apart).
    expected: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "operations": sorted(self.operations) if self.operations else None,
            "expected": sorted(self.expected),
            "invisible": self.invisible,
        }

    def applies_to(self, operation_id: str) -> bool:
        return self.operations is None or operation_id in self.operations


REGISTRY: dict[str, Fault] = {}


class FaultBroke(Exception):
    """Marks an exception that came out of a fault's own code (not a Kibana refusal): a broken fault."""


def reply_json(reply: Any) -> Any:
    """A fresh copy of a reply's JSON body (None when it has none)."""
    return json.loads(reply.body) if reply.body else None


def set_json(reply: Any, body: Any) -> Any:
    reply.body = json.dumps(body, separators=(",", ":")).encode()
    return reply


def refusal_replaced(proceed: Callable[[], Any], status: int, replacement: Callable[[KibanaError], Exception], contains: str = "") -> Any:
    """``proceed()``, but a refusal with ``status`` (and ``contains`` in its message) raises ``replacement(error)`` instead."""
    try:
        return proceed()
    except KibanaError as error:
        if error.status != status or contains not in error.message:
            raise
        raise replacement(error) from None


def fault(
    name: str,
    description: str,
    *,
    stage: str,
    expected: Iterable[str] = (),
    operations: Iterable[str] | None = None,
    invisible: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated ``wrap(call, proceed, *extra)`` as the fault ``name``.

    ``expected`` names the requirements whose tests should catch it. ``invisible`` is the reason
    no black-box test can see the fault, for the rare fault that only changes what the documented
    operations cannot observe (it expects nothing).
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    if not expected and not invisible:
        raise ValueError(f"fault {name!r}: name the requirements expected to catch it (expected=...)")

    def register(wrap: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY:
            raise ValueError(f"fault {name!r} is defined twice")
        REGISTRY[name] = Fault(name, description, stage, frozenset(operations) if operations else None, wrap, invisible, frozenset(expected))
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
