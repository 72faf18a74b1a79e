"""The ceiling: how many requests per second the mock serves, and with what latency.

Runs the mock in its own process and loads it on loopback with `wrk` when installed
(Debian: apt-get install wrk), else with a bounded asyncio httpx loop. One GET operation
(prebuilt rules status) and one PUT (Fleet settings), a fixed duration each.

    python bench/mock_throughput.py [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import mock_process, percentile, rss_mib  # noqa: E402

AUTH = "Basic " + base64.b64encode(b"elastic:changeme").decode()
GET_PATH = "/api/detection_engine/rules/prepackaged/_status"
PUT_PATH = "/api/fleet/settings"
PUT_BODY = json.dumps({"has_seen_add_data_notice": True})


def _wrk_latency(output: str, label: str) -> float:
    found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not found:
        return float("nan")
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def with_wrk(url: str, method: str, seconds: int, connections: int) -> dict[str, float]:
    script = f"""
wrk.method = "{method}"
wrk.headers["Authorization"] = "{AUTH}"
wrk.headers["kbn-xsrf"] = "bench"
wrk.headers["Content-Type"] = "application/json"
{f"wrk.body = '{PUT_BODY}'" if method == "PUT" else ""}
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    path = GET_PATH if method == "GET" else PUT_PATH
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", handle.name, url + path],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": _wrk_latency(out, "50%"), "p99_ms": _wrk_latency(out, "99%"), "non_2xx": float(errors.group(1)) if errors else 0.0}


async def _client_loop(url: str, method: str, until: float, latencies: list[float], statuses: list[int]) -> None:
    import httpx

    headers = {"Authorization": AUTH, "kbn-xsrf": "bench", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        path, body = (GET_PATH, None) if method == "GET" else (PUT_PATH, PUT_BODY)
        while time.perf_counter() < until:
            started = time.perf_counter()
            response = await client.request(method, path, content=body)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)


def with_httpx(url: str, method: str, seconds: int, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    statuses: list[int] = []

    async def main() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_client_loop(url, method, until, latencies, statuses) for _ in range(connections)))

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "non_2xx": float(sum(1 for s in statuses if not 200 <= s < 300)),
    }


def load_function(loader: str) -> Callable[[str, str, int, int], dict[str, float]]:
    return with_wrk if loader == "wrk" else with_httpx


def load_options(doc: str, rounds: int | None = None) -> argparse.Namespace:
    """The options of a throughput benchmark: --seconds, --connections, --loader (and --rounds, given its default)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--loader", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx")
    if rounds is not None:
        parser.add_argument("--rounds", type=int, default=rounds, help="measurements of each side, taken in turn (the median is reported)")
    return parser.parse_args()


def measure(seconds: int, connections: int, loader: str) -> dict[str, dict[str, float]]:
    run = load_function(loader)
    results = {}
    with mock_process() as (url, pid):
        run(url, "GET", 1, connections)  # warm-up
        for method in ("GET", "PUT"):
            results[method] = run(url, method, seconds, connections)
        results["GET"]["rss_mib"] = rss_mib(pid)
    return results


def main() -> None:
    args = load_options(__doc__)
    results = measure(args.seconds, args.connections, args.loader)
    print(f"mock throughput ({args.loader}, {args.connections} connections, {args.seconds} s each, loopback)")
    for method, figures in results.items():
        path = GET_PATH if method == "GET" else PUT_PATH
        print(f"  {method} {path}: {figures['rps']:.0f} req/s, p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, non-2xx {figures['non_2xx']:.0f}")
    print(json.dumps({"mock_throughput": results, "loader": args.loader}))


if __name__ == "__main__":
    main()
