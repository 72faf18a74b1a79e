"""kibana-conformance: contract tests and a conformance verdict for the Kibana REST API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kibana-conformance")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+checkout"
