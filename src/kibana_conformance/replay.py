"""``kibana-conformance replay RESULTS.json``: a run's recorded requests sent again, test by test, and
each answer judged by the contract checks of recorded traffic (:func:`~kibana_conformance.traffic.check_exchange`:
documented status, response schema, error envelope, version header, an invalid request accepted).

The requests come from ``exchanges.har`` next to ``results.json`` (its ``_nodeid`` names the test that
sent each one). Their credentials were redacted there: each request is sent with the credentials its
``_credentials`` names, taken from the replay's own options (the run's, a principal's, or the wrong
ones the auth tests send; any other credential becomes an invalid one of the same scheme). A test is
``passed`` when no answer breaks the contract, ``failed`` when one does, ``error`` when a request cannot
be sent again (no answer, a body cut in the recording) and ``skipped`` when it cannot be replayed as
asked (a principal not given, a write under ``--read-only``, no request recorded).

What a replay judges is each answer on its own: a scenario's assertions across requests (a revision
that grows, an echo of what was sent) are not replayed; ``run --last-failed`` runs the tests themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .options import Settings
from .redaction import SECRET_HEADERS
from .report.artifacts import HAR_FILE
from .report.results import ResultsFileError, failed_nodeids, read_results
from .suite.context import RunContext, new_context
from .suite.target import Target, principal_missing_reason
from .traffic import SERVER, TrafficFileError, check_exchange, exchange_of, read_har
from .transport import SAFE_METHODS, TransportError

# Headers of the recording that are not sent again: the connection's own, and the credentials (chosen anew).
NOT_RESENT = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}) | SECRET_HEADERS
RESULT_OUTCOMES = ("passed", "failed", "error", "skipped")


class ReplayError(ValueError):
    """Input replay cannot use (one line, exit code 2)."""


@dataclass
class Replayed:
    nodeid: str
    old: str
    new: str = "passed"
    problem: str = ""
    requests: int = 0


@dataclass
class Recording:
    """A run's results and the HAR entries of each of its tests, in the order they were sent."""

    results_file: Path
    results: dict[str, Any]
    entries: dict[str, list[dict[str, Any]]]

    @property
    def base_url(self) -> str:
        return str((self.results.get("target") or {}).get("url") or "")

    @property
    def embedded(self) -> bool:
        return bool((self.results.get("target") or {}).get("embedded"))


def load(results_file: Path) -> Recording:
    try:
        results = read_results(results_file)
    except ResultsFileError as exc:
        raise ReplayError(str(exc)) from None
    har_file = results_file.parent / str((results.get("har") or {}).get("file") or HAR_FILE)
    if "traffic" in results or not results.get("run_id"):
        raise ReplayError(f"{results_file}: the results of check-traffic or a proxy, not of a run: there are no tests to replay")
    if not har_file.is_file():
        raise ReplayError(f"no {har_file.name} next to {results_file}: the run recorded no exchanges; run it again with them recorded (the default; drop --no-har)")
    try:
        raw = read_har(har_file)
    except TrafficFileError as exc:
        raise ReplayError(str(exc)) from None
    entries: dict[str, list[dict[str, Any]]] = {}
    for entry in raw:
        if isinstance(entry, dict) and entry.get("_nodeid"):
            entries.setdefault(str(entry["_nodeid"]), []).append(entry)
    return Recording(results_file, results, entries)


def select(recording: Recording, failed_only: bool) -> list[Replayed]:
    """The tests to replay (those that failed or ended in error, or all), with their old outcome."""
    tests = [t for t in recording.results["tests"] if isinstance(t, dict) and t.get("nodeid")]
    chosen = set(failed_nodeids(recording.results)) if failed_only else {str(t["nodeid"]) for t in tests}
    return [Replayed(str(t["nodeid"]), str(t.get("outcome"))) for t in tests if str(t["nodeid"]) in chosen]


