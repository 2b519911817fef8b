"""Settings: one frozen dataclass, read from `JIELI_*` environment variables.

Outside demo mode the bridge refuses to start with a weak secret (`JIELI_SECRET_KEY`,
`JIELI_ACTION_TOKEN`, and `JIELI_METRICS_TOKEN` and `JIELI_IDENTITY_SECRET` when set): empty, shorter than 32 characters,
placeholder-looking (changeme, your-secret-key-here, xxxx…), low in entropy, a repeated pattern or
a keyboard run, or equal to another secret (`JIELI_RASA_TOKEN` included). The error names the
setting and never echoes the value. In demo mode it uses fixed, clearly marked demo values so that a
restarted demo still accepts the tokens it handed out, and it listens on loopback only unless
`JIELI_DEMO_ALLOW_PUBLIC=true`.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import jieli_contract as contract

from .domain.hours import BusinessHours, InvalidHours
from .secret_strength import (
    DEMO_ACTION_TOKEN,
    DEMO_IDENTITY_SECRET,
    DEMO_SECRET_KEY,
    GENERATE_HINT,
    MIN_SECRET_CHARS,
    secret_problem,
)

__all__ = [
    "DEMO_ACTION_TOKEN",
    "DEMO_IDENTITY_SECRET",
    "DEMO_SECRET_KEY",
    "GENERATE_HINT",
    "MIN_SECRET_CHARS",
    "ConfigError",
    "Settings",
    "secret_problem",
]

PREFIX = "JIELI_"

DEMO_PASSWORD = "jieli-demo"
DEMO_AGENTS = ("agent1", "agent2")
DEMO_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
# The Rasa project the bridge learns into (review queue → `export-training`): its domain (the
# intents an agent can tag at close) and its NLU training data folder.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DOMAIN_PATH = os.path.join(PROJECT_ROOT, "domain.yml")
DEFAULT_TRAINING_DATA_DIR = os.path.join(PROJECT_ROOT, "data", "nlu")
# The NLU held-out test set: review never accepts a training example that is one of its texts.
DEFAULT_HELDOUT_PATH = os.path.join(PROJECT_ROOT, "tests", "nlu", "heldout.yml")

# 企业微信 微信客服 (docs/channels.md): the modes, and the demo's fixed values (demo mode only).
WECHAT_MODES = ("bot", "wecom_agents")
WECHAT_API_BASE = "https://qyapi.weixin.qq.com"
DEMO_WECHAT_SECRET = "jieli-demo-wechat-kf-secret--not-for-production"
DEMO_WECHAT_TOKEN = "JieliDemoWeChatToken000NotForPrd"  # 32 characters, as 企业微信 generates them
DEMO_WECHAT_AES_KEY = "JieliDemoEncodingAESKey0000000000NotForProd"  # 43 characters
# The documentation's sample EncodingAESKey: known to everyone, refused outside demo mode.
SAMPLE_WECHAT_AES_KEYS = frozenset({"jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"})

# The routing categories, their default skills and English aliases: jieli_contract's.
CATEGORIES, CATEGORY_ALIASES = contract.CATEGORIES, contract.CATEGORY_ALIASES
DEFAULT_CATEGORY_SKILLS = dict(contract.CATEGORY_SKILLS)
# what an agent reads when a cool-down starts (JIELI_ABUSE_COOLDOWN_NOTE sets the lead's own)
DEFAULT_COOLDOWN_NOTE = "辛苦了，喝口水歇一歇，这几分钟不会给你派新会话。"

LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")


class ConfigError(ValueError):
    """The environment does not describe a usable bridge."""


def async_database_url(url: str) -> str:
    """Accept the usual spellings and return an async SQLAlchemy URL."""
    url = url.strip()
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigError(
        f"JIELI_DATABASE_URL: unsupported database URL {url.split(':', 1)[0]!r} "
        "(use sqlite:///path or postgresql://user@host/db)"
    )


def rasa_urls_of(value: str) -> tuple[str, ...]:
    """JIELI_RASA_URL: one Rasa node's URL, or a comma list of several nodes that share one
    tracker store (each conversation goes to one of them: domain/rasa_routing.py). Every bridge
    must list the same URLs, in any order."""
    urls = tuple(u.strip().rstrip("/") for u in value.split(",") if u.strip())
    if not urls:
        raise ConfigError("JIELI_RASA_URL: give the URL of at least one Rasa node, like http://127.0.0.1:5005")
    for url in urls:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"JIELI_RASA_URL: expected http(s) URLs like http://127.0.0.1:5005, comma separated, got {url!r}"
            )
    if len(set(urls)) != len(urls):
        raise ConfigError("JIELI_RASA_URL: a Rasa node is listed twice")
    return urls


def is_loopback_host(host: str) -> bool:
    """127.0.0.1, ::1, localhost: reachable from this machine only. 0.0.0.0, "" and any other
    address or name are not."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _networks(value: str, name: str) -> tuple[str, ...]:
    """A comma list of addresses or networks (CIDR), checked; "none" = the empty list."""
    items = tuple(p.strip() for p in value.split(",") if p.strip())
    if [i.lower() for i in items] == ["none"]:
        return ()
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(
                f"{PREFIX}{name}: expected addresses or networks like 127.0.0.1, 10.0.0.0/8 or ::1, got {item!r}"
            ) from None
    return items


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///var/bridge.db"
    db_schema: str = ""  # PostgreSQL schema (search_path); empty = default
    db_pool_size: int = 10
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    rasa_url: str = "http://127.0.0.1:5005"  # one Rasa node, or a comma list of nodes (rasa_urls)
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_token: str = ""  # Rasa's --auth-token, if it runs with one
    action_token: str = ""
    secret_key: str = ""
    identity_secret: str = ""  # the shop's key for customer identity tokens; empty = all anonymous
    demo_mode: bool = False
    demo_password: str = DEMO_PASSWORD
    demo_allow_public: bool = False  # demo mode on a non-loopback interface (refused unless true)
    allowed_origins: tuple[str, ...] = ()
    redis_url: str = ""
    rasa_timeout: float = 8.0
    rasa_node_retry_seconds: float = 1.0  # a downed Rasa node is asked again after this, doubling up to 10 s
    max_message_chars: int = 2000
    max_body_bytes: int = 64 * 1024
    rate_conversation_per_min: float = 30.0
    rate_conversation_burst: int = 10
    rate_ip_per_min: float = 600.0
    rate_ip_burst: int = 200
    # login: per client address (any usernames), per address and username; argon2 work bounded
    rate_login_ip_per_min: float = 30.0
    rate_login_ip_burst: int = 20
    rate_login_user_per_min: float = 10.0
    rate_login_user_burst: int = 10
    login_queue: int = 8  # logins waiting for a password check (2 run at once); more → 429
    login_per_address: int = 2  # logins of one client address running or waiting
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
    # a customer token stops working after this long without activity in its conversation (401
    # conversation_expired; the widget offers a new conversation; nothing stored is removed)
    customer_idle_hours: float = 72.0
    ws_send_queue: int = 256
    sweep_interval: float = 1.0
    proxies_count: int = 0
    # /metrics: a bearer token and/or client addresses; default loopback only when no token is set
    metrics_token: str = ""
    metrics_allow: tuple[str, ...] = LOOPBACK_NETWORKS
    metrics_cache_seconds: float = 5.0  # store-derived figures are recomputed at most this often
    access_log: bool = False
    log_level: str = "INFO"
    profanity_lexicon: str = ""  # path; empty = lexicon/profanity.yml of this checkout
    # agents' suggested replies (services/assist/): the shop's files (the bot's), what counts as a
    # well-rated past answer, how often the past answers are looked at again
    policy_path: str = os.path.join(PROJECT_ROOT, "shop", "policy.yml")
    manuals_path: str = os.path.join(PROJECT_ROOT, "shop", "manuals.yml")
    assist_min_rating: int = 4
    assist_refresh_seconds: float = 30.0
    # protecting agents (docs/agents.md): after a chat with abusive customer messages the agent gets
    # no auto-assigned chat for this long, and this note (0 = no cool-down)
    abuse_cooldown_seconds: int = 300
    abuse_cooldown_note: str = DEFAULT_COOLDOWN_NOTE

    domain_path: str = DEFAULT_DOMAIN_PATH  # Rasa domain: intents agents may tag
    training_data_dir: str = DEFAULT_TRAINING_DATA_DIR  # data/nlu: export-training writes here
    heldout_path: str = DEFAULT_HELDOUT_PATH  # NLU held-out set: never exported as training
    # 企业微信 微信客服 (services/channels/wechat, docs/channels.md); no corp id = the channel is off
    wechat_corp_id: str = ""
    wechat_secret: str = ""  # the 微信客服 secret (access tokens)
    wechat_token: str = ""  # the callback's Token (signatures)
    wechat_aes_key: str = ""  # the callback's EncodingAESKey (43 characters)
    wechat_api_base: str = WECHAT_API_BASE
    wechat_mode: str = "bot"  # bot: Jieli's bot and agents serve (state 1); wecom_agents: hand over to 企业微信's
    wechat_servicer: str = ""  # wecom_agents: the 接待人员 userid to hand over to (empty: the pool, state 2)
    wechat_callback_max_age: int = 300  # seconds a callback's timestamp may be old (replays are refused)
    wechat_lease_seconds: float = 20.0  # a process that died while syncing/delivering holds it this long

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, check_secrets: bool = True, **overrides: Any
    ) -> Settings:
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
            "rasa_url": ",".join(rasa_urls_of(get("RASA_URL", cls.rasa_url))),
            "action_server_url": get("ACTION_SERVER_URL", cls.action_server_url).rstrip("/"),
            "rasa_token": get("RASA_TOKEN"),
            "action_token": get("ACTION_TOKEN"),
            "secret_key": get("SECRET_KEY"),
            "identity_secret": get("IDENTITY_SECRET").strip(),
            "demo_mode": demo,
            "demo_password": get("DEMO_PASSWORD") or DEMO_PASSWORD,
            "demo_allow_public": _bool(get("DEMO_ALLOW_PUBLIC", "false"), "DEMO_ALLOW_PUBLIC"),
            "allowed_origins": tuple(o.strip().rstrip("/") for o in get("ALLOWED_ORIGINS").split(",") if o.strip()),
            "redis_url": get("REDIS_URL").strip(),
            "rasa_timeout": _float(get("RASA_TIMEOUT", "8"), "RASA_TIMEOUT"),
            "rasa_node_retry_seconds": _float(get("RASA_NODE_RETRY_SECONDS", "1"), "RASA_NODE_RETRY_SECONDS"),
            "max_message_chars": _int(get("MAX_MESSAGE_CHARS", "2000"), "MAX_MESSAGE_CHARS", 1),
            "max_body_bytes": _int(get("MAX_BODY_BYTES", str(64 * 1024)), "MAX_BODY_BYTES", 1024),
            "rate_conversation_per_min": _float(get("RATE_CONVERSATION_PER_MIN", "30"), "RATE_CONVERSATION_PER_MIN"),
            "rate_conversation_burst": _int(get("RATE_CONVERSATION_BURST", "10"), "RATE_CONVERSATION_BURST", 1),
            "rate_ip_per_min": _float(get("RATE_IP_PER_MIN", "600"), "RATE_IP_PER_MIN"),
            "rate_ip_burst": _int(get("RATE_IP_BURST", "200"), "RATE_IP_BURST", 1),
            "rate_login_ip_per_min": _float(get("RATE_LOGIN_IP_PER_MIN", "30"), "RATE_LOGIN_IP_PER_MIN"),
            "rate_login_ip_burst": _int(get("RATE_LOGIN_IP_BURST", "20"), "RATE_LOGIN_IP_BURST", 1),
            "rate_login_user_per_min": _float(get("RATE_LOGIN_USER_PER_MIN", "10"), "RATE_LOGIN_USER_PER_MIN"),
            "rate_login_user_burst": _int(get("RATE_LOGIN_USER_BURST", "10"), "RATE_LOGIN_USER_BURST", 1),
            "login_queue": _int(get("LOGIN_QUEUE", "8"), "LOGIN_QUEUE", 0),
            "login_per_address": _int(get("LOGIN_PER_ADDRESS", "2"), "LOGIN_PER_ADDRESS", 1),
            "business_hours": get("BUSINESS_HOURS", cls.business_hours).strip(),
            "timezone": get("TIMEZONE", cls.timezone),
            "max_wait_seconds": _int(get("MAX_WAIT_SECONDS", "600"), "MAX_WAIT_SECONDS", 1),
            "agent_grace_seconds": _int(get("AGENT_GRACE_SECONDS", "60"), "AGENT_GRACE_SECONDS", 0),
            "heartbeat_timeout_seconds": _int(get("HEARTBEAT_TIMEOUT_SECONDS", "45"), "HEARTBEAT_TIMEOUT_SECONDS", 1),
            "auto_assign": _bool(get("AUTO_ASSIGN", "true"), "AUTO_ASSIGN"),
            "ageing_seconds": _int(get("AGEING_SECONDS", "120"), "AGEING_SECONDS", 1),
            "default_handle_seconds": _int(get("DEFAULT_HANDLE_SECONDS", "180"), "DEFAULT_HANDLE_SECONDS", 1),
            "category_skills": _category_skills(get("CATEGORY_SKILLS")),
            "agent_session_hours": _int(get("AGENT_SESSION_HOURS", "12"), "AGENT_SESSION_HOURS", 1),
            "customer_idle_hours": _float(get("CUSTOMER_IDLE_HOURS", "72"), "CUSTOMER_IDLE_HOURS"),
            "ws_send_queue": _int(get("WS_SEND_QUEUE", "256"), "WS_SEND_QUEUE", 8),
            "sweep_interval": _float(get("SWEEP_INTERVAL", "1"), "SWEEP_INTERVAL"),
            "proxies_count": _int(get("PROXIES_COUNT", "0"), "PROXIES_COUNT", 0),
            "metrics_token": get("METRICS_TOKEN").strip(),
            "metrics_cache_seconds": _float(get("METRICS_CACHE_SECONDS", "5"), "METRICS_CACHE_SECONDS"),
            "access_log": _bool(get("ACCESS_LOG", "false"), "ACCESS_LOG"),
            "log_level": get("LOG_LEVEL", "INFO").upper(),
            "profanity_lexicon": get("PROFANITY_LEXICON").strip(),
            "policy_path": get("POLICY_PATH").strip() or cls.policy_path,
            "manuals_path": get("MANUALS_PATH").strip() or cls.manuals_path,
            "assist_min_rating": _int(get("ASSIST_MIN_RATING", "4"), "ASSIST_MIN_RATING", 1),
            "assist_refresh_seconds": _float(get("ASSIST_REFRESH_SECONDS", "30"), "ASSIST_REFRESH_SECONDS"),
            "abuse_cooldown_seconds": _int(get("ABUSE_COOLDOWN_SECONDS", "300"), "ABUSE_COOLDOWN_SECONDS", 0),
            "abuse_cooldown_note": get("ABUSE_COOLDOWN_NOTE").strip() or DEFAULT_COOLDOWN_NOTE,
        }
        # /metrics addresses: as set, else loopback without a token and none (token only) with one
        allow = get("METRICS_ALLOW").strip()
        values["metrics_allow"] = (
            _networks(allow, "METRICS_ALLOW") if allow else () if values["metrics_token"] else LOOPBACK_NETWORKS
        )
        values["domain_path"] = get("DOMAIN_PATH").strip() or DEFAULT_DOMAIN_PATH
        values["training_data_dir"] = get("TRAINING_DATA_DIR").strip() or DEFAULT_TRAINING_DATA_DIR
        values["heldout_path"] = get("HELDOUT_PATH").strip() or DEFAULT_HELDOUT_PATH
        values.update(
            wechat_corp_id=get("WECHAT_CORP_ID").strip(),
            wechat_secret=get("WECHAT_SECRET").strip(),
            wechat_token=get("WECHAT_TOKEN").strip(),
            wechat_aes_key=get("WECHAT_AES_KEY").strip(),
            wechat_api_base=(get("WECHAT_API_BASE").strip() or WECHAT_API_BASE).rstrip("/"),
            wechat_mode=get("WECHAT_MODE", "bot").strip() or "bot",
            wechat_servicer=get("WECHAT_SERVICER").strip(),
            wechat_callback_max_age=_int(get("WECHAT_CALLBACK_MAX_AGE", "300"), "WECHAT_CALLBACK_MAX_AGE", 1),
            wechat_lease_seconds=_float(get("WECHAT_LEASE_SECONDS", "20"), "WECHAT_LEASE_SECONDS"),
        )
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
            if not self.identity_secret:
                changes["identity_secret"] = DEMO_IDENTITY_SECRET
            if not self.allowed_origins:
                changes["allowed_origins"] = DEMO_ORIGINS
            if self.wechat_corp_id:
                changes["wechat_secret"] = self.wechat_secret or DEMO_WECHAT_SECRET
                changes["wechat_token"] = self.wechat_token or DEMO_WECHAT_TOKEN
                changes["wechat_aes_key"] = self.wechat_aes_key or DEMO_WECHAT_AES_KEY
        elif check_secrets:
            self.check_secrets()
            self.check_wechat()
        self.check_wechat_shape({**self.__dict__, **changes})
        self.check_host()
        if self.assist_refresh_seconds < 0:
            raise ConfigError("JIELI_ASSIST_REFRESH_SECONDS must not be negative")
        if self.metrics_cache_seconds < 0:
            raise ConfigError("JIELI_METRICS_CACHE_SECONDS must not be negative")
        if self.rasa_timeout <= 0:
            raise ConfigError("JIELI_RASA_TIMEOUT must be positive")
        if not (math.isfinite(self.rasa_node_retry_seconds) and self.rasa_node_retry_seconds > 0):
            raise ConfigError("JIELI_RASA_NODE_RETRY_SECONDS must be a positive number of seconds")
        rasa_urls_of(self.rasa_url)
        if not (math.isfinite(self.customer_idle_hours) and self.customer_idle_hours > 0):
            raise ConfigError("JIELI_CUSTOMER_IDLE_HOURS must be a positive number of hours")
        try:  # the format and the time zone
            BusinessHours.parse(self.business_hours, self.timezone)
        except InvalidHours as error:
            raise ConfigError(str(error)) from None
        return replace(self, **changes) if changes else self

    def check_secrets(self) -> None:
        """Outside demo mode: every secret strong, and no two the same (ConfigError naming them)."""
        named = [("JIELI_SECRET_KEY", self.secret_key), ("JIELI_ACTION_TOKEN", self.action_token)]
        if self.metrics_token:
            named.append(("JIELI_METRICS_TOKEN", self.metrics_token))
        if self.identity_secret:
            named.append(("JIELI_IDENTITY_SECRET", self.identity_secret))
        if self.rasa_token:  # Rasa's --auth-token guards every tracker: as strong as the others
            named.append(("JIELI_RASA_TOKEN", self.rasa_token))
        problems = [f"{name} {why}" for name, value in named if (why := secret_problem(value))]
        others = named
        seen: dict[str, str] = {}
        for name, value in others:
            if value.strip() and value.strip() in seen:
                problems.append(
                    f"{seen[value.strip()]} and {name} are the same value (use a different secret for each)"
                )
            seen.setdefault(value.strip(), name)
        if problems:
            raise ConfigError(
                "; ".join(problems) + f". Outside demo mode every secret must be at least {MIN_SECRET_CHARS} "
                f"random characters and differ from the others: generate one with {GENERATE_HINT} "
                "(set JIELI_DEMO_MODE=true for a local demo)"
            )

    def check_wechat(self) -> None:
        """Outside demo mode, with the WeChat channel on: its secrets strong (never the
        documentation's sample values), the callback Token as 企业微信's 随机获取 makes it."""
        if not self.wechat_corp_id:
            return
        problems = []
        for name, value in (("JIELI_WECHAT_SECRET", self.wechat_secret), ("JIELI_WECHAT_AES_KEY", self.wechat_aes_key)):
            if why := secret_problem(value):
                problems.append(f"{name} {why}")
        if self.wechat_aes_key in SAMPLE_WECHAT_AES_KEYS:
            problems.append("JIELI_WECHAT_AES_KEY is the documentation's sample key")
        if why := secret_problem(self.wechat_token):
            problems.append(f"JIELI_WECHAT_TOKEN {why} (企业微信's 随机获取 makes a 32-character one)")
        if problems:
            raise ConfigError("; ".join(problems) + ". Copy the values 企业微信's admin console generated")

    @staticmethod
    def check_wechat_shape(values: dict[str, Any]) -> None:
        if not values["wechat_corp_id"]:
            return
        if values["wechat_mode"] not in WECHAT_MODES:
            raise ConfigError(f"JIELI_WECHAT_MODE: expected one of {', '.join(WECHAT_MODES)}")
        key = values["wechat_aes_key"]
        if len(key) != 43 or not key.isalnum():
            raise ConfigError("JIELI_WECHAT_AES_KEY must be the 43 letters and digits of the EncodingAESKey")
        token = values["wechat_token"]
        if not (3 <= len(token) <= 32 and token.isalnum()):
            raise ConfigError("JIELI_WECHAT_TOKEN must be 3–32 letters or digits, as 企业微信 sets it")
        if not values["wechat_secret"]:
            raise ConfigError("JIELI_WECHAT_SECRET is empty")
        parts = urlsplit(values["wechat_api_base"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("JIELI_WECHAT_API_BASE must be an http(s) URL")

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_corp_id)

    def check_host(self) -> None:
        """Demo mode (fixed secrets, a known password) listens on loopback only unless
        JIELI_DEMO_ALLOW_PUBLIC=true. `--host` is checked too (__main__ calls this again)."""
        if self.demo_mode and not self.demo_allow_public and not is_loopback_host(self.host):
            raise ConfigError(
                f"JIELI_HOST {self.host or '(all interfaces)'!r} is not a loopback address: demo mode "
                "(fixed secrets, the known demo password) listens on 127.0.0.1, ::1 or localhost only. "
                "Use JIELI_HOST=127.0.0.1, or set JIELI_DEMO_ALLOW_PUBLIC=true if you really mean to "
                "show the demo on a network"
            )

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """The Rasa nodes: JIELI_RASA_URL's comma list (one URL = one node, as always)."""
        return rasa_urls_of(self.rasa_url)

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
