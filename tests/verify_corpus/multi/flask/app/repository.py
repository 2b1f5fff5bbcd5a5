from sqlalchemy import select

from app.db import Session
from app.models import Note


def notes() -> list[dict[str, object]]:
    with Session() as session:
        return [_row(n) for n in session.scalars(select(Note))]


def note(note_id: int) -> dict[str, object] | None:
    with Session() as session:
        found = session.get(Note, note_id)
        return _row(found) if found else None


def add(title: str, body: str | None) -> dict[str, object]:
    with Session.begin() as session:
        created = Note(title=title, body=body)
        session.add(created)
        session.flush()
        return _row(created)


def remove(note_id: int) -> bool:
    with Session.begin() as session:
        found = session.get(Note, note_id)
        if found is not None:
            session.delete(found)
        return found is not None


def _row(n: Note) -> dict[str, object]:
    return {"id": n.id, "title": n.title, "body": n.body}
