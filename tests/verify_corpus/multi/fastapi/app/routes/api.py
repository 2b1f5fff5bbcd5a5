from fastapi import APIRouter

from app.routes import notes

NOTES = "/notes"

router = APIRouter()
router.include_router(router=notes.router, prefix=NOTES, tags=["notes"])
