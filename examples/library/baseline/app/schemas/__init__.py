"""marshmallow schemas: request validation (load) and response shapes (dump).

JSON uses the contract's camelCase names; Python uses snake_case (data_key).
Request bodies reject unknown fields; query strings ignore them.
"""

from __future__ import annotations

from datetime import timezone

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema



class UtcDateTime(fields.DateTime):
    """RFC 3339 with an offset; naive values (SQLite returns them) are UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


ISBN = validate.Regexp(r"^([0-9]{9}[0-9X]|97[89][0-9]{10})$", error="Not a valid ISBN-10 or ISBN-13.")


class _Body(Schema):
    class Meta:
        unknown = RAISE


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(data_key="pageSize", load_default=20, validate=validate.Range(min=1, max=100))


# -- auth


class RegisterSchema(_Body):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=8, max=128))
    full_name = fields.String(data_key="fullName", required=True, validate=validate.Length(min=1, max=120))


class LoginSchema(_Body):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class MemberSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String(data_key="fullName")
    role = fields.String()
    created_at = UtcDateTime(data_key="createdAt")


# -- books


class BookCreateSchema(_Body):
    isbn = fields.String(required=True, validate=ISBN)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    author = fields.String(required=True, validate=validate.Length(min=1, max=120))
    published_year = fields.Integer(data_key="publishedYear", validate=validate.Range(min=1450, max=2100))
    copies_total = fields.Integer(data_key="copiesTotal", required=True, validate=validate.Range(min=1, max=500))


class BookUpdateSchema(_Body):
    isbn = fields.String(validate=ISBN)
    title = fields.String(validate=validate.Length(min=1, max=200))
    author = fields.String(validate=validate.Length(min=1, max=120))
    published_year = fields.Integer(
        data_key="publishedYear", allow_none=True, validate=validate.Range(min=1450, max=2100)
    )
    copies_total = fields.Integer(data_key="copiesTotal", validate=validate.Range(min=1, max=500))

    @validates_schema
    def _not_empty(self, data: dict, **kwargs: object) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.")


class BookQuerySchema(_Query):
    q = fields.String(validate=validate.Length(min=1, max=100))
    author = fields.String(validate=validate.Length(min=1, max=120))
    available = fields.Boolean()


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


# -- loans


class LoanCreateSchema(_Body):
    book_id = fields.Integer(data_key="bookId", required=True, validate=validate.Range(min=1))
    member_id = fields.Integer(data_key="memberId", validate=validate.Range(min=1))


class LoanQuerySchema(_Query):
    status = fields.String(validate=validate.OneOf(["active", "returned"]))
    overdue = fields.Boolean()
    member_id = fields.Integer(data_key="memberId", validate=validate.Range(min=1))


class LoanSchema(Schema):
    """Dumps a lending.LoanView."""

    id = fields.Integer(attribute="loan.id")
    book_id = fields.Integer(data_key="bookId", attribute="loan.book_id")
    member_id = fields.Integer(data_key="memberId", attribute="loan.member_id")
    status = fields.String(attribute="loan.status")
    loaned_at = UtcDateTime(data_key="loanedAt", attribute="loan.loaned_at")
    due_date = fields.Date(data_key="dueDate", attribute="loan.due_date")
    returned_at = UtcDateTime(data_key="returnedAt", attribute="loan.returned_at", allow_none=True)
    overdue = fields.Boolean()


def page_of(item_schema: Schema, page: object) -> dict:
    """The contract's page envelope: items, page, pageSize, total."""
    return {
        "items": item_schema.dump(page.items, many=True),
        "page": page.page,
        "pageSize": page.page_size,
        "total": page.total,
    }
