from __future__ import annotations

from flask import Blueprint, g, request, url_for

from app.routes.security import login_required
from app.schemas import BookCreateSchema, BookQuerySchema, BookSchema, BookUpdateSchema, page_of
from app.services import catalog

bp = Blueprint("books", __name__, url_prefix="/books")


@bp.get("")
def list_books():
    query = BookQuerySchema().load(request.args)
    page = catalog.list_books(
        q=query.get("q"),
        author=query.get("author"),
        available=query.get("available"),
        page=query["page"],
        page_size=query["page_size"],
    )
    return page_of(BookSchema(), page)


@bp.post("")
@login_required
def create_book():
    data = BookCreateSchema().load(request.get_json(silent=True))
    view = catalog.create_book(g.member, data)
    location = url_for("books.get_book", book_id=view.book.id)
    return BookSchema().dump(view), 201, {"Location": location}


@bp.get("/<int:book_id>")
def get_book(book_id: int):
    return BookSchema().dump(catalog.get_book(book_id))


@bp.patch("/<int:book_id>")
@login_required
def update_book(book_id: int):
    changes = BookUpdateSchema().load(request.get_json(silent=True))
    return BookSchema().dump(catalog.update_book(g.member, book_id, changes))


@bp.delete("/<int:book_id>")
@login_required
def delete_book(book_id: int):
    catalog.delete_book(g.member, book_id)
    return "", 204
