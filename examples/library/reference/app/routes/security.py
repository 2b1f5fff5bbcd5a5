from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request

from app.services import auth
from app.services.errors import Unauthorized


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Resolve the bearer token to a member in ``g.member``, or answer 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("A bearer token is required.")
        g.member = auth.member_from_token(token.strip(), current_app.config["SECRET_KEY"])
        return view(*args, **kwargs)

    return wrapper
