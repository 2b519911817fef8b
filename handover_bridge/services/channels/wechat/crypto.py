"""企业微信's callback crypto (加解密方案): signatures, AES-256-CBC with PKCS#7 padding to 32-byte
blocks, the random/length/message/receiver layout. Pure functions, no I/O.

- signature = sha1 over the sorted, concatenated token, timestamp, nonce and ciphertext (hex);
- key = base64(EncodingAESKey + "="), 32 bytes; IV = the key's first 16 bytes;
- plaintext = 16 random bytes + the message's length (4 bytes, big-endian) + the message + the
  receiver id (the CorpID for 微信客服), padded with PKCS#7 to a multiple of **32** bytes (a
  library that insists on 16-byte padding refuses valid callbacks whose pad is 17–32 bytes).

Checked against the documentation's own sample values in tests/wechat/test_crypto.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CryptoError(ValueError):
    """A callback that is not what 企业微信 sends: bad signature, bad ciphertext, wrong receiver."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as error:
        raise ValueError("EncodingAESKey is not base64") from error
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def pad(data: bytes) -> bytes:
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("bad_padding", "empty plaintext")
    amount = data[-1]
    if amount < 1 or amount > BLOCK or amount > len(data) or data[-amount:] != bytes([amount]) * amount:
        raise CryptoError("bad_padding", "bad PKCS#7 padding")
    return data[:-amount]


class MsgCrypt:
    """One account's callback crypto: token, EncodingAESKey, receiver id (CorpID)."""

    def __init__(self, token: str, encoding_aes_key: str, receiver_id: str):
        self.token = token
        self.key = aes_key(encoding_aes_key)
        self.receiver_id = receiver_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise CryptoError("bad_signature", "msg_signature does not match")

    def decrypt(self, encrypted: str) -> str:
        """The message of a ciphertext (base64); the receiver id must be ours."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as error:
            raise CryptoError("bad_ciphertext", "ciphertext is not base64") from error
        if not raw or len(raw) % 16:
            raise CryptoError("bad_ciphertext", "ciphertext is not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("bad_ciphertext", "plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError("bad_ciphertext", "message length out of range")
        message, receiver = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receiver, self.receiver_id.encode()):
            raise CryptoError("bad_receiver", "the message is for another CorpID")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CryptoError("bad_ciphertext", "message is not UTF-8") from error

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        random16 = os.urandom(16) if random16 is None else random16
        body = message.encode("utf-8")
        plain = random16 + struct.pack(">I", len(body)) + body + self.receiver_id.encode()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(pad(plain)) + encryptor.finalize()).decode()

    def verify_and_decrypt(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        self.check_signature(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)
