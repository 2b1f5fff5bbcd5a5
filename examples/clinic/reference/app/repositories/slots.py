from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.orm import Session

from app.models import Slot, SlotStatus

from .pagination import Page, paginate


class SlotRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, slot: Slot) -> None:
        self._session.add(slot)

    def get(self, slot_id: uuid.UUID) -> Slot | None:
        return self._session.get(Slot, slot_id)

    def search(
        self,
        *,
        practitioner_id: uuid.UUID,
        status: SlotStatus,
        starts_from: datetime,
        starts_before: datetime,
        limit: int,
        offset: int,
    ) -> Page[Slot]:
        """A practitioner's slots starting in ``[starts_from, starts_before)``, earliest first."""
        statement = (
            select(Slot)
            .where(
                Slot.practitioner_id == practitioner_id,
                Slot.status == status,
                Slot.starts_at >= starts_from,
                Slot.starts_at < starts_before,
            )
            .order_by(Slot.starts_at, Slot.id)
        )
        return paginate(self._session, statement, limit=limit, offset=offset)

    def overlaps(self, slot: Slot) -> bool:
        """Whether another slot of the same practitioner (not withdrawn) overlaps ``slot``."""
        statement = select(Slot.id).where(
            Slot.practitioner_id == slot.practitioner_id,
            Slot.id != slot.id,
            Slot.status != SlotStatus.BLOCKED,
            Slot.starts_at < slot.ends_at,
            Slot.ends_at > slot.starts_at,
        )
        return self._session.scalar(statement.limit(1)) is not None

    def claim(self, slot_id: uuid.UUID, *, starting_after: datetime) -> bool:
        """Mark an open slot booked in one statement; False if it was not open or starts too soon.

        This is the transaction's first write, so SQLite's write lock serializes
        concurrent claims of one slot: exactly one of them finds it open.
        """
        statement = (
            update(Slot)
            .where(Slot.id == slot_id, Slot.status == SlotStatus.OPEN, Slot.starts_at > starting_after)
            .values(status=SlotStatus.BOOKED)
        )
        return self._changed_one(statement)

    def withdraw(self, slot_id: uuid.UUID) -> bool:
        """Mark an open slot blocked in one statement; False if it was not open."""
        statement = (
            update(Slot).where(Slot.id == slot_id, Slot.status == SlotStatus.OPEN).values(status=SlotStatus.BLOCKED)
        )
        return self._changed_one(statement)

    def _changed_one(self, statement: Update) -> bool:
        result = cast(CursorResult[Any], self._session.execute(statement))
        return result.rowcount == 1
