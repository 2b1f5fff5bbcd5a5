"""Password hashing (scrypt, from the standard library) and HS256 bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from .errors import Unauthorized

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt:{salt.hex()}:{digest.hex()}"


def verify_password(password: str, password_hash: str) -> bool:
    _, salt, digest = password_hash.split(":")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


# Checked against when the email is unknown, so that a login takes as long either way.
UNUSABLE_HASH = hash_password(secrets.token_hex(16))


class TokenCodec:
    """Issues and reads the bearer tokens: HS256 JWTs naming the account, valid for ``ttl``."""

    algorithm = "HS256"

    def __init__(self, secret_key: str, ttl: timedelta) -> None:
        self._secret_key = secret_key
        self.ttl = ttl

    def issue(self, account_id: uuid.UUID, role: str) -> str:
        issued_at = datetime.now(UTC)
        claims = {"sub": str(account_id), "role": role, "iat": issued_at, "exp": issued_at + self.ttl}
        return jwt.encode(claims, self._secret_key, algorithm=self.algorithm)

    def read(self, token: str) -> uuid.UUID:
        """The account id a valid, unexpired token names; :class:`Unauthorized` otherwise."""
        try:
            claims = jwt.decode(
                token, self._secret_key, algorithms=[self.algorithm], options={"require": ["exp", "sub"]}
            )
            return uuid.UUID(claims["sub"])
        except (jwt.InvalidTokenError, ValueError):
            raise Unauthorized("The bearer token is invalid or has expired.") from None
