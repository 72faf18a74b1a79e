"""The ``kibana-conformance`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__, exit_codes
from .catalog import CatalogError, load_catalog
from .mock.config import DEFAULT_PASSWORD, DEFAULT_USERNAME
from .openapi import assemble
from .runner import add_run_arguments


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(exit_codes.USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _cmd_openapi(args: argparse.Namespace) -> int:
    text = json.dumps(assemble(load_catalog()), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return exit_codes.CONFORMANT
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    print(f"wrote {args.output}", file=sys.stderr)
    return exit_codes.CONFORMANT


def _cmd_list(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    rows = [("METHOD", "PATH", "AREA", "RESPONSES", "OPERATION ID")]
    rows += [(op.method, op.path, op.area, str(len(op.responses)), op.id) for op in catalog]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"\n{len(catalog)} operations, schema version {catalog.version}")
    return exit_codes.CONFORMANT


def _cmd_mock(args: argparse.Namespace) -> int:
    from .mock.config import MockConfig
    from .mock.faults import catalogue, resolve_faults
    from .mock.server import serve

    if args.list_faults:
        for fault in catalogue().values():
            print(f"{fault.name:44} {fault.description}")
        return exit_codes.CONFORMANT
    try:
        resolve_faults(args.fault)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    config = MockConfig(username=args.username, password=args.password, api_keys=tuple(args.api_key), faults=tuple(args.fault))
    try:
        serve(config, args.host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return exit_codes.CONFORMANT


def _cmd_run(args: argparse.Namespace) -> int:
    from .runner import run

    try:
        return run(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


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
    openapi.set_defaults(handler=_cmd_openapi)

    listing = commands.add_parser("list", help="list the operations under test")
    listing.set_defaults(handler=_cmd_list)

    run = commands.add_parser(
        "run",
        help="run the conformance suite (against the bundled mock when no --base-url is given)",
        description="Run the conformance suite with pytest. Without --base-url it starts the bundled mock on a free "
        "loopback port, runs everything against it and stops it. Reports go to --report-dir.",
    )
    add_run_arguments(run)
    run.set_defaults(handler=_cmd_run)

    mock = commands.add_parser("mock", help="serve the stateful mock Kibana deployment")
    mock.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    mock.add_argument("--port", type=_port, default=5601, help="port to listen on (default: 5601; 0 picks a free one)")
    mock.add_argument("--username", default=DEFAULT_USERNAME, help=f"basic-auth user it accepts (default: {DEFAULT_USERNAME})")
    mock.add_argument("--password", default=DEFAULT_PASSWORD, help="basic-auth password it accepts (default: changeme)")
    mock.add_argument("--api-key", action="append", default=[], metavar="KEY", help="an API key it accepts, encoded or as id:key (repeatable)")
    mock.add_argument("--fault", action="append", default=[], metavar="NAME", help="switch on a named fault (repeatable; see --list-faults)")
    mock.add_argument("--list-faults", action="store_true", help="list the known faults and exit")
    mock.set_defaults(handler=_cmd_mock)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, CatalogError) as exc:
        print(f"kibana-conformance: error: {exc}", file=sys.stderr)
        return exit_codes.USAGE_ERROR
    except KeyboardInterrupt:
        print("kibana-conformance: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
