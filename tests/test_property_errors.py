"""A property test whose explicit examples meet several distinct transport problems (hypothesis groups
them) is a transport problem: the suite could not judge, never a suite error (found under load by
tests/live/test_hostile.py, the target closing connections mid-body)."""

from __future__ import annotations

from kibana_conformance.suite.properties import transport_problem
from kibana_conformance.transport import TransportError


def test_a_group_of_transport_problems_is_the_first_of_them() -> None:
    closed, slow = TransportError("GET /api/x", "connection closed mid-body"), TransportError("GET /api/y", "timed out")
    assert transport_problem(ExceptionGroup("two", [closed, ExceptionGroup("nested", [slow])])) is closed


def test_a_group_with_another_error_stays_what_it_is() -> None:
    closed = TransportError("GET /api/x", "connection closed mid-body")
    assert transport_problem(ExceptionGroup("mixed", [closed, ValueError("the suite's own")])) is None
