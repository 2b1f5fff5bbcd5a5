from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .enums import BookingStatus

if TYPE_CHECKING:
    from .patient import Patient
    from .slot import Slot


class Booking(Base):
    """A patient's booking of a slot; its practitioner and times are the slot's."""

    __tablename__ = "bookings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[BookingStatus] = mapped_column(default=BookingStatus.CONFIRMED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="bookings")
    slot: Mapped[Slot] = relationship(back_populates="bookings", lazy="joined")


# The database itself guarantees that a slot has at most one confirmed booking.
Index(
    "uq_bookings_one_confirmed_per_slot",
    Booking.slot_id,
    unique=True,
    sqlite_where=Booking.status == BookingStatus.CONFIRMED,
)
