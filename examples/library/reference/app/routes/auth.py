from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from app.schemas.auth import LoginSchema, MemberSchema, RegisterSchema, TokenSchema
from app.services import auth

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.post("/register")
def register_member() -> Any:
    data = RegisterSchema().load(request.get_json(silent=True))
    return MemberSchema().dump(auth.register(**data)), 201


@bp.post("/login")
def login() -> Any:
    data = LoginSchema().load(request.get_json(silent=True))
    return TokenSchema().dump(auth.login(**data, secret=current_app.config["SECRET_KEY"]))
