from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Booking, BookingStatus, Slot

from .pagination import Page, paginate


class BookingRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, booking: Booking) -> None:
        self._session.add(booking)

    def get(self, booking_id: uuid.UUID) -> Booking | None:
        return self._session.get(Booking, booking_id)

    def search(
        self,
        *,
        patient_id: uuid.UUID | None,
        status: BookingStatus | None,
        practitioner_id: uuid.UUID | None,
        starts_from: datetime | None,
        starts_before: datetime | None,
        limit: int,
        offset: int,
    ) -> Page[Booking]:
        """Bookings by their slot's start time; each ``None`` filter is left out."""
        statement = select(Booking).join(Booking.slot)
        if patient_id is not None:
            statement = statement.where(Booking.patient_id == patient_id)
        if status is not None:
            statement = statement.where(Booking.status == status)
        if practitioner_id is not None:
            statement = statement.where(Slot.practitioner_id == practitioner_id)
        if starts_from is not None:
            statement = statement.where(Slot.starts_at >= starts_from)
        if starts_before is not None:
            statement = statement.where(Slot.starts_at < starts_before)
        statement = statement.order_by(Slot.starts_at, Booking.id)
        return paginate(self._session, statement, limit=limit, offset=offset)

    def patient_is_busy(self, patient_id: uuid.UUID, starts_at: datetime, ends_at: datetime) -> bool:
        """Whether the patient has a confirmed booking overlapping ``[starts_at, ends_at)``."""
        statement = (
            select(Booking.id)
            .join(Booking.slot)
            .where(
                Booking.patient_id == patient_id,
                Booking.status == BookingStatus.CONFIRMED,
                Slot.starts_at < ends_at,
                Slot.ends_at > starts_at,
            )
        )
        return self._session.scalar(statement.limit(1)) is not None

    def practitioner_has_upcoming(self, practitioner_id: uuid.UUID, now: datetime) -> bool:
        """Whether a confirmed booking with the practitioner has not ended yet."""
        statement = (
            select(Booking.id)
            .join(Booking.slot)
            .where(
                Slot.practitioner_id == practitioner_id,
                Booking.status == BookingStatus.CONFIRMED,
                Slot.ends_at > now,
            )
        )
        return self._session.scalar(statement.limit(1)) is not None
