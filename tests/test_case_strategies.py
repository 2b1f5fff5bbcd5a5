"""cdspec.cases: strategies from OpenAPI schemas and parameters.

Every value drawn is checked with jsonschema and its ``FormatChecker``:
Draft 2020-12 for OpenAPI 3.1 schemas, and for 3.0 ones openapi-schema-validator's
OAS 3.0 validators (``nullable``, boolean ``exclusiveMinimum``, ``readOnly``/
``writeOnly``), both independent of cdspec's own translation, which is
checked as well.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, seed, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

import cdspec
import cdspec.cases
from cdspec import CdspecError, Contract, Parameter
from cdspec._frozen import thaw
from cdspec.cases import from_schema, parameter_strategy, schema_validator, serialise_parameter
from cdspec.cases._regex import compile_pattern, regex_strategy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("library", "clinic", "study")
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# RFC 3986 URI and RFC 1123 host names: the format checks jsonschema skips when rfc3987/fqdn are missing.
URI = re.compile(
    r"^[A-Za-z][A-Za-z0-9+.-]*:(//([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?[A-Za-z0-9.-]*(:[0-9]*)?)?[A-Za-z0-9._~%!$&'()*+,;=:@/-]*(\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$"
)
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,}$"
)

# --------------------------------------------------------------------------- helpers


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def independent_validator(schema: Any, dialect: str, purpose: str, document: Any = None) -> Any:
    """A validator that shares no code with cdspec: jsonschema 2020-12, or openapi-schema-validator for 3.0."""
    root = schema if document is None else {**thaw(document), "allOf": [schema]}
    if dialect == "3.0":
        cls = OAS30WriteValidator if purpose == "request" else OAS30ReadValidator
        return cls(root, format_checker=FormatChecker())
    return Draft202012Validator(root, format_checker=FormatChecker())


def assert_valid(validators: list[Any], value: Any) -> None:
    for validator in validators:
        errors = list(validator.iter_errors(value))
        assert not errors, f"{value!r}: {errors[0].message} (at {list(errors[0].absolute_path)})"


def run(strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> list[Any]:
    """Run ``check`` on the values the profile's number of examples draws; return them."""
    seen: list[Any] = []

    @SLOW
    @given(strategy)
    def test(value: Any) -> None:
        check(value)
        seen.append(value)

    test()
    return seen


# --------------------------------------------------------------------------- the corpus

COMPONENTS = {
    "openapi": "3.0.3",
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "required": ["value"],
                "properties": {
                    "value": {"type": "integer", "minimum": 0, "maximum": 9},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                },
            },
            "Link": {
                "type": "object",
                "required": ["label", "tail"],
                "properties": {
                    "label": {"type": "string", "maxLength": 3},
                    "tail": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/Link"},
                            {"type": "string", "nullable": True, "enum": [None]},
                        ]
                    },
                    "next": {"$ref": "#/components/schemas/Link"},
                },
            },
            "Base": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "integer", "readOnly": True, "minimum": 1},
                    "name": {"type": "string", "minLength": 1, "maxLength": 10},
                    "secret": {"type": "string", "writeOnly": True, "minLength": 8},
                },
            },
            "Short": {"type": "string", "maxLength": 4},
        }
    },
}
COMPONENTS_31 = {
    "openapi": "3.1.0",
    "components": {
        "schemas": {
            "Expr": {
                "oneOf": [
                    {"type": "integer", "minimum": 0, "maximum": 99},
                    {
                        "type": "object",
                        "required": ["op", "args"],
                        "additionalProperties": False,
                        "properties": {
                            "op": {"enum": ["+", "*"]},
                            "args": {"type": "array", "minItems": 2, "items": {"$ref": "#/components/schemas/Expr"}},
                        },
                    },
                ]
            },
            "Short": {"type": "string", "maxLength": 4},
        }
    },
}

