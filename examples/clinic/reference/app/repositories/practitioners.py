from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Practitioner, Specialty

from .pagination import Page, paginate


class PractitionerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, practitioner: Practitioner) -> None:
        self._session.add(practitioner)

    def get(self, practitioner_id: uuid.UUID) -> Practitioner | None:
        return self._session.get(Practitioner, practitioner_id)

    def delete(self, practitioner: Practitioner) -> None:
        """Delete a practitioner with their slots and those slots' bookings."""
        self._session.delete(practitioner)

    def search(
        self, *, active: bool, specialty: Specialty | None, name_contains: str | None, limit: int, offset: int
    ) -> Page[Practitioner]:
        """Practitioners by name; ``name_contains`` matches case-insensitively."""
        statement = select(Practitioner).where(Practitioner.active == active)
        if specialty is not None:
            statement = statement.where(Practitioner.specialty == specialty)
        if name_contains is not None:
            statement = statement.where(Practitioner.full_name.icontains(name_contains, autoescape=True))
        statement = statement.order_by(Practitioner.full_name, Practitioner.id)
        return paginate(self._session, statement, limit=limit, offset=offset)
