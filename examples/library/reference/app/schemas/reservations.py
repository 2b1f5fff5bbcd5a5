from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.common import ListQuery, QueryInteger, RequestBody, StrictInteger, UtcDateTime

RESERVATION_STATUSES = ["waiting", "fulfilled", "cancelled"]


class ReservationCreateSchema(RequestBody):
    book_id = StrictInteger(data_key="bookId", required=True, validate=validate.Range(min=1))


class ReservationQuerySchema(ListQuery):
    status = fields.String(validate=validate.OneOf(RESERVATION_STATUSES))
    book_id = QueryInteger(data_key="bookId", validate=validate.Range(min=1))


class ReservationSchema(Schema):
    id = fields.Integer()
    book_id = fields.Integer(data_key="bookId")
    member_id = fields.Integer(data_key="memberId")
    status = fields.String()
    created_at = UtcDateTime(data_key="createdAt")
