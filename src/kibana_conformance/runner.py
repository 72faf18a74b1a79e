"""``kibana-conformance run``: the conformance suite under pytest, with reports and exit codes."""

from __future__ import annotations

import argparse
import configparser
import os
import tomllib
from pathlib import Path
from typing import Any

from . import exit_codes
from .options import DEFAULT_REPORT_DIR, OPTIONS, Option, SettingsError, resolve_option
from .paths import suites_dir

VERDICT_EXIT_CODES = {
    "conformant": exit_codes.CONFORMANT,
    "not conformant": exit_codes.NOT_CONFORMANT,
    "incomplete": exit_codes.INCOMPLETE,
    "insufficient coverage": exit_codes.INSUFFICIENT_COVERAGE,
    "interrupted": exit_codes.INTERRUPTED,
    "internal error": exit_codes.INTERNAL_ERROR,
}
PYTEST_EXIT_CODES = {2: exit_codes.INTERRUPTED, 3: exit_codes.INTERNAL_ERROR, 4: exit_codes.USAGE_ERROR, 5: exit_codes.USAGE_ERROR}


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The plugin's options, with the same names, plus the worker count, --last-failed and extra pytest arguments."""
    add_option_arguments(parser, OPTIONS)
    parser.add_argument("-n", "--workers", dest="workers", metavar="N", help="pytest-xdist processes (default: one per core, at most 4, for a run of everything; 0 runs in this process)")
    parser.add_argument(
        "--last-failed", action="store_true",
        help="run only the tests that failed or ended in error in REPORT_DIR/results.json (none: says so and runs nothing, exit 0)",
    )
    parser.add_argument("pytest_args", nargs="*", metavar="-- PYTEST ARGS", help="extra arguments for pytest, after --")


def add_option_arguments(parser: argparse.ArgumentParser, options: tuple[Option, ...] | list[Option]) -> None:
    """Options of the table (options.py) as command-line arguments, with the same names as the plugin's."""
    for option in options:
        help_text = option.help + (f" [env {option.env}]" if option.env else "")
        if option.kind == "bool":
            parser.add_argument(option.flag, dest=option.dest, action="store_true", help=help_text)
        elif option.kind == "switch":
            parser.add_argument(option.flag, dest=option.dest, action="store_true", default=None, help=help_text)
            parser.add_argument(option.off_flag, dest=option.dest, action="store_false", default=None, help=f"do not {option.help.partition(' (')[0]}")
        elif option.kind == "list":
            parser.add_argument(option.flag, dest=option.dest, action="append", default=[], metavar=option.metavar, help=help_text)
        else:
            parser.add_argument(option.flag, dest=option.dest, metavar=option.metavar, help=help_text)


MAX_DEFAULT_WORKERS = 4  # beyond this the target, not the suite, sets the pace


def default_workers(pytest_args: list[str]) -> int | None:
    """One pytest-xdist worker per core available to this process (at most four), unless the pytest
    arguments choose (``-n``, ``-p no:xdist``); on one core, none. The verdict does not depend on it."""
    chosen = any(a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n=", "--numprocesses=")) or (a.startswith("-n") and a[2:].isdigit()) for a in pytest_args)
    if chosen:
        return None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_DEFAULT_WORKERS) if cores > 1 else None


def report_dir(args: argparse.Namespace) -> Path:
    return Path(args.kibana_report_dir or os.environ.get("KIBANA_CONFORMANCE_REPORT_DIR") or DEFAULT_REPORT_DIR)


def user_ini_file(cwd: Path) -> Path | None:
    """The pytest configuration file of the working folder, where pytest itself would find it (so its ``kibana_*`` keys apply)."""
    for name in ("pytest.ini", ".pytest.ini"):
        if (cwd / name).is_file():
            return cwd / name
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        try:
            if "ini_options" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("pytest", {}):
                return pyproject
        except (OSError, tomllib.TOMLDecodeError):
            pass
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        path = cwd / name
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(path, encoding="utf-8")
            except configparser.Error:
                continue
            if parser.has_section(section):
                return path
    return None


def suite_paths(pytest_args: list[str], suites: Path) -> tuple[list[str], bool]:
    """Test ids as the terminal and the report show them (``suites/fleet/test_x.py::test_y``), which
    name the shipped suites wherever they are installed; True when one is given (then only those run)."""
    resolved, named = [], False
    for arg in pytest_args:
        if arg.startswith("suites/") and not Path(arg.partition("::")[0]).exists():
            arg, named = str(suites.parent / arg), True
        resolved.append(arg)
    return resolved, named


def ini_values(path: Path | None) -> dict[str, Any]:
    """The keys of a pytest configuration file's section, as pytest reads them (None: no file)."""
    if path is None:
        return {}
    try:
        if path.name == "pyproject.toml":
            return dict(tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("pytest", {}).get("ini_options", {}))
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
    except (OSError, tomllib.TOMLDecodeError, configparser.Error):
        return {}
    section = next((s for s in ("pytest", "tool:pytest") if parser.has_section(s)), None)
    return dict(parser.items(section)) if section else {}


