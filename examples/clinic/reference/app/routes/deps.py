"""FastAPI dependencies: a request's unit of work, its services, and who is calling."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.models import Account
from app.repositories import Database, UnitOfWork
from app.schemas import Uuid
from app.services import AuthService, BookingService, PractitionerService, SlotService


def get_unit_of_work(request: Request) -> Iterator[UnitOfWork]:
    database: Database = request.app.state.database
    with database.unit_of_work() as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]


def get_auth_service(request: Request, uow: UnitOfWorkDep) -> AuthService:
    return AuthService(uow, request.app.state.tokens)


def get_practitioner_service(uow: UnitOfWorkDep) -> PractitionerService:
    return PractitionerService(uow)


def get_slot_service(uow: UnitOfWorkDep) -> SlotService:
    return SlotService(uow)


def get_booking_service(uow: UnitOfWorkDep) -> BookingService:
    return BookingService(uow)


Auth = Annotated[AuthService, Depends(get_auth_service)]
Practitioners = Annotated[PractitionerService, Depends(get_practitioner_service)]
Slots = Annotated[SlotService, Depends(get_slot_service)]
Bookings = Annotated[BookingService, Depends(get_booking_service)]

_bearer = HTTPBearer(scheme_name="bearerAuth", bearerFormat="JWT", auto_error=False)


def get_current_account(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)], auth: Auth
) -> Account:
    """The caller; 401 without a valid bearer token."""
    return auth.authenticate(credentials.credentials if credentials else None)


CurrentAccount = Annotated[Account, Depends(get_current_account)]


def require_staff(account: CurrentAccount) -> None:
    """401 without a valid token, 403 for a patient."""
    AuthService.require_staff(account)


STAFF_ONLY = [Depends(require_staff)]

PractitionerId = Annotated[Uuid, Path(alias="practitionerId")]
SlotId = Annotated[Uuid, Path(alias="slotId")]
BookingId = Annotated[Uuid, Path(alias="bookingId")]


def parse_id(value: str) -> uuid.UUID | None:
    """A path id where the contract documents no 400: a malformed one names nothing (404)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
