"""Verified customer identity: the shop's signed token in, the bridge's own signed token out.

A shop's backend signs its logged-in customer as a JWT (HS256, the per-shop secret
`JIELI_IDENTITY_SECRET`; claims `sub` = customer id, `exp`, `iat`, optional `tier`, `name`,
`phone_last4`). The widget passes it on (`identity_token`); `verify` checks it — algorithm pinned
to HS256, `exp` and `sub` required, at most 24 hours of validity, 30 s of clock leeway — and turns
it into the identity record the conversation's metadata keeps under "identity":

    {"verified": true, "customer_id": sub, "tier": tier or null, "name": name or null,
     "phone_last4": "1234" or null}                      (anonymous: {"verified": false})

Everything else in the widget's metadata (customer_id, tier, order amounts …) is what the customer's
browser claims ("顾客自述"): kept and shown as such, never trusted.

On every bot turn the bridge tells the action server who the customer is with a token of its own
(`rasa_metadata`): `jieli_identity`, HS256 with `JIELI_ACTION_TOKEN`, claims iss "jieli-bridge",
aud "jieli-actions", sub, tier, cid (the conversation id), iat, exp = iat + 600. Whatever the
widget put under `jieli_identity` is dropped.

Pure functions over settings values: no Sanic, no store.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any

import jwt

from .errors import Invalid

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
MAX_LIFETIME_SECONDS = 24 * 3600
MAX_TOKEN_CHARS = 4096
MAX_CUSTOMER_ID_CHARS = 128
MAX_TIER_CHARS = 32
MAX_NAME_CHARS = 64

RASA_ISSUER = "jieli-bridge"
RASA_AUDIENCE = "jieli-actions"
RASA_TOKEN_SECONDS = 600
RASA_KEY = "jieli_identity"
METADATA_KEY = "identity"
# Keys of the conversation metadata only the bridge writes: a widget's value is dropped.
RESERVED_KEYS = (METADATA_KEY, RASA_KEY)

ANONYMOUS: dict[str, Any] = {"verified": False}
_PHONE_LAST4 = re.compile(r"^[0-9]{4}$")


class IdentityRefused(Invalid):
    """The identity token is not one this bridge accepts (bad signature, expired, malformed …).
    `reason` says why, for the log; the message says it to the caller."""

    status, code = 400, "invalid_identity"

    def __init__(self, message: str, reason: str, code: str | None = None):
        super().__init__(message, code)
        self.reason = reason


class IdentityNotConfigured(IdentityRefused):
    status, code = 400, "identity_not_configured"


@dataclass(frozen=True)
class Identity:
    customer_id: str
    tier: str | None = None
    name: str | None = None
    phone_last4: str | None = None

    def record(self) -> dict[str, Any]:
        """What the conversation's metadata keeps under "identity"."""
        return {
            "verified": True,
            "customer_id": self.customer_id,
            "tier": self.tier,
            "name": self.name,
            "phone_last4": self.phone_last4,
        }


def _refuse(reason: str, message: str = "登录信息无效或已过期，请重新登录后再试。") -> IdentityRefused:
    return IdentityRefused(message, reason)


def verify(token: Any, secret: str, *, now: float | None = None) -> Identity:
    """The shop's identity token → Identity, or IdentityRefused (IdentityNotConfigured when this
    bridge has no identity secret). Never returns for a token it did not fully check."""
    if not isinstance(token, str) or not token.strip():
        raise _refuse("not_a_string", "identity_token must be a non-empty string")
    if len(token) > MAX_TOKEN_CHARS:
        raise _refuse("too_long", f"identity_token is longer than {MAX_TOKEN_CHARS} characters")
    if not secret:
        raise IdentityNotConfigured(
            "这个客服入口还没有开通登录身份验证，请联系店铺。(the bridge has no JIELI_IDENTITY_SECRET)",
            "not_configured",
        )
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _refuse("malformed") from None
    if header.get("alg") != ALGORITHM:
        raise _refuse(f"algorithm {str(header.get('alg'))[:16]!r} refused")
    moment = time.time() if now is None else now
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["sub", "exp"],
                "verify_aud": False,
                "verify_iat": False,
                "verify_exp": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise _refuse("bad_signature") from None
    except jwt.MissingRequiredClaimError as error:
        raise _refuse(f"missing_{error.claim}") from None
    except jwt.PyJWTError as error:
        raise _refuse(type(error).__name__) from None
    _check_times(claims, moment)
    return Identity(
        customer_id=_customer_id(claims.get("sub")),
        tier=_optional(claims, "tier", MAX_TIER_CHARS),
        name=_optional(claims, "name", MAX_NAME_CHARS),
        phone_last4=_phone_last4(claims.get("phone_last4")),
    )


