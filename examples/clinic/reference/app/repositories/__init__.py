"""Data access: the engine, the sessions and every query. Nothing else touches the database."""

from .database import Database
from .pagination import Page
from .unit_of_work import ConstraintViolation, UnitOfWork

__all__ = ["ConstraintViolation", "Database", "Page", "UnitOfWork"]
