"""The profile (``golive.yaml``): what to verify, where, and what counts as GO.

Loaded once by `load_profile`, which reports every problem of the file at once
(file, line, key, valid values, "did you mean") as one `ConfigError` before
anything is touched. ``${VAR}`` and ``${VAR:-default}`` read the environment;
an unset variable is a named error. Relative paths (and relative SQLite files)
are resolved against the profile's directory, so golive runs the same from any
working directory. Database URLs are `Dsn` objects: printing one hides its
password; only `Dsn.reveal` gives the real URL, to the code that connects.

Safety rules checked here, before any stage runs: production is read-only,
the staging database must be marked ``staging: true``, and it must not be the
production database under any spelling (`common.dsn`: by text, and by inode
for SQLite files; loading never connects). `harness.safety` asks the servers
themselves before every destructive stage. Every path and name the profile
points at is checked here too (`harness.references`), and the DSNs'
credentials are registered so that no output shows them (`common.redaction`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from common.dsn import Dsn, profile_root
from common.errors import ConfigError, Problem
from common.redaction import register
from common.yamlsource import (
    Located,
    YamlSource,
    expand_env,
    format_loc,
    load_yaml,
    problems_from,
)
from harness.baseline.profile import Population
from harness.channels import Channels
from harness.references import problems as reference_problems
from harness.severity import Severity
from harness.targets import command_line, sql_catalog
from sanitize.scanconfig import ScanSettings

__all__ = [
    "DEFAULT_PROFILE",
    "DemoTargetConfig",
    "Dsn",
    "Portals",
    "Profile",
    "PythonTargetConfig",
    "SignoffSection",
    "SqlTargetConfig",
    "Waivers",
    "load_profile",
]

DEFAULT_PROFILE = Path("golive.yaml")
def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    root = profile_root(info)
    value = value.expanduser()
    # normalised: "../var/reports" must not leave ".." in paths tools compare (pytest's cache)
    return value if value.is_absolute() or root is None else Path(os.path.normpath(root / value))


ProjectPath = Annotated[Path, AfterValidator(_resolve_path)]
"""A path in the profile: relative ones are relative to the profile's directory."""


class _Section(BaseModel):
    # validate_default: default paths are resolved against the profile's directory too
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True,
                              validate_default=True)


# -- target ------------------------------------------------------------------


class DemoTargetConfig(_Section):
    """The embedded demo platform; ``release`` is the demo release deployed on staging
    (default: the demo's own newest release, chosen by the demo target)."""

    kind: Literal["demo"]
    release: str | None = None


