"""Case settings (the ``cases-configure`` saved objects): one configuration per owner and space."""

from __future__ import annotations

import uuid
from typing import Any

from ..state import Backend

OWNERS = ("cases", "observability", "securitySolution")
# Saved-object ids are unique per space in Kibana; deriving them from the space keeps the
# fixtures stable across resets while no two spaces share an id.
ID_NAMESPACE = uuid.UUID("7d2c1a52-6c82-11ee-a20a-6164169afa58")
NO_CONNECTOR = {"id": "none", "name": "none", "type": ".none", "fields": None}
ELASTIC = {"email": None, "username": "elastic", "full_name": None}


def _object_id(space: str, name: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{space}/{name}"))


def _stack_configuration(space: str) -> dict[str, Any]:
    """Like the document's example: no connector, one text custom field and one template."""
    return {
        "id": _object_id(space, "cases-configure/cases"),
        "owner": "cases",
        "closure_type": "close-by-user",
        "connector": dict(NO_CONNECTOR),
        "mappings": [],
        "customFields": [
            {
                "key": "d312efda-ec2b-42ec-9e2c-84981795c581",
                "type": "text",
                "label": "my-text-field",
                "required": False,
                "defaultValue": "Custom text field value.",
            }
        ],
        "templates": [
            {
                "key": "505932fe-ee3a-4960-a661-c781b5acdb05",
                "name": "template-1",
                "description": "A description of the template.",
                "tags": ["Template tag 1"],
                "caseFields": {
                    "title": "Default case title",
                    "description": "A default description for cases.",
                    "tags": ["Default case tag"],
                    "category": "Default-category",
                    "severity": "low",
                    "settings": {"syncAlerts": False},
                    "assignees": [{"uid": "u_mGBROF_q5bmFCATbLXAcCwKa0k8JvONAwSruelyKA5E_0"}],
                    "connector": dict(NO_CONNECTOR),
                    "customFields": [{"key": "d312efda-ec2b-42ec-9e2c-84981795c581", "type": "text", "value": "Default text field value."}],
                },
            }
        ],
        "created_at": "2024-07-01T17:07:17.767Z",
        "created_by": dict(ELASTIC),
        "updated_at": None,
        "updated_by": None,
        "error": None,
        "version": "WzEyLDNd",
    }


def _observability_configuration(space: str) -> dict[str, Any]:
    """Pushes to ServiceNow ITSM but closes by hand; no custom fields or templates."""
    return {
        "id": _object_id(space, "cases-configure/observability"),
        "owner": "observability",
        "closure_type": "close-by-user",
        "connector": {"id": _object_id(space, "action/servicenow-itsm"), "name": "ServiceNow ITSM", "type": ".servicenow", "fields": None},
        "mappings": [
            {"source": "title", "target": "short_description", "action_type": "overwrite"},
            {"source": "description", "target": "description", "action_type": "overwrite"},
            {"source": "comments", "target": "work_notes", "action_type": "append"},
        ],
        "customFields": [],
        "templates": [],
        "created_at": "2024-07-03T08:42:55.120Z",
        "created_by": dict(ELASTIC),
        "updated_at": "2024-09-12T14:05:31.604Z",
        "updated_by": {"email": "sre-lead@example.com", "username": "sre_lead", "full_name": "Maya Lindqvist"},
        "error": None,
        "version": "WzQ4LDNd",
    }


def _security_configuration(space: str) -> dict[str, Any]:
    """Closes cases when they are pushed to Jira; a toggle and a text custom field, one template."""
    jira = {"id": _object_id(space, "action/jira-soc"), "name": "Jira SOC", "type": ".jira", "fields": None}
    return {
        "id": _object_id(space, "cases-configure/securitySolution"),
        "owner": "securitySolution",
        "closure_type": "close-by-pushing",
        "connector": jira,
        "mappings": [
            {"source": "title", "target": "summary", "action_type": "overwrite"},
            {"source": "description", "target": "description", "action_type": "overwrite"},
            {"source": "comments", "target": "comments", "action_type": "append"},
        ],
        "customFields": [
            {"key": "incident_ticket", "type": "text", "label": "Incident ticket", "required": False},
            {"key": "customer_impact", "type": "toggle", "label": "Customer impact", "required": True, "defaultValue": False},
        ],
        "templates": [
            {
                "key": "phishing-triage",
                "name": "Phishing triage",
                "description": "Start here for reported phishing e-mails.",
                "tags": ["phishing", "triage"],
                "caseFields": {
                    "title": "Reported phishing e-mail",
                    "description": "Collect the headers, detonate attachments in the sandbox and block the sender.",
                    "tags": ["phishing"],
                    "category": "Phishing",
                    "severity": "medium",
                    "settings": {"syncAlerts": True},
                    "assignees": [],
                    "connector": dict(jira),
                    "customFields": [
                        {"key": "incident_ticket", "type": "text", "value": "SOC-"},
                        {"key": "customer_impact", "type": "toggle", "value": False},
                    ],
                },
            }
        ],
        "created_at": "2024-07-02T11:19:40.031Z",
        "created_by": {"email": "soc-manager@example.com", "username": "soc_manager", "full_name": "Daniel Okafor"},
        "updated_at": "2024-10-21T09:58:12.447Z",
        "updated_by": {"email": "soc-manager@example.com", "username": "soc_manager", "full_name": "Daniel Okafor"},
        "error": None,
        "version": "WzIxNywzXQ==",
    }


class CasesBackend(Backend):
    area = "cases"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        return {"configurations": [_stack_configuration(space), _observability_configuration(space), _security_configuration(space)]}

    def configurations(self, owners: list[str] | None) -> list[dict[str, Any]]:
        """Every configuration, or those of the given owners (unknown owners match nothing)."""
        return [c for c in self.data["configurations"] if owners is None or c["owner"] in owners]
