"""Accounts and bearer tokens (signed with itsdangerous, valid for an hour)."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import Member
from app.repositories import members
from app.services.errors import Conflict, Forbidden, Unauthorized

TOKEN_SECONDS = 3600


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: int = TOKEN_SECONDS


def register(*, email: str, password: str, full_name: str) -> Member:
    if members.by_email(email) is not None:
        raise Conflict("An account with this email already exists.")
    return members.create(email=email, password_hash=generate_password_hash(password), full_name=full_name)


def ensure_librarian(email: str, password: str) -> None:
    """Create the librarian account named by the environment, unless the email is taken."""
    if members.by_email(email) is None:
        members.create(
            email=email, password_hash=generate_password_hash(password), full_name="Librarian", role="librarian"
        )


def login(*, email: str, password: str, secret: str) -> Token:
    member = members.by_email(email)
    if member is None or not check_password_hash(member.password_hash, password):
        raise Unauthorized("Wrong email or password.")
    return Token(_serializer(secret).dumps({"sub": member.id}))


def member_from_token(token: str, secret: str) -> Member:
    try:
        claims = _serializer(secret).loads(token, max_age=TOKEN_SECONDS)
    except BadSignature:  # also raised for an expired token
        raise Unauthorized("The token is invalid or expired.") from None
    member = members.get(claims["sub"])
    if member is None:
        raise Unauthorized("The token's account no longer exists.")
    return member


def require_librarian(actor: Member) -> None:
    if actor.role != "librarian":
        raise Forbidden("Only librarians may do this.")


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="library-auth")
