"""The Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app import routes
from app.repositories import database
from app.services import auth

DEFAULT_DATABASE_URL = "sqlite:///instance/library.sqlite3"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application, configured from the environment (``config`` overrides it).

    Creates the missing tables and, when LIBRARIAN_EMAIL and LIBRARIAN_PASSWORD
    are set, the librarian account.
    """
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-secret-change-me"),
        LIBRARIAN_EMAIL=os.environ.get("LIBRARIAN_EMAIL"),
        LIBRARIAN_PASSWORD=os.environ.get("LIBRARIAN_PASSWORD"),
    )
    app.config.update(config or {})

    database.init_db(app.config["DATABASE_URL"])
    if app.config["LIBRARIAN_EMAIL"] and app.config["LIBRARIAN_PASSWORD"]:
        auth.ensure_librarian(app.config["LIBRARIAN_EMAIL"], app.config["LIBRARIAN_PASSWORD"])
        database.release()
    app.teardown_appcontext(lambda _exc: database.release())
    routes.register(app)
    return app
