"""cdspec's JSON Schemas, and validation that speaks in :class:`Problem`\\ s.

The schemas live in the repository's top-level ``schemas/`` folder and ship
inside the wheel as ``cdspec/schemas``. They are read on first use, never at
import time.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from ._frozen import JSON, FrozenDict, json_type, thaw
from ._source import array_index, escape_pointer, pointer_tokens
from .errors import Problem

__all__ = ["SCHEMA_NAMES", "best_error", "schema", "schema_problems"]

SCHEMA_NAMES = ("task", "layer", "variant", "manifest", "case", "report", "result", "decay", "run")
"""The file formats cdspec reads and writes, by schema name."""


def _schema_dir() -> Any:
    """``cdspec/schemas`` in an installed wheel, ``schemas/`` in a source checkout."""
    packaged = resources.files("cdspec") / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


@functools.cache
def schema(name: str) -> FrozenDict:
    """The JSON Schema of the format ``name`` (``"task"``, ``"layer"``, ...)."""
    from ._frozen import freeze

    if name not in SCHEMA_NAMES:
        raise KeyError(f"no schema {name!r} (known: {', '.join(SCHEMA_NAMES)})")
    text = (_schema_dir() / f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: FrozenDict = freeze(json.loads(text))
    return loaded


@functools.cache
def _registry() -> Any:
    from referencing import Registry, Resource

    return Registry().with_resources(
        (schema(name)["$id"], Resource.from_contents(thaw(schema(name)))) for name in SCHEMA_NAMES
    )


@functools.cache
def _validator(schema_value: FrozenDict) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(thaw(schema_value), registry=_registry())


def _rank(error: Any) -> tuple[int, int]:
    # Deeper is more specific; "'$ref' is a required property" only says that
    # the value is not a reference either, which is rarely the point.
    not_ref = not (error.validator == "required" and "$ref" in error.validator_value)
    return (len(error.absolute_path), int(not_ref))


def best_error(error: Any) -> Any:
    """The most specific error under an ``anyOf``/``oneOf`` failure.

    The deepest error among all branches says what is wrong ("'strin' is not
    valid") where the top one only says that no branch matched.
    """
    leaves = [error]
    best = error
    while leaves:
        current = leaves.pop()
        if current.context:
            leaves.extend(current.context)
        elif best.context or _rank(current) > _rank(best):
            best = current
    return best


def _friendly(error: Any) -> tuple[str, list[Any]]:
    """A message in cdspec's words ("expected array, got string") and its path."""
    error = best_error(error)
    path = list(error.absolute_path)
    value, instance = error.validator_value, error.instance
    match error.validator:
        case "type":
            expected = " or ".join(value) if isinstance(value, list) else value
            return f"expected {expected}, got {json_type(instance)}", path
        case "required":
            missing = next((k for k in value if isinstance(instance, dict) and k not in instance), value[0])
            return f"missing required property {missing!r}", path
        case "additionalProperties" if isinstance(instance, dict):
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(k for k in instance if k not in error.schema.get("properties", {}))
            hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
            return f"unexpected property {extra[0]!r}{hint}", [*path, extra[0]]
        case "enum":
            return f"expected one of {', '.join(map(repr, value))}, got {instance!r}", path
        case "const":
            return f"expected {value!r}, got {instance!r}", path
        case "pattern":
            return f"{instance!r} does not match the pattern {value}", path
        case "minItems" | "minProperties" | "minLength":
            unit = {"minItems": "item", "minProperties": "property", "minLength": "character"}[error.validator]
            return f"expected at least {value} {unit}{'s' if value != 1 else ''}", path
        case "uniqueItems":
            return "expected unique items, found a repeated one", path
    return error.message, path


def schema_problems(schema_value: JSON, instance: JSON, *, pointer: str = "") -> list[Problem]:
    """Every violation of ``schema_value`` by ``instance``, as problems.

    Pointers are ``pointer`` plus the path inside ``instance``; problems come
    in document order.
    """
    validator = _validator(schema_value if isinstance(schema_value, FrozenDict) else FrozenDict(schema_value))
    problems = []
    for error in validator.iter_errors(instance):
        message, path = _friendly(error)
        problems.append(Problem(message, pointer=pointer + "".join(f"/{escape_pointer(t)}" for t in path)))
    return sorted(dict.fromkeys(problems), key=lambda p: _order(instance, p.pointer[len(pointer) :]))


def _order(instance: JSON, pointer: str) -> list[int]:
    """Sort key: the position of each token along the pointer (document order)."""
    key = []
    node = instance
    for token in pointer_tokens(pointer):
        if isinstance(node, dict):
            keys = list(node)
            key.append(keys.index(token) if token in node else len(keys))
            node = node.get(token)
        elif isinstance(node, list) and (index := array_index(token, len(node))) is not None:
            key.append(index)
            node = node[index]
        else:
            key.append(0)
    return key
