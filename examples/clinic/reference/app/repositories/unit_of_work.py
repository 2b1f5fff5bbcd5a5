from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .accounts import AccountRepository
from .bookings import BookingRepository
from .practitioners import PractitionerRepository
from .slots import SlotRepository


class ConstraintViolation(Exception):
    """A write broke a database constraint (a unique email or license number, one booking per slot)."""


class UnitOfWork:
    """One session and the repositories that share it; a request's single transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.accounts = AccountRepository(session)
        self.practitioners = PractitionerRepository(session)
        self.slots = SlotRepository(session)
        self.bookings = BookingRepository(session)

    def flush(self) -> None:
        with self._constraints():
            self._session.flush()

    def commit(self) -> None:
        with self._constraints():
            self._session.commit()

    def rollback(self) -> None:
        self._session.rollback()

    def close(self) -> None:
        """End the session; whatever was not committed is rolled back."""
        self._session.close()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _constraints(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as error:
            self._session.rollback()
            raise ConstraintViolation(str(error.orig)) from error
