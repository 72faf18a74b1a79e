"""A run from start to end: the checks before the first test, a record of every test, and at the
end the restore of a live target, the gate (baseline, flavour), the verdict, the reports and the
exit status. Reports are written by :mod:`.report` from the results; nothing there reaches back.

A test ends ``failed`` only when the target broke a stated requirement (a
:class:`~kibana_conformance.findings.Finding`); a transport problem after retries or an exception
in the suite's own code ends it ``error``: the suite could not judge. The report is written
whatever happens: after an interrupt (verdict *interrupted*) and after an internal error.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from . import __version__, har
from .findings import Finding
from .options import Settings
from .keys import META_KEY
from .report.artifacts import ALLURE_DIR, HAR_FILE, JUNIT_FILE, ReportFolder, ReportFolderError, sweep, write_chunks, write_reports
from .report.coverage import excluded_lines, headline, missing_lines
from .report.exchanges import exchange_dict
from .report.results import FAILURE_TEXT_LIMIT, INSUFFICIENT_COVERAGE, OUTCOMES, TestRecord, build_results, reproduction_from
from .suite.context import RunContext, new_context
from .transport import TransportError

EXCHANGES_KEPT = 4
WORKER_OUTPUT = "kct_observed"


@dataclass(eq=False)  # registered as a pytest plugin: hashed by identity
class Outcome:
    """What a run ended with, for ``kibana-conformance run`` (registered as a plugin by the runner)."""

    verdict: str | None = None
    target_unavailable: str | None = None
    internal_error: str | None = None
    report_problems: list[str] = field(default_factory=list)
    report_dir: Path | None = None


def outcome_of(config: pytest.Config) -> Outcome | None:
    """The outcome object ``kibana-conformance run`` registered (pytest.main(plugins=[...])), if any."""
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, Outcome)), None)


@dataclass(eq=False)  # registered as a pytest plugin: hashed by identity
class Selection:
    """The tests ``kibana-conformance run --last-failed`` reruns (node ids as results.json names them)."""

    nodeids: frozenset[str]


def selected_nodeids(config: pytest.Config) -> frozenset[str] | None:
    """The node ids a run is restricted to (the runner's :class:`Selection`, or the controller's, in a worker); None: no restriction."""
    chosen = getattr(config, "workerinput", {}).get("kct_nodeids")
    if chosen is not None:
        return frozenset(chosen)
    return next((p.nodeids for p in config.pluginmanager.get_plugins() if isinstance(p, Selection)), None)


def start_controller(config: pytest.Config, settings: Settings) -> tuple[RunContext, Lifecycle]:
    """The controller's start: the remote-writes gate, the report folder, the target (maybe the bundled mock), the preflight."""
    from .embedded import default_resources, start_mock
    from .suite.footprint import Restorer
    from .suite.preflight import TargetUnavailable, preflight
    from .suite.safety import writes_refused_message

    if not (settings.on_loopback or settings.read_only or settings.allow_writes):
        raise pytest.UsageError(writes_refused_message(settings.base_url or ""))
    if settings.mock_faults and settings.base_url is not None:
        raise pytest.UsageError("--mock-fault applies to the bundled mock only; drop --base-url to use it")
    gate = _gate(settings)
    folder = ReportFolder(settings.report_dir)
    try:
        folder.claim()
    except ReportFolderError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.add_cleanup(folder.release)
    embedded = settings.base_url is None
    stop = mock_stats = None
    if embedded:
        try:
            base_url, settings, stop, mock_stats = start_mock(settings)
        except ValueError as exc:
            raise pytest.UsageError(f"--mock-fault: {exc}") from None
    else:
        base_url = settings.base_url or ""
    ctx = new_context(settings, base_url, default_resources(embedded), embedded=embedded)
    if stop is not None:
        ctx.closers.append(stop)
    ctx.mock_stats = mock_stats
    ctx.gate = gate
    lifecycle = Lifecycle(config, ctx, folder)
    outcome = outcome_of(config)
    print(f"kibana-conformance: checking {ctx.describe_target()} (GET /api/status, at most {settings.timeout:g} s)...", file=sys.stderr, flush=True)
    try:
        preflight(ctx)
    except TargetUnavailable as exc:
        ctx.close()
        if outcome is not None:
            outcome.target_unavailable = str(exc)
        pytest.exit(f"kibana-conformance: {ctx.redactor.text(str(exc))}", returncode=exc.exit_code)
    if not settings.read_only:
        ctx.restorer = Restorer(ctx.target, ctx.prefix, ctx.resources)
        ctx.restorer.capture()
    return ctx, lifecycle