def _check_times(claims: dict[str, Any], now: float) -> None:
    """exp in the future (30 s leeway), iat (when given) not in the future, and at most 24 h of
    validity: exp − iat, and exp − now, each ≤ 24 h (+ leeway)."""
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    for name, value in (("exp", exp), ("iat", iat), ("nbf", nbf)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
        ):
            raise _refuse(f"{name}_not_a_number")
    if exp + LEEWAY_SECONDS <= now:
        raise _refuse("expired", "登录已过期，请刷新页面重新登录。")
    if iat is not None and iat > now + LEEWAY_SECONDS:
        raise _refuse("issued_in_the_future")
    if nbf is not None and nbf > now + LEEWAY_SECONDS:
        raise _refuse("not_yet_valid")
    if exp - now > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS or (iat is not None and exp - iat > MAX_LIFETIME_SECONDS):
        raise _refuse("lifetime_over_24h", "identity_token may be valid for at most 24 hours (exp − iat)")


def _customer_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CUSTOMER_ID_CHARS:
        raise _refuse(
            "bad_sub", f"identity_token's sub must be the customer id, a string of 1–{MAX_CUSTOMER_ID_CHARS} characters"
        )
    return value.strip()


def _optional(claims: dict[str, Any], name: str, limit: int) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _refuse(f"bad_{name}", f"identity_token's {name} must be a string of at most {limit} characters")
    return value.strip() or None


def _phone_last4(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _PHONE_LAST4.match(value):
        raise _refuse("bad_phone_last4", "identity_token's phone_last4 must be four digits as a string")
    return value


# ---- signing, as a shop's backend does (the demo shop, tests, docs/security.md) -------------------

# The demo shop's customers (`make demo`: the "模拟登录" control on /shop/ signs one of them).
DEMO_CUSTOMERS: dict[str, dict[str, str | None]] = {
    "C1001": {"name": "王女士", "tier": "vip", "phone_last4": "1111"},
    "C1002": {"name": "林先生", "tier": None, "phone_last4": "2222"},
}


def shop_token(
    secret: str,
    customer_id: str,
    *,
    tier: str | None = None,
    name: str | None = None,
    phone_last4: str | None = None,
    lifetime: int = 3600,
    now: float | None = None,
) -> str:
    """An identity token as the shop's backend signs it for its logged-in customer."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"sub": customer_id, "iat": issued, "exp": issued + lifetime}
    claims.update({k: v for k, v in (("tier", tier), ("name", name), ("phone_last4", phone_last4)) if v})
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# ---- the stored record --------------------------------------------------------------------------


def verified(metadata: Any) -> dict[str, Any] | None:
    """The verified identity record of a conversation's metadata, or None (anonymous)."""
    record = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    if isinstance(record, dict) and record.get("verified") is True and isinstance(record.get("customer_id"), str):
        return record
    return None


def with_identity(metadata: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """The widget's metadata as it came, without the keys only the bridge writes, plus the
    identity record (anonymous when None)."""
    clean = {key: value for key, value in metadata.items() if key not in RESERVED_KEYS}
    clean[METADATA_KEY] = dict(record) if record else dict(ANONYMOUS)
    return clean


# ---- bridge → Rasa → action server ----------------------------------------------------------------


def rasa_token(record: dict[str, Any], conversation_id: str, action_token: str, *, now: float | None = None) -> str:
    """The per-turn `jieli_identity` token for the action server (signed with JIELI_ACTION_TOKEN)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": RASA_ISSUER,
        "aud": RASA_AUDIENCE,
        "sub": record["customer_id"],
        "tier": record.get("tier") or None,
        "cid": conversation_id,
        "iat": issued,
        "exp": issued + RASA_TOKEN_SECONDS,
    }
    return jwt.encode(claims, action_token, algorithm=ALGORITHM)


def rasa_metadata(metadata: dict[str, Any] | None, conversation_id: str, action_token: str) -> dict[str, Any]:
    """The message metadata Rasa gets on a bot turn: the conversation's metadata without anything
    a client put under `jieli_identity`, plus the bridge's own `jieli_identity` when the customer
    is verified."""
    out = {key: value for key, value in (metadata or {}).items() if key != RASA_KEY}
    record = verified(metadata)
    if record is not None and action_token:
        out[RASA_KEY] = rasa_token(record, conversation_id, action_token)
    return out
