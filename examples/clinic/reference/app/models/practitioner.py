from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .enums import Specialty

if TYPE_CHECKING:
    from .slot import Slot


class Practitioner(Base):
    __tablename__ = "practitioners"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    full_name: Mapped[str] = mapped_column(String(120))
    specialty: Mapped[Specialty]
    license_number: Mapped[str] = mapped_column(String(9), unique=True)
    bio: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Deleting a practitioner deletes their slots (and those slots' bookings).
    slots: Mapped[list[Slot]] = relationship(
        back_populates="practitioner", cascade="all, delete-orphan", passive_deletes=True
    )
