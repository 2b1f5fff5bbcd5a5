"""Overlaying one JSON document on another: the rules of ``extends:``.

:func:`merge` is what a task file that ``extends`` another one means. The
rules, in order (``base`` is the extended document, ``over`` the overlay):

1. A value that ``replaces`` says is whole (cdspec: a value brought in by a
   reference, such as ``contract: other.yaml``) replaces the base value.
2. Two mappings merge key by key, recursively. A key whose overlay value is
   ``null`` is deleted; keys keep the base's order, new keys follow in the
   overlay's order.
3. Two non-empty lists whose items are all mappings with a string ``id``
   (or else all with a string ``name``) merge item by item on that key: a matching item
   merges as a mapping, a new item is appended, and an item
   ``{name: x, $delete: true}`` removes item ``x``.
4. Anything else (scalars, other lists, an empty list, differing types)
   replaces the base value.

``null`` values inside newly added mappings are dropped as well, as in JSON
Merge Patch (RFC 7386). The result shares unchanged sub-values with its
inputs; neither input is modified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._frozen import JSON
from ._source import escape_pointer
from .errors import LoadError, Problem

__all__ = ["DELETE_KEY", "merge"]

DELETE_KEY = "$delete"
"""Marks an item of a keyed list to remove in an overlay: ``{name: orm, $delete: true}``."""

Made = Callable[[JSON, JSON, Mapping[str, tuple[JSON, str]]], None]
"""Hook told of each new mapping: (new, overlay, keys taken from base -> (base, key))."""


def _never(value: JSON) -> bool:
    return False


def _list_key(base: list[Any], over: list[Any]) -> str | None:
    if not base or not over:
        return None
    items = base + over
    for key in ("id", "name"):
        if all(isinstance(item, Mapping) and isinstance(item.get(key), str) for item in items):
            return key
    return None


def merge(
    base: JSON,
    over: JSON,
    *,
    replaces: Callable[[JSON], bool] = _never,
    made: Made | None = None,
) -> JSON:
    """Overlay ``over`` on ``base`` by the rules in this module's docstring.

    ``replaces(value)`` marks overlay values that replace wholesale;
    ``made(new, over, taken)`` is called for every mapping the merge builds,
    with the base mapping and key of each value taken from the base (cdspec
    uses it to keep track of which file and line each value came from).
    Raises :class:`~cdspec.LoadError` for a ``$delete`` of an item the base
    does not have.
    """
    return _merge(base, over, "", replaces, made)


def _merge(base: JSON, over: JSON, pointer: str, replaces: Callable[[JSON], bool], made: Made | None) -> JSON:
    if replaces(over):
        return over
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        result: dict[str, Any] = {}
        taken: dict[str, tuple[JSON, str]] = {}
        for key, value in base.items():
            if key not in over:
                result[key] = value
                taken[key] = (base, key)
            elif over[key] is not None:
                result[key] = _merge(value, over[key], f"{pointer}/{escape_pointer(key)}", replaces, made)
        for key, value in over.items():
            if key not in base and value is not None:
                result[key] = _merge(None, value, f"{pointer}/{escape_pointer(key)}", replaces, made)
        if made is not None:
            made(result, over, taken)
        return result
    if isinstance(over, Mapping):
        return _merge({}, over, pointer, replaces, made)
    if isinstance(base, list) and isinstance(over, list):
        key = _list_key(base, over)
        if key is not None:
            return _merge_keyed(base, over, key, pointer, replaces, made)
    return over


def _merge_keyed(  # noqa: PLR0917  # private helper of _merge, same positional style
    base: list[Any],
    over: list[Any],
    key: str,
    pointer: str,
    replaces: Callable[[JSON], bool],
    made: Made | None,
) -> list[Any]:
    overlay: dict[Any, tuple[int, Any]] = {}
    for i, item in enumerate(over):
        if item[key] in overlay:
            raise LoadError(
                [Problem(f"{key} {item[key]!r} appears twice in this list", pointer=f"{pointer}/{i}/{key}")]
            )
        overlay[item[key]] = (i, item)
    result = []
    for item in base:
        if item[key] not in overlay:
            result.append(item)
            continue
        i, patch = overlay.pop(item[key])
        if patch.get(DELETE_KEY) is True:
            continue
        result.append(_merge(item, patch, f"{pointer}/{i}", replaces, made))
    for i, patch in sorted(overlay.values(), key=lambda pair: pair[0]):
        if patch.get(DELETE_KEY) is True:
            raise LoadError(
                [
                    Problem(
                        f"{DELETE_KEY} of {patch[key]!r}, which the extended document does not have",
                        pointer=f"{pointer}/{i}",
                    )
                ]
            )
        result.append(_merge(None, patch, f"{pointer}/{i}", replaces, made))
    return result
