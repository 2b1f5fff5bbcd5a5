from __future__ import annotations

from sqlalchemy import func, select

from app.models import Member
from app.repositories import database
from app.repositories.database import session


def get(member_id: int) -> Member | None:
    return database.get(Member, member_id)


def by_email(email: str) -> Member | None:
    """The member with this email, ignoring case (as the database folds it)."""
    return session().scalar(select(Member).where(func.lower(Member.email) == func.lower(email)))


def create(*, email: str, password_hash: str, full_name: str, role: str = "member") -> Member:
    member = Member(email=email, password_hash=password_hash, full_name=full_name, role=role)
    session().add(member)
    session().commit()
    return member
