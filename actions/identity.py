"""Who the customer is, as far as the action server can trust it (the identity contract, point 4).

The bridge verifies the shop's signed customer and, on every turn of a verified customer, puts
into the message metadata ``jieli_identity``: a JWT (HS256) signed with ``JIELI_ACTION_TOKEN``,
claims ``{"iss": "jieli-bridge", "aud": "jieli-actions", "sub": customer_id, "tier": tier|null,
"cid": conversation_id, "iat", "exp"}``. `verified_customer` checks the signature, issuer,
audience, expiry and that ``cid`` is this conversation; only then is the customer verified.

Everything else in the metadata (``customer_id``, ``tier``, ``identity`` …) is what the widget
claimed: `claimed_identity` returns it for the agent to see as "顾客自述", never as identity.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from rasa_sdk import Tracker

from actions.settings import get_settings

logger = logging.getLogger(__name__)

METADATA_KEY = "jieli_identity"
ISSUER = "jieli-bridge"
AUDIENCE = "jieli-actions"
ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
MAX_TOKEN_CHARS = 4096
# widget metadata that looks like identity but is only claimed
CLAIMED_KEYS = ("customer_id", "tier", "name", "phone_last4")


@dataclass(frozen=True)
class VerifiedCustomer:
    customer_id: str
    tier: str | None = None


def latest_metadata(tracker: Tracker) -> Mapping[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def verify_token(token: Any, conversation_id: str, secret: str) -> VerifiedCustomer | None:
    """The customer a `jieli_identity` token vouches for, or None (bad, expired, for another
    conversation, or no secret configured)."""
    if not secret or not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        logger.warning("conversation %s: jieli_identity refused (%s)", conversation_id, error)
        return None
    subject, cid, tier = claims.get("sub"), claims.get("cid"), claims.get("tier")
    if not isinstance(subject, str) or not subject.strip():
        return None
    if not isinstance(cid, str) or cid != conversation_id:
        logger.warning("conversation %s: jieli_identity is for another conversation", conversation_id)
        return None
    return VerifiedCustomer(customer_id=subject.strip(), tier=tier if isinstance(tier, str) and tier else None)


def verified_customer(tracker: Tracker) -> VerifiedCustomer | None:
    """The verified customer of the latest message, or None (anonymous)."""
    token = latest_metadata(tracker).get(METADATA_KEY)
    if token is None:
        return None
    secret = get_settings().action_token
    if not secret:
        logger.warning("a jieli_identity came but JIELI_ACTION_TOKEN is not set: the customer stays anonymous")
        return None
    return verify_token(token, tracker.sender_id, secret)


def claimed_identity(metadata: Mapping[str, Any]) -> dict:
    """What the widget said about the customer, unverified (shown as 顾客自述)."""
    return {
        key: metadata[key]
        for key in CLAIMED_KEYS
        if isinstance(metadata.get(key), (str, int)) and str(metadata[key]).strip()
    }
