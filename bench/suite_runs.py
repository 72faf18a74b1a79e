"""Whole-suite figures: the default full run, the peer comparison, scaling, start-up.

Each function runs real commands and returns plain figures; run_all.py prints and records them.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, kibana_conformance, mock_process  # noqa: E402

from kibana_conformance.openapi import default_document  # noqa: E402
from kibana_conformance.paths import suites_dir  # noqa: E402
from kibana_conformance.selftest import disabled_checks, peer_config  # noqa: E402

CREDENTIALS = ["--username", "elastic", "--password", "changeme"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall and CPU time of a command; ``env`` adds to the environment."""
    import os

    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv[:6])}... exited {proc.returncode}: {proc.stderr[-500:] or proc.stdout[-500:]}")
    return {"wall_s": wall, "cpu_s": _children_cpu() - cpu_before, "exit": float(proc.returncode)}


def _results(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "results.json").read_text())


def warm_up() -> None:
    """One small run first: the first run after a machine sat idle reads every module from disk (measured 45 s
    against 30 s for the next ones), which is the disk's figure, not the suite's."""
    with tempfile.TemporaryDirectory() as tmp:
        timed([*kibana_conformance(), "run", "--max-examples", "2", "--report-dir", f"{tmp}/r"], Path(tmp))


def fixed_input_operations() -> set[str]:
    """Operations whose valid request cannot vary: no parameter the suite leaves open (path parameters are pinned to
    the run's fixtures) and no body, or only the empty object. Hypothesis draws the same request for them again and
    again, so the target of 100 generated cases per operation does not apply to them."""
    from kibana_conformance.fixture_ids import RESOURCES
    from kibana_conformance.suite.profiles import pinned_path_parameters

    pinned = pinned_path_parameters(RESOURCES)
    fixed = set()
    for item in default_document("positive")["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            op_id = operation["operationId"]
            open_parameters = [p for p in operation.get("parameters", []) if not (p["in"] == "path" and p["name"] in pinned.get(op_id, {}))]
            bodies = [media["schema"] for media in operation.get("requestBody", {}).get("content", {}).values()]
            if not open_parameters and all(_empty_object_only(body) for body in bodies):
                fixed.add(op_id)
    return fixed


def _empty_object_only(schema: dict[str, Any]) -> bool:
    parts = schema.get("allOf", [schema])
    return len(parts) == 1 and parts[0].get("type") == "object" and parts[0].get("additionalProperties") is False and not parts[0].get("properties")


def full_run(extra: list[str] | None = None) -> dict[str, Any]:
    """`kibana-conformance run` with its defaults (the bundled mock, max-examples 100)."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = timed([*kibana_conformance(), "run", "--report-dir", f"{tmp}/r", *(extra or [])], Path(tmp))
        results = _results(Path(tmp) / "r")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    requests = sum(sum(entry["statuses"].values()) for entry in results["coverage"].values())
    generated = {k: v for k, v in results["generated_requests"].items() if "(undocumented)" not in k}
    fixed = fixed_input_operations()
    varying = {k: v for k, v in generated.items() if k not in fixed}
    return {
        **figures,
        "peak_rss_mib_any_child": peak,
        "requests": requests,
        "requests_per_s": requests / figures["wall_s"],
        "tests": len(results["tests"]),
        "verdict": results["verdict"],
        "generated_per_operation_min": min(varying.values()),
        "generated_per_operation_median": statistics.median(varying.values()),
        "generated_per_operation": generated,
        "fixed_input_operations": {k: v for k, v in generated.items() if k in fixed},
    }


def har_cost(runs: int = 3, extra: list[str] | None = None) -> dict[str, Any]:
    """What recording exchanges.har costs: the full run with it (the default) and with --no-har, interleaved
    (which goes first alternates: a machine that slows down or speeds up favours neither), ``runs`` of each;
    the medians of wall and CPU time, and the extra time as a share of the run without."""
    figures: dict[str, list[dict[str, float]]] = {"har": [], "no_har": []}
    kinds: list[tuple[str, list[str]]] = [("har", []), ("no_har", ["--no-har"])]
    measured: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(runs):
            for kind, flags in kinds if index % 2 else kinds[::-1]:
                folder = Path(tmp) / f"{kind}-{index}"
                timing = Path(tmp) / f"har-timing-{index}.jsonl"
                env = {"PYTHONPATH": str(Path(__file__).resolve().parent), "PYTEST_ADDOPTS": "-p har_timing", "KCT_BENCH_HAR_TIMING": str(timing)}
                argv = [*kibana_conformance(), "run", "--seed", "1", "--report-dir", str(folder), *flags, *(extra or [])]
                figures[kind].append(timed(argv, Path(tmp), env if kind == "har" else None))
                if kind == "har":
                    figures.setdefault("entries", []).append({"n": float(_results(folder)["har"]["entries"])})
                    measured.append(_recording_share(timing, figures[kind][-1]["wall_s"]))
    medians = {kind: {key: statistics.median(f[key] for f in figures[kind]) for key in ("wall_s", "cpu_s")} for kind in ("har", "no_har")}
    return {
        **medians,
        "entries": figures["entries"][0]["n"],
        "wall_share": medians["har"]["wall_s"] / medians["no_har"]["wall_s"] - 1,
        "cpu_share": medians["har"]["cpu_s"] / medians["no_har"]["cpu_s"] - 1,
        "recording_wall_share": statistics.median(m["wall_share"] for m in measured),
        "recording_cpu_share": statistics.median(m["cpu_share"] for m in measured),
        "recording": measured,
        "runs": {kind: figures[kind] for kind in ("har", "no_har")},
    }


def _recording_share(timing: Path, wall_s: float) -> dict[str, float]:
    """The time one run spent on its HAR (bench/har_timing.py), against the rest of that run.

    Wall: each worker records on its tests' own path and the main process writes the file at the end, after
    the workers: the slowest worker's recording plus the writing is what the run would have saved without it.
    CPU: every process's recording and writing, against every process's CPU time.
    """
    rows = [json.loads(line) for line in timing.read_text().splitlines()]
    if not sum(r["observed"] for r in rows):
        raise RuntimeError(f"bench/har_timing.py timed no recording ({timing}): the suite's HAR code moved, the figure would read 0%")
    recording = sum(r["observe_s"] + r["write_s"] for r in rows)
    critical = max(r["observe_s"] for r in rows) + sum(r["write_s"] for r in rows)
    return {"recording_s": recording, "observed": sum(r["observed"] for r in rows),
            "wall_share": critical / (wall_s - critical), "cpu_share": recording / (sum(r["process_cpu_s"] for r in rows) - recording)}


def _served(url: str) -> int:
    """Requests the mock has answered so far (its control plane counts them): the same count for both tools."""
    import httpx

    return httpx.get(f"{url}/_mock/stats", auth=("elastic", "changeme")).json()["requests"]


def _ours(url: str, tmp: Path, max_examples: int, seed: int) -> tuple[float, int, int, dict[str, float]]:
    """Wall time, requests the mock answered, generated cases (each sent once, checked; the checks' own probes are not
    cases), and the split of the property tests' time between generating cases and sending and checking them."""
    before = _served(url)
    split_file = tmp / "generation_timing.json"
    env = {"PYTHONPATH": str(Path(__file__).resolve().parent), "KCT_BENCH_GENERATION_TIMING": str(split_file)}
    figures = timed(
        [sys.executable, "-m", "pytest", str(suites_dir() / "test_properties.py"), "-q", "--assert=plain", "-p", "no:cacheprovider",
         "-p", "generation_timing", "--base-url", url, *CREDENTIALS, "--max-examples", str(max_examples), "--seed", str(seed),
         "--report-dir", str(tmp / "ours")],
        tmp,
        env,
    )
    generated = sum(_results(tmp / "ours")["generated_requests"].values())
    split = json.loads(split_file.read_text())
    if not split["calls"]:
        raise RuntimeError("bench/generation_timing.py timed no case: the suite's property-test code moved, generation would read as all of the time")
    return figures["wall_s"], _served(url) - before, generated, split


def _peer(url: str, tmp: Path, max_examples: int, seed: int) -> tuple[float, int, int, int]:
    """The same for `schemathesis run`: its generated cases as its summary counts them ("N generated"), and the
    failures it reports (each one ends that operation's phase early, so it should report few)."""
    import re

    (tmp / "openapi.json").write_text(json.dumps(default_document()))
    # With the suite's settings of the checks: otherwise the CLI stops each operation's coverage phase at the
    # first of Kibana's documented answers it reports (404 to an undeclared method) and does a tenth of the coverage cases.
    (tmp / "schemathesis.toml").write_text(peer_config(url, seed, max_examples, suite_checks=True))
    before = _served(url)
    argv = [sys.executable, "-m", "schemathesis.cli", "run", "openapi.json", "--checks", "all", "--exclude-checks", ",".join(disabled_checks()),
            "--workers", "1", "--phases", "examples,coverage,fuzzing", "--no-color"]
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=tmp, capture_output=True, text=True)
    wall = time.perf_counter() - started
    found = re.search(r"(\d+) generated", proc.stdout)
    if proc.returncode not in (0, 1) or not found:
        raise RuntimeError(f"schemathesis run exited {proc.returncode} without its summary: {proc.stdout[-500:]}")
    failures = re.search(r"found (\d+) unique failure", proc.stdout)
    return wall, _served(url) - before, int(found.group(1)), int(failures.group(1)) if failures else 0


