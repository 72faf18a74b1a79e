"""The pytest plugin (entry point ``kibana_conformance``): options, fixtures, requirement markers.

The options are inert until a conformance suite activates the plugin (``suites/conftest.py``
calls :func:`activate`); the project's other pytest runs are not affected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import __version__, exit_codes
from .catalog import load_catalog
from .suite import resources
from .suite.session import SuiteSession, TargetUnavailable, embedded_settings, new_run_id, new_seed, preflight, start_embedded_mock
from .suite.footprint import Restorer
from .suite.safety import writes_refused_message
from .suite.settings import OPTIONS, SettingsError, build_settings, resolve_option
from .suite.target import Target

CATEGORIES = ("schema", "headers", "auth", "error-envelope", "scenarios", "examples")
SESSION_KEY = pytest.StashKey[SuiteSession]()
META_KEY = pytest.StashKey["TestMeta"]()
WORKER_KEYS = ("kct_base_url", "kct_run_id", "kct_seed", "kct_kibana_version", "kct_embedded")

_current: SuiteSession | None = None
# What the last in-process run learned that pytest's exit code cannot say (read by `kibana-conformance run`).
LAST_RUN: dict[str, Any] = {}


@dataclass(frozen=True)
class TestMeta:
    """What a suite test verifies: a requirement of one category, about some operations."""

    requirement: str
    category: str
    doc: str
    operations: tuple[str, ...] = field(default=())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kibana-conformance", "Kibana conformance suite (CLI > environment > ini)")
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"dest": option.dest, "help": f"{option.help} [env {option.env}; ini {option.ini}]"}
        if option.kind == "bool":
            kwargs["action"] = "store_true"
            kwargs["default"] = False
        else:
            kwargs["default"] = None
            kwargs["metavar"] = option.metavar
        try:
            group.addoption(option.flag, **kwargs)
        except ValueError:
            pass  # another plugin (pytest-base-url) already defines --base-url; its value is read the same way
        parser.addini(option.ini, option.help, default=None)
    group.addoption(
        "--resource",
        dest="kibana_resource",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"an existing resource on the target ({', '.join(resources.RESOURCE_NAMES)}) [env KIBANA_CONFORMANCE_RESOURCES; ini kibana_resources]",
    )
    parser.addini("kibana_resources", "existing resources on the target, NAME=VALUE per line", type="linelist", default=[])
    group.addoption(
        "--report-dir",
        dest="kibana_report_dir",
        default=None,
        metavar="DIR",
        help="where results.json and index.html go (default: reports) [env KIBANA_CONFORMANCE_REPORT_DIR]",
    )
    group.addoption("--baseline", dest="kibana_baseline", default=None, metavar="FILE", help="accepted deviations (YAML) [env KIBANA_CONFORMANCE_BASELINE; ini kibana_baseline]")
    group.addoption("--baseline-prune", dest="kibana_baseline_prune", action="store_true", help="rewrite --baseline without the entries whose checks pass now")
    group.addoption("--baseline-update", dest="kibana_baseline_update", action="store_true", help="write the current failures as a new baseline (to --baseline, or reports/baseline.yaml) for review")
    group.addoption("--target-flavour", dest="kibana_target_flavour", default=None, metavar="NAME", help="apply the known divergences of a target flavour (stateful, serverless) [env KIBANA_CONFORMANCE_FLAVOUR; ini kibana_target_flavour]")
    parser.addini("kibana_baseline", "accepted deviations (YAML)", default=None)
    parser.addini("kibana_target_flavour", "target flavour", default=None)
    group.addoption(
        "--mock-fault",
        dest="kibana_mock_fault",
        action="append",
        default=[],
        metavar="NAME",
        help="run the bundled mock with this fault switched on (repeatable; `kibana-conformance mock --list-faults`) "
        "[env KIBANA_CONFORMANCE_MOCK_FAULTS]",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(id, doc, category, operation=None): the requirement a conformance test verifies, "
        "the document's sentence it enforces, its report category and operation",
    )


def activate(config: pytest.Config) -> SuiteSession:
    """Resolve the options and set up the run (the bundled mock, the preflight check)."""
    global _current
    if SESSION_KEY in config.stash:
        return config.stash[SESSION_KEY]
    try:
        settings = build_settings(
            {o.dest: resolve_option(o, config.getoption(o.dest, None), dict(os.environ), config.getini(o.ini)) for o in OPTIONS}
        )
        resources.set_overrides(dict(resources.parse_resource(r) for r in _resource_values(config)))
    except (SettingsError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        if worker["kct_embedded"]:
            settings = embedded_settings(settings)
        session = SuiteSession(settings, worker["kct_base_url"], worker["kct_run_id"], worker["kct_seed"], worker["kct_embedded"], worker["kct_kibana_version"])
    else:
        if not (settings.on_loopback or settings.read_only or settings.allow_writes):
            raise pytest.UsageError(writes_refused_message(settings.base_url or ""))
        mock = None
        base_url = settings.base_url
        faults = _mock_faults(config)
        if faults and base_url is not None:
            raise pytest.UsageError("--mock-fault applies to the bundled mock only; drop --base-url to use it")
        if base_url is None:
            try:
                mock, settings = start_embedded_mock(settings, faults)
            except ValueError as exc:
                raise pytest.UsageError(f"--mock-fault: {exc}") from None
            base_url = mock.url
        seed = settings.seed if settings.seed is not None else new_seed()
        session = SuiteSession(settings, base_url, new_run_id(), seed, embedded=mock is not None, mock=mock)
        config.stash[SESSION_KEY] = session
        try:
            preflight(session)
        except TargetUnavailable as exc:
            session.close()
            LAST_RUN["target_unavailable"] = True
            pytest.exit(f"kibana-conformance: {exc}", returncode=exc.exit_code)
    config.stash[SESSION_KEY] = session
    _current = session
    config.add_cleanup(session.close)
    _protect_target(session, worker)
    if session.settings.insecure:
        # Asked for: not one warning per request (urllib3, under schemathesis) in the summary.
        config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")
    _register_collector(config, session)
    return session


def _protect_target(session: SuiteSession, worker: dict[str, Any] | None) -> None:
    """Read-only guard and rate limit; the limit is shared out between pytest-xdist workers."""
    from .suite.properties import RATE_LIMITER, RUN_PREFIX
    from .suite.safety import RateLimiter, read_only_guard

    RUN_PREFIX[:] = [session.prefix]
    if session.settings.read_only:
        session.target.guard = read_only_guard
    rate = session.settings.rate_limit
    if rate is not None:
        session.rate = rate / (worker["workercount"] if worker else 1)
        session.target.limiter = RateLimiter(session.rate)
    # schemathesis' requests wait on the same limiter as the suite's own client.
    RATE_LIMITER[:] = [session.target.limiter] if session.target.limiter is not None else []


def _register_collector(config: pytest.Config, session: SuiteSession) -> None:
    from .report.collector import ResultCollector
    from .suite.properties import CALL_OBSERVERS

    report_dir = config.getoption("kibana_report_dir", None) or os.environ.get("KIBANA_CONFORMANCE_REPORT_DIR") or "reports"
    collector = ResultCollector(config, session, Path(report_dir))
    if not hasattr(config, "workerinput"):
        try:
            collector.gate = _gate(config, Path(report_dir))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(collector, "kibana-conformance-results")
    session.target.observers.append(collector.record_exchange)
    CALL_OBSERVERS[:] = [collector.record_generated]
    if not hasattr(config, "workerinput") and not session.settings.read_only:
        collector.restorer = Restorer(session.target, session.prefix)
        collector.restorer.capture()


def _resource_values(config: pytest.Config) -> list[str]:
    cli = config.getoption("kibana_resource", None) or []
    if cli:
        return cli
    env = os.environ.get("KIBANA_CONFORMANCE_RESOURCES", "")
    if env.strip():
        return [part.strip() for part in env.split(",") if part.strip()]
    return list(config.getini("kibana_resources") or [])


def _setting(config: pytest.Config, dest: str, env: str, ini: str) -> Any:
    return config.getoption(dest, None) or os.environ.get(env) or config.getini(ini) or None


def _gate(config: pytest.Config, report_dir: Path) -> Any:
    """The baseline and flavour divergences the run applies, from the options."""
    from .report.baseline import load_baseline, load_flavour
    from .report.collector import Gate
    from .runner import suites_dir

    baseline_file = _setting(config, "kibana_baseline", "KIBANA_CONFORMANCE_BASELINE", "kibana_baseline")
    flavour = _setting(config, "kibana_target_flavour", "KIBANA_CONFORMANCE_FLAVOUR", "kibana_target_flavour")
    prune, update = config.getoption("kibana_baseline_prune", False), config.getoption("kibana_baseline_update", False)
    if prune and not baseline_file:
        raise ValueError("--baseline-prune needs --baseline FILE")
    path = Path(baseline_file) if baseline_file else None
    entries = load_baseline(path) if path and not (update and not path.exists()) else []
    skips, divergences = load_flavour(suites_dir() / "flavours.yaml", flavour) if flavour else ([], [])
    return Gate(path, entries, skips, divergences, flavour, prune, update, path or report_dir / "baseline.yaml")


def _mock_faults(config: pytest.Config) -> tuple[str, ...]:
    cli = config.getoption("kibana_mock_fault", None) or []
    env = [f.strip() for f in os.environ.get("KIBANA_CONFORMANCE_MOCK_FAULTS", "").split(",") if f.strip()]
    return tuple(cli or env)


def current_session() -> SuiteSession:
    if _current is None:
        raise RuntimeError("the conformance suite is not active: run it with `pytest suites` or `kibana-conformance run`")
    return _current


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    session = node.config.stash.get(SESSION_KEY, None)
    if session is not None:
        node.workerinput.update(
            kct_base_url=session.base_url,
            kct_run_id=session.run_id,
            kct_seed=session.seed,
            kct_kibana_version=session.kibana_version,
            kct_embedded=session.embedded,
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        return []
    catalog = load_catalog()
    return [
        f"kibana-conformance {__version__}: {session.describe_target()}",
        f"seed {session.seed}, schema version {catalog.version}, run prefix {session.prefix}",
    ]


def _item_operations(item: pytest.Item) -> tuple[str, ...]:
    marker = item.get_closest_marker("requirement")
    operations: list[str] = []
    if marker is not None and marker.kwargs.get("operation"):
        value = marker.kwargs["operation"]
        operations.extend([value] if isinstance(value, str) else value)
    params = getattr(getattr(item, "callspec", None), "params", {})
    for value in params.values():
        op_id = getattr(value, "id", None)
        if isinstance(op_id, str) and hasattr(value, "method"):
            operations.append(op_id)
        elif isinstance(getattr(value, "operation_id", None), str):  # a document example
            operations.append(value.operation_id)
    label = getattr(item, "operation_label", None)
    if label:
        method, _, path = label.partition(" ")
        found = load_catalog().match(method, path)
        if found:
            operations.append(found[0].id)
    return tuple(dict.fromkeys(operations))


def _meta(item: pytest.Item) -> TestMeta | None:
    marker = item.get_closest_marker("requirement")
    operations = _item_operations(item)
    if marker is None:
        if getattr(item, "operation_label", None):
            return TestMeta("SCHEMA-PROPERTIES", "schema", "Every response matches the documented status, content type and schema.", operations)
        return None
    requirement = marker.args[0] if marker.args else marker.kwargs["id"]
    category = marker.kwargs.get("category", "scenarios")
    if category not in CATEGORIES:
        raise pytest.UsageError(f"{item.nodeid}: requirement category {category!r} is not one of {', '.join(CATEGORIES)}")
    return TestMeta(requirement, category, marker.kwargs.get("doc", ""), operations)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    suite = config.stash.get(SESSION_KEY, None)
    if suite is None:
        return
    catalog = load_catalog()
    selected, deselected = [], []
    for item in items:
        meta = _meta(item)
        if getattr(item, "operation_label", None) and meta and meta.operations and "[" not in item.nodeid:
            # schemathesis gives every operation's test the same node id under pytest 9;
            # distinct ids keep reports and pytest-xdist scheduling apart.
            _set_nodeid(item, f"{item.nodeid}[{meta.operations[0]}]")
        if meta is None:
            selected.append(item)
            continue
        item.stash[META_KEY] = meta
        item.user_properties.append(("requirement", meta.requirement))
        item.user_properties.append(("category", meta.category))
        for op_id in meta.operations:
            item.user_properties.append(("operation", op_id))
        ops = [catalog.get(o) for o in meta.operations]
        if ops and not any(suite.settings.selects(op.id, op.area) for op in ops):
            deselected.append(item)
            continue
        selected.append(item)
    # The property tests are the longest; scheduled first, they do not end up as one worker's tail.
    selected.sort(key=lambda item: getattr(item, "operation_label", None) is None)
    _group_writers(selected, catalog)
    _skip_for_flavour(config, selected)
    if suite.settings.read_only:
        for item in selected:
            writes = [o for o in item.stash[META_KEY].operations if catalog.get(o).is_write] if META_KEY in item.stash else []
            if writes:
                item.add_marker(pytest.mark.skip(reason=f"--read-only: this test writes ({catalog.get(writes[0]).label})"))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected


def _skip_for_flavour(config: pytest.Config, items: list[pytest.Item]) -> None:
    from .report.results import TestRecord

    gate = getattr(config.pluginmanager.get_plugin("kibana-conformance-results"), "gate", None)
    for entry in gate.skips if gate else []:
        for item in items:
            meta = item.stash.get(META_KEY, None)
            if meta and entry.covers(TestRecord(item.nodeid, meta.requirement, meta.category, meta.doc, list(meta.operations))):
                item.add_marker(pytest.mark.skip(reason=f"not available on {gate.flavour} targets: {entry.reason}"))


def _group_writers(items: list[pytest.Item], catalog: Any) -> None:
    """Tests that write the same operations run in one pytest-xdist worker, one after the other.

    A test that writes several operations joins their groups into one (union-find), so no two
    workers ever write the same resource at the same time.
    """
    parent: dict[str, str] = {}

    def find(op: str) -> str:
        while parent.setdefault(op, op) != op:
            op = parent[op]
        return op

    writes_of = {}
    for item in items:
        meta = item.stash.get(META_KEY, None)
        writes = sorted(o for o in (meta.operations if meta else ()) if catalog.get(o).is_write)
        writes_of[item] = writes
        for other in writes[1:]:
            parent[find(other)] = find(writes[0])
    in_worker = hasattr(item.config, "workerinput") if items else False
    for item, writes in writes_of.items():
        if writes:
            group = find(writes[0])
            item.add_marker(pytest.mark.xdist_group(group))
            if in_worker:
                # pytest-xdist's loadgroup scheduler reads the group from the node id ("...@group"); its
                # own suffixing writes an attribute pytest >= 9.2 no longer reads, so the plugin does it.
                _set_nodeid(item, f"{item.nodeid}@{group}")


def _set_nodeid(item: pytest.Item, nodeid: str) -> None:
    try:  # pytest >= 9.2 keeps a structured id
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(nodeid)  # type: ignore[attr-defined]
    except ImportError:
        item._nodeid = nodeid  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") in ("no", "load"):
        config.option.dist = "loadgroup"


@pytest.fixture(scope="session")
def kibana_session(request: pytest.FixtureRequest) -> SuiteSession:
    return activate(request.config)


@pytest.fixture(scope="session")
def kibana(kibana_session: SuiteSession) -> Target:
    """The deployment under test."""
    return kibana_session.target


@pytest.fixture(scope="session")
def run_prefix(kibana_session: SuiteSession) -> str:
    """Every resource a test creates is named with this prefix (``kct-<run id>-``)."""
    return kibana_session.prefix


@pytest.fixture(autouse=True)
def _record_exchanges(request: pytest.FixtureRequest) -> Iterator[None]:
    suite = request.config.stash.get(SESSION_KEY, None)
    meta = request.node.stash.get(META_KEY, None)
    if suite is None or meta is None:
        yield
        return
    _label_for_allure(meta)
    suite.target.recorder.start()
    yield


def _label_for_allure(meta: TestMeta) -> None:
    """Allure labels: epic = API area, feature = operation, story = check category, plus the requirement."""
    import allure

    catalog = load_catalog()
    areas = sorted({catalog.get(op).area for op in meta.operations})
    for area in areas:
        allure.dynamic.epic(area)
    for op in meta.operations:
        allure.dynamic.feature(op)
    allure.dynamic.story(meta.category)
    allure.dynamic.label("requirement", meta.requirement)
    if meta.doc:
        allure.dynamic.description(meta.doc)


__all__ = ["activate", "current_session", "exit_codes"]
