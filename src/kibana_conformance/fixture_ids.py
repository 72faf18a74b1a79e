"""The ids of the bundled mock's seeded resources (docs/mock-fixtures.md).

The mock seeds them; the entry points hand them to the suite as its resources when the run
targets the bundled mock; the project's tests and benchmarks use them. Kept apart from both the
mock and the suite so that neither imports the other.
"""

OUTPUT_ID = "fleet-default-output"
REMOTE_OUTPUT_ID = "remote-es-output"
PACKAGE_POLICY_ID = "f1a5e3b2-7d4c-4b8e-9a61-3c2d8e7f4a10"
MANAGED_PACKAGE_POLICY_ID = "5b0d6e3c-9f2a-4d71-8e4b-2a6c1f9d3e57"
LIVE_QUERY_ID = "3c42c847-eb30-4452-80e0-728584042334"
LIVE_QUERY_ACTION_ID = "609c4c66-ba3d-43fa-afdd-53e244577aa0"
GROUP_STREAM = "web-services"
EXCEPTION_ITEM_ID = "simple_list_item"
ENDPOINT_ID = "ed518850-681a-4d60-bb98-e22640cae2a8"
OTHER_SPACE = "kct-other"

# The suite's resources on the bundled mock (names as --resource takes them).
RESOURCES = {
    "outputId": OUTPUT_ID,
    "remoteOutputId": REMOTE_OUTPUT_ID,
    "packagePolicyId": PACKAGE_POLICY_ID,
    "managedPackagePolicyId": MANAGED_PACKAGE_POLICY_ID,
    "liveQueryId": LIVE_QUERY_ID,
    "liveQueryActionId": LIVE_QUERY_ACTION_ID,
    "groupStream": GROUP_STREAM,
    "exceptionItemId": EXCEPTION_ITEM_ID,
    "endpointId": ENDPOINT_ID,
    "otherSpace": OTHER_SPACE,
}
