"""The book catalogue: availability is computed from the active loans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models import Book, Member
from app.repositories import books, loans
from app.services.auth import require_librarian
from app.services.errors import Conflict, NotFound
from app.services.pages import Page, offset


@dataclass(frozen=True)
class BookView:
    book: Book
    available_copies: int


def list_books(
    *, q: str | None, author: str | None, available: bool | None, page: int, page_size: int
) -> Page[BookView]:
    rows, total = books.search(q=q, author=author, available=available, offset=offset(page, page_size), limit=page_size)
    return Page([BookView(book, book.copies_total - on_loan) for book, on_loan in rows], page, page_size, total)


def get_book(book_id: int) -> BookView:
    book = find(book_id)
    return BookView(book, book.copies_total - loans.count_active(book_id=book.id))


def create_book(actor: Member, fields: dict[str, Any]) -> BookView:
    require_librarian(actor)
    if books.by_isbn(fields["isbn"]) is not None:
        raise Conflict("A book with this ISBN is already in the catalogue.")
    book = books.create(**fields)
    return BookView(book, book.copies_total)


def update_book(actor: Member, book_id: int, changes: dict[str, Any]) -> BookView:
    require_librarian(actor)
    book = find(book_id)
    if "isbn" in changes:
        other = books.by_isbn(changes["isbn"])
        if other is not None and other.id != book.id:
            raise Conflict("Another book has this ISBN.")
    on_loan = loans.count_active(book_id=book.id)
    if changes.get("copies_total", book.copies_total) < on_loan:
        raise Conflict(f"{on_loan} copies are on loan; copiesTotal cannot be lower.")
    book = books.update(book, changes)
    return BookView(book, book.copies_total - on_loan)


def delete_book(actor: Member, book_id: int) -> None:
    require_librarian(actor)
    book = find(book_id)
    if loans.count_active(book_id=book.id):
        raise Conflict("The book has active loans.")
    books.remove(book)


def find(book_id: int) -> Book:
    book = books.get(book_id)
    if book is None:
        raise NotFound(f"No book {book_id}.")
    return book
