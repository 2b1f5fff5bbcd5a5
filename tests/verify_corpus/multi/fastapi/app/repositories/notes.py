from sqlalchemy import delete, select

from app.db import SessionLocal
from app.models import Note


def all_notes() -> list[Note]:
    with SessionLocal() as session:
        return list(session.scalars(select(Note).order_by(Note.id)))


def one(note_id: int) -> Note | None:
    with SessionLocal() as session:
        return session.get(Note, note_id)


def add(title: str, body: str | None) -> Note:
    with SessionLocal.begin() as session:
        note = Note(title=title, body=body)
        session.add(note)
        session.flush()
        session.expunge(note)
        return note


def remove(note_id: int) -> bool:
    with SessionLocal.begin() as session:
        return bool(session.execute(delete(Note).where(Note.id == note_id)).rowcount)
