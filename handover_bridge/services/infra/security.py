"""Random ids and tokens, token hashes, and password hashing (argon2)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ...domain.errors import RateLimited

_hasher = PasswordHasher()
# argon2 takes 64 MiB and ~50 ms of a core per hash: at most two at a time, so that a burst of
# logins (a shift starting) neither balloons the process nor starves the relay of CPU.
PASSWORD_SLOTS = 2
_password_slots = threading.BoundedSemaphore(PASSWORD_SLOTS)  # taken in the worker thread: any event loop


async def _password_work(function, *args):
    def run():
        with _password_slots:
            return function(*args)

    return await asyncio.to_thread(run)


def new_conversation_id() -> str:
    return secrets.token_hex(16)  # 128 random bits


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(secret_key: str, token: str) -> str:
    """Keyed hash: a leaked database does not let anyone forge a working token."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


async def hash_password(password: str) -> str:
    return await _password_work(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await _password_work(check)


_dummy_hash: str | None = None


async def verify_unknown_user(password: str) -> bool:
    """Spend the same time as a real check when the username is unknown (no user probing)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = await hash_password(secrets.token_urlsafe(16))
    await verify_password(_dummy_hash, password)
    return False


class LoginGate:
    """Bounds the password work logins can cause in this process: PASSWORD_SLOTS checks run at
    once, at most `queue` more wait for a slot, and one client address holds at most
    `per_address` of these places. A login beyond that is refused at once (429 `login_busy`,
    Retry-After) rather than queued: a flood from one address cannot delay another address's
    login by more than the few checks already admitted, and the CPU spent stays bounded."""

    def __init__(self, queue: int, per_address: int, retry_after: float = 1.0):
        self.limit = PASSWORD_SLOTS + queue
        self.per_address = per_address
        self.retry_after = retry_after
        self.inside = 0
        self._by_address: dict[str, int] = {}

    @asynccontextmanager
    async def admit(self, address: str) -> AsyncIterator[None]:
        if self.inside >= self.limit or self._by_address.get(address, 0) >= self.per_address:
            raise RateLimited(
                "too many logins at once, please try again in a moment", retry_after=self.retry_after, code="login_busy"
            )
        self.inside += 1
        self._by_address[address] = self._by_address.get(address, 0) + 1
        try:
            yield
        finally:
            self.inside -= 1
            left = self._by_address[address] - 1
            if left:
                self._by_address[address] = left
            else:
                del self._by_address[address]