CORPUS: dict[str, tuple[Any, dict[str, Any]]] = {
    # types, enum, const
    "empty schema": ({}, {}),
    "type array with null": ({"type": ["string", "null"], "minLength": 2}, {}),
    "nullable (3.0)": ({"type": "string", "nullable": True, "maxLength": 3}, {"dialect": "3.0"}),
    "nullable enum lists null itself (3.0)": (
        {"type": "string", "nullable": True, "enum": ["a", "b", None]},
        {"dialect": "3.0"},
    ),
    "enum of mixed values": ({"enum": [1, "1", True, None, {"a": 1}, [1, 2], 1.5]}, {}),
    "const": ({"const": {"kind": "x", "n": [1]}}, {}),
    "enum narrowed by type": ({"type": "string", "enum": ["a", 1, "b", None]}, {}),
    # numbers
    "integer bounds": ({"type": "integer", "minimum": -3, "maximum": 3}, {}),
    "integer multipleOf in bounds": ({"type": "integer", "minimum": -7, "maximum": 50, "multipleOf": 6}, {}),
    "integer multipleOf from allOf (lcm)": ({"type": "integer", "allOf": [{"multipleOf": 4}, {"multipleOf": 6}]}, {}),
    "boolean exclusive bounds (3.0)": (
        {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 3, "exclusiveMaximum": True},
        {"dialect": "3.0"},
    ),
    "boolean exclusive number bounds (3.0)": (
        {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1, "exclusiveMaximum": True},
        {"dialect": "3.0"},
    ),
    "numeric exclusive bounds (3.1)": ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5}, {}),
    "number multipleOf 0.01": ({"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01}, {}),
    "number multipleOf 0.5": ({"type": "number", "minimum": -2, "exclusiveMaximum": 2, "multipleOf": 0.5}, {}),
    "int32 and int64 formats": ({"type": "integer", "format": "int32"}, {}),
    "number without type": ({"minimum": 10, "maximum": 11}, {}),
    # strings
    "string lengths": ({"type": "string", "minLength": 3, "maxLength": 5}, {}),
    "long minLength": ({"type": "string", "minLength": 40}, {}),
    "pattern with ASCII digits": ({"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"}, {}),
    "pattern ISBN alternation": ({"type": "string", "pattern": "^([0-9]{9}[0-9X]|97[89][0-9]{10})$"}, {}),
    "pattern groups and quantifiers": ({"type": "string", "pattern": r"^(foo|ba+r)+[0-9]{2,}(?:-x)?$"}, {}),
    "pattern lazy quantifiers, unanchored": ({"type": "string", "pattern": r"[a-c]x*?y{1,2}?"}, {}),
    "pattern negated class with escapes": ({"type": "string", "pattern": r"^[^\s,\d]{1,10}$"}, {}),
    "pattern word escapes": ({"type": "string", "pattern": r"^\w+@\w+\.(com|org)$"}, {}),
    "pattern class with range and escapes": ({"type": "string", "pattern": r"^[\w.+-]{2,8}\.[A-Fa-f0-9]$"}, {}),
    "pattern dot and \\S": ({"type": "string", "pattern": r"^.\S{2}$"}, {}),
    "pattern with minLength": ({"type": "string", "pattern": "^[a-z]+$", "minLength": 25, "maxLength": 30}, {}),
    "pattern with gaps in lengths": ({"type": "string", "pattern": "^(ab)+$", "maxLength": 5}, {}),
    "pattern with lookahead (fallback)": ({"type": "string", "pattern": r"^(?=.*[0-9])[a-z0-9]{6,12}$"}, {}),
    "pattern with backreference (fallback)": ({"type": "string", "pattern": r"^(a|b)-\1$"}, {}),
    "two patterns": ({"type": "string", "allOf": [{"pattern": "^[a-z]{2,6}$"}, {"pattern": "a"}]}, {}),
    # formats
    "format email": ({"type": "string", "format": "email"}, {}),
    "format email with maxLength": ({"type": "string", "format": "email", "maxLength": 12}, {}),
    "format uuid": ({"type": "string", "format": "uuid"}, {}),
    "format date": ({"type": "string", "format": "date"}, {}),
    "format date-time": ({"type": "string", "format": "date-time"}, {}),
    "format time": ({"type": "string", "format": "time"}, {}),
    "format uri": ({"type": "string", "format": "uri"}, {}),
    "format uri with https pattern": ({"type": "string", "format": "uri", "pattern": "^https://", "maxLength": 40}, {}),
    "format hostname": ({"type": "string", "format": "hostname"}, {}),
    "format ipv4": ({"type": "string", "format": "ipv4"}, {}),
    "format ipv6": ({"type": "string", "format": "ipv6"}, {}),
    "format byte": ({"type": "string", "format": "byte", "minLength": 8, "maxLength": 16}, {"dialect": "3.0"}),
    "format password": ({"type": "string", "format": "password", "minLength": 8}, {}),
    "unknown format": ({"type": "string", "format": "x-colour", "maxLength": 4}, {}),
    # arrays
    "array bounds": ({"type": "array", "items": {"type": "boolean"}, "minItems": 2, "maxItems": 3}, {}),
    "uniqueItems of objects": (
        {
            "type": "array",
            "uniqueItems": True,
            "minItems": 3,
            "items": {
                "type": "object",
                "required": ["k"],
                "properties": {"k": {"type": "integer", "minimum": 0, "maximum": 3}},
            },
        },
        {},
    ),
    "uniqueItems of a small enum": (
        {"type": "array", "uniqueItems": True, "minItems": 2, "items": {"enum": ["a", "b", "c"]}},
        {},
    ),
    "prefixItems with items false": (
        {"type": "array", "prefixItems": [{"type": "string", "maxLength": 2}, {"type": "integer"}], "items": False},
        {},
    ),
    "prefixItems then items": (
        {"type": "array", "prefixItems": [{"const": "head"}], "items": {"type": "integer"}, "minItems": 2},
        {},
    ),
    "contains with minContains": (
        {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 20},
            "contains": {"minimum": 10},
            "minContains": 2,
            "maxContains": 3,
        },
        {},
    ),
    "contains and uniqueItems": (
        {"type": "array", "uniqueItems": True, "items": {"type": "string", "maxLength": 2}, "contains": {"const": "x"}},
        {},
    ),
    # objects
    "additionalProperties false": (
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}},
        },
        {},
    ),
    "additionalProperties schema": (
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}},
            "additionalProperties": {"type": "string", "maxLength": 3},
        },
        {},
    ),
    "patternProperties": (
        {
            "type": "object",
            "patternProperties": {"^x-[a-z]+$": {"type": "integer"}, "^n[0-9]$": {"type": "null"}},
            "additionalProperties": False,
        },
        {},
    ),
    "min and maxProperties": (
        {
            "type": "object",
            "minProperties": 2,
            "maxProperties": 3,
            "properties": {k: {"type": "integer"} for k in "abcde"},
            "additionalProperties": False,
        },
        {},
    ),
    "minProperties beyond the declared": (
        {"type": "object", "minProperties": 3, "properties": {"a": {"type": "integer"}}},
        {},
    ),
    "dependentRequired": (
        {
            "type": "object",
            "properties": {
                "card": {"type": "string"},
                "cvc": {"type": "string", "pattern": "^[0-9]{3}$"},
                "name": {"type": "string"},
            },
            "dependentRequired": {"card": ["cvc"]},
            "additionalProperties": False,
        },
        {},
    ),
    "propertyNames": (
        {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z]{1,4}$"},
            "additionalProperties": {"type": "boolean"},
            "minProperties": 1,
        },
        {},
    ),
    "free-form object": ({"type": "object"}, {}),
    "required key not declared": ({"type": "object", "required": ["x"], "maxProperties": 1}, {}),
    # composition
    "nested allOf with required": (
        {
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"allOf": [{"required": ["tag"], "properties": {"tag": {"$ref": "#/components/schemas/Short"}}}]},
                {"required": ["name"], "properties": {"name": {"pattern": "^[a-z]+$"}}},
            ]
        },
        {"document": COMPONENTS},
    ),
    "allOf where additionalProperties false drops a property": (
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
                {"type": "object", "properties": {"a": {"minimum": 0}, "b": {"type": "string"}}},
            ]
        },
        {},
    ),
    "anyOf of types": ({"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 100}]}, {}),
    "anyOf merged with siblings": (
        {"type": "integer", "anyOf": [{"minimum": 90}, {"maximum": -90}], "maximum": 100, "minimum": -100},
        {},
    ),
    "oneOf with overlapping branches": (
        {"oneOf": [{"type": "integer", "multipleOf": 3}, {"type": "integer", "multipleOf": 5}]},
        {},
    ),
    "oneOf number and integer": ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, {}),
    "oneOf of objects overlapping": (
        {
            "oneOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
                {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}},
            ]
        },
        {},
    ),
    "oneOf with a discriminating const": (
        {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["kind", "meow"],
                    "properties": {"kind": {"const": "cat"}, "meow": {"type": "boolean"}},
                },
                {
                    "type": "object",
                    "required": ["kind", "bark"],
                    "properties": {"kind": {"const": "dog"}, "bark": {"type": "integer"}},
                },
            ],
            "discriminator": {"propertyName": "kind"},
        },
        {},
    ),
    "not a type": ({"not": {"type": ["string", "object", "array", "number"]}}, {}),
    "not an enum": ({"type": "integer", "minimum": 0, "maximum": 4, "not": {"enum": [0, 2]}}, {}),
    "if then else": (
        {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": "integer"}},
            "if": {"properties": {"kind": {"const": "a"}}},
            "then": {"required": ["n"]},
            "else": {"not": {"required": ["n"]}},
        },
        {},
    ),
    "dependentSchemas": (
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "dependentSchemas": {"a": {"properties": {"b": {"minimum": 5}}}},
        },
        {},
    ),
    "unevaluatedProperties false": (
        {
            "allOf": [{"properties": {"a": {"type": "integer"}}}, {"properties": {"b": {"type": "string"}}}],
            "unevaluatedProperties": False,
            "type": "object",
        },
        {},
    ),
    "$ref with siblings (3.1)": ({"$ref": "#/components/schemas/Short", "minLength": 2}, {"document": COMPONENTS_31}),
    "$ref siblings (3.0)": ({"$ref": "#/components/schemas/Short", "minLength": 2}, {"document": COMPONENTS}),
    "boolean subschemas": ({"type": "object", "properties": {"no": False, "any": True}, "required": ["any"]}, {}),
    # recursion, readOnly, writeOnly
    "recursive tree": ({"$ref": "#/components/schemas/Node"}, {"document": COMPONENTS}),
    "recursive list ending in null (3.0)": ({"$ref": "#/components/schemas/Link"}, {"document": COMPONENTS}),
    "recursive oneOf expression": ({"$ref": "#/components/schemas/Expr"}, {"document": COMPONENTS_31}),
    "readOnly id in a request": ({"$ref": "#/components/schemas/Base"}, {"document": COMPONENTS}),
    "writeOnly secret in a response": (
        {"$ref": "#/components/schemas/Base"},
        {"document": COMPONENTS, "purpose": "response"},
    ),
}