def _gate(settings: Settings) -> Any:
    from .report.baseline import BaselineError, Gate, load_baseline, load_flavour
    from .paths import suites_dir

    path = settings.baseline
    try:
        entries = load_baseline(path) if path and not (settings.baseline_update and not path.exists()) else []
        skips, divergences = load_flavour(suites_dir() / "flavours.yaml", settings.flavour) if settings.flavour else ([], [])
    except BaselineError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Gate(path, entries, skips, divergences, settings.flavour, settings.baseline_prune, settings.baseline_update, path or settings.report_dir / "baseline.yaml")


def _finding_of(error: BaseException | None) -> Finding | None:
    if isinstance(error, Finding):
        return error
    return None


def _schemathesis_failures(error: BaseException | None) -> list[Any] | None:
    """The check failures of a property test (a FailureGroup of findings and schemathesis' own), None for anything else."""
    try:
        from schemathesis.core.failures import Failure, FailureGroup
    except ImportError:  # pragma: no cover
        return None
    if isinstance(error, FailureGroup):
        return list(error.exceptions)
    if isinstance(error, Failure):
        return [error]
    flaky = getattr(error, "exceptions", None)
    if type(error).__name__ == "FlakyFailure" and flaky and all(isinstance(e, (Failure, FailureGroup)) for e in flaky):
        found: list[Any] = []
        for inner in flaky:
            found += list(inner.exceptions) if isinstance(inner, FailureGroup) else [inner]
        return found
    return None


def _where(excinfo: Any) -> str:
    """file:line of the innermost frame of the suite's own code."""
    for entry in reversed(excinfo.traceback):
        path = str(entry.path)
        if "/suites/" in path or "/kibana_conformance/" in path:
            return f"{Path(path).name}:{entry.lineno + 1}"
    return "?"


