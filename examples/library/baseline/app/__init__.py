"""The Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

DEFAULT_DATABASE_URL = "sqlite:///instance/library.sqlite3"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-secret-change-me"),
        LIBRARIAN_EMAIL=os.environ.get("LIBRARIAN_EMAIL"),
        LIBRARIAN_PASSWORD=os.environ.get("LIBRARIAN_PASSWORD"),
    )
    app.config.update(config or {})

    from app import routes
    from app.repositories import database
    from app.services import auth

    database.init_db(app.config["DATABASE_URL"])
    app.teardown_appcontext(lambda exc: database.remove_session())
    if app.config["LIBRARIAN_EMAIL"] and app.config["LIBRARIAN_PASSWORD"]:
        auth.ensure_librarian(app.config["LIBRARIAN_EMAIL"], app.config["LIBRARIAN_PASSWORD"])
        database.remove_session()
    routes.register(app)
    return app
