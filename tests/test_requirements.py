"""The requirements catalogue: built from the collected suites without a target, complete, and
committed as docs/requirements.md (stale means a failing test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kibana_conformance.keys import TestMeta
from kibana_conformance.requirements import build_catalogue, build_sources, locate, to_markdown

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "000_77863d4e6b7d5556.txt"
SEED_MISSING = "the seed document ../shared/seeds/000_77863d4e6b7d5556.txt is not next to this checkout"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kibana_conformance.cli", *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def catalogue() -> dict:
    done = _cli("requirements", "--format", "json")
    assert done.returncode == 0, done.stderr
    # Collected without a target: no mock started, no preflight.
    assert "checking" not in done.stderr
    return json.loads(done.stdout)


SHARED_RUN = pytest.mark.xdist_group("requirements-catalogue")  # the catalogue is collected once, in one worker


@SHARED_RUN
def test_every_requirement_has_its_sentence_operations_and_tests(catalogue: dict) -> None:
    requirements = catalogue["requirements"]
    assert len(requirements) > 80
    ids = [r["id"] for r in requirements]
    assert len(ids) == len(set(ids))
    for r in requirements:
        assert r["doc"], r["id"]
        assert r["operations"], r["id"]
        assert r["tests"] and all(t.startswith("suites/") for t in r["tests"]), r["id"]
        assert (r["source"] is None) == bool(r["source_note"]), r["id"]
    # The property tests stand for every operation, one node id each.
    schema = next(r for r in requirements if r["id"] == "SCHEMA-PROPERTIES")
    assert len(schema["operations"]) == 17


@SHARED_RUN
def test_every_fault_expects_requirements_the_catalogue_lists(catalogue: dict) -> None:
    assert catalogue["unknown_expected"] == []
    listed = {r["id"] for r in catalogue["requirements"]}
    for fault in catalogue["faults"]:
        assert fault["expected"] and set(fault["expected"]) <= listed, fault["name"]
    caught = {name for r in catalogue["requirements"] for name in r["faults"]}
    assert caught == {f["name"] for f in catalogue["faults"]}


def test_docs_requirements_md_is_not_stale() -> None:
    done = _cli("requirements", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    committed = (ROOT / "docs" / "requirements.md").read_text(encoding="utf-8")
    assert done.stdout == committed, "docs/requirements.md is stale: kibana-conformance requirements --format markdown --output docs/requirements.md"


@SHARED_RUN
def test_yaml_is_the_same_catalogue(catalogue: dict) -> None:
    import yaml

    done = _cli("requirements", "--format", "yaml")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout) == catalogue


@pytest.mark.skipif(not SEED.is_file(), reason=SEED_MISSING)
@SHARED_RUN
def test_the_packaged_line_index_is_built_from_the_seed(catalogue: dict) -> None:
    from kibana_conformance.requirements import load_sources

    docs = {r["doc"] for r in catalogue["requirements"]}
    packaged = load_sources()
    assert packaged is not None
    fresh = build_sources(docs, SEED)
    stale = {doc for doc in docs if packaged["lines"].get(doc) != fresh["lines"][doc]}
    assert not stale, f"rebuild: python -m kibana_conformance.requirements {SEED}"
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for r in catalogue["requirements"]:
        for number in (r["source"] or {}).get("lines", []):
            assert 1 <= number <= len(lines)


def test_locate_finds_sentences_and_ignores_boilerplate() -> None:
    lines = ["Title", "  The name of the   APM agent key.", "Response examples (200)", "Response examples (200)", "x", "Response examples (200)", "Response examples (200)", "Response examples (200)"]
    assert locate("name string Required: The name of the APM agent key.", lines) == [2]
    assert locate("Response examples (200): nothing else", lines) == []  # on five lines: it locates nothing
    assert locate("A sentence of our own that the document never says.", lines) == []


def test_without_a_line_index_source_is_null_with_a_reason() -> None:
    tests = [("suites/x.py::test_a", TestMeta("X-ONE", "scenarios", "A sentence.", ("op-a",), since="8.15.0"))]
    data = build_catalogue(tests, [{"name": "f", "operations": None, "expected": ["X-ONE", "X-GONE"]}], None)
    (entry,) = data["requirements"]
    assert entry["source"] is None and "seed document is absent" in entry["source_note"]
    assert entry["since"] == "8.15.0" and entry["until"] is None and entry["faults"] == ["f"]
    assert data["unknown_expected"] == ["X-GONE"]
    assert "8.15.0 to now" in to_markdown(data) and "`X-GONE`" in to_markdown(data)


def test_bad_format_is_a_usage_error() -> None:
    done = _cli("requirements", "--format", "xml")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
