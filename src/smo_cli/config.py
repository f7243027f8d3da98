"""Workspace discovery and the typed contents of `smo.yaml`.

A workspace is a folder holding `smo.yaml` and, by default, the SQLite database. Nothing here is
resolved at import time: callers pass the explicit folder, the environment and the current folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smo_cli.errors import InvalidData, NotFound

CONFIG_FILE = "smo.yaml"
DATABASE_FILE = "smo.db"
ENV_WORKSPACE = "SMO_WORKSPACE"
ENV_DATABASE_URL = "SMO_DATABASE_URL"

DEPARTMENT_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
HTTP_URL_PATTERN = r"^https?://[^\s/]+"
ENV_NAME_PATTERN = r"^[A-Z][A-Z0-9_]*$"
PATTERN_DESCRIPTIONS = {
    DEPARTMENT_KEY_PATTERN: "a key of lower-case letters, digits, - or _, e.g. sales",
    EMAIL_PATTERN: "an e-mail address, e.g. sales@acme.nl",
    COUNTRY_PATTERN: "a two-letter country code in capitals, e.g. NL",
    HTTP_URL_PATTERN: "an http(s) address, e.g. https://public.api.bsky.app",
    ENV_NAME_PATTERN: "an environment variable name in capitals, e.g. SMO_MASTODON_TOKEN",
}

Language = Literal["nl", "en"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DepartmentKey = Annotated[str, Field(pattern=DEPARTMENT_KEY_PATTERN, max_length=40)]
Email = Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]


def _languages(*codes: Language) -> list[Language]:
    return list(codes)


def _weekdays(*days: Weekday) -> list[Weekday]:
    return list(days)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(_Strict):
    name: str = Field(min_length=1)
    legal_name: str | None = None
    sector: str | None = None
    website: str | None = None
    country: str = Field(default="NL", pattern=COUNTRY_PATTERN)
    languages: list[Language] = Field(default_factory=lambda: _languages("nl", "en"),
                                      min_length=1)


class Department(_Strict):
    key: DepartmentKey
    name: str = Field(min_length=1)
    head: Email | None = None
    email: Email | None = None
    channel: str | None = None          # where its messages go (default: delivery.channel)


class BusinessHours(_Strict):
    timezone: str = "Europe/Amsterdam"
    days: list[Weekday] = Field(
        default_factory=lambda: _weekdays("mon", "tue", "wed", "thu", "fri"))
    start: time = time(9, 0)
    end: time = time(17, 0)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        # YAML reads an unquoted 9:00 as the number 540 (sexagesimal); never guess what was meant.
        if isinstance(value, int | float):
            raise ValueError('write times in quotes, e.g. "09:00"')
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Europe/Amsterdam") from None
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class Officer(_Strict):
    name: str | None = None
    email: Email | None = None


class InventorySettings(_Strict):
    bluesky_appview: Annotated[str, Field(pattern=HTTP_URL_PATTERN)] = (
        "https://public.api.bsky.app")
    dormant_after_days: int = Field(default=90, ge=1)
    check_concurrency: int = Field(default=8, ge=1, le=64)
    timeout_seconds: float = Field(default=10.0, gt=0)


class Channel(BaseModel):
    """One delivery channel; the fields past name and kind depend on the kind (see README)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["smtp", "file", "webhook", "slack", "teams", "mattermost"]


