from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .enums import SlotStatus

if TYPE_CHECKING:
    from .booking import Booking
    from .practitioner import Practitioner


class Slot(Base):
    __tablename__ = "slots"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    status: Mapped[SlotStatus] = mapped_column(default=SlotStatus.OPEN)

    practitioner: Mapped[Practitioner] = relationship(back_populates="slots")
    bookings: Mapped[list[Booking]] = relationship(
        back_populates="slot", cascade="all, delete-orphan", passive_deletes=True
    )
