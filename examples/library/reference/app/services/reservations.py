"""Reservations: a queue per book, joined only when every copy is on loan.

A waiting reservation is fulfilled when its member borrows the book
(see lending.borrow) and cancelled on request.
"""

from __future__ import annotations

from app.models import Member, Reservation
from app.repositories import loans, reservations
from app.services.catalog import find as find_book
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.pages import Page, offset


def reserve(actor: Member, *, book_id: int) -> Reservation:
    book = find_book(book_id)
    if loans.count_active(book_id=book.id) < book.copies_total:
        raise Conflict("A copy of this book is on the shelf: borrow it instead.")
    if reservations.waiting(book_id=book.id, member_id=actor.id) is not None:
        raise Conflict("You already wait for this book.")
    if loans.count_active(book_id=book.id, member_id=actor.id):
        raise Conflict("You already borrow this book.")
    return reservations.create(book_id=book.id, member_id=actor.id)


def list_reservations(
    actor: Member, *, status: str | None, book_id: int | None, page: int, page_size: int
) -> Page[Reservation]:
    """Members see their own reservations; librarians everyone's."""
    member_id = None if actor.role == "librarian" else actor.id
    items, total = reservations.search(
        member_id=member_id, book_id=book_id, status=status, offset=offset(page, page_size), limit=page_size
    )
    return Page(items, page, page_size, total)


def cancel(actor: Member, reservation_id: int) -> None:
    reservation = reservations.get(reservation_id)
    if reservation is None:
        raise NotFound(f"No reservation {reservation_id}.")
    if reservation.member_id != actor.id and actor.role != "librarian":
        raise Forbidden("This reservation belongs to another member.")
    if reservation.status != "waiting":
        raise Conflict(f"This reservation is already {reservation.status}.")
    reservations.cancel(reservation)
