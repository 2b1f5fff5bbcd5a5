from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from app.models import Account, Booking, BookingStatus, Role, SlotStatus
from app.repositories import ConstraintViolation, Page, UnitOfWork

from . import clock
from .errors import Conflict, Forbidden, NotFound

CANCELLATION_NOTICE = timedelta(hours=24)
"""A patient may cancel a booking until this long before it starts; staff at any time."""


class BookingService:
    """Booking and cancelling; patients see and change their own bookings, staff all of them."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def search(
        self,
        actor: Account,
        *,
        status: str | None,
        practitioner_id: uuid.UUID | None,
        starts_from: datetime | None,
        starts_before: datetime | None,
        limit: int,
        offset: int,
    ) -> Page[Booking]:
        return self._uow.bookings.search(
            patient_id=None if actor.role == Role.STAFF else _patient_id(actor),
            status=None if status is None else BookingStatus(status),
            practitioner_id=practitioner_id,
            starts_from=starts_from,
            starts_before=starts_before,
            limit=limit,
            offset=offset,
        )

    def get(self, actor: Account, booking_id: uuid.UUID) -> Booking:
        booking = self._uow.bookings.get(booking_id)
        if booking is None:
            raise NotFound("No booking has this id.")
        if actor.role != Role.STAFF and booking.patient_id != _patient_id(actor):
            raise Forbidden("This booking belongs to another patient.")
        return booking

    def book(self, actor: Account, *, slot_id: uuid.UUID, reason: str) -> Booking:
        """Book an open slot that has not started, unless the patient is busy at that time."""
        if actor.role != Role.PATIENT:
            raise Forbidden("Staff accounts cannot book.")
        slot = self._uow.slots.get(slot_id)
        if slot is None:
            raise NotFound("No slot has this id.")
        # Claiming the slot is one conditional write, so two requests can never both get it.
        if not self._uow.slots.claim(slot.id, starting_after=clock.now()):
            raise Conflict("The slot is not open, or it has already started.")
        if self._uow.bookings.patient_is_busy(_patient_id(actor), slot.starts_at, slot.ends_at):
            self._uow.rollback()
            raise Conflict("You already have a confirmed booking at that time.")
        booking = Booking(patient_id=_patient_id(actor), slot=slot, reason=reason, status=BookingStatus.CONFIRMED)
        self._uow.bookings.add(booking)
        try:
            self._uow.commit()
        except ConstraintViolation:  # the database's one-confirmed-booking-per-slot index
            raise Conflict("The slot is not open, or it has already started.") from None
        return booking

    def cancel(self, actor: Account, booking_id: uuid.UUID, *, reason: str | None) -> Booking:
        """Cancel a confirmed booking and reopen its slot."""
        booking = self.get(actor, booking_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise Conflict(f"Only confirmed bookings can be cancelled; this one is {booking.status}.")
        now = clock.now()
        if actor.role != Role.STAFF and booking.slot.starts_at - now < CANCELLATION_NOTICE:
            raise Conflict("Bookings can be cancelled up to 24 hours before they start; call the clinic instead.")
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = reason
        booking.slot.status = SlotStatus.OPEN
        self._uow.commit()
        return booking


def _patient_id(actor: Account) -> uuid.UUID:
    if actor.patient is None:
        raise Forbidden("Only patients have bookings.")
    return actor.patient.id
