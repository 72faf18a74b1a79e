"""Accepted deviations: a baseline file, and the known divergences of a target flavour.

A baseline is a YAML list of entries ``{requirement, operation?, reason, expires}``. A failure
an entry covers does not fail the gate but stays in the report; an expired entry fails the
gate; an entry whose checks all pass now is reported as fixed.

A flavour entry (``suites/flavours.yaml``) is a known divergence: besides the requirement, reason
and effect it carries its evidence (``evidence`` in Kibana's or Elastic's sources, or a ``link``),
``expires``, and the Kibana versions it is observed in (``since``, ``until``, when known). Expired,
or out of the target's version range, it is not applied (its tests run and are judged strictly)
and the report lists it as not applied with the reason; it does not fail the gate by itself.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..versions import not_accepted, version_key
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
    since: str | None = None
    until: str | None = None
    evidence: tuple[dict[str, str], ...] = ()
    link: str | None = None

    def covers(self, record: TestRecord) -> bool:
        if self.requirement != "*" and self.requirement != record.requirement:
            return False
        return self.operation is None or self.operation in record.operations

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def refusal(self, version: str | None, today: dt.date) -> str | None:
        """Why a flavour's divergence does not apply to a target of ``version`` on ``today`` (None: it does)."""
        return not_accepted(version, self.since, self.until, self.expires, today)

    def as_yaml(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"requirement": self.requirement}
        if self.operation:
            entry["operation"] = self.operation
        entry["reason"] = self.reason
        for key in ("since", "until"):
            if getattr(self, key):
                entry[key] = getattr(self, key)
        if self.expires:
            entry["expires"] = self.expires.isoformat()
        if self.evidence:
            entry["evidence"] = [dict(e) for e in self.evidence]
        if self.link:
            entry["link"] = self.link
        return entry


BASELINE_KEYS = {"requirement", "operation", "reason", "expires"}
FLAVOUR_KEYS = BASELINE_KEYS | {"effect", "since", "until", "evidence", "link"}
EVIDENCE_KEYS = ("repo", "path", "commit", "facts")


def _entry(raw: Any, where: str, *, flavour: bool, source: str) -> Entry:
    if not isinstance(raw, dict):
        raise BaselineError(f"{where}: an entry is a mapping with requirement, reason, expires{', evidence or link' if flavour else ''}")
    unknown = set(raw) - (FLAVOUR_KEYS if flavour else BASELINE_KEYS)
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
    if not isinstance(expires, dt.date):
        raise BaselineError(f"{where}: 'expires' (YYYY-MM-DD) is missing: every accepted deviation has an end date")
    operation = raw.get("operation")
    if operation is not None and not isinstance(operation, str):
        raise BaselineError(f"{where}: 'operation' is an operation id")
    entry = Entry(requirement.strip(), reason.strip(), operation, expires, source)
    return _divergence(raw, where, entry) if flavour else entry


def _divergence(raw: dict[str, Any], where: str, entry: Entry) -> Entry:
    """A flavour entry's evidence and version range."""
    versions = {}
    for key in ("since", "until"):
        value = raw.get(key)
        if value is not None:
            value = str(value)  # YAML reads 9.1 as a number
            if version_key(value) is None:
                raise BaselineError(f"{where}: '{key}' is not a Kibana version (such as 9.1.0): {raw[key]!r}")
            versions[key] = value
    if "since" in versions and "until" in versions and version_key(versions["until"]) <= version_key(versions["since"]):  # type: ignore[operator]
        raise BaselineError(f"{where}: 'until' {versions['until']} is not after 'since' {versions['since']}: the range holds no version")
    evidence = raw.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(e, dict) for e in evidence):
        raise BaselineError(f"{where}: 'evidence' is a list of {{{', '.join(EVIDENCE_KEYS)}}}")
    for item in evidence:
        missing = [k for k in EVIDENCE_KEYS if not isinstance(item.get(k), str) or not item[k].strip()]
        if missing or set(item) - set(EVIDENCE_KEYS):
            raise BaselineError(f"{where}: an 'evidence' item has exactly {', '.join(EVIDENCE_KEYS)} ({'missing ' + missing[0] if missing else 'unknown keys'})")
        if not re.fullmatch(r"[0-9a-f]{40}", item["commit"]):
            raise BaselineError(f"{where}: an 'evidence' commit is 40 hexadecimal digits, got {item['commit']!r}")
    link = raw.get("link")
    if link is not None and (not isinstance(link, str) or not link.startswith("https://")):
        raise BaselineError(f"{where}: 'link' is an https:// address")
    if not evidence and not link:
        raise BaselineError(f"{where}: a known divergence needs its evidence (repo, path, commit, facts) or a link")
    return Entry(
        entry.requirement, entry.reason, entry.operation, entry.expires, entry.source, versions.get("since"), versions.get("until"), tuple(evidence), link
    )


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
    return [_entry(raw, f"{path} entry {i + 1}", flavour=False, source="baseline") for i, raw in enumerate(data)]


def load_flavour(path: Path, flavour: str) -> tuple[list[Entry], list[Entry]]:
    """The flavour's divergences: (entries whose tests are skipped, entries whose failures are expected)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if flavour not in data:
        raise BaselineError(f"--target-flavour: unknown flavour {flavour!r}; flavours are {', '.join(sorted(data))}")
    skips, divergences = [], []
    for i, raw in enumerate(data[flavour] or []):
        entry = _entry(raw, f"{path} {flavour} entry {i + 1}", flavour=True, source=f"flavour {flavour}")
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
    not_applied: list[dict[str, Any]] = field(default_factory=list)  # flavour divergences expired or out of the target's versions

    @property
    def fails_gate(self) -> bool:
        return bool(self.expired)


def apply(records: list[TestRecord], entries: list[Entry], today: dt.date | None = None, version: str | None = None) -> BaselineOutcome:
    """Mark covered failures as baselined; find expired and fixed entries, and the flavour's divergences
    that do not apply to a target of ``version`` (expired, or observed in other versions)."""
    today = today or dt.date.today()
    outcome = BaselineOutcome([], [], [])
    for entry in entries:
        covered = [r for r in records if entry.covers(r)]
        if entry.source == "baseline" and entry.expired(today):
            outcome.expired.append(entry.as_yaml())
            continue
        refusal = entry.refusal(version, today) if entry.source != "baseline" else None
        if refusal:
            outcome.not_applied.append(entry.as_yaml() | {"why": refusal})
            continue
        failing = [r for r in covered if r.outcome in ("failed", "error")]
        for record in failing:
            record.outcome = "baselined"
            record.baseline_reason = f"{entry.reason} ({entry.source}{', expires ' + entry.expires.isoformat() if entry.expires else ''})"
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
