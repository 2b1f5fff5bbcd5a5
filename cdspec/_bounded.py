"""Checks of a response that no server can turn into a crash, a hang, a fetch or a file read.

- JSON bodies are parsed with a bound on nesting (:data:`MAX_JSON_DEPTH`): a
  body of 200,000 ``[`` is "not JSON (nested more than 64 levels)", never a
  ``RecursionError``.
- JSON Schema validation resolves references only inside the schema (the
  registry never retrieves: ``http://``, ``https://`` and ``file://``
  references are errors, not requests), and reports every error, not the
  first.
- ``pattern`` and ``patternProperties`` run on the ``regex`` engine with a
  time bound per match (:data:`PATTERN_SECONDS`): a match that takes longer is
  *unchecked*, with the reason, never a failure and never a hang. Python's
  ``re`` (what jsonschema uses) cannot be interrupted, and a linear-time engine
  (RE2) cannot run the lookaheads that real contracts use.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

from ._frozen import JSON

__all__ = [
    "MAX_JSON_DEPTH",
    "PATTERN_SECONDS",
    "JsonError",
    "SchemaCheck",
    "check_schema",
    "parse_json",
    "schema_problem",
]

MAX_JSON_DEPTH = 64
"""Levels of nested arrays and objects a response body may have."""

PATTERN_SECONDS = 0.1
"""Time one ``pattern`` match of a response value may take before it is left unchecked."""

MAX_REPORTED_ERRORS = 20
"""Schema errors of one response listed at most (the count says how many more)."""


class JsonError(Exception):
    """A body that is not JSON, or nested too deeply: the reason, in words."""


def _too_deep(value: JSON, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, Mapping) else node
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (Mapping, list)))
    return False


def parse_json(body: bytes) -> JSON:
    """``body`` as JSON; :class:`JsonError` when it is not UTF-8 JSON nested at most :data:`MAX_JSON_DEPTH` deep."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise JsonError(f"the body is not JSON ({type(exc).__name__}): {body[:80]!r}") from None
    except RecursionError:
        value = None
        deep = True
    else:
        deep = isinstance(value, (Mapping, list)) and _too_deep(value, MAX_JSON_DEPTH)
    if deep:
        raise JsonError(f"the body is not JSON cdspec checks: nested more than {MAX_JSON_DEPTH} levels deep")
    return value


# --------------------------------------------------------------------------- patterns


class _Unchecked(Exception):
    pass


_UNCHECKED: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("cdspec_unchecked", default=None)
"""The patterns left unchecked by the validation in progress (the keyword functions have no other channel)."""


def _note_unchecked(pattern: str, text: str) -> None:
    noted = _UNCHECKED.get()
    if noted is not None:
        noted.append(f"{_clip(text)!r} against pattern {pattern!r} (longer than {PATTERN_SECONDS:g} s)")


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    import regex

    return regex.compile(pattern)


