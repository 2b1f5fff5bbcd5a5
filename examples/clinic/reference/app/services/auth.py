from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date

from app.models import Account, Patient, Role
from app.repositories import ConstraintViolation, UnitOfWork

from .errors import Conflict, Forbidden, Unauthorized
from .security import UNUSABLE_HASH, TokenCodec, hash_password, verify_password


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    role: Role
    token_type: str = "Bearer"


def normalize_email(email: str) -> str:
    """Emails are unique regardless of case."""
    return email.lower()


class AuthService:
    """Patient registration, sign-in, and who the bearer of a token is."""

    def __init__(self, uow: UnitOfWork, tokens: TokenCodec) -> None:
        self._uow = uow
        self._tokens = tokens

    def register(self, *, email: str, password: str, full_name: str, date_of_birth: date, phone: str | None) -> Patient:
        patient = Patient(full_name=full_name, date_of_birth=date_of_birth, phone=phone)
        account = Account(
            email=normalize_email(email), password_hash=hash_password(password), role=Role.PATIENT, patient=patient
        )
        self._uow.accounts.add(account)
        try:
            self._uow.commit()
        except ConstraintViolation:
            raise Conflict("An account with this email already exists.") from None
        return patient

    def login(self, *, email: str, password: str) -> IssuedToken:
        account = self._uow.accounts.by_email(normalize_email(email))
        if account is None:
            verify_password(password, UNUSABLE_HASH)
            raise Unauthorized("Wrong email or password.")
        if not verify_password(password, account.password_hash):
            raise Unauthorized("Wrong email or password.")
        token = self._tokens.issue(account.id, account.role)
        return IssuedToken(access_token=token, expires_in=int(self._tokens.ttl.total_seconds()), role=account.role)

    def authenticate(self, token: str | None) -> Account:
        """The account a bearer token belongs to; :class:`Unauthorized` without a valid one."""
        if not token:
            raise Unauthorized("This operation needs a bearer token.")
        account = self._uow.accounts.get(self._tokens.read(token))
        if account is None:
            raise Unauthorized("The bearer token's account no longer exists.")
        return account

    @staticmethod
    def require_staff(account: Account) -> None:
        if account.role != Role.STAFF:
            raise Forbidden("Only staff accounts may do this.")

    def ensure_staff_account(self, *, email: str, password: str) -> None:
        """Create the staff account at start-up unless an account with its email exists."""
        email = normalize_email(email)
        if self._uow.accounts.by_email(email) is not None:
            return
        self._uow.accounts.add(Account(email=email, password_hash=hash_password(password), role=Role.STAFF))
        with contextlib.suppress(ConstraintViolation):  # another worker created it meanwhile
            self._uow.commit()
