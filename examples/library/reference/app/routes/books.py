from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request, url_for
from marshmallow import ValidationError

from app.routes.security import login_required
from app.schemas.books import BookCreateSchema, BookPathSchema, BookQuerySchema, BookSchema, BookUpdateSchema
from app.schemas.common import page_of
from app.services import catalog
from app.services.errors import NotFound

bp = Blueprint("books", __name__, url_prefix="/books")


def _book_id(raw: str) -> int:
    """The bookId path parameter; a ValidationError (400) when it is not a positive integer."""
    return BookPathSchema().load({"bookId": raw})["book_id"]


@bp.get("")
def list_books() -> Any:
    params = BookQuerySchema().load(request.args)
    page = catalog.list_books(
        q=params.get("q"),
        author=params.get("author"),
        available=params.get("available"),
        page=params["page"],
        page_size=params["page_size"],
    )
    return page_of(BookSchema(), page)


@bp.post("")
@login_required
def create_book() -> Any:
    data = BookCreateSchema().load(request.get_json(silent=True))
    view = catalog.create_book(g.member, data)
    return BookSchema().dump(view), 201, {"Location": url_for("books.get_book", book_id=view.book.id)}


@bp.get("/<book_id>")
def get_book(book_id: str) -> Any:
    return BookSchema().dump(catalog.get_book(_book_id(book_id)))


@bp.patch("/<book_id>")
@login_required
def update_book(book_id: str) -> Any:
    ident = _book_id(book_id)
    changes = BookUpdateSchema().load(request.get_json(silent=True))
    return BookSchema().dump(catalog.update_book(g.member, ident, changes))


@bp.delete("/<book_id>")
@login_required
def delete_book(book_id: str) -> Any:
    # deleteBook documents no 400: an id that is not a positive integer names no book.
    try:
        ident = _book_id(book_id)
    except ValidationError:
        raise NotFound(f"No book {book_id!r}.") from None
    catalog.delete_book(g.member, ident)
    return "", 204
