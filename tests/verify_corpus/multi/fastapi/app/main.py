from fastapi import FastAPI

from app.config import settings
from app.routes import api

app = FastAPI(title="Notes")
app.include_router(router=api.router, prefix=settings.api_prefix)
