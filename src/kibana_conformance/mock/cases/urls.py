from . import models, responses

BACKEND = models.CasesBackend
ROUTES = {"get-cases-configure": responses.get_configuration}
