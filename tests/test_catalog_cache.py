"""The meta-schema check of the schema files is remembered per exact content (it costs each process
most of a second); any change of content is checked again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kibana_conformance.catalog import CatalogError, default_root, load_catalog


@pytest.fixture
def schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIBANA_CONFORMANCE_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "schemas"
    shutil.copytree(default_root(), root)
    load_catalog.cache_clear()
    yield root
    load_catalog.cache_clear()


def test_valid_content_is_remembered(schemas: Path) -> None:
    load_catalog(schemas)
    markers = list((schemas.parent / "cache").glob("catalog-valid-*"))
    assert len(markers) == 1


def test_changed_content_is_checked_again(schemas: Path) -> None:
    load_catalog(schemas)
    load_catalog.cache_clear()
    path = next(schemas.glob("*/*.json"))
    raw = json.loads(path.read_text())
    raw["x-not-allowed-by-the-meta-schema"] = True
    path.write_text(json.dumps(raw))
    with pytest.raises(CatalogError, match=path.name):
        load_catalog(schemas)


def test_no_cache_folder_still_checks(schemas: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = schemas.parent / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("KIBANA_CONFORMANCE_CACHE_DIR", str(blocked / "cache"))  # cannot be created
    load_catalog(schemas)
    load_catalog.cache_clear()
    path = next(schemas.glob("*/*.json"))
    path.write_text(json.dumps({**json.loads(path.read_text()), "x-not-allowed-by-the-meta-schema": True}))
    with pytest.raises(CatalogError):
        load_catalog(schemas)
