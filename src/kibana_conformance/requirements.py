"""``kibana-conformance requirements``: the catalogue of what the suite claims to check.

Built from the collected suites without a target (pytest collection with the plugin in catalogue
mode): every requirement id with the document's sentence, where the sentence stands in the
document, its category, operations, the tests that check it, the Kibana versions it holds for and
the faults of the zoo expected to be caught by it.

The document's line numbers are computed when the package is built (``python -m
kibana_conformance.requirements SEED`` writes :data:`SOURCES_FILE`, which ships in the package); the
installed product never needs the seed document. A sentence the index does not hold has
``source: null`` and a ``source_note`` saying why.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from .catalog import SEED_DOCUMENT, load_catalog
from .keys import TestMeta
from .paths import suites_dir
from .plugin import requirement_meta

SOURCES_FILE = Path(__file__).resolve().parent / "requirement_sources.json"
FORMATS = ("json", "yaml", "markdown")
# A requirement's text quotes the document in pieces: sentences, "a / b", "field: description", "(a note)".
PIECE_BREAK = re.compile(r"(?<=[.!?])\s+|\s+/\s+|;\s+|:\s+|\s*[()]\s*")
MIN_PIECE = 20  # shorter pieces ("Required.") locate nothing
MAX_PLACES = 4  # a piece found on more lines than this ("Response examples (200)") is boilerplate


class CatalogueError(Exception):
    """The suites could not be collected (one line, exit code 2)."""


class _Collector:
    """A pytest plugin that records every collected test's requirement and runs nothing."""

    kct_catalogue = True  # plugin.CATALOGUE: the suites are collected without a target

    def __init__(self) -> None:
        self.tests: list[tuple[str, TestMeta]] = []
        self.errors: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            meta = requirement_meta(item)
            if meta is not None:
                self.tests.append((item.nodeid, meta))

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {str(report.longrepr).strip().splitlines()[-1] if report.longrepr else 'collection failed'}")


