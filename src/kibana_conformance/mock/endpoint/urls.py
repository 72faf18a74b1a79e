from . import models, responses

BACKEND = models.EndpointBackend
ROUTES = {"post-endpoint-action-upload": responses.upload}
