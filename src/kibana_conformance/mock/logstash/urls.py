from . import models, responses

BACKEND = models.LogstashBackend
ROUTES = {"put-logstash-pipeline-id": responses.put_pipeline}
