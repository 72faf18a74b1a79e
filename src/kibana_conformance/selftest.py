"""``kibana-conformance selftest``: the suite's detection power, measured on the fault zoo.

The suite runs against the clean mock (several seeds: it must pass) and against the mock with
each fault switched on (it must fail: the fault is "killed"). The same is done with plain
``schemathesis run`` on the assembled document, so both kill rates can be compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .forked import Runner
from .mock.faults import Fault, catalogue
from .openapi import default_document
from .paths import suites_dir

CLEAN = "(clean mock)"


@dataclass
class SuiteOutcome:
    failures: list[dict[str, Any]]  # {"requirement", "operations", "after"} per failed test
    passed: int
    duration: float
    error: str | None = None
    fault_errors: dict[str, int] = field(default_factory=dict)  # faults whose own code raised, with how often
    # Tests that ended in the suite's own exception ("nodeid: summary"): a bug of the suite, never a kill.
    suite_errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        return sorted({f["requirement"] for f in self.failures})

    def ttff(self, failures: list[dict[str, Any]] | None = None) -> float | None:
        times = [f["after"] for f in (self.failures if failures is None else failures)]
        return round(min(times), 2) if times else None


@dataclass
class FaultRow:
    name: str
    description: str
    operations: list[str]
    invisible: str | None = None
    expected: list[str] = field(default_factory=list)
    killed: bool | None = None  # an expected requirement failed
    requirements: list[str] = field(default_factory=list)  # the expected requirements that failed
    collateral: list[str] = field(default_factory=list)  # other requirements that failed
    broken: int = 0  # times the fault's own code raised (a broken fault: an error of the zoo, not a kill)
    ttff: float | None = None
    duration: float | None = None
    peer_killed: bool | None = None
    peer_failures: list[str] = field(default_factory=list)
    error: str | None = None
    suite_errors: list[str] = field(default_factory=list)  # the run's tests that ended in the suite's own exception


@dataclass
class Options:
    max_examples: int = 10
    seed: int = 1
    clean_seeds: int = 10
    jobs: int = 2
    budget: float = 1800.0
    compare: bool = True
    faults: tuple[str, ...] = ()
    batch: bool = False
    report_dir: Path = Path("reports")
    timeout: float = 600.0
    # Fault runs select only the tests of the requirements expected to catch the faults (a kill is
    # credited to nothing else); all_tests runs every test of their operations, to see collateral.
    all_tests: bool = False


def _env() -> dict[str, str]:
    """The child runs see none of the user's target settings: they always test the bundled mock."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("KIBANA_", "PYTEST_ADDOPTS"))}


# The requirement of the property tests, the only tests whose requests depend on the seed.
SEEDED_REQUIREMENT = "SCHEMA-PROPERTIES"
SEEDED_PART: dict[str, Any] = {"requirements": [SEEDED_REQUIREMENT], "phases": ("fuzzing",)}


def run_suite(faults: list[str], seed: int, options: Options, operations: list[str] | None = None, requirements: list[str] | None = None, phases: tuple[str, ...] | None = None, runner: Runner | None = None) -> SuiteOutcome:
    """The suite in a fresh process (forked after the imports: :mod:`kibana_conformance.forked`) against the bundled
    mock with these faults switched on."""
    with tempfile.TemporaryDirectory(prefix="kct-selftest-") as tmp:
        argv = [str(suites_dir()), "-q", "--assert=plain", "-p", "no:cacheprovider", "-p", "no:randomly",
                "--max-examples", str(options.max_examples), "--seed", str(seed), "--report-dir", tmp, "-W", "ignore", "--no-har"]
        argv += [f"--mock-fault={name}" for name in faults]
        if operations:
            argv += ["--operation", ",".join(operations)]
        if requirements:
            argv += ["--requirement", ",".join(sorted(requirements))]
        if phases:
            argv += ["--phases", ",".join(phases)]
        started = time.time()
        if runner is None:
            with Runner(_env()) as alone:
                done = alone.run(argv, Path(tmp), options.timeout)
        else:
            done = runner.run(argv, Path(tmp), options.timeout)
        if done.returncode is None:
            return SuiteOutcome([], 0, time.time() - started, error=f"timed out after {options.timeout:g} s")
        results_file = Path(tmp) / "results.json"
        if not results_file.is_file():
            tail = done.output.strip().splitlines()[-3:]
            return SuiteOutcome([], 0, time.time() - started, error=f"exit {done.returncode}: {' | '.join(tail)}")
        results = json.loads(results_file.read_text())
    def ours(test: dict[str, Any]) -> bool:
        return test["outcome"] == "error" and test.get("error_kind") == "suite"

    failures = [
        {"requirement": t["requirement"], "operations": t["operations"], "after": t["finished_at"] - results["started_epoch"]}
        for t in results["tests"]
        if t["outcome"] in ("failed", "error") and not ours(t)
    ]
    suite_errors = [f"{t['nodeid']}: {t['summary']}" for t in results["tests"] if ours(t)]
    fault_errors = (results.get("embedded_mock") or {}).get("fault_errors") or {}
    return SuiteOutcome(failures, results["counts"]["passed"], time.time() - started, fault_errors=fault_errors, suite_errors=suite_errors)


