from . import models, responses

BACKEND = models.StreamsBackend
ROUTES = {"get-streams-name-group": responses.get_group}
