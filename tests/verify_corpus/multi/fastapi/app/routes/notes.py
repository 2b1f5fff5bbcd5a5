from typing import Any

from fastapi import APIRouter, HTTPException, Response

from app.repositories import notes

router = APIRouter()


def _shape(note: Any) -> dict[str, Any]:
    return {"id": note.id, "title": note.title, "body": note.body}


@router.get("")
def list_notes() -> list[dict[str, Any]]:
    return [_shape(n) for n in notes.all_notes()]


@router.post("", status_code=201)
def create_note(payload: dict[str, str]) -> dict[str, Any]:
    return _shape(notes.add(payload["title"], payload.get("body")))


@router.get("/{note_id}")
def get_note(note_id: int) -> dict[str, Any]:
    note = notes.one(note_id)
    if note is None:
        raise HTTPException(404, "not found")
    return _shape(note)


@router.delete("/{note_id}", status_code=204)
def delete_note(note_id: int) -> Response:
    if not notes.remove(note_id):
        raise HTTPException(404, "not found")
    return Response(status_code=204)