class DeliverySettings(_Strict):
    channel: str | None = None          # the default channel for departments and the officer
    language: Language | None = None    # of messages (default: smo.yaml's language)
    digest_at: time | None = None       # send digests once a day from this local time

    @field_validator("digest_at", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        if isinstance(value, int | float):
            raise ValueError('write times in quotes, e.g. "08:00"')
        return value


class EscalationSettings(_Strict):
    """Spike alerts: a window against mean + k * sd of the same windows before it."""

    window_minutes: int = Field(default=60, ge=5)
    baseline_days: int = Field(default=14, ge=1)
    k: float = Field(default=3.0, gt=0)
    min_count: int = Field(default=5, ge=1)
    cooldown_hours: float = Field(default=6.0, ge=0)
    contacts: list[str] = Field(default_factory=lambda: ["officer"])   # dept:<key>, e-mail


class EngageAccount(_Strict):
    """A posting account of the officer or the company. The secret is read from an environment
    variable (or its `_FILE` twin) named here, never from smo.yaml."""

    name: str = Field(pattern=DEPARTMENT_KEY_PATTERN, max_length=40)
    platform: Literal["mastodon", "bluesky"]
    owner: Literal["company", "officer"] = "company"
    instance: str | None = Field(default=None, pattern=HTTP_URL_PATTERN)   # Mastodon
    handle: str | None = None                                             # Bluesky
    service: str = Field(default="https://bsky.social", pattern=HTTP_URL_PATTERN)
    secret_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    # A server on a private or local address (an intranet Mastodon, a test server) is refused
    # unless asked for here, as `sources add --allow-private` does for listening.
    allow_private: bool = False

    @model_validator(mode="after")
    def _platform_fields(self) -> EngageAccount:
        if self.platform == "mastodon" and not self.instance:
            raise ValueError(f"account {self.name}: a Mastodon account needs `instance`")
        if self.platform == "bluesky" and not self.handle:
            raise ValueError(f"account {self.name}: a Bluesky account needs `handle`")
        return self

    @property
    def secret_name(self) -> str:
        """The variable holding the access token (Mastodon) or app password (Bluesky)."""
        default = ("SMO_MASTODON_TOKEN" if self.platform == "mastodon"
                   else "SMO_BLUESKY_APP_PASSWORD")
        return self.secret_env or default


class EngageSettings(_Strict):
    accounts: list[EngageAccount] = Field(default_factory=list)

    @field_validator("accounts")
    @classmethod
    def _unique_names(cls, accounts: list[EngageAccount]) -> list[EngageAccount]:
        names = [a.name for a in accounts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"account name {twice[0]!r} is used twice")
        return accounts

    def account(self, name: str) -> EngageAccount | None:
        return next((a for a in self.accounts if a.name == name), None)


class RetentionSettings(_Strict):
    """How long `smo db purge` keeps things (days); None keeps them for ever."""

    mentions_days: int | None = Field(default=365, ge=1)
    deliveries_days: int | None = Field(default=180, ge=1)     # sent outbox messages
    runs_days: int | None = Field(default=90, ge=1)            # listen run records
    logs_days: int | None = Field(default=30, ge=1)            # files in the workspace's logs/


class Settings(_Strict):
    """The whole of `smo.yaml`."""

    organisation: Organisation
    language: Language = "en"
    officer: Officer = Field(default_factory=Officer)
    departments: list[Department] = Field(default_factory=list)
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    channels: list[Channel] = Field(default_factory=list)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    engage: EngageSettings = Field(default_factory=EngageSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    database_url: str | None = None

    @field_validator("departments")
    @classmethod
    def _unique_keys(cls, departments: list[Department]) -> list[Department]:
        seen: set[str] = set()
        for department in departments:
            if department.key in seen:
                raise ValueError(f"department key {department.key!r} is used twice")
            seen.add(department.key)
        return departments

    def department(self, key: str) -> Department | None:
        return next((d for d in self.departments if d.key == key), None)

    def channel(self, name: str | None) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)

    @model_validator(mode="after")
    def _known_channels(self) -> Settings:
        names = {c.name for c in self.channels}
        wanted = [("delivery.channel", self.delivery.channel)] + [
            (f"departments ({d.key}).channel", d.channel) for d in self.departments]
        for where, name in wanted:
            if name is not None and name not in names:
                raise ValueError(f"{where}: unknown channel {name!r} "
                                 f"(channels: {', '.join(sorted(names)) or 'none'})")
        return self


@dataclass(frozen=True)
class Workspace:
    root: Path
    settings: Settings
    database_url: str

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"


def default_database_url(root: Path) -> str:
    return f"sqlite:///{(root / DATABASE_FILE).resolve()}"


def user_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("smo", appauthor=False)


def find_workspace_root(
    explicit: Path | None, env: Mapping[str, str], cwd: Path
) -> Path:
    """Return the workspace folder: --workspace, then SMO_WORKSPACE, then upward, then user data."""
    for chosen, origin in ((explicit, "--workspace"), (_env_path(env), ENV_WORKSPACE)):
        if chosen is not None:
            if not (chosen / CONFIG_FILE).is_file():
                raise NotFound(
                    f"no {CONFIG_FILE} in {chosen} (from {origin})",
                    hint=f"run `smo init {chosen} --org NAME`",
                )
            return chosen.resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    fallback = user_data_dir()
    if (fallback / CONFIG_FILE).is_file():
        return fallback
    raise NotFound(
        f"no workspace: no {CONFIG_FILE} here or above {cwd}, and none in {fallback}",
        hint="run `smo init DIR --org NAME` or pass --workspace",
    )


def _env_path(env: Mapping[str, str]) -> Path | None:
    value = env.get(ENV_WORKSPACE, "").strip()
    return Path(value).expanduser() if value else None


def load_workspace(root: Path, env: Mapping[str, str] | None = None) -> Workspace:
    env = os.environ if env is None else env
    path = root / CONFIG_FILE
    settings = load_settings(path)
    url = secret(env, ENV_DATABASE_URL) or settings.database_url or default_database_url(root)
    return Workspace(root=root, settings=settings, database_url=url)


def secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret from `NAME`, or from the file named by `NAME_FILE` (Docker and systemd style)."""
    value = env.get(name, "").strip()
    if value:
        return value
    file_name = env.get(f"{name}_FILE", "").strip()
    if not file_name:
        return None
    try:
        return Path(file_name).expanduser().read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise InvalidData(f"{name}_FILE: cannot read {file_name} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidData(f"{name}_FILE: {file_name} is not UTF-8 text") from None


def load_settings(path: Path) -> Settings:
    raw = read_yaml(path)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely; a syntax error names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise InvalidData(f"{path}: byte {exc.start} is not UTF-8",
                          hint="save the file as UTF-8") from None
    except OSError as exc:
        raise InvalidData(f"{path}: cannot be read ({exc.strerror})") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InvalidData(f"{path}{where}: {problem}") from None


def describe_validation_error(path: Path, exc: ValidationError) -> str:
    """One line: file, key path and what was expected, for the first problem (+N more)."""
    errors = exc.errors()
    first = errors[0]
    key = _key_path(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check the spelling)"
    elif first["type"] == "string_pattern_mismatch":
        pattern = str((first.get("ctx") or {}).get("pattern", ""))
        expected = PATTERN_DESCRIPTIONS.get(pattern, f"text matching {pattern}")
        message = f"got {first['input']!r}, expected {expected}"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {key or '(top level)'}: {message}{more}"


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else item)
    return "".join(parts)


_SECRET_KEY = re.compile(r"(password|token|secret|api_key)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@]+:)[^@]+@")
_QUERY_SECRET = re.compile(r"(?P<head>[?&](?:password|passwd|pwd|token|secret)=)[^&#]*",
                           re.IGNORECASE)


def redact(value: Any, key: str = "") -> Any:
    """A copy of a config structure with secrets replaced, safe to print."""
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, str):
        if _SECRET_KEY.search(key):
            return "***"
        return _QUERY_SECRET.sub(r"\g<head>***", _URL_PASSWORD.sub(r"\g<head>***@", value))
    return value