def _extra_checks(name: str, schema: Any, value: Any) -> None:
    """Checks beyond jsonschema's: ASCII everywhere, and the formats it cannot check here."""
    assert all(s.isascii() for s in strings(value)), value
    fmt = schema.get("format") if isinstance(schema, dict) else None
    if fmt == "uri":
        assert URI.match(value), value
        assert value.startswith(("http://", "https://")), value
    if fmt == "hostname":
        assert HOSTNAME.match(value), value
    if fmt == "email":
        assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9]+\.[a-z]{2,3}", value), value
    if fmt == "byte":
        assert base64.b64decode(value, validate=True) is not None
    if fmt == "ipv6":
        ipaddress.IPv6Address(value)
    if name == "readOnly id in a request":
        assert "id" not in value
        assert "name" in value
    if name == "writeOnly secret in a response":
        assert "secret" not in value
        assert "id" in value


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_value_drawn_for_the_corpus_is_valid(name: str) -> None:
    """Each tricky schema's values validate with jsonschema + FormatChecker, cdspec's reading and an independent one."""
    schema, options = CORPUS[name]
    document = options.get("document")
    dialect = options.get("dialect") or ("3.0" if document is COMPONENTS else "3.1")
    purpose = options.get("purpose", "request")
    strategy = from_schema(schema, document=document, dialect=dialect, purpose=purpose)
    validators = [
        schema_validator(schema, document=document, dialect=dialect, purpose=purpose),
        independent_validator(schema, dialect, purpose, document),
    ]

    def check(value: Any) -> None:
        assert_valid(validators, value)
        _extra_checks(name, schema, value)

    run(strategy, check)


