"""``kibana-conformance run``: the conformance suite under pytest, with reports and exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import exit_codes
from .suite.settings import OPTIONS

PYTEST_EXIT_CODES = {0: exit_codes.CONFORMANT, 1: exit_codes.NOT_CONFORMANT, 2: 130, 4: exit_codes.USAGE_ERROR, 5: exit_codes.USAGE_ERROR}


def suites_dir() -> Path:
    """The suites shipped in the package, or the checkout's ``suites/`` when run from source."""
    packaged = Path(__file__).resolve().parent / "suites"
    if (packaged / "conftest.py").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "suites"


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The plugin's options, with the same names, plus where reports go."""
    for option in OPTIONS:
        if option.kind == "bool":
            parser.add_argument(option.flag, dest=option.dest, action="store_true", help=option.help)
        else:
            parser.add_argument(option.flag, dest=option.dest, metavar=option.metavar, help=f"{option.help} [env {option.env}]")
    parser.add_argument("--resource", action="append", default=[], metavar="NAME=VALUE", help="an existing resource on the target (repeatable)")
    parser.add_argument("--mock-fault", action="append", default=[], metavar="NAME", help="switch on a fault in the bundled mock (repeatable)")
    parser.add_argument("--baseline", metavar="FILE", help="accepted deviations (YAML): covered failures do not fail the gate")
    parser.add_argument("--baseline-prune", action="store_true", help="rewrite --baseline without the entries whose checks pass now")
    parser.add_argument("--baseline-update", action="store_true", help="write the current failures as a new baseline for review")
    parser.add_argument("--target-flavour", metavar="NAME", help="apply a flavour's known divergences (stateful, serverless)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR", help="where reports go (default: reports)")
    parser.add_argument("-n", "--workers", dest="workers", metavar="N", help="run with pytest-xdist on N processes (or 'auto')")
    parser.add_argument("pytest_args", nargs="*", metavar="-- PYTEST ARGS", help="extra arguments for pytest, after --")


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    argv = [str(suites_dir())]
    for option in OPTIONS:
        value = getattr(args, option.dest)
        if option.kind == "bool":
            if value:
                argv.append(option.flag)
        elif value is not None:
            argv.append(f"{option.flag}={value}")
    argv += [f"--resource={r}" for r in args.resource]
    argv += [f"--mock-fault={f}" for f in args.mock_fault]
    for flag, value in (("--baseline", args.baseline), ("--target-flavour", args.target_flavour)):
        if value:
            argv.append(f"{flag}={value}")
    argv += [flag for flag, on in (("--baseline-prune", args.baseline_prune), ("--baseline-update", args.baseline_update)) if on]
    if args.workers:
        argv += ["-n", str(args.workers)]
    report_dir: Path = args.report_dir
    argv += [
        # The suites fail through expect() with their own messages; rewriting every plugin's asserts
        # costs each process seconds (more where bytecode caching is off).
        "--assert=plain",
        "-p",
        "no:cacheprovider",
        # `run` imports the package before pytest starts, so pytest cannot rewrite its asserts (it has none).
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        f"--report-dir={report_dir}",
        f"--junitxml={report_dir / 'junit.xml'}",
        f"--alluredir={report_dir / 'allure-results'}",
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_suite_name=kibana-conformance",
    ]
    return argv + list(args.pytest_args)


def run(args: argparse.Namespace) -> int:
    import pytest

    from . import plugin

    try:
        args.report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the report folder {args.report_dir}: {exc.strerror}") from None
    plugin.LAST_RUN.clear()
    code = int(pytest.main(pytest_arguments(args)))
    if code == 3:
        return exit_codes.TARGET_UNAVAILABLE if plugin.LAST_RUN.get("target_unavailable") else exit_codes.INTERNAL_ERROR
    return PYTEST_EXIT_CODES.get(code, exit_codes.INTERNAL_ERROR)


def namespace(**values: Any) -> argparse.Namespace:
    """The arguments of ``run`` with their defaults, overridden by ``values`` (for callers in Python)."""
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    args = parser.parse_args([])
    for key, value in values.items():
        setattr(args, key, value)
    return args
