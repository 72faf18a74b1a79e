"""Where the shipped suites live (inside the package once installed, ``suites/`` in a checkout)."""

from __future__ import annotations

from pathlib import Path


def suites_dir() -> Path:
    """The suites shipped in the package, or the checkout's ``suites/`` when run from source."""
    packaged = Path(__file__).resolve().parent / "suites"
    if (packaged / "conftest.py").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "suites"
