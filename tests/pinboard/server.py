"""A reference backend for the Pinboard fixture (stdlib only), with seeded bugs.

``serve()`` starts it on a free loopback port in a thread and returns the
server; ``server.mutant`` names the seeded bug in force (``""``: none), so
one running server plays the reference and every mutant in turn.
``server.behaviours`` turns on choices that correct real servers make and
the contract leaves open (:data:`BEHAVIOURS`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MUTANTS = {
    "any-token": "any Authorization value is accepted",
    "bearer-only": "only 'Bearer <token>' is read, the contract's 'Token <token>' is refused",
    "any-password": "a session opens with any password",
    "create-200": "a board is created with 200, not 201",
    "summary-dropped": "a created board answers without its summary",
    "labels-dropped": "labels are not stored",
    "lost-update": "an edit answers the change but does not keep the summary",
    "delete-noop": "deleting a board answers 204 and keeps it",
    "delete-no-auth": "a board is deleted without credentials",
    "nested-gap": "a board without a title is accepted",
    "note-delete-noop": "deleting a note answers 204 and keeps it",
    "watch-404": "watching a person answers 404",
    "pin-crash": "pinning a board fails with 500",
    "list-skips-newest": "the board list leaves the newest board out",
    "unwatch-noop": "unwatching answers watching=false and keeps watching",
    "notes-unscoped": "a board's notes list has every board's notes",
    "bio-dropped": "an edit of the member answers the bio and does not keep it",
    "owner-filter-ignored": "the board list ignores the owner filter",
    "label-filter-ignored": "the board list ignores the label filter",
    "offset-as-page": "the board list reads offset as a page number (offset * limit boards skipped)",
    "offset-off-by-one": "the board list skips one board more than offset says",
}


BEHAVIOURS = {
    "lookup-first": "the thing a path names is looked up before the credential: 404 before 401",
    "lenient": "a number sent for a text is taken as its digits (coercion), so some invalid bodies are accepted",
    "url-avatar": "an avatar must be an http(s) URL, where the contract says only string",
}
"""Correct behaviours the contract leaves open, each off unless named in ``server.behaviours``."""


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.members: dict[str, dict[str, Any]] = {}  # handle -> member
        self.tokens: dict[str, str] = {}  # token -> handle
        self.boards: dict[str, dict[str, Any]] = {}  # slug -> board
        self.order: list[str] = []
        self.notes: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.watching: set[tuple[str, str]] = set()
        self.pins: set[tuple[str, str]] = set()


class PinboardServer(ThreadingHTTPServer):
    daemon_threads = True
    mutant = ""
    behaviours: frozenset[str] = frozenset()
    state: _State


def _slug(title: str, taken: dict[str, Any]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "board"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


class _Handler(BaseHTTPRequestHandler):
    server: PinboardServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ------------------------------------------------------------------------

    def _send(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _invalid(self, field: str) -> None:
        self._send(422, {"errors": {field: ["is invalid"]}})

    def _text(self, value: Any) -> str | None:
        """``value`` as a text, else ``None``; a lenient server takes a number as its digits."""
        if isinstance(value, str):
            return value
        lenient = "lenient" in self.server.behaviours
        return str(value) if lenient and isinstance(value, int | float) and not isinstance(value, bool) else None

    def _unknown(self, parts: list[str]) -> bool:
        """Whether the path names a person, board or note that does not exist."""
        state = self.server.state
        if len(parts) >= 2 and parts[0] == "people":
            return parts[1] not in state.members
        if len(parts) >= 2 and parts[0] == "boards":
            if parts[1] not in state.boards:
                return True
            if len(parts) >= 4 and parts[2] == "notes":
                return not parts[3].isdigit() or int(parts[3]) not in state.notes
        return False

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return None

    def _who(self) -> str | None:
        header = self.headers.get("Authorization", "")
        mutant = self.server.mutant
        if mutant == "any-token" and header:
            return next(iter(self.server.state.members), None)
        scheme = "Bearer " if mutant == "bearer-only" else "Token "
        if not header.startswith(scheme):
            return None
        return self.server.state.tokens.get(header[len(scheme) :])

    def _person(self, handle: str, viewer: str | None) -> dict[str, Any]:
        member = self.server.state.members[handle]
        return {"handle": handle, "bio": member["bio"], "watching": (viewer, handle) in self.server.state.watching}

    def _board(self, board: dict[str, Any], viewer: str | None) -> dict[str, Any]:
        state = self.server.state
        out = {
            "slug": board["slug"],
            "title": board["title"],
            "summary": board["summary"],
            "labels": board["labels"],
            "pinned": (viewer, board["slug"]) in state.pins,
            "pinCount": sum(1 for _, slug in state.pins if slug == board["slug"]),
            "owner": self._person(board["owner"], viewer),
        }
        if self.server.mutant == "summary-dropped":
            del out["summary"]
        return out

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        query = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&") if "=" in p)
        if not path.startswith("/api/"):
            self._send(404, {"errors": {"path": ["not found"]}})
            return
        parts = [p for p in path[5:].split("/") if p]
        with self.server.state.lock:
            literal = "_" + method.lower() + "_" + "_".join(parts)
            shaped = "_" + method.lower() + "_" + "_".join("x" if i % 2 else p for i, p in enumerate(parts))
            handler = getattr(self, literal, None) if parts == ["members", "session"] else getattr(self, shaped, None)
            if handler is None:
                self._send(404, {"errors": {"path": ["not found"]}})
                return
            if "lookup-first" in self.server.behaviours and self._unknown(parts):
                self._send(404)
                return
            handler(parts, query)
        return

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    # -- members -------------------------------------------------------------------------

    def _member_out(self, handle: str, token: str) -> dict[str, Any]:
        member = self.server.state.members[handle]
        out = {"handle": handle, "email": member["email"], "token": token, "bio": member["bio"]}
        return {"member": {**out, "avatar": member["avatar"]}}

    def _post_members(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        body = self._body()
        member = body.get("member") if isinstance(body, dict) else None
        if not isinstance(member, dict):
            self._invalid("member")
            return
        for field in ("handle", "email", "password"):
            member[field] = self._text(member.get(field))
            if not member[field]:
                self._invalid(field)
                return
        if "@" not in member["email"]:
            self._invalid("email")
            return
        if member["handle"] in state.members or any(m["email"] == member["email"] for m in state.members.values()):
            self._send(422, {"errors": {"handle": ["is taken"]}})
            return
        state.members[member["handle"]] = {
            "email": member["email"],
            "password": member["password"],
            "bio": None,
            "avatar": None,
        }
        token = secrets.token_hex(16)
        state.tokens[token] = member["handle"]
        self._send(201, self._member_out(member["handle"], token))

    def _post_members_session(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        body = self._body()
        member = body.get("member") if isinstance(body, dict) else None
        if not isinstance(member, dict) or not isinstance(member.get("email"), str):
            self._invalid("email")
            return
        if not isinstance(member.get("password"), str):
            self._invalid("password")
            return
        handle = next((h for h, m in state.members.items() if m["email"] == member["email"]), None)
        if handle is None:
            self._send(401)
            return
        if state.members[handle]["password"] != member["password"] and self.server.mutant != "any-password":
            self._send(401)
            return
        token = secrets.token_hex(16)
        state.tokens[token] = handle
        self._send(200, self._member_out(handle, token))

    def _get_member(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._who()
        if who is None:
            self._send(401)
            return
        token = self.headers["Authorization"].split(" ", 1)[-1]
        self._send(200, self._member_out(who, token))

    def _put_member(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._who()
        if who is None:
            self._send(401)
            return
        body = self._body()
        change = body.get("member") if isinstance(body, dict) else None
        if not isinstance(change, dict):
            self._invalid("member")
            return
        for field in ("bio", "handle", "avatar"):
            if field in change:
                change[field] = self._text(change[field])
        if "bio" in change and (change["bio"] is None or len(change["bio"]) > 280):
            self._invalid("bio")
            return
        if "handle" in change and (not change["handle"] or change["handle"] in self.server.state.members):
            self._invalid("handle")
            return
        if "avatar" in change and (
            change["avatar"] is None
            or ("url-avatar" in self.server.behaviours and not re.fullmatch(r"https?://\S+", change["avatar"]))
        ):
            self._invalid("avatar")
            return
        member = self.server.state.members[who]
        token = self.headers["Authorization"].split(" ", 1)[-1]
        if "avatar" in change:
            member["avatar"] = change["avatar"]
        if "handle" in change and change["handle"] != who:
            token = self._rename(who, change["handle"])
            who = change["handle"]
        answer = self._member_out(who, token)
        if "bio" in change:
            answer["member"]["bio"] = change["bio"]
            if self.server.mutant != "bio-dropped":
                member["bio"] = change["bio"]
        self._send(200, answer)

    def _rename(self, old: str, new: str) -> str:
        """A new handle for a member; its tokens name the old one (as a JWT holds a username): a new token."""
        state = self.server.state
        state.members[new] = state.members.pop(old)
        state.tokens = {token: handle for token, handle in state.tokens.items() if handle != old}
        for board in state.boards.values():
            board["owner"] = new if board["owner"] == old else board["owner"]
        for note in state.notes.values():
            note["author"] = new if note["author"] == old else note["author"]
        state.watching = {(new if a == old else a, new if b == old else b) for a, b in state.watching}
        state.pins = {(new if a == old else a, slug) for a, slug in state.pins}
        token = secrets.token_hex(16)
        state.tokens[token] = new
        return token

    def _get_people_x(self, parts: list[str], query: dict[str, str]) -> None:
        if parts[1] not in self.server.state.members:
            self._send(404)
            return
        self._send(200, {"person": self._person(parts[1], self._who())})

    def _watch(self, parts: list[str], on: bool) -> None:
        who = self._who()
        if who is None:
            self._send(401)
            return
        if parts[1] not in self.server.state.members or (on and self.server.mutant == "watch-404"):
            self._send(404)
            return
        if on or self.server.mutant != "unwatch-noop":
            (self.server.state.watching.add if on else self.server.state.watching.discard)((who, parts[1]))
        person = self._person(parts[1], who)
        if not on:
            person["watching"] = False
        self._send(200, {"person": person})

    def _post_people_x_watch(self, parts: list[str], query: dict[str, str]) -> None:
        self._watch(parts, True)

    def _delete_people_x_watch(self, parts: list[str], query: dict[str, str]) -> None:
        self._watch(parts, False)

    # -- boards --------------------------------------------------------------------------

    def _get_boards(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        slugs = list(reversed(state.order))
        if self.server.mutant == "list-skips-newest":
            slugs = slugs[1:]
        mutant = self.server.mutant
        boards = [state.boards[s] for s in slugs]
        if "owner" in query and mutant != "owner-filter-ignored":
            boards = [b for b in boards if b["owner"] == query["owner"]]
        if "label" in query and mutant != "label-filter-ignored":
            boards = [b for b in boards if query["label"] in b["labels"]]
        try:
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
        except ValueError:
            self._invalid("offset")
            return
        offset = offset * limit if mutant == "offset-as-page" else offset + (mutant == "offset-off-by-one")
        page = boards[offset : offset + limit]
        self._send(200, {"boards": [self._board(b, self._who()) for b in page], "boardsCount": len(boards)})

    def _post_boards(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        who = self._who()
        if who is None:
            self._send(401)
            return
        body = self._body()
        board = body.get("board") if isinstance(body, dict) else None
        if not isinstance(board, dict):
            self._invalid("board")
            return
        gap = self.server.mutant == "nested-gap"
        for field in ("title", "summary"):
            if field in board:
                board[field] = self._text(board[field])
        if not isinstance(board.get("title"), str) and not (gap and "title" not in board):
            self._invalid("title")
            return
        if not isinstance(board.get("title", ""), str) or len(board.get("title", "")) > 120:
            self._invalid("title")
            return
        if not isinstance(board.get("summary"), str):
            self._invalid("summary")
            return
        labels = board.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            self._invalid("labels")
            return
        title = board.get("title", "")
        slug = _slug(title, state.boards)
        state.boards[slug] = {
            "slug": slug,
            "title": title,
            "summary": board["summary"],
            "labels": [] if self.server.mutant == "labels-dropped" else sorted(set(labels)),
            "owner": who,
        }
        state.order.append(slug)
        self._send(200 if self.server.mutant == "create-200" else 201, {"board": self._board(state.boards[slug], who)})

    def _get_boards_x(self, parts: list[str], query: dict[str, str]) -> None:
        board = self.server.state.boards.get(parts[1])
        if board is None:
            self._send(404)
            return
        self._send(200, {"board": self._board(board, self._who())})

    def _owned(self, slug: str, *, anyone: bool = False) -> tuple[str, dict[str, Any]] | None:
        who = self._who()
        if who is None and not anyone:
            self._send(401)
            return None
        board = self.server.state.boards.get(slug)
        if board is None:
            self._send(404)
            return None
        if board["owner"] != who and not anyone:
            self._send(403)
            return None
        return who or "", board

    def _patch_boards_x(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        found = self._owned(parts[1])
        if found is None:
            return
        who, board = found
        body = self._body()
        change = body.get("board") if isinstance(body, dict) else None
        if not isinstance(change, dict):
            self._invalid("board")
            return
        for field in ("title", "summary"):
            if field in change:
                change[field] = self._text(change[field])
            if field in change and change[field] is None:
                self._invalid(field)
                return
        if len(change.get("title", "")) > 120:
            self._invalid("title")
            return
        answer = {**board, **{k: v for k, v in change.items() if k in ("title", "summary")}}
        if self.server.mutant != "lost-update":
            board.update(answer)
        else:
            board["title"] = answer["title"]
        if "title" in change:  # a new title makes a new slug
            del state.boards[board["slug"]]
            index = state.order.index(board["slug"])
            board["slug"] = answer["slug"] = _slug(board["title"], state.boards)
            state.boards[board["slug"]] = board
            state.order[index] = board["slug"]
        self._send(200, {"board": self._board(answer, who)})

    def _delete_boards_x(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        found = self._owned(parts[1], anyone=self.server.mutant == "delete-no-auth")
        if found is None:
            return
        if self.server.mutant != "delete-noop":
            del state.boards[parts[1]]
            state.order.remove(parts[1])
        self._send(204)

    def _pin(self, parts: list[str], on: bool) -> None:
        who = self._who()
        if who is None:
            self._send(401)
            return
        board = self.server.state.boards.get(parts[1])
        if board is None:
            self._send(404)
            return
        if on and self.server.mutant == "pin-crash":
            self._send(500, {"errors": {"server": ["crashed"]}})
            return
        (self.server.state.pins.add if on else self.server.state.pins.discard)((who, parts[1]))
        self._send(200, {"board": self._board(board, who)})

    def _post_boards_x_pin(self, parts: list[str], query: dict[str, str]) -> None:
        self._pin(parts, True)

    def _delete_boards_x_pin(self, parts: list[str], query: dict[str, str]) -> None:
        self._pin(parts, False)

    # -- notes ---------------------------------------------------------------------------

    def _get_boards_x_notes(self, parts: list[str], query: dict[str, str]) -> None:
        if parts[1] not in self.server.state.boards:
            self._send(404)
            return
        unscoped = self.server.mutant == "notes-unscoped"
        notes = [n for n in self.server.state.notes.values() if n["board"] == parts[1] or unscoped]
        self._send(200, {"notes": [self._note(n) for n in notes]})

    def _note(self, note: dict[str, Any]) -> dict[str, Any]:
        return {"id": note["id"], "text": note["text"], "author": self._person(note["author"], self._who())}

    def _post_boards_x_notes(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._who()
        if who is None:
            self._send(401)
            return
        if parts[1] not in self.server.state.boards:
            self._send(404)
            return
        body = self._body()
        note = body.get("note") if isinstance(body, dict) else None
        text = self._text(note.get("text")) if isinstance(note, dict) else None
        if not isinstance(note, dict) or text is None or not 1 <= len(text) <= 500:
            self._invalid("text")
            return
        made = {"id": next(self.server.state.ids), "text": text, "author": who, "board": parts[1]}
        self.server.state.notes[made["id"]] = made
        self._send(201, {"note": self._note(made)})

    def _delete_boards_x_notes_x(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._who()
        if who is None:
            self._send(401)
            return
        try:
            note = self.server.state.notes.get(int(parts[3]))
        except ValueError:
            note = None
        if note is None or note["board"] != parts[1]:
            self._send(404)
            return
        if note["author"] != who:
            self._send(403)
            return
        if self.server.mutant != "note-delete-noop":
            del self.server.state.notes[note["id"]]
        self._send(204)

    def _get_labels(self, parts: list[str], query: dict[str, str]) -> None:
        labels = sorted({label for b in self.server.state.boards.values() for label in b["labels"]})
        self._send(200, {"labels": labels})


@contextlib.contextmanager
def running() -> Iterator[PinboardServer]:
    """:func:`serve`, shut down and closed on leaving."""
    server = serve()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def serve() -> PinboardServer:
    """The reference, listening on a free loopback port in a daemon thread (``server.shutdown()`` stops it)."""
    server = PinboardServer(("127.0.0.1", 0), _Handler)
    server.state = _State()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
