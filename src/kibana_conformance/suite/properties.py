"""Schema-driven property tests: schemathesis over documents built per purpose from the schema files.

Valid requests come from the *positive* document (pinned to the examples inside the lossy spots of
the rendering), invalid ones from the *negative* document (breaking only what the document or
Kibana states); every response is held to what the document or Kibana states
(:mod:`kibana_conformance.provenance`). Everything is per run: the schemas, their hooks and their
transport are made for one :class:`~kibana_conformance.suite.context.RunContext`, nothing is
registered process-wide.
"""

from __future__ import annotations

import json
import os
import unittest
from typing import TYPE_CHECKING, Any

import pytest

from ..catalog import load_catalog
from ..openapi import assemble
from ..paths import cache_folder
from ..provenance import body_required
from ..transport import TransportError
from .checks import KIBANA_CHECKS
from .expect import forbidden_reason
from .profiles import PROFILES

if TYPE_CHECKING:
    from .context import RunContext

PURPOSES = ("positive", "negative")
# Kibana refuses bad input with these; 413 and 415 are hapi's answers for oversized and mistyped bodies.
REJECTION_STATUSES = ["400", "401", "403", "404", "405", "409", "413", "415", "422"]
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "429"]
UNEXPECTED_METHODS = ["DELETE", "PATCH", "POST", "PUT", "GET"]
READ_ONLY_UNEXPECTED_METHODS = ["GET"]
BUILT_IN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
)


def auth_config(ctx: RunContext) -> dict[str, Any]:
    header = ctx.target.auth_header.get("Authorization")
    if ctx.settings.api_key and header:
        return {"openapi": {"apiKeyAuth": {"api_key": header}}}
    if ctx.settings.username and ctx.settings.password:
        return {"basic": {"username": ctx.settings.username, "password": ctx.settings.password}}
    return {}


def checks_config() -> dict[str, Any]:
    config: dict[str, Any] = {name: {"enabled": True} for name in BUILT_IN_CHECKS}
    config["negative_data_rejection"]["expected-statuses"] = REJECTION_STATUSES
    config["positive_data_acceptance"]["expected-statuses"] = POSITIVE_STATUSES
    config["missing_required_header"]["expected-statuses"] = ["400", "401"]
    # documented_response_schema replaces it: it holds only what the document or Kibana states.
    config["response_schema_conformance"] = {"enabled": False}
    # Kibana answers 404, not 405, for a method a route does not have; see undocumented_method_rejected.
    config["unsupported_method"] = {"enabled": False}
    # Run as checks.ignored_auth, which remembers the operations seen enforcing authentication.
    config["ignored_auth"] = {"enabled": False}
    for name in ("use_after_free", "ensure_resource_availability"):
        config[name] = {"enabled": False}
    return config


def operation_checks(op_id: str) -> dict[str, Any]:
    """The built-in checks' settings one operation changes (schemathesis.toml's ``[operations.checks]``)."""
    checks: dict[str, Any] = {}
    if PROFILES[op_id].semantic_400:
        checks["positive_data_acceptance"] = {"expected-statuses": [*POSITIVE_STATUSES, "400"]}
    server_errors = [status for status in load_catalog().get(op_id).responses if status.startswith("5")]
    if server_errors:
        # A 5xx the operation documents is an answer it may give (APM documents 500 for what Elasticsearch refuses).
        checks["not_a_server_error"] = {"expected-statuses": ["1xx", "2xx", "3xx", "4xx", *server_errors]}
    return checks


def phases_of(settings: Any, purpose: str) -> tuple[str, ...]:
    """The phases a purpose runs: the documented examples are valid requests, so only the positive one has them."""
    return tuple(phase for phase in settings.phases if purpose == "positive" or phase != "examples")


def selected_operations(ctx: RunContext) -> list[str]:
    settings = ctx.settings
    return [op.id for op in load_catalog() if settings.selects(op.id, op.area) and not (settings.read_only and op.is_write)]


