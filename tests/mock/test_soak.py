"""bench/soak.py keeps working: a 3-second run passes and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
FIGURES = ("requests:", "requests/s:", "statuses:", "5xx:", "transport errors:", "lost updates:", "RSS start/peak/end:", "verdict:")


def test_a_short_soak_passes_and_prints_its_figures() -> None:
    result = subprocess.run([sys.executable, str(SOAK), "--seconds", "3"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for label in FIGURES:
        assert any(line.startswith(label) for line in lines), f"no {label!r} line in:\n{result.stdout}"
    figures = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines if ":" in line}
    assert int(figures["requests"]) > 0
    assert figures["5xx"] == "0" and figures["lost updates"] == "0"
    assert figures["verdict"] == "OK"
