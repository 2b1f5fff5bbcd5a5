"""Parameter values, serialised as OpenAPI's ``style``/``explode`` rules say.

:func:`parameter_strategy` draws a value for the parameter's schema (as a
request) and serialises it; :func:`serialise_parameter` does the second half
for a given value. The result is what the runner sends, *before*
percent-encoding:

- ``str``: the value of the parameter's one key (a path segment, a query
  value, a header value, a cookie value);
- ``list[str]``: one query key repeated (``?id=1&id=2``), for arrays with
  ``style: form`` (or ``spaceDelimited``/``pipeDelimited``) and
  ``explode: true`` (form's default). An empty list sends no key;
- ``dict[str, str]``: several query keys, for objects with ``style: form``
  and ``explode: true`` (the object's own keys) or ``style: deepObject``
  (``name[key]``).

Scalars are written as JSON writes them (``true``, ``5``, ``1.5``; ``null``
as the empty string); a nested array or object inside an array or object
parameter (for which OpenAPI defines no serialisation) as compact JSON.
Cookies join arrays and objects with commas whatever ``explode`` says.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from cdspec._frozen import JSON
from cdspec.errors import CdspecError

from ._regex import filtered
from ._schema import DEFAULT_MAX_DEPTH, Options, compile_schema
from ._validate import Dialect, document_of, resolve_ref

__all__ = ["Serialised", "parameter_strategy", "serialise_parameter"]

Serialised = str | list[str] | dict[str, str]
"""A serialised parameter: one value, a repeated query key's values, or several query keys."""

UNRESERVED = string.ascii_letters + string.digits + "-._~"
"""The alphabet of plain strings in parameters: RFC 3986 unreserved characters, safe in every location."""

DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
_COOKIE_OCTETS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('",;\\')


class _Spec:
    """The parts of a parameter that serialising needs (from a cdspec Parameter or a mapping)."""

    def __init__(self, parameter: object) -> None:
        if isinstance(parameter, Mapping):
            get = parameter.get
            self.name = str(get("name", ""))
            self.location = str(get("in", ""))
            self.required = bool(get("required", self.location == "path"))
            self.schema: JSON = get("schema")
            style, explode = get("style"), get("explode")
        else:
            self.name = str(getattr(parameter, "name", ""))
            self.location = str(getattr(parameter, "location", ""))
            self.required = bool(getattr(parameter, "required", False))
            self.schema = getattr(parameter, "schema", None)
            style, explode = getattr(parameter, "style", None), getattr(parameter, "explode", None)
        if self.location not in DEFAULT_STYLE:
            raise CdspecError(f"parameter {self.name!r}: 'in' must be path, query, header or cookie")
        self.style = str(style or DEFAULT_STYLE[self.location])
        self.explode = bool(self.style == "form" if explode is None else explode)


def _text(value: JSON) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _pairs(value: Mapping[str, JSON]) -> list[tuple[str, str]]:
    return [(str(k), _text(v)) for k, v in value.items()]


def _serialise(spec: _Spec, value: JSON) -> Serialised:
    name, style, explode = spec.name, spec.style, spec.explode
    if spec.location == "cookie":
        explode = False
    if isinstance(value, Mapping):
        pairs = _pairs(value)
        flat = [t for pair in pairs for t in pair]
        if style == "deepObject":
            return {f"{name}[{k}]": v for k, v in pairs}
        if style == "label":
            return "." + (".".join(f"{k}={v}" for k, v in pairs) if explode else ",".join(flat))
        if style == "matrix":
            return "".join(f";{k}={v}" for k, v in pairs) if explode else f";{name}=" + ",".join(flat)
        if style in ("form", "spaceDelimited", "pipeDelimited") and spec.location == "query":
            if explode:
                return dict(pairs)
            return {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}[style].join(flat)
        return ",".join(f"{k}={v}" for k, v in pairs) if explode else ",".join(flat)
    if isinstance(value, list):
        texts = [_text(v) for v in value]
        if style == "label":
            return "." + ("." if explode else ",").join(texts)
        if style == "matrix":
            return "".join(f";{name}={t}" for t in texts) if explode else f";{name}=" + ",".join(texts)
        if spec.location == "query" and style in ("form", "spaceDelimited", "pipeDelimited", "deepObject"):
            if explode:
                return texts
            return {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",").join(texts)
        return ",".join(texts)
    text = _text(value)
    if style == "label":
        return "." + text
    if style == "matrix":
        return f";{name}={text}" if text else f";{name}"
    return text


