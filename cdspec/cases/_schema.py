"""OpenAPI 3.0/3.1 schemas to Hypothesis strategies: cdspec's own compiler.

:func:`from_schema` compiles a schema once into a strategy that draws JSON
values valid against it. The compiler is constructive wherever it can be:

- ``$ref`` and ``allOf`` are *flattened*: the constraints of every member
  are intersected into one description (types, bounds, lengths, patterns,
  formats, enums; objects and arrays keep each member's ``properties``/
  ``patternProperties``/``additionalProperties`` and ``prefixItems``/
  ``items`` side by side and combine them key by key, position by
  position);
- ``anyOf``/``oneOf`` are *distributed*: each branch is merged with the rest
  of the schema and compiled on its own; a ``oneOf`` branch is filtered to
  match no other branch only when the branches are not disjoint by their
  types, enums or a required property's values;
- ``enum``/``const`` draw from the values that are valid against the whole
  schema (checked once, at compile time);
- objects are ``fixed_dictionaries`` of their required and optional
  properties unless ``minProperties``/``maxProperties``/``dependentRequired``
  or extra keys need a composite;
- strings come from their ``pattern`` (ECMA-262, see :mod:`._regex`) or
  ``format`` (see :mod:`._formats`), steered by their length bounds.

Filters remain only for ``not`` (beyond ``not: {type: ...}``), overlapping
``oneOf`` branches, ``if``/``then``/``else``, ``dependentSchemas``, a second
``pattern`` or ``format``, and float ``multipleOf`` (checked exactly as
jsonschema does).

Recursive schemas: each ``$ref`` may be entered ``max_depth`` times on one
path; past that the compiler takes the shortest way out: optional
properties are left out, arrays get their ``minItems``, and ``anyOf``/
``oneOf`` branches that would recurse again are dropped.
"""

from __future__ import annotations

import collections
import decimal
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from cdspec._frozen import JSON, json_type
from cdspec._source import escape_pointer
from cdspec.errors import CdspecError, UnsatisfiableSchemaError

from ._formats import FORMATS, format_strategy
from ._regex import INF, PRINTABLE, Check, compile_pattern, filtered, regex_strategy
from ._validate import EXCLUDED, Dialect, Purpose, Validation, document_of, infer_dialect, marked, resolve_ref

__all__ = ["DEFAULT_MAX_DEPTH", "Options", "compile_schema", "from_schema", "unique_key"]

TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
ALL_TYPES = frozenset(TYPES)

DEFAULT_MAX_DEPTH = 3
"""How many times one ``$ref`` may be entered on a path before the compiler takes the shortest way out."""
MAX_STRING = 20
"""Plain strings have at most this many characters, unless ``minLength`` asks for more."""
MAX_ITEMS = 5
"""Arrays have at most this many items, unless ``minItems`` asks for more."""
MAX_EXTRA_PROPERTIES = 3
"""At most this many keys beyond the declared properties, where the schema allows them explicitly."""
SAFE_INTEGER = 2**53 - 1
"""``format: int64`` integers without bounds stay within JavaScript's safe range."""
NUMBER_BOUND = 1e9
"""Numbers without bounds stay within +-1e9."""
INT32 = (-(2**31), 2**31 - 1)
"""Integers without bounds (or with ``format: int32``) stay within 32 bits: database columns overflow past them."""

