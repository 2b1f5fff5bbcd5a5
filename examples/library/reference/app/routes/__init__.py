"""HTTP: the blueprints, the bearer-token guard, and the mapping of errors to the Error body."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from app.services import errors

_SERVICE_ERRORS = {
    errors.Unauthorized: (401, "unauthorized"),
    errors.Forbidden: (403, "forbidden"),
    errors.NotFound: (404, "not_found"),
    errors.Conflict: (409, "conflict"),
}
_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}


def register(app: Flask) -> None:
    from app.routes import auth, books, loans, reservations

    for module in (auth, books, loans, reservations):
        app.register_blueprint(module.bp)
    app.register_error_handler(ValidationError, _invalid)
    app.register_error_handler(errors.ServiceError, _refused)
    app.register_error_handler(HTTPException, _http_error)


def error_response(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow's error messages as FieldError entries, one per offending field."""
    if isinstance(messages, dict):
        out = []
        for field, inner in messages.items():
            name = prefix if field == "_schema" else f"{prefix}.{field}" if prefix else str(field)
            out.extend(field_errors(inner, name))
        return out
    text = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
    return [{"field": prefix or "body", "message": text}]


def _invalid(error: ValidationError) -> Response:
    return error_response(400, "validation_error", "The request is invalid.", field_errors(error.messages))


def _refused(error: errors.ServiceError) -> Response:
    status, code = _SERVICE_ERRORS[type(error)]
    return error_response(status, code, error.message)


def _http_error(error: HTTPException) -> Response:
    """Flask's own errors (unknown URL, wrong method, server error) as JSON too."""
    status = error.code or 500
    # The contract's Error codes name client errors only; a server error has none of its own.
    code = _HTTP_CODES.get(status, "validation_error" if status < 500 else "internal_error")
    return error_response(status, code, error.description or "The request failed.")
