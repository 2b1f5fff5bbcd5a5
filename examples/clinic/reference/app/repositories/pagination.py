from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a query's results and the number of results in all."""

    items: list[T]
    total: int


def paginate(session: Session, statement: Select[T], *, limit: int, offset: int) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(session.scalars(statement.limit(limit).offset(offset)))
    return Page(items=items, total=total or 0)