class Lifecycle:
    """The run's hooks: one instance per process (workers record, the controller gathers and ends the run)."""

    def __init__(self, config: pytest.Config, ctx: RunContext, folder: ReportFolder | None) -> None:
        self.config = config
        self.ctx = ctx
        self.folder = folder
        self.is_worker = hasattr(config, "workerinput")
        self.records: dict[str, TestRecord] = {}
        self.started = time.time()
        self.results: dict[str, Any] | None = None
        self.stopped: str | None = None
        worker_input = getattr(config, "workerinput", {})
        # Every exchange recorded (unless --no-har): spooled as it is to a private folder, redacted once at the end.
        self.spill: Path | None = None
        self.har: har.HarSpool | None = None
        self.har_written = False
        if ctx.settings.har:
            if self.is_worker:
                self.spill = Path(worker_input["kct_har_dir"]) if worker_input.get("kct_har_dir") else None
            else:
                self.spill = har.spill_folder()
                config.add_cleanup(lambda: har.remove(self.spill) if self.spill else None)
        if self.spill is not None:
            self.har = har.HarSpool(self.spill, ctx.redactor, worker_input.get("workerid", "c"), ctx.target.credential_labels())
            ctx.wire.observers.append(self.har.observe)  # after the observer that learns issued secrets
            ctx.wire.retried.append(self.har.observe)

    # --- per test ----------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        meta = item.stash.get(META_KEY, None)
        if meta is None:
            return
        relevant = report.when == "call" or (report.when == "setup" and not report.passed) or (report.when == "teardown" and report.failed)
        if not relevant:
            return
        redactor = self.ctx.redactor
        record = TestRecord(plain_nodeid(report.nodeid), meta.requirement, meta.category, meta.doc, list(meta.operations), duration=report.duration, finished_at=time.time())
        exchanges = self.ctx.wire.recorder.take()
        record.divergences = redactor.data(self.ctx.divergences.take())
        if report.skipped:
            record.outcome = "skipped"
            record.skip_reason = redactor.text(_skip_reason(report))
        elif report.failed:
            self._classify(record, report, call, meta.requirement)
            kept = [exchange_dict(e) for e in exchanges[-EXCHANGES_KEPT:]]
            record.exchanges = redactor.data(kept)
            record.reproduction = redactor.text(kept[-1]["curl"]) if kept else reproduction_from(record.failure_text or "")
        else:
            record.outcome = "divergent" if record.divergences else "passed"
        report.sections = [(title, redactor.text(text)) for title, text in report.sections]
        report.kct_test = asdict(record)  # type: ignore[attr-defined]

    def _classify(self, record: TestRecord, report: pytest.TestReport, call: pytest.CallInfo[None], requirement: str) -> None:
        redactor = self.ctx.redactor
        error = call.excinfo.value if call.excinfo else None
        finding = _finding_of(error)
        failures = None if finding else _schemathesis_failures(error)
        if finding is not None and report.when == "call":
            record.outcome, record.finding_code = "failed", finding.code
            record.summary, record.received, record.documented = finding.summary, finding.received, finding.documented
            report.longrepr = f"[{requirement}] {finding}"
        elif failures is not None and report.when == "call":
            record.outcome = "failed"
            record.finding_code = ",".join(sorted({getattr(f, "code", "ST") for f in failures}))
            titles = list(dict.fromkeys(getattr(f, "title", None) or str(f) for f in failures))
            record.summary = "; ".join(titles)[:300]
            first = next((f for f in failures if isinstance(f, Finding)), None)
            if first is not None:
                record.received, record.documented = first.received, first.documented
            notes = "".join(f"\n{note}" for note in getattr(error, "__notes__", []))
            message = getattr(error, "message", None) or str(error)
            report.longrepr = f"[{requirement}] {message}{notes}"
        elif isinstance(error, TransportError):
            record.outcome, record.error_kind = "error", "transport"
            record.summary = f"the suite could not judge: {error}"
            report.longrepr = f"[{requirement}] {record.summary} (a transport problem after retries, not a failure of the target)"
        else:
            record.outcome, record.error_kind = "error", "suite"
            name = type(error).__name__ if error is not None else "error"
            where = _where(call.excinfo) if call.excinfo else "?"
            record.summary = f"suite error (not the target's failure): {name}: {str(error)[:200]} at {where}"
            if call.excinfo is not None and report.when == "call":
                text = "".join(traceback.format_exception(error)[-6:]) if error is not None else ""
                report.longrepr = f"[{requirement}] {record.summary}\n{text}"
        record.summary = redactor.text(record.summary or "")
        record.received = redactor.text(record.received) if record.received else record.received
        record.documented = redactor.text(record.documented) if record.documented else record.documented
        report.longrepr = redactor.text(str(report.longrepr))
        report.kct_longrepr = report.longrepr  # type: ignore[attr-defined]
        record.failure_text = str(report.longrepr)[-FAILURE_TEXT_LIMIT:]

    @pytest.hookimpl(trylast=True)
    def pytest_exception_interact(self, node: Any, call: Any, report: Any) -> None:
        """schemathesis re-renders its failures with a traceback here (after the report is made): keep ours."""
        readable = getattr(report, "kct_longrepr", None)
        if readable is not None:
            report.longrepr = readable

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        data = getattr(report, "kct_test", None)
        if data and data.get("outcome") == "error" and report.when == "call":
            return "error", "E", "ERROR"
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "kct_test", None)
        if self.is_worker:
            return
        # A worker's text, redacted again with every secret the run has seen so far.
        redactor = self.ctx.redactor
        if report.failed and report.longrepr is not None:
            report.longrepr = redactor.text(str(report.longrepr))
        report.sections = [(title, redactor.text(text)) for title, text in report.sections]
        if data is None:
            return
        record = TestRecord(**data)
        previous = self.records.get(record.nodeid)
        if previous is not None and previous.outcome in ("failed", "error") and record.outcome in ("passed", "divergent"):
            return  # a passing teardown does not undo a failed call
        self.records[record.nodeid] = record

    # --- worker to controller ----------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
        if not data:
            return
        self.ctx.coverage.merge(data.get("coverage", {}))
        self.ctx.coverage.generated.update(data.get("generated", {}))
        self.ctx.footprint.merge(data.get("footprint", []))
        for secret in data.get("secrets", []):
            self.ctx.redactor.add(secret)

    # --- the end -------------------------------------------------------------------------------

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        self.stopped = "interrupted"

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        self.stopped = "internal error"
        outcome = outcome_of(self.config)
        text = self.ctx.redactor.text(str(excinfo.value) if excinfo else str(excrepr).splitlines()[-1])
        if outcome is not None:
            outcome.internal_error = f"{excinfo.typename if excinfo else 'error'}: {text}"[:500]
        if not self.is_worker and self.results is None:
            self._write_reports()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            self.config.workeroutput[WORKER_OUTPUT] = {  # type: ignore[attr-defined]
                "coverage": self.ctx.coverage.as_dict(),
                "generated": dict(self.ctx.coverage.generated),
                "footprint": self.ctx.footprint.as_list(),
                "secrets": list(self.ctx.redactor.secrets),
            }
            if self.har is not None:
                self.har.close()
            return
        if exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop:
            self.stopped = self.stopped or ("interrupted" if exitstatus == pytest.ExitCode.INTERRUPTED else None)
        restored = self.ctx.restorer.restore() if self.ctx.restorer else []
        self._write_reports(restored)
        verdict = (self.results or {}).get("verdict")
        if not self.records and not self.stopped:
            return  # no suite test ran (a plain pytest run with the plugin active): pytest's own status stands
        if verdict == "conformant" and session.exitstatus == pytest.ExitCode.TESTS_FAILED:
            session.exitstatus = pytest.ExitCode.OK
        elif verdict in ("not conformant", "incomplete", INSUFFICIENT_COVERAGE) and session.exitstatus == pytest.ExitCode.OK:
            # Nothing verified is not a pass: an incomplete run fails the gate like a failing one.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _write_reports(self, restored: list[dict[str, Any]] | None = None) -> None:
        outcome = outcome_of(self.config)
        try:
            records = list(self.records.values())
            baseline = self._apply_gate(records)
            settings = self.ctx.settings
            self.results = build_results(records, self.ctx.coverage.as_dict(), self.run_info(), baseline, self.stopped, not_selected(settings), settings.min_coverage if settings.shard is None else None)
            self.results["footprint"] = {"writes": self.ctx.footprint.as_list(), "restored": restored or []}
            self.results["generated_requests"] = dict(sorted(self.ctx.coverage.generated.items()))
            if outcome is not None and outcome.internal_error:
                self.results["internal_error"] = outcome.internal_error
            if baseline and baseline["expired"] and self.results["verdict"] in ("conformant", INSUFFICIENT_COVERAGE):
                self.results["verdict"] = "not conformant"
            for entry in self.results.get("known_divergences") or []:
                if not entry["accepted"]:
                    self.ctx.notes.append(f"known divergence {entry['decision']} of {entry['operation']} not accepted (judged strictly): {entry['why']}")
            problems = self._write_har(records)
            problems += write_reports(self.results, self.ctx.settings.report_dir, self.ctx.redactor, allure=not self._allure_pytest_writes_ours())
        except Exception as exc:  # the verdict must reach the user even when a report cannot be made
            problems = [f"internal error while writing the reports: {type(exc).__name__}: {self.ctx.redactor.text(str(exc))}"]
            self.results = self.results or {"verdict": "internal error", "counts": {}}
        self.ctx.notes.extend(problems)
        if outcome is not None:
            outcome.verdict = self.results.get("verdict")
            outcome.report_problems = problems
            outcome.report_dir = self.ctx.settings.report_dir

    def _allure_pytest_writes_ours(self) -> bool:
        """True when the user had allure-pytest write into the report folder's ``allure-results`` (``--alluredir``):
        its files are then the folder's Allure results, and the suite's own would replace them."""
        chosen = getattr(self.config.option, "allure_report_dir", None)
        return bool(chosen) and Path(chosen).resolve() == (self.ctx.settings.report_dir / ALLURE_DIR).resolve()

    def _write_har(self, records: list[TestRecord]) -> list[str]:
        """``exchanges.har`` from every process's spill file (a worker stopped by an interrupt included),
        redacted once with every secret the run learnt; each failure's exchanges learn their entry index."""
        if self.har_written or self.har is None or self.spill is None:
            return []
        self.har_written = True
        self.har.close()
        spools = har.spools_in(self.spill, self.ctx.redactor)
        wanted = {e["har_id"] for r in records for e in r.exchanges if e.get("har_id")}
        found: dict[str, int] = {}
        path = self.ctx.settings.report_dir / HAR_FILE
        try:
            write_chunks(path, har.render(spools, __version__, wanted, found), self.ctx.redactor)
        except OSError as exc:
            return [f"cannot write {path}: {exc.strerror or exc}"]
        finally:
            har.remove(self.spill)
        for record in records:
            for e in record.exchanges:
                if e.get("har_id") in found:
                    e["har_entry"] = found[e["har_id"]]
        if self.results is not None:
            self.results["tests"] = [asdict(r) for r in sorted(records, key=lambda r: r.nodeid)]
            self.results["har"] = {"file": HAR_FILE, "entries": sum(s.count for s in spools), "dropped": sum(s.dropped for s in spools)}
        return []

    def _apply_gate(self, records: list[TestRecord]) -> dict[str, Any] | None:
        from .report.baseline import apply, entries_from_failures, write_baseline

        gate = self.ctx.gate
        if gate is None or not (gate.entries or gate.divergences or gate.skips or gate.update):
            return None
        today = dt.date.today()
        outcome = apply(records, gate.divergences + gate.entries, today, self.ctx.kibana_version)
        outcome.not_applied += [e.as_yaml() | {"why": why} for e in gate.skips if (why := e.refusal(self.ctx.kibana_version, today))]
        if gate.prune and gate.baseline_path is not None:
            fixed = [(f["requirement"], f.get("operation")) for f in outcome.fixed]
            kept = [e.as_yaml() for e in gate.entries if (e.requirement, e.operation) not in fixed]
            write_baseline(gate.baseline_path, kept, "kibana-conformance baseline (pruned: entries whose checks pass were removed)")
            self.ctx.notes.append(f"baseline pruned: {len(gate.entries) - len(kept)} fixed entries removed from {gate.baseline_path}")
        if gate.update:
            entries = entries_from_failures(records)
            write_baseline(gate.update_path, entries, "kibana-conformance baseline: current failures, to review (fill in every reason)")
            self.ctx.notes.append(f"baseline written: {len(entries)} entries to {gate.update_path}; review each reason and expiry")
        for entry in outcome.expired:
            self.ctx.notes.append(f"baseline entry {entry['requirement']} {entry.get('operation') or ''} expired on {entry['expires']}")
        for entry in outcome.not_applied:
            self.ctx.notes.append(f"{gate.flavour} divergence {entry['requirement']} {entry.get('operation') or ''} not applied: {entry['why']}")
        return {"file": str(gate.baseline_path) if gate.baseline_path else None, "flavour": gate.flavour, **vars(outcome)}

    def skip_for_flavour(self, items: list[pytest.Item]) -> None:
        """The flavour's skips that apply to the target (not expired, in its version range): the others' tests run."""
        gate = self.ctx.gate
        for entry in gate.skips if gate else []:
            if entry.refusal(self.ctx.kibana_version, dt.date.today()):
                continue
            for item in items:
                meta = item.stash.get(META_KEY, None)
                if meta and entry.covers(TestRecord(item.nodeid, meta.requirement, meta.category, meta.doc, list(meta.operations))):
                    item.add_marker(pytest.mark.skip(reason=f"not available on {gate.flavour} targets: {entry.reason}"))

    def run_info(self) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "tool": {"name": "kibana-conformance", "version": __version__},
            "target": {"url": ctx.redactor.text(ctx.base_url), "embedded": ctx.embedded, "kibana_version": ctx.kibana_version, "space": ctx.settings.space},
            "seed": ctx.seed,
            "phases": list(ctx.settings.phases),
            "run_id": ctx.run_id,
            "shard": "/".join(map(str, ctx.settings.shard)) if ctx.settings.shard else None,
            "started_at": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds"),
            "started_epoch": self.started,
            "duration_s": round(time.time() - self.started, 2),
            **({"embedded_mock": ctx.mock_stats()} if ctx.mock_stats else {}),
        }

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.results is None:
            return
        write = terminalreporter.write_line
        table = self.results.get("per_operation") or {}
        if table:
            shown = [k for k in ("passed", "failed", "error", "skipped", "divergent", "baselined") if any(row.get(k) for row in table.values())]
            width = max(len(op) for op in table)
            write("")
            write("kibana-conformance: outcomes per operation")
            write("  " + "operation".ljust(width) + "  " + "  ".join(k.rjust(9) for k in shown))
            for op, row in table.items():
                write("  " + op.ljust(width) + "  " + "  ".join(str(row.get(k, 0)).rjust(9) for k in shown))
        for note in self.ctx.notes:
            write(f"kibana-conformance: {note}")
        summary = self.results.get("coverage_summary")
        if summary:
            write(f"kibana-conformance: {headline(summary)}")
            if summary.get("minimum") is not None:
                shown = missing_lines(summary)
                write(f"kibana-conformance: never exercised ({len(summary['missing'])} items):" if shown else "kibana-conformance: every measured item was exercised")
                for line in shown:
                    write(f"  {line}")
                for line in excluded_lines(summary):
                    write(f"  excluded: {line}")
        counts = self.results.get("counts") or {}
        parts = [f"{counts[k]} {k}" for k in (*OUTCOMES, "fixed") if counts.get(k)]
        where = f"; report: {self.ctx.settings.report_dir / 'index.html'}"
        write(f"kibana-conformance: {str(self.results['verdict']).upper()} ({', '.join(parts) or 'nothing ran'}){where}")

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Every file other tools wrote for this run (JUnit; Allure when the user had allure-pytest write it) through
        the redaction point, once complete."""
        if self.is_worker:
            return
        paths = [self.ctx.settings.report_dir / JUNIT_FILE]
        for extra in (getattr(config.option, "xmlpath", None), getattr(config.option, "allure_report_dir", None)):
            if extra:
                paths.append(Path(extra))
        # `run` names the report folder's own files as pytest's options: each file is swept once.
        problems = sweep(dict.fromkeys(p.resolve() for p in paths), self.ctx.redactor)
        outcome = outcome_of(config)
        if problems and outcome is not None:
            outcome.report_problems += problems


def not_selected(settings: Settings) -> dict[str, str]:
    """The operations a run does not test, with why (their statuses, parameters and fields are excluded from the coverage)."""
    from .catalog import load_catalog

    found = {}
    for op in load_catalog():
        if not settings.selects(op.id, op.area):
            found[op.id] = "not selected in this run (--area/--operation)"
        elif settings.read_only and op.is_write:
            found[op.id] = "--read-only: writes are not sent"
    return found


def plain_nodeid(nodeid: str) -> str:
    """The node id without pytest-xdist's scheduling group ("...@put-fleet-settings"), which only workers see."""
    base, sep, group = nodeid.rpartition("@")
    return base if sep and "::" in base and "/" not in group and "[" not in group else nodeid


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


__all__ = ["Lifecycle", "Outcome", "Selection", "start_controller"]
