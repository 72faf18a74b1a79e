"""The suite's detection power, gated in CI: the clean mock passes on ten seeds and every fault of
the zoo is killed by a requirement it names as expected to catch it (a failure elsewhere is
collateral, and a fault whose own code raises is broken, never a kill); a fault no black-box test
can see says why.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from kibana_conformance import cli
from kibana_conformance.mock import MockConfig, MockServer
from kibana_conformance.mock.errors import KibanaError
from kibana_conformance.mock.faults import Fault, catalogue
from kibana_conformance.paths import suites_dir
from kibana_conformance.selftest import FaultRow, Options, SuiteOutcome, _judge, batches, disabled_checks, peer_config, run_suite, selftest, write

REQUIRED_KILL_RATE = 0.95


def test_faults_sharing_a_run_touch_disjoint_operations() -> None:
    faults = list(catalogue().values())
    runs = batches(faults)
    assert sorted(f.name for run in runs for f in run) == sorted(f.name for f in faults)
    for run in runs:
        if any(f.operations is None for f in run):
            assert len(run) == 1
            continue
        seen: set[str] = set()
        for fault in run:
            assert seen.isdisjoint(fault.operations or ()), run
            seen |= set(fault.operations or ())
        # A run sends the property tests' cases for all its operations when one of its faults expects them.
        assert len({"SCHEMA-PROPERTIES" in f.expected for f in run}) == 1, [f.name for f in run]


def test_every_fault_is_described_and_scoped() -> None:
    for fault in catalogue().values():
        assert fault.description and not fault.description.endswith(".")
        assert fault.name.split("-")[0] in {"apm", "cases", "fleet", "logstash", "platform", "security", "spaces", "streams"}


def _requirement_ids() -> set[str]:
    """Every requirement id the suites declare (their markers' first argument, and the property tests')."""
    ids = {"SCHEMA-PROPERTIES"}
    for path in suites_dir().rglob("*.py"):
        ids |= set(re.findall(r'"([A-Z]+(?:-[A-Z0-9]+)+)"', path.read_text()))
    return ids


def test_every_fault_names_the_requirements_expected_to_catch_it() -> None:
    known = _requirement_ids()
    for fault in catalogue().values():
        if fault.invisible:
            assert not fault.expected, fault.name
            continue
        assert fault.expected, f"{fault.name}: expected=... is empty"
        assert fault.expected <= known, f"{fault.name}: unknown requirement ids {sorted(fault.expected - known)}"


def test_list_faults_json_gives_each_fault_with_its_expected_requirements(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["mock", "--list-faults", "--json"]) == 0
    listed = {f["name"]: f for f in json.loads(capsys.readouterr().out)}
    assert set(listed) == set(catalogue())
    some = listed["fleet-output-lookup-ignores-id"]
    assert set(some) == {"name", "description", "operations", "expected", "invisible"}
    assert some["operations"] == ["get-fleet-outputs-outputid"] and "FLEET-OUTPUT-BY-ID" in some["expected"]


def _fault(name: str, wrap: object, expected: tuple[str, ...] = ("LOGSTASH-PIPELINE-SETTINGS",)) -> Fault:
    return Fault(name, "a test fault", "handle", frozenset({"put-logstash-pipeline-id"}), wrap, None, frozenset(expected))  # type: ignore[arg-type]


def test_a_fault_whose_own_code_raises_is_counted_by_the_mock() -> None:
    def misspelt(call: object, proceed: object) -> object:
        return {}["no-such-key"]

    def refuses(call: object, proceed: object) -> object:
        raise KibanaError(400, "a refusal Kibana could give")

    with MockServer(MockConfig()) as mock:
        mock.app.faults = (_fault("kct-misspelt", misspelt), )
        client = httpx.Client(base_url=mock.url, auth=("elastic", "changeme"), headers={"kbn-xsrf": "t"})
        body = {"pipeline": "input {}", "settings": {}}
        assert client.put("/api/logstash/pipeline/kct-a", json=body).status_code == 500
        mock.app.faults = (_fault("kct-refuses", refuses),)
        assert client.put("/api/logstash/pipeline/kct-a", json=body).status_code == 400
        assert client.get("/_mock/stats").json()["fault_errors"] == {"kct-misspelt": 1}


def test_a_suite_error_is_no_kill(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A test that ended in the suite's own exception is a bug of the suite: reported, never credited to the fault."""
    tests = [
        {"nodeid": "suites/x.py::test_a", "requirement": "ERR-ENVELOPE-400", "operations": ["get-osquery-live-queries-id-results-actionid"],
         "outcome": "error", "error_kind": "suite", "summary": "suite error (not the target's failure): CatalogError: x", "finished_at": 2.0},
        {"nodeid": "suites/x.py::test_b", "requirement": "SEC-OSQUERY-PAGE-SIZE", "operations": ["get-osquery-live-queries-id-results-actionid"],
         "outcome": "error", "error_kind": "transport", "summary": "the suite could not judge: no answer", "finished_at": 3.0},
    ]
    results = {"started_epoch": 1.0, "tests": tests, "counts": {"passed": 0}}

    class Done:
        returncode, output = 1, ""

    class Writing:
        def run(self, argv: list[str], folder: Path, timeout: float) -> Done:
            (folder / "results.json").write_text(json.dumps(results))
            return Done()

    outcome = run_suite(["kct-fault"], 1, Options(), runner=Writing())  # type: ignore[arg-type]
    assert outcome.failed == ["SEC-OSQUERY-PAGE-SIZE"]
    assert outcome.suite_errors == ["suites/x.py::test_a: suite error (not the target's failure): CatalogError: x"]
    fault = _fault("kct-fault", lambda call, proceed: proceed(), expected=("ERR-ENVELOPE-400",))
    row = FaultRow(fault.name, fault.description, [], expected=["ERR-ENVELOPE-400"])
    _judge(row, fault, outcome, outcome.failures)
    assert not row.killed and row.suite_errors == outcome.suite_errors


