from flask import Blueprint, abort, request
from flask.views import MethodView

from app import repository

bp = Blueprint("notes", __name__, url_prefix="/notes")


@bp.get("")
def list_notes():
    return repository.notes()


@bp.post("")
def create_note():
    data = request.get_json(force=True)
    return repository.add(data["title"], data.get("body")), 201


class NoteView(MethodView):
    def get(self, note_id: int):
        return repository.note(note_id) or abort(404)

    def delete(self, note_id: int):
        return ("", 204) if repository.remove(note_id) else abort(404)


bp.add_url_rule("/<int:note_id>", view_func=NoteView.as_view("note"))
