"""Engine and session: created once per application, removed after each request."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.models import Base

_sessions: scoped_session[Session] = scoped_session(sessionmaker(expire_on_commit=False))


def init_db(url: str) -> None:
    """Bind the session to ``url`` and create the tables that are missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    _sessions.remove()
    _sessions.configure(bind=engine)
    Base.metadata.create_all(engine)


def session() -> Session:
    return _sessions()


def remove_session() -> None:
    """End the current request's session (rolling back anything uncommitted)."""
    _sessions.remove()
