"""The pytest plugin (entry point ``kibana_conformance``): options, the run context, collection, fixtures.

The options are inert until a conformance suite activates the plugin (``suites/conftest.py``
calls :func:`activate`); the project's other pytest runs are not affected. Everything a run
knows lives in one :class:`~kibana_conformance.suite.context.RunContext` in ``config.stash``;
what happens at the end of a run (restore, gate, verdict, reports) is :mod:`.lifecycle`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from . import __version__
from .authz import Principal
from .catalog import load_catalog
from .options import OPTIONS, PHASES, Settings, SettingsError, build_settings, resolve_option
from .keys import META_KEY, RUN_KEY, TestMeta
from .lifecycle import Lifecycle, plain_nodeid, selected_nodeids, start_controller
from .suite.context import RunContext, new_context
from .suite.resources import RESOURCE_NAMES, Resources
from .versions import holds_for

CATEGORIES = ("schema", "headers", "auth", "authorization", "error-envelope", "scenarios", "examples")
LIFECYCLE = "kibana-conformance-lifecycle"
# The attribute of the plugin `kibana-conformance requirements` registers: collect without a target (no activation).
CATALOGUE = "kct_catalogue"
WORKER_KEYS = ("kct_base_url", "kct_run_id", "kct_seed", "kct_kibana_version", "kct_embedded", "kct_settings", "kct_resources")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kibana-conformance", "Kibana conformance suite (CLI > environment > ini)")
    for option in OPTIONS:
        where = " [" + "; ".join(part for part in (f"env {option.env}" if option.env else "", f"ini {option.ini}" if option.ini else "") if part) + "]"
        kwargs: dict[str, Any] = {"dest": option.dest, "help": option.help + (where if where != " []" else "")}
        if option.kind == "bool":
            kwargs.update(action="store_true", default=False)
        elif option.kind == "switch":  # on unless turned off: --no-FLAG, or false in the environment or ini
            kwargs.update(action="store_true", default=None)
            group.addoption(option.off_flag, dest=option.dest, action="store_false", default=None, help=f"do not {option.help}")
        elif option.kind == "list":
            kwargs.update(action="append", default=[], metavar=option.metavar)
        else:
            kwargs.update(default=None, metavar=option.metavar)
        try:
            group.addoption(option.flag, **kwargs)
        except ValueError:
            pass  # another plugin (pytest-base-url) already defines --base-url; its value is read the same way
        if option.ini:
            parser.addini(option.ini, option.help, type="linelist" if option.kind == "list" else None, default=[] if option.kind == "list" else None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(id, doc, category, operation=None, since=None, until=None): the requirement a conformance test verifies, "
        "the document's sentence it enforces, its report category and operation, the Kibana versions it holds for",
    )
    config.addinivalue_line("markers", "properties(purpose): a property test over every selected operation (positive or negative)")


def resolve_settings(config: pytest.Config) -> Settings:
    values = {o.dest: resolve_option(o, config.getoption(o.dest, None), dict(os.environ), config.getini(o.ini) if o.ini else None) for o in OPTIONS}
    return build_settings(values, RESOURCE_NAMES)


def catalogue_only(config: pytest.Config) -> bool:
    """Collecting for the requirements catalogue: no target, no run."""
    return any(getattr(plugin, CATALOGUE, False) is True for plugin in config.pluginmanager.get_plugins())


def _node_ids_from_the_suites(config: pytest.Config) -> None:
    """`kibana-conformance run` shows test ids as the report does (suites/...), not relative to the
    working folder (../.venv/lib/python3.11/site-packages/suites/...); a plain pytest run keeps pytest's."""
    from .lifecycle import outcome_of

    if outcome_of(config) is None:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.startpath = config.rootpath
    config.cwd_relative_nodeid = lambda nodeid: nodeid  # type: ignore[method-assign]  # this run's config only


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if RUN_KEY in session.config.stash and not hasattr(session.config, "workerinput"):
        _node_ids_from_the_suites(session.config)


