"""The callback crypto against the 企业微信 documentation's own sample values (加解密方案说明):
token QDG6eK, EncodingAESKey jWmYm7qr…, CorpID wx5823bf96d3bd56c7; its URL-verification and its
POST example. The POST sample's padding is 30 bytes: a 16-byte PKCS#7 unpadder refuses it."""

from __future__ import annotations

import base64

import pytest

from handover_bridge.services.channels.wechat.crypto import CryptoError, MsgCrypt, pad, unpad

TOKEN, KEY, CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
VERIFY = (
    "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "1409659589",
    "263014780",
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
)
POST_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sY"
    "YvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJY"
    "uR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUc"
    "allcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA"
    "5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
POST = ("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", POST_ENCRYPT)


def crypt(corp: str = CORP) -> MsgCrypt:
    return MsgCrypt(TOKEN, KEY, corp)


def test_the_documented_url_verification():
    assert crypt().verify_and_decrypt(*VERIFY) == "1616140317555161061"


def test_the_documented_post_example_decrypts_with_32_byte_padding():
    message = crypt().verify_and_decrypt(*POST)
    assert "<Content><![CDATA[hello]]></Content>" in message
    assert "<MsgId>4561255354251345929</MsgId>" in message
    cipher = crypt()._cipher().decryptor()
    raw = cipher.update(base64.b64decode(POST_ENCRYPT)) + cipher.finalize()
    assert raw[-1] == 30  # more than a 16-byte block: the 32-byte padding is needed


def test_a_bad_signature_a_wrong_corp_and_tampering_are_refused():
    with pytest.raises(CryptoError) as raised:
        crypt().verify_and_decrypt("0" * 40, *POST[1:])
    assert raised.value.code == "bad_signature"
    with pytest.raises(CryptoError) as raised:
        crypt("wwsomeoneelse").verify_and_decrypt(*POST)
    assert raised.value.code == "bad_receiver"
    tampered = POST_ENCRYPT[:-8] + "AAAAAAA="
    with pytest.raises(CryptoError):
        crypt().decrypt(tampered)


def test_round_trip_and_padding_sizes():
    c = crypt()
    for text in ["", "x", "你好" * 7, "a" * 31, "b" * 32, "c" * 1000]:
        assert c.decrypt(c.encrypt(text)) == text
    for n in range(0, 70):
        padded = pad(b"z" * n)
        assert len(padded) % 32 == 0 and 1 <= len(padded) - n <= 32 and unpad(padded) == b"z" * n
