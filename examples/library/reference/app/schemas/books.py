from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.common import ListQuery, QueryBoolean, QueryInteger, RequestBody, StrictInteger, Text, UtcDateTime

ISBN = validate.Regexp(r"^([0-9]{9}[0-9X]|97[89][0-9]{10})\Z", error="Not a valid ISBN-10 or ISBN-13.")
TITLE = validate.Length(min=1, max=200)
AUTHOR = validate.Length(min=1, max=120)
YEAR = validate.Range(min=1450, max=2100)
COPIES = validate.Range(min=1, max=500)


class BookCreateSchema(RequestBody):
    isbn = Text(required=True, validate=ISBN)
    title = Text(required=True, validate=TITLE)
    author = Text(required=True, validate=AUTHOR)
    published_year = StrictInteger(data_key="publishedYear", validate=YEAR)
    copies_total = StrictInteger(data_key="copiesTotal", required=True, validate=COPIES)


class BookUpdateSchema(RequestBody):
    isbn = Text(validate=ISBN)
    title = Text(validate=TITLE)
    author = Text(validate=AUTHOR)
    published_year = StrictInteger(data_key="publishedYear", allow_none=True, validate=YEAR)
    copies_total = StrictInteger(data_key="copiesTotal", validate=COPIES)

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.")


class BookQuerySchema(ListQuery):
    q = Text(validate=validate.Length(min=1, max=100))
    author = Text(validate=AUTHOR)
    available = QueryBoolean()


class BookPathSchema(Schema):
    book_id = QueryInteger(data_key="bookId", required=True, validate=validate.Range(min=1))


class BookSchema(Schema):
    """Dumps a catalog.BookView."""

    id = fields.Integer(attribute="book.id")
    isbn = fields.String(attribute="book.isbn")
    title = fields.String(attribute="book.title")
    author = fields.String(attribute="book.author")
    published_year = fields.Integer(data_key="publishedYear", attribute="book.published_year", allow_none=True)
    copies_total = fields.Integer(data_key="copiesTotal", attribute="book.copies_total")
    available_copies = fields.Integer(data_key="availableCopies")
    created_at = UtcDateTime(data_key="createdAt", attribute="book.created_at")
