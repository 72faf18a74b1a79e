"""The suite's options: one table, read with the precedence CLI, then environment, then ini."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..catalog import load_catalog

SPACE_ID = re.compile(r"^[a-z0-9_-]+$")
DEFAULT_MAX_EXAMPLES = 100
DEFAULT_TIMEOUT = 10.0
DEFAULT_REMOTE_RPS = 10.0
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


@dataclass(frozen=True)
class Option:
    flag: str
    dest: str
    env: str
    ini: str
    help: str
    kind: str = "str"  # str, int, float, bool, path
    secret: bool = False
    metavar: str | None = None


OPTIONS = (
    Option("--base-url", "base_url", "KIBANA_URL", "kibana_url", "Kibana base URL (default: start the bundled mock)", metavar="URL"),
    Option("--api-key", "kibana_api_key", "KIBANA_API_KEY", "kibana_api_key", "API key, sent as 'Authorization: ApiKey KEY'", secret=True, metavar="KEY"),
    Option("--username", "kibana_username", "KIBANA_USERNAME", "kibana_username", "user name for basic auth", metavar="USER"),
    Option("--password", "kibana_password", "KIBANA_PASSWORD", "kibana_password", "password for basic auth", secret=True, metavar="PASSWORD"),
    Option("--space", "kibana_space", "KIBANA_SPACE", "kibana_space", "run everything under /s/ID", metavar="ID"),
    Option("--max-examples", "kibana_max_examples", "KIBANA_CONFORMANCE_MAX_EXAMPLES", "kibana_max_examples", f"generated cases per operation and phase (default {DEFAULT_MAX_EXAMPLES})", kind="int", metavar="N"),
    Option("--seed", "kibana_seed", "KIBANA_CONFORMANCE_SEED", "kibana_seed", "seed for generated data (default: random, printed)", kind="int", metavar="N"),
    Option("--area", "kibana_area", "KIBANA_CONFORMANCE_AREA", "kibana_area", "only these areas, comma-separated (e.g. fleet,apm)", metavar="AREAS"),
    Option("--operation", "kibana_operation", "KIBANA_CONFORMANCE_OPERATION", "kibana_operation", "only these operation ids, comma-separated", metavar="IDS"),
    Option("--timeout", "kibana_timeout", "KIBANA_CONFORMANCE_TIMEOUT", "kibana_timeout", f"seconds to wait for each response (default {DEFAULT_TIMEOUT:g})", kind="float", metavar="SECONDS"),
    Option("--ca-cert", "kibana_ca_cert", "KIBANA_CA_CERT", "kibana_ca_cert", "CA bundle to verify the target's TLS certificate", kind="path", metavar="FILE"),
    Option("--insecure", "kibana_insecure", "KIBANA_CONFORMANCE_INSECURE", "kibana_insecure", "do not verify the target's TLS certificate", kind="bool"),
    Option("--read-only", "kibana_read_only", "KIBANA_CONFORMANCE_READ_ONLY", "kibana_read_only", "send only GET and HEAD requests; tests that write are skipped", kind="bool"),
    Option("--allow-writes", "kibana_allow_writes", "KIBANA_CONFORMANCE_ALLOW_WRITES", "kibana_allow_writes", "accept that the suite writes to a target that is not on this machine", kind="bool"),
    Option("--max-rps", "kibana_max_rps", "KIBANA_CONFORMANCE_MAX_RPS", "kibana_max_rps", f"requests per second at most (default: {DEFAULT_REMOTE_RPS:g} for a target not on this machine, no limit on loopback)", kind="float", metavar="N"),
)


class SettingsError(ValueError):
    """An option value that cannot be used; reported as one line (usage error)."""


def _convert(option: Option, raw: Any, origin: str) -> Any:
    if raw is None or raw == "":
        return None
    if option.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{origin}: expected true or false, got {raw!r}")
    if option.kind in ("int", "float"):
        try:
            value = int(raw) if option.kind == "int" else float(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{origin}: expected a number, got {raw!r}") from None
        if value < 0 or (option.dest in ("kibana_max_examples", "kibana_timeout") and value == 0):
            raise SettingsError(f"{origin}: expected a positive number, got {raw!r}")
        return value
    if option.kind == "path":
        path = Path(str(raw)).expanduser()
        if not path.is_file():
            raise SettingsError(f"{origin}: no such file: {path}")
        return path
    return str(raw)


def resolve_option(option: Option, cli: Any, env: dict[str, str], ini: Any) -> Any:
    """CLI value if given, else the environment variable, else the ini value."""
    if cli not in (None, False, ""):
        return _convert(option, cli, option.flag)
    if env.get(option.env, "") != "":
        return _convert(option, env[option.env], option.env)
    if ini not in (None, "", []):
        return _convert(option, ini, f"ini {option.ini}")
    return None


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    space: str | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    areas: frozenset[str] = frozenset()
    operations: frozenset[str] = frozenset()
    timeout: float = DEFAULT_TIMEOUT
    ca_cert: Path | None = None
    insecure: bool = False
    read_only: bool = False
    allow_writes: bool = False
    max_rps: float | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def on_loopback(self) -> bool:
        """The bundled mock, or a target on this machine: writes there harm no one else."""
        if self.base_url is None:
            return True
        host = urlsplit(self.base_url).hostname or ""
        return host in LOOPBACK_HOSTS or host.startswith("127.")

    @property
    def rate_limit(self) -> float | None:
        if self.max_rps is not None:
            return self.max_rps
        return None if self.on_loopback else DEFAULT_REMOTE_RPS

    @property
    def credentials_kind(self) -> str:
        return "api-key" if self.api_key else "basic" if self.username else "none"

    def selects(self, operation_id: str, area: str) -> bool:
        return (not self.areas or area in self.areas) and (not self.operations or operation_id in self.operations)


def _split(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def build_settings(values: dict[str, Any]) -> Settings:
    """Check the resolved option values together and build the settings."""
    base_url = values.get("base_url")
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"--base-url: expected an http(s) URL such as https://kibana.example:5601, got {base_url!r}")
        if parts.username or parts.password:
            raise SettingsError("--base-url: put credentials in --username/--password or --api-key, not in the URL")
        base_url = base_url.rstrip("/")
    api_key, username, password = values.get("kibana_api_key"), values.get("kibana_username"), values.get("kibana_password")
    if api_key and (username or password):
        raise SettingsError("use either --api-key or --username/--password, not both")
    if bool(username) != bool(password):
        raise SettingsError("--username and --password go together")
    catalog = load_catalog()
    areas = _split(values.get("kibana_area"))
    unknown_areas = areas - set(catalog.areas)
    if unknown_areas:
        raise SettingsError(f"--area: unknown area {sorted(unknown_areas)[0]!r}; areas are {', '.join(catalog.areas)}")
    operations = _split(values.get("kibana_operation"))
    unknown_ops = operations - {op.id for op in catalog}
    if unknown_ops:
        raise SettingsError(f"--operation: unknown operation {sorted(unknown_ops)[0]!r}; `kibana-conformance list` shows the ids")
    if areas and operations and not any(catalog.get(o).area in areas for o in operations):
        raise SettingsError("--area and --operation select no operation together")
    space = values.get("kibana_space")
    if space is not None and not SPACE_ID.match(space):
        raise SettingsError(f"--space: a space id is lower-case letters, digits, '_' and '-', got {space!r}")
    if values.get("kibana_ca_cert") and values.get("kibana_insecure"):
        raise SettingsError("use either --ca-cert or --insecure, not both")
    if values.get("kibana_read_only") and values.get("kibana_allow_writes"):
        raise SettingsError("use either --read-only or --allow-writes, not both")
    if values.get("kibana_max_rps") == 0:
        raise SettingsError("--max-rps: expected a positive number, got 0")
    return Settings(
        base_url=base_url,
        api_key=api_key,
        username=username,
        password=password,
        space=space,
        max_examples=values.get("kibana_max_examples") or DEFAULT_MAX_EXAMPLES,
        seed=values.get("kibana_seed"),
        areas=areas,
        operations=operations,
        timeout=values.get("kibana_timeout") or DEFAULT_TIMEOUT,
        ca_cert=values.get("kibana_ca_cert"),
        insecure=bool(values.get("kibana_insecure")),
        read_only=bool(values.get("kibana_read_only")),
        allow_writes=bool(values.get("kibana_allow_writes")),
        max_rps=values.get("kibana_max_rps"),
        secrets=tuple(s for s in (api_key, password) if s),
    )

