from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from app.models import Base

from .unit_of_work import UnitOfWork


def _enable_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # Connection configuration, not a query: SQLite enforces foreign keys only when asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """One SQLite database: its engine and the units of work that use it."""

    def __init__(self, url: str) -> None:
        if make_url(url).get_backend_name() != "sqlite":
            raise ValueError(f"DATABASE_URL must be a SQLite URL (sqlite:///path), not {url!r}")
        # Sessions move between FastAPI's worker threads; SQLite serializes the writers,
        # each waiting up to 15 s for the others.
        self._engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(self._engine, "connect", _enable_foreign_keys)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    def create_tables(self) -> None:
        """Create the tables that do not exist yet."""
        Base.metadata.create_all(self._engine)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._sessions())

    def dispose(self) -> None:
        self._engine.dispose()
