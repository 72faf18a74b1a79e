from . import models, responses

BACKEND = models.EntityAnalyticsBackend
ROUTES = {
    "get-entity-analytics-monitoring-privileges-health": responses.get_privilege_monitoring_health,
    "get-entity-store-engines": responses.list_engines,
}
