"""Settings shared by every pytest run in this checkout (the project's tests and the suites)."""

from hypothesis import HealthCheck, settings

# Shared 2-core machines: no per-example deadline, and no "too slow" health check failures.
settings.register_profile("kibana-conformance", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kibana-conformance")
