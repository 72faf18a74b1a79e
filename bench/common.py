"""Shared helpers for the benchmark scripts: a mock in its own process, timing, machine facts."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kibana-conformance", "schemathesis", "hypothesis", "pytest", "pytest-xdist", "httpx", "starlette", "uvicorn", "httptools", "uvloop")


@contextmanager
def cli_process(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``kibana-conformance ARGS`` in a subprocess that prints its URL on its first line: yields (url, process)."""
    proc = subprocess.Popen([*kibana_conformance(), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        found = re.search(r"(http://\S+)", line)
        if not found:
            raise RuntimeError(f"{args[0]} did not start: {line!r}")
        yield found.group(1), proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


@contextmanager
def mock_process(*args: str) -> Iterator[tuple[str, int]]:
    """``kibana-conformance mock`` in a subprocess on a free port: yields (url, pid)."""
    with cli_process("mock", "--port", "0", *args) as (url, proc):
        yield url, proc.pid


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, str]:
    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total_kib = int(meminfo.read_text().split()[1])
        memory = f"{total_kib / 1024 / 1024:.1f} GiB"
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = "-"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "wrk": "yes" if shutil.which("wrk") else "no",
        **{f"pkg:{k}": v for k, v in packages.items()},
    }


def kibana_conformance() -> list[str]:
    return [sys.executable, "-m", "kibana_conformance.cli"]


def timed_into(function: Callable[..., Any], totals: dict[str, float], key: str, counter: str | None = None) -> Callable[..., Any]:
    """``function``, adding its wall time to ``totals[key]`` (and 1 to ``totals[counter]``) at each call: the
    bench's pytest plugins wrap the suite's functions with it."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started
            if counter:
                totals[counter] += 1

    return timed
