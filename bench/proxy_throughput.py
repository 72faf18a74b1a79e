"""What the validation proxy costs: requests per second and latency straight to the mock and through
`kibana-conformance proxy` in front of it, measured in one run with the same load, and their ratio.

The mock and the proxy run in their own processes; the load is mock_throughput's (wrk when
installed, else a bounded asyncio httpx loop), one GET and one PUT operation, a fixed duration each,
direct and through the proxy in turn for several rounds (the median of each side is reported, so a
busy machine weighs on both alike).
Then the proxy is stopped with SIGTERM, which writes its reports: the time that takes and the
proxy's peak RSS are reported too.

    python bench/proxy_throughput.py [--seconds 10] [--connections 32] [--rounds 3]
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cli_process, mock_process, percentile, rss_mib  # noqa: E402
from mock_throughput import load_function, load_options  # noqa: E402


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: percentile([r[key] for r in runs], 50) for key in runs[0]}


def measure(seconds: int, connections: int, loader: str, rounds: int = 3) -> dict[str, Any]:
    run = load_function(loader)
    results: dict[str, Any] = {"loader": loader, "connections": connections, "seconds": seconds, "rounds": rounds}
    with mock_process() as (upstream, _), tempfile.TemporaryDirectory() as reports:
        with cli_process("proxy", "--upstream", upstream, "--port", "0", "--report-dir", reports) as (proxy, proc):
            for url in (upstream, proxy):
                run(url, "GET", 1, connections)  # warm-up
            for method in ("GET", "PUT"):
                pairs = [(run(upstream, method, seconds, connections), run(proxy, method, seconds, connections)) for _ in range(rounds)]
                direct, through = _median([d for d, _ in pairs]), _median([t for _, t in pairs])
                results[method] = {
                    "direct": direct,
                    "proxy": through,
                    "rps_ratio": through["rps"] / direct["rps"],
                    "p50_added_ms": through["p50_ms"] - direct["p50_ms"],
                }
            results["proxy_rss_mib"] = rss_mib(proc.pid)
            results["proxy_peak_rss_mib"] = _peak_rss_mib(proc.pid)
            started = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            summary, _ = proc.communicate(timeout=300)
            results["stop_and_write_reports_s"] = time.perf_counter() - started
            results["proxy_exit_code"] = proc.returncode
            results["proxy_summary"] = summary.strip()
            har = Path(reports) / "exchanges.har"
            results["har_mib"] = har.stat().st_size / 1024 / 1024 if har.is_file() else None
    return results


def main() -> None:
    args = load_options(__doc__, rounds=3)
    results = measure(args.seconds, args.connections, args.loader, args.rounds)
    print(f"proxy throughput ({args.loader}, {args.connections} connections, {args.seconds} s each, median of {args.rounds} rounds, loopback)")
    for method in ("GET", "PUT"):
        figures = results[method]
        direct, through = figures["direct"], figures["proxy"]
        print(
            f"  {method}: direct {direct['rps']:.0f} req/s, p50 {direct['p50_ms']:.2f} ms; through the proxy {through['rps']:.0f} req/s, "
            f"p50 {through['p50_ms']:.2f} ms; ratio {figures['rps_ratio']:.2f}, p50 +{figures['p50_added_ms']:.2f} ms"
        )
    print(f"  proxy RSS {results['proxy_rss_mib']:.0f} MiB (peak {results['proxy_peak_rss_mib']:.0f}), stop and reports {results['stop_and_write_reports_s']:.1f} s")
    print(json.dumps({"proxy_throughput": results}))


if __name__ == "__main__":
    main()
