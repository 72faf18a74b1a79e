"""The mock's state: one JSON document per area and space, seeded, dumped and loaded as a whole."""

from __future__ import annotations

import copy
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from .validation import js_type

if TYPE_CHECKING:
    from .call import Call

DEFAULT_SPACE = "default"
SPACE_ID = re.compile(r"^[a-z0-9_-]{1,128}$")


class Clock:
    """ISO-8601 timestamps that strictly increase, even for writes in the same millisecond."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
            return self._last_ms

    def now(self) -> str:
        return iso(self.now_ms())


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def new_id() -> str:
    return str(uuid.uuid4())


class Backend:
    """An area's state in one space. ``data`` is plain JSON, so a dump is the data itself.

    ``shared`` is the area's state common to all spaces (for example exception items whose
    ``namespace_type`` is ``agnostic``).
    """

    area: ClassVar[str]

    def __init__(self, data: dict[str, Any], shared: dict[str, Any], clock: Clock) -> None:
        self.data = data
        self.shared = shared
        self.clock = clock

    @classmethod
    def of(cls, call: Call) -> Self:
        """This area's state in the space the call addresses."""
        backend = call.store.backend(cls.area, call.space)
        assert isinstance(backend, cls)
        return backend

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        return {}

    @classmethod
    def seed_shared(cls) -> dict[str, Any]:
        return {}


class StateError(ValueError):
    """A state document that cannot be loaded."""


MAX_SPACES = 100  # a state document names at most this many spaces (each costs its seeds when used)


def _kind(value: Any) -> str:
    """A JSON value's type, as the 400s of the control plane name it (null, boolean, number, string, array, object)."""
    return js_type(value).lower()


def _check_record(value: Any, seeds: list[dict[str, Any]], where: str) -> None:
    """``value`` is an object with the keys every seeded record has, each of the seeds' kind (or null)."""
    if not isinstance(value, dict):
        raise StateError(f"{where}: expected an object, got {_kind(value)}")
    required = set.intersection(*(set(seed) for seed in seeds))
    missing = sorted(required - set(value))
    if missing:
        raise StateError(f"{where}: {missing[0]!r} is missing")
    for key in sorted(required):
        kinds = {_kind(seed[key]) for seed in seeds} - {"null"}
        if len(kinds) == 1 and value[key] is not None and _kind(value[key]) not in kinds:
            raise StateError(f"{where}.{key}: expected {kinds.pop()}, got {_kind(value[key])}")


def check_area(value: Any, seed: dict[str, Any], where: str) -> None:
    """An area's state has its seed's shape two levels down: the seed's keys, and for each key a value of
    the same kind; the records of a collection (an object of objects, or an array of objects) have the
    keys every seeded record has. Deeper values are the handlers' business (Kibana stores them as sent)."""
    if not isinstance(value, dict):
        raise StateError(f"{where}: expected an object, got {_kind(value)}")
    for key, seeded in seed.items():
        if key not in value:
            raise StateError(f"{where}: {key!r} is missing")
        item, at = value[key], f"{where}.{key}"
        if _kind(item) != _kind(seeded):
            raise StateError(f"{at}: expected {_kind(seeded)}, got {_kind(item)}")
        if isinstance(seeded, dict) and seeded and all(isinstance(v, dict) for v in seeded.values()):
            for name, record in item.items():
                _check_record(record, list(seeded.values()), f"{at}[{name!r}]")
        elif isinstance(seeded, dict) and seeded:
            _check_record(item, [seeded], at)
        elif isinstance(seeded, list) and seeded and all(isinstance(v, dict) for v in seeded):
            for number, record in enumerate(item):
                _check_record(record, seeded, f"{at}[{number}]")


class Store:
    """Every area's state, per space; a space is seeded the first time it is used."""

    def __init__(self, backends: dict[str, type[Backend]], clock: Clock | None = None) -> None:
        self.backend_types = backends
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        # Where a fault keeps what a buggy server would keep across requests (a stale cache): it
        # lives as long as this mock, outlives /_mock/reset as a process-wide cache would, and is
        # never shared with another mock.
        self.fault_memory: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.spaces: dict[str, dict[str, dict[str, Any]]] = {}
            self.shared = {name: cls.seed_shared() for name, cls in self.backend_types.items()}

    def backend(self, area: str, space: str) -> Backend:
        """An area's state in a space, seeded on first use (area by area: a space costs what it touches)."""
        with self.lock:
            per_space = self.spaces.setdefault(space, {})
            if area not in per_space:
                per_space[area] = self.backend_types[area].seed(space)
            return self.backend_types[area](per_space[area], self.shared[area], self.clock)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            # Seeds are deterministic, so filling the untouched areas keeps a dump complete.
            for space in list(self.spaces) or [DEFAULT_SPACE]:
                for area in self.backend_types:
                    self.backend(area, space)
            return copy.deepcopy({"spaces": self.spaces, "shared": self.shared})

    def load(self, document: Any) -> None:
        if not isinstance(document, dict) or set(document) - {"spaces", "shared"}:
            raise StateError("a state document is an object with 'spaces' and 'shared'")
        spaces = document.get("spaces", {})
        shared = document.get("shared", {})
        if not isinstance(spaces, dict) or not isinstance(shared, dict):
            raise StateError("'spaces' and 'shared' are objects")
        if len(spaces) > MAX_SPACES:
            raise StateError(f"at most {MAX_SPACES} spaces, got {len(spaces)}")
        for space, areas in spaces.items():
            if not isinstance(space, str) or not SPACE_ID.match(space):
                raise StateError(f"invalid space id {space!r}")
            if not isinstance(areas, dict) or set(areas) - set(self.backend_types):
                raise StateError(f"space {space!r}: areas are {sorted(self.backend_types)}")
            for name, area in areas.items():
                check_area(area, self.backend_types[name].seed(space), f"spaces.{space}.{name}")
        if set(shared) - set(self.backend_types):
            raise StateError(f"'shared' maps areas ({sorted(self.backend_types)}) to objects")
        for name, area in shared.items():
            check_area(area, self.backend_types[name].seed_shared(), f"shared.{name}")
        with self.lock:
            # Areas a document leaves out are seeded when first used, as in a fresh space.
            self.spaces = {space: {name: copy.deepcopy(area) for name, area in areas.items()} for space, areas in spaces.items()}
            self.shared = {name: copy.deepcopy(shared.get(name, cls.seed_shared())) for name, cls in self.backend_types.items()}
