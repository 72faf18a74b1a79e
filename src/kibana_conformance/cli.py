"""The ``kibana-conformance`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__, exit_codes
from .catalog import CatalogError, load_catalog
from .openapi import DOCUMENT_PURPOSES, assemble
from .options import REPLAY_OPTIONS, SettingsError
from .runner import VERDICT_EXIT_CODES, add_option_arguments, add_run_arguments
from .mock.config import DEFAULT_PASSWORD, DEFAULT_USERNAME

if TYPE_CHECKING:
    from .traffic import TrafficReport


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(exit_codes.USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _cmd_openapi(args: argparse.Namespace) -> int:
    return _emit(json.dumps(assemble(load_catalog(), args.purpose), indent=2) + "\n", args.output)


def _emit(text: str, output: Path | None) -> int:
    """``text`` to stdout, or to ``output`` (a file that cannot be written is a usage error, one line)."""
    if output is None:
        sys.stdout.write(text)
        return exit_codes.CONFORMANT
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    print(f"wrote {output}", file=sys.stderr)
    return exit_codes.CONFORMANT


def _cmd_list(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    rows = [("METHOD", "PATH", "AREA", "RESPONSES", "OPERATION ID")]
    rows += [(op.method, op.path, op.area, str(len(op.responses)), op.id) for op in catalog]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"\n{len(catalog)} operations, schema version {catalog.version}")
    return exit_codes.CONFORMANT


def _cmd_mock(args: argparse.Namespace) -> int:
    from .mock.config import MockConfig, UsersFileError, load_users, seeded_users
    from .mock.faults import catalogue, resolve_faults
    from .mock.server import serve

    if args.list_faults:
        if args.json:
            print(json.dumps([fault.as_dict() for fault in catalogue().values()], indent=2))
            return exit_codes.CONFORMANT
        for fault in catalogue().values():
            print(f"{fault.name:44} {fault.description}")
        return exit_codes.CONFORMANT
    try:
        resolve_faults(args.fault)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    users = seeded_users()
    if args.users is not None:
        try:
            users += load_users(args.users)
        except UsersFileError as exc:
            raise UsageError(str(exc)) from None
    config = MockConfig(username=args.username, password=args.password, api_keys=tuple(args.api_key), faults=tuple(args.fault), users=users)
    try:
        serve(config, args.host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return exit_codes.CONFORMANT


def _cmd_requirements(args: argparse.Namespace) -> int:
    from .requirements import CatalogueError, catalogue, render

    try:
        text = render(catalogue(), args.format)
    except CatalogueError as exc:
        raise UsageError(str(exc)) from None
    return _emit(text, args.output)


def _cmd_merge(args: argparse.Namespace) -> int:
    from .merge import MergeError, merge
    from .report.coverage import excluded_lines, headline, missing_lines
    if args.min_coverage is not None and not 0 < args.min_coverage <= 100:
        raise UsageError(f"--min-coverage: expected a percentage above 0 and up to 100, got {args.min_coverage:g}")
    try:
        results, problems = merge(args.folders, args.report_dir, args.min_coverage)
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    for problem in problems:
        print(f"kibana-conformance: {problem}")
    counts = results.get("counts") or {}
    parts = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    summary = results["coverage_summary"]
    print(f"kibana-conformance: {headline(summary)}")
    if args.min_coverage is not None:
        print(f"kibana-conformance: never exercised ({len(summary['missing'])} items):" if summary["missing"] else "kibana-conformance: every measured item was exercised")
        for line in [*missing_lines(summary), *(f"excluded: {line}" for line in excluded_lines(summary))]:
            print(f"  {line}")
    print(f"kibana-conformance: {str(results['verdict']).upper()} ({parts or 'nothing ran'}; {len(args.folders)} shards); report: {args.report_dir / 'index.html'}")
    if problems:
        return exit_codes.INTERNAL_ERROR
    return VERDICT_EXIT_CODES.get(results["verdict"], exit_codes.INTERNAL_ERROR)


def _cmd_run(args: argparse.Namespace) -> int:
    from .runner import run

    return run(args)


def _cmd_selftest(args: argparse.Namespace) -> int:
    from .mock.faults import catalogue
    from .selftest import Options, selftest, write

    known = catalogue()
    unknown = [f for f in args.fault if f not in known]
    if unknown:
        raise UsageError(f"unknown fault {unknown[0]!r}; `kibana-conformance mock --list-faults` lists them")
    options = Options(
        max_examples=args.max_examples, seed=args.seed, clean_seeds=args.clean_seeds, jobs=args.jobs, budget=args.budget,
        compare=not (args.no_compare or args.batch), faults=tuple(args.fault), report_dir=args.report_dir, batch=args.batch,
        all_tests=args.all_tests,
    )
    summary = selftest(options, progress=lambda line: print(line, flush=True))
    json_path, md_path = write(summary, args.report_dir)
    rate = summary["kill_rate"]
    peer = summary["peer_kill_rate"]
    print(f"\nkill rate {summary['killed']}/{summary['counted']} ({rate:.1%})" if rate is not None else "\nno fault run")
    if peer is not None:
        print(f"plain schemathesis: {peer:.1%}")
    print(f"clean mock: {'passes' if summary['clean_ok'] else 'FAILS'} on {len(summary['clean'])} seeds; wrote {md_path} and {json_path}")
    if summary["broken"]:
        print(f"broken faults (their own code raised): {', '.join(summary['broken'])}")
    healthy = summary["clean_ok"] and not summary["survivors"] and not summary["not_run"] and not summary["broken"]
    return exit_codes.CONFORMANT if healthy else exit_codes.NOT_CONFORMANT


def _cmd_check_traffic(args: argparse.Namespace) -> int:
    from .traffic import TrafficFileError, check_har

    try:
        report, results, problems = check_har(args.file, args.report_dir)
    except TrafficFileError as exc:
        raise UsageError(str(exc)) from None
    return _traffic_outcome(report, results, problems, args.report_dir)


def _traffic_outcome(report: TrafficReport, results: dict[str, Any], problems: list[str], report_dir: Path) -> int:
    """The one-line summary of checked traffic (check-traffic, the proxy) and its exit code."""
    for problem in problems:
        print(f"kibana-conformance: {problem}", file=sys.stderr)
    verdict = "CONTRACT BROKEN" if report.violations else str(results["verdict"]).upper()
    print(f"kibana-conformance: {verdict}: {report.summary()}; report: {report_dir / 'index.html'}", flush=True)
    if problems:
        return exit_codes.INTERNAL_ERROR
    return VERDICT_EXIT_CODES[results["verdict"]]


def _cmd_proxy(args: argparse.Namespace) -> int:
    from .proxy import Proxy, ProxyError

    try:
        proxy = Proxy(args.upstream, args.host, args.port, args.report_dir, args.timeout)
    except ProxyError as exc:
        raise UsageError(str(exc)) from None
    print(f"proxy listening on {proxy.url} -> {proxy.upstream}", flush=True)
    proxy.serve_until_signal()
    report, results, problems = proxy.finish()
    return _traffic_outcome(report, results, problems, args.report_dir)


def _cmd_replay(args: argparse.Namespace) -> int:
    from .options import build_settings
    from .replay import ReplayError, load, replay, select, summary, table
    from .runner import resolved_values
    from .suite.preflight import TargetUnavailable

    try:
        recording = load(args.results)
    except ReplayError as exc:
        raise UsageError(str(exc)) from None
    tests = select(recording, args.failed)
    if not tests:
        print(f"kibana-conformance: no test {'did not pass' if args.failed else 'is'} in {args.results}; nothing to replay")
        return exit_codes.CONFORMANT
    settings = build_settings(resolved_values(args, REPLAY_OPTIONS))
    try:
        ctx = replay(recording, tests, settings, progress=lambda line: print(line, flush=True))
    except ReplayError as exc:
        raise UsageError(str(exc)) from None
    except TargetUnavailable as exc:
        print(f"kibana-conformance: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        for line in table(tests):
            print(ctx.redactor.text(line))
        print(f"kibana-conformance: {summary(tests)}")
    finally:
        ctx.close()
    judged = [t for t in tests if t.new != "skipped"]
    return exit_codes.CONFORMANT if judged and all(t.new == "passed" for t in judged) else exit_codes.NOT_CONFORMANT


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r} (0-65535; 0 picks a free port)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kibana-conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    openapi = commands.add_parser("openapi", help="print the assembled OpenAPI 3.1 document")
    openapi.add_argument("--output", "-o", type=Path, metavar="FILE", help="write it to FILE instead of stdout")
    openapi.add_argument(
        "--purpose",
        choices=DOCUMENT_PURPOSES,
        default="document",
        help="document: the schema files as written; positive/negative: what the property tests generate valid/invalid requests from",
    )
    openapi.set_defaults(handler=_cmd_openapi)

    listing = commands.add_parser("list", help="list the operations under test")
    listing.set_defaults(handler=_cmd_list)

    reqs = commands.add_parser(
        "requirements",
        help="list every requirement the suite checks (sentence, document lines, operations, tests, versions, faults)",
        description="The requirements catalogue, built from the collected suites without a target.",
    )
    reqs.add_argument("--format", choices=("json", "yaml", "markdown"), default="markdown", help="output format (default: markdown)")
    reqs.add_argument("--output", "-o", type=Path, metavar="FILE", help="write it to FILE instead of stdout")
    reqs.set_defaults(handler=_cmd_requirements)

    run = commands.add_parser(
        "run",
        help="run the conformance suite (against the bundled mock when no --base-url is given)",
        description="Run the conformance suite with pytest. Without --base-url it starts the bundled mock on a free "
        "loopback port, runs everything against it and stops it. Reports go to --report-dir.",
    )
    add_run_arguments(run)
    run.set_defaults(handler=_cmd_run)

    merging = commands.add_parser(
        "merge",
        help="merge the reports of a run's shards (run --shard K/N) into one report with one verdict",
        description="Merge results.json, JUnit, Allure and HAR of the shards into one report; the verdict and exit code follow the rules of a single run.",
    )
    merging.add_argument("folders", nargs="+", type=Path, metavar="DIR", help="the report folders of the shards")
    merging.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="OUT", help="where the merged report goes (default: reports)")
    merging.add_argument("--min-coverage", type=float, default=None, metavar="PCT", help="the coverage gate, on the merged coverage (exit 6 below it)")
    merging.set_defaults(handler=_cmd_merge)

    st = commands.add_parser(
        "selftest",
        help="measure the suite's kill rate on the mock's fault zoo (and compare with plain schemathesis)",
        description="Run the suite against the clean mock (it must pass, on several seeds) and against each fault of "
        "the zoo (it must fail). Writes selftest.md and selftest.json; exits 1 if a fault survives or the clean mock fails.",
    )
    st.add_argument("--fault", action="append", default=[], metavar="NAME", help="only these faults (repeatable; default: all)")
    st.add_argument("--max-examples", type=_positive_int, default=10, metavar="N", help="generated cases per operation (default 10)")
    st.add_argument("--seed", type=_positive_int, default=1, metavar="N", help="seed of the fault runs (default 1)")
    st.add_argument("--clean-seeds", type=_positive_int, default=10, metavar="N", help="seeds the clean mock is run with (default 10)")
    st.add_argument("--jobs", type=_positive_int, default=2, metavar="N", help="runs in parallel (default 2)")
    st.add_argument("--budget", type=float, default=1800.0, metavar="SECONDS", help="stop starting fault runs after this long (default 1800)")
    st.add_argument("--no-compare", action="store_true", help="do not run plain schemathesis for comparison")
    st.add_argument("--batch", action="store_true", help="faults of disjoint operations share a run (faster; implies --no-compare)")
    st.add_argument("--all-tests", action="store_true", help="run every test of a fault's operations, not only those of its expected requirements (shows collateral failures; slower)")
    st.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR", help="where selftest.md/json go (default: reports)")
    st.set_defaults(handler=_cmd_selftest)

    traffic = commands.add_parser(
        "check-traffic",
        help="check recorded traffic (a HAR file) against the contract, offline",
        description="Run the contract checks on every exchange of a HAR file (exchanges.har of a run, a proxy's, a browser's "
        "export): each violation says whether the client or the server broke the contract; requests outside the 17 operations "
        "are counted as unchecked. Writes results.json, index.html and junit.xml; exits 1 when a violation is found, 5 when "
        "nothing could be judged, 2 on a bad file.",
    )
    traffic.add_argument("file", type=Path, metavar="FILE.har", help="the HAR 1.2 file")
    traffic.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR", help="where the reports go (default: reports)")
    traffic.set_defaults(handler=_cmd_check_traffic)

    proxy = commands.add_parser(
        "proxy",
        help="a validation proxy: forwards traffic to a Kibana unchanged and checks every exchange against the contract",
        description="Forward every request to --upstream as the client sent it (its own credentials included) and every answer "
        "back as received, and check each exchange as check-traffic does: each violation says whether the client or the server "
        "broke the contract; requests outside the 17 operations pass through unchecked. On SIGINT or SIGTERM it writes "
        "results.json, index.html, junit.xml and exchanges.har to --report-dir, prints one line and exits 1 when a violation "
        "was seen, 5 when nothing could be judged, 0 otherwise.",
    )
    proxy.add_argument("--upstream", required=True, metavar="URL", help="the Kibana to forward to, e.g. http://127.0.0.1:5601 (a base path is kept)")
    proxy.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    proxy.add_argument("--port", type=_port, default=5602, help="port to listen on (default: 5602; 0 picks a free one)")
    proxy.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR", help="where the reports go (default: reports)")
    proxy.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS", help="how long to wait for the upstream (default 120, Kibana's own socket timeout)")
    proxy.set_defaults(handler=_cmd_proxy)

    rp = commands.add_parser(
        "replay",
        help="send a run's recorded requests again (exchanges.har) and show each test's old and new outcome",
        description="Send the requests a run recorded in exchanges.har (next to RESULTS.json) again, test by test, judge each "
        "answer with the contract checks of check-traffic and print each test's old and new outcome with the first problem. "
        "Credentials come from the options (or the environment and ini, as for run). Target: --base-url, else the recorded one "
        "(a fresh bundled mock when the run used it). Exits 0 when every replayed test passes, 1 otherwise, 2 on bad input.",
    )
    rp.add_argument("results", type=Path, metavar="RESULTS.json", help="the results.json of a run (exchanges.har beside it)")
    rp.add_argument("--failed", action="store_true", help="only the tests that did not pass (failed, error, baselined)")
    add_option_arguments(rp, REPLAY_OPTIONS)
    rp.set_defaults(handler=_cmd_replay)

    mock = commands.add_parser("mock", help="serve the stateful mock Kibana deployment")
    mock.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    mock.add_argument("--port", type=_port, default=5601, help="port to listen on (default: 5601; 0 picks a free one)")
    mock.add_argument("--username", default=DEFAULT_USERNAME, help=f"basic-auth user it accepts (default: {DEFAULT_USERNAME})")
    mock.add_argument("--password", default=DEFAULT_PASSWORD, help="basic-auth password it accepts (default: changeme)")
    mock.add_argument("--api-key", action="append", default=[], metavar="KEY", help="an API key it accepts, encoded or as id:key (repeatable)")
    mock.add_argument("--users", type=Path, metavar="FILE", help="more users, JSON or YAML: a list of {username, password, privileges: [...]} (README, section Authorization)")
    mock.add_argument("--fault", action="append", default=[], metavar="NAME", help="switch on a named fault (repeatable; see --list-faults)")
    mock.add_argument("--list-faults", action="store_true", help="list the known faults and exit")
    mock.add_argument("--json", action="store_true", help="with --list-faults: as JSON (name, description, operations, expected requirements)")
    mock.set_defaults(handler=_cmd_mock)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, CatalogError, SettingsError) as exc:
        print(f"kibana-conformance: error: {exc}", file=sys.stderr)
        return exit_codes.USAGE_ERROR
    except KeyboardInterrupt:
        print("kibana-conformance: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED
    except Exception as exc:  # our own bug: one line and exit 4, never "not conformant"
        print(f"kibana-conformance: internal error: {type(exc).__name__}: {exc} (this is a bug of kibana-conformance)", file=sys.stderr)
        return exit_codes.INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
