from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Account


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, account: Account) -> None:
        """Add an account (and its patient profile, if it has one)."""
        self._session.add(account)

    def get(self, account_id: uuid.UUID) -> Account | None:
        return self._session.get(Account, account_id)

    def by_email(self, email: str) -> Account | None:
        return self._session.scalar(select(Account).where(Account.email == email))
