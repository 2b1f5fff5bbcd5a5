from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from app.models import Book, Loan
from app.repositories import database
from app.repositories.database import paged, session


def _on_loan() -> Any:
    """Active loans per book, as a subquery (book_id, on_loan)."""
    return (
        select(Loan.book_id, func.count(Loan.id).label("on_loan"))
        .where(Loan.status == "active")
        .group_by(Loan.book_id)
        .subquery()
    )


def search(
    *, q: str | None, author: str | None, available: bool | None, offset: int, limit: int
) -> tuple[list[tuple[Book, int]], int]:
    """Books matching the filters, by title, with their active-loan counts; and the total."""
    on_loan = _on_loan()
    count = func.coalesce(on_loan.c.on_loan, 0)
    stmt = select(Book, count).outerjoin(on_loan, on_loan.c.book_id == Book.id)
    if q is not None:
        stmt = stmt.where(or_(Book.title.icontains(q, autoescape=True), Book.author.icontains(q, autoescape=True)))
    if author is not None:
        stmt = stmt.where(Book.author == author)
    if available is True:
        stmt = stmt.where(count < Book.copies_total)
    elif available is False:
        stmt = stmt.where(count >= Book.copies_total)
    total = session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session().execute(paged(stmt.order_by(Book.title, Book.id), offset, limit))
    return [(book, on_loan) for book, on_loan in rows], total


def get(book_id: int) -> Book | None:
    return database.get(Book, book_id)


def by_isbn(isbn: str) -> Book | None:
    return session().scalar(select(Book).where(Book.isbn == isbn))


def create(**fields: Any) -> Book:
    book = Book(**fields)
    session().add(book)
    session().commit()
    return book


def update(book: Book, changes: dict[str, Any]) -> Book:
    for name, value in changes.items():
        setattr(book, name, value)
    session().commit()
    return book


def remove(book: Book) -> None:
    """Remove the book with its loans and reservations."""
    session().delete(book)
    session().commit()
