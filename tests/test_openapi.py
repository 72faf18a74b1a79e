"""The assembled OpenAPI document: valid, complete, and loadable by schemathesis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import schemathesis
from openapi_spec_validator import validate

from kibana_conformance.catalog import load_catalog
from kibana_conformance.openapi import PLATFORM_ERROR_STATUS, assemble, default_document

CATALOG = load_catalog()


def test_document_passes_openapi_spec_validator() -> None:
    validate(assemble(CATALOG))


def test_every_operation_has_every_documented_status() -> None:
    document = default_document()
    for op in CATALOG:
        responses = document["paths"][op.path][op.method.lower()]["responses"]
        assert set(responses) == set(op.responses) | {PLATFORM_ERROR_STATUS}


def test_security_schemes_cover_api_key_and_basic_auth() -> None:
    schemes = default_document()["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"] == {**schemes["apiKeyAuth"], "type": "apiKey", "in": "header", "name": "Authorization"}
    assert schemes["basicAuth"]["scheme"] == "basic"


def test_no_reference_points_outside_the_document() -> None:
    text = json.dumps(default_document())
    assert "#/$defs/" not in text


def test_schemathesis_loads_all_17_operations() -> None:
    schema = schemathesis.openapi.from_dict(assemble(CATALOG))
    labels = sorted(result.ok().label for result in schema.get_all_operations())
    assert labels == sorted(op.label for op in CATALOG)


def test_examples_survive_assembly() -> None:
    document = default_document()
    settings = document["paths"]["/api/fleet/settings"]["put"]
    example = next(iter(settings["requestBody"]["content"]["application/json"]["examples"].values()))
    assert example["value"]["kibana_urls"] == ["https://example.com"]
    assert "x-document-lines" in example


def test_cli_openapi_from_another_directory(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "openapi"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["openapi"] == "3.1.0"
