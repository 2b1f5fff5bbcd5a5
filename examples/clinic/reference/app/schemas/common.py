"""Base models and the contract's shared types and Error body."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


class RequestModel(BaseModel):
    """A request body: camelCase names only, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")


class QueryModel(BaseModel):
    """Query parameters: camelCase names; parameters the contract does not name are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, extra="ignore")


class ResponseModel(BaseModel):
    """A response body, read from the models' attributes and written in camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, from_attributes=True)


def _matching(pattern: str, what: str) -> Any:
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise PydanticCustomError("format", "Input should be {what}", {"what": what})
        return value

    return BeforeValidator(check)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def not_null(value: Any) -> Any:
    """For optional fields the contract does not make nullable: absent is fine, ``null`` is not."""
    if value is None:
        raise PydanticCustomError("not_null", "Input should not be null")
    return value


# The WHATWG (HTML) definition of a valid email address.
EMAIL_PATTERN = (
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
Email = Annotated[str, StringConstraints(max_length=254), _matching(EMAIL_PATTERN, "an email address")]
Phone = Annotated[str, StringConstraints(pattern=r"^[+][1-9][0-9]{7,14}$")]
FullName = Annotated[str, StringConstraints(min_length=1, max_length=120)]
LicenseNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[0-9]{6}$")]

Uuid = Annotated[
    uuid.UUID,
    _matching(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "a UUID (8-4-4-4-12)"),
]
Day = Annotated[date, _matching(r"\d{4}-\d{2}-\d{2}", "a date (YYYY-MM-DD)")]
Instant = Annotated[
    AwareDatetime,
    _matching(
        r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
        "an RFC 3339 date-time with a time zone (2025-01-31T09:30:00Z)",
    ),
    AfterValidator(_to_utc),
]
"""An RFC 3339 date-time with an offset, as the contract's ``format: date-time``; converted to UTC."""

Specialty = Literal["general_practice", "pediatrics", "dermatology", "cardiology", "physiotherapy", "psychology"]
SlotStatus = Literal["open", "booked", "blocked"]
BookingStatus = Literal["confirmed", "cancelled", "attended", "no_show"]
Role = Literal["patient", "staff"]
ErrorCode = Literal["validation_error", "unauthorized", "forbidden", "not_found", "conflict"]


class PageQuery(QueryModel):
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


ItemT = TypeVar("ItemT", bound=ResponseModel)


class Page(ResponseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int = Field(ge=0)
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[object], total: int, query: PageQuery) -> Self:
        """The page of ``items`` (model objects) that ``query`` asked for, out of ``total``."""
        return cls.model_validate({"items": items, "total": total, "limit": query.limit, "offset": query.offset})


class ErrorDetail(BaseModel):
    field: str
    message: str


class Error(BaseModel):
    code: ErrorCode
    message: str = Field(min_length=1)
    details: list[ErrorDetail] | None = None
