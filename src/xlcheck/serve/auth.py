"""Secrets of `xlcheck serve`: the offices' link tokens and the admin password, as they are made,
kept (only as hashes) and compared. No I/O: the store keeps what these functions return."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits: no one guesses a link, however many they try
# scrypt costs: n=2**14, r=8 takes ~16 MB and some 50 ms per try, which is what makes a stolen
# index slow to grind; the values are written with each hash, so they can be raised later.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
_SCHEME = "scrypt"
# A stored hash is read back from the index: costs above these are refused, not computed, so an
# edited index cannot make every login take seconds and gigabytes (at most 128 MB here).
_MAX_N = 2**17
_MAX_RP = 8


def new_token() -> str:
    """A fresh office link token: 256 random bits, URL-safe text (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """How a token is kept and looked up: SHA-256 in hex.

    A fast hash is enough here, unlike for a password: a token is 256 random bits, so there is
    nothing to guess from a dictionary, and even billions of tries a second against a stolen
    index cover no measurable part of 2**256. A slow hash would only slow every office's page.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$<salt>$<key>` (base64): the password's slow hash with its salt and costs."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join((_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)))


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` gives `encoded`; compared in constant time; a malformed hash is False."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return False
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = (
            base64.b64decode(parts[4], validate=True),
            base64.b64decode(parts[5], validate=True),
        )
    except ValueError:
        return False
    if not (1 < n <= _MAX_N and 0 < r <= _MAX_RP and 0 < p <= _MAX_RP and key):
        return False
    try:
        found = _scrypt(password, salt, n, r, p, len(key))
    except ValueError:  # n not a power of two, or more memory than OpenSSL allows
        return False
    return hmac.compare_digest(found, key)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int = KEY_BYTES) -> bytes:
    data = password.encode("utf-8", "surrogatepass")
    # maxmem: 128*r*n bytes are needed; OpenSSL's default cap (32 MB) would refuse n=2**15.
    return hashlib.scrypt(data, salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + 2**20, dklen=size)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