@pytest.mark.parametrize(
    ("failed", "fault_errors", "killed", "requirements", "collateral", "broken"),
    [
        (["LOGSTASH-PIPELINE-SETTINGS", "ERR-NOT-FOUND"], {}, True, ["LOGSTASH-PIPELINE-SETTINGS"], ["ERR-NOT-FOUND"], 0),
        (["ERR-NOT-FOUND"], {}, False, [], ["ERR-NOT-FOUND"], 0),
        (["LOGSTASH-PIPELINE-SETTINGS"], {"kct-fault": 3}, False, ["LOGSTASH-PIPELINE-SETTINGS"], [], 3),
        ([], {}, False, [], [], 0),
    ],
    ids=["expected-and-collateral", "collateral-only", "broken", "survivor"],
)
def test_selftest_credits_only_expected_kills(failed: list[str], fault_errors: dict[str, int], killed: bool, requirements: list[str], collateral: list[str], broken: int) -> None:
    fault = _fault("kct-fault", lambda call, proceed: proceed())
    failures = [{"requirement": r, "operations": ["put-logstash-pipeline-id"], "after": 1.0} for r in failed]
    row = FaultRow(fault.name, fault.description, ["put-logstash-pipeline-id"], expected=sorted(fault.expected))
    _judge(row, fault, SuiteOutcome(failures, 10, 2.0, fault_errors=fault_errors), failures)
    assert (row.killed, row.requirements, row.collateral, row.broken) == (killed, requirements, collateral, broken)
    assert (row.error or "").startswith("broken fault") == bool(broken)


def test_only_the_property_tests_depend_on_the_seed() -> None:
    """Selftest runs the later clean seeds with the property tests alone: that is only sound while no
    other test draws from the seed (or from randomness of its own)."""
    from kibana_conformance.selftest import SEEDED_REQUIREMENT

    kit = Path(cli.__file__).parent / "suite"  # what the suites call to build and send requests
    readers = {p.name for p in kit.rglob("*.py") if re.search(r"\.seed\b|\bseed\b", p.read_text())}
    assert readers == {"properties.py", "context.py"}, readers  # context.py holds it, properties.py hands it to schemathesis
    random_users = {p.relative_to(suites_dir()).as_posix() for p in suites_dir().rglob("*.py") if re.search(r"\b(hypothesis|schemathesis|seed|run_property_test)\b", p.read_text())}
    # (unique names from uuid4 differ on every run, whatever the seed: they make no seed matter)
    assert random_users == {"test_properties.py"}, random_users
    assert "@pytest.mark.properties" in (suites_dir() / "test_properties.py").read_text()
    assert f'TestMeta("{SEEDED_REQUIREMENT}"' in (Path(cli.__file__).parent / "plugin.py").read_text()  # the properties marker's requirement


