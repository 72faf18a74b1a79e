from . import models, responses

BACKEND = models.ApmBackend
ROUTES = {"post-apm-agent-keys": responses.create_agent_key}