def _search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text``; :class:`_Unchecked` past :data:`PATTERN_SECONDS`."""
    try:
        return _compiled(pattern).search(text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        raise _Unchecked(pattern) from None


def _pattern_problem(pattern: object) -> str | None:
    """Why ``pattern`` cannot be used (not a string, or not a regular expression); ``None`` when it can."""
    if not isinstance(pattern, str):
        return f"pattern {pattern!r} is not a string"
    try:
        _compiled(pattern)
    except Exception as exc:  # regex.error, and RecursionError/OverflowError on absurd patterns
        return f"pattern {pattern!r} is not a regular expression ({exc})"
    return None


def _is_regex(instance: object) -> bool:
    """``format: regex`` of a response value (not cached: a server chooses these strings)."""
    if not isinstance(instance, str):
        return True
    import regex

    try:
        regex.compile(instance)
    except Exception:  # regex.error, and RecursionError/OverflowError on absurd patterns
        return False
    return True


@functools.cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string"):
            try:
                matched = _search(patrn, instance)
            except _Unchecked:
                _note_unchecked(patrn, instance)
                return
            if not matched:
                yield ValidationError(f"{_clip(instance)!r} does not match {patrn!r}")

    def pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        for patrn, subschema in patterns.items():
            for key, value in instance.items():
                try:
                    matched = _search(patrn, key)
                except _Unchecked:
                    _note_unchecked(patrn, key)
                    continue
                if matched:
                    yield from validator.descend(value, subschema, path=key, schema_path=patrn)

    extend: Any = validators.extend  # untyped in the stubs
    return extend(Draft202012Validator, {"pattern": pattern, "patternProperties": pattern_properties})


@functools.cache
def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker()
    checker.checks("regex")(_is_regex)
    return checker


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _refs_outside(schema: JSON) -> list[str]:
    """The ``$ref``/``$dynamicRef`` values of ``schema`` that name another document (not ``#...``)."""
    found: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "$id":
                    return []  # references resolve against the $id: the registry's refusal covers them
                if key in ("$ref", "$dynamicRef") and isinstance(value, str) and not value.startswith("#"):
                    found.append(value)
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def schema_problem(schema: JSON) -> str | None:
    """Why ``schema`` (from a case file) cannot be checked; ``None`` when it is a usable JSON Schema 2020-12.

    A schema must be valid against the 2020-12 metaschema, its patterns must
    be regular expressions, and its references must stay inside it.
    """
    from jsonschema.exceptions import SchemaError

    try:
        _validator_class().check_schema(schema, format_checker=_format_checker())
    except SchemaError as exc:
        where = "".join(f"/{p}" for p in exc.absolute_path) or "/"
        return f"the schema is invalid at {where}: {exc.message}"
    except RecursionError:
        return f"the schema is nested too deeply to check (more than {MAX_JSON_DEPTH} levels)"
    outside = _refs_outside(schema)
    if outside:
        return f"the schema refers to {outside[0]!r}, outside itself (cdspec resolves references only inside a schema)"
    return None


# --------------------------------------------------------------------------- validation


class SchemaCheck:
    """Every error of an instance against a schema, and the patterns left unchecked.

    ``structural`` counts the errors that change what a client can read: a
    required property absent, or a value that is not the object or array the
    schema says (the others, such as ``null`` for a string, are errors of
    form).
    """

    def __init__(self, errors: list[str], unchecked: list[str], total: int, structural: int = 0) -> None:
        self.errors = errors
        self.unchecked = unchecked
        self.total = total
        self.structural = structural


def _structural(error: Any) -> bool:
    """Does this validation error change what a client can read (a required property absent, no object or array)?"""
    if error.validator == "required":
        return True
    if error.validator == "type":
        expected = error.validator_value
        types = {expected} if isinstance(expected, str) else set(expected or ())
        return bool(types & {"object", "array"})
    return False


def _where(path: Any) -> str:
    return "".join(f"/{p}" for p in path) or "/"


def check_schema(schema: JSON, instance: JSON) -> SchemaCheck:
    """Validate ``instance`` against ``schema`` (2020-12, formats checked, no retrieval), all errors listed.

    Each error is said at its JSON pointer (the most relevant branch of an
    ``anyOf``/``oneOf``, as jsonschema's ``best_match`` picks it), sorted by
    pointer; at most :data:`MAX_REPORTED_ERRORS` are kept (``total`` counts
    all). A reference to anything outside the schema is an error.
    """
    from jsonschema.exceptions import best_match
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    validator = _validator_class()(schema, registry=Registry(), format_checker=_format_checker())
    unchecked: list[str] = []
    token = _UNCHECKED.set(unchecked)
    found: list[tuple[str, str]] = []
    structural = 0
    try:
        for error in validator.iter_errors(instance):
            relevant = best_match([error]) or error
            found.append((_where(relevant.absolute_path), relevant.message))
            structural += _structural(relevant)
    except Unresolvable as exc:
        found.append(("/", f"the schema refers to {exc}, outside itself (cdspec never fetches references)"))
        structural += 1
    except RecursionError:
        found.append(("/", "the schema or the body is nested too deeply to check"))
        structural += 1
    finally:
        _UNCHECKED.reset(token)
    found.sort()
    errors = [f"at {where}: {message}" for where, message in found[:MAX_REPORTED_ERRORS]]
    return SchemaCheck(errors, unchecked, len(found), structural)
