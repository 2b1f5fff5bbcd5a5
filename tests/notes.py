"""A small notes API for tests: its task (OpenAPI 3.1 contract inline) and a WSGI implementation."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

MAX_TEXT = 20
"""The contract's maxLength of a note's text."""

NOTES_TASK = """\
id: notes
title: Notes API
goal: Keep short notes.
target: {language: python, framework: flask}
contract:
  openapi: 3.1.0
  info: {title: Notes, version: "1"}
  paths:
    /notes:
      post:
        operationId: createNote
        requestBody:
          required: true
          content:
            application/json:
              schema:
                type: object
                required: [text]
                properties: {text: {type: string, minLength: 1, maxLength: 20}}
                additionalProperties: false
        responses:
          "201":
            description: created
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Note"}
          "400":
            description: invalid
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Error"}
    /notes/{noteId}:
      get:
        operationId: getNote
        parameters:
          - {name: noteId, in: path, required: true, schema: {type: integer}}
        responses:
          "200":
            description: the note
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Note"}
          "404":
            description: no such note
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Error"}
  components:
    schemas:
      Note:
        type: object
        required: [id, text]
        properties: {id: {type: integer}, text: {type: string}}
      Error:
        type: object
        required: [error]
        properties: {error: {type: string}}
layers: []
"""


def notes_app(
    notes: dict[int, dict[str, Any]], *, check_max_length: bool = True
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """The notes API, storing into ``notes``; with ``check_max_length=False`` it accepts texts over 20 characters."""
    lock = threading.Lock()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def answer(status: str, body: object) -> list[bytes]:
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]

        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        if path == "/notes" and method == "POST":
            try:
                body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            except ValueError:
                return answer("400 Bad Request", {"error": "the body is not JSON"})
            if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str):
                return answer("400 Bad Request", {"error": "text (a string) is required"})
            if not body["text"]:
                return answer("400 Bad Request", {"error": "text is empty"})
            if check_max_length and len(body["text"]) > MAX_TEXT:
                return answer("400 Bad Request", {"error": f"text is longer than {MAX_TEXT} characters"})
            with lock:
                note = notes[len(notes) + 1] = {"id": len(notes) + 1, "text": body["text"]}
            return answer("201 Created", note)
        match = re.fullmatch(r"/notes/(\d+)", path)
        if match and method == "GET" and int(match[1]) in notes:
            return answer("200 OK", notes[int(match[1])])
        return answer("404 Not Found", {"error": "no such note"})

    return app
