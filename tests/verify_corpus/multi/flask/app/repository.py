from app.db import db
from app.models import Note


def notes() -> list[dict[str, object]]:
    return [_row(n) for n in Note.query.order_by(Note.id)]


def note(note_id: int) -> dict[str, object] | None:
    found = db.session.get(Note, note_id)
    return _row(found) if found else None


def add(title: str, body: str | None) -> dict[str, object]:
    created = Note(title=title, body=body)
    db.session.add(created)
    db.session.commit()
    return _row(created)


def remove(note_id: int) -> bool:
    found = db.session.get(Note, note_id)
    if found is not None:
        db.session.delete(found)
        db.session.commit()
    return found is not None


def _row(n: Note) -> dict[str, object]:
    return {"id": n.id, "title": n.title, "body": n.body}
