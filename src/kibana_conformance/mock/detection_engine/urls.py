from . import models, responses

BACKEND = models.DetectionEngineBackend
ROUTES = {"get-detection-engine-rules-prepackaged-status": responses.get_prepackaged_status}
