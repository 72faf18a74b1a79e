"""What the HTML report shows, computed once from results.json: areas, operations, cells, findings.

Everything here is linear in the number of tests (a test counts once per operation it touches),
so big runs render as fast as small ones.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .results import reproduction_from

OUTCOMES = ("failed", "error", "baselined", "passed", "skipped")
FAILING = ("failed", "error")
NO_OPERATION = "_none"
NO_OPERATION_AREA = "other"
GUTTER = re.compile(r"^\s*\| ?")
SEPARATOR = re.compile(r"^\s*\+[-+]")


def esc(value: Any) -> str:
    """Text for HTML content and double-quoted attributes: every markup character is escaped."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass
class Operation:
    id: str
    method: str
    path: str
    area: str
    title: str
    statuses: list[str]
    parameters: list[str]
    index: int
    pseudo: bool = False

    @property
    def anchor(self) -> str:
        return f"op-{self.index}"


@dataclass
class Test:
    index: int
    record: dict[str, Any]
    outcome: str
    operations: list[Operation]

    @property
    def anchor(self) -> str:
        return f"t-{self.index}"

    @property
    def areas(self) -> list[str]:
        return sorted({op.area for op in self.operations})

    @property
    def short_name(self) -> str:
        return short_name(self.record.get("nodeid", ""))

    @property
    def is_finding(self) -> bool:
        return self.outcome in FAILING or self.outcome == "baselined"


@dataclass
class Model:
    results: dict[str, Any]
    categories: list[str]
    operations: list[Operation]
    areas: list[tuple[str, list[Operation]]]
    tests: list[Test]
    cells: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    rows: dict[str, Counter[str]] = field(default_factory=dict)
    statuses: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Test]:
        return [t for t in self.tests if t.is_finding]

    def failing_operations(self) -> list[tuple[Operation, Counter[str]]]:
        return [(op, self.rows[op.id]) for _, ops in self.areas for op in ops if any(self.rows[op.id][o] for o in FAILING)]


def build_model(results: dict[str, Any]) -> Model:
    categories = list(results.get("categories") or [])
    operations = [
        Operation(
            str(op.get("id", "")),
            str(op.get("method", "")),
            str(op.get("path", "")),
            str(op.get("area") or "other"),
            str(op.get("title", "")),
            [str(s) for s in op.get("statuses", [])],
            [str(p) for p in op.get("parameters", [])],
            i,
        )
        for i, op in enumerate(results.get("operations") or [])
    ]
    by_id = {op.id: op for op in operations}
    pseudo: Operation | None = None
    tests: list[Test] = []
    cells: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for i, record in enumerate(results.get("tests") or []):
        outcome = str(record.get("outcome") or "passed")
        ops = [by_id[o] for o in dict.fromkeys(record.get("operations") or []) if o in by_id]
        if not ops:
            if pseudo is None:
                pseudo = Operation(NO_OPERATION, "", "", NO_OPERATION_AREA, "Checks not tied to one operation", [], [], len(operations), True)
            ops = [pseudo]
        category = str(record.get("category") or "")
        if category not in categories:
            categories.append(category)
        for op in ops:
            cells[(op.id, category)][outcome] += 1
            rows[op.id][outcome] += 1
        tests.append(Test(i, record, outcome, ops))
    everything = operations + ([pseudo] if pseudo else [])
    grouped: dict[str, list[Operation]] = defaultdict(list)
    for op in everything:
        grouped[op.area].append(op)
    areas = sorted(grouped.items(), key=lambda item: (item[0] == NO_OPERATION_AREA and pseudo is not None, item[0]))
    present = Counter(t.outcome for t in tests)
    statuses = [o for o in OUTCOMES if o not in ("error",) or present[o]]
    return Model(results, categories, everything, areas, tests, cells, rows, statuses)


def cell_tone(counts: Counter[str]) -> str:
    """red: anything failed; amber: deviations accepted by a baseline; green: passed; grey: nothing ran."""
    if counts["failed"] or counts["error"]:
        return "red"
    if counts["baselined"]:
        return "amber"
    if counts["passed"]:
        return "green"
    return "grey"


def short_name(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1] if "::" in nodeid else nodeid


def fmt_duration(seconds: Any) -> str:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return "unknown"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fmt_date(value: Any) -> str:
    if not value:
        return "unknown"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    zone = moment.tzname()
    suffix = " UTC" if zone in ("UTC", "UTC+00:00") else (f" {zone}" if zone else "")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + suffix


def clean_failure_text(text: str) -> str:
    """A failure text without the gutters of an exception group ('  | ') and their separators."""
    lines = []
    for line in text.splitlines():
        if SEPARATOR.match(line):
            continue
        lines.append(GUTTER.sub("", line, count=1))
    return "\n".join(lines)


def schemathesis_excerpt(text: str | None) -> str | None:
    """The part of a schemathesis failure a reader needs: the failed checks and the response."""
    if not text:
        return None
    lines = clean_failure_text(text).splitlines()
    start = next((i for i, line in enumerate(lines) if "Schemathesis found" in line), None)
    if start is None:
        return None
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if re.match(r"^\s*\(\d+ sub-exceptions?\)", lines[i]) or lines[i].startswith(("Traceback", "Exception Group", "+ Exception Group")):
            end = i
            break
    kept: list[str] = []
    in_repro = continued = False  # the curl after "Reproduce with:" is shown apart, with a copy button
    for line in lines[start + 1 : end]:
        text = line.strip()
        if text == "Reproduce with:":
            in_repro = True
            continue
        if in_repro and text and (continued or text.startswith("curl ")):
            continued = text.endswith("\\")
            in_repro = continued
            continue
        if text:
            in_repro = False
            kept.append(line)
    spaced: list[str] = []
    for line in textwrap.dedent("\n".join(kept)).splitlines():
        if spaced and not line[:1].isspace():
            spaced.append("")  # a blank line before each top-level block
        spaced.append(line)
    return "\n".join(spaced) or None


def reproduction(record: dict[str, Any]) -> str | None:
    found = record.get("reproduction")
    if found:
        return str(found)
    text = record.get("failure_text")
    return reproduction_from(clean_failure_text(str(text))) if text else None


def display_summary(record: dict[str, Any]) -> str:
    """The one-line summary of a finding; for schemathesis, its first failed check rather than a count."""
    summary = str(record.get("summary") or "failed")
    if not summary.startswith("Schemathesis found"):
        return summary
    excerpt = schemathesis_excerpt(record.get("failure_text"))
    lines = [line.strip() for line in (excerpt or "").splitlines() if line.strip()]
    checks = [i for i, line in enumerate(lines) if line.startswith("- ")]
    if not checks:
        return summary
    name = re.sub(r"^[A-Z]+\d+\s+", "", lines[checks[0]][2:])
    detail = lines[checks[0] + 1] if checks[0] + 1 < len(lines) and not lines[checks[0] + 1].startswith(("- ", "[")) else ""
    more = f" (and {len(checks) - 1} more)" if len(checks) > 1 else ""
    text = f"{name}: {detail}" if detail else name
    return (text[:240] + "…" if len(text) > 240 else text) + more
