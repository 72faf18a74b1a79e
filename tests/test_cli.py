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
