from . import models, responses

BACKEND = models.ExceptionListsBackend
ROUTES = {"put-exception-lists-items": responses.update_item}