class Replayer:
    """Sends a recording's requests to a target and judges the answers."""

    def __init__(self, ctx: RunContext, recorded_base: str) -> None:
        self.ctx = ctx
        self.recorded_base = recorded_base.rstrip("/")
        self.target: Target = ctx.target

    def _authorization(self, entry: dict[str, Any], recorded: str | None) -> tuple[dict[str, str], str | None]:
        """The Authorization header to send for a recorded request (and why it cannot be, when it cannot)."""
        label = entry.get("_credentials") or ("other" if recorded is not None else None)
        if label is None:
            return {}, None
        if label == "run":
            return self.target.auth_header, None
        kind, _, name = str(label).partition(" ")
        if kind == "principal":
            if self.ctx.settings.principal(name) is None:
                return {}, principal_missing_reason(name)
            return self.target.principal_header(name), None
        if kind == "wrong" and name in ("basic", "apikey", "apikey-clear"):
            return self.target.wrong_auth_header(name), None
        scheme = (recorded or "").strip().partition(" ")[0] if " " in (recorded or "").strip() else ""
        if scheme.lower() in ("basic", "apikey"):
            return self.target.wrong_auth_header(scheme.lower()), None
        return {"Authorization": f"{scheme} kct-replay-invalid".strip()}, None

    def _url(self, url: str) -> str | None:
        if not url.startswith(self.recorded_base + "/"):
            return None
        return self.target.base_url + url[len(self.recorded_base) :]

    def replay(self, test: Replayed, entries: list[dict[str, Any]]) -> Replayed:
        test.new, test.problem = "passed", ""
        entries = last_attempts(entries)
        if not entries:
            test.new, test.problem = ("error" if test.old in ("failed", "error") else "skipped"), "no request of this test is recorded in the HAR"
            return test
        exchanges = [exchange_of(entry, index) for index, entry in enumerate(entries)]
        writes = [e for e in exchanges if e.method not in SAFE_METHODS]
        if self.ctx.settings.read_only and writes:
            test.new, test.problem = "skipped", f"--read-only: the test sends {writes[0].request_line}"
            return test
        plans = []
        for entry, recorded in zip(entries, exchanges, strict=True):
            if recorded.request_size > len(recorded.request_body):
                test.new, test.problem = "error", f"{recorded.request_line}: its body was cut in the recording (over 64 KiB); it cannot be sent again"
                return test
            url = self._url(recorded.url)
            if url is None:
                test.new, test.problem = "error", f"{recorded.request_line}: not under the recorded base URL {self.recorded_base}"
                return test
            authorization = next((v for k, v in recorded.request_headers if k.lower() == "authorization"), None)
            auth, missing = self._authorization(entry, authorization)
            if missing:
                test.new, test.problem = "skipped", missing
                return test
            headers = [(k, v) for k, v in recorded.request_headers if k.lower() not in NOT_RESENT] + list(auth.items())
            plans.append((recorded.method, url, headers, recorded.request_body))
        wire = self.ctx.wire
        wire.recorder.start(test.nodeid)
        for method, url, headers, body in plans:
            try:
                wire.send(method, url, headers=headers, content=body)
            except TransportError as exc:
                test.new, test.problem = "error", f"the suite could not judge: {exc}"
                return test
            test.requests += 1
            answered = wire.recorder.take()[-1]
            _, violations = check_exchange(answered)
            server = [v for v in violations if v.party == SERVER]
            if server and test.new == "passed":
                first = server[0]
                test.new, test.problem = "failed", f"{answered.request_line} -> {answered.status}: {first.summary}: {first.received}"
        return test


def last_attempts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests a test sent, each once: an attempt the recording shows tried again (the next entry is
    the same request's next attempt) is left out; the replay's own client retries as a run's does."""
    kept = []
    for index, entry in enumerate(entries):
        following = entries[index + 1] if index + 1 < len(entries) else None
        retried = following is not None and following.get("_attempts") == (entry.get("_attempts") or 1) + 1 and all(
            (following.get("request") or {}).get(key) == (entry.get("request") or {}).get(key) for key in ("method", "url")
        )
        if not retried:
            kept.append(entry)
    return kept


def target_for(settings: Settings, recording: Recording) -> tuple[str, Settings, Callable[[], None] | None]:
    """Where to replay: --base-url, else the recorded target, else (a run against the bundled mock) a fresh bundled mock."""
    if settings.base_url:
        return settings.base_url, settings, None
    if not recording.embedded and recording.base_url:
        return recording.base_url, replace(settings, base_url=recording.base_url), None
    from .embedded import start_mock

    url, settings, stop, _ = start_mock(settings)
    return url, settings, stop


def replay(recording: Recording, tests: list[Replayed], settings: Settings, progress: Callable[[str], None]) -> RunContext:
    """Replay ``tests`` (each gets its new outcome); returns the context (to close; its redactor knows every secret seen)."""
    from .suite.preflight import preflight
    from .suite.safety import writes_refused_message

    url, settings, stop = target_for(settings, recording)
    if not (settings.on_loopback or settings.read_only or settings.allow_writes):
        if stop is not None:
            stop()
        raise ReplayError(writes_refused_message(url))
    ctx = new_context(settings, url, {}, embedded=stop is not None)
    if stop is not None:
        ctx.closers.append(stop)
    try:
        preflight(ctx)
        replayer = Replayer(ctx, recording.base_url)
        total = sum(len(recording.entries.get(t.nodeid, [])) for t in tests)
        progress(f"kibana-conformance: replaying {len(tests)} tests ({total} recorded requests) against {ctx.describe_target()}")
        for test in tests:
            replayer.replay(test, recording.entries.get(test.nodeid, []))
    except TrafficFileError as exc:
        ctx.close()
        raise ReplayError(str(exc)) from None
    except BaseException:
        ctx.close()
        raise
    return ctx


def table(tests: list[Replayed]) -> list[str]:
    """One line per test: its id, the old and the new outcome, the first problem."""
    rows = [("test", "old", "new", "first problem")] + [(t.nodeid, t.old, t.new, t.problem) for t in tests]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["  ".join([*(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)), row[3]]).rstrip() for row in rows]


def summary(tests: list[Replayed]) -> str:
    counts = {k: sum(t.new == k for t in tests) for k in RESULT_OUTCOMES}
    fixed = sum(t.new == "passed" and t.old in ("failed", "error") for t in tests)
    parts = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing replayed"
    return f"{len(tests)} tests replayed ({sum(t.requests for t in tests)} requests sent): {parts}; {fixed} that failed before pass now"
