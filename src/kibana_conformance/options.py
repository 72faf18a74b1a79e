"""Every option of a run, in one table, read with the precedence CLI, then environment, then ini.

The pytest plugin and ``kibana-conformance run`` both register their options from
:data:`OPTIONS`; :func:`build_settings` checks the resolved values together. A bad value is a
:class:`SettingsError`: one line, exit code 2.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .authz import Principal, PrincipalError, parse_principal
from .catalog import load_catalog
from .versions import version_key

SPACE_ID = re.compile(r"^[a-z0-9_-]+$")
DEFAULT_MAX_EXAMPLES = 100
DEFAULT_TIMEOUT = 10.0
DEFAULT_REMOTE_RPS = 10.0
DEFAULT_REPORT_DIR = "reports"
# The property tests' phases, as schemathesis names them: the documented examples, the boundary values of
# every parameter and field (both the same whatever the seed), and the generated cases (drawn from the seed).
PHASES = ("examples", "coverage", "fuzzing")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


@dataclass(frozen=True)
class Option:
    flag: str
    dest: str
    env: str | None
    ini: str | None
    help: str
    kind: str = "str"  # str, int, float, bool, switch (a bool that is on by default), path, file, list, phases
    secret: bool = False
    metavar: str | None = None

    @property
    def off_flag(self) -> str:
        """The flag that turns a switch off (``--no-har``)."""
        return "--no-" + self.flag.removeprefix("--")


OPTIONS = (
    Option("--base-url", "base_url", "KIBANA_URL", "kibana_url", "Kibana base URL (default: start the bundled mock)", metavar="URL"),
    Option("--api-key", "kibana_api_key", "KIBANA_API_KEY", "kibana_api_key", "API key, sent as 'Authorization: ApiKey KEY'", secret=True, metavar="KEY"),
    Option("--username", "kibana_username", "KIBANA_USERNAME", "kibana_username", "user name for basic auth", metavar="USER"),
    Option("--password", "kibana_password", "KIBANA_PASSWORD", "kibana_password", "password for basic auth", secret=True, metavar="PASSWORD"),
    Option("--space", "kibana_space", "KIBANA_SPACE", "kibana_space", "run everything under /s/ID", metavar="ID"),
    Option("--max-examples", "kibana_max_examples", "KIBANA_CONFORMANCE_MAX_EXAMPLES", "kibana_max_examples", f"generated cases per operation (default {DEFAULT_MAX_EXAMPLES})", kind="int", metavar="N"),
    Option("--phases", "kibana_phases", "KIBANA_CONFORMANCE_PHASES", "kibana_phases", f"the property tests' phases, comma-separated: {', '.join(PHASES)} (default all; only fuzzing depends on --seed)", kind="phases", metavar="PHASES"),
    Option("--seed", "kibana_seed", "KIBANA_CONFORMANCE_SEED", "kibana_seed", "seed for generated data (default: random, printed)", kind="int", metavar="N"),
    Option("--area", "kibana_area", "KIBANA_CONFORMANCE_AREA", "kibana_area", "only these areas, comma-separated (e.g. fleet,apm)", metavar="AREAS"),
    Option("--operation", "kibana_operation", "KIBANA_CONFORMANCE_OPERATION", "kibana_operation", "only these operation ids, comma-separated", metavar="IDS"),
    Option("--requirement", "kibana_requirement", "KIBANA_CONFORMANCE_REQUIREMENT", "kibana_requirement", "only the tests of these requirement ids, comma-separated", metavar="IDS"),
    Option("--timeout", "kibana_timeout", "KIBANA_CONFORMANCE_TIMEOUT", "kibana_timeout", f"seconds a whole response may take (default {DEFAULT_TIMEOUT:g})", kind="float", metavar="SECONDS"),
    Option("--ca-cert", "kibana_ca_cert", "KIBANA_CA_CERT", "kibana_ca_cert", "CA bundle to verify the target's TLS certificate", kind="file", metavar="FILE"),
    Option("--insecure", "kibana_insecure", "KIBANA_CONFORMANCE_INSECURE", "kibana_insecure", "do not verify the target's TLS certificate", kind="bool"),
    Option("--read-only", "kibana_read_only", "KIBANA_CONFORMANCE_READ_ONLY", "kibana_read_only", "send only GET and HEAD requests; tests that write are skipped", kind="bool"),
    Option("--allow-writes", "kibana_allow_writes", "KIBANA_CONFORMANCE_ALLOW_WRITES", "kibana_allow_writes", "accept that the suite writes to a target that is not on this machine", kind="bool"),
    Option("--max-rps", "kibana_max_rps", "KIBANA_CONFORMANCE_MAX_RPS", "kibana_max_rps", f"requests per second at most (default: {DEFAULT_REMOTE_RPS:g} for a target not on this machine, no limit on loopback)", kind="float", metavar="N"),
    Option("--resource", "kibana_resource", "KIBANA_CONFORMANCE_RESOURCES", "kibana_resources", "an existing resource on the target, NAME=VALUE (repeatable; comma-separated in the environment)", kind="list", metavar="NAME=VALUE"),
    Option("--kibana-version", "kibana_version", "KIBANA_CONFORMANCE_KIBANA_VERSION", "kibana_version", "the target's Kibana version, for requirements and known divergences that hold only since or until one (default: what /api/status says)", metavar="VERSION"),
    Option("--har", "kibana_har", "KIBANA_CONFORMANCE_HAR", "kibana_har", "record every exchange in REPORT_DIR/exchanges.har (HAR 1.2, redacted; on by default)", kind="switch"),
    Option("--principal", "kibana_principal", "KIBANA_CONFORMANCE_PRINCIPALS", "kibana_principals", "credentials of a principal holding exactly the named privileges, NAME=ApiKey:KEY or NAME=basic:USER:PASSWORD (repeatable; comma-separated in the environment; README, section Authorization)", kind="list", secret=True, metavar="NAME=CREDENTIALS"),
    Option("--report-dir", "kibana_report_dir", "KIBANA_CONFORMANCE_REPORT_DIR", "kibana_report_dir", f"where the reports go (default: {DEFAULT_REPORT_DIR})", kind="path", metavar="DIR"),
    Option("--baseline", "kibana_baseline", "KIBANA_CONFORMANCE_BASELINE", "kibana_baseline", "accepted deviations (YAML): covered failures do not fail the gate", kind="path", metavar="FILE"),
    Option("--baseline-prune", "kibana_baseline_prune", None, None, "rewrite --baseline without the entries whose checks pass now", kind="bool"),
    Option("--baseline-update", "kibana_baseline_update", None, None, "write the current failures as a new baseline (to --baseline, or REPORT_DIR/baseline.yaml) for review", kind="bool"),
    Option("--target-flavour", "kibana_target_flavour", "KIBANA_CONFORMANCE_FLAVOUR", "kibana_target_flavour", "apply the known divergences of a target flavour (stateful, serverless)", metavar="NAME"),
    Option("--min-coverage", "kibana_min_coverage", "KIBANA_CONFORMANCE_MIN_COVERAGE", "kibana_min_coverage", "fail the run (exit 6) when the documented statuses, parameters and request fields exercised are below PCT percent", kind="float", metavar="PCT"),
    Option("--shard", "kibana_shard", "KIBANA_CONFORMANCE_SHARD", None, "run only part K of N (1-based, e.g. 2/4): tests grouped by operation, balanced, deterministic; merge the parts with `kibana-conformance merge`", metavar="K/N"),
    Option("--mock-fault", "kibana_mock_fault", "KIBANA_CONFORMANCE_MOCK_FAULTS", None, "run the bundled mock with this fault switched on (repeatable; `kibana-conformance mock --list-faults`)", kind="list", metavar="NAME"),
)
BY_DEST = {option.dest: option for option in OPTIONS}
# The options of a run that `kibana-conformance replay` takes too (the target, credentials, TLS, safety, pace).
REPLAY_OPTIONS = tuple(
    BY_DEST[dest]
    for dest in ("base_url", "kibana_api_key", "kibana_username", "kibana_password", "kibana_principal", "kibana_timeout",
                 "kibana_ca_cert", "kibana_insecure", "kibana_read_only", "kibana_allow_writes", "kibana_max_rps")
)


class SettingsError(ValueError):
    """An option value that cannot be used; reported as one line (usage error)."""


def _number(option: Option, raw: Any, origin: str) -> float | int:
    try:
        value = int(raw) if option.kind == "int" else float(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{origin}: expected a number, got {raw!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and option.dest != "kibana_seed"):
        raise SettingsError(f"{origin}: expected a positive finite number, got {raw!r}")
    return value


def _convert(option: Option, raw: Any, origin: str) -> Any:
    if raw is None or raw == "" or raw == []:
        return None
    if option.kind in ("bool", "switch"):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{origin}: expected true or false, got {raw!r}")
    if option.kind in ("int", "float"):
        return _number(option, raw, origin)
    if option.kind == "file":
        path = Path(str(raw)).expanduser()
        if not path.is_file():
            raise SettingsError(f"{origin}: no such file: {path}")
        return path
    if option.kind == "path":
        return Path(str(raw)).expanduser()
    if option.kind == "list":
        return [str(v) for v in raw] if isinstance(raw, (list, tuple)) else [str(raw)]
    if option.kind == "phases":
        return ",".join(parse_phases(str(raw), origin))
    return str(raw)


def _env_value(option: Option, text: str) -> Any:
    if option.kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def resolve_option(option: Option, cli: Any, env: dict[str, str], ini: Any) -> Any:
    """CLI value if given, else the environment variable, else the ini value."""
    if cli not in (None, "", []) and (cli is not False or option.kind == "switch"):
        return _convert(option, cli, option.flag)
    if option.env and env.get(option.env, "").strip() != "":
        return _convert(option, _env_value(option, env[option.env]), option.env)
    if option.ini and ini not in (None, "", []):
        return _convert(option, ini, f"ini {option.ini}")
    return None


@functools.cache
def resolves_to_loopback(host: str) -> bool:
    """Whether every address the host name resolves to is a loopback address (a name that does not resolve is not)."""
    host = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host in LOOPBACK_NAMES:
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    space: str | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    phases: tuple[str, ...] = PHASES
    seed: int | None = None
    areas: frozenset[str] = frozenset()
    operations: frozenset[str] = frozenset()
    requirements: frozenset[str] = frozenset()
    timeout: float = DEFAULT_TIMEOUT
    ca_cert: Path | None = None
    insecure: bool = False
    read_only: bool = False
    allow_writes: bool = False
    max_rps: float | None = None
    resources: tuple[tuple[str, str], ...] = ()
    report_dir: Path = Path(DEFAULT_REPORT_DIR)
    baseline: Path | None = None
    baseline_prune: bool = False
    baseline_update: bool = False
    flavour: str | None = None
    mock_faults: tuple[str, ...] = ()
    har: bool = True
    kibana_version: str | None = None
    min_coverage: float | None = None
    shard: tuple[int, int] | None = None
    principals: tuple[Principal, ...] = field(default=(), repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def on_loopback(self) -> bool:
        """The bundled mock, or a target on this machine: writes there harm no one else."""
        if self.base_url is None:
            return True
        return resolves_to_loopback(urlsplit(self.base_url).hostname or "")

    @property
    def rate_limit(self) -> float | None:
        if self.max_rps is not None:
            return self.max_rps
        return None if self.on_loopback else DEFAULT_REMOTE_RPS

    def principal(self, name: str) -> Principal | None:
        return next((p for p in self.principals if p.name == name), None)

    @property
    def credentials_kind(self) -> str:
        return "api-key" if self.api_key else "basic" if self.username else "none"

    @property
    def verify(self) -> bool | str:
        if self.insecure:
            return False
        return str(self.ca_cert) if self.ca_cert else True

    def selects(self, operation_id: str, area: str) -> bool:
        return (not self.areas or area in self.areas) and (not self.operations or operation_id in self.operations)


def _split(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"--base-url: expected an http(s) URL such as https://kibana.example:5601, got {base_url!r}")
    if parts.username or parts.password:
        raise SettingsError("--base-url: put credentials in --username/--password or --api-key, not in the URL")
    if parts.query or parts.fragment or base_url.rstrip().endswith(("?", "#")):
        raise SettingsError("--base-url: give Kibana's base URL without a query (?...) or fragment (#...); credentials go in --api-key or --username/--password")
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as exc:
        raise SettingsError(f"--base-url: {exc}") from None
    return base_url.rstrip("/")


def build_settings(values: dict[str, Any], resource_names: tuple[str, ...] = ()) -> Settings:
    """Check the resolved option values together and build the settings."""
    base_url = values.get("base_url")
    if base_url:
        base_url = check_base_url(base_url)
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
    resources = tuple(parse_resource(text, resource_names) for text in values.get("kibana_resource") or [])
    min_coverage = values.get("kibana_min_coverage")
    if min_coverage is not None and min_coverage > 100:
        raise SettingsError(f"--min-coverage: expected a percentage up to 100, got {min_coverage:g}")
    phases = parse_phases(values["kibana_phases"]) if values.get("kibana_phases") else PHASES
    shard = parse_shard(values["kibana_shard"]) if values.get("kibana_shard") else None
    principals = parse_principals(values.get("kibana_principal") or [])
    kibana_version = values.get("kibana_version")
    if kibana_version is not None and version_key(kibana_version) is None:
        raise SettingsError(f"--kibana-version: expected a version such as 9.1.0, got {kibana_version!r}")
    if values.get("kibana_baseline_prune") and not values.get("kibana_baseline"):
        raise SettingsError("--baseline-prune needs --baseline FILE")
    return Settings(
        base_url=base_url,
        api_key=api_key,
        username=username,
        password=password,
        space=space,
        max_examples=values.get("kibana_max_examples") or DEFAULT_MAX_EXAMPLES,
        phases=phases,
        seed=values.get("kibana_seed"),
        areas=areas,
        operations=operations,
        requirements=_split(values.get("kibana_requirement")),
        timeout=values.get("kibana_timeout") or DEFAULT_TIMEOUT,
        ca_cert=values.get("kibana_ca_cert"),
        insecure=bool(values.get("kibana_insecure")),
        read_only=bool(values.get("kibana_read_only")),
        allow_writes=bool(values.get("kibana_allow_writes")),
        max_rps=values.get("kibana_max_rps"),
        resources=resources,
        report_dir=values.get("kibana_report_dir") or Path(DEFAULT_REPORT_DIR),
        baseline=values.get("kibana_baseline"),
        baseline_prune=bool(values.get("kibana_baseline_prune")),
        baseline_update=bool(values.get("kibana_baseline_update")),
        flavour=values.get("kibana_target_flavour"),
        mock_faults=tuple(values.get("kibana_mock_fault") or ()),
        har=values.get("kibana_har") is not False,
        kibana_version=kibana_version,
        min_coverage=min_coverage,
        shard=shard,
        principals=principals,
        secrets=tuple(s for s in (api_key, password, *(secret for p in principals for secret in p.secrets)) if s),
    )


def parse_phases(text: str, origin: str = "--phases") -> tuple[str, ...]:
    """Comma-separated phase names, kept in the order the phases run; ``origin`` names where the text came from."""
    names = _split(text)
    unknown = sorted(names - set(PHASES))
    if unknown or not names:
        raise SettingsError(f"{origin}: expected some of {', '.join(PHASES)}, comma-separated, got {text!r}")
    return tuple(phase for phase in PHASES if phase in names)


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N``: part K (1-based) of N."""
    k, sep, n = text.strip().partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise SettingsError(f"--shard: expected K/N with 1 <= K <= N (e.g. 2/4), got {text!r}")
    return int(k), int(n)


def parse_principals(texts: list[str]) -> tuple[Principal, ...]:
    principals: dict[str, Principal] = {}
    for text in texts:
        try:
            principal = parse_principal(text)
        except PrincipalError as exc:
            raise SettingsError(f"--principal: {exc}") from None
        if principal.name in principals:
            raise SettingsError(f"--principal: {principal.name!r} is given twice")
        principals[principal.name] = principal
    return tuple(principals.values())


def parse_resource(text: str, names: tuple[str, ...] = ()) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not value:
        raise SettingsError(f"--resource: expected NAME=VALUE, got {text!r}")
    if names and name not in names:
        raise SettingsError(f"--resource: unknown name {name!r}; names are {', '.join(names)}")
    return name, value
