"""``data-model``: the declared entities, fields, types and relations exist in the models.

Models are read from SQLAlchemy declarative classes (2.0 ``Mapped`` /
``mapped_column`` and classic ``Column``), Django models, Sequelize
``define``/``init``, Prisma, TypeORM entities, Drizzle tables and the tables
Knex migrations build (see :mod:`cdspec.verify._python`,
:mod:`cdspec.verify._jsmodel`, :mod:`cdspec.verify._jsorm`); Knex declares
no relations, so a relation of a Knex entity is UNCHECKED. An entity is found by class (model) name,
or by its ``table``. For each field: it exists; its portable type matches
(``string`` also accepts ``text`` and the reverse; ``number`` and
``decimal`` accept each other; an ``enum(a|b)`` needs an enum whose values,
when they can be read, are exactly ``a`` and ``b``; a type the reader
cannot tell passes); ``required: true`` needs NOT NULL and ``required:
false`` a nullable column; ``unique`` and ``primary_key`` must be declared.
Each relation must exist, point to the target entity and be of the given
kind (inferred from ``relationship()`` with ``uselist``, collection
annotations, ``secondary``, the other side and the foreign keys). Extra
entities, fields and relations are allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._python import Column, Entity, relation_kinds
from cdspec.verify.checks._common import entities, evidence, module_in_any
from cdspec.verify.checks.orm import ORM_PACKAGES
from cdspec.verify.findings import Evidence, Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]

_COMPATIBLE = {
    "string": {"string", "text"},
    "text": {"text", "string"},
    "number": {"number", "decimal"},
    "decimal": {"decimal", "number"},
}
_ENUM = re.compile(r"^enum\((.*)\)$")


def _type_problem(spec: str, column: Column) -> str | None:
    if column.type is None:
        return None
    enum = _ENUM.match(spec)
    if enum:
        if column.type != "enum":
            return f"is {column.type}, expected {spec}"
        wanted = set(enum.group(1).split("|"))
        if column.enum_values is not None and set(column.enum_values) != wanted:
            return f"is enum({'|'.join(column.enum_values)}), expected {spec}"
        return None
    if column.type not in _COMPATIBLE.get(spec, {spec}):
        return f"is {column.type}, expected {spec}"
    return None


def _find(models: list[Entity], name: str, table: str | None) -> Entity | None:
    for model in models:
        if model.name == name:
            return model
    for model in models:
        if table is not None and model.table == table:
            return model
    lowered = name.lower()
    found = next((m for m in models if m.name.lower() == lowered), None)
    if found is None:  # a Core table is named by its table: `Note` is the table `note` or `notes`
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        tables = {snake, snake + "s", snake + "es"}
        found = next((m for m in models if m.framework in _TABLE_NAMED and m.table in tables), None)
    return found


#: ORMs whose models `data-model` reads.
_READ = frozenset({"sqlalchemy", "django", "tortoise", "sequelize", "prisma", "typeorm", "drizzle", "knex"})
#: Readers whose entities are tables (SQLAlchemy Core, Drizzle variables, Knex tables): `Note` finds `notes`.
_TABLE_NAMED = frozenset({"sqlalchemy-core", "drizzle", "knex"})


def _no_models(project: Project, context: Context) -> Finding:
    """Unchecked: no model the readers understand, naming the ORMs the project uses whose models are not read."""
    unread = sorted(
        {
            orm
            for path in (*project.python_files, *project.js_files)
            for item in project.imports(path)
            for orm, packages in ORM_PACKAGES.items()
            if orm not in _READ and module_in_any(item.module, packages)
        }
    )
    why = f"; the project uses {', '.join(unread)}, whose models are not read" if unread else ""
    return context.unchecked(
        f"no SQLAlchemy (ORM or Core), Django, Tortoise, Sequelize, Prisma, TypeORM or Drizzle models "
        f"and no Knex migration tables found{why}",
        hint="Declare the models with one of the ORMs the checker reads, or check this constraint by hand.",
    )


def check_data_model(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:  # noqa: PLR0915  # one loop over the declared entities
    """Compare the declared entities with the project's models."""
    if not project.python_files and not project.js_files:
        return [context.unchecked("no Python or JS/TS sources to read models from")]
    models = entities(project)
    if not models:
        return [_no_models(project, context)]
    kinds = relation_kinds(models)
    findings: list[Finding] = []
    checked = 0
    for spec in params["entities"]:
        name = spec["name"]
        table = spec.get("table")
        model = _find(models, name, table)
        if model is None:
            findings.append(
                context.failed(
                    f"entity {name} is not declared (no model class {name}"
                    + (f" or table {table!r})" if table else ")"),
                    Evidence(models[0].path, None, f"(models: {', '.join(m.name for m in models)})"),
                    f"Declare a model {name}" + (f" with table {table!r}." if table else "."),
                )
            )
            continue
        here = evidence(project, model.path, model.line)
        if table is not None and model.table is not None and model.table != table:
            findings.append(
                context.failed(
                    f"entity {name} uses table {model.table!r}, expected {table!r}",
                    here,
                    f"Set the table name of {model.name} to {table!r}.",
                )
            )
        for field in spec["fields"]:
            checked += 1
            column = model.column(field["name"])
            if column is None:
                findings.append(
                    context.failed(
                        f"{name}.{field['name']} is missing",
                        here,
                        f"Add a column {field['name']} ({field['type']}) to {model.name}.",
                    )
                )
                continue
            at = evidence(project, model.path, column.line)
            problems = []
            type_problem = _type_problem(field["type"], column)
            if type_problem:
                problems.append(type_problem)
            if field.get("required") is True and column.nullable is True:
                problems.append("is nullable, expected required (NOT NULL)")
            if field.get("required") is False and column.nullable is False and not column.primary_key:
                problems.append("is NOT NULL, expected optional (nullable)")
            if field.get("unique") is True and not (column.unique or column.primary_key):
                problems.append("is not unique")
            if field.get("primary_key") is True and not column.primary_key:
                problems.append("is not the primary key")
            for problem in problems:
                findings.append(
                    context.failed(
                        f"{name}.{field['name']} {problem}",
                        at,
                        f"Declare {model.name}.{field['name']} as {field['type']}"
                        + (", required" if field.get("required") else "")
                        + (", unique" if field.get("unique") else "")
                        + (", primary key" if field.get("primary_key") else "")
                        + ".",
                    )
                )
        if model.framework == "knex" and spec.get("relations"):
            names = ", ".join(r["name"] for r in spec["relations"])
            fks = ", ".join(f"{c.name} -> {c.foreign_key}" for c in model.columns if c.foreign_key) or "none"
            findings.append(
                context.unchecked(
                    f"relations of {name} ({names}) cannot be checked: Knex declares no relations, only foreign "
                    f"keys (here: {fks})",
                    hint="Check the relations by hand, or declare them with an ORM the checker reads.",
                )
            )
            continue
        for relation_spec in spec.get("relations", ()):
            checked += 1
            relation = model.relation(relation_spec["name"])
            rel_name = f"{name}.{relation_spec['name']}"
            if relation is None:
                findings.append(
                    context.failed(
                        f"relation {rel_name} ({relation_spec['kind']} {relation_spec['target']}) is missing",
                        here,
                        f"Add a relationship {relation_spec['name']} to {relation_spec['target']} on {model.name}.",
                    )
                )
                continue
            at = evidence(project, model.path, relation.line)
            target = _find(models, relation_spec["target"], None)
            if relation.target not in {relation_spec["target"], target.name if target else None}:
                findings.append(
                    context.failed(
                        f"relation {rel_name} points to {relation.target}, expected {relation_spec['target']}",
                        at,
                        f"Point {rel_name} to {relation_spec['target']}.",
                    )
                )
                continue
            kind = kinds.get((model.name, relation.name))
            if kind is not None and kind != relation_spec["kind"]:
                findings.append(
                    context.failed(
                        f"relation {rel_name} is {kind}, expected {relation_spec['kind']}",
                        at,
                        f"Make {rel_name} {relation_spec['kind']} (collection side, `uselist`, foreign key).",
                    )
                )
    if findings:
        return findings
    return [context.passed(f"{len(params['entities'])} entities, {checked} fields and relations as declared")]


CHECK = Check("data-model", check_data_model, "The declared entities, fields, types and relations exist.")
