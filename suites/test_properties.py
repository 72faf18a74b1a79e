"""Schema-driven property tests: every selected operation, valid and invalid generated requests.

Requirement SCHEMA-PROPERTIES: each response matches a documented status, content type and
schema; invalid requests are refused and valid ones accepted; 4xx bodies are Kibana's envelope.
The operations are parametrized by the plugin (one test item per operation and purpose).
"""

import pytest

from kibana_conformance.suite.footprint import RESTORED, Restorer
from kibana_conformance.suite.properties import run_property_test


@pytest.fixture(autouse=True)
def _restore_what_fuzzing_changed(request, kibana_run):
    """Generated updates leave Fleet settings and the package policy in any state the schema allows
    (managed, renamed...): written back after the test, the tests that follow start from the real one."""
    operation_id = getattr(getattr(request.node, "callspec", None), "params", {}).get("operation_id")
    restorable = tuple(op for op in RESTORED if op == operation_id)
    restorer = None
    if restorable and not kibana_run.settings.read_only:
        restorer = Restorer(kibana_run.target, kibana_run.prefix, kibana_run.resources)
        restorer.capture(restorable)
    yield
    if restorer is not None:
        restorer.restore()


@pytest.mark.properties("positive")
def test_valid_requests_conform(kibana_run, operation_id):
    """Valid generated requests are accepted, and every answer is documented."""
    run_property_test(kibana_run, "positive", operation_id)


@pytest.mark.properties("negative")
def test_invalid_requests_are_refused(kibana_run, operation_id):
    """Invalid generated requests (breaking only what the document or Kibana states) are refused with Kibana's envelope."""
    run_property_test(kibana_run, "negative", operation_id)


