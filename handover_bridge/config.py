"""Settings: one frozen dataclass, read from `JIELI_*` environment variables.

Outside demo mode the bridge refuses to start with an empty or placeholder secret
(`JIELI_SECRET_KEY`, `JIELI_ACTION_TOKEN`). In demo mode it uses fixed, clearly marked demo
values so that a restarted demo still accepts the tokens it handed out.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

PREFIX = "JIELI_"

DEMO_SECRET_KEY = "jieli-demo-secret-key--not-for-production"
DEMO_ACTION_TOKEN = "jieli-demo-action-token--not-for-production"
DEMO_PASSWORD = "jieli-demo"
DEMO_AGENTS = ("agent1", "agent2")
DEMO_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
# The Rasa project the bridge learns into (review queue → `export-training`): its domain (the
# intents an agent can tag at close) and its NLU training data folder.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DOMAIN_PATH = os.path.join(PROJECT_ROOT, "domain.yml")
DEFAULT_TRAINING_DATA_DIR = os.path.join(PROJECT_ROOT, "data", "nlu")

CATEGORIES = ("物流", "售后", "账单", "产品", "其他")
DEFAULT_CATEGORY_SKILLS = {
    "物流": "logistics",
    "售后": "after_sales",
    "账单": "billing",
    "产品": "product",
    "其他": "general",
}
# English names an action may send instead of the Chinese category.
CATEGORY_ALIASES = {
    "logistics": "物流", "shipping": "物流", "delivery": "物流",
    "after_sales": "售后", "aftersales": "售后", "refund": "售后", "return": "售后",
    "billing": "账单", "payment": "账单", "invoice": "账单",
    "product": "产品", "other": "其他", "general": "其他",
}

_PLACEHOLDERS = {
    "", "changeme", "change-me", "change_me", "secret", "password", "placeholder", "todo",
    "xxx", "none", "null", "demo", "test", "token", "your-secret-key", "your-token",
    DEMO_SECRET_KEY, DEMO_ACTION_TOKEN,
}
MIN_SECRET_CHARS = 16


class ConfigError(ValueError):
    """The environment does not describe a usable bridge."""


def async_database_url(url: str) -> str:
    """Accept the usual spellings and return an async SQLAlchemy URL."""
    url = url.strip()
    for plain, driver in (("postgres://", "postgresql+asyncpg://"),
                          ("postgresql://", "postgresql+asyncpg://"),
                          ("postgresql+psycopg2://", "postgresql+asyncpg://"),
                          ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigError(f"JIELI_DATABASE_URL: unsupported database URL {url.split(':', 1)[0]!r} "
                      "(use sqlite:///path or postgresql://user@host/db)")


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in _PLACEHOLDERS or len(value.strip()) < MIN_SECRET_CHARS


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///var/bridge.db"
    db_schema: str = ""                       # PostgreSQL schema (search_path); empty = default
    db_pool_size: int = 10
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_token: str = ""                      # Rasa's --auth-token, if it runs with one
    action_token: str = ""
    secret_key: str = ""
    demo_mode: bool = False
    demo_password: str = DEMO_PASSWORD
    allowed_origins: tuple[str, ...] = ()
    redis_url: str = ""
    rasa_timeout: float = 8.0
    max_message_chars: int = 2000
    max_body_bytes: int = 64 * 1024
    rate_conversation_per_min: float = 30.0
    rate_conversation_burst: int = 10
    rate_ip_per_min: float = 600.0
    rate_ip_burst: int = 200
    business_hours: str = "00:00-24:00"
    timezone: str = "Asia/Shanghai"
    max_wait_seconds: int = 600
    agent_grace_seconds: int = 60
    heartbeat_timeout_seconds: int = 45
    auto_assign: bool = True
    ageing_seconds: int = 120
    default_handle_seconds: int = 180
    category_skills: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_SKILLS))
    agent_session_hours: int = 12
    ws_send_queue: int = 256
    sweep_interval: float = 1.0
    proxies_count: int = 0
    access_log: bool = False
    log_level: str = "INFO"
    profanity_lexicon: str = ""               # path; empty = lexicon/profanity.yml of this checkout

    domain_path: str = DEFAULT_DOMAIN_PATH              # Rasa domain: intents agents may tag
    training_data_dir: str = DEFAULT_TRAINING_DATA_DIR  # data/nlu: export-training writes here

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, check_secrets: bool = True,
                 **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        get = lambda name, default="": env.get(PREFIX + name, default)  # noqa: E731
        demo = _bool(get("DEMO_MODE", "false"), "DEMO_MODE")
        values: dict[str, Any] = {
            "database_url": async_database_url(get("DATABASE_URL") or cls.database_url),
            "db_schema": get("DB_SCHEMA").strip(),
            "db_pool_size": _int(get("DB_POOL_SIZE", "10"), "DB_POOL_SIZE", 1),
            "host": get("HOST", "127.0.0.1"),
            "port": _int(get("PORT", "8080"), "PORT", 0),
            "workers": _int(get("WORKERS", "1"), "WORKERS", 1),
            "rasa_url": get("RASA_URL", cls.rasa_url).rstrip("/"),
            "action_server_url": get("ACTION_SERVER_URL", cls.action_server_url).rstrip("/"),
            "rasa_token": get("RASA_TOKEN"),
            "action_token": get("ACTION_TOKEN"),
            "secret_key": get("SECRET_KEY"),
            "demo_mode": demo,
            "demo_password": get("DEMO_PASSWORD") or DEMO_PASSWORD,
            "allowed_origins": tuple(o.strip().rstrip("/") for o in get("ALLOWED_ORIGINS").split(",")
                                     if o.strip()),
            "redis_url": get("REDIS_URL").strip(),
            "rasa_timeout": _float(get("RASA_TIMEOUT", "8"), "RASA_TIMEOUT"),
            "max_message_chars": _int(get("MAX_MESSAGE_CHARS", "2000"), "MAX_MESSAGE_CHARS", 1),
            "max_body_bytes": _int(get("MAX_BODY_BYTES", str(64 * 1024)), "MAX_BODY_BYTES", 1024),
            "rate_conversation_per_min": _float(get("RATE_CONVERSATION_PER_MIN", "30"),
                                                "RATE_CONVERSATION_PER_MIN"),
            "rate_conversation_burst": _int(get("RATE_CONVERSATION_BURST", "10"),
                                            "RATE_CONVERSATION_BURST", 1),
            "rate_ip_per_min": _float(get("RATE_IP_PER_MIN", "600"), "RATE_IP_PER_MIN"),
            "rate_ip_burst": _int(get("RATE_IP_BURST", "200"), "RATE_IP_BURST", 1),
            "business_hours": get("BUSINESS_HOURS", cls.business_hours).strip(),
            "timezone": get("TIMEZONE", cls.timezone),
            "max_wait_seconds": _int(get("MAX_WAIT_SECONDS", "600"), "MAX_WAIT_SECONDS", 1),
            "agent_grace_seconds": _int(get("AGENT_GRACE_SECONDS", "60"), "AGENT_GRACE_SECONDS", 0),
            "heartbeat_timeout_seconds": _int(get("HEARTBEAT_TIMEOUT_SECONDS", "45"),
                                              "HEARTBEAT_TIMEOUT_SECONDS", 1),
            "auto_assign": _bool(get("AUTO_ASSIGN", "true"), "AUTO_ASSIGN"),
            "ageing_seconds": _int(get("AGEING_SECONDS", "120"), "AGEING_SECONDS", 1),
            "default_handle_seconds": _int(get("DEFAULT_HANDLE_SECONDS", "180"),
                                           "DEFAULT_HANDLE_SECONDS", 1),
            "category_skills": _category_skills(get("CATEGORY_SKILLS")),
            "agent_session_hours": _int(get("AGENT_SESSION_HOURS", "12"), "AGENT_SESSION_HOURS", 1),
            "ws_send_queue": _int(get("WS_SEND_QUEUE", "256"), "WS_SEND_QUEUE", 8),
            "sweep_interval": _float(get("SWEEP_INTERVAL", "1"), "SWEEP_INTERVAL"),
            "proxies_count": _int(get("PROXIES_COUNT", "0"), "PROXIES_COUNT", 0),
            "access_log": _bool(get("ACCESS_LOG", "false"), "ACCESS_LOG"),
            "log_level": get("LOG_LEVEL", "INFO").upper(),
            "profanity_lexicon": get("PROFANITY_LEXICON").strip(),
        }
        values["domain_path"] = get("DOMAIN_PATH").strip() or DEFAULT_DOMAIN_PATH
        values["training_data_dir"] = get("TRAINING_DATA_DIR").strip() or DEFAULT_TRAINING_DATA_DIR
        values.update(overrides)
        return cls(**values).validated(check_secrets=check_secrets)

    def validated(self, *, check_secrets: bool = True) -> Settings:
        """Check secrets and ranges; fill demo values in demo mode. Offline tools that serve
        nothing (`export-training`) pass check_secrets=False."""
        changes: dict[str, Any] = {}
        if self.demo_mode:
            if not self.secret_key:
                changes["secret_key"] = DEMO_SECRET_KEY
            if not self.action_token:
                changes["action_token"] = DEMO_ACTION_TOKEN
            if not self.allowed_origins:
                changes["allowed_origins"] = DEMO_ORIGINS
        elif check_secrets:
            bad = [name for name, value in (("JIELI_SECRET_KEY", self.secret_key),
                                            ("JIELI_ACTION_TOKEN", self.action_token))
                   if _is_placeholder(value)]
            if bad:
                raise ConfigError(
                    f"{' and '.join(bad)} must be set to a real secret of at least "
                    f"{MIN_SECRET_CHARS} characters (empty and placeholder values are refused "
                    "outside demo mode; set JIELI_DEMO_MODE=true for a local demo)")
        if self.rasa_timeout <= 0:
            raise ConfigError("JIELI_RASA_TIMEOUT must be positive")
        from .services.hours import BusinessHours  # validates the format and the timezone
        BusinessHours.parse(self.business_hours, self.timezone)
        return replace(self, **changes) if changes else self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def skill_for(self, category: str) -> str:
        return self.category_skills.get(category) or self.category_skills.get("其他", "general")


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{PREFIX}{name}: expected true or false, got {value!r}")


def _int(value: str, name: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}: expected an integer, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{PREFIX}{name}: must be at least {minimum}")
    return number


def _float(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}: expected a number, got {value!r}") from None


def _category_skills(value: str) -> dict[str, str]:
    """`物流:logistics,售后:after_sales,…` — categories missing from the list keep their default."""
    mapping = dict(DEFAULT_CATEGORY_SKILLS)
    for pair in filter(None, (p.strip() for p in value.split(","))):
        category, sep, skill = pair.partition(":")
        if not sep or not category.strip() or not skill.strip():
            raise ConfigError(f"JIELI_CATEGORY_SKILLS: expected category:skill pairs, got {pair!r}")
        mapping[category.strip()] = skill.strip()
    return mapping
