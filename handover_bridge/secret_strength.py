"""How strong a secret is: the rule the bridge's settings (config.py) and the action server
(actions/server.py) both apply. `secret_problem(value)` names what is wrong with a secret, or None.

A secret must be at least MIN_SECRET_CHARS characters, not a placeholder (changeme,
your-secret-key-here, xxxx…), not low in entropy, a repeated pattern or a keyboard run.
"""

from __future__ import annotations

import math
import re

# The demo mode's fixed values (config.py): never good enough outside demo mode.
DEMO_SECRET_KEY = "jieli-demo-secret-key--not-for-production"
DEMO_ACTION_TOKEN = "jieli-demo-action-token--not-for-production"
DEMO_IDENTITY_SECRET = "jieli-demo-identity-secret--not-for-production"

_PLACEHOLDERS = {
    "",
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "password",
    "placeholder",
    "todo",
    "xxx",
    "none",
    "null",
    "demo",
    "test",
    "token",
    "your-secret-key",
    "your-token",
    DEMO_SECRET_KEY,
    DEMO_ACTION_TOKEN,
    DEMO_IDENTITY_SECRET,
}
# Words a made-up secret is built from ("your-secret-key-here", "changeme-changeme", "a-real-token-123"):
# a secret that is these, runs and repeated characters but for fewer than 16 letters or digits is a
# placeholder (secret_problem).
_PLACEHOLDER_WORDS = frozenset(
    """
    a an the my your our this that is it its me here there change changeme replace insert put set
    secret secrets key keys token tokens password passwords passwd pass pwd passphrase code value string
    test tests testing demo example examples sample placeholder todo fixme default dummy fake mock temp tmp
    none null nil empty foo bar baz qux hello world admin root user login api auth bearer jwt session cookie
    jieli bridge action actions metrics rasa app application server service prod production staging dev
    develop development local localhost not for only use do very super long random real strong good new
    please generate generated some one two three abc xyz qwerty letmein welcome s3cr3t p4ssw0rd
""".split()
)
_KEYBOARD_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm")
MIN_SECRET_CHARS = 32
MIN_SECRET_BITS = 80  # Shannon estimate over the characters; 32 random hex digits give 100–120
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def _segments(word: str) -> bool:
    """True when `word` is a placeholder word or made of several of at least three letters
    ("yoursecretkeyhere")."""
    if word in _PLACEHOLDER_WORDS:
        return True
    reachable = [True] + [False] * len(word)
    for end in range(3, len(word) + 1):
        reachable[end] = any(
            reachable[start] and word[start:end] in _PLACEHOLDER_WORDS for start in range(max(0, end - 12), end - 2)
        )
    return reachable[-1]


def _runs(value: str) -> float:
    """The share of neighbouring characters that follow each other on the keyboard or in the
    alphabet (either way), or repeat."""
    text = value.lower()
    pairs = list(zip(text, text[1:]))
    if not pairs:
        return 1.0
    steps = {pair for run in _KEYBOARD_RUNS for pair in zip(run, run[1:])}
    return sum(1 for a, b in pairs if a == b or (a, b) in steps or (b, a) in steps) / len(pairs)


def secret_problem(value: str) -> str | None:
    """Why `value` is not a usable secret outside demo mode (a phrase that never repeats the
    value), or None when it is fine."""
    text = value.strip()
    if not text:
        return "is empty"
    if len(text) < MIN_SECRET_CHARS:
        return f"is too short ({len(text)} characters; at least {MIN_SECRET_CHARS})"
    lowered = text.lower()
    if lowered in _PLACEHOLDERS:
        return "is a placeholder"

    # what is left after placeholder words, xxx… and runs (123456, abcd) must be 16 characters or
    # more: "your-secret-key-here-2024", "changeme-changeme-…", "a-real-secret-key-0123456789abcd"
    def filler(w: str) -> bool:
        return _segments(w) or len(w) >= 3 and len(set(w)) == 1 or len(w) >= 4 and _runs(w) >= 0.8

    if sum(len(w) for w in re.findall(r"[a-z]+|[0-9]+", lowered) if not filler(w)) < 16:
        return "looks like a placeholder (only words like secret, key, changeme, test, your … here)"
    for period in range(1, len(text) // 2 + 1):
        if all(text[i] == text[i % period] for i in range(len(text))):
            return "is a repeated pattern"
    distinct = len(set(text))
    counts = [text.count(c) for c in set(text)]
    bits = -sum(n * math.log2(n / len(text)) for n in counts)
    if distinct < 8 or bits < MIN_SECRET_BITS:
        return f"is low in entropy ({distinct} different characters, about {bits:.0f} bits; at least {MIN_SECRET_BITS})"
    if _runs(text) >= 0.6:
        return "is mostly a keyboard or alphabet run"
    return None
