"""The suite's detection power, gated in CI: the clean mock passes on ten seeds and the suite
kills at least 95% of the fault zoo; a surviving fault fails unless it says why no black-box
test can see it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from kibana_conformance.mock.faults import catalogue
from kibana_conformance.selftest import Options, batches, peer_config, selftest, write

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


def test_every_fault_is_described_and_scoped() -> None:
    for fault in catalogue().values():
        assert fault.description and not fault.description.endswith(".")
        assert fault.name.split("-")[0] in {"apm", "cases", "fleet", "logstash", "platform", "security", "spaces", "streams"}


def test_the_peer_gets_the_same_test_data(tmp_path: Path) -> None:
    config = tomllib.loads(peer_config("http://127.0.0.1:1", 3, 7))
    assert config["generation"]["max-examples"] == 7 and config["seed"] == 3
    pinned = {op["include-operation-id"]: op["parameters"] for op in config["operations"]}
    assert pinned["put-fleet-package-policies-packagepolicyid"] == {"path.packagePolicyId": "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"}


def test_the_zoo_is_killed_and_the_clean_mock_passes(tmp_path: Path) -> None:
    options = Options(max_examples=5, clean_seeds=10, jobs=2, compare=False, batch=True, report_dir=tmp_path, budget=1500)
    summary = selftest(options, progress=lambda line: None)
    _, markdown = write(summary, tmp_path)
    report = markdown.read_text()
    assert summary["clean_ok"], report
    assert summary["not_run"] == [], report
    assert summary["survivors"] == [], report
    assert summary["kill_rate"] >= REQUIRED_KILL_RATE, report
