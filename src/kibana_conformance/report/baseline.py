"""Accepted deviations: a baseline file, and the known divergences of a target flavour.

A baseline is a YAML list of entries ``{requirement, operation?, reason, expires}``. A failure
an entry covers does not fail the gate but stays in the report; an expired entry fails the
gate; an entry whose checks all pass now is reported as fixed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .results import TestRecord

DEFAULT_REVIEW_DAYS = 90


class BaselineError(ValueError):
    """A baseline or flavour file that cannot be used (reported as a usage error)."""


@dataclass(frozen=True)
class Entry:
    requirement: str
    reason: str
    operation: str | None = None
    expires: dt.date | None = None
    source: str = "baseline"

    def covers(self, record: TestRecord) -> bool:
        if self.requirement != "*" and self.requirement != record.requirement:
            return False
        return self.operation is None or self.operation in record.operations

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def as_yaml(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"requirement": self.requirement}
        if self.operation:
            entry["operation"] = self.operation
        entry["reason"] = self.reason
        if self.expires:
            entry["expires"] = self.expires.isoformat()
        return entry


def _entry(raw: Any, where: str, *, needs_expiry: bool, source: str) -> Entry:
    if not isinstance(raw, dict):
        raise BaselineError(f"{where}: an entry is a mapping with requirement, reason{', expires' if needs_expiry else ''}")
    unknown = set(raw) - {"requirement", "operation", "reason", "expires", "effect"}
    if unknown:
        raise BaselineError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    requirement, reason = raw.get("requirement"), raw.get("reason")
    if not isinstance(requirement, str) or not requirement.strip():
        raise BaselineError(f"{where}: 'requirement' is missing")
    if not isinstance(reason, str) or not reason.strip():
        raise BaselineError(f"{where}: 'reason' is missing: say why the deviation is accepted")
    expires = raw.get("expires")
    if isinstance(expires, dt.datetime):  # YAML reads 2027-01-01T10:00:00 as a datetime: its day is the end date
        expires = expires.date()
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise BaselineError(f"{where}: 'expires' is not a date (YYYY-MM-DD): {expires!r}") from None
    if needs_expiry and not isinstance(expires, dt.date):
        raise BaselineError(f"{where}: 'expires' (YYYY-MM-DD) is missing: every accepted deviation has an end date")
    operation = raw.get("operation")
    if operation is not None and not isinstance(operation, str):
        raise BaselineError(f"{where}: 'operation' is an operation id")
    return Entry(requirement.strip(), reason.strip(), operation, expires if isinstance(expires, dt.date) else None, source)


def load_baseline(path: Path) -> list[Entry]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BaselineError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise BaselineError(f"{path}: a baseline is a YAML list of entries")
    return [_entry(raw, f"{path} entry {i + 1}", needs_expiry=True, source="baseline") for i, raw in enumerate(data)]


def load_flavour(path: Path, flavour: str) -> tuple[list[Entry], list[Entry]]:
    """The flavour's divergences: (entries whose tests are skipped, entries whose failures are expected)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if flavour not in data:
        raise BaselineError(f"--target-flavour: unknown flavour {flavour!r}; flavours are {', '.join(sorted(data))}")
    skips, divergences = [], []
    for i, raw in enumerate(data[flavour] or []):
        entry = _entry(raw, f"{path} {flavour} entry {i + 1}", needs_expiry=False, source=f"flavour {flavour}")
        (skips if raw.get("effect") == "skip" else divergences).append(entry)
    return skips, divergences


@dataclass
class Gate:
    """What decides the verdict besides the tests: the baseline and the flavour's divergences."""

    baseline_path: Path | None
    entries: list[Entry]
    skips: list[Entry]
    divergences: list[Entry]
    flavour: str | None
    prune: bool
    update: bool
    update_path: Path


@dataclass
class BaselineOutcome:
    applied: list[dict[str, Any]]
    expired: list[dict[str, Any]]
    fixed: list[dict[str, Any]]

    @property
    def fails_gate(self) -> bool:
        return bool(self.expired)


def apply(records: list[TestRecord], entries: list[Entry], today: dt.date | None = None) -> BaselineOutcome:
    """Mark covered failures as baselined; find expired and fixed entries."""
    today = today or dt.date.today()
    outcome = BaselineOutcome([], [], [])
    for entry in entries:
        covered = [r for r in records if entry.covers(r)]
        if entry.expired(today):
            outcome.expired.append(entry.as_yaml())
            continue
        failing = [r for r in covered if r.outcome in ("failed", "error")]
        for record in failing:
            record.outcome = "baselined"
            record.baseline_reason = f"{entry.reason} ({entry.source}{', until ' + entry.expires.isoformat() if entry.expires else ''})"
        if failing:
            outcome.applied.append(entry.as_yaml() | {"tests": [r.nodeid for r in failing]})
        elif covered and all(r.outcome == "passed" for r in covered) and entry.source == "baseline":
            outcome.fixed.append(entry.as_yaml())
    return outcome


def write_baseline(path: Path, entries: list[dict[str, Any]], header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True) if entries else "[]\n"
    path.write_text(f"# {header}\n{body}", encoding="utf-8")


def entries_from_failures(records: list[TestRecord], today: dt.date | None = None) -> list[dict[str, Any]]:
    """A baseline covering every current failure, one entry per requirement and operation."""
    expires = (today or dt.date.today()) + dt.timedelta(days=DEFAULT_REVIEW_DAYS)
    seen: dict[tuple[str, str | None], dict[str, Any]] = {}
    for record in records:
        if record.outcome not in ("failed", "error", "baselined"):
            continue
        operation = record.operations[0] if len(record.operations) == 1 else None
        seen.setdefault(
            (record.requirement, operation),
            Entry(record.requirement, "TODO: say why this deviation is accepted", operation, expires).as_yaml(),
        )
    return list(seen.values())
