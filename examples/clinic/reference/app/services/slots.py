from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from app.models import Practitioner, Slot, SlotStatus
from app.repositories import Page, UnitOfWork

from . import clock
from .errors import Conflict, InvalidRequest, NotFound

DEFAULT_WINDOW = timedelta(days=14)


class SlotService:
    """Publishing and withdrawing slots (staff, checked by the caller) and listing them (anyone)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def search(
        self,
        practitioner_id: uuid.UUID,
        *,
        status: str,
        starts_from: datetime | None,
        starts_before: datetime | None,
        limit: int,
        offset: int,
    ) -> Page[Slot]:
        """Slots starting in ``[starts_from, starts_before)``: by default from now, for 14 days."""
        self._practitioner(practitioner_id)
        starts_from = starts_from or clock.now()
        return self._uow.slots.search(
            practitioner_id=practitioner_id,
            status=SlotStatus(status),
            starts_from=starts_from,
            starts_before=starts_before or starts_from + DEFAULT_WINDOW,
            limit=limit,
            offset=offset,
        )

    def create(self, practitioner_id: uuid.UUID, *, starts_at: datetime, ends_at: datetime) -> Slot:
        practitioner = self._practitioner(practitioner_id)
        if starts_at <= clock.now():
            raise InvalidRequest("A slot cannot start in the past.")
        if not practitioner.active:
            raise Conflict("The practitioner is inactive and gets no new slots.")
        slot = Slot(practitioner_id=practitioner.id, starts_at=starts_at, ends_at=ends_at, status=SlotStatus.OPEN)
        self._uow.slots.add(slot)
        self._uow.flush()  # the first write takes SQLite's write lock before the overlap check
        if self._uow.slots.overlaps(slot):
            self._uow.rollback()
            raise Conflict("The slot overlaps another slot of the practitioner.")
        self._uow.commit()
        return slot

    def withdraw(self, slot_id: uuid.UUID) -> None:
        """Withdraw an unbooked slot: it becomes ``blocked`` (withdrawing it again changes nothing)."""
        slot = self._uow.slots.get(slot_id)
        if slot is None:
            raise NotFound("No slot has this id.")
        if slot.status == SlotStatus.BLOCKED:
            return
        if not self._uow.slots.withdraw(slot.id):
            self._uow.rollback()
            raise Conflict("The slot has a confirmed booking; cancel it first.")
        self._uow.commit()

    def _practitioner(self, practitioner_id: uuid.UUID) -> Practitioner:
        practitioner = self._uow.practitioners.get(practitioner_id)
        if practitioner is None:
            raise NotFound("No practitioner has this id.")
        return practitioner
