"""Centrally managed Logstash pipelines.

They live in Elasticsearch's ``.logstash`` index, so one set serves the whole deployment
whatever the space of the request.
"""

from __future__ import annotations

from typing import Any

from ..state import Backend


class LogstashBackend(Backend):
    area = "logstash"

    @classmethod
    def seed_shared(cls) -> dict[str, Any]:
        return {
            "pipelines": {
                "main": {
                    "id": "main",
                    "description": "Beats input to the default Elasticsearch output",
                    "pipeline": (
                        "input { beats { port => 5044 } }\n"
                        'output { elasticsearch { hosts => ["https://es01:9200"] index => "logs-generic-default" action => "create" } }'
                    ),
                    "settings": {"pipeline.workers": 2, "pipeline.batch.size": 125, "queue.type": "memory"},
                    "username": "elastic",
                    "last_modified": "2024-06-18T10:24:51.337Z",
                }
            }
        }

    def put_pipeline(self, pipeline_id: str, body: dict[str, Any], user: str | None) -> None:
        """Create or replace: Kibana indexes a whole new document, so omitted fields are gone."""
        pipeline = {"id": pipeline_id, "pipeline": body["pipeline"], "username": user, "last_modified": self.clock.now()}
        for optional in ("description", "settings"):
            if optional in body:
                pipeline[optional] = body[optional]
        self.shared["pipelines"][pipeline_id] = pipeline
