from __future__ import annotations

from flask import Blueprint, current_app, request

from app.schemas import LoginSchema, MemberSchema, RegisterSchema
from app.services import auth

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.post("/register")
def register_member():
    data = RegisterSchema().load(request.get_json(silent=True))
    member = auth.register(**data)
    return MemberSchema().dump(member), 201


@bp.post("/login")
def login():
    data = LoginSchema().load(request.get_json(silent=True))
    token = auth.login(**data, secret=current_app.config["SECRET_KEY"])
    return {"accessToken": token, "tokenType": "Bearer", "expiresIn": auth.TOKEN_SECONDS}
