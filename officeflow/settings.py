"""One settings object for the whole project, read from ``OFFICEFLOW_*`` and ``.env``.

The ``.env`` file is read from one place only, never from whatever the current directory is
(a ``.env`` left in a shared or downloaded folder must not redirect templates or channels):
``OFFICEFLOW_ENV_FILE`` when set, else ``.env`` in the installation's project folder
(`PROJECT_DIR`, the folder holding ``pyproject.toml`` and the ``officeflow`` package; also the
working directory recorded for every deployment).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, unquote_plus, urlsplit

import pendulum
from pydantic import Field, SecretStr, computed_field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

Locale = Literal["zh-CN", "en"]

PROJECT_DIR = Path(__file__).resolve().parent.parent


class EnvFileMissing(FileNotFoundError):
    """``OFFICEFLOW_ENV_FILE`` names no file. ``str()`` is the text a user sees."""


def env_file() -> Path:
    """The one ``.env`` that is read: ``OFFICEFLOW_ENV_FILE``, else ``<PROJECT_DIR>/.env``."""
    explicit = os.environ.get("OFFICEFLOW_ENV_FILE")
    return Path(explicit).expanduser() if explicit else PROJECT_DIR / ".env"


def parse_cli_operators(text: str) -> dict[str, frozenset[str]]:
    """``alice=zhang.wei,li.na;root=*`` → {"alice": {"zhang.wei", "li.na"}, "root": {"*"}}."""
    mapping: dict[str, frozenset[str]] = {}
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        user, sep, people = entry.partition("=")
        names = frozenset(p.strip() for p in people.split(",") if p.strip())
        if not sep or not user.strip() or not names:
            raise ValueError(
                f"OFFICEFLOW_CLI_OPERATORS: {entry!r} is not `osuser=person,person` (or "
                "`osuser=*`); entries are separated by `;`"
            )
        mapping[user.strip()] = mapping.get(user.strip(), frozenset()) | names
    return mapping


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OFFICEFLOW_", extra="ignore", validate_default=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Not ``env_file=".env"``: that is relative to the current directory.
        path = env_file()
        if os.environ.get("OFFICEFLOW_ENV_FILE") and not path.is_file():
            raise EnvFileMissing(f"OFFICEFLOW_ENV_FILE names no file: {path}")
        dotenv = DotEnvSettingsSource(settings_cls, env_file=path)
        return init_settings, env_settings, dotenv, file_secret_settings

    home: Path = Field(Path(".officeflow"), description="Working folder for the embedded ledger.")
    database_url_override: str | None = Field(
        None,
        validation_alias="OFFICEFLOW_DATABASE_URL",
        description="SQLAlchemy URL of the ledger; SQLite under `home` when unset.",
    )
    timezone: str = "Asia/Shanghai"
    office_hours_start: dt.time = dt.time(9, 0)
    office_hours_end: dt.time = dt.time(18, 0)
    locale: Locale = "zh-CN"
    org_file: Path | None = None
    calendar_overrides: Path | None = Field(
        None, description="YAML with the office's own closures and newer official notices."
    )
    templates_dir: Path | None = Field(
        None, description="Folder whose templates take precedence over the shipped ones."
    )
    response_plan: Path | None = Field(
        None, description="Emergency response plan YAML; the shipped one when unset."
    )
    grading_matrix: Path | None = Field(
        None, description="Emergency grading matrix YAML; the shipped one when unset."
    )
    info_weights: Path | None = Field(
        None,
        description="YAML mapping of the 信息考核 score weights (submitted, adopted, commented, "
        "overdue); the defaults of rules/information.py for names it leaves out.",
    )
    incident_future_tolerance_s: float = Field(
        300, ge=0, description="How far in the future an incident's occurrence may lie."
    )
    now: dt.datetime | None = Field(
        None, description="Clock override for tests and simulation (ISO 8601)."
    )
    file_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="Largest file the file store keeps (bytes)."
    )
    file_types: str = Field(
        ".docx,.pdf,.ofd,.doc,.xlsx,.txt,.jpg,.png",
        description="Comma-separated file name endings the file store accepts.",
    )
    document_normal_workdays: int = Field(
        5, ge=1, le=60, description="Working days each step of a 平件 document gets."
    )
    document_urgent_workdays: int = Field(
        2, ge=1, le=60, description="Working days each step of a 加急 document gets."
    )

    # The office's web pages (issue 11): the base of every link in a notice, and the key that
    # signs action links, sign-in links and session cookies (a secret like the others).
    public_url: str | None = Field(
        None,
        description="Public base URL of the office's web pages, e.g. https://office.example.org; "
        "defaults to the embedded web server's own address.",
    )
    web_secret_key: SecretStr | None = Field(
        None,
        description="Key that signs action links and sign-in cookies; when unset, one is "
        "generated once into <home>/web-secret.key (0600).",
    )
    web_link_days: float = Field(
        14, gt=0, le=366, description="Days an action link in a notice stays valid."
    )
    web_incident_link_days: float = Field(
        3, gt=0, le=366, description="Days an incident's action link stays valid."
    )

    # One-time sign-in links (`officeflow.signin`) and OpenID Connect (`officeflow.web.oidc`).
    signin_link_minutes: int = Field(
        15, ge=1, le=24 * 60, description="How long a one-time sign-in link stays valid."
    )
    signin_per_person: int = Field(
        3, ge=1, le=100, description="Sign-in links one person may ask for per window."
    )
    signin_per_client: int = Field(
        20, ge=1, le=10_000, description="Sign-in links one client address may ask for per window."
    )
    signin_window_minutes: int = Field(
        15, ge=1, le=24 * 60, description="The window the sign-in rate limits count in."
    )
    session_idle_minutes: int = Field(
        120,
        ge=1,
        le=24 * 60,
        description="A web session ends after this long without a request (it ends 12 hours "
        "after sign-in in any case).",
    )
    web_request_max_bytes: int | None = Field(
        None,
        ge=1024,
        description="Largest request body the web pages read (bytes; 413 beyond it, refused "
        "while it streams, before any parsing). Default: room for five files of "
        "OFFICEFLOW_FILE_MAX_BYTES and 1 MiB of form fields.",
    )
    oidc_issuer: str | None = Field(
        None,
        description="OpenID Connect issuer URL (its /.well-known/openid-configuration is read); "
        "set with the client id and secret to offer sign-in through the identity provider.",
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None

    # The Prefect API's credentials (issue 11 §5). `officeflow up` generates one per home and keeps
    # it in <home>/prefect-auth (0600); set this to share one server between several workers
    # (docs/deploy.md). Never logged.
    prefect_auth_string: SecretStr | None = Field(
        None,
        description="The Prefect server's API auth string (PREFECT_SERVER_API_AUTH_STRING); "
        "clients send it as PREFECT_API_AUTH_STRING. Default: generated under `home`.",
    )

    # Transports. Credentials live here (or in the environment), never in the ledger.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "office@example.org"
    smtp_from_name: str = "General Office"
    smtp_starttls: bool = False
    smtp_ca_file: Path | None = Field(
        None,
        description="PEM file of the certificate authorities trusted for STARTTLS (a relay "
        "with the office's own or a self-signed certificate); the system's when unset.",
    )
    smtp_allow_plain_auth: bool = Field(
        False,
        description="Send the SMTP user and password without TLS (no STARTTLS). Only for a "
        "relay on the same machine or a trusted network; otherwise such mail is refused.",
    )
    dingtalk_token: SecretStr | None = None
    dingtalk_secret: SecretStr | None = None
    wecom_key: SecretStr | None = None
    feishu_token: SecretStr | None = None
    # Direct messages (officeflow.direct_messages): each platform's internal app.
    dingtalk_app_key: str | None = Field(None, description="DingTalk internal app's AppKey.")
    dingtalk_app_secret: SecretStr | None = Field(None, description="DingTalk app's AppSecret.")
    dingtalk_agent_id: str | None = Field(None, description="DingTalk app's AgentId (digits).")
    dingtalk_api_base: str = Field("https://oapi.dingtalk.com", description="DingTalk API host.")
    wecom_corp_id: str | None = Field(None, description="WeCom corpid (企业ID).")
    wecom_corp_secret: SecretStr | None = Field(None, description="WeCom app's Secret.")
    wecom_agent_id: str | None = Field(None, description="WeCom app's AgentId (digits).")
    wecom_api_base: str = Field("https://qyapi.weixin.qq.com", description="WeCom API host.")
    feishu_app_id: str | None = Field(None, description="Feishu self-built app's App ID.")
    feishu_app_secret: SecretStr | None = Field(None, description="Feishu app's App Secret.")
    feishu_api_base: str = Field(
        "https://open.feishu.cn", description="Feishu API host (https://open.larksuite.com: Lark)."
    )
    slack_webhook: SecretStr | None = Field(
        None, description="Slack incoming-webhook tokens as T…/B…/C…, or the hooks.slack.com URL."
    )
    webhook_url: SecretStr | None = Field(
        None, description="Generic JSON webhook, e.g. json://host:port/path or https://…"
    )
    sms_gateway: str | None = Field(
        None,
        description="SMS gateway (SMSEagle JSON-RPC API, through Apprise's smseagle plugin) as "
        "http(s)://host[:port]; people are reached on their `mobile`.",
    )
    sms_token: SecretStr | None = Field(None, description="Access token of the SMS gateway.")

    smtp_limit: str = Field(
        "smtp",
        description="Prefect global concurrency limit (with slot decay) that paces email "
        "sends when a Prefect API is configured; empty disables it.",
    )

    sqlite_busy_timeout_s: float = Field(
        30,
        gt=0,
        description="How long a SQLite ledger write waits for another writer's lock before "
        "the command fails with a clear 'the ledger is locked' error.",
    )

    delivery_concurrency: int = Field(16, ge=1, le=256)
    delivery_attempts: int = Field(3, ge=1, le=20, description="Tries per delivery per run.")
    delivery_backoff_s: float = Field(0.5, ge=0, description="First backoff; doubles each try.")
    delivery_timeout_s: float = Field(15, gt=0)
    delivery_lease_s: float = Field(
        120,
        ge=1,
        description="How long a sender's claim on a delivery lasts; renewed before each attempt. "
        "Only rows whose lease has lapsed are taken over by the retry. Keep it above the longest "
        "single attempt (the socket timeout and a rate-limit wait).",
    )
    retry_horizon_hours: float = Field(
        24,
        gt=0,
        le=24 * 30,
        description="How long a routine notice keeps being retried before it is reported "
        "undeliverable. Emergencies keep trying until acknowledged or closed.",
    )
    channel_down_after_minutes: float = Field(
        10,
        gt=0,
        description="A channel failing for this long alerts the duty officer and the office "
        "directors on the other channels.",
    )
    smtp_session_reuse: bool = Field(
        True,
        description="Send many emails over one SMTP session per sender thread (STARTTLS and "
        "AUTH once per connection); false: one connection per message.",
    )
    digests: bool = Field(
        False,
        description="Send one sweep's reminders to one person as one message (the org file's "
        "`notifications: digests:` and a person's `preferences: digest:` take precedence).",
    )
    quiet_hours: bool = Field(
        False,
        description="Hold routine notices planned outside office hours or on a day off until "
        "the next working morning; emergencies ignore it (the org file's `notifications: "
        "quiet_hours:` and a person's `preferences: quiet_hours:` take precedence).",
    )
    input_max_bytes: int = Field(
        1024 * 1024, ge=1, description="Largest input file (YAML) read, in bytes (1 MiB)."
    )
    cli_operators: str | None = Field(
        None,
        description="Who may act as whom at the CLI: `osuser=person,person;admin=*` (the "
        "operating-system user, then the person ids its `--as` may name; `*`: anyone). Unset: "
        "`--as` is the caller's assertion, checked only by the policy (docs/permissions.md).",
    )

    @field_validator("cli_operators")
    @classmethod
    def _operator_map(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            parse_cli_operators(value)
        return value

    def cli_operator_map(self) -> dict[str, frozenset[str]] | None:
        """``cli_operators`` parsed: OS user → the person ids (or ``*``); None when unset."""
        if self.cli_operators is None or not self.cli_operators.strip():
            return None
        return parse_cli_operators(self.cli_operators)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            pendulum.timezone(value)
        except Exception as exc:  # pendulum raises its own InvalidTimezone
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("now")
    @classmethod
    def _aware_now(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("OFFICEFLOW_NOW needs an offset, e.g. 2026-09-21T09:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _office_hours(self) -> Settings:
        if self.office_hours_end <= self.office_hours_start:
            raise ValueError("office_hours_end must be after office_hours_start")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def database_url(self) -> str:
        if self.database_url_override:
            return self.database_url_override
        return f"sqlite:///{(self.home / 'ledger.db').resolve()}"

    def secret_values(self) -> list[str]:
        """Every configured secret in clear, for scrubbing text before it is stored."""
        values = [
            s.get_secret_value()
            for s in (
                self.smtp_password,
                self.dingtalk_token,
                self.dingtalk_secret,
                self.wecom_key,
                self.feishu_token,
                self.dingtalk_app_secret,
                self.wecom_corp_secret,
                self.feishu_app_secret,
                self.slack_webhook,
                self.webhook_url,
                self.sms_token,
                self.web_secret_key,
                self.oidc_client_secret,
            )
            if s is not None and s.get_secret_value()
        ]
        # An error or log line may hold a URL's parts rather than the whole URL (a library
        # echoes the request path, or the URL as it rebuilt it): scrub each secret part too.
        for url in (self.slack_webhook, self.webhook_url):
            if url is not None:
                values.extend(url_secret_parts(url.get_secret_value()))
        if self.database_url_override:
            values.extend(url_secret_parts(self.database_url_override, paths=False))
        return list(dict.fromkeys(values))


# Path segments that are plainly not secrets: lowercase words ("hook", "services",
# "incoming-webhook"), API versions ("v2") and short numbers. Every other segment is scrubbed.
_PUBLIC_SEGMENT = re.compile(r"[a-z]{1,12}(?:[-_.][a-z]{1,12})*|v\d{1,3}|\d{1,4}")
_MIN_PART = 4  # shorter values ("no", "1") are options, and scrubbing them would garble text
# Apprise's own URL options: their values (POST, yes, 4.0…) are not secrets.
_APPRISE_OPTIONS = frozenset(
    [
        "method",
        "format",
        "overflow",
        "verify",
        "cto",
        "rto",
        "emojis",
        "store",
        "tz",
        "retry",
        "wait",
        "optional",
        "redirect",
    ]
)


def url_secret_parts(url: str, *, paths: bool = True) -> list[str]:
    """The parts of a configured URL that may be secret: the user (unless a plain word), the
    password, every path segment that is not plainly public, and every query value except
    Apprise's options (``?apikey=…``, ``+Authorization=…``, ``-token=…``). A value without a
    scheme (Slack's ``T…/B…/C…`` tokens) is read as a path. ``paths=False`` for a database URL,
    whose path is a database name."""
    parts: list[str] = []
    split = urlsplit(url if "://" in url else f"x:///{url}")
    if split.username and not _PUBLIC_SEGMENT.fullmatch(unquote(split.username)):
        parts.extend({split.username, unquote(split.username)})
    if split.password:
        parts.extend({split.password, unquote(split.password)})
    if paths:
        for segment in split.path.split("/"):
            if segment and not _PUBLIC_SEGMENT.fullmatch(segment):
                parts.extend({segment, unquote(segment)})
    for pair in split.query.split("&"):
        name, _, value = pair.partition("=")
        if value and name not in _APPRISE_OPTIONS:
            parts.extend({value, unquote(value), unquote_plus(value)})
    return [p for p in dict.fromkeys(parts) if len(p) >= _MIN_PART]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reload_settings() -> Settings:
    """Forget the cached settings (after the environment changed) and read them again."""
    get_settings.cache_clear()
    return get_settings()
