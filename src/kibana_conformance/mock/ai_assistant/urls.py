from . import models, responses

BACKEND = models.AiAssistantBackend
ROUTES = {"post-security-ai-assistant-current-user-conversations": responses.create_conversation}
