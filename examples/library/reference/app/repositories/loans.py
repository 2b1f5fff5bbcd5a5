from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, not_, select

from app.models import Loan, Reservation
from app.repositories import database
from app.repositories.database import id_equals, paged, session


def get(loan_id: int) -> Loan | None:
    return database.get(Loan, loan_id)


def count_active(*, member_id: int | None = None, book_id: int | None = None) -> int:
    stmt = select(func.count(Loan.id)).where(Loan.status == "active")
    if member_id is not None:
        stmt = stmt.where(Loan.member_id == member_id)
    if book_id is not None:
        stmt = stmt.where(Loan.book_id == book_id)
    return session().scalar(stmt) or 0


def create(
    *, book_id: int, member_id: int, loaned_at: datetime, due_date: date, fulfils: Reservation | None = None
) -> Loan:
    """A new active loan; ``fulfils`` (the borrower's reservation) becomes fulfilled with it."""
    loan = Loan(book_id=book_id, member_id=member_id, status="active", loaned_at=loaned_at, due_date=due_date)
    session().add(loan)
    if fulfils is not None:
        fulfils.status = "fulfilled"
    session().commit()
    return loan


def mark_returned(loan: Loan, returned_at: datetime) -> Loan:
    loan.status = "returned"
    loan.returned_at = returned_at
    session().commit()
    return loan


def search(
    *,
    member_id: int | None,
    status: str | None,
    overdue: bool | None,
    today: date,
    offset: int,
    limit: int,
) -> tuple[list[Loan], int]:
    """Loans matching the filters, newest first; and the total."""
    conditions: list[Any] = []
    if member_id is not None:
        conditions.append(id_equals(Loan.member_id, member_id))
    if status is not None:
        conditions.append(Loan.status == status)
    late = and_(Loan.status == "active", Loan.due_date < today)
    if overdue is True:
        conditions.append(late)
    elif overdue is False:
        conditions.append(not_(late))
    total = session().scalar(select(func.count(Loan.id)).where(*conditions)) or 0
    stmt = select(Loan).where(*conditions).order_by(Loan.loaned_at.desc(), Loan.id.desc())
    return list(session().scalars(paged(stmt, offset, limit))), total
