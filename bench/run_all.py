"""Run every benchmark and write bench/RESULTS.md (machine, date, figures, targets).

    python bench/run_all.py [--quick]

--quick uses fewer pairs and smaller --max-examples values, to check the scripts work.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mock_throughput  # noqa: E402
import proxy_throughput  # noqa: E402
import suite_runs  # noqa: E402
from common import ROOT, machine  # noqa: E402


def _row(name: str, value: str, target: str, met: bool | None) -> str:
    mark = "" if met is None else ("met" if met else "**missed**")
    return f"| {name} | {value} | {target} | {mark} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--project-tests", action="store_true", help="also time the project's own tests (README command 2: pytest -n 2), several minutes")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    facts = machine()
    print("warm-up run...", flush=True)
    suite_runs.warm_up()
    print("full run...", flush=True)
    full = suite_runs.full_run(["--max-examples", "20"] if args.quick else None)
    print("exchanges.har cost...", flush=True)
    har = suite_runs.har_cost(1 if args.quick else 3, ["--max-examples", "20"] if args.quick else None)
    print("peer comparison...", flush=True)
    peer = suite_runs.peer_comparison(pairs=1 if args.quick else 3, max_examples=20 if args.quick else 100)
    print("scaling...", flush=True)
    scale = suite_runs.scaling((5, 10, 20) if args.quick else (10, 50, 100, 500))
    print("mock throughput...", flush=True)
    mock = mock_throughput.measure(3 if args.quick else 10, 32, "wrk" if mock_throughput.shutil.which("wrk") else "httpx")
    print("proxy throughput...", flush=True)
    proxy = proxy_throughput.measure(3 if args.quick else 10, 32, "wrk" if mock_throughput.shutil.which("wrk") else "httpx", 1 if args.quick else 3)
    print("start-up...", flush=True)
    start = suite_runs.startup()
    project = suite_runs.project_tests() if args.project_tests else None
    rows = [
        _row("full run, wall time (default: bundled mock, max-examples 100)", f"{full['wall_s']:.1f} s", "< 30 s", None if args.quick else full["wall_s"] < 30),
        _row("full run, CPU time (all processes)", f"{full['cpu_s']:.1f} s", "", None),
        _row("full run, peak RSS (largest process)", f"{full['peak_rss_mib_any_child']:.0f} MiB", "", None),
        _row("full run, HTTP requests sent", f"{full['requests']} ({full['requests_per_s']:.0f}/s)", "", None),
        _row(
            "exchanges.har: time spent recording and writing it, as a share of the rest of the run (median of 3 runs, bench/har_timing.py)",
            f"{har['recording_wall_share']:+.1%} wall, {har['recording_cpu_share']:+.1%} CPU ({har['recording'][0]['recording_s']:.2f} s for {har['entries']:.0f} entries)",
            "< 5%", None if args.quick else har["recording_wall_share"] < 0.05,
        ),
        _row(
            "exchanges.har: full run with / without it (median of 3 each, interleaved; other tenants' load moves runs by ±15%)",
            f"{har['har']['wall_s']:.1f} s / {har['no_har']['wall_s']:.1f} s ({har['wall_share']:+.1%} wall, {har['cpu_share']:+.1%} CPU)",
            "", None,
        ),
        _row(
            "generated cases per operation whose valid request can vary, min / median",
            f"{full['generated_per_operation_min']} / {full['generated_per_operation_median']:.0f} "
            f"(fixed requests, {len(full['fixed_input_operations'])} operations: {min(full['fixed_input_operations'].values(), default=0)}"
            f"-{max(full['fixed_input_operations'].values(), default=0)})",
            ">= 100", None if args.quick else full["generated_per_operation_min"] >= 100,
        ),
        _row("wall time per generated case, ours / schemathesis CLI (median of pairs)", f"{peer['case_ratio_median']:.2f} (range {peer['case_ratio_min']:.2f}-{peer['case_ratio_max']:.2f}; cases {peer['pairs'][0]['ours_cases']} / {peer['pairs'][0]['peer_cases']}, "
            f"failures the CLI reported {peer['pairs'][0]['peer_failures']})", "<= 0.5", peer["case_ratio_median"] <= 0.5),
        _row(
            "of which schemathesis' case generation alone, per our case / the CLI's whole time per case (the lowest ratio this generator allows)",
            f"{peer['generation_floor_median']:.2f} (range {peer['generation_floor_min']:.2f}-{peer['generation_floor_max']:.2f}; "
            f"generation {peer['pairs'][0]['ours_split']['generation_s']:.1f} s of {peer['pairs'][0]['ours_split']['property_tests_s']:.1f} s in the property tests)",
            "", None,
        ),
        _row("wall time per request the mock answered (cases and the checks' probes), ours / schemathesis CLI", f"{peer['ratio_median']:.2f} (range {peer['ratio_min']:.2f}-{peer['ratio_max']:.2f}; requests {peer['pairs'][0]['ours_requests']} / {peer['pairs'][0]['peer_requests']})", "", None),
        _row("speed-up with -n 2 over -n 1", f"{scale['speedup_n2']:.2f}x", ">= 1.6x", scale["speedup_n2"] >= 1.6),
        _row("run time per --max-examples step", f"{scale['seconds_per_example']:.3f} s/example, start-up {scale['startup_s_intercept']:.1f} s, worst deviation from the line {scale['linear_fit_worst_relative_error']:.0%}", "linear", None),
        _row("mock GET throughput", f"{mock['GET']['rps']:.0f} req/s, p50 {mock['GET']['p50_ms']:.1f} ms, p99 {mock['GET']['p99_ms']:.1f} ms", ">= 2000 req/s, p99 < 20 ms", mock["GET"]["rps"] >= 2000 and mock["GET"]["p99_ms"] < 20),
        _row("mock PUT throughput", f"{mock['PUT']['rps']:.0f} req/s, p50 {mock['PUT']['p50_ms']:.1f} ms, p99 {mock['PUT']['p99_ms']:.1f} ms", "", None),
        *(
            _row(
                f"proxy {method} throughput, through the proxy / direct to the mock (one run, median of rounds)",
                f"{proxy[method]['proxy']['rps']:.0f} / {proxy[method]['direct']['rps']:.0f} req/s (ratio {proxy[method]['rps_ratio']:.2f}), "
                f"p50 {proxy[method]['proxy']['p50_ms']:.1f} / {proxy[method]['direct']['p50_ms']:.1f} ms",
                "", None,
            )
            for method in ("GET", "PUT")
        ),
        _row("start-up: to the first request / the first test request", f"{start['to_first_request_s']:.2f} s / {start['to_first_test_request_s']:.2f} s", "< 5 s", start["to_first_test_request_s"] < 5),
    ]
    if project is not None:
        rows.append(_row("project tests (pytest -n 2), wall", f"{project['wall_s']:.0f} s ({project['summary']})", "< 240 s", project["wall_s"] < 240))
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python bench/run_all.py{' --quick' if args.quick else ''}` on {facts['date']}.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items() if not k.startswith("pkg:") and k != "date"),
        "",
        "Packages: " + ", ".join(f"{k[4:]} {v}" for k, v in facts.items() if k.startswith("pkg:")),
        "",
        "| figure | value | target | |",
        "|---|---|---|---|",
        *rows,
        "",
        "## Raw figures",
        "",
        "```json",
        json.dumps({"full_run": full, "har_cost": har, "peer": peer, "scaling": scale, "mock": mock, "proxy": proxy, "startup": start, "project_tests": project}, indent=2),
        "```",
        "",
    ]
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[:8 + len(rows) + 2]))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
