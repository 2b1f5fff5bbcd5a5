"""HTTP: blueprints, the bearer-token guard, and the mapping of errors to the Error body."""

from __future__ import annotations

from flask import Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from app.services import errors

_STATUS = {
    errors.NotFound: (404, "not_found"),
    errors.Conflict: (409, "conflict"),
    errors.Forbidden: (403, "forbidden"),
    errors.Unauthorized: (401, "unauthorized"),
}


def error_body(status: int, code: str, message: str, details: list | None = None):
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return jsonify(body), status


def _details(messages: object, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(messages, dict):
        out = []
        for field, inner in messages.items():
            name = "body" if field == "_schema" and not prefix else f"{prefix}{field}"
            out.extend(_details(inner, f"{name}."))
        return out
    text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
    return [{"field": prefix.rstrip(".") or "body", "message": text}]


def register(app: Flask) -> None:
    from app.routes import auth, books, loans

    for module in (auth, books, loans):
        app.register_blueprint(module.bp)

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError):
        return error_body(400, "validation_error", "The request is invalid.", _details(exc.messages))

    @app.errorhandler(errors.ServiceError)
    def _service(exc: errors.ServiceError):
        status, code = _STATUS.get(type(exc), (409, "conflict"))
        return error_body(status, code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}.get(
            status, "validation_error"
        )
        return error_body(status, code, exc.description or "The request failed.")
