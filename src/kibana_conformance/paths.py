"""Where the shipped suites live (inside the package once installed, ``suites/`` in a checkout)."""

from __future__ import annotations

import os
from pathlib import Path


def suites_dir() -> Path:
    """The suites shipped in the package, or the checkout's ``suites/`` when run from source."""
    packaged = Path(__file__).resolve().parent / "suites"
    if (packaged / "conftest.py").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "suites"


def cache_folder() -> Path:
    """Where the suite keeps what it can compute again (``KIBANA_CONFORMANCE_CACHE_DIR``, else the user's cache folder)."""
    chosen = os.environ.get("KIBANA_CONFORMANCE_CACHE_DIR")
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "kibana-conformance"