def peer_comparison(pairs: int = 3, max_examples: int = 100, seed: int = 7) -> dict[str, Any]:
    """Our property tests vs `schemathesis run` on the same document and mock, alternating A B A B.

    A test case is a request the mock answered, counted by the mock for both tools alike.
    """
    ratios, case_ratios, floors, rows = [], [], [], []
    with mock_process() as (url, _pid), tempfile.TemporaryDirectory() as tmp:
        for pair in range(pairs):
            ours_wall, ours_requests, ours_cases, split = _ours(url, Path(tmp), max_examples, seed + pair)
            peer_wall, peer_requests, peer_cases, peer_failures = _peer(url, Path(tmp), max_examples, seed + pair)
            ratio = (ours_wall / ours_requests) / (peer_wall / peer_requests)
            case_ratio = (ours_wall / ours_cases) / (peer_wall / peer_cases)
            # The part of our per-case time spent in schemathesis' and hypothesis' generation, against the CLI's
            # whole per-case time: the lowest case_ratio this generator allows, were sending and checking free.
            generation_floor = (split["generation_s"] / ours_cases) / (peer_wall / peer_cases)
            ratios.append(ratio)
            case_ratios.append(case_ratio)
            floors.append(generation_floor)
            rows.append({"ours_wall_s": ours_wall, "ours_requests": ours_requests, "ours_cases": ours_cases, "peer_wall_s": peer_wall,
                         "peer_requests": peer_requests, "peer_cases": peer_cases, "peer_failures": peer_failures, "ratio": ratio, "case_ratio": case_ratio,
                         "ours_split": split, "generation_floor": generation_floor})
    return {"pairs": rows, "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "case_ratio_median": statistics.median(case_ratios), "case_ratio_min": min(case_ratios), "case_ratio_max": max(case_ratios),
            "generation_floor_median": statistics.median(floors), "generation_floor_min": min(floors), "generation_floor_max": max(floors)}


