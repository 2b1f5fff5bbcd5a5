"""``single-data-path``: only the named modules talk to the database.

Talking to the database, by default, is any of:

- importing a database driver (``sqlite3``, ``psycopg``, ``psycopg2``,
  ``asyncpg``, ``pymysql``, ``MySQLdb``, ``pymongo``, ... and for JS ``pg``,
  ``mysql2``, ``sqlite3``, ``better-sqlite3``, ``mongodb``...);
- importing SQLAlchemy's engine/session/query API (``create_engine``,
  ``Session``, ``sessionmaker``, ``scoped_session``, ``select``,
  ``insert``, ``update``, ``delete``, ``text``, ``sqlalchemy.engine``,
  ``sqlalchemy.ext.asyncio``...), or using it as ``sa.select(...)``;
  column types, ``mapped_column`` and ``relationship`` are not data access;
- Flask-SQLAlchemy's ``db.session``, ``Model.query`` and Django's
  ``Model.objects`` on a model of the project;
- importing a session or engine from the data-path modules themselves
  (a name containing ``session``, ``engine``, ``connection``, ``cursor``,
  or ``get_db``);
- in JS, calling a Sequelize model's query methods (``Book.findAll()``,
  ``Loan.create()``...) or ``sequelize.query()``/``new Sequelize()``;
  a Prisma client's model calls;
- TypeORM: importing its data-access API (``Repository``,
  ``getRepository``, ``DataSource``, ``EntityManager``...; NestJS's
  ``InjectRepository``/``InjectDataSource``/``InjectEntityManager``);
- Drizzle and Knex: importing a driver binding (``drizzle-orm/node-postgres``,
  ``knex``...), or using a database handle: a name assigned ``drizzle(...)``,
  ``knex(...)`` or ``new DataSource(...)`` here (``exports.db = ...`` too), or imported from the
  project file that creates it (``db.select()...``, ``db('books')...``).

``db_modules``, when given, replaces the import rules: any import of those
modules (dotted boundary) counts. Test files (see
:func:`~cdspec.verify.checks._common.is_test_file`) are not checked.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._js import Token
from cdspec.verify._jsmodel import js_bindings
from cdspec.verify._python import Source, dotted, import_bindings
from cdspec.verify.checks._common import (
    entities,
    evidence,
    in_any,
    is_test_file,
    js_sources,
    module_in,
    module_in_any,
    source_of,
)
from cdspec.verify.findings import Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK", "DRIVERS"]

DRIVERS = (
    "sqlite3", "aiosqlite", "pysqlite2", "psycopg", "psycopg2", "psycopg_pool", "asyncpg", "pg8000", "pymysql",
    "MySQLdb", "mysql.connector", "aiomysql", "asyncmy", "mariadb", "cx_Oracle", "oracledb", "pyodbc", "pymssql",
    "pymongo", "motor",
    # JS/TS
    "pg", "pg-promise", "postgres", "mysql", "mysql2", "better-sqlite3", "mongodb", "tedious", "mssql", "knex",
)  # fmt: skip
"""Driver packages: importing one is talking to the database."""

_SQLALCHEMY_ACCESS = frozenset(
    {"create_engine", "engine_from_config", "create_async_engine", "Session", "sessionmaker", "scoped_session",
     "AsyncSession", "async_sessionmaker", "async_scoped_session", "Engine", "Connection", "select", "insert",
     "update", "delete", "text", "inspect"}
)  # fmt: skip
_SQLALCHEMY_ACCESS_MODULES = ("sqlalchemy.engine", "sqlalchemy.ext.asyncio", "sqlalchemy.pool")
_SESSIONISH = re.compile(r"session|engine|connection|cursor|get_db", re.IGNORECASE)
_SEQUELIZE_METHODS = frozenset(
    {"findAll", "findOne", "findByPk", "findAndCountAll", "findOrCreate", "create", "bulkCreate", "update",
     "destroy", "count", "upsert", "increment", "decrement", "max", "min", "sum", "truncate"}
)  # fmt: skip


def _python_access(project: Project, path: str, allowed: list[str], model_names: set[str]) -> list[tuple[int, str]]:
    """(line, what) for every way ``path`` talks to the database."""
    hits: list[tuple[int, str]] = []
    for item in project.imports(path):
        if item.type_checking:
            continue
        if module_in_any(item.module, DRIVERS):
            hits.append((item.line, f"imports the driver `{item.module}`"))
        elif module_in(item.module, "sqlalchemy"):
            if module_in_any(item.module, _SQLALCHEMY_ACCESS_MODULES):
                hits.append((item.line, f"imports `{item.module}`"))
            elif item.kind == "from":
                names = sorted(set(item.names) & _SQLALCHEMY_ACCESS)
                if names:
                    hits.append((item.line, f"imports {', '.join(names)} from `{item.module}`"))
        elif item.target is not None and in_any(item.target, allowed) and item.kind == "from":
            names = [n for n in item.names if _SESSIONISH.search(n)]
            if names:
                hits.append((item.line, f"imports {', '.join(names)} from the data path (`{item.module}`)"))
    source = source_of(project, path)
    if source is None:
        return hits
    sa_names = _sqlalchemy_aliases(source)
    for node in source.nodes(ast.Attribute):
        owner = dotted(node.value)
        if owner is None:
            continue
        if owner in sa_names and node.attr in _SQLALCHEMY_ACCESS:
            hits.append((node.lineno, f"uses `{owner}.{node.attr}`"))
        elif node.attr == "session" and owner.split(".")[-1] == "db":
            hits.append((node.lineno, f"uses `{owner}.session`"))
        elif node.attr in {"query", "objects"} and owner in model_names:
            hits.append((node.lineno, f"queries `{owner}.{node.attr}`"))
        elif node.attr in _ACTIVE_RECORD_METHODS and owner in _active_record_models(project):
            hits.append((node.lineno, f"queries `{owner}.{node.attr}()`"))
    return hits


#: Query class methods of active-record ORMs (Tortoise, peewee): `User.create(...)`, `User.get_or_none(...)`.
_ACTIVE_RECORD_METHODS = frozenset(
    {"create", "get", "get_or_none", "get_or_create", "update_or_create", "filter", "all", "exclude", "first",
     "bulk_create", "bulk_update", "select", "insert", "insert_many", "update", "delete", "get_by_id",
     "delete_by_id", "raw", "annotate", "exists", "count"}
)  # fmt: skip
_ACTIVE_RECORD_BASES = ("tortoise", "peewee")


def _active_record_models(project: Project) -> frozenset[str]:
    """Classes deriving (through the project's own classes) from Tortoise's or peewee's ``Model``."""

    def compute() -> frozenset[str]:
        classes = []
        for path in project.python_files:
            source = source_of(project, path)
            if source is None:
                continue
            bound = import_bindings(source)
            for node in source.nodes(ast.ClassDef):
                bases = [dotted(b) or "" for b in node.bases]
                direct = any(
                    module_in_any(bound.get(b.split(".")[0], ""), _ACTIVE_RECORD_BASES) and b.endswith("Model")
                    for b in bases
                )
                classes.append((node.name, direct, [b.split(".")[-1] for b in bases]))
        found = {name for name, direct, _ in classes if direct}
        grew = True
        while grew:
            more = {name for name, _, bases in classes if name not in found and found.intersection(bases)}
            found |= more
            grew = bool(more)
        return frozenset(found)

    return project.memo("checks:active-record-models", compute)


def _sqlalchemy_aliases(source: Source) -> set[str]:
    names: set[str] = set()
    for node in source.nodes(ast.Import):
        for alias in node.names:
            if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy."):
                names.add(alias.asname or alias.name)
    return names


_PRISMA_METHODS = frozenset(
    {"findMany", "findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "create", "createMany",
     "update", "updateMany", "upsert", "delete", "deleteMany", "count", "aggregate", "groupBy"}
)  # fmt: skip
_PRISMA_CLIENT = re.compile(r"\bnew\s+PrismaClient\s*[(<]|\bextends\s+PrismaClient\b")
_PRISMA_SERVICE = re.compile(r"\bclass\s+(\w+)\s+extends\s+PrismaClient\b")


def _prisma_clients(project: Project, path: str, tokens: tuple[Token, ...]) -> set[str]:
    """Local names of a Prisma client in a JS/TS file: created here, or imported from a file that creates one."""
    names = {
        tokens[i - 2].value
        for i in range(2, len(tokens) - 1)
        if tokens[i].value == "new" and tokens[i + 1].value == "PrismaClient" and tokens[i - 1].value == "="
    }
    for local, (specifier, _exported) in js_bindings(tokens).items():
        target = project.resolve_js(path, specifier)
        if target is not None and _PRISMA_CLIENT.search(project.text(target) or ""):
            names.add(local)
    # dependency injection (NestJS): `constructor(private prisma: PrismaService)`, PrismaService a PrismaClient
    services = _prisma_services(project) | {"PrismaClient"}
    for i in range(1, len(tokens) - 1):
        if tokens[i].value == ":" and tokens[i + 1].value in services and tokens[i - 1].kind == "name":
            names.add(tokens[i - 1].value)
    return names


def _prisma_services(project: Project) -> frozenset[str]:
    """Classes of the project that extend ``PrismaClient`` (a NestJS ``PrismaService``)."""

    def compute() -> frozenset[str]:
        found: set[str] = set()
        for path in project.js_files:
            found.update(_PRISMA_SERVICE.findall(project.text(path) or ""))
        return frozenset(found)

    return project.memo("checks:prisma-services", compute)


#: TypeORM (and @nestjs/typeorm) names whose use is data access; decorators and column types are not.
_TYPEORM_ACCESS = frozenset(
    {"Repository", "getRepository", "getManager", "getConnection", "createConnection", "DataSource", "EntityManager",
     "Connection", "getCustomRepository", "MongoRepository", "TreeRepository", "getMongoRepository",
     "getTreeRepository", "createQueryBuilder", "InjectRepository", "InjectDataSource", "InjectEntityManager",
     "InjectConnection"}
)  # fmt: skip
_HANDLE = re.compile(
    r"(?:\b(?:const|let|var)\s+|\bexports\.)(\w+)\s*(?::[^=\n]+)?=[^;\n]*?\b(?:drizzle|knex|Knex|new\s+DataSource)\s*\("
)
_DEFAULT_EXPORT = re.compile(
    r"(?:\bmodule\.exports\s*=|\bexport\s+default)\s*(?:await\s+)?(?:(drizzle|knex|Knex|new\s+DataSource)\s*\(|(\w+)\s*;?\s*$)",
    re.MULTILINE,
)
_DRIZZLE_SCHEMA = ("drizzle-orm/pg-core", "drizzle-orm/sqlite-core", "drizzle-orm/mysql-core",
                   "drizzle-orm/singlestore-core")  # fmt: skip


def _orm_access(project: Project, path: str, tokens: tuple[Token, ...]) -> list[tuple[int, str]]:
    """TypeORM API imports, Drizzle driver imports and uses of a Drizzle/Knex/DataSource handle."""
    hits = []
    for item in project.imports(path):
        if item.type_checking:
            continue
        if module_in_any(item.module, ("typeorm", "@nestjs/typeorm")):
            used = sorted(set(item.names) & _TYPEORM_ACCESS)
            if used:
                hits.append((item.line, f"imports `{', '.join(used)}` from `{item.module}`"))
        elif item.module.startswith("drizzle-orm/") and not module_in_any(item.module, _DRIZZLE_SCHEMA):
            hits.append((item.line, f"imports the driver binding `{item.module}`"))
    handles = set(_HANDLE.findall(project.text(path) or ""))
    for local, (specifier, exported) in js_bindings(tokens).items():
        target = project.resolve_js(path, specifier)
        text = project.text(target) or "" if target is not None else ""
        created = set(_HANDLE.findall(text))
        if exported == "default":
            defaults = _DEFAULT_EXPORT.findall(text)
            if any(factory or name in created for factory, name in defaults):
                handles.add(local)
        elif exported in created:
            handles.add(local)
    for i, token in enumerate(tokens[:-1]):
        if token.value not in handles or token.kind != "name" or (i > 0 and tokens[i - 1].value in {".", "?."}):
            continue
        if tokens[i + 1].value in {".", "?.", "("} and not (i > 0 and tokens[i - 1].value in {"const", "let", "var"}):
            what = f"{token.value}.{tokens[i + 2].value}" if tokens[i + 1].value != "(" else f"{token.value}(...)"
            hits.append((token.line, f"uses the database handle `{what}`"))
    return hits


def _js_access(
    tokens: tuple[Token, ...], model_names: set[str], clients: frozenset[str] | set[str] = frozenset()
) -> list[tuple[int, str]]:
    hits = []
    for i, token in enumerate(tokens):
        if token.kind != "name" or i + 3 >= len(tokens):
            continue
        nxt, method, paren = tokens[i + 1], tokens[i + 2], tokens[i + 3]
        after_this = i > 1 and tokens[i - 1].value == "." and tokens[i - 2].value == "this"
        if i > 0 and tokens[i - 1].value in {".", "?."} and not (after_this and token.value in clients):
            continue
        if nxt.value == "." and method.kind == "name" and paren.value == "(":
            if token.value in model_names and method.value in _SEQUELIZE_METHODS:
                hits.append((token.line, f"calls `{token.value}.{method.value}()`"))
            elif token.value == "sequelize" and method.value in {"query", "transaction", "sync"}:
                hits.append((token.line, f"calls `sequelize.{method.value}()`"))
        elif token.value == "new" and tokens[i + 1].value in {"Sequelize", "PrismaClient"}:
            hits.append((token.line, f"creates a `{tokens[i + 1].value}` instance"))
        if token.value in clients and nxt.value in {".", "?."} and method.kind == "name":
            if method.value.startswith("$"):
                hits.append((token.line, f"calls `{token.value}.{method.value}`"))
            elif (
                i + 5 < len(tokens)
                and tokens[i + 3].value == "."
                and tokens[i + 4].value in _PRISMA_METHODS
                and tokens[i + 5].value == "("
            ):
                hits.append((token.line, f"calls `{token.value}.{method.value}.{tokens[i + 4].value}()`"))
    return hits


def check_single_data_path(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Fail for every file outside the data path that talks to the database."""
    allowed: list[str] = list(params["modules"])
    custom: list[str] | None = list(params["db_modules"]) if params.get("db_modules") else None
    files = [p for p in (*project.python_files, *project.js_files) if not is_test_file(p)]
    if not files:
        return [context.unchecked("no Python or JS/TS sources to check")]
    # Drizzle and Knex entities are tables, not classes with query methods (`notes.create()` is someone else's)
    model_names = {e.name for e in entities(project) if e.framework not in {"drizzle", "knex"}}
    js_tokens = {s.path: s.tokens for s in js_sources(project)}
    findings: list[Finding] = []
    checked = 0
    for path in files:
        if in_any(path, allowed):
            continue
        checked += 1
        if custom is not None:
            hits = [
                (i.line, f"imports `{i.module}`")
                for i in project.imports(path)
                if not i.type_checking and any(module_in(i.module, m) for m in custom)
            ]
        elif path in js_tokens:
            hits = [
                (i.line, f"imports the driver `{i.module}`")
                for i in project.imports(path)
                if module_in_any(i.module, DRIVERS)
            ]
            hits += _js_access(js_tokens[path], model_names, _prisma_clients(project, path, js_tokens[path]))
            hits += _orm_access(project, path, js_tokens[path])
        else:
            hits = _python_access(project, path, allowed, model_names)
        for line, what in sorted(set(hits)):
            findings.append(
                context.failed(
                    f"`{path}` talks to the database: it {what}",
                    evidence(project, path, line),
                    f"Move this data access into {', '.join(f'`{m}`' for m in allowed)} and call it from here.",
                )
            )
    if findings:
        return findings
    return [context.passed(f"{checked} files outside {', '.join(allowed)} do not touch the database")]


CHECK = Check("single-data-path", check_single_data_path, "Only the named modules talk to the database.")
