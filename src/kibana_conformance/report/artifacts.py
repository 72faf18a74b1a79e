"""Writing the artifacts of a run, every one through the redaction point.

:func:`write_reports` renders ``results.json``, ``index.html`` and ``allure-results/`` from the results;
:func:`sweep` passes the files other tools write (JUnit by pytest, Allure by allure-pytest when a user asks for it) through
the same :class:`~kibana_conformance.redaction.Redactor` once they are complete. :class:`ReportFolder`
claims the folder for one run (a lock) and clears what an earlier run left there, so a report
never mixes two runs.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..redaction import Redactor

RESULTS_FILE = "results.json"
HTML_FILE = "index.html"
JUNIT_FILE = "junit.xml"
HAR_FILE = "exchanges.har"
ALLURE_DIR = "allure-results"
LOCK_FILE = ".kibana-conformance.lock"
# What a run writes into its report folder; an earlier run's copies are removed when a run starts.
RUN_OUTPUTS = (RESULTS_FILE, HTML_FILE, JUNIT_FILE, HAR_FILE, "baseline.yaml")
SWEPT_SUFFIXES = (".json", ".xml", ".txt", ".html", ".har", ".yaml", ".log", ".md")


class ReportFolderError(ValueError):
    """The report folder cannot be used (a usage error: one line, exit code 2)."""


def write_text(path: Path, text: str, redactor: Redactor) -> None:
    """The one way an artifact's text reaches the disk."""
    write_chunks(path, (text,), redactor)


def write_chunks(path: Path, chunks: Iterable[str], redactor: Redactor) -> None:
    """An artifact written piece by piece (each piece redacted whole: a piece is a unit such as one HAR entry)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(redactor.text(chunk))
    os.replace(tmp, path)


def write_reports(results: dict[str, Any], report_dir: Path, redactor: Redactor, *, allure: bool = True) -> list[str]:
    """``results.json``, ``index.html`` and (``allure``) ``allure-results/``; each written whatever happens to the
    others. Returns the problems."""
    from .html import render

    problems: list[str] = []
    makers = [(RESULTS_FILE, lambda: json.dumps(results, indent=2, ensure_ascii=False) + "\n"), (HTML_FILE, lambda: render(results))]
    for name, make in makers:
        try:
            write_text(report_dir / name, make(), redactor)
        except OSError as exc:
            problems.append(f"cannot write {report_dir / name}: {exc.strerror or exc}")
        except Exception as exc:  # a rendering bug must not cost the other file
            problems.append(f"cannot render {name}: {type(exc).__name__}: {exc}")
    if allure:
        problems += write_allure(results, report_dir / ALLURE_DIR, redactor)
    return problems


def write_allure(results: dict[str, Any], folder: Path, redactor: Redactor) -> list[str]:
    """The Allure results of the run's tests, replacing whatever the folder held."""
    from .allure import result_files

    try:
        if folder.is_dir():
            shutil.rmtree(folder)
        for name, text in result_files(results):
            write_text(folder / name, text, redactor)
    except OSError as exc:
        return [f"cannot write {folder}: {exc.strerror or exc}"]
    except Exception as exc:  # a rendering bug must not cost the other reports
        return [f"cannot render {ALLURE_DIR}: {type(exc).__name__}: {exc}"]
    return []


def sweep(paths: Iterable[Path], redactor: Redactor) -> list[str]:
    """Redact files written by other tools, in place (every text file under each path)."""
    problems: list[str] = []
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
        for path in files:
            if path.suffix.lower() not in SWEPT_SUFFIXES and not path.name.endswith("-attachment"):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            cleaned = redactor.text(text)
            if cleaned != text:
                try:
                    path.write_text(cleaned, encoding="utf-8")
                except OSError as exc:
                    problems.append(f"cannot redact {path}: {exc.strerror or exc}")
    return problems


class ReportFolder:
    """A report folder claimed by one run: locked while the run lasts, cleared of an earlier run's outputs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def claim(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportFolderError(f"--report-dir: cannot create {self.path}: {exc.strerror or exc}") from None
        if not self.path.is_dir():
            raise ReportFolderError(f"--report-dir: {self.path} is not a folder")
        for name in RUN_OUTPUTS:
            if (self.path / name).is_dir():
                raise ReportFolderError(f"--report-dir: {self.path / name} is a folder, where the run writes a file; remove it or choose another folder")
        self._lock()
        for name in RUN_OUTPUTS:
            (self.path / name).unlink(missing_ok=True)
        for spill in self.path.glob(".exchanges-*.jsonl"):  # an interrupted run's HAR spill files
            spill.unlink(missing_ok=True)
        allure = self.path / ALLURE_DIR
        if allure.is_dir():
            shutil.rmtree(allure, ignore_errors=True)

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock, as before
            return
        try:
            self._handle = open(self.path / LOCK_FILE, "a+")  # noqa: SIM115 (held for the whole run)
        except OSError as exc:
            raise ReportFolderError(f"--report-dir: cannot write to {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._handle.seek(0)
            holder = self._handle.read().strip() or "another run"
            self._handle.close()
            self._handle = None
            raise ReportFolderError(f"--report-dir: {self.path} is in use by {holder}; wait for it or choose another folder") from None
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(f"kibana-conformance run, pid {os.getpid()}")
        self._handle.flush()

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # the lock goes with it; the file stays (removing it would race another run)
            self._handle = None
