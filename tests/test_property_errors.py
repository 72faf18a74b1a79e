"""A property test whose explicit examples meet several distinct transport problems (hypothesis groups
them) is a transport problem: the suite could not judge, never a suite error (found under load by
tests/live/test_hostile.py, the target closing connections mid-body)."""

from __future__ import annotations

import hypothesis
import hypothesis.core
import pytest
from hypothesis import strategies as st

from kibana_conformance.suite.properties import _interruptible, interrupted, transport_problem
from kibana_conformance.transport import TransportError


def test_a_group_of_transport_problems_is_the_first_of_them() -> None:
    closed, slow = TransportError("GET /api/x", "connection closed mid-body"), TransportError("GET /api/y", "timed out")
    assert transport_problem(ExceptionGroup("two", [closed, ExceptionGroup("nested", [slow])])) is closed


def test_a_group_with_another_error_stays_what_it_is() -> None:
    closed = TransportError("GET /api/x", "connection closed mid-body")
    assert transport_problem(ExceptionGroup("mixed", [closed, ValueError("the suite's own")])) is None


def test_a_long_request_line_is_cut_between_parameters_so_redaction_still_sees_each_whole() -> None:
    """A generated query can be kilobytes long: the message shows ~120 characters, cut only between path segments
    and query parameters. A known secret straddling the cut is left out whole, never shown in part (redaction
    replaces only whole secrets it knows)."""
    from kibana_conformance.redaction import Redactor

    secret = "kct-known-secret-value-0123456789"
    for filler in range(60, 130, 7):  # the secret at every position around the cut
        line = f"GET /api/fleet/epm/packages?category={'x' * filler}&note={secret}&prerelease=true&{'y=1&' * 300}"
        message = str(TransportError(line, "no complete answer within 10 s"))
        shown = message.split(": no complete answer")[0]
        assert len(shown) <= TransportError.SHOWN and shown.endswith("…"), shown
        assert line.startswith(shown[:-1]) and shown[-2] in "/?&;", shown
        redacted = Redactor([secret]).text(message)
        assert not any(secret[:n] in redacted for n in range(8, len(secret) + 1)), redacted
    assert str(TransportError("GET /api/status", "refused")) == "GET /api/status: refused"


def test_a_ctrl_c_that_hypothesis_turns_into_its_own_error_stays_a_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted before its engine exists, hypothesis fails an assertion of its own while handling the
    KeyboardInterrupt: the run went on, with a suite error where the user had pressed ctrl-c."""

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(hypothesis.core, "ConjectureRunner", interrupt)

    @hypothesis.settings(database=None)
    @hypothesis.given(st.integers())
    def property_test(number: int) -> None:
        pass

    with pytest.raises(KeyboardInterrupt):
        _interruptible(property_test)


def test_only_an_interruption_is_one() -> None:
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise AssertionError  # noqa: B904 (as hypothesis does)
    except AssertionError as exc:
        assert interrupted(exc)
    assert interrupted(ExceptionGroup("group", [ValueError("x"), RuntimeError("y")])) is False
    assert interrupted(BaseExceptionGroup("group", [ValueError("x"), KeyboardInterrupt()]))
    assert not interrupted(ValueError("the suite's own"))


def test_a_group_holding_a_ctrl_c_is_a_ctrl_c() -> None:
    def grouped() -> None:
        raise BaseExceptionGroup("two examples", [ValueError("x"), KeyboardInterrupt()])

    with pytest.raises(KeyboardInterrupt):
        _interruptible(grouped)