def peer_config(base_url: str, seed: int, max_examples: int, suite_checks: bool = False) -> str:
    """schemathesis.toml for the plain CLI: same document, examples, phases and test data as the suite.

    With ``suite_checks``, also the suite's settings of the built-in checks (expected statuses, the
    checks it turns off, the unexpected methods of the coverage phase). Without them the CLI reports
    Kibana's documented answers (404 to an undeclared method) as failures and stops each operation's
    coverage phase at the first one, so it does a tenth of the suite's coverage cases: a comparison of
    time per case is only fair with the same checks (the CLI also needs ``--exclude-checks`` of
    :func:`disabled_checks`, as ``--checks all`` overrides the file).
    """
    from .fixture_ids import RESOURCES
    from .suite.profiles import PROFILES, pinned_path_parameters
    from .suite.properties import UNEXPECTED_METHODS, checks_config, operation_checks

    lines = [f'base-url = "{base_url}"', f"seed = {seed}", "[generation]", f"max-examples = {max_examples}", 'database = "none"']
    lines += ["[auth.basic]", 'username = "elastic"', 'password = "changeme"']
    if suite_checks:
        lines += ["[phases.coverage]", f"unexpected-methods = {json.dumps(UNEXPECTED_METHODS)}"]
        for name, settings in checks_config().items():
            lines += [f"[checks.{name}]", *(f"{key} = {json.dumps(value)}" for key, value in settings.items())]
    pinned = pinned_path_parameters(RESOURCES)
    checks = {op_id: operation_checks(op_id) for op_id in PROFILES} if suite_checks else {}
    for op_id in sorted(op_id for op_id in {*pinned, *checks} if pinned.get(op_id) or checks.get(op_id)):
        lines += ["[[operations]]", f'include-operation-id = "{op_id}"']
        if pinned.get(op_id):
            lines += ["[operations.parameters]", *(f'"path.{name}" = "{value}"' for name, value in pinned[op_id].items())]
        for name, settings in checks.get(op_id, {}).items():
            lines += [f"[operations.checks.{name}]", *(f"{key} = {json.dumps(value)}" for key, value in settings.items())]
    return "\n".join(lines) + "\n"


def disabled_checks() -> list[str]:
    """The built-in checks the suite turns off, for the CLI's ``--exclude-checks``."""
    from .suite.properties import checks_config

    return sorted(name for name, settings in checks_config().items() if settings.get("enabled") is False)


