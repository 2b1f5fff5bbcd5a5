from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select

from app.models import Book, Loan
from app.repositories.database import session


def _on_loan():
    """Active loans per book, as a subquery (book_id, on_loan)."""
    return (
        select(Loan.book_id, func.count(Loan.id).label("on_loan"))
        .where(Loan.status == "active")
        .group_by(Loan.book_id)
        .subquery()
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(
    *, q: str | None, author: str | None, available: bool | None, offset: int, limit: int
) -> tuple[list[tuple[Book, int]], int]:
    """Books matching the filters with their active-loan counts, and the total."""
    on_loan = _on_loan()
    count = func.coalesce(on_loan.c.on_loan, 0)
    stmt: Select[Any] = select(Book, count).outerjoin(on_loan, on_loan.c.book_id == Book.id)
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(func.lower(Book.title).like(pattern, escape="\\"), func.lower(Book.author).like(pattern, escape="\\"))
        )
    if author:
        stmt = stmt.where(Book.author == author)
    if available is True:
        stmt = stmt.where(count < Book.copies_total)
    elif available is False:
        stmt = stmt.where(count >= Book.copies_total)
    total = session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session().execute(stmt.order_by(Book.title, Book.id).offset(offset).limit(limit)).all()
    return [(book, on) for book, on in rows], total


def get(book_id: int) -> Book | None:
    return session().get(Book, book_id)


def by_isbn(isbn: str) -> Book | None:
    return session().scalar(select(Book).where(Book.isbn == isbn))


def active_loan_count(book_id: int) -> int:
    stmt = select(func.count(Loan.id)).where(Loan.book_id == book_id, Loan.status == "active")
    return session().scalar(stmt) or 0


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


def delete(book: Book) -> None:
    session().delete(book)
    session().commit()