_POSITIONAL = re.compile(r"%s|%\(\w+\)s|\?|\{[^}]*\}")
_QUOTED = re.compile(r"'(?:[^']|'')*'")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class SqlTargetConfig(_Section):
    """A platform whose database golive can read: one named SQL query per concept.

    Queries use named bind parameters (``:account``), never string formatting.
    Which queries are given decides what the target can answer: the core ones
    are required, each capability comes with its set (`harness.targets.sql_catalog`).
    ``dsn`` defaults to the staging database. ``commands`` are shell commands
    for what SQL cannot do (``bill_run``, ``stop_billing``) with ``{placeholders}``
    and ``${VAR}`` filled in one pass (`harness.targets.command_line`).
    """

    kind: Literal["sql"]
    release: str | None = None
    dsn: Dsn | None = None
    queries: dict[str, str]
    commands: dict[str, str] = Field(default_factory=dict)
    _lines: dict[str, command_line.CommandLine] = PrivateAttr(default_factory=dict)

    @field_validator("queries", mode="before")
    @classmethod
    def _query_files(cls, queries: object, info: ValidationInfo) -> object:
        """``name: {file: path.sql}`` reads the query from a file (relative to the profile)."""
        if not isinstance(queries, dict):
            return queries
        problems: list[tuple[tuple[str | int, ...], str]] = []
        found: dict[object, object] = {}
        for name, value in queries.items():
            if not isinstance(value, dict):
                found[name] = value
            elif set(value) != {"file"} or not isinstance(value["file"], str):
                problems.append(((name,), "a query is SQL text, or {file: path/to/query.sql}"))
            else:
                path = _resolve_path(Path(value["file"]), info)
                try:
                    found[name] = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    problems.append(((name, "file"), f"cannot read {path}: "
                                                     f"{getattr(exc, 'strerror', None) or exc}"))
        if problems:
            raise Located(problems)
        return found

    @field_validator("queries")
    @classmethod
    def _named_params(cls, queries: dict[str, str]) -> dict[str, str]:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for name, sql in queries.items():
            if not _NAME.match(name):
                problems.append(((name,), "a query name is lower_case_with_underscores"))
            elif not sql.strip():
                problems.append(((name,), "empty query"))
            elif _POSITIONAL.search(_QUOTED.sub("''", sql)):
                problems.append(((name,), "use named bind parameters (:account), "
                                          "not %s, ? or {…} placeholders"))
        problems += sql_catalog.query_problems([q for q in queries if _NAME.match(q)])
        problems += sql_catalog.bind_problems(queries)
        if problems:
            raise Located(problems)
        return queries

    @field_validator("commands")
    @classmethod
    def _known_commands(cls, commands: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        problems = sql_catalog.command_problems(commands)
        for key, raw in commands.items():
            problems += [((key,), p) for p in command_line.parse(raw, _env(info))[1]]
        if problems:
            raise Located(problems)
        return commands

    @model_validator(mode="after")
    def _command_lines(self, info: ValidationInfo) -> SqlTargetConfig:
        """Each command parsed (valid: `_known_commands` said so), ``${VAR}`` filled in from
        the environment golive loads the profile with."""
        for key, raw in self.commands.items():
            line = command_line.parse(raw, _env(info))[0]
            if line is not None:
                self._lines[key] = line
        return self

    @property
    def command_lines(self) -> dict[str, command_line.CommandLine]:
        """The commands as parsed when the profile loaded (``${VAR}`` filled in)."""
        return dict(self._lines)


def _env(info: ValidationInfo) -> Mapping[str, str]:
    """The environment ``${VAR}`` is read from: load_profile's ``env``, else the process's."""
    context = info.context if isinstance(info.context, dict) else {}
    env = context.get("env")
    return os.environ if env is None else env


_ADAPTER = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


class PythonTargetConfig(_Section):
    """A Python adapter class by dotted path; ``options`` are passed to it as they are."""

    kind: Literal["python"]
    release: str | None = None
    adapter: str
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("adapter")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not _ADAPTER.match(value):
            raise ValueError(f"{value!r} is not 'package.module:ClassName'")
        return value


TargetConfig = Annotated[DemoTargetConfig | SqlTargetConfig | PythonTargetConfig,
                         Field(discriminator="kind")]


# -- environments --------------------------------------------------------------


class Production(_Section):
    """Production: golive reads its configuration and baseline, never writes."""

    dsn: Dsn
    read_only: bool = True

    @model_validator(mode="after")
    def _read_only(self) -> Production:
        if not self.read_only:
            raise Located([(("read_only",), "must be true: golive never writes to production")])
        return self


class Staging(_Section):
    """The one database golive may restore, sanitize and bill."""

    dsn: Dsn
    staging: bool = False

    @model_validator(mode="after")
    def _marked(self) -> Staging:
        if self.staging is not True:
            raise Located([(("staging",), "must be true: golive restores, sanitizes and "
                                          "bills this database; mark it only if it is staging")])
        return self


class Environments(_Section):
    production: Production
    staging: Staging

    @model_validator(mode="after")
    def _distinct(self) -> Environments:
        if self.staging.dsn.same_database(self.production.dsn):
            raise Located([(("staging", "dsn"), "is the production database "
                                                "(environments.production.dsn); golive would "
                                                "restore and bill production")])
        return self


# -- stages ------------------------------------------------------------------------


class Generate(_Section):
    """Demo only: make the backup from the demo generator when it is missing."""

    accounts: PositiveInt = 300
    seed: int = 42


class Backup(_Section):
    """The pre-bill-run backup of production (demo manifest, SQLite file or pg_dump -Fc)."""

    path: ProjectPath
    generate: Generate | None = None


class Sanitize(_Section):
    """``salt`` is the keyed-hash secret; without it the rule file's ``salt_env`` variable
    is read. Give it as ``${VAR}`` from the environment: a literal in a profile is no
    secret (the demo profile's ``${GOLIVE_SANITIZE_SALT:-…}`` default is for demo data only)."""

    enabled: bool = False
    rules: ProjectPath | None = None
    scripts: list[ProjectPath] = Field(default_factory=list)  # vendor UPDATE scripts (.sql)
    scan: ScanSettings = Field(default_factory=ScanSettings)  # allowlists, exclusions, schemas
    salt: SecretStr | None = None
    # sanitizing disabled on a platform golive cannot scan (an HTTP API): who removed the
    # personal data instead, and how. Shown as attested, not proved; without it such a
    # run is NO-GO, since nothing shows staging holds no personal data.
    attested: str | None = None

    @model_validator(mode="after")
    def _attested_only_when_disabled(self) -> Sanitize:
        if self.attested is not None:
            if not self.attested.strip():
                raise ValueError("attested: say who removed the personal data and how")
            if self.enabled:
                raise ValueError("attested is for a platform golive does not sanitize: golive "
                                 "sanitizes here (enabled: true), so its scan decides")
        return self

    def secret(self) -> str | None:
        return self.salt.get_secret_value() if self.salt is not None else None


class Lockdown(_Section):
    """``channels``: per outbound channel, how it is redirected and what the run sends
    (`harness.channels`); a channel not named is redirected by the target, if it has one."""

    enabled: bool = True
    channels: Channels = Field(default_factory=dict)


class BillRun(_Section):
    date: dt.date
    must_match_production: list[str] = Field(default_factory=list)
    on_drift: Literal["fail", "warn"] = "fail"
    timeout_seconds: PositiveInt = 900


class ChecklistsSection(_Section):
    dir: ProjectPath = Path("checklists")


class FeaturesSection(_Section):
    """The Gherkin features; ``steps`` names extra step modules of the user's own
    (importable from the profile's folder), loaded after golive's step library."""

    dir: ProjectPath = Path("features")
    steps: list[Annotated[str, Field(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")]] = Field(
        default_factory=list)


class Waivers(_Section):
    """What ``golive waive`` may cover beyond ordinary failures: a critical item's, and a
    severe one's. Both off by default: the release manager must opt in, in writing."""

    critical: bool = False
    severe: bool = False


class Gate(_Section):
    blocking_severities: list[Severity] = Field(
        default_factory=lambda: [Severity.SEVERE, Severity.HIGH])
    account_tolerance: Annotated[Decimal, Field(ge=0)] = Decimal("0.00")
    go_with_waivers_passes_ci: bool = False
    waivers: Waivers = Field(default_factory=lambda: Waivers())


SignoffRole = Literal["qa", "manager", "customer"]
SIGNOFF_ROLES: tuple[str, ...] = ("qa", "manager", "customer")


class SignoffSection(_Section):
    """Who must sign a run before it goes live (``golive signoff``, ``golive verify``).

    Signatures sit beside the gate's verdict and never change it; ``golive verify``
    exits 1 until every required role has approved the run as it now is."""

    required: list[SignoffRole] = Field(
        default_factory=lambda: list[SignoffRole](["qa", "manager", "customer"]))


class ReportSection(_Section):
    """Where runs write their reports; ``state_dir`` holds golive's own state (the
    reuse marker, pytest's cache), by default ``<dir>/.state``."""

    dir: ProjectPath = Path("reports")
    title: str = "Release sign-off"
    state_dir: ProjectPath | None = None


def _section() -> Any:
    """An omitted section: validated from {} so its defaults are resolved like given ones."""
    return {}


class StaffLogin(_Section):
    """A staff user of one role in the admin portal."""

    username: str
    password: SecretStr


class CustomerLogin(_Section):
    """The customer the portal checks log in as; ``password`` is staging's portal password
    for the customers the features name (the demo gives every customer ``demo``)."""

    account: str
    password: SecretStr


class PortalSelectors(_Section):
    """The ``data-testid`` names the portal steps look for (the demo's by default)."""

    admin_username: str = "username"
    admin_password: str = "password"
    admin_submit: str = "login-submit"
    staff_user: str = "staff-user"
    dashboard: str = "dashboard"
    customer_login: str = "login"
    customer_password: str = "password"
    customer_submit: str = "login-submit"
    logout: str = "logout"
    forbidden: str = "forbidden"
    missing_permission: str = "missing-permission"
    form_error: str = "form-error"
    flash: str = "flash"
    account_name: str = "account-name"
    account_number: str = "account-number"
    next_bill_date: str = "next-bill-date"
    balance: str = "balance"
    ticket_account: str = "ticket-account"
    ticket_subject: str = "ticket-subject"
    ticket_body: str = "ticket-body"
    ticket_priority: str = "ticket-priority"
    ticket_status: str = "ticket-status"
    ticket_status_select: str = "ticket-status-select"
    ticket_submit: str = "ticket-submit"
    ticket_save: str = "ticket-save"
    usage_total: str = "usage-total"
    usage_calls: str = "usage-calls"
    bucket_included: str = "bucket-included"
    bucket_used: str = "bucket-used"
    bucket_overage: str = "bucket-overage"
    pool_owner: str = "pool-owner"
    payment_amount: str = "payment-amount"
    card_number: str = "card-number"
    payment_submit: str = "payment-submit"
    payment_result: str = "payment-result"
    contact_first_name: str = "first-name"
    contact_last_name: str = "last-name"
    contact_email: str = "email"
    contact_phone: str = "phone"
    contact_street: str = "street"
    contact_city: str = "city"
    contact_postcode: str = "postcode"
    contact_submit: str = "contact-submit"
    signup_product: str = "product"
    signup_password: str = "password"
    signup_submit: str = "signup-submit"
    new_account_number: str = "new-account-number"
    adjustment_form: str = "adjustment-form"
    adjustment_amount: str = "adjustment-amount"
    adjustment_reason: str = "adjustment-reason"
    adjustment_submit: str = "adjustment-submit"


class Portals(_Section):
    """The admin and customer portals the portal features drive in a real browser.

    ``admin_url``/``customer_url`` are for targets that do not know their portals
    (the demo starts its own). ``chromium`` is the browser executable (default
    ``$GOLIVE_CHROMIUM`` or /usr/bin/chromium).
    """

    admin_url: str | None = None
    customer_url: str | None = None
    staff: dict[str, StaffLogin] = Field(default_factory=dict)  # role -> login
    customer: CustomerLogin | None = None
    selectors: PortalSelectors = Field(default_factory=_section)
    chromium: ProjectPath | None = None
    timeout_seconds: PositiveInt = 15


class Profile(_Section):
    """The whole profile; ``path``/``root`` say where it was loaded from."""

    name: str
    target: TargetConfig
    environments: Environments
    backup: Backup
    sanitize: Sanitize = Field(default_factory=_section)
    lockdown: Lockdown = Field(default_factory=_section)
    bill_run: BillRun
    checklists: ChecklistsSection = Field(default_factory=_section)
    features: FeaturesSection = Field(default_factory=_section)
    gate: Gate = Field(default_factory=_section)
    signoff: SignoffSection = Field(default_factory=_section)
    report: ReportSection = Field(default_factory=_section)
    portals: Portals = Field(default_factory=_section)
    population: Population | None = None  # compared with production's results (baseline)

    _path: Path = PrivateAttr(default=DEFAULT_PROFILE)
    _source: YamlSource | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def root(self) -> Path:
        return self._path.parent

    def problem(self, loc: tuple[str | int, ...], message: str) -> Problem:
        """A Problem at ``loc`` of this profile, with its file and line (for checks that
        can only run later, e.g. against the data)."""
        if self._source is None:
            return Problem(str(self._path), None, format_loc(loc), message)
        return self._source.problem(loc, message)

    @property
    def state_dir(self) -> Path:
        """golive's own state for this profile: never inside the features folder."""
        return self.report.state_dir or self.report.dir / ".state"

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.sanitize.enabled and self.sanitize.rules is None and not self.sanitize.scripts:
            problems.append((("sanitize", "rules"), "required when sanitize is enabled "
                                                    "(or give scripts)"))
        if isinstance(self.target, SqlTargetConfig) and self.target.dsn is not None \
                and self.target.dsn.same_database(self.environments.production.dsn):
            problems.append((("target", "dsn"), "is the production database; the target "
                                                "is the staging system"))
        problems += self._population_store()
        for name, channel in self.lockdown.channels.items():
            if channel.method == "env" and not (isinstance(self.target, SqlTargetConfig)
                                                and "bill_run" in self.target.commands):
                problems.append((("lockdown", "channels", name, "redirect", "env"),
                                 "environment variables reach only the platform's own "
                                 "commands: needs target.kind: sql with commands.bill_run"))
        if problems:
            raise Located(problems)
        return self

    def target_dsn(self) -> Dsn:
        """The staging database the target reads: its own ``dsn`` (a SQL target may read a
        replica), else the staging environment's. The population is compared there."""
        own = self.target.dsn if isinstance(self.target, SqlTargetConfig) else None
        return own if own is not None else self.environments.staging.dsn

    def _population_store(self) -> list[tuple[tuple[str | int, ...], str]]:
        """golive writes the baseline database: never production's or staging's."""
        store = self.population.baseline.dsn if self.population is not None else None
        if store is None:
            return []
        for name in ("production", "staging"):
            if store.same_database(getattr(self.environments, name).dsn):
                return [(("population", "baseline", "dsn"),
                         f"is the {name} database; the baseline is kept in a database "
                         "of golive's own")]
        return []


def _apply_overrides(source: YamlSource, overrides: dict[str, Any]) -> list[Problem]:
    """Set ``{"target.release": "1.2"}`` (dotted or nested) into the raw data."""
    problems: list[Problem] = []
    flat: dict[str, Any] = {}

    def flatten(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                flatten(f"{prefix}.{key}" if prefix else str(key), sub)
        else:
            flat[prefix] = value

    flatten("", overrides)
    for dotted, value in flat.items():
        parts = dotted.split(".")
        node = source.data
        for index, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(Problem("command line", None, dotted,
                                        f"{'.'.join(parts[:index + 1])} is not a section"))
                break
            node = child
        else:
            node[parts[-1]] = value
            source.overridden.add(tuple(parts))
    return problems


def load_profile(
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    references: bool = True,
) -> Profile:
    """Load and validate the profile (default ``./golive.yaml``); ConfigError lists every
    problem. ``overrides`` come from the command line (``{"target.release": "1.2"}``);
    ``env`` replaces ``os.environ`` for ``${VAR}`` placeholders (tests). ``references``
    checks every file, folder and name the profile points at (`harness.references`);
    only commands that merely read reports may leave it off."""
    path = path or DEFAULT_PROFILE
    source = load_yaml(path)
    if not isinstance(source.data, dict):
        raise ConfigError([Problem(source.file, source.line(()), None,
                                   "the profile must be a mapping of sections "
                                   "(name, target, environments, backup, bill_run, …)")])
    problems = _apply_overrides(source, overrides or {})
    # command lines fill ${VAR} themselves, in one pass with their own {placeholders}
    source, env_problems = expand_env(source, env, keep=[("target", "commands")])
    problems += env_problems
    unset = {p.key for p in env_problems}
    root = path.resolve().parent
    profile: Profile | None = None
    try:
        profile = Profile.model_validate(source.data, context={"root": root, "env": env})
    except ValidationError as exc:
        problems += [p for p in problems_from(exc, source, Profile) if p.key not in unset]
    if profile is not None:
        _register_secrets(profile)
        if references:
            problems += reference_problems(profile, source)
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.file, p.line or 0)))
    assert profile is not None
    profile._path = path.resolve()
    profile._source = source
    return profile


def _register_secrets(profile: Profile) -> None:
    """Every credential of the profile's DSNs, so no report or log can show it."""
    dsns = [profile.environments.production.dsn, profile.environments.staging.dsn,
            getattr(profile.target, "dsn", None)]
    register(*(secret for dsn in dsns if isinstance(dsn, Dsn) for secret in dsn.secrets()))