def run_peer(fault: str | None, seed: int, options: Options, operations: list[str] | None = None) -> set[str] | str:
    """The (failure code, operation) pairs plain ``schemathesis run --checks all`` reports, or an error.

    Restricted to ``operations`` like the suite's own fault runs, so both do the same work.
    """
    from .mock import MockConfig, MockServer

    with tempfile.TemporaryDirectory(prefix="kct-peer-") as tmp, MockServer(MockConfig(faults=(fault,) if fault else ())) as mock:
        Path(tmp, "openapi.json").write_text(json.dumps(default_document()))
        Path(tmp, "schemathesis.toml").write_text(peer_config(mock.url, seed, options.max_examples))
        argv = [sys.executable, "-m", "schemathesis.cli", "run", "openapi.json", "--checks", "all", "--workers", "1",
                "--phases", "examples,coverage,fuzzing", "--report", "json", "--report-json-path", "report.json", "--no-color"]
        for op_id in operations or []:
            argv += ["--include-operation-id", op_id]
        try:
            subprocess.run(argv, cwd=tmp, env=_env(), capture_output=True, text=True, timeout=options.timeout)
        except subprocess.TimeoutExpired:
            return f"timed out after {options.timeout:g} s"
        report = Path(tmp, "report.json")
        if not report.is_file():
            return "schemathesis wrote no report"
        data = json.loads(report.read_text())
    return {f"{f['code']} {op}" for f in data.get("failures", []) for op in f.get("operations", [])}


def _requirements(faults: list[Fault], options: Options) -> list[str] | None:
    if options.all_tests:
        return None
    return sorted({r for f in faults for r in f.expected}) or None


def _fault_row(fault: Fault) -> FaultRow:
    return FaultRow(fault.name, fault.description, sorted(fault.operations or []), fault.invisible, sorted(fault.expected))


def _judge(row: FaultRow, fault: Fault, outcome: SuiteOutcome, mine: list[dict[str, Any]]) -> None:
    """Credit a kill only to an expected requirement's failure; a fault whose code raised is broken, not killed."""
    failed = {f["requirement"] for f in mine}
    expected = [f for f in mine if f["requirement"] in fault.expected]
    row.requirements = sorted(failed & fault.expected)
    row.collateral = sorted(failed - fault.expected)
    row.broken = int(outcome.fault_errors.get(fault.name, 0))
    row.suite_errors = list(outcome.suite_errors)
    row.killed = bool(expected) and not row.broken
    row.ttff = outcome.ttff(expected) if expected else None
    if row.broken:
        row.error = f"broken fault: its own code raised {row.broken} time{'s' if row.broken != 1 else ''} (answered 500; not a kill)"


def evaluate(fault: Fault, options: Options, peer_clean: set[str] | None, deadline: float, runner: Runner | None = None) -> FaultRow:
    row = _fault_row(fault)
    if time.time() > deadline:
        row.error = "not run: time budget spent"
        return row
    outcome = run_suite([fault.name], options.seed, options, sorted(fault.operations) if fault.operations else None, _requirements([fault], options), runner=runner)
    row.duration = round(outcome.duration, 1)
    if outcome.error:
        row.error = outcome.error
    else:
        _judge(row, fault, outcome, outcome.failures)
    if peer_clean is not None:
        peer = run_peer(fault.name, options.seed, options, sorted(fault.operations) if fault.operations else None)
        if isinstance(peer, str):
            row.error = (row.error + "; " if row.error else "") + f"peer: {peer}"
        else:
            row.peer_failures = sorted(peer - peer_clean)
            row.peer_killed = bool(row.peer_failures)
    return row


def batches(faults: list[Fault]) -> list[list[Fault]]:
    """Faults that touch disjoint operations share a run; a fault of every operation runs alone.

    A run selects the requirements its faults expect, for all its operations: one fault expecting the property
    tests makes the run send their ~1,900 coverage cases for every operation of the run. The faults the property
    tests are expected to catch are therefore packed apart from the others (a run of 17 operations of which one
    has such a fault cost ~15 s instead of ~3).
    """
    runs: list[tuple[set[str], list[Fault]]] = []
    by_property_tests = sorted(faults, key=lambda f: (SEEDED_REQUIREMENT not in f.expected, -len(f.operations or ()), f.name))
    for fault in by_property_tests:
        if fault.operations is None:
            runs.append((set(), [fault]))
            continue
        for used, members in runs:
            same_kind = (SEEDED_REQUIREMENT in members[0].expected) == (SEEDED_REQUIREMENT in fault.expected)
            if members[0].operations is not None and same_kind and used.isdisjoint(fault.operations):
                used |= fault.operations
                members.append(fault)
                break
        else:
            runs.append((set(fault.operations), [fault]))
    return [members for _, members in runs]


