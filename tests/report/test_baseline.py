"""Baselines and flavours: accepted deviations, expiry, fixed entries, prune and update, and the gate."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kibana_conformance import exit_codes
from kibana_conformance.report.baseline import BaselineError, Entry, apply, entries_from_failures, load_baseline, load_flavour
from kibana_conformance.report.results import TestRecord
from kibana_conformance.paths import suites_dir

from ..helpers import WITHOUT_COVERAGE

TODAY = dt.date(2026, 12, 2)


def record(requirement: str, outcome: str, operation: str = "put-fleet-settings") -> TestRecord:
    return TestRecord(f"t::{requirement}::{outcome}", requirement, "scenarios", "", [operation], outcome=outcome)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "baseline.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- requirement: A\n  expires: 2027-01-01\n", "'reason' is missing"),
        ("- requirement: A\n  reason: r\n", "'expires' (YYYY-MM-DD) is missing"),
        ("- requirement: A\n  reason: r\n  expires: soon\n", "'expires' is not a date"),
        ("- reason: r\n  expires: 2027-01-01\n", "'requirement' is missing"),
        ("- requirement: A\n  reason: r\n  expires: 2027-01-01\n  owner: me\n", "unknown key 'owner'"),
        ("requirement: A\n", "a baseline is a YAML list"),
        ("- [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_baseline_files_are_explained(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_baseline(write(tmp_path, text))


@pytest.mark.parametrize("written", ["2027-01-01T10:00:00", "2027-01-01 10:00:00+02:00", "'2027-01-01'", "2027-01-01"])
def test_an_expiry_with_a_time_of_day_ends_on_its_day(tmp_path: Path, written: str) -> None:
    (entry,) = load_baseline(write(tmp_path, f"- requirement: A\n  reason: r\n  expires: {written}\n"))
    assert entry.expires == dt.date(2027, 1, 1)
    assert not entry.expired(TODAY) and entry.expired(dt.date(2027, 1, 2))


def test_missing_baseline_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read the baseline"):
        load_baseline(tmp_path / "nope.yaml")


def test_covered_failures_are_baselined_and_others_stay_failed() -> None:
    records = [record("A", "failed"), record("B", "failed"), record("A", "failed", "get-fleet-epm-packages")]
    entry = Entry("A", "known gateway bug", operation="put-fleet-settings", expires=dt.date(2027, 1, 1))
    outcome = apply(records, [entry], TODAY)
    assert [r.outcome for r in records] == ["baselined", "failed", "failed"]
    assert "known gateway bug" in (records[0].baseline_reason or "")
    assert len(outcome.applied) == 1 and not outcome.fails_gate


def test_an_expired_entry_fails_the_gate_and_covers_nothing() -> None:
    records = [record("A", "failed")]
    outcome = apply(records, [Entry("A", "r", expires=dt.date(2026, 11, 30))], TODAY)
    assert records[0].outcome == "failed"
    assert outcome.fails_gate and outcome.expired[0]["requirement"] == "A"


def test_an_entry_whose_checks_pass_is_reported_fixed() -> None:
    outcome = apply([record("A", "passed")], [Entry("A", "r", expires=dt.date(2027, 1, 1))], TODAY)
    assert outcome.fixed == [{"requirement": "A", "reason": "r", "expires": "2027-01-01"}]


def test_update_writes_one_entry_per_requirement_and_operation_to_review() -> None:
    records = [record("A", "failed"), record("A", "failed"), record("B", "error"), record("C", "passed")]
    entries = entries_from_failures(records, TODAY)
    assert [(e["requirement"], e["operation"]) for e in entries] == [("A", "put-fleet-settings"), ("B", "put-fleet-settings")]
    assert all(e["reason"].startswith("TODO") and e["expires"] == "2027-03-02" for e in entries)


def test_every_flavour_entry_has_a_reason_evidence_and_an_expiry() -> None:
    for name in yaml.safe_load((suites_dir() / "flavours.yaml").read_text()):
        skips, divergences = load_flavour(suites_dir() / "flavours.yaml", name)
        assert all(e.reason and (e.evidence or e.link) and e.expires for e in skips + divergences)
    with pytest.raises(BaselineError, match="unknown flavour 'cloudy'"):
        load_flavour(suites_dir() / "flavours.yaml", "cloudy")


EVIDENCE = "  evidence:\n    - {repo: elastic/kibana, path: config/serverless.yml, commit: 1e042cad813f0081539b1331c351bdfc4a8db5cb, facts: f}\n"
FLAVOUR_ENTRY = "- requirement: A\n  operation: put-fleet-settings\n  reason: r\n  expires: 2027-12-02\n"


def flavour(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "flavours.yaml"
    path.write_text("cloud:\n" + "".join(f"  {line}\n" for line in entry.splitlines()))
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (FLAVOUR_ENTRY, "a known divergence needs its evidence (repo, path, commit, facts) or a link"),
        (FLAVOUR_ENTRY.replace("  expires: 2027-12-02\n", "") + EVIDENCE, "'expires' (YYYY-MM-DD) is missing"),
        (FLAVOUR_ENTRY + "  link: http://example.com/x\n", "'link' is an https:// address"),
        (FLAVOUR_ENTRY + "  evidence: [{repo: elastic/kibana, path: p, commit: abc, facts: f}]\n", "an 'evidence' commit is 40 hexadecimal digits"),
        (FLAVOUR_ENTRY + "  evidence: [{repo: elastic/kibana, path: p}]\n", "an 'evidence' item has exactly repo, path, commit, facts (missing commit)"),
        (FLAVOUR_ENTRY + EVIDENCE + "  since: latest\n", "'since' is not a Kibana version (such as 9.1.0): 'latest'"),
        (FLAVOUR_ENTRY + EVIDENCE + "  since: 9.2\n  until: 9.1\n", "'until' 9.1 is not after 'since' 9.2: the range holds no version"),
    ],
    ids=["no-evidence", "no-expires", "http-link", "short-commit", "evidence-incomplete", "since-word", "empty-range"],
)
def test_bad_flavour_divergences_are_explained(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_flavour(flavour(tmp_path, text), "cloud")


def test_a_flavour_divergence_applies_only_in_its_range_and_before_it_expires(tmp_path: Path) -> None:
    (_, [entry]) = load_flavour(flavour(tmp_path, FLAVOUR_ENTRY + EVIDENCE + "  since: 9.1\n  until: 9.3\n"), "cloud")
    assert (entry.since, entry.until, entry.expires) == ("9.1", "9.3", dt.date(2027, 12, 2))
    for version, today, why in [
        ("9.2.0", TODAY, None),
        (None, TODAY, None),
        ("9.0.1", TODAY, "observed since Kibana 9.1; the target is 9.0.1"),
        ("9.3.0", TODAY, "observed until Kibana 9.3 (exclusive); the target is 9.3.0"),
        ("9.2.0", dt.date(2027, 12, 3), "expired on 2027-12-02"),
    ]:
        records = [record("A", "failed")]
        outcome = apply(records, [entry], today, version)
        assert not outcome.fails_gate  # a flavour's divergence, expired or not, never fails the gate by itself
        if why is None:
            assert records[0].outcome == "baselined" and outcome.applied[0]["since"] == "9.1" and not outcome.not_applied
        else:
            assert records[0].outcome == "failed" and not outcome.applied  # judged strictly
            assert outcome.not_applied[0]["why"].startswith(why) and outcome.not_applied[0]["expires"] == "2027-12-02"


def _run(tmp_path: Path, *args: str, area: str = "logstash") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--max-examples", "3", "--area", area,
         "--report-dir", str(tmp_path / "reports"), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.slow(seconds=14)
def test_the_gate_end_to_end(tmp_path: Path) -> None:
    """A failing run writes a baseline; with it the gate passes; without the fault the entries are fixed and pruned."""
    fault = ["--mock-fault", "logstash-put-answers-pipeline"]
    baseline = tmp_path / "accepted.yaml"
    first = _run(tmp_path, *fault, "--baseline", str(baseline), "--baseline-update")
    assert first.returncode == exit_codes.NOT_CONFORMANT
    entries = yaml.safe_load(baseline.read_text())
    assert {e["requirement"] for e in entries} >= {"LOGSTASH-PIPELINE-CREATE-REPLACE"}

    gated = _run(tmp_path, *fault, "--baseline", str(baseline))
    assert gated.returncode == exit_codes.CONFORMANT, gated.stdout[-1500:]
    assert "kibana-conformance: CONFORMANT" in gated.stdout and "baselined" in gated.stdout

    for entry in entries:
        entry["expires"] = "2020-01-01"
    expired = tmp_path / "expired.yaml"
    expired.write_text(yaml.safe_dump(entries))
    assert _run(tmp_path, *fault, "--baseline", str(expired)).returncode == exit_codes.NOT_CONFORMANT

    pruned = _run(tmp_path, "--baseline", str(baseline), "--baseline-prune")
    assert pruned.returncode == exit_codes.CONFORMANT
    assert yaml.safe_load(baseline.read_text()) in (None, [])
    assert "fixed entries removed" in pruned.stdout


@pytest.mark.slow(seconds=7)
def test_a_flavour_skips_what_the_target_does_not_have(tmp_path: Path) -> None:
    result = _run(tmp_path, "--target-flavour", "serverless", "--", "-rs", area="logstash,apm")
    assert result.returncode == exit_codes.CONFORMANT
    assert "not available on serverless targets: Serverless projects have no Logstash" in result.stdout


def test_a_run_that_verifies_nothing_is_incomplete_and_fails_the_gate(tmp_path: Path) -> None:
    result = _run(tmp_path, "--target-flavour", "serverless")
    assert result.returncode == exit_codes.INCOMPLETE
    assert "kibana-conformance: INCOMPLETE" in result.stdout
