from . import models, responses

BACKEND = models.OsqueryBackend
ROUTES = {"get-osquery-live-queries-id-results-actionid": responses.get_results}
