"""The mock's areas, moto-style: each package has ``models.py`` (state), ``responses.py``
(HTTP translation) and ``urls.py`` (the route table: ``BACKEND`` and ``ROUTES``).

The security area of the document spans seven Kibana plugins; the mock keeps one package
per plugin so that each stays small.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from types import ModuleType

from .call import Call, Reply
from .state import Backend

AREA_PACKAGES = (
    "apm",
    "cases",
    "fleet",
    "logstash",
    "streams",
    "ai_assistant",
    "detection_engine",
    "endpoint",
    "entity_analytics",
    "exception_lists",
    "osquery",
)

Handler = Callable[[Call], Reply]


@functools.cache
def _urls() -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"{__package__}.{name}.urls") for name in AREA_PACKAGES}


def backends() -> dict[str, type[Backend]]:
    return {name: module.BACKEND for name, module in _urls().items()}


def routes() -> dict[str, Handler]:
    return {op_id: handler for module in _urls().values() for op_id, handler in module.ROUTES.items()}