def scaling(max_examples: tuple[int, ...] = (10, 50, 100, 500)) -> dict[str, Any]:
    """-n 1 against -n 2, and the run time as --max-examples grows (a least-squares line)."""
    workers = {n: full_run(["-n", str(n), "--max-examples", "100"])["wall_s"] for n in (1, 2)}
    growth = {n: full_run(["--max-examples", str(n)])["wall_s"] for n in max_examples}
    xs, ys = list(growth), list(growth.values())
    slope, intercept = statistics.linear_regression(xs, ys)
    fitted = [intercept + slope * x for x in xs]
    worst = max(abs(y - f) / y for y, f in zip(ys, fitted, strict=True))
    return {
        "wall_s_by_workers": workers,
        "speedup_n2": workers[1] / workers[2],
        "wall_s_by_max_examples": growth,
        "seconds_per_example": slope,
        "startup_s_intercept": intercept,
        "linear_fit_worst_relative_error": worst,
    }


def startup() -> dict[str, float]:
    """From launching `kibana-conformance run` to the first request the target receives, and to the first test request."""
    from kibana_conformance.mock import MockServer

    arrivals: list[tuple[float, str]] = []

    def wrap(app: Any) -> Any:
        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                arrivals.append((time.perf_counter(), scope["path"]))
            await app(scope, receive, send)

        return recording

    with MockServer(wrap=wrap) as mock, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        thread = threading.Thread(
            target=subprocess.run,
            args=([*kibana_conformance(), "run", "--base-url", mock.url, *CREDENTIALS, "--max-examples", "10", "--report-dir", f"{tmp}/r"],),
            kwargs={"cwd": tmp, "capture_output": True},
        )
        thread.start()
        thread.join()
    first = arrivals[0][0] - started if arrivals else float("nan")
    first_api = next((t - started for t, path in arrivals if path != "/api/status" and not path.startswith("/_mock")), float("nan"))
    return {"to_first_request_s": first, "to_first_test_request_s": first_api}


def project_tests() -> dict[str, Any]:
    """The project's own tests as README command 2 runs them (pytest -n 2), wall time and summary line."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:randomly"], cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return {"wall_s": time.perf_counter() - started, "exit": proc.returncode, "summary": lines[-1].strip("= ") if lines else ""}
