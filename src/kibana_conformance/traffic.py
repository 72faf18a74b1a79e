"""The contract checks on recorded traffic: each exchange of a HAR file (ours, a proxy's, a browser's)
judged against the schemas, with each violation blamed on the party that broke the contract.

The **client** broke it when its request is one Kibana refuses: a write without ``kbn-xsrf``, a
malformed or unknown ``elastic-api-version`` on a versioned route, no credentials or an unknown
auth scheme, a path or query parameter or a body the request schema does not allow. The **server**
broke it when its answer is not what is stated: an undocumented status, a body off the response
schema, an error body that is not Kibana's envelope, a success without the version header, or an
invalid request accepted with a 2xx. Requests outside the 17 operations are counted as unchecked.

The request checks read the same schema files and steps as the mock (its request pipeline's
version format and query coercion); the response checks are :mod:`.contract`'s.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import __version__
from .catalog import API_VERSION, Operation, load_catalog
from .contract import check_response, envelope_problems, is_json_media_type, media_type
from .mock.pipeline import AVAILABLE_VERSIONS, SAFE_METHODS, VERSION_FORMAT, parse_json
from .mock.validation import coerce_query_value
from .redaction import Redactor
from .report import junit
from .report.artifacts import JUNIT_FILE, write_reports, write_text
from .report.exchanges import exchange_dict
from .report.results import TestRecord, build_results
from .suite.observed import Coverage, operation_path
from .transport import Exchange

AUTH_SCHEMES = ("basic", "apikey", "bearer")
MAX_FAILED_RECORDS = 2000  # failure and error records with their exchange (memory stays bounded on endless traffic)
MAX_FINDINGS = 10_000  # findings listed in results.json; the counts stay exact past it
CLIENT, SERVER = "client", "server"


class TrafficFileError(ValueError):
    """The file is not a HAR this command can read (one line, exit code 2)."""


@dataclass
class Violation:
    party: str  # "client" or "server"
    check: str
    category: str
    summary: str
    received: str
    documented: str


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


# --- request side: what the client sent --------------------------------------------------------


def request_violations(op: Operation, path_params: dict[str, str], exchange: Exchange) -> list[Violation]:
    found: list[Violation] = []
    headers = exchange.request_headers
    if exchange.method not in SAFE_METHODS and _header(headers, "kbn-xsrf") is None and _header(headers, "kbn-version") is None:
        found.append(Violation(CLIENT, "kbn-xsrf", "headers", "write without the kbn-xsrf header", f"{exchange.method} without kbn-xsrf", "every write carries a kbn-xsrf header (any value); Kibana answers 400 otherwise"))
    version = _header(headers, "elastic-api-version")
    if version is not None and op.versioned:
        if not VERSION_FORMAT.match(version.strip()) or version.strip() not in AVAILABLE_VERSIONS:
            found.append(Violation(CLIENT, "elastic-api-version", "headers", "elastic-api-version that Kibana does not serve", f"elastic-api-version: {version}", f"elastic-api-version: {API_VERSION} (YYYY-MM-DD, the only version of these operations) or none"))
    auth = _header(headers, "authorization")
    if auth is None and _header(headers, "cookie") is None:
        found.append(Violation(CLIENT, "auth-scheme", "auth", "request without credentials", "no Authorization header (and no session cookie)", "Authorization: Basic ..., ApiKey ... or Bearer ..."))
    elif auth is not None and auth.strip().partition(" ")[0].lower() not in AUTH_SCHEMES:
        found.append(Violation(CLIENT, "auth-scheme", "auth", "unknown authorization scheme", f"Authorization scheme {auth.strip().partition(' ')[0]!r}", "Basic, ApiKey or Bearer"))
    found += _parameter_violations(op, path_params, exchange.url)
    found += _body_violations(op, exchange)
    return found


def _schema_text(errors: list[Any]) -> str:
    return "; ".join(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])


def _parameter_violations(op: Operation, path_params: dict[str, str], url: str) -> list[Violation]:
    found: list[Violation] = []
    for param in op.parameters_in("path"):
        errors = list(op.parameter_validator(param).iter_errors(path_params.get(param["name"], "")))
        if errors:
            found.append(Violation(CLIENT, "path", "schema", f"path parameter {param['name']} off its schema", _schema_text(errors), f"the {op.id} schema of path.{param['name']}"))
    raw: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        raw.setdefault(name, []).append(value)
    for param in op.parameters_in("query"):
        values = raw.get(param["name"])
        if values is None:
            if param["required"]:
                found.append(Violation(CLIENT, "query", "schema", f"required query parameter {param['name']} missing", "(absent)", f"query.{param['name']} is required"))
            continue
        errors = list(op.parameter_validator(param).iter_errors(coerce_query_value(values, param["schema"])))
        if errors:
            found.append(Violation(CLIENT, "query", "schema", f"query parameter {param['name']} off its schema", _schema_text(errors), f"the {op.id} schema of query.{param['name']}"))
    unknown = sorted(set(raw) - {p["name"] for p in op.parameters_in("query")})
    if unknown and op.error_dialect != "security-solution":  # zod routes strip unknown keys; config-schema refuses them
        found.append(Violation(CLIENT, "query", "schema", "undocumented query parameter", ", ".join(unknown), f"only {', '.join(p['name'] for p in op.parameters_in('query')) or 'no parameters'}"))
    return found


def _body_violations(op: Operation, exchange: Exchange) -> list[Violation]:
    spec = op.request_body
    body = exchange.request_body
    if spec is None:
        return []
    if not exchange.request_size:
        if spec.get("required"):
            return [Violation(CLIENT, "request-body", "schema", "required request body missing", "no body", f"a body for {op.label}")]
        return []
    kind = media_type(_header(exchange.request_headers, "content-type"))
    accepted = list(spec.get("content", {}))
    if kind not in accepted:
        return [Violation(CLIENT, "request-body", "schema", "request body of a media type the operation does not take", kind or "(no Content-Type)", ", ".join(accepted))]
    if not is_json_media_type(kind) or exchange.request_size > len(body):
        return []  # multipart parts and bodies cut in the recording are not judged
    try:
        value = parse_json(body)
    except ValueError:
        return [Violation(CLIENT, "request-body", "schema", "request body is not valid JSON", body[:200].decode("utf-8", "replace"), "a JSON body")]
    validator = op.request_validator(kind)
    errors = list(validator.iter_errors(value)) if validator else []
    if errors:
        return [Violation(CLIENT, "request-body", "schema", "request body off the request schema", _schema_text(errors), f"the {op.id} request schema")]
    return []


# --- response side: what the server answered ----------------------------------------------------


def response_violations(op: Operation, exchange: Exchange, client_broke: bool) -> list[Violation]:
    status = exchange.status
    if status is None:
        return []
    found: list[Violation] = []
    content_type = _header(exchange.response_headers, "content-type")
    cut = exchange.response_size > len(exchange.response_body)
    if 400 <= status < 500 and str(status) not in op.responses:
        if not cut:
            try:
                problems = envelope_problems(op, status, json.loads(exchange.response_body)) if is_json_media_type(content_type) else [f"content type {content_type!r}, not JSON"]
            except ValueError:
                problems = ["the body is not JSON"]
            if problems:
                found.append(Violation(SERVER, "error-envelope", "error-envelope", "error body is not Kibana's error envelope", f"{status} with {'; '.join(problems)}", "{statusCode, error, message} matching the status"))
    elif not cut:
        problems = check_response(op, status, content_type, exchange.response_body).problems
        if problems:
            found.append(Violation(SERVER, "response-schema", "schema", f"{status} answer off the documented contract", "; ".join(problems), f"the {op.id} responses (what the document or Kibana states)"))
    if 200 <= status < 300:
        version = _header(exchange.response_headers, "elastic-api-version")
        if version != API_VERSION:
            found.append(Violation(SERVER, "api-version-header", "headers", "successful response without elastic-api-version", f"elastic-api-version: {version}" if version else "no elastic-api-version header", f"elastic-api-version: {API_VERSION}"))
        if client_broke:
            found.append(Violation(SERVER, "invalid-request-accepted", "scenarios", "a request Kibana refuses was accepted", f"{status} to a request that broke the contract", "a 4xx refusal"))
    return found


def check_exchange(exchange: Exchange) -> tuple[Operation | None, list[Violation]]:
    """The operation an exchange belongs to (None: not one of the 17, unchecked) and what it breaks."""
    found = load_catalog().match(exchange.method, operation_path(exchange.url))
    if found is None:
        return None, []
    op, path_params = found
    client = request_violations(op, path_params, exchange)
    return op, client + response_violations(op, exchange, bool(client))


# --- HAR files ------------------------------------------------------------------------------------


def _body(text: Any, encoding: Any) -> bytes:
    if not isinstance(text, str):
        return b""
    return base64.b64decode(text) if encoding == "base64" else text.encode("utf-8")


def _pairs(items: Any) -> list[tuple[str, str]]:
    return [(str(h.get("name", "")), str(h.get("value", ""))) for h in items or [] if isinstance(h, dict)]


def exchange_of(entry: Any, index: int) -> Exchange:
    """A HAR entry as an :class:`Exchange`; raises TrafficFileError when it is not a HAR entry."""
    try:
        request, response = entry["request"], entry.get("response") or {}
        post = request.get("postData") or {}
        body = _body(post.get("text"), post.get("_encoding") or post.get("encoding"))
        content = response.get("content") or {}
        answer = _body(content.get("text"), content.get("encoding"))
        status = int(response.get("status") or 0) or None
        # Only an entry that says so (_truncated, as ours do) holds a cut body: the sizes of other tools' files vary.
        cut = entry.get("_truncated") is True
        size, answer_size = int(request.get("bodySize") or 0), int(content.get("size") or 0)
        return Exchange(
            str(request["method"]).upper(), str(request["url"]), _pairs(request.get("headers")), body, started=time.time(),
            status=status, reason=str(response.get("statusText") or ""), response_headers=_pairs(response.get("headers")), response_body=answer,
            response_size=max(answer_size, len(answer)) if cut else len(answer), error=entry.get("_error"), test=entry.get("_nodeid"),
            requirement=entry.get("_requirement"), request_size=max(size, len(body)) if cut else len(body), har_id=entry.get("_id"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TrafficFileError(f"entry {index} is not a HAR entry ({type(exc).__name__}: {exc})") from None


def read_har(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrafficFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise TrafficFileError(f"{path}: not a HAR file (not JSON: {str(exc).splitlines()[0][:120]})") from None
    entries = data.get("log", {}).get("entries") if isinstance(data, dict) and isinstance(data.get("log"), dict) else None
    if not isinstance(entries, list):
        raise TrafficFileError(f"{path}: not a HAR file (no log.entries list)")
    return entries


class TrafficReport:
    """Violations and counts over a stream of exchanges (check-traffic, the proxy)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.started = time.time()
        self.coverage = Coverage(load_catalog())
        self.counts: Counter[str] = Counter()
        self.passed: Counter[str] = Counter()
        self.failed: list[TestRecord] = []
        self.findings: list[dict[str, Any]] = []

    def add(self, exchange: Exchange, index: int | None) -> list[Violation]:
        """Judge one exchange; ``index`` is its entry in the HAR file (None: the file did not keep it)."""
        self.counts["entries"] += 1
        op, violations = check_exchange(exchange)
        request = f"{exchange.method} {urlsplit(exchange.url).path}"
        where = f"entry {index}" if index is not None else "an exchange past the HAR file's cap"
        if exchange.status is None:  # no answer (a transport problem): the server side could not be judged
            self.counts["transport"] += 1
            self._keep(
                TestRecord(
                    f"{where}: {request} [no answer]", "TRAFFIC-TRANSPORT", "scenarios", "The server's answer could not be judged: none came",
                    [op.id] if op else [], outcome="error", error_kind="transport", summary=f"no answer: {exchange.error or 'none recorded'}",
                ),
                exchange, index,
            )
        if op is None:
            self.counts["unchecked"] += 1
            return []
        self.counts["checked"] += 1
        self.coverage.observe(exchange)
        if not violations and exchange.status is not None:
            self.passed[op.id] += 1
        for v in violations:
            self.counts[v.party] += 1
            if len(self.findings) < MAX_FINDINGS:
                self.findings.append({"entry": index, "har_id": exchange.har_id, "operation": op.id, "request": request, **asdict(v)})
            record = TestRecord(
                f"{where}: {request} [{v.party}: {v.check}]", f"TRAFFIC-{v.party.upper()}-{v.check.upper()}",
                v.category, f"The {v.party} broke the contract: {v.documented}", [op.id], outcome="failed",
                summary=f"{v.party.upper()} broke the contract: {v.summary}", received=v.received, documented=v.documented,
            )
            self._keep(record, exchange, index)
        return violations

    def _keep(self, record: TestRecord, exchange: Exchange, index: int | None) -> None:
        if len(self.failed) < MAX_FAILED_RECORDS:
            record.exchanges = [{**exchange_dict(exchange), "har_entry": index}]
            self.failed.append(record)

    @property
    def violations(self) -> int:
        return self.counts[CLIENT] + self.counts[SERVER]

    def results(self) -> dict[str, Any]:
        passed = [
            TestRecord(f"traffic: {op_id}", "TRAFFIC-CONFORMANT", "scenarios", f"{n} exchanges of {op_id} broke no check", [op_id], outcome="passed")
            for op_id, n in sorted(self.passed.items())
        ]
        info = {
            "tool": {"name": "kibana-conformance", "version": __version__},
            "target": {"url": self.source, "embedded": False, "kibana_version": None, "space": None},
            "seed": None, "run_id": "traffic", "started_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.started)),
            "started_epoch": self.started, "duration_s": round(time.time() - self.started, 2),
        }
        results = build_results(self.failed + passed, self.coverage.as_dict(), info)
        # Violations fail; an exchange without an answer, or no exchange of the 17 operations, leaves it incomplete.
        results["verdict"] = "not conformant" if self.violations else ("conformant" if self.counts["checked"] and not self.counts["transport"] else "incomplete")
        results["traffic"] = {
            "source": self.source,
            "entries": self.counts["entries"], "checked": self.counts["checked"], "unchecked": self.counts["unchecked"],
            "without_answer": self.counts["transport"],
            "violations": {"client": self.counts[CLIENT], "server": self.counts[SERVER]},
            "findings": self.findings,
            "findings_not_listed": self.violations - len(self.findings),
        }
        return results

    def summary(self) -> str:
        c = self.counts
        lost = f", {c['transport']} without an answer (transport problems, not violations)" if c["transport"] else ""
        return f"{c['entries']} exchanges, {c['checked']} checked, {c['unchecked']} unchecked (not one of the 17 operations){lost}: {c[CLIENT]} client violations, {c[SERVER]} server violations"

    def write(self, report_dir: Path, redactor: Redactor) -> tuple[dict[str, Any], list[str]]:
        """``results.json``, ``index.html`` and ``junit.xml``: (the results, the problems writing them)."""
        results = self.results()
        problems = write_reports(results, report_dir, redactor)
        try:
            write_text(report_dir / JUNIT_FILE, junit.render(results), redactor)
        except OSError as exc:
            problems.append(f"cannot write {report_dir / JUNIT_FILE}: {exc.strerror or exc}")
        return results, problems


def learn_secrets(redactor: Redactor, exchange: Exchange) -> None:
    """What an exchange carries that no report may show: its credential headers and cookies (before anything is written)."""
    redactor.learn_headers(exchange.request_headers)
    redactor.learn_headers(exchange.response_headers)


def check_har(path: Path, report_dir: Path) -> tuple[TrafficReport, dict[str, Any], list[str]]:
    entries = read_har(path)
    exchanges = [exchange_of(entry, i) for i, entry in enumerate(entries)]  # the whole file is read before any verdict
    report = TrafficReport(str(path))
    redactor = Redactor()
    for index, exchange in enumerate(exchanges):
        learn_secrets(redactor, exchange)
        report.add(exchange, index)
    return report, *report.write(report_dir, redactor)