def serialise_parameter(parameter: object, value: JSON) -> Serialised:
    """``value`` serialised for ``parameter`` (a :class:`cdspec.Parameter` or an OpenAPI parameter mapping).

    See the module's docstring for the representation; the result is not
    percent-encoded.
    """
    return _serialise(_Spec(parameter), value)


def _delimiters(spec: _Spec) -> str:
    """Characters that would make a serialised array or object ambiguous."""
    if spec.style == "spaceDelimited":
        return " "
    if spec.style == "pipeDelimited":
        return "|"
    if spec.style == "label":
        return ".,="
    if spec.style == "matrix":
        return ";,="
    return ",="


def _acceptable(spec: _Spec) -> Callable[[JSON], bool]:
    """Whether a value can be sent as this parameter unambiguously and as real clients send it."""
    delimiters = _delimiters(spec)

    def texts(value: JSON) -> list[str]:
        if isinstance(value, Mapping):
            return [t for k, v in value.items() for t in (str(k), _text(v))]
        if isinstance(value, list):
            return [_text(v) for v in value]
        return [_text(value)]

    def acceptable(value: JSON) -> bool:
        parts = texts(value)
        if isinstance(value, Mapping | list):
            if any(c in part for part in parts for c in delimiters):
                return False
            if not value and spec.required and spec.location == "query" and spec.explode:
                return False  # an exploded empty array sends no key: a required parameter would be missing
        if spec.location == "path":
            serialised = _serialise(spec, value)
            if serialised in ("", ".", "..") or any("/" in p or "\\" in p for p in parts):
                return False
        elif spec.location == "header":
            if any(not p.isascii() or not p.isprintable() or p != p.strip() for p in parts):
                return False
        elif spec.location == "cookie" and any(not set(p) <= _COOKIE_OCTETS for p in parts):
            return False
        return True

    return acceptable


def parameter_strategy(
    parameter: object,
    *,
    document: object = None,
    dialect: Dialect | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> st.SearchStrategy[Serialised]:
    """Serialised values for ``parameter`` (a :class:`cdspec.Parameter` or an OpenAPI parameter mapping).

    Values are drawn from the parameter's schema (as a request; a parameter
    without a schema takes strings), with plain strings made of RFC 3986
    unreserved characters (``A-Z a-z 0-9 - . _ ~``) and at least one
    character in a path. Values that could not be sent as they are, are
    left out: path values that are empty, ``.`` or ``..`` or hold ``/``;
    header values with surrounding white space or control characters;
    cookie values outside RFC 6265's cookie octets; array or object items
    holding their style's delimiter; an empty exploded array for a required
    query parameter. Then :func:`serialise_parameter` applies.
    """
    spec = _Spec(parameter)
    schema = spec.schema if spec.schema is not None else {"type": "string"}
    options = Options(alphabet=UNRESERVED, min_text=1 if spec.location == "path" else 0)
    values: st.SearchStrategy[Any] = compile_schema(
        schema, document=document, dialect=dialect, purpose="request", max_depth=max_depth, options=options
    )

    def serialise(value: JSON) -> Serialised:
        return _serialise(spec, value)

    if not _always_sendable(schema, document_of(document, schema)):
        values = filtered(values, _acceptable(spec), f"sendable as {spec.location} parameter {spec.name!r}")
    return values.map(serialise)


def _always_sendable(schema: JSON, document: JSON) -> bool:
    """Whether every value of ``schema`` can be sent as it is: a plain integer, number or boolean."""
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 32:
        schema = resolve_ref(document, schema["$ref"])
        seen += 1
    if not isinstance(schema, Mapping) or schema.get("nullable") is True:
        return False
    keywords = set(schema) - {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    keywords -= {"format", "description", "default", "example", "examples", "title", "deprecated"}
    return schema.get("type") in ("integer", "number", "boolean") and not keywords