# --------------------------------------------------------------------------- the bundled examples


@functools.cache
def contract(example: str) -> Contract:
    return cdspec.load_contract(ROOT / "examples" / example / "openapi.yaml")


def _bodies() -> list[tuple[str, str]]:
    return [
        (example, op.key)
        for example in EXAMPLES
        for op in contract(example).operations
        if op.request_body is not None and op.request_body.schema() is not None
    ]


def _parameters() -> list[tuple[str, str, str]]:
    return [
        (example, op.key, p.name) for example in EXAMPLES for op in contract(example).operations for p in op.parameters
    ]


def _operation(example: str, key: str) -> Any:
    return next(op for op in contract(example).operations if op.key == key)


def test_the_examples_have_bodies_and_parameters() -> None:
    """The example contracts give the property tests below plenty to check."""
    assert len(_bodies()) >= 15
    assert len(_parameters()) >= 40


@pytest.mark.parametrize(("example", "key"), _bodies())
def test_request_bodies_of_the_examples_are_valid(example: str, key: str) -> None:
    """Every request body drawn for an example operation validates (cdspec's reading and openapi-schema-validator's)."""
    api = contract(example)
    schema = _operation(example, key).request_body.schema()
    dialect = api.openapi[:3]
    validators = [
        schema_validator(schema, document=api),
        independent_validator(schema, dialect, "request", api.document),
    ]

    def check(value: Any) -> None:
        assert_valid(validators, value)
        assert all(s.isascii() for s in strings(value))

    run(from_schema(schema, document=api), check)


def _responses() -> list[tuple[str, str, str]]:
    return [
        (example, op.key, response.status)
        for example in EXAMPLES
        for op in contract(example).operations
        for response in op.responses
        if response.schema() is not None
    ]


@pytest.mark.parametrize(("example", "key", "status"), _responses())
def test_response_bodies_of_the_examples_are_valid(example: str, key: str, status: str) -> None:
    """Response bodies drawn (purpose="response") validate too: what a test double of the API would answer."""
    api = contract(example)
    response = _operation(example, key).response(status)
    assert response is not None
    schema = response.schema()
    validators = [
        schema_validator(schema, document=api, purpose="response"),
        independent_validator(schema, api.openapi[:3], "response", api.document),
    ]
    run(from_schema(schema, document=api, purpose="response"), lambda value: assert_valid(validators, value))


