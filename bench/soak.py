"""A bounded soak of the mock Kibana deployment.

Starts ``kibana-conformance mock`` in a subprocess (so that its memory can be read from
/proc), runs concurrent clients mixing reads and writes against it for a fixed time, and
prints the figures. Exits 1 on any 5xx, transport error or lost update, 0 otherwise.

    python bench/soak.py                 # 32 clients, 30 s
    python bench/soak.py --seconds 120   # longer
"""

from __future__ import annotations

import argparse
import base64
import json
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

AUTH = ("elastic", "changeme")
POLICY = "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"
ITEM = {
    "item_id": "simple_list_item",
    "name": "Soaked item",
    "type": "simple",
    "entries": [{"type": "match", "field": "host.name", "value": "rock01", "operator": "included"}],
}
READS = [
    "/api/detection_engine/rules/prepackaged/_status",
    "/api/entity_store/engines",
    "/api/entity_analytics/monitoring/privileges/health",
    "/api/fleet/epm/packages",
    "/api/fleet/outputs/fleet-default-output",
    "/api/fleet/agent_status/data?agentsIds=3e7a9c1b-5d2f-4a8e-b6c4-2f9d1e3a5c7b",
    "/api/osquery/live_queries/3c42c847-eb30-4452-80e0-728584042334/results/609c4c66-ba3d-43fa-afdd-53e244577aa0",
    "/api/streams/web-services/_group",
    "/api/cases/configure",
]
RSS_EVERY = 5.0


@dataclass
class Tally:
    """One client's results; merged at the end, so the clients share nothing while running."""

    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    revisions: list[int] = field(default_factory=list)  # package policy revisions answered
    item_seq_nos: list[int] = field(default_factory=list)  # exception item versions answered


def seq_no(version: str) -> int:
    return int(json.loads(base64.b64decode(version))[0])


def one_request(client: httpx.Client, rng: random.Random, me: int, n: int, tally: Tally) -> None:
    kind = rng.choices(["policy", "item", "conversation", "pipeline", "read"], weights=[2, 2, 1, 1, 4])[0]
    if kind == "policy":
        response = client.put(f"/api/fleet/package_policies/{POLICY}", json={"description": f"client {me} write {n}"})
        if response.status_code == 200:
            tally.revisions.append(response.json()["item"]["revision"])
    elif kind == "item":
        response = client.put("/api/exception_lists/items", json={**ITEM, "description": f"client {me} write {n}"})
        if response.status_code == 200:
            tally.item_seq_nos.append(seq_no(response.json()["_version"]))
    elif kind == "conversation":
        response = client.post("/api/security_ai_assistant/current_user/conversations", json={"id": f"soak-{me}-{n}", "title": f"Soak {n}"})
    elif kind == "pipeline":
        response = client.put(f"/api/logstash/pipeline/soak-{rng.randrange(8)}", json={"pipeline": f"input {{ stdin {{}} }} # {me}/{n}"})
    else:
        response = client.get(rng.choice(READS))
    tally.statuses[response.status_code] += 1


def run_client(url: str, me: int, deadline: float, tally: Tally) -> None:
    rng = random.Random(me)
    with httpx.Client(base_url=url, auth=AUTH, headers={"kbn-xsrf": "soak"}, timeout=10) as client:
        n = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                one_request(client, rng, me, n, tally)
            except httpx.HTTPError as exc:
                tally.errors[type(exc).__name__] += 1
            tally.latencies.append(time.monotonic() - started)
            n += 1


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def start_mock() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kibana_conformance.cli", "mock", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    first: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: first.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        line = first.get(timeout=60)
    except queue.Empty:
        process.kill()
        raise SystemExit("soak: the mock did not start within 60 s") from None
    if not line.startswith("Mock Kibana listening on "):
        process.kill()
        raise SystemExit(f"soak: unexpected first line from the mock: {line!r}")
    return process, line.split()[-1]


def state(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/_mock/state", auth=AUTH, timeout=30).json()


def contiguous(values: list[int], after: int) -> bool:
    return sorted(values) == list(range(after + 1, after + 1 + len(values)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the clients run (default: 30)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients, each with its own connection (default: 32)")
    args = parser.parse_args(argv)

    process, url = start_mock()
    try:
        before = state(url)
        initial_revision = before["spaces"]["default"]["fleet"]["package_policies"][POLICY]["revision"]
        initial_seq_no = before["shared"]["exception_lists"]["seq_no"]
        rss = [rss_mib(process.pid)]
        deadline = time.monotonic() + args.seconds
        tallies = [Tally() for _ in range(args.clients)]
        clients = [threading.Thread(target=run_client, args=(url, me, deadline, tallies[me])) for me in range(args.clients)]
        started = time.monotonic()
        for client in clients:
            client.start()
        next_sample = started + RSS_EVERY
        while any(client.is_alive() for client in clients):
            time.sleep(0.1)
            if time.monotonic() >= next_sample:
                rss.append(rss_mib(process.pid))
                next_sample += RSS_EVERY
        elapsed = time.monotonic() - started
        after = state(url)
        rss.append(rss_mib(process.pid))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            exit_code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            exit_code = process.wait()

    statuses: Counter[int] = sum((t.statuses for t in tallies), Counter())
    errors: Counter[str] = sum((t.errors for t in tallies), Counter())
    latencies = [x for t in tallies for x in t.latencies]
    revisions = [r for t in tallies for r in t.revisions]
    seq_nos = [s for t in tallies for s in t.item_seq_nos]
    final_revision = after["spaces"]["default"]["fleet"]["package_policies"][POLICY]["revision"]
    final_seq_no = after["shared"]["exception_lists"]["seq_no"]
    policy_lost = final_revision != initial_revision + len(revisions) or not contiguous(revisions, initial_revision)
    item_lost = final_seq_no != initial_seq_no + len(seq_nos) or not contiguous(seq_nos, initial_seq_no)
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    total = sum(statuses.values())

    print(f"soak: {args.clients} clients for {elapsed:.1f} s against {url} (mock pid {process.pid})")
    print(f"requests:            {total}")
    print(f"requests/s:          {total / elapsed:.1f}")
    print(f"latency p50/p99/max: {percentile(latencies, 0.5) * 1000:.1f} / {percentile(latencies, 0.99) * 1000:.1f} / {max(latencies, default=0) * 1000:.1f} ms")
    print(f"statuses:            {', '.join(f'{status}={n}' for status, n in sorted(statuses.items()))}")
    print(f"5xx:                 {server_errors}")
    print(f"transport errors:    {sum(errors.values())}{' (' + ', '.join(f'{k}={v}' for k, v in errors.items()) + ')' if errors else ''}")
    print(f"package policy:      revision {initial_revision} -> {final_revision} after {len(revisions)} updates: {'LOST UPDATES' if policy_lost else 'none lost'}")
    print(f"exception item:      seq_no {initial_seq_no} -> {final_seq_no} after {len(seq_nos)} updates: {'GAP OR REPEAT' if item_lost else 'gap-free'}")
    print(f"lost updates:        {int(policy_lost) + int(item_lost)}")
    print(f"RSS start/peak/end:  {rss[0]:.1f} / {max(rss):.1f} / {rss[-1]:.1f} MiB (growth {rss[-1] - rss[0]:+.1f} MiB)")
    print(f"mock exit code:      {exit_code}")
    failed = server_errors or errors or policy_lost or item_lost or exit_code != 0
    print(f"verdict:             {'FAIL' if failed else 'OK'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
