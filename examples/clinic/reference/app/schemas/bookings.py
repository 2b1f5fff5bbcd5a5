from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AliasPath, Field, StringConstraints, field_validator

from .common import BookingStatus, Instant, Page, PageQuery, RequestModel, ResponseModel, Uuid, not_null


class BookingQuery(PageQuery):
    status: BookingStatus | None = None
    practitioner_id: Uuid | None = None
    from_: Instant | None = Field(default=None, alias="from")
    to: Instant | None = None


class BookingCreate(RequestModel):
    slot_id: Uuid
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500)]


class CancelRequest(RequestModel):
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None

    _reason_not_null = field_validator("reason")(not_null)


class Booking(ResponseModel):
    """A booking; its practitioner and times are its slot's."""

    id: uuid.UUID
    slot_id: uuid.UUID
    patient_id: uuid.UUID
    practitioner_id: uuid.UUID = Field(validation_alias=AliasPath("slot", "practitioner_id"))
    starts_at: datetime = Field(validation_alias=AliasPath("slot", "starts_at"))
    ends_at: datetime = Field(validation_alias=AliasPath("slot", "ends_at"))
    reason: str
    status: BookingStatus
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None


class BookingPage(Page[Booking]):
    pass
