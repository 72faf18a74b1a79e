"""Schema-driven property tests: every operation, every phase, the built-in and Kibana checks.

Requirement SCHEMA-PROPERTIES: each response matches a documented status, content type and
schema; invalid requests are refused and valid ones accepted; 4xx bodies are Kibana's envelope.
"""

from kibana_conformance.plugin import current_session
from kibana_conformance.suite.properties import call_and_validate

session = current_session()
schema = session.schema()


@schema.parametrize()
def test_operation_conforms(case, kibana):
    call_and_validate(case, session.settings.timeout)
