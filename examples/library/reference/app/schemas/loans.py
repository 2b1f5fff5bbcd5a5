from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.common import ListQuery, QueryBoolean, QueryInteger, RequestBody, StrictInteger, UtcDateTime

LOAN_STATUSES = ["active", "returned"]


class LoanCreateSchema(RequestBody):
    book_id = StrictInteger(data_key="bookId", required=True, validate=validate.Range(min=1))
    member_id = StrictInteger(data_key="memberId", validate=validate.Range(min=1))


class LoanQuerySchema(ListQuery):
    status = fields.String(validate=validate.OneOf(LOAN_STATUSES))
    overdue = QueryBoolean()
    member_id = QueryInteger(data_key="memberId", validate=validate.Range(min=1))


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
