"""Schema-driven property tests: every operation, every phase, the built-in and Kibana checks.

Requirement SCHEMA-PROPERTIES: each response matches a documented status, content type and
schema; invalid requests are refused and valid ones accepted; 4xx bodies are Kibana's envelope.
"""

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.plugin import current_session
from kibana_conformance.suite.footprint import RESTORED, Restorer
from kibana_conformance.suite.properties import call_and_validate

session = current_session()
schema = session.schema()


@pytest.fixture(autouse=True)
def _restore_what_fuzzing_changed(request, kibana_session):
    """Generated updates leave Fleet settings and the package policy in any state the schema allows
    (managed, renamed...): written back after the test, the tests that follow start from the real one."""
    label = getattr(request.node, "operation_label", "")
    restorable = tuple(op for op in RESTORED if label == load_catalog().get(op).label)
    restorer = None
    if restorable and not kibana_session.settings.read_only:
        restorer = Restorer(kibana_session.target, kibana_session.prefix)
        restorer.capture(restorable)
    yield
    if restorer is not None:
        restorer.restore()


@schema.parametrize()
def test_operation_conforms(case, kibana):
    call_and_validate(case, session.settings.timeout)
