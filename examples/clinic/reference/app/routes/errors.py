"""Every error as the contract's Error body: service refusals, invalid requests (400, never 422), HTTP errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from app.schemas import Error, ErrorDetail
from app.services import ServiceError

STATUS = {"validation_error": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409}
CODE = {status: code for code, status in STATUS.items()}


def error_response(code: str, message: str, details: list[ErrorDetail] | None = None) -> JSONResponse:
    status = STATUS[code]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = Error.model_validate({"code": code, "message": message, "details": details})
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


async def service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(exc.code, exc.message)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(field=".".join(str(part) for part in error["loc"]), message=error["msg"]) for error in exc.errors()
    ]
    return error_response("validation_error", "The request is invalid.", details)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code not in CODE:
        return await http_exception_handler(request, exc)
    return error_response(CODE[exc.status_code], str(exc.detail))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
