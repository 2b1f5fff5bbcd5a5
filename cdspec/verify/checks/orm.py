"""``orm``: the project persists through the named ORM, and no other.

Evidence is the import graph: the ORM is in use when some project file
imports one of its packages (``sqlalchemy``/``flask_sqlalchemy``/
``sqlmodel``, ``django.db``, ``peewee``, ``tortoise``, ``pony.orm``,
``sequelize``, ``typeorm``, ``@prisma/client``, ``mongoose``,
``@mikro-orm/core``, ``drizzle-orm``, ``objection``, ``knex``, ``mongoengine``). It
fails when none does, and for each import of another known ORM. An ORM name
it does not know is UNCHECKED. ``style: "2.0"`` with SQLAlchemy also fails
for legacy declarations (``declarative_base()``, a model attribute assigned
a bare ``Column(...)``) and the legacy ``session.query(...)`` API. TypeORM or Drizzle imported while no
model is declared with it and SQL strings are in the code fails (the ORM
only runs hand-written SQL). Knex under Objection is not a second ORM.

``orm: framework-default`` means the standard ORM of the task's target
framework (:data:`FRAMEWORK_ORMS`, as the study's ``orm`` layer words it:
SQLAlchemy for Python frameworks, the Django ORM for Django, Sequelize for
JavaScript/TypeScript frameworks); a framework outside the table is
UNCHECKED.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._jsmodel import js_sql_strings
from cdspec.verify._python import dotted, import_bindings, terminal
from cdspec.verify.checks._common import (
    anchor,
    entities,
    evidence,
    import_evidence,
    is_test_file,
    js_sources,
    module_in_any,
    source_of,
    sources,
)
from cdspec.verify.findings import Finding
from cdspec.verify.project import Import, Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK", "FRAMEWORK_DEFAULT", "FRAMEWORK_ORMS", "ORM_PACKAGES"]

ORM_PACKAGES: dict[str, tuple[str, ...]] = {
    "sqlalchemy": ("sqlalchemy", "flask_sqlalchemy", "sqlmodel"),
    "django": ("django.db",),
    "peewee": ("peewee", "playhouse"),
    "tortoise": ("tortoise",),
    "pony": ("pony.orm",),
    "mongoengine": ("mongoengine",),
    "sequelize": ("sequelize", "sequelize-typescript"),
    "typeorm": ("typeorm", "@nestjs/typeorm"),
    "prisma": ("@prisma/client", "@prisma", "prisma"),
    "mongoose": ("mongoose",),
    "mikro-orm": ("@mikro-orm/core",),
    "drizzle": ("drizzle-orm",),
    "objection": ("objection",),
    "knex": ("knex",),
}
"""ORM name -> the packages whose import shows it is used."""

FRAMEWORK_DEFAULT = "framework-default"
"""The ``orm`` value that stands for the target framework's standard ORM."""

FRAMEWORK_ORMS: dict[str, str] = {
    "flask": "sqlalchemy",
    "fastapi": "sqlalchemy",
    "aiohttp": "sqlalchemy",
    "django": "django",
    "express": "sequelize",
    "fastify": "sequelize",
    "koa": "sequelize",
    # Hono has no ORM of its own; the study's orm layer asks for Sequelize with every JS/TS framework.
    "hono": "sequelize",
}
"""Target framework (lower case) -> its standard ORM, for ``orm: framework-default``."""

_ALIASES = {"sqlmodel": "sqlalchemy", "flask-sqlalchemy": "sqlalchemy", "django-orm": "django", "pony.orm": "pony",
            "mikroorm": "mikro-orm", "drizzle-orm": "drizzle", "knex.js": "knex", "knexjs": "knex"}  # fmt: skip
#: ORMs built on another: the one underneath is part of the wanted ORM, not a second ORM.
_BUILT_ON = {"objection": frozenset({"knex"})}
#: JS ORMs whose models the checker reads: imported with no model declared, they only run hand-written SQL.
_MODEL_ORMS = frozenset({"typeorm", "drizzle"})


_MIGRATION_DIRS = frozenset({"migrations", "alembic", "versions"})
#: What building models or queries with SQLAlchemy looks like (beyond `text()` and an engine).
_SQLALCHEMY_ORM_NAMES = frozenset(
    {"select", "insert", "update", "delete", "Table", "Column", "mapped_column", "Mapped", "relationship",
     "DeclarativeBase", "declarative_base", "registry", "Session", "sessionmaker", "scoped_session", "AsyncSession",
     "async_sessionmaker", "SQLAlchemy", "SQLModel", "Field", "and_", "or_", "func", "join"}
)  # fmt: skip


def _sqlalchemy_orm_use(project: Project, uses: list[Import]) -> bool:
    """Whether the files importing SQLAlchemy build models or queries with it, not only ``text()`` SQL."""
    if any(e.framework.startswith("sqlalchemy") for e in entities(project)):
        return True
    for path in sorted({u.path for u in uses}):
        source = source_of(project, path)
        if source is None:
            return True  # JS or unreadable: not this rule's business
        bound = {local: target for local, target in import_bindings(source).items() if target.startswith("sqlalchemy")}
        imported = {target.rsplit(".", 1)[-1] for target in bound.values()}
        used = {node.attr for node in source.nodes(ast.Attribute) if dotted(node.value) in bound}
        if (imported | used) & _SQLALCHEMY_ORM_NAMES:
            return True
    return False


