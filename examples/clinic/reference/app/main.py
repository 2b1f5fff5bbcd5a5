"""The FastAPI application: ``app.main:app``, or :func:`create_app` for other settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.config import Settings
from app.repositories import Database
from app.routes import install_error_handlers, routers
from app.services import AuthService, TokenCodec


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    database = Database(settings.database_url)
    tokens = TokenCodec(settings.secret_key, settings.token_ttl)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database.create_tables()
        if settings.staff_email and settings.staff_password:
            with database.unit_of_work() as uow:
                AuthService(uow, tokens).ensure_staff_account(
                    email=settings.staff_email, password=settings.staff_password
                )
        yield
        database.dispose()

    app = FastAPI(
        title="Clinic Appointments API",
        version="0.3.0",
        summary="Book, list and cancel appointments with a clinic's practitioners.",
        lifespan=lifespan,
    )
    app.state.database = database
    app.state.tokens = tokens
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


app = create_app()