def config_dict(ctx: RunContext, purpose: str, base_url: str) -> dict[str, Any]:
    """The schemathesis configuration, in ``schemathesis.toml`` shape."""
    settings = ctx.settings
    # Half the examples each way: the two purposes together draw as many cases as one mixed run.
    examples = max(1, (settings.max_examples + (1 if purpose == "positive" else 0)) // 2)
    generation = {"max-examples": examples, "mode": purpose, "database": "none"}
    operations: list[dict[str, Any]] = []
    for op_id, profile in PROFILES.items():
        entry: dict[str, Any] = {"include-operation-id": op_id}
        if purpose == "positive" and profile.no_negative_data:
            # No invalid cases are sent for it, so the valid ones get them all. The whole generation dict, not the
            # count alone: schemathesis merges an operation's config over the run's, and the mode must stay this one.
            entry["generation"] = {**generation, "max-examples": settings.max_examples}
        checks = operation_checks(op_id)
        if checks:
            entry["checks"] = checks
        pinned = profile.pinned_values(ctx.resources)
        if pinned:
            entry["parameters"] = {f"path.{k}": v for k, v in pinned.items()}
        if len(entry) > 1:
            operations.append(entry)
    config: dict[str, Any] = {
        "seed": ctx.seed,
        "base-url": base_url,
        "request-timeout": settings.timeout,
        "max-redirects": 0,
        "tls-verify": settings.verify,
        "generation": generation,
        "phases": {
            "examples": {"enabled": "examples" in phases_of(settings, purpose), "fill-missing": True},
            "coverage": {"enabled": "coverage" in settings.phases, "unexpected-methods": READ_ONLY_UNEXPECTED_METHODS if settings.read_only else UNEXPECTED_METHODS},
            "fuzzing": {"enabled": "fuzzing" in settings.phases},
            "stateful": {"enabled": False},
        },
        "checks": checks_config(),
        "operations": operations,
    }
    auth = auth_config(ctx)
    if auth:
        config["auth"] = auth
    return config


def build_schema(ctx: RunContext, purpose: str) -> Any:
    """The schemathesis schema of the selected operations for ``purpose``, aimed at the target, wired to this run."""
    import schemathesis

    from ..transport_schemathesis import schema_class_for

    use_shared_hypothesis_storage()
    base_url = ctx.base_url + ctx.target.space_prefix
    document = assemble(load_catalog(), purpose)
    config = schemathesis.Config.from_dict(config_dict(ctx, purpose, base_url))
    schema = schemathesis.openapi.from_dict(document, config=config).include(operation_id=selected_operations(ctx))
    schema.__class__ = schema_class_for(type(schema), ctx.wire)
    schema.config.__class__ = _remembering_config_class(type(schema.config))
    schema.kct_divergences = ctx.divergences
    schema.kct_auth_enforced = set()  # operations seen refusing requests without and with wrong credentials
    _register_hooks(schema, ctx)
    return schema


def use_shared_hypothesis_storage() -> None:
    """Keep hypothesis' files in the suite's cache folder rather than in ``.hypothesis/`` of the working folder.

    hypothesis computes, once per storage folder, which characters its codecs can encode (utf-8: about 2 s
    of CPU) and keeps the tables there: every run from a new folder (a CI checkout, each end-to-end test of this
    project, a user's first run) computed them again and left a ``.hypothesis/`` folder behind. The property
    tests keep no example database (``database: none``), so nothing else moves. This is process-wide (hypothesis
    has one storage folder); a ``HYPOTHESIS_STORAGE_DIRECTORY`` the user chose is kept, and an unwritable cache
    folder leaves hypothesis' default alone.
    """
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    folder = cache_folder() / "hypothesis"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    if not os.access(folder, os.W_OK):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(folder)


# schemathesis merges its configuration layers again for every case (the checks' settings for the operation
# and phase: a seventh of a coverage case's time); a run never changes its configuration, so each answer is kept.
_REMEMBERED = ("checks_config_for", "generation_for", "phases_for")


def _remembering_config_class(base: type) -> type:
    """A subclass of the configuration's class (no new slots: an instance can take it) that keeps the answers of
    ``_REMEMBERED`` per operation and phase, for the one configuration object of one schema."""
    memo: dict[tuple[Any, ...], Any] = {}

    def remembering(name: str) -> Any:
        merge = getattr(base, name)

        def method(self: Any, **kwargs: Any) -> Any:
            operation = kwargs.get("operation")
            key = (name, id(self), operation.label if operation is not None else None, kwargs.get("phase"))
            if key not in memo:
                memo[key] = merge(self, **kwargs)
            return memo[key]

        return method

    return type(f"Remembering{base.__name__}", (base,), {"__slots__": (), **{name: remembering(name) for name in _REMEMBERED}})


def _operation_id(context: Any) -> str | None:
    operation = getattr(context, "operation", None)
    return operation.definition.raw.get("operationId") if operation is not None else None


def _register_hooks(schema: Any, ctx: RunContext) -> None:
    """Names the generated cases create carry the run prefix, so they can be told apart (hooks of this schema only)."""
    prefix = ctx.prefix

    def map_path_parameters(context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
        profile = PROFILES.get(_operation_id(context) or "")
        if profile is not None and isinstance(path_parameters, dict):
            for name in profile.prefixed_path:
                if name in path_parameters:
                    path_parameters[name] = profile.prefix_path_parameter(name, path_parameters[name], prefix)
        return path_parameters

    def map_body(context: Any, body: Any) -> Any:
        profile = PROFILES.get(_operation_id(context) or "")
        return profile.prefix_body(body, prefix) if profile is not None else body

    schema.hook(map_path_parameters)
    schema.hook(map_body)


def _prefix_case(case: Any, prefix: str) -> None:
    """The same prefix on the cases the map hooks never see (the examples and coverage phases).

    Without it, a coverage case such as PUT /api/logstash/pipeline/0 would overwrite a pipeline
    of that name on a live deployment. Only ids the document allows are prefixed (a valid id
    stays valid, an invalid one invalid), and only once.
    """
    profile = PROFILES[case.operation.definition.raw["operationId"]]
    if isinstance(case.path_parameters, dict):
        for name in profile.prefixed_path:
            if name in case.path_parameters:
                case.path_parameters[name] = profile.prefix_path_parameter(name, case.path_parameters[name], prefix)
    profile.prefix_body(case.body, prefix)


def call_and_validate(ctx: RunContext, case: Any, purpose: str = "positive") -> None:
    """Send a generated case and run every check.

    A 403 to a case sent with the run's credentials is a permissions problem (Kibana checks
    privileges before it validates anything): the test is skipped, as the scenarios do. A
    transport problem raises :class:`~kibana_conformance.transport.TransportError` (an error:
    the suite could not judge).
    """
    from schemathesis.transport.prepare import get_exclude_headers

    if _body_disputed(case):
        return
    _prefix_case(case, ctx.prefix)
    if purpose == "positive":
        PROFILES[case.operation.definition.raw["operationId"]].pin_body(case.body, ctx.resources)
    response = case.call()
    ctx.coverage.count_generated(case.operation.definition.raw["operationId"])
    sent_credentials = "authorization" not in {name.lower() for name in get_exclude_headers(case)}
    if response.status_code == 403 and sent_credentials:
        pytest.skip(forbidden_reason(f"{case.method} {case.formatted_path}", _json(response.content)))
    case.validate_response(response, additional_checks=list(KIBANA_CHECKS))


def _body_disputed(case: Any) -> bool:
    """A case without a body where the document lets the body out and Kibana requires one (the
    schema's ``requestBody.kibanaRequired``): either answer is conformant, so it is not sent."""
    from schemathesis.core import NOT_SET

    if case.body is not NOT_SET:
        return False
    raw = load_catalog().get(case.operation.definition.raw["operationId"]).raw
    return body_required(raw, "document") != body_required(raw, "kibana")


def _json(content: bytes) -> Any:
    try:
        return json.loads(content or b"")
    except ValueError:
        return None


def run_property_test(ctx: RunContext, purpose: str, operation_id: str) -> None:
    """One operation's property test for one purpose: the examples, coverage and fuzzing phases."""
    from schemathesis.core.control import SkipTest as SchemathesisSkip
    from schemathesis.core.failures import FailureGroup, as_reported_failure
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test
    from schemathesis.python._constants.orchestrator import make_constants_value_source

    profile = PROFILES[operation_id]
    if purpose == "negative" and profile.no_negative_data:
        pytest.skip(f"no generated invalid data for {operation_id}: {profile.no_negative_data}")
    if not phases_of(ctx.settings, purpose):
        pytest.skip(f"no phase of --phases {','.join(ctx.settings.phases)} sends {purpose} cases: invalid requests come from the coverage and fuzzing phases")
    schema = ctx.schema(purpose)
    operation = schema.find_operation_by_id(operation_id)

    unanswered: list[TransportError] = []

    def test(case: Any) -> None:
        # After a request got no answer (retries included) the test can only end in an error: the later cases,
        # and hypothesis' shrinking of the failed one, end at once instead of each waiting out the timeout again.
        if unanswered:
            raise TransportError(unanswered[0].request_line, unanswered[0].what)
        try:
            call_and_validate(ctx, case, purpose)
        except TransportError as exc:
            unanswered.append(exc)
            raise

    hypothesis_test = build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=test,
        given_kwargs={},
        feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
    )
    try:
        _interruptible(hypothesis_test)
    except FailureGroup as exc:
        raise as_reported_failure(exc) from None
    except (unittest.SkipTest, SchemathesisSkip) as exc:
        # Raised by the fuzzing phase when the operation has nothing stated to break: the explicit
        # cases (coverage: unexpected methods, missing headers) ran before it and passed.
        if purpose == "negative" and "negative" in str(exc):
            return
        pytest.skip(f"schemathesis generated no case for {operation_id}: {exc}")
    except BaseExceptionGroup as exc:
        problem = transport_problem(exc)
        if problem is None:
            raise
        raise problem from None


def _interruptible(hypothesis_test: Any) -> None:
    """Run the test; a ctrl-c stays a ctrl-c. hypothesis can lose one: interrupted before its engine exists, it
    fails an assertion of its own while handling the KeyboardInterrupt, and the run went on with a suite error
    in place of the interruption (found by tests/live/test_run_end.py under load)."""
    try:
        hypothesis_test()
    except BaseException as exc:  # a group holding the KeyboardInterrupt is no Exception
        if not isinstance(exc, KeyboardInterrupt) and interrupted(exc):
            raise KeyboardInterrupt from exc
        raise


def interrupted(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is behind ``error``: its cause, its context, or a member of a group."""
    pending: list[BaseException | None] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt):
            return True
        pending += [current.__cause__, current.__context__]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
    return False


def transport_problem(group: BaseExceptionGroup[Any]) -> TransportError | None:
    """The first transport problem of a group in which every error is one: hypothesis groups the distinct
    errors of several explicit examples (a connection closed mid-body here, a timeout there), and that is
    still the suite not able to judge, not an exception of its own."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        error = pending.pop(0)
        if isinstance(error, BaseExceptionGroup):
            pending[:0] = list(error.exceptions)
        else:
            leaves.append(error)
    first = leaves[0] if leaves else None
    return first if isinstance(first, TransportError) and all(isinstance(e, TransportError) for e in leaves) else None