def _resolve(api: Contract, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = api.resolve(schema["$ref"])
    return schema


def _parse(api: Contract, schema: Any, text: str) -> Any:
    """A serialised primitive parameter read back as the schema's type says."""
    schema = _resolve(api, schema)
    kinds = schema.get("type", "string")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    for kind in kinds:
        if kind == "integer" and re.fullmatch(r"-?[0-9]+", text):
            return int(text)
        if kind == "number" and re.fullmatch(r"-?[0-9.eE+-]+", text):
            return float(text)
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
    return text


@pytest.mark.parametrize(("example", "key", "name"), _parameters())
def test_parameters_of_the_examples_are_valid(example: str, key: str, name: str) -> None:
    """Every parameter value drawn for an example operation, read back from its serialised form, validates."""
    api = contract(example)
    parameter = next(p for p in _operation(example, key).parameters if p.name == name)
    validators = [
        schema_validator(parameter.schema, document=api),
        independent_validator(parameter.schema, api.openapi[:3], "request", api.document),
    ]

    def check(text: Any) -> None:
        assert isinstance(text, str)
        assert text.isascii()
        if parameter.location == "path":
            assert text not in ("", ".", "..")
            assert "/" not in text
        assert_valid(validators, _parse(api, parameter.schema, text))

    run(parameter_strategy(parameter, document=api), check)
    run(from_schema(parameter.schema, document=api), lambda value: assert_valid(validators, value))


# --------------------------------------------------------------------------- specific behaviour


def test_ecma_digits_are_ascii_digits() -> None:
    r"""``\d`` draws 0-9 only (ECMA-262), unlike Python's Unicode reading of the same pattern."""
    values = run(
        from_schema({"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"}),
        lambda v: assert_valid([], v) if re.fullmatch("[A-Z]{3}-[0-9]{4}", v) else pytest.fail(repr(v)),
    )
    assert len(set(values)) > 1


def test_unanchored_patterns_draw_a_match_with_short_affixes() -> None:
    """An unanchored side of a pattern gets a few letters or digits (shrinking to none); the match is still there."""
    values = run(from_schema({"type": "string", "pattern": "b[0-9]$"}), lambda v: None)
    assert all(re.fullmatch("[A-Za-z0-9]{0,3}b[0-9]", v) for v in values)
    assert any(len(v) > 2 for v in values)
    assert find(from_schema({"type": "string", "pattern": "b[0-9]"}), lambda v: True) == "b0"
    long = run(from_schema({"type": "string", "pattern": "^x", "minLength": 12, "maxLength": 12}), lambda v: None)
    assert all(len(v) == 12 and v.startswith("x") for v in long)
    with pytest.raises(CdspecError, match="unsatisfiable"):
        from_schema(
            {"type": "array", "uniqueItems": True, "minItems": 2, "items": {"type": "string", "pattern": "^b$"}}
        )


def test_recursive_schemas_are_bounded_by_max_depth() -> None:
    """A tree nests at most max_depth times inside itself, then its optional children are left out."""

    def depth(node: dict[str, Any]) -> int:
        return 1 + max((depth(child) for child in node.get("children", [])), default=0)

    for max_depth in (0, 1, 3):
        strategy = from_schema({"$ref": "#/components/schemas/Node"}, document=COMPONENTS, max_depth=max_depth)
        values = run(strategy, lambda v, m=max_depth: None if depth(v) <= m + 1 else pytest.fail(repr(v)))
        if max_depth == 0:
            assert all("children" not in v for v in values)
    deep = find(
        from_schema({"$ref": "#/components/schemas/Node"}, document=COMPONENTS, max_depth=2),
        lambda v: depth(v) == 3,
        settings=settings(database=None),
    )
    assert deep == {"value": 0, "children": [{"value": 0, "children": [{"value": 0}]}]}


def test_a_recursion_without_a_way_out_is_reported() -> None:
    """A schema that requires itself has no finite value: CdspecError names where."""
    document = {
        "components": {
            "schemas": {
                "Loop": {
                    "type": "object",
                    "required": ["next"],
                    "properties": {"next": {"$ref": "#/components/schemas/Loop"}},
                }
            }
        }
    }
    with pytest.raises(CdspecError, match=r"#/components/schemas/Loop.*max_depth"):
        from_schema({"$ref": "#/components/schemas/Loop"}, document=document, dialect="3.1")


UNSATISFIABLE = {
    "minimum above maximum": ({"type": "integer", "minimum": 5, "maximum": 1}, "#"),
    "not of everything": ({"not": {}}, "#/not"),
    "minLength above maxLength": (
        {"type": "object", "required": ["s"], "properties": {"s": {"type": "string", "minLength": 4, "maxLength": 2}}},
        "#/properties/s",
    ),
    "required but forbidden": (
        {"type": "object", "required": ["b"], "properties": {"a": {}}, "additionalProperties": False},
        "#",
    ),
    "types without overlap": ({"allOf": [{"type": "string"}, {"type": "integer"}]}, "#/allOf/1"),
    "no enum value valid": ({"type": "string", "enum": [1, 2]}, "#"),
    "no branch of oneOf": ({"oneOf": [{"type": "string", "minLength": 3, "maxLength": 1}, False]}, "#"),
    "too few distinct items": (
        {"type": "array", "uniqueItems": True, "minItems": 3, "items": {"type": "boolean"}},
        "#",
    ),
    "pattern longer than maxLength": ({"type": "string", "pattern": "^[0-9]{5}$", "maxLength": 3}, "#"),
    "false schema": (False, "#"),
    "no multiple in range": ({"type": "integer", "minimum": 1, "maximum": 4, "multipleOf": 5}, "#"),
    "uuid with maxLength": ({"type": "string", "format": "uuid", "maxLength": 10}, "#"),
    "minItems above maxItems": ({"type": "array", "minItems": 3, "maxItems": 2}, "#"),
}


@pytest.mark.parametrize("name", sorted(UNSATISFIABLE))
def test_unsatisfiable_schemas_raise_with_a_pointer(name: str) -> None:
    """A schema no value satisfies raises UnsatisfiableSchemaError at once, naming the offending subschema's pointer."""
    schema, pointer = UNSATISFIABLE[name]
    with pytest.raises(
        cdspec.UnsatisfiableSchemaError, match=rf"unsatisfiable schema at {re.escape(pointer)}: "
    ) as info:
        from_schema(schema)
    assert info.value.pointer == pointer
    assert info.value.reason


def test_pointers_inside_a_contract_are_document_pointers() -> None:
    """A contract's schema reports pointers into the contract document."""
    document = {
        "openapi": "3.0.3",
        "components": {
            "schemas": {
                "Bad": {
                    "type": "object",
                    "required": ["n"],
                    "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 2}},
                }
            }
        },
    }
    with pytest.raises(CdspecError, match=r"at #/components/schemas/Bad/properties/n:"):
        from_schema({"$ref": "#/components/schemas/Bad"}, document=document)
    with pytest.raises(CdspecError, match=r"at #/components/schemas/Bad/properties/n:"):
        from_schema(document["components"]["schemas"]["Bad"], document=document)


def test_shrinking_finds_the_simplest_values() -> None:
    """Strategies shrink: to the minimum, to minLength, to minItems, to the required keys."""
    quiet = settings(database=None)
    assert find(from_schema({"type": "integer", "minimum": 5}), lambda x: True, settings=quiet) == 5
    assert len(find(from_schema({"type": "string", "minLength": 3}), lambda x: True, settings=quiet)) == 3
    assert find(
        from_schema({"type": "array", "minItems": 2, "items": {"type": "integer"}}), lambda x: True, settings=quiet
    ) == [0, 0]
    shrunk = find(
        from_schema(
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "boolean"}, "b": {"type": "string"}}}
        ),
        lambda x: True,
        settings=quiet,
    )
    assert shrunk == {"a": False}
    assert find(from_schema({"type": "integer", "minimum": 5}), lambda x: x > 100, settings=quiet) == 101