def collect_tests(suites: Path | None = None) -> list[tuple[str, TestMeta]]:
    """(node id, what it verifies) of every test of the suites, collected without a target."""
    suites = suites or suites_dir()
    collector = _Collector()
    argv = [str(suites), "--collect-only", "-q", f"--rootdir={suites.parent}", "-c", os.devnull, "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = pytest.main(argv, plugins=[collector])
    if collector.errors or int(code) not in (0, 5):
        problem = collector.errors[0] if collector.errors else (out.getvalue().strip().splitlines() or [f"pytest exit code {int(code)}"])[-1]
        raise CatalogueError(f"the suites could not be collected: {problem}")
    return sorted(collector.tests, key=lambda pair: pair[0])


# --- the document's lines ------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split())


def pieces(doc: str) -> list[str]:
    """The pieces of a requirement's text long enough to be looked up: the whole, its sentences and quoted parts."""
    text = _normal(doc)
    parts = [text, *(p.strip(" .,") for p in PIECE_BREAK.split(text))]
    return [p for p in dict.fromkeys(parts) if len(p) >= MIN_PIECE]


def locate(doc: str, document_lines: list[str]) -> list[int]:
    """The 1-based lines of the document where a piece of ``doc`` stands verbatim (empty when none does)."""
    normal = [_normal(line) for line in document_lines]
    found: set[int] = set()
    for piece in pieces(doc):
        places = [number for number, line in enumerate(normal, 1) if piece in line]
        if len(places) <= MAX_PLACES:
            found.update(places)
    return sorted(found)


def build_sources(docs: Iterable[str], document: Path) -> dict[str, Any]:
    """The line index of every requirement text in the seed document (what :data:`SOURCES_FILE` holds)."""
    lines = document.read_text(encoding="utf-8").splitlines()
    return {"document": document.name, "lines": {doc: locate(doc, lines) for doc in sorted(set(docs)) if doc}}


def load_sources() -> dict[str, Any] | None:
    try:
        return json.loads(SOURCES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _source(doc: str, sources: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
    if not doc:
        return None, "the test states no sentence of the document"
    if sources is None:
        return None, f"the package holds no line index ({SOURCES_FILE.name}) and the seed document is absent"
    lines = sources.get("lines", {}).get(doc)
    if lines is None:
        return None, f"not in the line index built from {sources.get('document')} (rebuild it: python -m kibana_conformance.requirements SEED)"
    if not lines:
        return None, "the sentence is not verbatim in the document (assembled from several places, or a rule of the platform)"
    return {"document": sources.get("document", SEED_DOCUMENT), "lines": lines}, None


# --- the catalogue -----------------------------------------------------------------------------------


def _faults() -> list[dict[str, Any]]:
    from .mock.faults import catalogue

    return [fault.as_dict() for fault in catalogue().values()]


def build_catalogue(tests: list[tuple[str, TestMeta]], faults: list[dict[str, Any]], sources: dict[str, Any] | None) -> dict[str, Any]:
    """Every requirement, once, with what checks it; faults keyed by name with their expected requirements."""
    by_id: dict[str, dict[str, Any]] = {}
    for nodeid, meta in tests:
        entry = by_id.setdefault(
            meta.requirement,
            {"id": meta.requirement, "doc": meta.doc, "source": None, "source_note": None, "category": meta.category, "operations": [], "tests": [], "since": meta.since, "until": meta.until, "faults": []},
        )
        entry["tests"].append(nodeid)
        entry["operations"] = sorted(set(entry["operations"]) | set(meta.operations))
        if meta.doc and meta.doc != entry["doc"] and len(meta.doc) > len(entry["doc"]):
            entry["doc"] = meta.doc  # one requirement, the fullest wording of its sentence
    for fault in faults:
        for requirement in fault.get("expected") or []:
            if requirement in by_id:
                by_id[requirement]["faults"].append(fault["name"])
    for entry in by_id.values():
        entry["source"], entry["source_note"] = _source(entry["doc"], sources)
        entry["faults"] = sorted(entry["faults"])
    unknown = sorted({r for fault in faults for r in fault.get("expected") or [] if r not in by_id})
    catalog = load_catalog()
    return {
        "schema_version": catalog.version,
        "document": (sources or {}).get("document", SEED_DOCUMENT),
        "requirements": sorted(by_id.values(), key=lambda e: e["id"]),
        "faults": [{"name": f["name"], "operations": f.get("operations"), "expected": f.get("expected") or []} for f in faults],
        "unknown_expected": unknown,
    }


def catalogue() -> dict[str, Any]:
    return build_catalogue(collect_tests(), _faults(), load_sources())


# --- formats -----------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return _normal(text).replace("|", "\\|")


def to_markdown(data: dict[str, Any]) -> str:
    reqs = data["requirements"]
    out = [
        "# Requirements catalogue",
        "",
        "Generated by `kibana-conformance requirements --format markdown` from the collected suites; "
        "`tests/test_requirements.py` fails when this file is stale. Regenerate it with "
        "`kibana-conformance requirements --format markdown --output docs/requirements.md`.",
        "",
        f"{len(reqs)} requirements, {sum(len(r['tests']) for r in reqs)} tests, {len(data['faults'])} faults in the zoo; "
        f"document `{data['document']}`, schema version `{data['schema_version'].split('+')[0]}`.",
        "Source lines are the lines of the document where the sentence stands verbatim; versions are Kibana's, "
        "`any` when the requirement is not known to change.",
        "",
    ]
    for r in reqs:
        lines = r["source"]["lines"] if r["source"] else []
        source = f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}" if lines else f"none ({r['source_note']})"
        versions = "any" if not (r["since"] or r["until"]) else f"{r['since'] or 'any'} to {r['until'] or 'now'}"
        out += [f"## {r['id']}", "", f"> {_md(r['doc']) or '(no sentence)'}", ""]
        out.append(f"- category: {r['category']}; operations: {', '.join(f'`{o}`' for o in r['operations']) or 'every selected operation'}")
        out.append(f"- source: {source}")
        out.append(f"- Kibana versions: {versions}")
        out.append(f"- faults expected to be caught: {', '.join(f'`{f}`' for f in r['faults']) or 'none'}")
        out.append(f"- tests ({len(r['tests'])}):")
        out += [f"  - `{t}`" for t in r["tests"]]
        out.append("")
    if data["unknown_expected"]:
        out += ["## Faults expecting unknown requirements", "", *[f"- `{r}`" for r in data["unknown_expected"]], ""]
    return "\n".join(out).rstrip("\n") + "\n"


def render(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    return to_markdown(data)


def main(argv: list[str] | None = None) -> int:
    """``python -m kibana_conformance.requirements SEED``: rebuild the packaged line index from the seed document."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_file():
        print("usage: python -m kibana_conformance.requirements SEED_DOCUMENT", file=sys.stderr)
        return 2
    docs = [meta.doc for _, meta in collect_tests()]
    SOURCES_FILE.write_text(json.dumps(build_sources(docs, Path(args[0])), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SOURCES_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