_IMPLIED = {
    "string": ("minLength", "maxLength", "pattern"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "array": ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"),
    "object": (
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "dependentRequired",
    ),
}

_ANNOTATIONS = frozenset(
    {"$ref", "description", "summary", "title", "example", "examples", "default", "deprecated", "externalDocs", "xml"}
)
"""Keywords next to a 3.0 ``$ref`` that constrain nothing (``x-`` extensions constrain nothing either)."""

Sub = tuple[JSON, str]
"""A subschema and the JSON pointer where it is written (for messages)."""


class Unsatisfiable(Exception):
    """No value satisfies the subschema at ``pointer`` (internal; reported as a CdspecError)."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer = pointer
        self.reason = reason
        self.ref_siblings = False
        """Whether an OpenAPI 3.0 ``$ref`` with siblings took part (they may be ignored, and it tried again)."""


class _Cycle(Exception):
    """A ``$ref`` entered again after the depth budget ran out."""

    def __init__(self, ref: str, pointer: str) -> None:
        super().__init__(ref)
        self.ref = ref
        self.pointer = pointer


class Options(NamedTuple):
    """How plain strings are drawn (parameters use a narrower alphabet)."""

    alphabet: str = PRINTABLE
    min_text: int = 0


class _Ctx(NamedTuple):
    refs: tuple[str, ...] = ()
    exhausted: bool = False
    exhausted_refs: frozenset[str] = frozenset()

    def key(self) -> tuple[object, ...]:
        return frozenset(collections.Counter(self.refs).items()), self.exhausted, self.exhausted_refs


class _ObjectPart(NamedTuple):
    properties: Mapping[str, Sub]
    patterns: Mapping[str, Sub]
    additional: Sub | None


class _ArrayPart(NamedTuple):
    prefix: tuple[Sub, ...]
    items: Sub | None


class _Compiled(NamedTuple):
    strategy: st.SearchStrategy[Any]
    domain: int | None
    """How many distinct values the strategy can draw, when few and known."""


def unique_key(value: JSON) -> object:
    """A hashable key under which two JSON values are equal exactly when JSON Schema says so."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, Mapping):
        return ("o", frozenset((k, unique_key(v)) for k, v in value.items()))
    return ("a", tuple(unique_key(v) for v in value))


def _is_false(sub: Sub | None) -> bool:
    return sub is not None and sub[0] is False


def _overlap(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    """The intersection of two type sets, with integer inside number."""
    out = set(a & b)
    if "integer" in a and "number" in b:
        out.add("integer")
    if "number" in a and "integer" in b:
        out.add("integer")
    return frozenset(out)


def _tighter(current: tuple[float, bool] | None, new: tuple[float, bool], lower: bool) -> tuple[float, bool]:
    if current is None:
        return new
    if new[0] == current[0]:
        return new[0], new[1] or current[1]
    return new if (new[0] > current[0]) == lower else current


class _Flat:
    """The conjunction of some subschemas, flattened (``$ref`` and ``allOf`` followed)."""

    __slots__ = (
        "any_of",
        "arrays",
        "contains",
        "dep_required",
        "enum",
        "followed",
        "formats",
        "implied",
        "lower",
        "max_contains",
        "max_items",
        "max_len",
        "max_props",
        "min_contains",
        "min_items",
        "min_len",
        "min_props",
        "multiples",
        "no_integers",
        "nots",
        "objects",
        "one_of",
        "patterns",
        "pointer",
        "property_names",
        "ref_siblings",
        "required",
        "residual",
        "sources",
        "types",
        "uneval_items_false",
        "uneval_props",
        "uneval_props_false",
        "unique",
        "upper",
    )

    def __init__(self, pointer: str) -> None:
        self.pointer = pointer
        self.sources: list[Sub] = []
        self.followed: set[str] = set()
        self.types: frozenset[str] | None = None
        self.implied: set[str] = set()
        self.enum: list[JSON] | None = None
        self.lower: tuple[float, bool] | None = None
        self.upper: tuple[float, bool] | None = None
        self.multiples: list[float] = []
        self.formats: list[str] = []
        self.min_len = 0
        self.max_len: float = INF
        self.patterns: list[str] = []
        self.min_items = 0
        self.max_items: float = INF
        self.unique = False
        self.arrays: list[_ArrayPart] = []
        self.contains: list[Sub] = []
        self.min_contains: int | None = None
        self.max_contains: float = INF
        self.uneval_items_false = False
        self.objects: list[_ObjectPart] = []
        self.required: list[str] = []
        self.min_props = 0
        self.max_props: float = INF
        self.dep_required: dict[str, list[str]] = {}
        self.property_names: list[Sub] = []
        self.uneval_props: list[Sub] = []
        self.uneval_props_false = False
        self.any_of: list[list[Sub]] = []
        self.one_of: list[list[Sub]] = []
        self.nots: list[Sub] = []
        self.residual: list[Sub] = []
        self.ref_siblings = False
        self.no_integers = False

    def copy(self) -> _Flat:
        new = _Flat.__new__(_Flat)
        for name in _Flat.__slots__:
            value = getattr(self, name)
            if isinstance(value, list | set | dict):
                value = type(value)(value)
            setattr(new, name, value)
        return new

    def generated_types(self) -> frozenset[str]:
        """The types values are drawn from: ``type``, or the types whose keywords appear, or all."""
        if self.types is not None:
            return self.types
        return frozenset(self.implied) if self.implied else ALL_TYPES

    def may_have_key(self, name: str) -> bool:
        """Whether values drawn for this (object) schema may have the key ``name``."""
        if any(name in part.properties for part in self.objects):
            return True
        if any(part.patterns for part in self.objects):
            return True
        if any(part.additional is not None and not _is_false(part.additional) for part in self.objects):
            return True
        return not any(part.properties for part in self.objects)

    def accepts_key(self, name: str) -> bool:
        """Whether this schema allows the key ``name`` at all (``additionalProperties: false``)."""
        for part in self.objects:
            if name in part.properties or any(compile_pattern(p).python is None for p in part.patterns):
                continue
            if any(_search(p, name) for p in part.patterns):
                continue
            if _is_false(part.additional):
                return False
        return True


def _search(pattern: str, text: str) -> bool:
    compiled = compile_pattern(pattern).python
    if compiled is None:
        raise CdspecError(f"pattern {pattern!r} cannot be checked (Python's re rejects it)")
    return compiled.search(text) is not None


def _multiple_ok(value: float, multiple: int | float) -> bool:
    """jsonschema's own ``multipleOf`` check, float quirks included."""
    if isinstance(multiple, float):
        quotient = value / multiple
        try:
            return int(quotient) == quotient
        except OverflowError:
            return False
    return not value % multiple


def _fractional(value: float) -> bool:
    return not float(value).is_integer()


def _multiple_of(multiple: int | float) -> Check:
    return Check(lambda value: _multiple_ok(value, multiple), f"multiple of {multiple}")


def _matching_none(validators: Sequence[Any], where: str) -> Check:
    return Check(lambda value: not any(v.is_valid(value) for v in validators), f"matches no other branch of {where}")


def _scaler(step: float) -> Callable[[int], float]:
    """``k -> k * step``, rounded to the decimals ``step`` is written with (so 0.1 * 3 is 0.3)."""
    if isinstance(step, int):
        return lambda k: k * step
    exponent = decimal.Decimal(repr(step)).as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return lambda k: round(k * step, places)


def _within(low: float, high: float, exclude_low: bool, exclude_high: bool) -> Callable[[float], bool]:
    def inside(value: float) -> bool:
        above = low < value if exclude_low else low <= value
        below = value < high if exclude_high else value <= high
        return above and below

    return inside


def _join_pointer(pointer: str, *tokens: object) -> str:
    return pointer + "".join(f"/{escape_pointer(t)}" for t in tokens)


class Compiler:
    """Compiles the schemas of one document, for one dialect and purpose."""

    def __init__(self, document: JSON, dialect: Dialect, purpose: Purpose, max_depth: int, options: Options) -> None:
        self.document = document
        self.dialect = dialect
        self.purpose = purpose
        self.max_depth = max_depth
        self.options = options
        self.validation = Validation(document, dialect, purpose)
        self._memo: dict[tuple[object, ...], _Compiled] = {}
        scalars = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-1000, 1000),
            st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False),
            st.text(alphabet=options.alphabet, max_size=10),
        )
        self.names = regex_strategy("^[a-z][a-zA-Z0-9]{0,11}$")
        self.any: st.SearchStrategy[Any] = st.recursive(
            scalars,
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(self.names, inner, max_size=3),
            max_leaves=6,
        )

    # ------------------------------------------------------------------ flattening

    def valid(self, schema: JSON, value: JSON) -> bool:
        return bool(self.validation.validator(schema).is_valid(value))

    def _enter(self, ref: str, ctx: _Ctx, pointer: str) -> _Ctx:
        if ctx.exhausted and ref in ctx.exhausted_refs:
            raise _Cycle(ref, pointer)
        exhausted = ctx.exhausted or ctx.refs.count(ref) >= self.max_depth
        exhausted_refs = ctx.exhausted_refs | {ref} if exhausted else ctx.exhausted_refs
        return _Ctx((*ctx.refs, ref), exhausted, exhausted_refs)

    def absorb(self, flat: _Flat, schema: JSON, pointer: str, ctx: _Ctx, *, siblings: bool = True) -> _Ctx:
        """Add the constraints of ``schema`` to ``flat``; return the context for its children.

        In OpenAPI 3.0 the siblings of ``$ref`` are to be ignored, but many
        tools apply them (and most authors mean them): they are applied too
        (``siblings``), so that values satisfy both readings; :meth:`compile`
        absorbs again without them when that is unsatisfiable.
        """
        if schema is True:
            return ctx
        if schema is False:
            raise Unsatisfiable(pointer, "the schema is false: nothing is valid")
        if not isinstance(schema, Mapping):
            raise CdspecError(f"{pointer}: expected a schema (a mapping), got {json_type(schema)}")
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref not in flat.followed:
                flat.followed.add(ref)
                ctx = self._enter(ref, ctx, pointer)
                try:
                    target = resolve_ref(self.document, ref)
                except CdspecError as exc:
                    raise CdspecError(f"{pointer}/$ref: {exc}") from None
                ctx = self.absorb(flat, target, ref, ctx, siblings=siblings)
            if self.dialect == "3.0":
                if not siblings:
                    return ctx
                flat.ref_siblings = flat.ref_siblings or any(
                    k not in _ANNOTATIONS and not k.startswith("x-") for k in schema
                )
        self._keywords(flat, schema, pointer)
        for index, member in enumerate(_list(schema.get("allOf"))):
            ctx = self.absorb(flat, member, _join_pointer(pointer, "allOf", index), ctx, siblings=siblings)
        for keyword, groups in (("anyOf", flat.any_of), ("oneOf", flat.one_of)):
            members = schema.get(keyword)
            if isinstance(members, Sequence) and not isinstance(members, str):
                groups.append([(m, _join_pointer(pointer, keyword, i)) for i, m in enumerate(members)])
        if "not" in schema:
            flat.nots.append((schema["not"], _join_pointer(pointer, "not")))
        return ctx

    def _keywords(self, flat: _Flat, schema: Mapping[str, Any], pointer: str) -> None:
        get: Callable[[str], Any] = schema.get
        for type_name, keywords in _IMPLIED.items():
            if any(k in schema for k in keywords):
                flat.implied.add(type_name)
        kind = get("type")
        if kind is not None:
            names = {kind} if isinstance(kind, str) else set(kind)
            if self.dialect == "3.0" and get("nullable") is True and isinstance(kind, str):
                names.add("null")
            names &= ALL_TYPES
            flat.types = frozenset(names) if flat.types is None else _overlap(flat.types, frozenset(names))
            if not flat.types:
                raise Unsatisfiable(pointer, "the types required by the schema (and its allOf) have nothing in common")
        values: list[JSON] | None = None
        if "enum" in schema:
            values = list(get("enum") or [])
        if "const" in schema:
            const = get("const")
            values = [const] if values is None else [v for v in values if unique_key(v) == unique_key(const)]
        if values is not None:
            if flat.enum is not None:
                keys = {unique_key(v) for v in values}
                values = [v for v in flat.enum if unique_key(v) in keys]
            flat.enum = values
        _number_keywords(flat, get)
        _string_keywords(flat, get)
        _array_keywords(flat, schema, get, pointer)
        _object_keywords(flat, schema, get, pointer)
        if "if" in schema:
            conditional = {k: schema[k] for k in ("if", "then", "else") if k in schema}
            flat.residual.append((conditional, _join_pointer(pointer, "if")))

    # ------------------------------------------------------------------ compiling

    def compile(self, subs: Sequence[Sub], ctx: _Ctx, pointer: str = "") -> _Compiled:
        """The strategy for the conjunction of ``subs`` (everything when there are none)."""
        if not subs:
            return _Compiled(self.any, None)
        memo_key: tuple[object, ...] | None = None
        if len(subs) == 1:
            schema = subs[0][0]
            if isinstance(schema, Mapping) and len(schema) == 1 and isinstance(schema.get("$ref"), str):
                memo_key = (schema["$ref"], ctx.key())
                hit = self._memo.get(memo_key)
                if hit is not None:
                    return hit
        try:
            compiled = self._compile(subs, ctx, pointer, siblings=True)
        except Unsatisfiable as exc:
            if not exc.ref_siblings:
                raise
            compiled = self._compile(subs, ctx, pointer, siblings=False)
        if memo_key is not None:
            self._memo[memo_key] = compiled
        return compiled

    def _compile(self, subs: Sequence[Sub], ctx: _Ctx, pointer: str, *, siblings: bool) -> _Compiled:
        flat = _Flat(subs[0][1] or pointer)
        try:
            for schema, where in subs:
                ctx = self.absorb(flat, schema, where, ctx, siblings=siblings)
            flat.sources = list(subs)
            return self.compile_flat(flat, ctx)
        except Unsatisfiable as exc:
            exc.ref_siblings = flat.ref_siblings
            raise

    def compile_flat(self, flat: _Flat, ctx: _Ctx) -> _Compiled:
        if flat.one_of or flat.any_of:
            return self._distribute(flat, ctx)
        if flat.enum is not None:
            return self._enum(flat)  # each value is checked against the whole schema, `not` included
        filters: list[Callable[[JSON], bool]] = []
        for schema, where in flat.nots:
            if schema is True or (isinstance(schema, Mapping) and not schema):
                raise Unsatisfiable(where, "'not' of an empty schema forbids everything")
            if schema is False:
                continue
            if isinstance(schema, Mapping) and set(schema) == {"type"}:
                kind = schema["type"]
                banned = {kind} if isinstance(kind, str) else set(kind)
                if "number" in banned:
                    banned.add("integer")
                elif "integer" in banned:
                    flat.no_integers = True  # numbers, but none with an integral value (1.0 is an integer)
                flat.types = flat.generated_types() - banned
                if not flat.types:
                    raise Unsatisfiable(where, f"'not' forbids every type the schema allows ({sorted(banned)})")
                continue
            filters.append(self._rejecting(schema, where))
        filters.extend(self._accepting(schema, where) for schema, where in flat.residual)
        compiled = self._types(flat, ctx)
        return _Compiled(_checked(compiled.strategy, filters), compiled.domain)

    def _accepting(self, schema: JSON, where: str) -> Check:
        validator = self.validation.validator(schema)
        return Check(validator.is_valid, f"valid against {where}")

    def _rejecting(self, schema: JSON, where: str) -> Check:
        validator = self.validation.validator(schema)
        return Check(lambda value: not validator.is_valid(value), f"invalid against {where}")

    def _enum(self, flat: _Flat) -> _Compiled:
        seen: set[object] = set()
        values = []
        for value in flat.enum or ():
            key = unique_key(value)
            if key in seen:
                continue
            seen.add(key)
            if all(self.valid(schema, value) for schema, _ in flat.sources) and all(
                not self.valid(schema, value) for schema, _ in flat.nots
            ):
                values.append(value)
        if not values:
            raise Unsatisfiable(flat.pointer, "no value of the enum/const is valid against the rest of the schema")
        return _Compiled(st.sampled_from(values), len(values))

    def _distribute(self, flat: _Flat, ctx: _Ctx) -> _Compiled:
        exclusive = bool(flat.one_of)
        rest = flat.copy()
        group = rest.one_of.pop(0) if exclusive else rest.any_of.pop(0)
        keyword = "oneOf" if exclusive else "anyOf"
        branches: list[tuple[int, _Compiled, _Flat]] = []
        # Branches without values of their own (an enum value may be valid under two branches, so
        # under none for oneOf) may still accept the values of others.
        failed: list[tuple[int, _Flat]] = []
        cycles: list[int] = []
        problems: list[str] = []
        for index, (schema, where) in enumerate(group):
            branch = rest.copy()
            try:
                branch_ctx = self.absorb(branch, schema, where, ctx)
                branch.sources.append((schema, where))
                branches.append((index, self.compile_flat(branch, branch_ctx), branch))
            except Unsatisfiable as exc:
                failed.append((index, branch))
                problems.append(f"{exc.pointer}: {exc.reason}")
            except _Cycle as exc:
                cycles.append(index)
                if len(cycles) == len(group):
                    raise exc from None
        if not branches:
            if cycles:
                raise _Cycle("", group[cycles[0]][1])
            raise Unsatisfiable(flat.pointer, f"no branch of {keyword} can be satisfied ({'; '.join(problems)})")
        options = []
        domain: int | None = 0
        for index, compiled, branch in branches:
            strategy = compiled.strategy
            if exclusive:
                compared = [(other, other_flat) for other, _, other_flat in branches if other != index] + failed
                others = [group[other][0] for other, other_flat in compared if not _disjoint(branch, other_flat)]
                others += [group[other][0] for other in cycles]
                if others:
                    validators = [self.validation.validator(schema) for schema in others]
                    strategy = strategy.filter(_matching_none(validators, flat.pointer))
            options.append(strategy)
            domain = None if domain is None or compiled.domain is None else domain + compiled.domain
        return _Compiled(st.one_of(options), domain)

    def _types(self, flat: _Flat, ctx: _Ctx) -> _Compiled:
        types = flat.generated_types()
        if flat.types is None and not flat.implied and types == ALL_TYPES:
            return _Compiled(self.any, None)
        makers: dict[str, Callable[[_Flat, _Ctx], st.SearchStrategy[Any]]] = {
            "null": lambda f, c: st.none(),
            "boolean": lambda f, c: st.booleans(),
            "integer": self._integer,
            "number": self._number,
            "string": self._string,
            "array": self._array,
            "object": self._object,
        }
        options = []
        problems: list[Unsatisfiable] = []
        for name in TYPES:
            if name not in types or (name == "integer" and "number" in types):
                continue
            try:
                options.append(makers[name](flat, ctx))
            except Unsatisfiable as exc:
                problems.append(exc)
        if not options:
            if len(problems) == 1:
                raise problems[0]
            reasons = "; ".join(f"{p.pointer}: {p.reason}" for p in problems)
            raise Unsatisfiable(flat.pointer, f"no type the schema allows can be satisfied ({reasons})")
        return _Compiled(st.one_of(options), self._domain(flat, types))

    def _domain(self, flat: _Flat, types: frozenset[str]) -> int | None:
        """How many distinct values the types can have here, when few (for ``uniqueItems``)."""
        total = 0
        for name in types - ({"integer"} if "number" in types else set()):
            if name == "null":
                total += 1
            elif name == "boolean":
                total += 2
            elif name == "string" and flat.max_len == 0:
                total += 1
            elif name == "integer" and flat.lower is not None and flat.upper is not None and not flat.multiples:
                low, high = self._bounds(flat, integer=True)
                assert low is not None
                assert high is not None
                total += max(0, int(high) - int(low) + 1)
            elif name == "array" and flat.max_items == 0:
                total += 1
            else:
                return None
        return total

    # ------------------------------------------------------------------ numbers

    def _bounds(self, flat: _Flat, integer: bool) -> tuple[float | None, float | None]:
        low = high = None
        if flat.lower is not None:
            value, exclusive = flat.lower
            low = (math.floor(value) + 1 if exclusive else math.ceil(value)) if integer else value
        if flat.upper is not None:
            value, exclusive = flat.upper
            high = (math.ceil(value) - 1 if exclusive else math.floor(value)) if integer else value
        return low, high

    def _integer(self, flat: _Flat, ctx: _Ctx) -> st.SearchStrategy[Any]:
        low, high = self._bounds(flat, integer=True)
        default_low, default_high = (-SAFE_INTEGER, SAFE_INTEGER) if "int64" in flat.formats else INT32
        if low is None:
            low = default_low if high is None or high >= default_low else high - 1000
        if high is None:
            high = default_high if low <= default_high else low + 1000
        low_int, high_int = int(low), int(high)
        if low_int > high_int:
            raise Unsatisfiable(flat.pointer, f"no integer lies between the minimum and maximum ({low}..{high})")
        whole = [int(m) for m in flat.multiples if float(m).is_integer()]
        fractional = [m for m in flat.multiples if not float(m).is_integer()]
        if whole:
            step = math.lcm(*whole)
            first, last = -(-low_int // step), high_int // step
            if first > last:
                raise Unsatisfiable(flat.pointer, f"no multiple of {step} lies in {low_int}..{high_int}")
            strategy = st.integers(first, last).map(lambda k: k * step)
        else:
            strategy = st.integers(low_int, high_int)
        for multiple in fractional:
            strategy = strategy.filter(_multiple_of(multiple))
        return strategy

    def _number(self, flat: _Flat, ctx: _Ctx) -> st.SearchStrategy[Any]:
        low, high = self._bounds(flat, integer=False)
        exclude_low = flat.lower is not None and flat.lower[1]
        exclude_high = flat.upper is not None and flat.upper[1]
        if low is None:
            low = -NUMBER_BOUND if high is None or high > -NUMBER_BOUND else high - NUMBER_BOUND
        if high is None:
            high = NUMBER_BOUND if low < NUMBER_BOUND else low + NUMBER_BOUND
        if low > high or (low == high and (exclude_low or exclude_high)):
            raise Unsatisfiable(flat.pointer, f"no number lies between the minimum and maximum ({low}..{high})")
        if flat.multiples:
            step = max(flat.multiples)
            first, last = math.ceil(low / step), math.floor(high / step)
            if exclude_low and first * step <= low:
                first += 1
            if exclude_high and last * step >= high:
                last -= 1
            if first > last:
                raise Unsatisfiable(flat.pointer, f"no multiple of {step} lies in {low}..{high}")
            strategy: st.SearchStrategy[Any] = st.integers(first, last).map(_scaler(step))
            for multiple in flat.multiples:
                strategy = strategy.filter(_multiple_of(multiple))
            strategy = filtered(strategy, _within(low, high, exclude_low, exclude_high), f"within {low}..{high}")
            return filtered(strategy, _fractional, "not an integer") if flat.no_integers else strategy
        floats = st.floats(
            low,
            high,
            exclude_min=exclude_low,
            exclude_max=exclude_high,
            allow_nan=False,
            allow_infinity=False,
            allow_subnormal=False,
        )
        if flat.no_integers:
            return filtered(floats, _fractional, "not an integer")
        int_low = math.floor(low) + 1 if exclude_low or low != math.floor(low) else int(low)
        int_high = math.ceil(high) - 1 if exclude_high or high != math.ceil(high) else int(high)
        if int_low <= int_high:
            return st.one_of(st.integers(int_low, int_high), floats)
        return floats

    # ------------------------------------------------------------------ strings

    def _string(self, flat: _Flat, ctx: _Ctx) -> st.SearchStrategy[Any]:
        low, high = flat.min_len, flat.max_len
        if low > high:
            raise Unsatisfiable(flat.pointer, f"minLength {low} is greater than maxLength {high}")
        known = [f for f in flat.formats if f in FORMATS]
        checks: list[Callable[[str], bool]] = []
        try:
            if flat.patterns:
                primary = flat.patterns[0]
                anchored = primary.startswith("^") and primary.endswith("$") and not primary.endswith("\\$")
                if known and not anchored:
                    strategy = format_strategy(known[0], low, high)
                    rest_patterns, rest_formats = flat.patterns, known[1:]
                else:
                    strategy = regex_strategy(primary, low, high)
                    rest_patterns, rest_formats = flat.patterns[1:], known
                checks.extend(_pattern_check(p) for p in rest_patterns)
                checks.extend(_format_check(f) for f in rest_formats)
            elif known:
                strategy = format_strategy(known[0], low, high)
                checks.extend(_format_check(f) for f in known[1:])
            else:
                strategy = None
        except CdspecError as exc:
            raise Unsatisfiable(flat.pointer, str(exc)) from None
        if strategy is None:
            low = max(low, self.options.min_text)
            if low > high:
                raise Unsatisfiable(flat.pointer, f"no string of at least {low} characters fits maxLength {high}")
            strategy = st.text(
                alphabet=self.options.alphabet, min_size=low, max_size=int(min(high, max(low, MAX_STRING)))
            )
        return _checked(strategy, checks)

    # ------------------------------------------------------------------ arrays

    def _array(self, flat: _Flat, ctx: _Ctx) -> st.SearchStrategy[Any]:
        low = flat.min_items
        allowed = flat.max_items
        if flat.uneval_items_false and not flat.arrays and not flat.contains:
            allowed = min(allowed, 0)
        prefix_len = max((len(p.prefix) for p in flat.arrays), default=0)
        size_cap = low if ctx.exhausted else max(low, MAX_ITEMS)
        prefix, tail, allowed = self._array_items(flat, ctx, prefix_len, allowed, size_cap)
        high = int(min(allowed, size_cap))
        if low > allowed:
            raise Unsatisfiable(flat.pointer, f"minItems {low} is more than the {allowed} items allowed")
        checks: list[Callable[[list[Any]], bool]] = []
        if flat.contains and (prefix_len or (flat.min_contains == 0 and flat.max_contains == INF)):
            checks.extend(self._contains_check(flat))
            flat = flat.copy()
            flat.contains = []
        if flat.contains:
            return self._array_contains(
                flat=flat, ctx=ctx, tail=tail, low=low, high=high, allowed=allowed, checks=checks
            )
        if not prefix_len:
            return _checked(self._plain_array(flat, tail, low, high), checks)
        return _checked(_prefix_array(prefix, tail, low, high, unique=flat.unique), checks)

    def _array_items(
        self, flat: _Flat, ctx: _Ctx, prefix_len: int, allowed: float, size_cap: int
    ) -> tuple[list[_Compiled], _Compiled | None, float]:
        """The compiled ``prefixItems`` positions and ``items``, and how many items are possible."""
        low = flat.min_items

        def subs_at(index: int) -> list[Sub]:
            subs: list[Sub] = []
            for part in flat.arrays:
                if index < len(part.prefix):
                    subs.append(part.prefix[index])
                elif part.items is not None:
                    subs.append(part.items)
            if any(s is False for s, _ in subs):
                raise Unsatisfiable(flat.pointer, f"no item is allowed at position {index}")
            return subs

        prefix: list[_Compiled] = []
        for index in range(int(min(prefix_len, allowed, size_cap))):
            try:
                prefix.append(self.compile(subs_at(index), ctx, _join_pointer(flat.pointer, "items")))
            except (Unsatisfiable, _Cycle):
                if index < low:
                    raise
                allowed = index
                break
        tail: _Compiled | None = None
        if (allowed > prefix_len and size_cap > prefix_len) or (flat.contains and not prefix_len):
            try:
                tail = self.compile(subs_at(prefix_len), ctx, _join_pointer(flat.pointer, "items"))
            except (Unsatisfiable, _Cycle):
                if low > prefix_len and not flat.contains:
                    raise
                allowed = min(allowed, prefix_len)
        return prefix, tail, allowed

    def _plain_array(self, flat: _Flat, tail: _Compiled | None, low: int, high: int) -> st.SearchStrategy[Any]:
        if tail is None:
            return st.just([])
        if not flat.unique:
            return st.lists(tail.strategy, min_size=low, max_size=high)
        if tail.domain is not None:
            if tail.domain < low:
                raise Unsatisfiable(
                    flat.pointer, f"uniqueItems: only {tail.domain} distinct items exist, minItems is {low}"
                )
            high = min(high, tail.domain)
        made = st.lists(tail.strategy, min_size=low, max_size=high, unique_by=unique_key)
        try:
            made.validate()  # Hypothesis knows when its items have too few distinct values
        except InvalidArgument as exc:
            raise Unsatisfiable(flat.pointer, f"uniqueItems: {exc}") from None
        return made

    def _contains_check(self, flat: _Flat) -> list[Callable[[list[Any]], bool]]:
        validators = [self.validation.validator(schema) for schema, _ in flat.contains]
        least = 1 if flat.min_contains is None else flat.min_contains
        most = flat.max_contains

        def check(values: list[Any]) -> bool:
            return all(least <= sum(1 for v in values if x.is_valid(v)) <= most for x in validators)

        return [check]

    def _array_contains(
        self,
        *,
        flat: _Flat,
        ctx: _Ctx,
        tail: _Compiled | None,
        low: int,
        high: int,
        allowed: float,
        checks: list[Callable[[list[Any]], bool]],
    ) -> st.SearchStrategy[Any]:
        each = 1 if flat.min_contains is None else flat.min_contains
        item_subs = [p.items for p in flat.arrays if p.items is not None]
        wanted = []
        for sub in flat.contains:
            try:
                wanted.append(self.compile([*item_subs, sub], ctx).strategy)
            except _Cycle:
                raise Unsatisfiable(sub[1], "no finite item satisfies 'contains'") from None
        needed = each * len(wanted)
        if needed > allowed:
            raise Unsatisfiable(flat.pointer, f"'contains' needs {needed} items, at most {allowed} are allowed")
        low, high = max(low, needed), max(high, needed)
        if tail is None:
            high = needed
        tail_strategy = tail.strategy if tail is not None else st.nothing()
        unique = flat.unique
        if flat.max_contains != INF:
            checks = [*checks, *self._contains_check(flat)]

        @st.composite
        def arrays(draw: st.DrawFn) -> list[Any]:
            count = draw(st.integers(low, high))
            out = [draw(tail_strategy) for _ in range(count - needed)]
            for strategy in wanted:
                for _ in range(each):
                    out.insert(draw(st.integers(0, len(out))), draw(strategy))
            if unique and len({unique_key(v) for v in out}) < len(out):
                reject()
            return out

        return _checked(arrays(), checks)

    # ------------------------------------------------------------------ objects

    def _value_subs(self, flat: _Flat, name: str) -> list[Sub] | None:
        """The subschemas a property's value must satisfy; ``None`` when the key is not allowed."""
        subs: list[Sub] = []
        for part in flat.objects:
            matching = [sub for pattern, sub in part.patterns.items() if _search(pattern, name)]
            if name in part.properties:
                subs.append(part.properties[name])
                subs.extend(matching)
            elif matching:
                subs.extend(matching)
            elif part.additional is not None:
                subs.append(part.additional)
        if any(s is False for s, _ in subs):
            return None
        return subs

    def _object(self, flat: _Flat, ctx: _Ctx) -> st.SearchStrategy[Any]:
        pointer = flat.pointer
        name_validators = [self.validation.validator(schema) for schema, _ in flat.property_names]

        def name_ok(name: str) -> bool:
            return all(v.is_valid(name) for v in name_validators)

        declared: dict[str, None] = {}
        for part in flat.objects:
            declared.update(dict.fromkeys(part.properties))
        order, required, strategies = self._properties(flat, ctx, declared, name_ok)
        optional = [n for n in order if n in strategies and n not in required]
        if len(required) > flat.max_props:
            raise Unsatisfiable(pointer, f"{len(required)} properties are required, maxProperties is {flat.max_props}")
        extras = (
            None
            if ctx.exhausted and flat.min_props <= len(required) + len(optional)
            else self._extras(flat, ctx, declared, name_ok)
        )
        explicit = (
            any(part.patterns for part in flat.objects)
            or any(part.additional is not None and part.additional[0] is not False for part in flat.objects)
            or not declared
        )
        extra_max = MAX_EXTRA_PROPERTIES if extras is not None and explicit and not ctx.exhausted else 0
        need = max(0, flat.min_props - len(required))
        if need > len(optional) + (INF if extras is not None else 0):
            raise Unsatisfiable(pointer, f"minProperties {flat.min_props} cannot be reached with the keys allowed")
        dependent = any(name in flat.dep_required for name in optional)
        if need == 0 and extra_max == 0 and not dependent and len(required) + len(optional) <= flat.max_props:
            return st.fixed_dictionaries(
                {n: strategies[n] for n in required}, optional={n: strategies[n] for n in optional}
            )
        return self._object_composite(
            flat=flat,
            order=order,
            required=required,
            optional=optional,
            strategies=strategies,
            extras=extras,
            extra_max=extra_max,
            need=need,
        )

    def _properties(
        self, flat: _Flat, ctx: _Ctx, declared: Mapping[str, None], name_ok: Callable[[str], bool]
    ) -> tuple[list[str], list[str], dict[str, st.SearchStrategy[Any]]]:
        """The keys in order, the required ones, and a strategy for each key that may be drawn."""
        pointer = flat.pointer
        excluded_keyword = EXCLUDED[self.purpose]
        required = list(flat.required)
        for name in required:  # dependentRequired of required keys are required too
            for dependency in flat.dep_required.get(name, ()):
                if dependency not in required:
                    required.append(dependency)
        order = list(dict.fromkeys([*declared, *required]))
        strategies: dict[str, st.SearchStrategy[Any]] = {}
        leave_out: set[str] = set()
        for name in order:
            own = [part.properties[name][0] for part in flat.objects if name in part.properties]
            if any(marked(self.document, schema, excluded_keyword) for schema in own):
                leave_out.add(name)  # readOnly in requests, writeOnly in responses: neither sent nor required
                continue
            subs = self._value_subs(flat, name)
            is_required = name in required
            if subs is None or not name_ok(name):
                if is_required:
                    raise Unsatisfiable(pointer, f"property {name!r} is required but the schema does not allow it")
                leave_out.add(name)
                continue
            if not is_required and ctx.exhausted:
                continue
            try:
                strategies[name] = self.compile(subs, ctx, _join_pointer(pointer, "properties", name)).strategy
            except (Unsatisfiable, _Cycle):
                if is_required:
                    raise
                leave_out.add(name)
        required = [n for n in required if n not in leave_out]
        # Optional keys whose dependentRequired keys cannot all be present are left out.
        changed = True
        while changed:
            changed = False
            for name in list(strategies):
                if any(d not in strategies for d in flat.dep_required.get(name, ())):
                    if name in required:
                        raise Unsatisfiable(pointer, f"property {name!r} needs properties that cannot be present")
                    del strategies[name]
                    changed = True
        return order, required, strategies

    def _object_composite(
        self,
        *,
        flat: _Flat,
        order: list[str],
        required: list[str],
        optional: list[str],
        strategies: dict[str, st.SearchStrategy[Any]],
        extras: st.SearchStrategy[tuple[str, Any]] | None,
        extra_max: int,
        need: int,
    ) -> st.SearchStrategy[Any]:
        most = flat.max_props
        least = flat.min_props
        pick_min = min(need, len(optional))
        pick_max = int(min(len(optional), most - len(required)))
        pick = (
            st.lists(st.sampled_from(optional), unique=True, min_size=pick_min, max_size=max(pick_min, pick_max))
            if optional
            else st.just([])
        )
        dependencies = flat.dep_required
        required_set = frozenset(required)
        extra_lists: dict[tuple[int, int], st.SearchStrategy[list[tuple[str, Any]]]] = {}

        def extra_list(low: int, high: int) -> st.SearchStrategy[list[tuple[str, Any]]]:
            key = (low, high)
            if key not in extra_lists:
                assert extras is not None
                extra_lists[key] = st.lists(extras, min_size=low, max_size=high, unique_by=lambda kv: kv[0])
            return extra_lists[key]

        @st.composite
        def objects(draw: st.DrawFn) -> dict[str, Any]:
            keys = set(required_set)
            keys.update(draw(pick))
            stack = list(keys)
            while stack:
                for dependency in dependencies.get(stack.pop(), ()):
                    if dependency not in keys:
                        keys.add(dependency)
                        stack.append(dependency)
            if len(keys) > most:
                reject()
            out = {name: draw(strategies[name]) for name in order if name in keys}
            if extras is not None:
                low = max(0, least - len(out))
                high = int(min(max(low, extra_max), most - len(out)))
                if high > 0 and high >= low:
                    for name, value in draw(extra_list(low, high)):
                        out[name] = value
            if len(out) < least:
                reject()
            return out

        return objects()

    def _extras(
        self, flat: _Flat, ctx: _Ctx, declared: Mapping[str, None], name_ok: Callable[[str], bool]
    ) -> st.SearchStrategy[tuple[str, Any]] | None:
        """Keys beyond the declared properties, with their values; ``None`` when none are allowed."""
        parts = flat.objects
        all_patterns = [p for part in parts for p in part.patterns]
        sources: list[st.SearchStrategy[tuple[str, Any]]] = []
        if not any(_is_false(part.additional) for part in parts) and not flat.uneval_props_false:
            value_subs = [part.additional for part in parts if part.additional is not None]
            if not value_subs:
                value_subs = flat.uneval_props
            try:
                values = self.compile(value_subs, ctx, _join_pointer(flat.pointer, "additionalProperties")).strategy
                if flat.property_names:
                    names = self.compile([*flat.property_names, ({"type": "string"}, flat.pointer)], ctx).strategy
                else:
                    names = self.names

                def default_name(name: str) -> bool:
                    return name not in declared and not any(_search(p, name) for p in all_patterns) and name_ok(name)

                sources.append(st.tuples(filtered(names, default_name, "an undeclared name"), values))
            except (Unsatisfiable, _Cycle):
                pass
        for pattern in dict.fromkeys(all_patterns):
            subs: list[Sub] = []
            allowed = True
            for part in parts:
                if pattern in part.patterns:
                    subs.append(part.patterns[pattern])
                elif part.additional is not None:
                    allowed = allowed and not _is_false(part.additional)
                    subs.append(part.additional)
            if not allowed or any(s is False for s, _ in subs):
                continue
            others = [p for p in all_patterns if p != pattern]

            def pattern_name(name: str, others: list[str] = others) -> bool:
                return name not in declared and not any(_search(p, name) for p in others) and name_ok(name)

            try:
                names = regex_strategy(pattern)
                values = self.compile(subs, ctx, subs[0][1]).strategy
            except (Unsatisfiable, _Cycle, CdspecError):
                continue
            sources.append(st.tuples(filtered(names, pattern_name, f"a name for {pattern!r} only"), values))
        if not sources:
            return None
        return st.one_of(sources)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_keywords(flat: _Flat, get: Callable[[str], Any]) -> None:
    exclusive_min, exclusive_max = get("exclusiveMinimum"), get("exclusiveMaximum")
    if _number(get("minimum")):
        flat.lower = _tighter(flat.lower, (get("minimum"), exclusive_min is True), lower=True)
    if _number(get("maximum")):
        flat.upper = _tighter(flat.upper, (get("maximum"), exclusive_max is True), lower=False)
    if _number(exclusive_min):
        flat.lower = _tighter(flat.lower, (exclusive_min, True), lower=True)
    if _number(exclusive_max):
        flat.upper = _tighter(flat.upper, (exclusive_max, True), lower=False)
    if _number(get("multipleOf")) and get("multipleOf") > 0:
        flat.multiples.append(get("multipleOf"))
    fmt = get("format")
    if isinstance(fmt, str) and fmt not in flat.formats:
        flat.formats.append(fmt)
    if fmt in FORMATS:
        flat.implied.add("string")
    elif fmt in ("int32", "int64"):
        flat.implied.add("integer")
    elif fmt in ("float", "double"):
        flat.implied.add("number")


def _string_keywords(flat: _Flat, get: Callable[[str], Any]) -> None:
    if isinstance(get("minLength"), int):
        flat.min_len = max(flat.min_len, get("minLength"))
    if isinstance(get("maxLength"), int):
        flat.max_len = min(flat.max_len, get("maxLength"))
    pattern = get("pattern")
    if isinstance(pattern, str) and pattern not in flat.patterns:
        flat.patterns.append(pattern)


def _array_keywords(flat: _Flat, schema: Mapping[str, Any], get: Callable[[str], Any], pointer: str) -> None:
    if isinstance(get("minItems"), int):
        flat.min_items = max(flat.min_items, get("minItems"))
    if isinstance(get("maxItems"), int):
        flat.max_items = min(flat.max_items, get("maxItems"))
    if get("uniqueItems") is True:
        flat.unique = True
    items, prefix = get("items"), get("prefixItems")
    if isinstance(items, list):  # Draft 4 tuple form
        prefix, items = items, get("additionalItems")
    if prefix is not None or items is not None:
        flat.arrays.append(
            _ArrayPart(
                tuple((s, _join_pointer(pointer, "prefixItems", i)) for i, s in enumerate(_list(prefix))),
                None if items is None else (items, _join_pointer(pointer, "items")),
            )
        )
    if "contains" in schema:
        flat.contains.append((get("contains"), _join_pointer(pointer, "contains")))
        if isinstance(get("minContains"), int):
            flat.min_contains = max(flat.min_contains or 0, get("minContains"))
        if isinstance(get("maxContains"), int):
            flat.max_contains = min(flat.max_contains, get("maxContains"))
    if get("unevaluatedItems") is False:
        flat.uneval_items_false = True


def _object_keywords(flat: _Flat, schema: Mapping[str, Any], get: Callable[[str], Any], pointer: str) -> None:
    for name in _list(get("required")):
        if isinstance(name, str) and name not in flat.required:
            flat.required.append(name)
    properties, patterns, additional = get("properties"), get("patternProperties"), get("additionalProperties")
    if properties is not None or patterns is not None or additional is not None:
        flat.objects.append(
            _ObjectPart(
                {k: (v, _join_pointer(pointer, "properties", k)) for k, v in _mapping(properties).items()},
                {k: (v, _join_pointer(pointer, "patternProperties", k)) for k, v in _mapping(patterns).items()},
                None if additional is None else (additional, _join_pointer(pointer, "additionalProperties")),
            )
        )
    if isinstance(get("minProperties"), int):
        flat.min_props = max(flat.min_props, get("minProperties"))
    if isinstance(get("maxProperties"), int):
        flat.max_props = min(flat.max_props, get("maxProperties"))
    dependencies = dict(_mapping(get("dependentRequired")))
    schema_dependencies = {}
    for key, value in _mapping(get("dependencies")).items():
        if isinstance(value, list):
            dependencies[key] = value
        else:
            schema_dependencies[key] = value
    for key, names in dependencies.items():
        known = flat.dep_required.setdefault(key, [])
        known.extend(n for n in names if n not in known)
    if schema_dependencies:
        flat.residual.append(({"dependencies": schema_dependencies}, _join_pointer(pointer, "dependencies")))
    if "dependentSchemas" in schema:
        flat.residual.append(
            ({"dependentSchemas": get("dependentSchemas")}, _join_pointer(pointer, "dependentSchemas"))
        )
    if "propertyNames" in schema:
        flat.property_names.append((get("propertyNames"), _join_pointer(pointer, "propertyNames")))
    if "unevaluatedProperties" in schema:
        if get("unevaluatedProperties") is False:
            flat.uneval_props_false = True
        else:
            flat.uneval_props.append((get("unevaluatedProperties"), _join_pointer(pointer, "unevaluatedProperties")))


def _prefix_array(
    prefix: list[_Compiled], tail: _Compiled | None, low: int, high: int, *, unique: bool
) -> st.SearchStrategy[list[Any]]:
    prefix_strategies = [c.strategy for c in prefix]
    tail_strategy = tail.strategy if tail is not None else st.nothing()

    @st.composite
    def tuples(draw: st.DrawFn) -> list[Any]:
        count = draw(st.integers(low, high))
        out = [draw(s) for s in prefix_strategies[:count]]
        out.extend(draw(tail_strategy) for _ in range(count - len(out)))
        if unique and len({unique_key(v) for v in out}) < len(out):
            reject()
        return out

    return tuples()


def _checked(strategy: st.SearchStrategy[Any], checks: Sequence[Callable[[Any], object]]) -> st.SearchStrategy[Any]:
    """``strategy`` filtered by each check (wrapped in :class:`Check`, see there why)."""
    for check in checks:
        strategy = strategy.filter(check if isinstance(check, Check) else Check(check, check.__name__))
    return strategy


def _pattern_check(pattern: str) -> Check:
    compiled = compile_pattern(pattern).python
    if compiled is None:
        raise CdspecError(f"pattern {pattern!r} cannot be checked (Python's re rejects it)")
    return Check(compiled.search, f"matches {pattern!r}")


def _format_check(name: str) -> Check:
    from jsonschema import FormatChecker

    checker = FormatChecker()
    return Check(lambda text: checker.conforms(text, name), f"a valid {name}")


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _property_values(flat: _Flat, name: str) -> tuple[frozenset[str] | None, set[object] | None]:
    """What a schema lets one property be, roughly: its types and its enum keys (``None``: unknown)."""
    types: frozenset[str] | None = None
    values: set[object] | None = None
    for part in flat.objects:
        sub = part.properties.get(name)
        if sub is None or not isinstance(sub[0], Mapping):
            continue
        schema = sub[0]
        if "const" in schema:
            keys = {unique_key(schema["const"])}
            values = keys if values is None else values & keys
        if isinstance(schema.get("enum"), list):
            keys = {unique_key(v) for v in schema["enum"]}
            values = keys if values is None else values & keys
        kind = schema.get("type")
        if kind is not None:
            names = frozenset({kind} if isinstance(kind, str) else kind)
            types = names if types is None else _overlap(types, names)
    return types, values


def _disjoint(one: _Flat, other: _Flat) -> bool:
    """Whether no value drawn for ``one`` can be valid against ``other`` (conservative: False when unsure)."""
    accepted = other.types if other.types is not None else ALL_TYPES
    common = _overlap(one.generated_types(), accepted)
    if one.enum is not None:
        keys = {unique_key(v) for v in one.enum}
        if other.enum is not None and not keys & {unique_key(v) for v in other.enum}:
            return True
        return not _overlap(frozenset(json_type(v) for v in one.enum), accepted)
    if not common:
        return True
    if common != {"object"}:
        return False
    for name in other.required:
        if not one.may_have_key(name):
            return True
    for name in one.required:
        if not other.accepts_key(name):
            return True
        one_types, one_values = _property_values(one, name)
        other_types, other_values = _property_values(other, name)
        if one_values is not None and other_values is not None and not one_values & other_values:
            return True
        if one_types is not None and other_types is not None and not _overlap(one_types, other_types):
            return True
    return False


def _locate(document: JSON, target: JSON) -> str | None:
    """The JSON pointer of ``target`` (by identity) inside ``document``, if it is there."""
    stack: list[tuple[JSON, str]] = [(document, "#")]
    while stack:
        node, pointer = stack.pop()
        if node is target:
            return pointer
        if isinstance(node, Mapping):
            stack.extend((v, _join_pointer(pointer, k)) for k, v in node.items() if isinstance(v, Mapping | list))
        elif isinstance(node, list):
            stack.extend((v, _join_pointer(pointer, i)) for i, v in enumerate(node) if isinstance(v, Mapping | list))
    return None


def from_schema(
    schema: JSON,
    *,
    document: object = None,
    dialect: Dialect | None = None,
    purpose: Purpose = "request",
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> st.SearchStrategy[Any]:
    """A Hypothesis strategy for JSON values valid against the OpenAPI ``schema``.

    ``document`` is the OpenAPI document (a mapping, or a :class:`cdspec.Contract`)
    that internal ``$ref``\\ s (``#/components/schemas/...``) resolve in;
    without one they resolve in ``schema`` itself. ``dialect`` is ``"3.0"``
    (``nullable``, boolean ``exclusiveMinimum``, ``$ref`` siblings ignored)
    or ``"3.1"`` (JSON Schema 2020-12); by default the document's
    ``openapi`` version, or 3.1. For ``purpose="request"`` no ``readOnly``
    property is drawn, for ``"response"`` no ``writeOnly`` one.
    ``max_depth`` bounds how often one ``$ref`` nests within itself.

    The schema is compiled at once: a schema that no value satisfies (say
    ``minimum`` above ``maximum``, or ``not: {}``) raises
    :class:`cdspec.CdspecError` naming the JSON pointer of the offending
    subschema (``#/...`` inside the document, ``(schema)/...`` inside a
    schema given on its own).
    """
    return compile_schema(schema, document=document, dialect=dialect, purpose=purpose, max_depth=max_depth)


def compile_schema(
    schema: JSON,
    *,
    document: object = None,
    dialect: Dialect | None = None,
    purpose: Purpose = "request",
    max_depth: int = DEFAULT_MAX_DEPTH,
    options: Options | None = None,
) -> st.SearchStrategy[Any]:
    """:func:`from_schema` with :class:`Options` for plain strings (parameters use them)."""
    if purpose not in EXCLUDED:
        raise CdspecError(f"purpose must be 'request' or 'response', got {purpose!r}")
    if not isinstance(max_depth, int) or isinstance(max_depth, bool) or max_depth < 0:
        raise CdspecError(f"max_depth must be a non-negative integer, got {max_depth!r}")
    doc = document_of(document, schema)
    chosen = infer_dialect(doc, dialect)
    pointer = "#" if document is None else (_locate(doc, schema) or "(schema)")
    compiler = Compiler(doc, chosen, purpose, max_depth, options or Options())
    try:
        return compiler.compile([(schema, pointer)], _Ctx()).strategy
    except Unsatisfiable as exc:
        raise UnsatisfiableSchemaError(exc.pointer, exc.reason) from None
    except _Cycle as exc:
        raise UnsatisfiableSchemaError(
            exc.pointer,
            f"it refers back to {exc.ref or 'itself'} on every path (no finite value within max_depth={max_depth})",
        ) from None
    except RecursionError:
        raise CdspecError("the schema nests too deeply to compile") from None