def test_the_same_seed_draws_the_same_values() -> None:
    """Two runs with one seed draw the same values: strategies hold no hidden randomness."""
    schema = {"$ref": "#/components/schemas/Base"}

    def draw_all() -> list[Any]:
        seen: list[Any] = []

        @seed(20261125)
        @settings(database=None, deadline=None)
        @given(from_schema(schema, document=COMPONENTS, purpose="response"))
        def collect(value: Any) -> None:
            seen.append(value)

        collect()
        return seen

    first, second = draw_all(), draw_all()
    assert first == second
    assert len(first) > 1


def test_constructive_schemas_need_no_filters() -> None:
    """Schemas the compiler can build (allOf merges, a discriminated oneOf, formats, patterns) carry no filter."""
    schemas = [
        CORPUS["nested allOf with required"],
        CORPUS["oneOf with a discriminating const"],
        CORPUS["pattern ISBN alternation"],
        CORPUS["format email"],
        CORPUS["pattern with minLength"],
        CORPUS["integer multipleOf from allOf (lcm)"],
        CORPUS["uniqueItems of objects"],
        CORPUS["min and maxProperties"],
    ]
    for schema, options in schemas:
        strategy = from_schema(schema, document=options.get("document"))
        assert ".filter(" not in repr(strategy), repr(strategy)


def test_overlapping_one_of_branches_are_filtered_to_exactly_one() -> None:
    """Values of a oneOf whose branches overlap match exactly one branch (15 is never drawn)."""
    schema = {"oneOf": [{"type": "integer", "multipleOf": 3}, {"type": "integer", "multipleOf": 5}]}
    values = run(from_schema(schema), lambda v: None)
    assert all((v % 3 == 0) != (v % 5 == 0) for v in values)


def test_contradicting_ref_siblings_are_ignored_in_3_0() -> None:
    """In 3.0, siblings of $ref apply when they can; when they contradict the target, they are ignored (as 3.0 says)."""
    schema = {"$ref": "#/components/schemas/Short", "minLength": 20}
    validator = schema_validator(schema, document=COMPONENTS)
    values = run(from_schema(schema, document=COMPONENTS), lambda v: assert_valid([validator], v))
    assert all(len(v) <= 4 for v in values)
    with pytest.raises(CdspecError, match="minLength 20 is greater than maxLength 4"):
        from_schema(schema, document=COMPONENTS_31)


def test_bad_arguments_raise() -> None:
    """Unknown dialects or purposes, a negative max_depth and dangling references raise CdspecError."""
    with pytest.raises(CdspecError, match="dialect"):
        from_schema({}, dialect="2.0")  # type: ignore[arg-type]
    with pytest.raises(CdspecError, match="purpose"):
        from_schema({}, purpose="both")  # type: ignore[arg-type]
    with pytest.raises(CdspecError, match="max_depth"):
        from_schema({}, max_depth=-1)
    with pytest.raises(CdspecError, match="points to nothing"):
        from_schema({"$ref": "#/nowhere"})


def test_the_dialect_comes_from_the_document() -> None:
    """Without a dialect, a 3.0 document's schemas read nullable; a 3.1 one's do not."""
    schema = {"type": "integer", "nullable": True, "minimum": 0, "maximum": 0}
    assert set(run(from_schema(schema, document={"openapi": "3.0.3"}), lambda v: None)) == {0, None}
    assert set(run(from_schema(schema, document={"openapi": "3.1.0"}), lambda v: None)) == {0}