def evaluate_batch(faults: list[Fault], options: Options, deadline: float, runner: Runner | None = None) -> list[FaultRow]:
    """One run with several faults on disjoint operations.

    A failed test is credited to the fault whose operations contain every faulty operation the
    test touched; a test that touches the operations of two faults is credited to neither.
    """
    rows = [_fault_row(f) for f in faults]
    if time.time() > deadline:
        for row in rows:
            row.error = "not run: time budget spent"
        return rows
    operations = sorted({op for f in faults for op in f.operations or ()}) or None
    outcome = run_suite([f.name for f in faults], options.seed, options, operations, _requirements(faults, options), runner=runner)
    faulty = set(operations or ())
    for fault, row in zip(faults, rows, strict=True):
        row.duration = round(outcome.duration, 1)
        if outcome.error:
            row.error = outcome.error
            continue
        mine = [
            f for f in outcome.failures
            if fault.operations is None or (set(f["operations"]) & faulty and set(f["operations"]) & faulty <= fault.operations)
        ]
        _judge(row, fault, outcome, mine)
    return rows


def selftest(options: Options, progress: Any = print) -> dict[str, Any]:
    started = time.time()
    deadline = started + options.budget
    faults = catalogue()
    chosen = [faults[name] for name in options.faults] if options.faults else list(faults.values())
    seeds = [options.seed + i for i in range(options.clean_seeds)]
    with ThreadPoolExecutor(max_workers=options.jobs) as pool, Runner(_env()) as runner:
        # The first seed runs every test; the others only what the seed changes: the fuzzing phase of the
        # property tests (every other test, and the examples and coverage phases, send the same requests
        # whatever the seed: tests/test_zoo.py and tests/test_phases.py check it).
        clean = list(pool.map(lambda s: (s, run_suite([], s, options, **({} if s == seeds[0] else SEEDED_PART), runner=runner)), seeds))
        for seed, outcome in clean:
            progress(f"clean mock, seed {seed}{'' if seed == seeds[0] else ' (property tests, fuzzing phase)'}: {outcome.passed} passed, failed: {outcome.failed or 'none'}{' ERROR ' + outcome.error if outcome.error else ''}")
        peer_clean = None
        if options.compare:
            peer = run_peer(None, options.seed, options)
            peer_clean = peer if isinstance(peer, set) else set()
            progress(f"schemathesis on the clean mock: {len(peer_clean)} failures (false alarms, discounted)")
        rows = []
        if options.batch:
            results = pool.map(lambda b: evaluate_batch(b, options, deadline, runner), batches(chosen))
            evaluated = [row for batch in results for row in batch]
        else:
            evaluated = pool.map(lambda f: evaluate(f, options, peer_clean, deadline, runner), chosen)
        for row in evaluated:
            progress(f"{row.name}: {'killed' if row.killed else 'SURVIVED' if row.killed is False else row.error}")
            rows.append(row)
    return summarise(rows, clean, peer_clean, options, time.time() - started)


