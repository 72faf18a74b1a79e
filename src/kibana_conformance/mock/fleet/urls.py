from . import models, responses

BACKEND = models.FleetBackend
ROUTES = {
    "get-fleet-agent-status-data": responses.get_agent_data,
    "get-fleet-epm-packages": responses.list_packages,
    "get-fleet-outputs-outputid": responses.get_output,
    "put-fleet-package-policies-packagepolicyid": responses.update_package_policy,
    "get-fleet-remote-synced-integrations-outputid-remote-status": responses.get_remote_sync_status,
    "put-fleet-settings": responses.update_settings,
}
