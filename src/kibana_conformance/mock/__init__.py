"""A stateful mock Kibana deployment for the documented operations."""

from .app import MockKibana, create_app
from .config import MockConfig
from .server import MockServer

__all__ = ["MockConfig", "MockKibana", "MockServer", "create_app"]
