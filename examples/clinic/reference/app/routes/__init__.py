"""HTTP: one APIRouter per contract tag, translating requests to service calls and back."""

from . import auth, bookings, practitioners, slots
from .errors import install_error_handlers

routers = (auth.router, practitioners.router, slots.router, bookings.router)

__all__ = ["install_error_handlers", "routers"]
