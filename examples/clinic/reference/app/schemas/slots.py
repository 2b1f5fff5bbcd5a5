from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from .common import Instant, Page, PageQuery, RequestModel, ResponseModel, SlotStatus

SHORTEST = timedelta(minutes=10)
LONGEST = timedelta(minutes=240)


class SlotQuery(PageQuery):
    from_: Instant | None = Field(default=None, alias="from")
    to: Instant | None = None
    status: SlotStatus = "open"


class SlotCreate(RequestModel):
    starts_at: Instant
    ends_at: Instant

    @field_validator("ends_at")
    @classmethod
    def _lasts_10_to_240_minutes(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None:
            if ends_at <= starts_at:
                raise PydanticCustomError("slot_order", "endsAt should be after startsAt")
            if not SHORTEST <= ends_at - starts_at <= LONGEST:
                raise PydanticCustomError("slot_length", "A slot should last 10 to 240 minutes")
        return ends_at


class Slot(ResponseModel):
    id: uuid.UUID
    practitioner_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: SlotStatus


class SlotPage(Page[Slot]):
    pass
