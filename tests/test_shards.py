"""`run --shard K/N` and `merge`: two shards of one seed, merged, give exactly the tests, each test's outcome
and the verdict of one run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kibana_conformance import exit_codes

from .helpers import WITHOUT_COVERAGE

SELECTION = (*WITHOUT_COVERAGE, "--operation", "get-cases-configure,put-logstash-pipeline-id", "--max-examples", "3", "--seed", "7")


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kibana_conformance.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def _tests(folder: Path) -> tuple[str, dict[str, str]]:
    """The verdict, and each test's outcome by node id."""
    results = json.loads((folder / "results.json").read_text())
    return results["verdict"], {t["nodeid"]: t["outcome"] for t in results["tests"]}


def _differences(merged: dict[str, str], single: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    return {nodeid: (merged.get(nodeid), single.get(nodeid)) for nodeid in sorted(set(merged) | set(single)) if merged.get(nodeid) != single.get(nodeid)}


# One fault per operation, so that each shard has failures to compare (a shard keeps an operation whole).
FAULTS = ("logstash-replace-refused", "cases-configure-default-owner")


@pytest.mark.slow(seconds=13)
@pytest.mark.parametrize("fault", [False, True], ids=["clean", "faulty"])
def test_two_shards_merged_are_one_run(tmp_path: Path, fault: bool) -> None:
    faults = tuple(arg for name in FAULTS for arg in ("--mock-fault", name)) if fault else ()
    single = _cli(tmp_path, "run", *SELECTION, *faults, "--report-dir", str(tmp_path / "single"))
    codes = [_cli(tmp_path, "run", *SELECTION, *faults, "--shard", f"{k}/2", "--report-dir", str(tmp_path / f"shard{k}")).returncode for k in (1, 2)]
    merged = _cli(tmp_path, "merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "--report-dir", str(tmp_path / "merged"))
    verdict, tests = _tests(tmp_path / "merged")
    one_verdict, one_tests = _tests(tmp_path / "single")
    parts = [_tests(tmp_path / f"shard{k}")[1] for k in (1, 2)]
    assert parts[0] and parts[1] and not set(parts[0]) & set(parts[1])  # each shard has its part, none twice
    assert _differences(tests, one_tests) == {}  # the same tests, each with the same outcome (merged, single)
    assert verdict == one_verdict
    if fault:
        assert all("failed" in part.values() for part in parts)  # the comparison covers failures in each shard, not only passes
    assert merged.returncode == single.returncode == (exit_codes.NOT_CONFORMANT if fault else exit_codes.CONFORMANT)
    assert (exit_codes.NOT_CONFORMANT in codes) == bool(fault)
    junit = (tmp_path / "merged" / "junit.xml").read_text()
    assert junit.count("<testcase ") == len(tests)


def test_merging_a_shard_twice_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "shard"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"seed": 1, "verdict": "conformant", "tests": [{"nodeid": "suites/x.py::t", "requirement": "R", "category": "scenarios", "doc": "", "operations": []}]}))
    done = _cli(tmp_path, "merge", str(folder), str(folder), "--report-dir", str(tmp_path / "out"))
    assert done.returncode == exit_codes.USAGE_ERROR and "suites/x.py::t is in shards 1 and 2" in done.stderr


@pytest.mark.parametrize("text", ["3/2", "0/2", "two", "1/"])
def test_a_bad_shard_is_a_usage_error(tmp_path: Path, text: str) -> None:
    done = _cli(tmp_path, "run", "--shard", text, "--report-dir", str(tmp_path / "r"))
    assert done.returncode == exit_codes.USAGE_ERROR and "--shard" in done.stdout + done.stderr


def test_shards_of_different_phases_are_not_merged(tmp_path: Path) -> None:
    """A shard run without the coverage phase is a weaker run: merged with a full one it would pass for one."""
    for k, phases in ((1, ["examples", "coverage", "fuzzing"]), (2, ["fuzzing"])):
        folder = tmp_path / f"shard{k}"
        folder.mkdir()
        test = {"nodeid": f"suites/x.py::t{k}", "requirement": "R", "category": "scenarios", "doc": "", "operations": []}
        (folder / "results.json").write_text(json.dumps({"seed": 1, "phases": phases, "verdict": "conformant", "tests": [test]}))
    done = _cli(tmp_path, "merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "--report-dir", str(tmp_path / "out"))
    assert done.returncode == exit_codes.USAGE_ERROR and "the shards ran different phases" in done.stderr and "--phases" in done.stderr
