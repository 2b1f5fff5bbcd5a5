"""SQLAlchemy 2.0 declarative models: the tables, nothing else."""

from .account import Account
from .base import Base
from .booking import Booking
from .enums import BookingStatus, Role, SlotStatus, Specialty
from .patient import Patient
from .practitioner import Practitioner
from .slot import Slot

__all__ = [
    "Account",
    "Base",
    "Booking",
    "BookingStatus",
    "Patient",
    "Practitioner",
    "Role",
    "Slot",
    "SlotStatus",
    "Specialty",
]
