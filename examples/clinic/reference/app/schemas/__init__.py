"""Pydantic v2 models of every request and response body and query of the contract."""

from .auth import LoginRequest, Patient, RegisterRequest, Token
from .bookings import Booking, BookingCreate, BookingPage, BookingQuery, CancelRequest
from .common import Error, ErrorDetail, Uuid
from .practitioners import Practitioner, PractitionerCreate, PractitionerPage, PractitionerQuery, PractitionerUpdate
from .slots import Slot, SlotCreate, SlotPage, SlotQuery

__all__ = [
    "Booking",
    "BookingCreate",
    "BookingPage",
    "BookingQuery",
    "CancelRequest",
    "Error",
    "ErrorDetail",
    "LoginRequest",
    "Patient",
    "Practitioner",
    "PractitionerCreate",
    "PractitionerPage",
    "PractitionerQuery",
    "PractitionerUpdate",
    "RegisterRequest",
    "Slot",
    "SlotCreate",
    "SlotPage",
    "SlotQuery",
    "Token",
    "Uuid",
]