def summarise(rows: list[FaultRow], clean: list[tuple[int, SuiteOutcome]], peer_clean: set[str] | None, options: Options, duration: float) -> dict[str, Any]:
    broken = [r.name for r in rows if r.broken]
    counted = [r for r in rows if r.killed is not None and not r.invisible and not r.broken]
    killed = [r for r in counted if r.killed]
    # What the kill rate was before faults named their requirements: any failure counted as a kill.
    killed_by_anything = [r for r in counted if r.requirements or r.collateral]
    peer_counted = [r for r in rows if r.peer_killed is not None and not r.invisible]
    survivors = [r.name for r in counted if not r.killed]
    return {
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "duration_s": round(duration, 1),
        "clean": [{"seed": s, "passed": o.passed, "failed": o.failed, "error": o.error, "suite_errors": o.suite_errors} for s, o in clean],
        "clean_ok": all(not o.failed and not o.error and not o.suite_errors for _, o in clean),
        "suite_errors": sorted({e for r in rows for e in r.suite_errors}),
        "faults": [asdict(r) for r in rows],
        "kill_rate": round(len(killed) / len(counted), 4) if counted else None,
        "killed": len(killed),
        "counted": len(counted),
        "survivors": survivors,
        "broken": broken,
        "killed_by_any_failure": len(killed_by_anything),
        "collateral_only": [r.name for r in counted if not r.killed and r.collateral],
        "invisible": [r.name for r in rows if r.invisible],
        "not_run": [r.name for r in rows if r.killed is None],
        "peer_kill_rate": round(sum(1 for r in peer_counted if r.peer_killed) / len(peer_counted), 4) if peer_counted else None,
        "peer_false_alarms_on_clean_mock": sorted(peer_clean) if peer_clean is not None else None,
    }


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def markdown(summary: dict[str, Any]) -> str:
    rows = summary["faults"]
    peer_counted = [r for r in rows if r["peer_killed"] is not None and not r["invisible"]]
    lines = [
        "# Fault zoo: kill rates",
        "",
        f"{len(rows)} faults, seed {summary['options']['seed']}, max-examples {summary['options']['max_examples']}, "
        f"{summary['duration_s']:g} s. Generated by `kibana-conformance selftest`.",
        "",
        "| | kibana-conformance | plain `schemathesis run --checks all` |",
        "|---|---|---|",
        f"| faults killed (by a requirement expected to catch them) | {summary['killed']}/{summary['counted']} ({_percent(summary['kill_rate'])}) | "
        f"{sum(1 for r in peer_counted if r['peer_killed'])}/{len(peer_counted)} ({_percent(summary['peer_kill_rate'])}) |",
        f"| faults with any failure (expected or collateral) | {summary['killed_by_any_failure']}/{summary['counted']} | |",
        "",
        f"Clean mock: {len(summary['clean'])} seeds, "
        + ("no failure." if summary["clean_ok"] else "FAILURES: " + "; ".join(f"seed {c['seed']}: {c['failed'] or c['error']}" for c in summary["clean"] if c["failed"] or c["error"])),
    ]
    if summary["peer_false_alarms_on_clean_mock"]:
        lines.append(f"Schemathesis' failures on the clean mock (false alarms, not counted as kills): {', '.join(summary['peer_false_alarms_on_clean_mock'])}.")
    if summary["survivors"]:
        lines.append(f"**Survivors:** {', '.join(summary['survivors'])}.")
    if summary["collateral_only"]:
        lines.append(f"**Caught only by requirements not expected to catch them:** {', '.join(summary['collateral_only'])}.")
    if summary["broken"]:
        lines.append(f"**Broken faults** (their own code raised; errors of the zoo, not kills): {', '.join(summary['broken'])}.")
    if summary.get("suite_errors"):
        lines.append(f"**Suite errors** (the suite's own exceptions during fault runs; bugs of the suite, not kills): {'; '.join(summary['suite_errors'])}.")
    lines += ["", "| fault | what the bug is | killed | by (expected) | collateral | first failure after | schemathesis |", "|---|---|---|---|---|---|---|"]

    def listed(ids: list[str]) -> str:
        return ", ".join(ids[:4]) + (f" (+{len(ids) - 4})" if len(ids) > 4 else "")

    for r in rows:
        if r["invisible"]:
            killed = "invisible: " + r["invisible"]
        elif r["broken"]:
            killed = "**broken**"
        else:
            killed = "yes" if r["killed"] else "**no**" if r["killed"] is False else r["error"] or "not run"
        ttff = f"{r['ttff']:g} s" if r["ttff"] is not None else ""
        peer = "" if r["peer_killed"] is None else ("yes: " + ", ".join(r["peer_failures"][:2]) if r["peer_killed"] else "no")
        lines.append(f"| `{r['name']}` | {r['description']} | {killed} | {listed(r['requirements'])} | {listed(r['collateral'])} | {ttff} | {peer} |")
    return "\n".join(lines) + "\n"


def write(summary: dict[str, Any], report_dir: Path) -> tuple[Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = report_dir / "selftest.json", report_dir / "selftest.md"
    json_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(summary), encoding="utf-8")
    return json_path, md_path
