"""Constraint kinds: the registry, the built-in kinds' schemas and sentences."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from cdspec import BUILTIN_KINDS, DuplicateKindError, Kind, KindRegistry, UnknownKindError
from cdspec.kinds import fill_template

# One valid params example per built-in kind, and the words its sentence must contain.
EXAMPLES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "folder-layout": (
        {"required": ["app/__init__.py"], "forbidden": ["app/db.sqlite"], "layer_dirs": {"routes": ["routes", "api"]}},
        ["`app/__init__.py`", "`app/db.sqlite`", "routes: `routes`"],
    ),
    "import-layering": (
        {"layers": [{"name": "routes", "modules": ["app.routes"]}, {"name": "services", "modules": ["app.services"]}]},
        ["routes -> services"],
    ),
    "forbidden-imports": ({"modules": ["sqlite3"], "in": ["app/routes"]}, ["`sqlite3`", "in `app/routes`"]),
    "orm": ({"orm": "sqlalchemy"}, ["sqlalchemy"]),
    "single-data-path": ({"modules": ["app/repositories"]}, ["Only `app/repositories`"]),
    "no-raw-sql": ({"allowed_in": ["app/migrations"]}, ["outside `app/migrations`"]),
    "database-engine": ({"engine": "postgresql", "url_env": "DATABASE_URL"}, ["PostgreSQL", "`DATABASE_URL`"]),
    "data-model": (
        {
            "entities": [
                {
                    "name": "Book",
                    "fields": [{"name": "isbn", "type": "string", "unique": True, "required": True}],
                    "relations": [{"name": "loans", "target": "Loan", "kind": "one-to-many"}],
                }
            ]
        },
        ["Book: isbn (string, required, unique)", "one-to-many Loan as loans"],
    ),
    "validation-pattern": ({"library": "marshmallow", "modules": ["app/schemas"]}, ["marshmallow", "`app/schemas`"]),
    "migrations-preserved": ({"directory": "migrations", "tool": "alembic"}, ["`migrations`", "alembic"]),
    "tests-location": ({"directory": "tests", "pattern": "test_*.py"}, ["`tests`", "`test_*.py`"]),
    "routes-cover-contract": ({"ignore": ["healthz"]}, ["every operation", "except `healthz`"]),
}


def test_every_builtin_kind_has_an_example() -> None:
    """The examples here cover exactly the built-in kinds."""
    assert set(EXAMPLES) == set(BUILTIN_KINDS.names)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_builtin_params_schemas_are_valid_and_accept_the_example(name: str) -> None:
    """Each params schema is valid Draft 2020-12, accepts its example and says its sentence."""
    kind = BUILTIN_KINDS[name]
    Draft202012Validator.check_schema(kind.params_schema)
    params, words = EXAMPLES[name]
    assert kind.problems(params) == []
    sentence = kind.describe(params)
    for word in words:
        assert word in sentence
    assert kind.description


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_builtin_params_schemas_refuse_unknown_keys(name: str) -> None:
    """A misspelt parameter is caught, not ignored."""
    params, _ = EXAMPLES[name]
    problems = BUILTIN_KINDS[name].problems({**params, "modulez": ["x"]}, pointer="/params")
    assert [p.pointer for p in problems] == ["/params/modulez"]
    assert "unexpected property 'modulez'" in problems[0].message


def test_unknown_kind_suggests_and_lists() -> None:
    """Looking up an unknown kind says the closest name and all the known ones."""
    with pytest.raises(UnknownKindError) as info:
        BUILTIN_KINDS["databse-engine"]
    assert "did you mean 'database-engine'?" in str(info.value)
    assert info.value.known == BUILTIN_KINDS.names
    assert isinstance(info.value, LookupError)


def test_registries_are_immutable_and_extendable() -> None:
    """with_kinds makes a new registry; a repeated name needs replace=True."""
    mine = Kind("no-print", template="Never print.")
    extended = BUILTIN_KINDS.with_kinds(mine)
    assert "no-print" in extended
    assert "no-print" not in BUILTIN_KINDS
    assert len(extended) == len(BUILTIN_KINDS) + 1
    with pytest.raises(DuplicateKindError):
        extended.with_kinds(Kind("no-print"))
    replaced = extended.with_kinds(Kind("no-print", template="Do not print."), replace=True)
    assert replaced["no-print"].describe({}) == "Do not print."
    assert KindRegistry.of([mine]).names == ("no-print",)


def test_sentence_prefers_the_constraint_text() -> None:
    """A constraint's own text wins over its kind's sentence."""
    assert BUILTIN_KINDS.sentence("orm", {"orm": "peewee"}) == "Use the `peewee` ORM for all persistence."
    assert BUILTIN_KINDS.sentence("orm", {"orm": "peewee"}, "Use Peewee.") == "Use Peewee."
    default = BUILTIN_KINDS.sentence("orm", {"orm": "framework-default"})
    assert default == "Use the framework's standard ORM for all persistence."


@pytest.mark.parametrize(
    "template",
    ["{x.__class__}", "{x[0]}", "{x!r}", "{x:>10}", "{0}", "{}"],
)
def test_templates_cannot_reach_into_values(template: str) -> None:
    """Only plain {name} fields are allowed: no attribute access, indexing or formatting."""
    with pytest.raises(ValueError, match="not allowed"):
        Kind("k", template=template)
    with pytest.raises(ValueError, match="not allowed"):
        fill_template(template, {"x": "v", "0": "v"})


def test_fill_template_formats_values_and_names_missing_fields() -> None:
    """Lists join with commas, booleans read yes/no, braces escape, missing fields are named."""
    assert fill_template("{a}; {b}; {{c}}", {"a": ["x", "y"], "b": True}) == "x, y; yes; {c}"
    with pytest.raises(KeyError, match=r"\{missing\} has no parameter"):
        fill_template("{missing}", {"a": 1})


@pytest.mark.parametrize("name", ["Bad", "a b", "-x", "x-", ""])
def test_kind_names_are_checked(name: str) -> None:
    """Kind names are lowercase words joined by '-' or '.'."""
    with pytest.raises(ValueError, match="kind name"):
        Kind(name)
