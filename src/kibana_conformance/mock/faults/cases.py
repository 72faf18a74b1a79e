"""Case settings bugs: the owner filter and the custom fields of a configuration."""

from __future__ import annotations

from . import fault, reply_json, set_json

CONFIGURE = "get-cases-configure"


@fault("cases-configure-string-owner-ignored", "an owner given as a single string is ignored: only the array form filters", expected=["CASES-CONFIGURE-OWNER-FILTER"], stage="handle", operations=[CONFIGURE])
def string_owner_ignored(call, proceed):
    if isinstance(call.query.get("owner"), str):
        call.query.pop("owner")
    return proceed()


@fault("cases-configure-array-owner-first-only", "only the first owner of an array filter is applied", expected=["CASES-CONFIGURE-NO-FILTER-SUPERSET"], stage="handle", operations=[CONFIGURE])
def array_owner_first_only(call, proceed):
    if isinstance(call.query.get("owner"), list):
        call.query["owner"] = call.query["owner"][:1]
    return proceed()


@fault("cases-configure-default-owner", "without owner the answer is limited to the 'cases' owner (a default filled in when the filter is omitted)", expected=["CASES-CONFIGURE-NO-FILTER-SUPERSET"], stage="handle", operations=[CONFIGURE])
def default_owner(call, proceed):
    call.query.setdefault("owner", "cases")
    return proceed()


@fault("cases-configure-filtered-without-templates", "a filtered request reads the configurations with a field list that leaves out templates", expected=["CASES-CONFIGURE-NO-FILTER-SUPERSET"], stage="handle", operations=[CONFIGURE])
def filtered_without_templates(call, proceed):
    reply = proceed()
    if "owner" not in call.query:
        return reply
    return set_json(reply, [{**c, "templates": []} for c in reply_json(reply)])


@fault("cases-configure-custom-fields-duplicated", "custom fields are merged from the configuration and the owner's defaults without de-duplication by key", expected=["CASES-CONFIGURE-CUSTOM-FIELDS"], stage="handle", operations=[CONFIGURE])
def custom_fields_duplicated(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    for configuration in body:
        fields = configuration.get("customFields") or []
        configuration["customFields"] = fields + fields[:1]
    return set_json(reply, body)


@fault("cases-configure-toggle-default-stringified", "toggle custom field defaults are read back from a keyword mapping as strings ('true'/'false')", expected=["CASES-CONFIGURE-CUSTOM-FIELDS"], stage="handle", operations=[CONFIGURE])
def toggle_default_stringified(call, proceed):
    reply = proceed()
    body = reply_json(reply)
    for configuration in body:
        for field in configuration.get("customFields") or []:
            if field.get("type") == "toggle" and isinstance(field.get("defaultValue"), bool):
                field["defaultValue"] = str(field["defaultValue"]).lower()
    return set_json(reply, body)
