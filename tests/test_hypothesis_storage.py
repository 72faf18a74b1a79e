"""hypothesis' files (its codec tables: about 2 s of CPU to compute) are kept in the suite's cache folder, not
computed again in ``.hypothesis/`` of every working folder a run starts from."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import configuration

from kibana_conformance.suite.properties import use_shared_hypothesis_storage

from .helpers import WITHOUT_COVERAGE


def _home() -> Path:
    return configuration.storage_directory(intent_to_write=False).path


@pytest.fixture
def restored_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """hypothesis' storage folder is one per process: this process' is put back after each test."""
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    before = _home()
    yield before
    configuration.set_hypothesis_home_dir(before)


def test_the_cache_folder_holds_hypothesis_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restored_home: Path) -> None:
    monkeypatch.setenv("KIBANA_CONFORMANCE_CACHE_DIR", str(tmp_path / "cache"))
    use_shared_hypothesis_storage()
    assert _home() == tmp_path / "cache" / "hypothesis"


def test_a_storage_folder_the_user_chose_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restored_home: Path) -> None:
    monkeypatch.setenv("KIBANA_CONFORMANCE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "mine"))
    use_shared_hypothesis_storage()
    assert _home() == restored_home
    assert not (tmp_path / "cache").exists()


def test_an_unusable_cache_folder_leaves_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restored_home: Path) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("KIBANA_CONFORMANCE_CACHE_DIR", str(tmp_path / "a-file" / "cache"))  # cannot be created
    use_shared_hypothesis_storage()
    assert _home() == restored_home


@pytest.mark.slow(seconds=5)
def test_a_run_keeps_the_tables_in_the_cache_folder_and_leaves_no_hypothesis_folder(tmp_path: Path) -> None:
    env = {**os.environ, "KIBANA_CONFORMANCE_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    result = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--area", "logstash", "--max-examples", "3", "-n", "0",
         "--report-dir", str(tmp_path / "reports")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert list((tmp_path / "cache" / "hypothesis" / "unicode_data").rglob("codec-*-utf-8.json.gz"))
    assert not (tmp_path / ".hypothesis").exists()
