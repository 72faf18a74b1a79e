"""Pytest hooks that turn test outcomes into result records, and the records into reports.

Registered by ``plugin.activate`` in every process of a run: workers attach a record to each
report and send their coverage home; the controller gathers both and writes the reports.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .. import __version__
from ..catalog import load_catalog
from ..suite.expect import ConformanceFailure
from ..suite.footprint import Footprint, Restorer
from .results import FAILURE_TEXT_LIMIT, Coverage, TestRecord, build_results, reproduction_from, write_json

EXCHANGES_KEPT = 4


@dataclass
class Gate:
    """What decides the verdict besides the tests: the baseline and the flavour's divergences."""

    baseline_path: Path | None
    entries: list[Any]
    skips: list[Any]
    divergences: list[Any]
    flavour: str | None
    prune: bool
    update: bool
    update_path: Path
COVERAGE_KEY = "kct_coverage"
FOOTPRINT_KEY = "kct_footprint"
GENERATED_KEY = "kct_generated"


class ResultCollector:
    """One per process. ``coverage`` is fed by the suite's HTTP client and schemathesis calls."""

    def __init__(self, config: pytest.Config, session: Any, report_dir: Path | None) -> None:
        self.config = config
        self.session = session
        self.report_dir = report_dir
        self.coverage = Coverage()
        self.footprint = Footprint()
        self.generated: Counter[str] = Counter()
        self.restorer: Restorer | None = None
        self.coverage_lock = threading.Lock()
        self.records: dict[str, TestRecord] = {}
        self.started = time.time()
        self.is_worker = hasattr(config, "workerinput")
        self.results: dict[str, Any] | None = None
        self.gate: Gate | None = None
        self.notes: list[str] = []

    def record_exchange(self, method: str, url: str, status: int | None, headers: dict[str, str], body: bytes) -> None:
        with self.coverage_lock:
            self.coverage.record(load_catalog(), method, url, status, headers)
        self.footprint.observe(method, url, status, body)

    def record_generated(self, method: str, url: str, status: int | None, headers: dict[str, str], body: bytes) -> None:
        """A request the property tests generated (counted per operation, for the benchmarks)."""
        found = load_catalog().match(method, re.sub(r"^/s/[^/]+", "", urlsplit(url).path))
        with self.coverage_lock:
            self.generated[found[0].id if found else f"{method.upper()} (undocumented)"] += 1
        self.record_exchange(method, url, status, headers, body)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        from ..plugin import META_KEY

        meta = item.stash.get(META_KEY, None)
        if meta is None:
            return
        relevant = report.when == "call" or (report.when == "setup" and not report.passed) or (report.when == "teardown" and report.failed)
        if not relevant:
            return
        redactor = self.session.target.redactor
        record = TestRecord(
            report.nodeid, meta.requirement, meta.category, meta.doc, list(meta.operations), duration=report.duration, finished_at=time.time()
        )
        exchanges = self.session.target.recorder.take()
        if report.skipped:
            record.skip_reason = _skip_reason(report)
        elif report.failed:
            error = call.excinfo.value if call.excinfo else None
            if isinstance(error, ConformanceFailure):
                record.summary, record.received, record.documented = error.summary, error.received, error.documented
                # The requirement and Received/Documented say it all; a traceback would only bury it.
                report.longrepr = redactor.text(f"[{meta.requirement}] {error}")
            elif _is_check_failures(error):
                # schemathesis' own report (each failure, the response, a curl line) without the
                # exception-group traceback pytest would print around it.
                notes = "".join(f"\n{note}" for note in getattr(error, "__notes__", []))
                report.longrepr = redactor.text(f"[{meta.requirement}] {error.message}{notes}")  # type: ignore[union-attr]
                report.kct_longrepr = report.longrepr  # type: ignore[attr-defined]
                record.summary = "; ".join(dict.fromkeys(getattr(f, "title", None) or str(f) for f in error.exceptions))[:300]  # type: ignore[union-attr]
            text = redactor.text(str(report.longrepr))[-FAILURE_TEXT_LIMIT:]
            record.failure_text = text
            record.summary = record.summary or _first_line(error, text)
            kept = [vars(e) | {"curl": e.curl()} for e in exchanges[-EXCHANGES_KEPT:]]
            record.exchanges = json.loads(redactor.text(json.dumps(kept)))
            record.reproduction = kept[-1]["curl"] if kept else reproduction_from(text)
            _attach_for_allure(record)
        report.kct_test = vars(record)  # type: ignore[attr-defined]

    @pytest.hookimpl(trylast=True)
    def pytest_exception_interact(self, node: Any, call: Any, report: Any) -> None:
        """schemathesis re-renders its failures with a traceback here (after the report is made): keep ours."""
        readable = getattr(report, "kct_longrepr", None)
        if readable is not None:
            report.longrepr = readable

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "kct_test", None)
        if data is None or self.is_worker:
            return
        record = TestRecord(**data)
        if report.passed:
            record.outcome = "passed"
        elif report.skipped:
            record.outcome = "skipped"
        else:
            record.outcome = "failed" if report.when == "call" else "error"
        self.records[report.nodeid] = record

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        self.coverage.merge(output.get(COVERAGE_KEY, {}))
        self.generated.update(output.get(GENERATED_KEY, {}))
        self.footprint.merge(output.get(FOOTPRINT_KEY, []))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            self.config.workeroutput[COVERAGE_KEY] = self.coverage.as_dict()  # type: ignore[attr-defined]
            self.config.workeroutput[FOOTPRINT_KEY] = self.footprint.as_list()  # type: ignore[attr-defined]
            self.config.workeroutput[GENERATED_KEY] = dict(self.generated)  # type: ignore[attr-defined]
            return
        restored = self.restorer.restore() if self.restorer else []
        if not self.records:
            return
        records = list(self.records.values())
        baseline = self._apply_gate(records)
        self.results = build_results(records, self.coverage, self.run_info(), baseline)
        self.results["footprint"] = {"writes": self.footprint.as_list(), "restored": restored}
        self.results["generated_requests"] = dict(sorted(self.generated.items()))
        if baseline and baseline["expired"]:
            self.results["verdict"] = "not conformant"
        if self.results["verdict"] == "conformant" and session.exitstatus == pytest.ExitCode.TESTS_FAILED:
            session.exitstatus = pytest.ExitCode.OK
        elif self.results["verdict"] in ("not conformant", "incomplete") and session.exitstatus == pytest.ExitCode.OK:
            # Nothing verified is not a pass: an incomplete run fails the gate like a failing one.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.report_dir is not None:
            write_json(self.report_dir / "results.json", self.results)
            from .html import write_html

            write_html(self.report_dir / "index.html", self.results)

    def _apply_gate(self, records: list[TestRecord]) -> dict[str, Any] | None:
        from .baseline import apply, entries_from_failures, write_baseline

        gate = self.gate
        if gate is None or not (gate.entries or gate.divergences or gate.update):
            return None
        outcome = apply(records, gate.divergences + gate.entries)
        if gate.prune and gate.baseline_path is not None:
            fixed = [(f["requirement"], f.get("operation")) for f in outcome.fixed]
            kept = [e.as_yaml() for e in gate.entries if (e.requirement, e.operation) not in fixed]
            write_baseline(gate.baseline_path, kept, "kibana-conformance baseline (pruned: entries whose checks pass were removed)")
            self.notes.append(f"baseline pruned: {len(gate.entries) - len(kept)} fixed entries removed from {gate.baseline_path}")
        if gate.update:
            entries = entries_from_failures(records)
            write_baseline(gate.update_path, entries, "kibana-conformance baseline: current failures, to review (fill in every reason)")
            self.notes.append(f"baseline written: {len(entries)} entries to {gate.update_path}; review each reason and expiry")
        for entry in outcome.expired:
            self.notes.append(f"baseline entry {entry['requirement']} {entry.get('operation') or ''} expired on {entry['expires']}")
        return {"file": str(gate.baseline_path) if gate.baseline_path else None, "flavour": gate.flavour, **vars(outcome)}

    def run_info(self) -> dict[str, Any]:
        s = self.session
        return {
            "tool": {"name": "kibana-conformance", "version": __version__},
            "target": {
                "url": s.target.redactor.text(s.base_url),
                "embedded": s.embedded,
                "kibana_version": s.kibana_version,
                "space": s.settings.space,
            },
            "seed": s.seed,
            "run_id": s.run_id,
            "started_at": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds"),
            "started_epoch": self.started,
            "duration_s": round(time.time() - self.started, 2),
        }

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.results is None:
            return
        counts = self.results["counts"]
        parts = [f"{counts[k]} {k}" for k in ("passed", "failed", "error", "skipped", "baselined", "fixed") if counts[k]]
        where = f"; report: {self.report_dir / 'index.html'}" if self.report_dir else ""
        for note in self.notes:
            terminalreporter.write_line(f"kibana-conformance: {note}")
        terminalreporter.write_line(f"kibana-conformance: {self.results['verdict'].upper()} ({', '.join(parts)}){where}")


def _attach_for_allure(record: TestRecord) -> None:
    import allure

    if record.reproduction:
        allure.attach(record.reproduction, name="reproduction (curl, credentials redacted)", attachment_type=allure.attachment_type.TEXT)
    if record.received or record.documented:
        allure.attach(f"Received: {record.received}\nDocumented: {record.documented}", name="received vs documented", attachment_type=allure.attachment_type.TEXT)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _is_check_failures(error: BaseException | None) -> bool:
    try:
        from schemathesis.core.failures import FailureGroup
    except ImportError:  # pragma: no cover
        return False
    return isinstance(error, FailureGroup) and bool(error.message)


def _first_line(error: BaseException | None, text: str) -> str:
    if error is not None and str(error).strip():
        return str(error).strip().splitlines()[0][:300]
    return (text.strip().splitlines() or ["failed"])[-1][:300]
