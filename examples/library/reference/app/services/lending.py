"""Loans: who may borrow what, for how long, and who may see or return a loan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.models import Loan, Member
from app.repositories import loans, members, reservations
from app.services import clock
from app.services.catalog import find as find_book
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.pages import Page, offset

LOAN_DAYS = 21
MAX_ACTIVE_LOANS = 5


@dataclass(frozen=True)
class LoanView:
    loan: Loan
    overdue: bool


def view(loan: Loan, today: date | None = None) -> LoanView:
    """The loan with ``overdue``: active and past its due date."""
    today = today or clock.today()
    return LoanView(loan, loan.status == "active" and loan.due_date < today)


def borrow(actor: Member, *, book_id: int, member_id: int | None = None) -> LoanView:
    """Lend a copy to the caller or, for a librarian, to ``member_id``."""
    if member_id is not None and member_id != actor.id and actor.role != "librarian":
        raise Forbidden("Only librarians may lend to another member.")
    borrower = actor if member_id is None else members.get(member_id)
    if borrower is None:
        raise NotFound(f"No member {member_id}.")
    book = find_book(book_id)
    if loans.count_active(book_id=book.id) >= book.copies_total:
        raise Conflict("No copy of this book is on the shelf.")
    if loans.count_active(book_id=book.id, member_id=borrower.id):
        raise Conflict("The member already borrows this book.")
    if loans.count_active(member_id=borrower.id) >= MAX_ACTIVE_LOANS:
        raise Conflict(f"The member already holds {MAX_ACTIVE_LOANS} active loans.")
    now = clock.now()
    loan = loans.create(
        book_id=book.id,
        member_id=borrower.id,
        loaned_at=now,
        due_date=now.date() + timedelta(days=LOAN_DAYS),
        fulfils=reservations.waiting(book_id=book.id, member_id=borrower.id),
    )
    return view(loan)


def list_loans(
    actor: Member, *, status: str | None, overdue: bool | None, member_id: int | None, page: int, page_size: int
) -> Page[LoanView]:
    """Members see their own loans; librarians everyone's, or one member's."""
    if actor.role != "librarian":
        if member_id is not None and member_id != actor.id:
            raise Forbidden("Members may only list their own loans.")
        member_id = actor.id
    today = clock.today()
    items, total = loans.search(
        member_id=member_id,
        status=status,
        overdue=overdue,
        today=today,
        offset=offset(page, page_size),
        limit=page_size,
    )
    return Page([view(loan, today) for loan in items], page, page_size, total)


def get_loan(actor: Member, loan_id: int) -> LoanView:
    return view(_find_visible(actor, loan_id))


def return_loan(actor: Member, loan_id: int) -> LoanView:
    loan = _find_visible(actor, loan_id)
    if loan.status != "active":
        raise Conflict("This loan was already returned.")
    return view(loans.mark_returned(loan, clock.now()))


def _find_visible(actor: Member, loan_id: int) -> Loan:
    """The loan, if the caller is its borrower or a librarian."""
    loan = loans.get(loan_id)
    if loan is None:
        raise NotFound(f"No loan {loan_id}.")
    if loan.member_id != actor.id and actor.role != "librarian":
        raise Forbidden("This loan belongs to another member.")
    return loan
