"""exchanges.har: every request of a run (property tests included, across pytest-xdist workers),
with its test and requirement, no credential and no issued secret, bodies cut past the limit,
and each failure of the report pointing at its entries. Recorded by default; --no-har turns it off."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kibana_conformance import har
from kibana_conformance.mock.config import MockConfig
from kibana_conformance.mock.server import MockServer
from kibana_conformance.redaction import Redactor
from kibana_conformance.transport import Exchange

from .helpers import WITHOUT_COVERAGE

PASSWORD = "kct-har-P4ssw0rd!"
FAULT = "logstash-put-answers-pipeline"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A failing run (one fault) over two areas on two workers, against a mock this test can ask afterwards."""
    folder = tmp_path_factory.mktemp("har")
    issued: list[str] = []

    def watch(app):  # an ASGI middleware that keeps the API keys the mock issues (it never stores their secret)
        async def watched(scope, receive, send):
            async def sending(message):
                if message["type"] == "http.response.body":
                    issued.extend(m.decode() for m in re.findall(rb'"encoded":\s*"([^"]+)"', message.get("body", b"")))
                await send(message)

            await app(scope, receive, sending)

        return watched

    spill = folder / "tmp"  # where the run's private spill folder goes (TMPDIR)
    spill.mkdir()
    with MockServer(MockConfig(password=PASSWORD, faults=(FAULT,)), wrap=watch) as mock:
        result = subprocess.run(
            [
                sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--base-url", mock.url, "--username", "elastic", "--password", PASSWORD,
                "--max-examples", "5", "--area", "apm,logstash", "-n", "2", "--report-dir", str(folder / "reports"),
            ],
            cwd=folder, capture_output=True, text=True, timeout=600, env={**os.environ, "TMPDIR": str(spill)},
        )
        auth = ("elastic", PASSWORD)
        stats = httpx.get(f"{mock.url}/_mock/stats", auth=auth).json()
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    return {"folder": folder / "reports", "spill": spill, "stats": stats, "issued": issued, "printed": result.stdout + result.stderr}


SHARED_RUN = pytest.mark.xdist_group("har-recorded")  # the recorded run happens once, in one worker


@SHARED_RUN
def test_every_request_of_the_run_is_an_entry_with_its_test_and_requirement(recorded: dict) -> None:
    log = json.loads((recorded["folder"] / "exchanges.har").read_text())["log"]
    entries = log["entries"]
    assert log["version"] == "1.2" and "64 KiB" in log["comment"]
    # The mock counted every answer it served outside its control plane; the HAR has one entry per answer.
    api = [e for e in entries if "/_mock/" not in e["request"]["url"]]
    assert len(api) == recorded["stats"]["requests"]
    assert not [p.name for p in recorded["folder"].iterdir() if p.suffix in (".jsonl", ".secrets", ".dropped")]
    assert not list(recorded["spill"].glob("kct-har-*"))  # the private spill folder is gone
    ids = [e["_id"] for e in entries]
    assert len(set(ids)) == len(ids) and {i.split("-")[0] for i in ids} >= {"gw0", "gw1"}  # both workers' entries reached the controller
    properties = [e for e in entries if (e["_nodeid"] or "").startswith("suites/test_properties.py")]
    assert properties and all(e["_requirement"] == "SCHEMA-PROPERTIES" for e in properties)
    assert all("@" not in (e["_nodeid"] or "") for e in entries)  # the node ids of results.json, without xdist's group
    assert any(e["_requirement"] and e["_requirement"].startswith("APM") for e in entries)


@SHARED_RUN
def test_no_credential_and_no_issued_key_is_in_the_har(recorded: dict) -> None:
    text = (recorded["folder"] / "exchanges.har").read_text()
    token = base64.b64encode(f"elastic:{PASSWORD}".encode()).decode()
    assert PASSWORD not in text and token not in text
    encoded = recorded["issued"]
    assert encoded, "the run created APM agent keys"
    assert [k for k in encoded if k in text] == []


@SHARED_RUN
def test_each_failure_of_the_report_points_at_its_entries(recorded: dict) -> None:
    folder = recorded["folder"]
    entries = json.loads((folder / "exchanges.har").read_text())["log"]["entries"]
    results = json.loads((folder / "results.json").read_text())
    failed = [t for t in results["tests"] if t["outcome"] == "failed"]
    assert failed
    linked = 0
    for test in failed:
        for exchange in test["exchanges"]:
            if exchange.get("har_entry") is not None:
                entry = entries[exchange["har_entry"]]
                assert entry["_id"] == exchange["har_id"] and entry["_nodeid"] == test["nodeid"]
                assert entry["request"]["method"] == exchange["method"]
                linked += 1
    assert linked
    assert "exchanges.har entry " in (folder / "index.html").read_text()
    assert results["har"]["entries"] == len(entries)


