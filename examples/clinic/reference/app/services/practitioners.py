from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from app.models import Practitioner, Specialty
from app.repositories import ConstraintViolation, Page, UnitOfWork

from . import clock
from .errors import Conflict, NotFound

_EDITABLE = frozenset({"full_name", "specialty", "license_number", "bio", "active"})


class PractitionerService:
    """The practitioner directory; changing it is for staff (checked by the caller)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def search(
        self, *, active: bool, specialty: str | None, name_contains: str | None, limit: int, offset: int
    ) -> Page[Practitioner]:
        return self._uow.practitioners.search(
            active=active,
            specialty=None if specialty is None else Specialty(specialty),
            name_contains=name_contains,
            limit=limit,
            offset=offset,
        )

    def get(self, practitioner_id: uuid.UUID) -> Practitioner:
        practitioner = self._uow.practitioners.get(practitioner_id)
        if practitioner is None:
            raise NotFound("No practitioner has this id.")
        return practitioner

    def create(self, *, full_name: str, specialty: str, license_number: str, bio: str | None = None) -> Practitioner:
        practitioner = Practitioner(
            full_name=full_name, specialty=Specialty(specialty), license_number=license_number, bio=bio, active=True
        )
        self._uow.practitioners.add(practitioner)
        self._commit()
        return practitioner

    def update(self, practitioner_id: uuid.UUID, changes: Mapping[str, Any]) -> Practitioner:
        practitioner = self.get(practitioner_id)
        for name, value in changes.items():
            if name not in _EDITABLE:
                raise ValueError(f"{name} cannot be changed")
            setattr(practitioner, name, Specialty(value) if name == "specialty" else value)
        self._commit()
        return practitioner

    def delete(self, practitioner_id: uuid.UUID) -> None:
        """Delete a practitioner with their slots, unless a confirmed booking with them is still ahead."""
        practitioner = self.get(practitioner_id)
        # Write first: the transaction then holds SQLite's write lock, so no booking
        # can be confirmed between the check below and the delete.
        practitioner.active = False
        self._uow.flush()
        if self._uow.bookings.practitioner_has_upcoming(practitioner.id, clock.now()):
            self._uow.rollback()
            raise Conflict("The practitioner has confirmed bookings ahead; deactivate them instead.")
        self._uow.practitioners.delete(practitioner)
        self._uow.commit()

    def _commit(self) -> None:
        try:
            self._uow.commit()
        except ConstraintViolation:
            raise Conflict("Another practitioner has this license number.") from None
