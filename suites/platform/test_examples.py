"""The document's own request examples, sent as they are: each answer is a documented one."""

from __future__ import annotations

import pytest

from kibana_conformance.catalog import load_catalog
from kibana_conformance.suite.expect import expect, expect_conforms
from kibana_conformance.suite.profiles import valid_request

CATALOG = load_catalog()
EXAMPLES = [ex for op in CATALOG for ex in op.examples() if ex.kind == "request"]


@pytest.mark.requirement("DOC-EXAMPLE-REPLAY", category="examples", doc="Request examples: each example of the document is a request the operation answers as documented")
@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.operation_id}:{e.name}" for e in EXAMPLES])
def test_request_example_gets_a_documented_answer(example, kibana, resources, run_prefix):
    op = CATALOG.get(example.operation_id)
    path = valid_request(op.id, run_prefix, resources).path
    if example.content_type == "multipart/form-data":
        # The document's curl: --form "file=..." --form 'parameters={}' --form "endpoint_ids[]=..."
        value = example.value
        fields = [("file", value["file"]), ("parameters", "{}")] + [("endpoint_ids[]", i) for i in value["endpoint_ids"]]
        response = kibana.request(op.method, path, files=[(name, (None, data)) for name, data in fields])
    else:
        response = kibana.request(op.method, path, json_body=example.value)
    expect(response.status_code < 500, f"{op.label} failed on the document's own example", received=response.status_code, documented=example.summary)
    expect_conforms(op, response)