# --------------------------------------------------------------------------- regexes


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^\d{3}$", "000"),
        (r"^[^a-z]$", " "),
        ("^(?:ab|c)+$", "ab"),
        (r"^\x41\u0042\t$", "AB\t"),
        (r"^a{2,}?$", "aa"),
        (r"^[\d-]$", "-"),
    ],
)
def test_regex_subset_shrinks_to_its_simplest_match(pattern: str, expected: str) -> None:
    """The translator reads escapes, classes, groups and quantifiers as ECMA-262 does."""
    assert compile_pattern(pattern).tree is not None
    assert find(regex_strategy(pattern), lambda s: True, settings=settings(database=None)) == expected


def test_regex_lengths_are_respected_while_drawing() -> None:
    """With length bounds, repetitions are drawn within them (no filter rejects the common cases)."""
    values = run(regex_strategy("^[a-z]+-[0-9]*$", 10, 12), lambda v: None)
    assert all(10 <= len(v) <= 12 and re.fullmatch("[a-z]+-[0-9]*", v) for v in values)


def test_regex_outside_the_subset_falls_back_to_python() -> None:
    """Lookarounds and backreferences use Hypothesis' from_regex over ASCII, checked by Python's re."""
    assert compile_pattern("(?=a)a").tree is None
    assert compile_pattern(r"(a)\1").tree is None
    values = run(regex_strategy(r"^(?!x)[a-z]{2}$"), lambda v: None)
    assert all(re.fullmatch("[a-wyz][a-z]", v) for v in values)


def test_malformed_patterns_raise() -> None:
    """A pattern that is not a regex raises CdspecError (as unsatisfiable, with its pointer)."""
    with pytest.raises(CdspecError, match=r"at #/properties/p: .*nothing to repeat"):
        from_schema({"type": "object", "required": ["p"], "properties": {"p": {"type": "string", "pattern": "a**"}}})


# --------------------------------------------------------------------------- parameters

SERIALISED = [
    ({"name": "id", "in": "path"}, 5, "5"),
    ({"name": "id", "in": "path"}, [3, 4, 5], "3,4,5"),
    ({"name": "id", "in": "path"}, {"role": "admin", "n": 5}, "role,admin,n,5"),
    ({"name": "id", "in": "path", "explode": True}, {"role": "admin", "n": 5}, "role=admin,n=5"),
    ({"name": "id", "in": "path", "style": "label"}, [3, 4], ".3,4"),
    ({"name": "id", "in": "path", "style": "label", "explode": True}, [3, 4], ".3.4"),
    ({"name": "id", "in": "path", "style": "matrix"}, [3, 4], ";id=3,4"),
    ({"name": "id", "in": "path", "style": "matrix", "explode": True}, [3, 4], ";id=3;id=4"),
    ({"name": "id", "in": "path", "style": "matrix", "explode": True}, {"a": 1}, ";a=1"),
    ({"name": "q", "in": "query"}, True, "true"),
    ({"name": "q", "in": "query"}, None, ""),
    ({"name": "q", "in": "query"}, 1.5, "1.5"),
    ({"name": "q", "in": "query"}, ["a", "b"], ["a", "b"]),
    ({"name": "q", "in": "query", "explode": False}, ["a", "b"], "a,b"),
    ({"name": "q", "in": "query"}, {"a": 1, "b": "x"}, {"a": "1", "b": "x"}),
    ({"name": "q", "in": "query", "explode": False}, {"a": 1, "b": "x"}, "a,1,b,x"),
    ({"name": "q", "in": "query", "style": "spaceDelimited", "explode": False}, [1, 2], "1 2"),
    ({"name": "q", "in": "query", "style": "pipeDelimited", "explode": False}, [1, 2], "1|2"),
    (
        {"name": "f", "in": "query", "style": "deepObject", "explode": True},
        {"a": 1, "b": [2]},
        {"f[a]": "1", "f[b]": "[2]"},
    ),
    ({"name": "X-Ids", "in": "header"}, [1, 2], "1,2"),
    ({"name": "X-Obj", "in": "header", "explode": True}, {"a": 1}, "a=1"),
    ({"name": "c", "in": "cookie"}, ["a", "b"], "a,b"),
]


@pytest.mark.parametrize(("parameter", "value", "expected"), SERIALISED)
def test_parameters_serialise_per_style_and_explode(parameter: dict[str, Any], value: Any, expected: Any) -> None:
    """serialise_parameter follows OpenAPI's style table, with each location's defaults."""
    assert serialise_parameter(parameter, value) == expected
    model = Parameter(
        parameter["name"], parameter["in"], style=parameter.get("style"), explode=parameter.get("explode")
    )
    assert serialise_parameter(model, value) == expected


