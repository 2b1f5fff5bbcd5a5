"""Loans: who may borrow what, for how long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.models import Loan, Member
from app.repositories import books, loans, members
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.pages import Page, offset

LOAN_DAYS = 21
MAX_ACTIVE_LOANS = 5


@dataclass(frozen=True)
class LoanView:
    loan: Loan
    overdue: bool


def view(loan: Loan, today: date | None = None) -> LoanView:
    today = today or date.today()
    return LoanView(loan, loan.status == "active" and loan.due_date < today)


def borrow(actor: Member, *, book_id: int, member_id: int | None = None) -> LoanView:
    if member_id is not None and member_id != actor.id and actor.role != "librarian":
        raise Forbidden("Only librarians may lend to another member.")
    borrower = members.get(member_id) if member_id is not None else actor
    if borrower is None:
        raise NotFound(f"No member {member_id}.")
    book = books.get(book_id)
    if book is None:
        raise NotFound(f"No book {book_id}.")
    if loans.count_active(book_id=book.id) >= book.copies_total:
        raise Conflict("No copy of this book is on the shelf.")
    if loans.count_active(book_id=book.id, member_id=borrower.id):
        raise Conflict("The member already borrows this book.")
    if loans.count_active(member_id=borrower.id) >= MAX_ACTIVE_LOANS:
        raise Conflict(f"The member already holds {MAX_ACTIVE_LOANS} active loans.")
    loan = loans.create(book_id=book.id, member_id=borrower.id, due_date=date.today() + timedelta(days=LOAN_DAYS))
    return view(loan)


def list_loans(
    actor: Member,
    *,
    status: str | None,
    overdue: bool | None,
    member_id: int | None,
    page: int,
    page_size: int,
) -> Page[LoanView]:
    if actor.role != "librarian":
        if member_id is not None and member_id != actor.id:
            raise Forbidden("Members may only list their own loans.")
        member_id = actor.id
    today = date.today()
    items, total = loans.search(
        member_id=member_id,
        status=status,
        overdue=overdue,
        today=today,
        offset=offset(page, page_size),
        limit=page_size,
    )
    return Page([view(loan, today) for loan in items], page, page_size, total)
