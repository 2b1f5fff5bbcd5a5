"""Deeply immutable JSON values.

cdspec's model classes are frozen attrs classes, but a frozen class holding a
plain ``dict`` is only shallowly frozen. Constraint ``params`` and the
contract's OpenAPI document are therefore stored as :class:`FrozenDict` and
:class:`FrozenList`: subclasses of ``dict`` and ``list`` (so ``json.dumps``,
jsonschema's type checks and ``==`` with plain data all keep working) whose
mutating methods raise ``TypeError`` and which hash by content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, SupportsIndex

__all__ = ["JSON", "FrozenDict", "FrozenList", "freeze", "json_type", "thaw"]

JSON = Any
"""A JSON value: ``None``, bool, int, float, str, list or dict of JSON values."""


def _immutable(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(f"{type(self).__name__} is immutable; build a new value instead")


class FrozenDict(dict[str, Any]):
    """A ``dict`` that cannot change after it is built, hashable by content."""

    __slots__ = ("_hash",)

    __setitem__ = _immutable
    __delitem__ = _immutable
    __ior__ = _immutable
    clear = _immutable
    pop = _immutable
    popitem = _immutable
    setdefault = _immutable
    update = _immutable

    def __hash__(self) -> int:  # type: ignore[override]  # dict is unhashable on purpose
        try:
            return self._hash
        except AttributeError:
            self._hash: int = hash(frozenset(self.items()))
            return self._hash

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> FrozenDict:
        return self


class FrozenList(list[Any]):
    """A ``list`` that cannot change after it is built, hashable by content."""

    __slots__ = ("_hash",)

    __setitem__ = _immutable
    __delitem__ = _immutable
    __iadd__ = _immutable
    __imul__ = _immutable
    append = _immutable
    clear = _immutable
    extend = _immutable
    insert = _immutable
    pop = _immutable
    remove = _immutable
    reverse = _immutable
    sort = _immutable

    def __hash__(self) -> int:  # type: ignore[override]  # list is unhashable on purpose
        try:
            return self._hash
        except AttributeError:
            self._hash: int = hash(tuple(self))
            return self._hash

    def __repr__(self) -> str:
        return f"FrozenList({list.__repr__(self)})"

    def __reduce__(self) -> tuple[type[FrozenList], tuple[list[Any]]]:
        return (FrozenList, (list(self),))

    def __copy__(self) -> FrozenList:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> FrozenList:
        return self

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        item = list.__getitem__(self, index)
        return FrozenList(item) if isinstance(index, slice) else item


def freeze(value: JSON) -> JSON:
    """Return ``value`` with every dict and list replaced by its frozen twin.

    Already frozen containers are returned as they are, so freezing twice
    costs nothing.
    """
    if isinstance(value, FrozenDict | FrozenList):
        return value
    if isinstance(value, Mapping):
        return FrozenDict((str(k), freeze(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return FrozenList(freeze(v) for v in value)
    return value


def thaw(value: JSON) -> JSON:
    """Return plain, mutable ``dict``/``list`` copies of a (frozen) JSON value."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def json_type(value: object) -> str:
    """The JSON Schema type name of ``value`` (``"object"``, ``"array"``, ...)."""
    if isinstance(value, bool):
        return "boolean"
    for kind, name in ((Mapping, "object"), (list, "array"), (str, "string"), (int, "integer"), (float, "number")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__