def activate(config: pytest.Config) -> RunContext | None:
    """Resolve the options and set up the run (the bundled mock, the preflight check, the report folder)."""
    if RUN_KEY in config.stash:
        return config.stash[RUN_KEY]
    if catalogue_only(config):
        return None
    try:
        settings = resolve_settings(config)
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        ctx = _worker_context(settings, worker)
        lifecycle = Lifecycle(config, ctx, folder=None)
    else:
        ctx, lifecycle = start_controller(config, settings)
    config.stash[RUN_KEY] = ctx
    config.add_cleanup(ctx.close)
    if ctx.settings.read_only:
        from .suite.safety import read_only_guard

        ctx.wire.guard = read_only_guard
    if ctx.settings.insecure:
        # Asked for: not one warning per request in the summary.
        config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")
    config.pluginmanager.register(lifecycle, LIFECYCLE)
    return ctx


def _worker_context(settings: Settings, worker: dict[str, Any]) -> RunContext:
    from dataclasses import replace

    if worker["kct_embedded"]:
        chosen = dict(worker["kct_settings"])
        chosen["secrets"] = tuple(chosen.get("secrets", ()))
        chosen["principals"] = tuple(Principal(*values) for values in chosen.get("principals", ()))
        settings = replace(settings, **chosen)
    ctx = new_context(
        settings, worker["kct_base_url"], worker["kct_resources"], embedded=worker["kct_embedded"], seed=worker["kct_seed"], run_id=worker["kct_run_id"], workers=worker.get("workercount", 1)
    )
    ctx.kibana_version = worker["kct_kibana_version"]
    return ctx


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    ctx = node.config.stash.get(RUN_KEY, None)
    lifecycle = node.config.pluginmanager.get_plugin(LIFECYCLE)
    if ctx is not None:
        node.workerinput.update(
            kct_base_url=ctx.base_url,
            kct_run_id=ctx.run_id,
            kct_seed=ctx.seed,
            kct_kibana_version=ctx.kibana_version,
            kct_embedded=ctx.embedded,
            # The embedded run's credentials were chosen by the controller (the mock's default user).
            kct_settings={
                "username": ctx.settings.username,
                "password": ctx.settings.password,
                "secrets": list(ctx.settings.secrets),
                "principals": [list(p.as_tuple()) for p in ctx.settings.principals],
            }
            if ctx.embedded
            else {},
            kct_resources=ctx.resources.as_dict(),
            # Where the workers spool their exchanges (a private folder of the controller's).
            kct_har_dir=str(lifecycle.spill) if lifecycle is not None and lifecycle.spill else None,
            kct_nodeids=sorted(chosen) if (chosen := selected_nodeids(node.config)) is not None else None,
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    ctx = config.stash.get(RUN_KEY, None)
    if ctx is None:
        return []
    return [
        f"kibana-conformance {__version__}: {ctx.describe_target()}",
        f"seed {ctx.seed}, schema version {load_catalog().version}, run prefix {ctx.prefix}"
        + ("" if ctx.settings.phases == PHASES else f", phases {','.join(ctx.settings.phases)} only"),
    ]


# --- collection -----------------------------------------------------------------------------


def selected_operations(ctx: RunContext, purpose: str) -> list[str]:
    settings = ctx.settings
    return [op.id for op in load_catalog() if settings.selects(op.id, op.area) and not (settings.read_only and op.is_write)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A property test runs once per selected operation (one item each, so workers share them out)."""
    marker = metafunc.definition.get_closest_marker("properties")
    ctx = metafunc.config.stash.get(RUN_KEY, None)
    if marker is None or "operation_id" not in metafunc.fixturenames:
        return
    if ctx is not None:
        operations = selected_operations(ctx, marker.args[0])
    elif catalogue_only(metafunc.config):
        operations = [op.id for op in load_catalog()]
    else:
        return
    metafunc.parametrize("operation_id", operations, ids=operations)


def _item_operations(item: pytest.Item) -> tuple[str, ...]:
    marker = item.get_closest_marker("requirement")
    operations: list[str] = []
    if marker is not None and marker.kwargs.get("operation"):
        value = marker.kwargs["operation"]
        operations.extend([value] if isinstance(value, str) else value)
    params = getattr(getattr(item, "callspec", None), "params", {})
    for name, value in params.items():
        if name == "operation_id" and isinstance(value, str):
            operations.append(value)
        elif isinstance(getattr(value, "id", None), str) and hasattr(value, "method"):
            operations.append(value.id)
        elif isinstance(getattr(value, "operation_id", None), str):  # a document example
            operations.append(value.operation_id)
    return tuple(dict.fromkeys(operations))


def requirement_meta(item: pytest.Item) -> TestMeta | None:
    """What a suite test verifies, from its ``requirement`` marker (or ``properties``); None for other tests."""
    marker = item.get_closest_marker("requirement")
    operations = _item_operations(item)
    if marker is None:
        if item.get_closest_marker("properties"):
            return TestMeta("SCHEMA-PROPERTIES", "schema", "Every response matches the documented status, content type and schema; invalid requests are refused and valid ones accepted.", operations)
        return None
    requirement = marker.args[0] if marker.args else marker.kwargs["id"]
    category = marker.kwargs.get("category", "scenarios")
    if category not in CATEGORIES:
        raise pytest.UsageError(f"{item.nodeid}: requirement category {category!r} is not one of {', '.join(CATEGORIES)}")
    since, until = marker.kwargs.get("since"), marker.kwargs.get("until")
    return TestMeta(requirement, category, marker.kwargs.get("doc", ""), operations, str(since) if since else None, str(until) if until else None)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    ctx = config.stash.get(RUN_KEY, None)
    if ctx is None:
        return
    catalog = load_catalog()
    selected, deselected = [], []
    declared: set[str] = set()
    chosen = selected_nodeids(config)  # run --last-failed
    for item in items:
        if chosen is not None and plain_nodeid(item.nodeid) not in chosen:
            deselected.append(item)
            continue
        meta = requirement_meta(item)
        if meta is None:
            selected.append(item)
            continue
        item.stash[META_KEY] = meta
        item.user_properties.append(("requirement", meta.requirement))
        item.user_properties.append(("category", meta.category))
        for op_id in meta.operations:
            item.user_properties.append(("operation", op_id))
        ops = [catalog.get(o) for o in meta.operations]
        declared.add(meta.requirement)
        if ops and not any(ctx.settings.selects(op.id, op.area) for op in ops):
            deselected.append(item)
            continue
        if ctx.settings.requirements and meta.requirement not in ctx.settings.requirements:
            deselected.append(item)
            continue
        selected.append(item)
    unknown = sorted(ctx.settings.requirements - declared)
    if unknown and not hasattr(config, "workerinput"):  # a worker cannot stop the run: there it selects nothing
        raise pytest.UsageError(f"--requirement: unknown requirement {unknown[0]!r}; `kibana-conformance requirements` lists them")
    if chosen is not None and not selected and not hasattr(config, "workerinput"):
        raise pytest.UsageError(f"--last-failed: none of the {len(chosen)} tests that did not pass last time is in the suite now (renamed or removed?)")
    for item in selected:
        meta = item.stash.get(META_KEY, None)
        reason = holds_for(ctx.kibana_version, meta.since, meta.until) if meta is not None else None
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"requirement {meta.requirement} {reason}"))
    if ctx.settings.shard is not None:
        kept = set(map(id, shard_items(selected, *ctx.settings.shard)))
        deselected += [item for item in selected if id(item) not in kept]
        selected = [item for item in selected if id(item) in kept]
    # The property tests are the longest; scheduled first, they do not end up as one worker's tail.
    selected.sort(key=lambda item: item.get_closest_marker("properties") is None)
    _group_writers(selected, catalog)
    lifecycle = config.pluginmanager.get_plugin(LIFECYCLE)
    if lifecycle is not None:
        lifecycle.skip_for_flavour(selected)
    if ctx.settings.read_only:
        for item in selected:
            writes = [o for o in item.stash[META_KEY].operations if catalog.get(o).is_write] if META_KEY in item.stash else []
            if writes:
                item.add_marker(pytest.mark.skip(reason=f"--read-only: this test writes ({catalog.get(writes[0]).label})"))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected


PROPERTY_WEIGHT = 10  # a property test costs about as much as this many scenario tests


def _joined_groups(keys_of: dict[Any, list[str]]) -> dict[Any, str]:
    """Each owner's group: owners sharing a key are in one group, and an owner's keys join their groups
    (union-find); a group is named by its smallest key, so the grouping depends only on the input."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for keys in keys_of.values():
        for other in keys[1:]:
            a, b = find(keys[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {owner: find(keys[0]) for owner, keys in keys_of.items() if keys}


def shard_items(items: list[pytest.Item], k: int, n: int) -> list[pytest.Item]:
    """The items of part ``k`` of ``n``: tests grouped by operation (a test of several operations joins
    their groups), groups dealt heaviest first to the lightest part. Depends only on the tests collected."""
    ops_of = {}
    for item in items:
        meta = item.stash.get(META_KEY, None)
        ops_of[id(item)] = sorted(meta.operations) if meta and meta.operations else [f"(file) {item.nodeid.split('::')[0]}"]
    group_of = _joined_groups(ops_of)
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(group_of[id(item)], []).append(item)
    weight = {g: sum(PROPERTY_WEIGHT if i.get_closest_marker("properties") else 1 for i in members) for g, members in groups.items()}
    loads = [0] * n
    chosen: list[pytest.Item] = []
    for group in sorted(groups, key=lambda g: (-weight[g], g)):
        part = min(range(n), key=lambda p: (loads[p], p))
        loads[part] += weight[group]
        if part == k - 1:
            chosen += groups[group]
    return chosen


def _group_writers(items: list[pytest.Item], catalog: Any) -> None:
    """Tests that write the same operations run in one pytest-xdist worker, one after the other.

    A test that writes several operations joins their groups into one (union-find), so no two
    workers ever write the same resource at the same time.
    """
    writes_of = {}
    for item in items:
        meta = item.stash.get(META_KEY, None)
        writes_of[item] = sorted(o for o in (meta.operations if meta else ()) if catalog.get(o).is_write)
    group_of = _joined_groups({item: writes for item, writes in writes_of.items() if writes})
    in_worker = hasattr(items[0].config, "workerinput") if items else False
    for item, group in group_of.items():
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


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kibana_run(request: pytest.FixtureRequest) -> RunContext:
    """The run: settings, target, resources, prefix (see RunContext)."""
    ctx = activate(request.config)
    if ctx is None:
        raise pytest.UsageError("the suites were collected for the requirements catalogue; they do not run")
    return ctx


@pytest.fixture(scope="session")
def kibana(kibana_run: RunContext) -> Any:
    """The deployment under test."""
    return kibana_run.target


@pytest.fixture(scope="session")
def run_prefix(kibana_run: RunContext) -> str:
    """Every resource a test creates is named with this prefix (``kct-<run id>-``)."""
    return kibana_run.prefix


@pytest.fixture(scope="session")
def resources(kibana_run: RunContext) -> Resources:
    """The resources the suite cannot create itself (``--resource``); a missing one skips the test that needs it."""
    return kibana_run.resources


@pytest.fixture(autouse=True)
def _observe_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    ctx = request.config.stash.get(RUN_KEY, None)
    meta = request.node.stash.get(META_KEY, None)
    if ctx is None or meta is None:
        yield
        return
    ctx.wire.recorder.start(plain_nodeid(request.node.nodeid), meta.requirement)
    ctx.divergences.start()
    yield
    ctx.wire.recorder.leave()


__all__ = ["META_KEY", "RUN_KEY", "TestMeta", "activate"]
