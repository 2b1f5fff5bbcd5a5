"""The rules: who may do what, bookings and their conflicts, slots and their overlaps."""

from .auth import AuthService, IssuedToken
from .bookings import BookingService
from .errors import Conflict, Forbidden, InvalidRequest, NotFound, ServiceError, Unauthorized
from .practitioners import PractitionerService
from .security import TokenCodec
from .slots import SlotService

__all__ = [
    "AuthService",
    "BookingService",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "IssuedToken",
    "NotFound",
    "PractitionerService",
    "ServiceError",
    "SlotService",
    "TokenCodec",
    "Unauthorized",
]