def test_the_peer_gets_the_same_test_data(tmp_path: Path) -> None:
    config = tomllib.loads(peer_config("http://127.0.0.1:1", 3, 7))
    assert config["generation"]["max-examples"] == 7 and config["seed"] == 3
    pinned = {op["include-operation-id"]: op["parameters"] for op in config["operations"]}
    assert pinned["put-fleet-package-policies-packagepolicyid"] == {"path.packagePolicyId": "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"}


def test_the_timed_peer_gets_the_suites_settings_of_the_checks() -> None:
    """bench/'s per-case comparison: the CLI judges with the suite's settings, one entry per operation."""
    from kibana_conformance.suite.properties import REJECTION_STATUSES, UNEXPECTED_METHODS

    config = tomllib.loads(peer_config("http://127.0.0.1:1", 3, 7, suite_checks=True))
    assert config["checks"]["unsupported_method"] == {"enabled": False}
    assert config["checks"]["negative_data_rejection"]["expected-statuses"] == REJECTION_STATUSES
    assert config["phases"]["coverage"]["unexpected-methods"] == UNEXPECTED_METHODS
    entries = {op["include-operation-id"]: op for op in config["operations"]}
    assert len(entries) == len(config["operations"])  # an operation's settings in one entry, not split over two
    policy = entries["put-fleet-package-policies-packagepolicyid"]
    assert policy["parameters"] == {"path.packagePolicyId": "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"}
    assert "400" in policy["checks"]["positive_data_acceptance"]["expected-statuses"]
    assert "unsupported_method" in disabled_checks() and "negative_data_rejection" not in disabled_checks()
    assert "checks" not in tomllib.loads(peer_config("http://127.0.0.1:1", 3, 7))  # selftest's peer keeps the CLI's own


@pytest.mark.slow(seconds=12)
def test_the_timed_peer_runs_the_whole_coverage_phase(mock_server: MockServer, tmp_path: Path) -> None:
    """Without the suite's settings the CLI stops an operation's coverage phase at the first answer it reports (Kibana's
    404 to an undeclared method) and sends a fraction of the cases: a comparison of time per case would be unfair."""
    from kibana_conformance.openapi import default_document

    (tmp_path / "openapi.json").write_text(json.dumps(default_document()))

    def coverage(suite_checks: bool) -> tuple[int, int]:
        (tmp_path / "schemathesis.toml").write_text(peer_config(mock_server.url, 3, 5, suite_checks=suite_checks))
        excluded = ["--exclude-checks", ",".join(disabled_checks())] if suite_checks else []
        proc = subprocess.run([sys.executable, "-m", "schemathesis.cli", "run", "openapi.json", "--checks", "all", *excluded, "--workers", "1",
                               "--phases", "coverage", "--include-operation-id", "put-fleet-settings", "--no-color"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        generated = re.search(r"(\d+) generated", proc.stdout)
        assert generated, proc.stdout[-2000:]
        failures = re.search(r"found (\d+) unique failure", proc.stdout)
        return int(generated.group(1)), int(failures.group(1)) if failures else 0

    plain_cases, plain_failures = coverage(False)
    same_cases, same_failures = coverage(True)
    assert plain_failures >= 1 and same_failures == 0
    assert same_cases > 2 * plain_cases, (plain_cases, same_cases)


@pytest.mark.slow(seconds=120)
def test_the_zoo_is_killed_and_the_clean_mock_passes(tmp_path: Path) -> None:
    options = Options(max_examples=5, clean_seeds=10, jobs=2, compare=False, batch=True, report_dir=tmp_path, budget=1500)
    summary = selftest(options, progress=lambda line: None)
    _, markdown = write(summary, tmp_path)
    report = markdown.read_text()
    assert summary["clean_ok"], report
    assert summary["not_run"] == [], report
    assert summary["survivors"] == [], report
    assert summary["broken"] == [], report
    assert summary["suite_errors"] == [], report
    assert summary["kill_rate"] >= REQUIRED_KILL_RATE, report
