"""Settings from the environment, with the task's defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./clinic.sqlite3"
    secret_key: str = "clinic-development-only-secret-key-change-me"
    token_ttl: timedelta = timedelta(minutes=30)
    host: str = "0.0.0.0"  # every interface, as the task says
    port: int = 8000
    staff_email: str | None = None
    staff_password: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """DATABASE_URL, SECRET_KEY, HOST, PORT, STAFF_EMAIL and STAFF_PASSWORD, each optional."""
        defaults = cls()
        return cls(
            database_url=environ.get("DATABASE_URL") or defaults.database_url,
            secret_key=environ.get("SECRET_KEY") or defaults.secret_key,
            host=environ.get("HOST") or defaults.host,
            port=int(environ.get("PORT") or defaults.port),
            staff_email=environ.get("STAFF_EMAIL") or None,
            staff_password=environ.get("STAFF_PASSWORD") or None,
        )