def resolved_values(args: argparse.Namespace, options: tuple[Option, ...]) -> dict[str, Any]:
    """The values of ``options`` for a command other than ``run`` (which pytest resolves): the command line,
    else the environment, else the working folder's pytest ini file, as for a run."""
    ini = ini_values(user_ini_file(Path.cwd()))
    values = {}
    for option in options:
        raw = ini.get(option.ini) if option.ini else None
        if option.kind == "list" and isinstance(raw, str):
            raw = [line.strip() for line in raw.splitlines() if line.strip()]
        values[option.dest] = resolve_option(option, getattr(args, option.dest, None), dict(os.environ), raw)
    return values


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    suites = suites_dir()
    extra, named = suite_paths(list(args.pytest_args), suites)
    argv = [] if named else [str(suites)]
    for option in OPTIONS:
        value = getattr(args, option.dest, None)
        if option.kind == "bool":
            if value:
                argv.append(option.flag)
        elif option.kind == "switch":
            if value is not None:
                argv.append(option.flag if value else option.off_flag)
        elif option.kind == "list":
            argv += [f"{option.flag}={v}" for v in value or []]
        elif value is not None:
            argv.append(f"{option.flag}={value}")
    # A selection (areas, operations, requirements, test ids) is a small run: one process starts sooner than
    # several (and an unknown requirement id is reported as such).
    restricted = named or getattr(args, "last_failed", False) or any(getattr(args, dest, None) for dest in ("kibana_requirement", "kibana_operation", "kibana_area"))
    workers = args.workers if args.workers is not None else None if restricted else default_workers(args.pytest_args)
    if workers:
        argv += ["-n", str(workers)]
    folder = report_dir(args)
    ini = user_ini_file(Path.cwd())
    if ini is not None:
        argv += ["-c", str(ini)]
    argv += [
        # Node ids read suites/..., wherever the package is installed.
        f"--rootdir={suites.parent}",
        # The suites fail through their own findings; rewriting every plugin's asserts costs each process seconds.
        "--assert=plain",
        "-p",
        "no:cacheprovider",
        # `run` imports the package before pytest starts, so pytest cannot rewrite its asserts (it has none).
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        f"--report-dir={folder}",
        f"--junitxml={folder / 'junit.xml'}",
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_suite_name=kibana-conformance",
    ]
    return argv + extra


def exit_code(pytest_code: int, outcome: Any) -> int:
    if outcome.target_unavailable:
        return exit_codes.TARGET_UNAVAILABLE
    if outcome.internal_error:
        return exit_codes.INTERNAL_ERROR
    if pytest_code == 4:  # a usage error found after the start (at collection): no verdict to give
        return exit_codes.USAGE_ERROR
    if outcome.verdict is None:
        return PYTEST_EXIT_CODES.get(pytest_code, exit_codes.INTERNAL_ERROR)
    if outcome.report_problems and outcome.verdict != "interrupted":
        return exit_codes.INTERNAL_ERROR
    return VERDICT_EXIT_CODES.get(outcome.verdict, exit_codes.INTERNAL_ERROR)


def run(args: argparse.Namespace) -> int:
    import pytest

    from .lifecycle import Outcome, Selection

    outcome = Outcome()
    plugins: list[Any] = [outcome]
    if getattr(args, "last_failed", False):
        chosen = last_failed(report_dir(args))
        if chosen is None:
            return exit_codes.CONFORMANT
        plugins.append(Selection(chosen))
    code = int(pytest.main(pytest_arguments(args), plugins=plugins))
    for problem in outcome.report_problems:
        print(f"kibana-conformance: {problem}", flush=True)
    if outcome.internal_error:
        print(f"kibana-conformance: internal error: {outcome.internal_error}", flush=True)
    return exit_code(code, outcome)


def last_failed(folder: Path) -> frozenset[str] | None:
    """The tests that did not pass in the folder's results.json (read before the run clears the folder);
    None when every one passed (said on the terminal: nothing is run). A missing file is a usage error."""
    from .report.results import ResultsFileError, failed_nodeids, read_results

    path = folder / "results.json"
    try:
        chosen = failed_nodeids(read_results(path))
    except ResultsFileError as exc:
        raise SettingsError(f"--last-failed: {exc}; run without --last-failed first") from None
    if not chosen:
        print(f"kibana-conformance: --last-failed: every test in {path} passed (or was skipped); nothing to run", flush=True)
        return None
    print(f"kibana-conformance: --last-failed: running the {len(chosen)} tests that did not pass in {path}", flush=True)
    return frozenset(chosen)


def namespace(**values: Any) -> argparse.Namespace:
    """The arguments of ``run`` with their defaults, overridden by ``values`` (for callers in Python)."""
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    args = parser.parse_args([])
    for key, value in values.items():
        setattr(args, key, value)
    return args
