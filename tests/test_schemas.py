"""The operation schema files: their shape, their examples, and what they reject."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kibana_conformance.catalog import META_SCHEMA_FILE, Example, Operation, load_catalog, operation_files, read_json

from .schema_mutations import minimal_instance, mutations

CATALOG = load_catalog()
OPERATIONS = list(CATALOG)
EXAMPLES = [ex for op in OPERATIONS for ex in op.examples()]
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_77863d4e6b7d5556.txt"
SEED_MISSING = "the seed document ../shared/seeds/000_77863d4e6b7d5556.txt is not in this checkout's parent folder"
OPERATION_LINE = re.compile(r"^(GET|PUT|POST|DELETE|PATCH) (/api/\S+)$")
HEDGES = re.compile(r"\b(should|must|probably|maybe|might)\b", re.IGNORECASE)


def seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").splitlines()


def test_meta_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(read_json(CATALOG.root / META_SCHEMA_FILE))


@pytest.mark.parametrize("path", operation_files(CATALOG.root), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_is_valid_against_the_meta_schema_and_is_itself_a_schema(path: Path) -> None:
    raw = read_json(path)
    meta = Draft202012Validator(read_json(CATALOG.root / META_SCHEMA_FILE))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in meta.iter_errors(raw)]
    assert errors == []
    Draft202012Validator.check_schema(raw)


def test_catalog_has_the_17_operations_with_unique_ids() -> None:
    assert len(CATALOG) == 17
    assert len({op.id for op in CATALOG}) == 17
    assert len({(op.method, op.path) for op in CATALOG}) == 17


@pytest.mark.skipif(not SEED.is_file(), reason=SEED_MISSING)
def test_every_operation_in_the_document_has_exactly_one_file() -> None:
    documented = {m.groups() for line in seed_lines() if (m := OPERATION_LINE.match(line))}
    assert {(op.method, op.path) for op in CATALOG} == documented


def _all_subschemas(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        found.append((path, node))
        for key, value in node.items():
            found.extend(_all_subschemas(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_all_subschemas(value, f"{path}/{index}"))
    return found


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_descriptions_are_present(op: Operation) -> None:
    missing = [p["name"] for p in op.parameters if not p["description"].strip()]
    missing += [status for status, r in op.responses.items() if not r["description"].strip()]
    assert missing == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_own_wording_is_factual(op: Operation) -> None:
    """Decisions and comments are ours (not quotes of the document): short, no hedging."""
    texts = [d["decision"] for d in op.raw.get("decisions", [])]
    texts += [node["$comment"] for _, node in _all_subschemas(op.raw) if "$comment" in node]
    hedged = [t for t in texts if HEDGES.search(t)]
    too_long = [t for t in texts if len(t) > 400]
    assert hedged == [] and too_long == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_response_status_has_a_schema(op: Operation) -> None:
    without = [s for s, r in op.responses.items() if s != "204" and "content" not in r]
    assert without == []


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_path_template_parameters_are_declared(op: Operation) -> None:
    template = set(re.findall(r"\{([^}]+)\}", op.path))
    assert template == {p["name"] for p in op.parameters_in("path")}


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.is_write], ids=lambda op: op.id)
def test_write_operations_require_kbn_xsrf(op: Operation) -> None:
    header = op.parameter("header", "kbn-xsrf")
    assert header is not None and header["required"] is True


def test_there_are_about_forty_examples() -> None:
    assert len([e for e in EXAMPLES if e.content_type == "application/json"]) >= 38


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.operation_id}:{e.kind}:{e.status or 'body'}:{e.name}")
def test_example_validates_against_its_schema(example: Any) -> None:
    op = CATALOG.get(example.operation_id)
    if example.kind == "request":
        validator = op.request_validator(example.content_type)
    else:
        validator = op.response_validator(example.status, example.content_type)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(example.value)]
    assert errors == []


def _parse_seed_example(text: str) -> Any:
    # The upload example is rendered as a Ruby hash: {"file"=>"...", ...}
    return json.loads(text.replace('"=>', '":'))


@pytest.mark.skipif(not SEED.is_file(), reason=SEED_MISSING)
@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.lines], ids=lambda e: f"{e.operation_id}:{e.kind}:{e.status or 'body'}:{e.name}")
def test_example_is_the_document_verbatim(example: Any) -> None:
    first, last = example.lines
    text = "\n".join(seed_lines()[first - 1 : last])
    assert _parse_seed_example(text) == example.value


def _validator_for(op: Operation, kind: str, status: str | None, content_type: str) -> Any:
    return op.request_validator(content_type) if kind == "request" else op.response_validator(status, content_type)


def _media_types(op: Operation) -> list[tuple[str, str | None, str, dict[str, Any]]]:
    found = [("request", None, ct, m) for ct, m in (op.request_body or {}).get("content", {}).items()]
    found += [("response", s, ct, m) for s, r in op.responses.items() for ct, m in r.get("content", {}).items()]
    return found


def _mutation_cases() -> list[Any]:
    """Invalid variants of every document example, and of a minimal instance where there is none."""
    cases = []
    for op in OPERATIONS:
        for kind, status, content_type, media in _media_types(op):
            schema = {"$ref": media["schema"]["$ref"]}
            bases = [(name, ex["value"]) for name, ex in media.get("examples", {}).items()]
            bases = bases or [("minimal", minimal_instance(schema, op.raw))]
            for name, value in bases:
                example = Example(op.id, kind, status, content_type, name, "", value, None)
                for mutation in mutations(schema, op.raw, value):
                    cases.append(pytest.param(example, mutation, id=f"{op.id}:{status or 'body'}:{name}:{mutation}"))
    return cases


def test_minimal_instances_are_valid() -> None:
    for op in OPERATIONS:
        for kind, status, content_type, media in _media_types(op):
            if not media.get("examples"):
                value = minimal_instance({"$ref": media["schema"]["$ref"]}, op.raw)
                assert _validator_for(op, kind, status, content_type).is_valid(value), (op.id, status)


@pytest.mark.parametrize(("example", "mutation"), _mutation_cases())
def test_invalid_variant_is_rejected(example: Any, mutation: Any) -> None:
    op = CATALOG.get(example.operation_id)
    validator = _validator_for(op, example.kind, example.status, example.content_type)
    assert not validator.is_valid(mutation.instance), f"{mutation} was accepted"


def test_every_operation_has_invalid_variants() -> None:
    covered = {case.values[0].operation_id for case in _mutation_cases()}
    assert covered == {op.id for op in OPERATIONS}


def test_load_catalog_reports_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / "apm").mkdir()
    (tmp_path / META_SCHEMA_FILE).write_text((CATALOG.root / META_SCHEMA_FILE).read_text())
    (tmp_path / "apm" / "post-apm-agent-keys.json").write_text('{"title": ')
    from kibana_conformance.catalog import CatalogError

    with pytest.raises(CatalogError, match=r"post-apm-agent-keys.json:1:\d+: invalid JSON"):
        load_catalog(tmp_path)

