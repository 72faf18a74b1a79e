"""The command line: its output and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kibana_conformance import exit_codes
from kibana_conformance.cli import main


def test_list_prints_every_operation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "PUT     /api/fleet/package_policies/{packagePolicyId}" in out
    assert "17 operations" in out
    assert len([line for line in out.splitlines() if line.startswith(("GET ", "PUT ", "POST "))]) == 17


def test_openapi_writes_the_document_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "nested" / "openapi.json"
    assert main(["openapi", "--output", str(target)]) == 0
    assert len([p for item in json.loads(target.read_text())["paths"].values() for p in item]) == 17


def test_unwritable_output_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["openapi", "--output", str(blocker / "x.json")]) == exit_codes.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kibana-conformance: error: cannot write")


def test_unknown_command_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == exit_codes.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'frobnicate'" in err


def test_a_test_id_as_the_terminal_shows_it_names_the_shipped_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed test's id copied from the output (suites/...) reruns that test alone, from any folder."""
    from kibana_conformance.paths import suites_dir
    from kibana_conformance.runner import suite_paths

    monkeypatch.chdir(tmp_path)
    suites = suites_dir()
    given = ["-k", "suites", "suites/platform/test_authorization.py::test_x[a]", "-q"]
    assert suite_paths(given, suites) == (["-k", "suites", f"{suites.parent}/suites/platform/test_authorization.py::test_x[a]", "-q"], True)
    assert suite_paths(["-k", "authorization"], suites) == (["-k", "authorization"], False)
    (tmp_path / "suites").mkdir()  # a folder of the user's own named suites/ is theirs
    assert suite_paths(["suites/"], suites) == (["suites/"], False)


def test_run_with_a_test_id_runs_only_that_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    test_id = "suites/platform/test_authorization.py::test_missing_credentials_stay_401_where_a_caller_without_privileges_gets_403"
    code = main(["run", "--report-dir", str(tmp_path / "r"), "--", test_id])
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert code == 0, capsys.readouterr().out
    assert results["tests"] and all(t["nodeid"].startswith(test_id) for t in results["tests"])
