from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import Reservation
from app.repositories import database
from app.repositories.database import id_equals, paged, session


def get(reservation_id: int) -> Reservation | None:
    return database.get(Reservation, reservation_id)


def waiting(*, book_id: int, member_id: int) -> Reservation | None:
    """The member's waiting reservation for the book, if any."""
    stmt = select(Reservation).where(
        Reservation.book_id == book_id, Reservation.member_id == member_id, Reservation.status == "waiting"
    )
    return session().scalars(stmt).first()


def create(*, book_id: int, member_id: int) -> Reservation:
    reservation = Reservation(book_id=book_id, member_id=member_id, status="waiting")
    session().add(reservation)
    session().commit()
    return reservation


def cancel(reservation: Reservation) -> Reservation:
    reservation.status = "cancelled"
    session().commit()
    return reservation


def search(
    *, member_id: int | None, book_id: int | None, status: str | None, offset: int, limit: int
) -> tuple[list[Reservation], int]:
    """Reservations matching the filters, oldest first; and the total."""
    conditions: list[Any] = []
    if member_id is not None:
        conditions.append(Reservation.member_id == member_id)
    if book_id is not None:
        conditions.append(id_equals(Reservation.book_id, book_id))
    if status is not None:
        conditions.append(Reservation.status == status)
    total = session().scalar(select(func.count(Reservation.id)).where(*conditions)) or 0
    stmt = select(Reservation).where(*conditions).order_by(Reservation.created_at, Reservation.id)
    return list(session().scalars(paged(stmt, offset, limit))), total
