"""Password hashing with scrypt (memory-hard, standard library): n=2**14, r=8, p=1, 16-byte salt.

Stored as ``scrypt$<n>$<r>$<p>$<salt hex>$<key hex>`` so the cost can be raised later without breaking old
hashes; comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from app.i18n import QT_TRANSLATE_NOOP, user_text

N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 8


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=256 * 1024 * 1024
    )


def hash_password(password: str) -> str:
    salt = os.urandom(SALT_BYTES)
    return f"scrypt${N}${R}${P}${salt.hex()}${_derive(password, salt, N, R, P).hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for a wrong password or a malformed hash."""
    try:
        scheme, n, r, p, salt_hex, key_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        key = _derive(password, bytes.fromhex(salt_hex), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(key, bytes.fromhex(key_hex))


# Verified against when the user name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY = hash_password("not a real password")


def burn_time(password: str) -> None:
    verify_password(password, _DUMMY)


def check_strength(password: str) -> None:
    """Raise ValueError with a readable message for a password that is too weak to accept."""
    if len(password) < MIN_LENGTH:
        raise ValueError(user_text(QT_TRANSLATE_NOOP("UserError", "a password needs at least {MIN_LENGTH} characters"), MIN_LENGTH=MIN_LENGTH))
    if password.strip() != password or not password.strip():
        raise ValueError(user_text(QT_TRANSLATE_NOOP("UserError", "a password must not start or end with spaces")))