def _js_sql(project: Project) -> list[tuple[str, int]]:
    """(file, line) of SQL string literals in the non-test, non-migration JS/TS sources."""
    return [
        (js.path, hit.line)
        for js in js_sources(project)
        if not is_test_file(js.path) and not any(part in _MIGRATION_DIRS for part in js.path.split("/")[:-1])
        for hit in js_sql_strings(js)
    ]


def _orm_of(item: Import) -> str | None:
    for name, packages in ORM_PACKAGES.items():
        if module_in_any(item.module, packages):
            return name
    return None


def _style_problems(project: Project, context: Context) -> list[Finding]:
    """SQLAlchemy 2.0 style: no declarative_base(), no bare Column() model attributes, no session.query()."""
    findings = []
    for model in entities(project):
        if model.framework != "sqlalchemy":
            continue
        for column in model.columns:
            if column.text and "Column(" in column.text and "mapped_column(" not in column.text:
                findings.append(
                    context.failed(
                        f"model {model.name} declares `{column.name}` with a legacy `Column()` (not 2.0 style)",
                        evidence(project, model.path, column.line),
                        "Declare it as `name: Mapped[T] = mapped_column(...)`.",
                    )
                )
    for source in sources(project):
        if is_test_file(source.path):
            continue
        for node in source.nodes(ast.Call):
            name = terminal(node.func)
            if name == "declarative_base":
                findings.append(
                    context.failed(
                        "`declarative_base()` is the legacy declarative API (not 2.0 style)",
                        evidence(project, source.path, node.lineno),
                        "Subclass `sqlalchemy.orm.DeclarativeBase` instead.",
                    )
                )
            elif name == "query" and isinstance(node.func, ast.Attribute):
                owner = (dotted(node.func.value) or "").lower()
                if "session" in owner:
                    findings.append(
                        context.failed(
                            "`session.query(...)` is the legacy Query API (not 2.0 style)",
                            evidence(project, source.path, node.lineno),
                            "Use `session.execute(select(...))` / `session.scalars(select(...))`.",
                        )
                    )
    return findings


def check_orm(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Fail when the ORM is not imported anywhere, or another ORM is."""
    wanted = str(params["orm"]).strip().lower()
    because = ""
    if wanted == FRAMEWORK_DEFAULT:
        framework = context.task.target.framework
        default = FRAMEWORK_ORMS.get(framework.strip().lower())
        if default is None:
            return [
                context.unchecked(
                    f"no default ORM known for the target framework {framework!r} "
                    f"(known: {', '.join(FRAMEWORK_ORMS)}); name the ORM in the constraint's `orm` param"
                )
            ]
        wanted, because = default, f" (the default ORM of {framework})"
    wanted = _ALIASES.get(wanted, wanted)
    if wanted not in ORM_PACKAGES:
        return [context.unchecked(f"no evidence rules for ORM {params['orm']!r} (known: {', '.join(ORM_PACKAGES)})")]
    files = [p for p in (*project.python_files, *project.js_files) if not is_test_file(p)]
    if not files:
        return [context.unchecked("no Python or JS/TS sources to check")]
    uses: list[Import] = []
    others: list[tuple[str, Import]] = []
    for path in files:
        if any(part in _MIGRATION_DIRS for part in path.split("/")[:-1]):
            continue  # a migration's own operations are not the application's persistence
        for item in project.imports(path):
            orm = _orm_of(item)
            if orm == wanted:
                uses.append(item)
            elif orm is not None and orm not in _BUILT_ON.get(wanted, ()):
                others.append((orm, item))
    findings: list[Finding] = []
    if uses and wanted == "sqlalchemy" and not _sqlalchemy_orm_use(project, uses):
        findings.append(
            context.failed(
                "sqlalchemy is imported only to run hand-written SQL (`text()`, an engine or a connection): "
                "no model, table or query is built with it",
                import_evidence(uses[0]),
                "Declare the tables as models and build the queries with select()/insert()/update()/delete().",
            )
        )
    if uses and wanted in _MODEL_ORMS and not any(e.framework == wanted for e in entities(project)):
        sql = _js_sql(project)
        if sql:
            findings.append(
                context.failed(
                    f"{wanted} is imported, but no model is declared with it and the data is read with "
                    f"hand-written SQL",
                    evidence(project, sql[0][0], sql[0][1]),
                    f"Declare the tables as {wanted} models and query them through {wanted}.",
                )
            )
    if not uses:
        findings.append(
            context.failed(
                f"no source imports {wanted}{because} ({', '.join(ORM_PACKAGES[wanted])})",
                anchor(project, f"(no import of {wanted})"),
                hint=f"Declare the models and run the queries with {wanted}.",
            )
        )
    seen: set[tuple[str, int]] = set()
    for orm, item in others:
        if (item.path, item.line) in seen:
            continue
        seen.add((item.path, item.line))
        findings.append(
            context.failed(
                f"`{item.path}` uses another ORM, {orm} (`{item.module}`)",
                import_evidence(item),
                f"Persist through {wanted}{because} only.",
            )
        )
    style = params.get("style")
    if wanted == "sqlalchemy" and style in {"2.0", "2", "declarative"}:
        if style != "declarative":
            findings.extend(_style_problems(project, context))
    elif style is not None and not findings:
        return [context.unchecked(f"{wanted} is used, but style {style!r} cannot be checked")]
    if findings:
        return findings
    where = sorted({u.path for u in uses})
    return [context.passed(f"{wanted}{because} is used ({len(where)} files import it), no other ORM")]


CHECK = Check("orm", check_orm, "The named ORM is used, no other.")
