"""Engine and session.

The session is a thread-local ``scoped_session`` bound once per process by
:func:`init_db` (from the application factory) and removed after each request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, create_engine, false
from sqlalchemy.engine import make_url
from sqlalchemy.orm import InstrumentedAttribute, Session, scoped_session, sessionmaker

from app.models import Base

# SQLite integers are 64-bit: a larger Python int cannot even be bound as a
# parameter, and no row has such an id.
MAX_INTEGER = 2**63 - 1

T = TypeVar("T")

_sessions: scoped_session[Session] = scoped_session(sessionmaker(expire_on_commit=False))


def init_db(url: str) -> None:
    """Bind the session to ``url`` and create the tables that are missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    _sessions.remove()
    previous = _sessions.session_factory.kw.get("bind")
    if previous is not None:
        previous.dispose()
    engine = create_engine(url)
    _sessions.configure(bind=engine)
    Base.metadata.create_all(engine)


def session() -> Session:
    return _sessions()


def release() -> None:
    """End the thread's unit of work: its session, rolling back anything uncommitted."""
    _sessions.remove()


def get(model: type[T], ident: int) -> T | None:
    """The row of ``model`` with primary key ``ident``, or None."""
    return session().get(model, ident) if ident <= MAX_INTEGER else None


def id_equals(column: InstrumentedAttribute[int], ident: int) -> ColumnElement[bool]:
    """``column == ident``; always false for an id too large to be stored."""
    return column == ident if ident <= MAX_INTEGER else false()


def paged(stmt: Select[Any], offset: int, limit: int) -> Select[Any]:
    return stmt.offset(min(offset, MAX_INTEGER)).limit(limit)
