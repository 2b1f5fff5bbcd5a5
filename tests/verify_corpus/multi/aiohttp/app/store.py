import os

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, delete, insert, select

engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///notes.sqlite3"))
metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body", Text),
)


def all_notes() -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(notes))]


def one(note_id: int) -> dict[str, object] | None:
    with engine.connect() as conn:
        row = conn.execute(select(notes).where(notes.c.id == note_id)).first()
        return dict(row._mapping) if row else None


def add(title: str, body: str | None) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(notes).values(title=title, body=body)).inserted_primary_key[0])


def remove(note_id: int) -> bool:
    with engine.begin() as conn:
        return bool(conn.execute(delete(notes).where(notes.c.id == note_id)).rowcount)
