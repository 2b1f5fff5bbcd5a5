"""Fields and base schemas shared by every resource."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate


class Text(fields.String):
    """A string that can be stored: lone surrogates (valid JSON escapes) are refused."""

    default_error_messages = {"unicode": "Not valid Unicode text."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise self.make_error("unicode") from error
        return text


class StrictInteger(fields.Integer):
    """An integer of a JSON body: a JSON number without a fraction, never a string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


class QueryInteger(fields.Integer):
    """An integer of a query string or path: decimal digits only."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class QueryBoolean(fields.Boolean):
    """A boolean of a query string: ``true`` or ``false``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)


class UtcDateTime(fields.DateTime):
    """RFC 3339 with an offset; naive values (SQLite returns them) are UTC."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class RequestBody(Schema):
    class Meta:
        unknown = RAISE


class ListQuery(Schema):
    """The query string of a list operation: its filters and the page."""

    class Meta:
        unknown = EXCLUDE

    page = QueryInteger(load_default=1, validate=validate.Range(min=1))
    page_size = QueryInteger(data_key="pageSize", load_default=20, validate=validate.Range(min=1, max=100))


def page_of(item_schema: Schema, page: Any) -> dict[str, Any]:
    """The contract's page envelope: items, page, pageSize, total."""
    return {
        "items": item_schema.dump(page.items, many=True),
        "page": page.page,
        "pageSize": page.page_size,
        "total": page.total,
    }