def test_parameter_values_can_be_sent_as_they_are() -> None:
    """Path values are non-empty segments, header values have no outer spaces, cookies only cookie octets."""
    path = {"name": "p", "in": "path", "required": True, "schema": {"type": "string"}}
    header = {"name": "h", "in": "header", "schema": {"type": "string", "pattern": "^ ?[a-z]{1,3} ?$"}}
    cookie = {"name": "c", "in": "cookie", "schema": {"type": "array", "items": {"type": "string"}}}
    query = {"name": "q", "in": "query", "required": True, "schema": {"type": "array", "items": {"type": "integer"}}}
    run(parameter_strategy(path), lambda v: None if v not in ("", ".", "..") and "/" not in v else pytest.fail(v))
    run(parameter_strategy(header), lambda v: None if v == v.strip() else pytest.fail(repr(v)))
    run(parameter_strategy(cookie), lambda v: None if not set(v) & set(' ";\\') else pytest.fail(repr(v)))
    run(parameter_strategy(query), lambda v: None if isinstance(v, list) and v else pytest.fail(repr(v)))


def test_import_cdspec_leaves_the_strategies_unloaded() -> None:
    """``import cdspec`` loads cdspec.cases (for its model) but not the strategies, Hypothesis or jsonschema."""
    import subprocess
    import sys

    probe = (
        "import sys, cdspec; prefixes = ('cdspec.cases._', 'hypothesis', 'jsonschema');"
        " print(sorted(m for m in sys.modules if m.startswith(prefixes)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert cdspec.cases.from_schema is from_schema  # and the lazy names resolve


# --------------------------------------------------------------------------- random schemas

_NAMES = st.sampled_from(["a", "b", "c", "id", "x-y"])
_PATTERNS = [r"^[a-c]{1,3}$", r"^\d+$", "b", r"^(ab|c)*$", r"^[^,]{2}$"]
_SCALAR_SCHEMAS = st.one_of(
    st.sampled_from([{"type": t} for t in ("null", "boolean", "integer", "number", "string")]),
    st.builds(
        lambda low, span, multiple: {"type": "integer", "minimum": low, "maximum": low + span, **multiple},
        st.integers(-5, 5),
        st.integers(0, 10),
        st.sampled_from([{}, {"multipleOf": 2}, {"multipleOf": 3}]),
    ),
    st.builds(
        lambda low, span, exclusive: {"type": "number", "minimum": low, "maximum": low + span, **exclusive},
        st.integers(-5, 5),
        st.integers(0, 3),
        st.sampled_from([{}, {"multipleOf": 0.5}, {"multipleOf": 0.25}]),
    ),
    st.builds(
        lambda low, span: {"type": "string", "minLength": low, "maxLength": low + span},
        st.integers(0, 4),
        st.integers(0, 4),
    ),
    st.builds(lambda p: {"type": "string", "pattern": p}, st.sampled_from(_PATTERNS)),
    st.builds(
        lambda f: {"type": "string", "format": f}, st.sampled_from(["email", "uuid", "date", "date-time", "ipv4"])
    ),
    st.builds(
        lambda values: {"enum": values},
        st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["a", "b"])), min_size=1, max_size=3),
    ),
    st.builds(lambda value: {"const": value}, st.one_of(st.none(), st.booleans(), st.integers(0, 2))),
)


def _composite(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    objects = st.builds(
        lambda props, required, additional: {
            "type": "object",
            "properties": props,
            "required": sorted(set(required) & set(props)),
            **additional,
        },
        st.dictionaries(_NAMES, children, max_size=3),
        st.lists(_NAMES, max_size=3),
        st.one_of(
            st.just({}),
            st.builds(lambda b: {"additionalProperties": b}, st.booleans()),
            st.builds(lambda c: {"additionalProperties": c}, children),
        ),
    )
    arrays = st.builds(
        lambda items, low, span, unique: {
            "type": "array",
            "items": items,
            "minItems": low,
            "maxItems": low + span,
            "uniqueItems": unique,
        },
        children,
        st.integers(0, 2),
        st.integers(0, 3),
        st.booleans(),
    )
    combinators = st.builds(
        lambda keyword, members: {keyword: members},
        st.sampled_from(["allOf", "anyOf", "oneOf"]),
        st.lists(children, min_size=1, max_size=3),
    )
    negations = st.builds(lambda inner, outer: {**outer, "not": inner}, children, children)
    return st.one_of(objects, arrays, combinators, negations)


RANDOM_SCHEMAS = st.recursive(_SCALAR_SCHEMAS, _composite, max_leaves=6)


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(RANDOM_SCHEMAS, st.sampled_from(["3.0", "3.1"]), st.data())
def test_random_schemas_draw_valid_values_or_say_why_not(schema: Any, dialect: str, data: st.DataObject) -> None:
    """For random compositions of the supported keywords, every value drawn is valid, or compiling says why not."""
    if "null" in repr(schema) or "const" in repr(schema):
        dialect = "3.1"  # OpenAPI 3.0 has no null type and no const (its validators ignore const)
    try:
        strategy = from_schema(schema, dialect=dialect)  # type: ignore[arg-type]
    except CdspecError as error:
        message = str(error)
    else:
        message = ""
    if message:
        assert message.startswith("unsatisfiable schema at #"), message
        return
    validators = [
        schema_validator(schema, dialect=dialect),  # type: ignore[arg-type]
        independent_validator(schema, dialect, "request"),
    ]
    for _ in range(3):
        assert_valid(validators, data.draw(strategy))
