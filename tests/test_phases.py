"""--phases: which of the property tests' phases run (examples, coverage, fuzzing), and the fact selftest
relies on to run its later clean seeds with the fuzzing phase alone: the examples and coverage phases
send the same requests whatever the seed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kibana_conformance import cli
from kibana_conformance.options import PHASES, SettingsError, build_settings, parse_phases

OPERATION = "put-fleet-settings"  # a body with fields to vary: its coverage phase sends ~80 cases


def test_phases_are_named_in_any_order_and_kept_in_running_order() -> None:
    assert parse_phases("fuzzing, examples") == ("examples", "fuzzing")
    assert build_settings({}).phases == PHASES
    assert build_settings({"kibana_phases": "coverage"}).phases == ("coverage",)


@pytest.mark.parametrize("text", ["fuzz", "examples,stateful", " , "])
def test_an_unknown_phase_is_one_line_and_exit_2(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SettingsError, match="--phases: expected some of examples, coverage, fuzzing"):
        parse_phases(text)
    assert cli.main(["run", "--phases", text]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--phases" in err and "Traceback" not in err


def test_a_bad_value_from_the_environment_or_ini_names_where_it_came_from() -> None:
    from kibana_conformance.options import BY_DEST, resolve_option

    option = BY_DEST["kibana_phases"]
    with pytest.raises(SettingsError, match="^KIBANA_CONFORMANCE_PHASES: expected some of"):
        resolve_option(option, None, {"KIBANA_CONFORMANCE_PHASES": "fuzz"}, None)
    with pytest.raises(SettingsError, match="^ini kibana_phases: expected some of"):
        resolve_option(option, None, {}, "fuzz")
    assert resolve_option(option, "fuzzing,coverage", {"KIBANA_CONFORMANCE_PHASES": "fuzz"}, None) == "coverage,fuzzing"


def _run(folder: Path, *args: str, operation: str = OPERATION, max_examples: int = 3) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", "--operation", operation, "--requirement", "SCHEMA-PROPERTIES",
         "--max-examples", str(max_examples), "-n", "0", "--report-dir", str(folder), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads((folder / "results.json").read_text())


def _requests(folder: Path) -> Counter[str]:
    """The requests of the property tests (each run has a mock of its own: the URL without its host), with the
    run's random prefix made equal."""
    entries = json.loads((folder / "exchanges.har").read_text())["log"]["entries"]
    sent = [(e["request"]["method"], urlsplit(e["request"]["url"])._replace(scheme="", netloc="").geturl(), (e["request"].get("postData") or {}).get("text", "")) for e in entries if e["_requirement"] == "SCHEMA-PROPERTIES"]
    return Counter(re.sub(r"kct-[0-9a-f]{6}", "kct-RUN", json.dumps(s)) for s in sent)


@pytest.mark.slow(seconds=11)
def test_examples_and_coverage_send_the_same_requests_whatever_the_seed(tmp_path: Path) -> None:
    first = _run(tmp_path / "1", "--phases", "examples,coverage", "--seed", "1")
    _run(tmp_path / "2", "--phases", "examples,coverage", "--seed", "2")
    assert first["phases"] == ["examples", "coverage"]
    one, two = _requests(tmp_path / "1"), _requests(tmp_path / "2")
    assert sum(one.values()) > 50 and one == two
    # ...which is not so of the fuzzing phase (so the comparison above can tell runs apart)
    _run(tmp_path / "3", "--phases", "fuzzing", "--seed", "1")
    _run(tmp_path / "4", "--phases", "fuzzing", "--seed", "2")
    assert _requests(tmp_path / "3") != _requests(tmp_path / "4")
    assert "Property phases" in (tmp_path / "3" / "index.html").read_text()


def test_a_purpose_without_any_phase_is_skipped_with_the_reason(tmp_path: Path) -> None:
    results = _run(tmp_path, "--phases", "examples", "--seed", "1")
    outcomes = {t["nodeid"].split("::")[-1]: t for t in results["tests"]}
    negative = next(t for name, t in outcomes.items() if name.startswith("test_invalid_requests_are_refused"))
    positive = next(t for name, t in outcomes.items() if name.startswith("test_valid_requests_conform"))
    assert positive["outcome"] == "passed"
    assert negative["outcome"] == "skipped" and "invalid requests come from the coverage and fuzzing phases" in negative["skip_reason"]


def test_an_operation_without_invalid_cases_sends_all_its_examples_valid(tmp_path: Path) -> None:
    """--max-examples is shared between the valid and the invalid cases of an operation; where the suite sends no
    invalid ones (the profile's no_negative_data: the upload's form fields), the valid cases get them all."""
    upload = _run(tmp_path / "upload", "--phases", "fuzzing", operation="post-endpoint-action-upload", max_examples=8)
    negative = next(t for t in upload["tests"] if "test_invalid_requests_are_refused" in t["nodeid"])
    assert negative["outcome"] == "skipped" and "no generated invalid data" in negative["skip_reason"]
    assert upload["generated_requests"]["post-endpoint-action-upload"] == 8  # 4 when it was shared with nothing