def _exchange(body: bytes) -> Exchange:
    return Exchange(
        "POST", "http://127.0.0.1:1/api/x?a=1", [("Authorization", "Basic c2VjcmV0"), ("content-type", "application/json")], body[: Exchange.BODY_KEPT],
        started=time.time(), status=200, response_headers=[("content-type", "application/json")], response_body=b'{"ok": true}', response_size=12,
        request_size=len(body),
    )


def test_a_long_body_is_cut_and_says_so_and_the_spool_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long = b'"' + b"x" * (200 * 1024) + b'"'
    entry = har.entry(_exchange(long), "c-1")
    assert entry["_truncated"] is True and entry["request"]["bodySize"] == len(long)
    assert len(entry["request"]["postData"]["text"]) == har.BODY_LIMIT
    assert entry["request"]["headers"][0]["value"] == "Basic [REDACTED]"
    assert entry["request"]["queryString"] == [{"name": "a", "value": "1"}]
    assert "_truncated" not in har.entry(_exchange(b"{}"), "c-2")
    monkeypatch.setattr(har, "MAX_ENTRIES", 3)
    spool = har.HarSpool(tmp_path, Redactor(), "c")
    for _ in range(5):
        spool.observe(_exchange(b"{}"))
    info = spool.close()
    found: dict[str, int] = {}
    text = "".join(har.render([info], "0", {"c-2"}, found))
    log = json.loads(text)["log"]
    assert len(log["entries"]) == 3 and info.dropped == 2 and "2 later entries were not kept" in log["comment"]
    assert found == {"c-2": 1}


@pytest.mark.parametrize("off", [["--no-har"], ["-e", "KIBANA_CONFORMANCE_HAR=false"]], ids=["option", "environment"])
def test_recording_can_be_turned_off(tmp_path: Path, off: list[str]) -> None:
    folder, spill = tmp_path / "reports", tmp_path / "tmp"
    spill.mkdir()
    env = {**os.environ, "TMPDIR": str(spill)}
    args = [a for a in off if a != "-e" and "=" not in a]
    env.update(a.split("=", 1) for a in off if "=" in a)
    result = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--operation", "get-cases-configure", "--max-examples", "2", "--report-dir", str(folder), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert not (folder / "exchanges.har").exists() and "har" not in json.loads((folder / "results.json").read_text())
    assert not list(spill.glob("kct-har-*"))


@pytest.mark.slow(seconds=10)
def test_the_embedded_run_records_one_entry_per_request_the_mock_answered_and_no_secret(tmp_path: Path) -> None:
    """The default run (bundled mock, two workers): the mock's own count of the requests it answered is the
    number of entries, and no credential of the run (its user's, the principals') nor an issued key is in the file."""
    from kibana_conformance.embedded import embedded_settings
    from kibana_conformance.options import Settings

    folder = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "kibana_conformance.cli", "run", *WITHOUT_COVERAGE, "--area", "apm,fleet", "--max-examples", "5", "-n", "2", "--report-dir", str(folder)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((folder / "results.json").read_text())
    text = (folder / "exchanges.har").read_text()
    entries = json.loads(text)["log"]["entries"]
    answered = results["embedded_mock"]["requests"]
    assert answered > 200 and len(entries) == answered == results["har"]["entries"]
    assert {e["_id"].split("-")[0] for e in entries} == {"c", "gw0", "gw1"}  # the preflight and restore, both workers
    settings = embedded_settings(Settings())
    secrets = [settings.password, *(p.password for p in settings.principals if p.password)]
    users = [(settings.username, settings.password), *((p.username, p.password) for p in settings.principals if p.username)]
    tokens = [base64.b64encode(f"{u}:{pw}".encode()).decode() for u, pw in users]
    assert len(secrets) > 10 and [s for s in [*secrets, *tokens] if s in text] == []
    issued = re.findall(r'\\?"(?:api_key|encoded)\\?"\s*:\s*\\?"([^"\\]*)', text)
    assert issued and set(issued) == {"[REDACTED]"}  # the APM agent keys the run created
    labels = {e.get("_credentials") for e in entries}
    assert {"run", "principal event:write", "wrong basic"} <= labels
