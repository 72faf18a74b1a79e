"""pytest-xdist (`-n 2`) reaches the same verdict, with the same failing requirements, as a serial run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import WITHOUT_COVERAGE


def _run(tmp_path: Path, name: str, *args: str) -> tuple[int, str, set[str]]:
    report = tmp_path / name
    proc = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--max-examples", "3", "--seed", "5", "--report-dir", str(report), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    results = json.loads((report / "results.json").read_text())
    failed = {f"{t['requirement']} {','.join(t['operations'])}" for t in results["tests"] if t["outcome"] in ("failed", "error")}
    return proc.returncode, results["verdict"], failed


@pytest.mark.slow(seconds=22)
def test_two_workers_and_one_agree(tmp_path: Path) -> None:
    """Against a faulty mock, so that the comparison has failures to compare: a failure only one of the runs has
    (lost, or made up by the split) shows as a difference of the sets. (A clean mock's run under two workers is
    conformant in tests/test_har.py and tests/live.)"""
    faults = ["--mock-fault", "security-exception-version-not-bumped"]
    serial = _run(tmp_path, "serial", *faults, "-n", "0")
    parallel = _run(tmp_path, "parallel", *faults, "-n", "2")
    assert serial == parallel
    assert serial[1] == "not conformant" and serial[2], serial
