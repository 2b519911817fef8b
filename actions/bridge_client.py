"""The handover bridge as the action server sees it: one call, POST {bridge}/api/handovers.

The body is `{"conversation_id", "reason", "category", "priority", "summary", "context"}`
(actions/handover_context.py builds it); the answer 201 (new) or 200 (`already: true`: the
conversation is already waiting or with an agent) `{"queue_position", "eta_seconds",
"agents_online", "ticket_offered", ...}`.

Bearer token (JIELI_ACTION_TOKEN), an `Idempotency-Key` header so a retried request queues the
customer once, a time-out per attempt (JIELI_BRIDGE_TIMEOUT) and one retry on network errors and
5xx answers. Anything but 200/201 with a JSON object raises `BridgeError`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from actions.settings import get_settings

logger = logging.getLogger(__name__)

HANDOVER_PATH = "/api/handovers"


class BridgeError(Exception):
    """The bridge could not queue the handover."""


@dataclass
class HandoverTicket:
    queue_position: int | None = None
    eta_seconds: int | None = None
    agents_online: int | None = None
    data: dict = field(default_factory=dict)

    @property
    def ticket_offered(self) -> bool:
        """The bridge offers the customer to leave a message (nobody online, after hours)."""
        return bool(self.data.get("ticket_offered"))


def _int(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else max(0, int(value))
    except (TypeError, ValueError):
        return None


class BridgeClient:
    def __init__(
        self,
        base_url: str,
        token: str = "",
        timeout: float = 3.0,
        retries: int = 1,
        retry_delay: float = 0.2,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.retry_delay = retry_delay
        self.session = session or requests.Session()

    def create_handover(self, context: dict, idempotency_key: str) -> HandoverTicket:
        url = self.base_url + HANDOVER_PATH
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": idempotency_key[:200],
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        last_error = "no attempt"
        for attempt in range(1 + max(0, self.retries)):
            if attempt:
                time.sleep(self.retry_delay)
            try:
                response = self.session.post(url, json=context, headers=headers, timeout=self.timeout)
            except requests.RequestException as error:
                last_error = f"{type(error).__name__}: {error}"
                logger.warning("handover POST %s failed (attempt %d): %s", url, attempt + 1, last_error)
                continue
            if response.status_code >= 500:
                last_error = f"HTTP {response.status_code}"
                logger.warning("handover POST %s: HTTP %d (attempt %d)", url, response.status_code, attempt + 1)
                continue
            if response.status_code not in (200, 201):
                raise BridgeError(f"bridge refused the handover: HTTP {response.status_code} {response.text[:200]}")
            try:
                body = response.json()
            except ValueError as error:
                raise BridgeError("bridge answered with something that is not JSON") from error
            if not isinstance(body, dict):
                raise BridgeError("bridge answered with unexpected JSON")
            return HandoverTicket(
                queue_position=_int(body.get("queue_position")),
                eta_seconds=_int(body.get("eta_seconds")),
                agents_online=_int(body.get("agents_online")),
                data=body,
            )
        raise BridgeError(f"bridge unreachable: {last_error}")

    def close(self) -> None:
        self.session.close()


def get_bridge_client() -> BridgeClient | None:
    """A client for the configured bridge, or None when JIELI_BRIDGE_URL is empty."""
    settings = get_settings()
    if not settings.bridge_url:
        return None
    return BridgeClient(settings.bridge_url, settings.action_token, settings.bridge_timeout)
