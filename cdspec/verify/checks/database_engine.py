"""``database-engine``: evidence of the required engine, and of no other.

Evidence of an engine is any of:

- code: an import of one of its drivers (``sqlite3``, ``psycopg``,
  ``pg``...), a string literal holding its URL (``sqlite:///...``,
  ``postgresql+psycopg://...``), a Django ``ENGINE`` string
  (``django.db.backends.sqlite3``), a Sequelize or Drizzle ``dialect: 'sqlite'``,
  a TypeORM ``type: 'postgres'`` (in a file importing TypeORM), a Knex
  ``client: 'pg'`` (in a knexfile or a file importing Knex), or a Drizzle
  dialect module (``drizzle-orm/pg-core``...);
  comments and docstrings do not count;
- configuration files (``.env*``, ``*.ini``, ``*.cfg``, ``*.toml``,
  ``*.yaml``/``*.yml`` such as ``docker-compose.yml``, ``*.json``,
  ``Dockerfile``): a URL, or a ``postgres``/``mysql``/``mongo``... image;
  ``#`` comment lines are skipped;
- dependency files (``requirements*.txt``, ``pyproject.toml``,
  ``Pipfile``, ``setup.cfg``, ``package.json``): a driver package.

The required engine needs at least one piece of evidence; every piece of
evidence for another engine fails. Test files are not read (a throwaway
test database is not the application's engine). With ``url_env``, the
variable's name must appear in the code or configuration too.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._python import python_strings
from cdspec.verify.checks._common import anchor, evidence, is_test_file, js_sources, module_in_any, source_of
from cdspec.verify.findings import Evidence, Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK", "ENGINES"]

ENGINES: dict[str, dict[str, tuple[str, ...]]] = {
    "sqlite": {
        "modules": ("sqlite3", "aiosqlite", "pysqlite2", "better-sqlite3", "drizzle-orm/sqlite-core",
                    "drizzle-orm/better-sqlite3", "drizzle-orm/libsql"),
        "packages": ("aiosqlite", "pysqlite3", "pysqlite3-binary", "sqlite3", "better-sqlite3"),
        "schemes": ("sqlite",),
        "images": (),
    },
    "postgresql": {
        "modules": ("psycopg", "psycopg2", "psycopg_pool", "asyncpg", "pg8000", "pg", "pg-promise", "postgres",
                    "drizzle-orm/pg-core", "drizzle-orm/node-postgres", "drizzle-orm/postgres-js"),
        "packages": ("psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary", "psycopg-pool", "asyncpg", "pg8000",
                     "pg", "pg-promise", "postgres"),
        "schemes": ("postgresql", "postgres"),
        "images": ("postgres", "postgis/postgis"),
    },
    "mysql": {
        "modules": ("pymysql", "MySQLdb", "mysql.connector", "aiomysql", "asyncmy", "mysql", "mysql2",
                    "drizzle-orm/mysql-core", "drizzle-orm/mysql2"),
        "packages": ("pymysql", "mysqlclient", "mysql-connector-python", "aiomysql", "asyncmy", "mysql", "mysql2"),
        "schemes": ("mysql",),
        "images": ("mysql",),
    },
    "mariadb": {
        "modules": ("mariadb",),
        "packages": ("mariadb",),
        "schemes": ("mariadb",),
        "images": ("mariadb",),
    },
    "mssql": {
        "modules": ("pyodbc", "pymssql", "mssql", "tedious"),
        "packages": ("pyodbc", "pymssql", "mssql", "tedious"),
        "schemes": ("mssql",),
        "images": ("mcr.microsoft.com/mssql/server",),
    },
    "oracle": {
        "modules": ("cx_Oracle", "oracledb"),
        "packages": ("cx-oracle", "oracledb"),
        "schemes": ("oracle",),
        "images": ("gvenzl/oracle-xe", "container-registry.oracle.com/database/free"),
    },
    "mongodb": {
        "modules": ("pymongo", "motor", "mongoengine", "mongodb", "mongoose"),
        "packages": ("pymongo", "motor", "mongoengine", "mongodb", "mongoose"),
        "schemes": ("mongodb", "mongodb+srv"),
        "images": ("mongo",),
    },
}  # fmt: skip
"""Per engine: driver modules, dependency package names, URL schemes, container images."""

_URL = re.compile(r"\b(sqlite|postgresql|postgres|mysql|mariadb|mssql|oracle|mongodb)(?:\+[\w.-]+)?://", re.IGNORECASE)
_DJANGO = re.compile(r"django\.db\.backends\.(sqlite3|postgresql(?:_psycopg2)?|mysql|oracle)\b")
_DJANGO_ENGINES = {"sqlite3": "sqlite", "postgresql": "postgresql", "postgresql_psycopg2": "postgresql",
                   "mysql": "mysql", "oracle": "oracle"}  # fmt: skip
_SCHEMES = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql",
            "mariadb": "mariadb", "mssql": "mssql", "oracle": "oracle", "mongodb": "mongodb"}  # fmt: skip
_DIALECTS = {"sqlite": "sqlite", "turso": "sqlite", "postgres": "postgresql", "postgresql": "postgresql",
             "mysql": "mysql", "mariadb": "mariadb", "mssql": "mssql",
             "oracle": "oracle"}  # fmt: skip
#: TypeORM DataSource ``type:`` and knexfile ``client:`` values -> engines.
_JS_DRIVERS = {"postgres": "postgresql", "postgresql": "postgresql", "pg": "postgresql", "cockroachdb": "postgresql",
               "aurora-postgres": "postgresql", "mysql": "mysql", "mysql2": "mysql", "aurora-mysql": "mysql",
               "mariadb": "mariadb", "sqlite": "sqlite", "sqlite3": "sqlite", "better-sqlite3": "sqlite",
               "sqljs": "sqlite", "mssql": "mssql", "oracle": "oracle", "oracledb": "oracle",
               "mongodb": "mongodb"}  # fmt: skip
_CONFIG_SUFFIXES = (".ini", ".cfg", ".toml", ".yaml", ".yml", ".json", ".conf", ".env")
_DEPENDENCY_FILES = re.compile(
    r"^(?:requirements[\w.-]*\.(?:txt|in)|pyproject\.toml|Pipfile|setup\.cfg|package\.json)$"
)
_IMAGE = re.compile(r"^\s*(?:-\s*)?image\s*:\s*['\"]?([\w./-]+?)(?::[\w.-]+)?['\"]?\s*$|^\s*FROM\s+([\w./-]+)", re.I)
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_PACKAGE_ENGINE = {_norm(p): engine for engine, spec in ENGINES.items() for p in spec["packages"]}


def _text_evidence(text: str) -> list[str]:
    """Engines named by URLs or Django ENGINE strings in ``text``."""
    found = [_SCHEMES[m.group(1).lower()] for m in _URL.finditer(text)]
    found += [_DJANGO_ENGINES[m.group(1)] for m in _DJANGO.finditer(text)]
    return found


def _dependency_names(path: str, text: str) -> list[tuple[int, str]]:
    """(line, package name) of the dependencies a dependency file declares."""
    name = posixpath.basename(path)
    out: list[tuple[int, str]] = []
    if name == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return out
        if not isinstance(data, dict):
            return out
        lines = text.splitlines()
        for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
            deps = data.get(section)
            if isinstance(deps, dict):
                for dep in deps:
                    where = next((n for n, t in enumerate(lines, 1) if f'"{dep}"' in t), 1)
                    out.append((where, str(dep)))
        return out
    section = ""
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.split("#", 1)[0].strip()
        if stripped.startswith("[") and stripped.endswith("]") and not stripped.startswith("[["):
            section = stripped.strip("[]").strip()
        if not stripped or stripped.startswith(("-", "[")):
            continue
        key = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*=", stripped)
        if name == "pyproject.toml" and key and section.endswith("dependencies") and section != "project":
            # Poetry's and PDM's tables: `asyncpg = "^0.26"`, `psycopg = {version = "^3", extras = [...]}`
            out.append((number, key.group(1)))
            continue
        if name in {"pyproject.toml", "Pipfile", "setup.cfg"}:
            for quoted in re.findall(r"[\"']([A-Za-z0-9][A-Za-z0-9._-]*)", stripped):
                out.append((number, quoted))
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*=", stripped)
            if match and name == "Pipfile":
                out.append((number, match.group(1)))
            continue
        match = _REQUIREMENT.match(stripped)
        if match:
            out.append((number, match.group(1)))
    return out


def _import_evidence(project: Project, path: str) -> list[tuple[str, Evidence, str]]:
    out = []
    for item in project.imports(path):
        if item.type_checking:
            continue
        for engine, spec in ENGINES.items():
            if module_in_any(item.module, spec["modules"]):
                out.append((engine, evidence(project, path, item.line), f"driver import `{item.module}`"))
    return out


def _code_evidence(project: Project) -> list[tuple[str, Evidence, str]]:
    out: list[tuple[str, Evidence, str]] = []
    for path in project.python_files:
        if is_test_file(path):
            continue
        out += _import_evidence(project, path)
        source = source_of(project, path)
        for number, value in python_strings(source) if source is not None else ():
            out += [(engine, evidence(project, path, number), "database URL") for engine in _text_evidence(value)]
    for js in js_sources(project):
        if is_test_file(js.path):
            continue
        out += _import_evidence(project, js.path)
        tokens = js.tokens
        for i, token in enumerate(tokens):
            if token.kind not in {"string", "template"}:
                continue
            where = evidence(project, js.path, token.line)
            out += [(engine, where, "database URL") for engine in _text_evidence(token.value)]
            after_dialect = i >= 2 and tokens[i - 1].value == ":" and tokens[i - 2].value == "dialect"
            if after_dialect and token.value in _DIALECTS:
                out.append((_DIALECTS[token.value], where, "Sequelize/Drizzle dialect"))
            key = tokens[i - 2].value if i >= 2 and tokens[i - 1].value == ":" else ""
            if key in {"type", "client"} and token.value in _JS_DRIVERS and key in _orm_keys(project, js.path):
                out.append((_JS_DRIVERS[token.value], where, f"{'TypeORM type' if key == 'type' else 'Knex client'}"))
    return out


def _orm_keys(project: Project, path: str) -> frozenset[str]:
    """Which of ``type:`` (TypeORM) and ``client:`` (Knex) name a driver in this file."""
    keys = set()
    if posixpath.basename(path).startswith("knexfile"):
        keys.add("client")
    for item in project.imports(path):
        if module_in_any(item.module, ("typeorm", "@nestjs/typeorm")):
            keys.add("type")
        elif module_in_any(item.module, ("knex",)):
            keys.add("client")
    return frozenset(keys)


def _file_evidence(project: Project) -> list[tuple[str, Evidence, str]]:
    out: list[tuple[str, Evidence, str]] = []
    for path in project.paths:
        if is_test_file(path):
            continue
        name = posixpath.basename(path)
        text = project.text(path) or ""
        if _DEPENDENCY_FILES.match(name):
            for number, package in _dependency_names(path, text):
                found = _PACKAGE_ENGINE.get(_norm(package))
                if found is not None:
                    out.append((found, evidence(project, path, number), f"dependency `{package}`"))
        if name.endswith(".prisma"):
            out += _prisma_evidence(project, path, text)
        is_config = (name.startswith((".env", "Dockerfile")) or name.endswith(_CONFIG_SUFFIXES)) and name not in {
            "package-lock.json",
            "tsconfig.json",
        }
        if not is_config:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith(("#", ";", "//")):
                continue
            where = evidence(project, path, number)
            out += [(engine, where, "database URL") for engine in _text_evidence(line)]
            image = _IMAGE.match(line)
            if image:
                ref = (image.group(1) or image.group(2) or "").lower()
                for engine, spec in ENGINES.items():
                    if ref in spec["images"] or ref.split("/")[-1] in {i.split("/")[-1] for i in spec["images"]}:
                        out.append((engine, where, f"container image `{ref}`"))
    return out


_PRISMA_PROVIDERS = {"postgresql": "postgresql", "postgres": "postgresql", "cockroachdb": "postgresql",
                     "mysql": "mysql", "sqlite": "sqlite", "sqlserver": "mssql", "mongodb": "mongodb"}  # fmt: skip
_PRISMA_PROVIDER = re.compile(r'^\s*provider\s*=\s*"(\w+)"')


def _prisma_evidence(project: Project, path: str, text: str) -> list[tuple[str, Evidence, str]]:
    """The ``provider`` of a Prisma schema's ``datasource`` block."""
    out = []
    block = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.split("//", 1)[0].strip()
        opened = re.match(r"^(\w+)\s+\w+\s*\{", stripped)
        if opened:
            block = opened.group(1)
        elif stripped.startswith("}"):
            block = ""
        match = _PRISMA_PROVIDER.match(stripped)
        if block == "datasource" and match and match.group(1) in _PRISMA_PROVIDERS:
            out.append(
                (_PRISMA_PROVIDERS[match.group(1)], evidence(project, path, number), "Prisma datasource provider")
            )
    return out


def collect(project: Project) -> list[tuple[str, Evidence, str]]:
    """(engine, evidence, what) for every piece of engine evidence in the project (test files skipped)."""
    return _code_evidence(project) + _file_evidence(project)


def _mentions(project: Project, variable: str) -> bool:
    pattern = re.compile(rf"\b{re.escape(variable)}\b")
    for path in project.paths:
        if is_test_file(path):
            continue
        if path.endswith((".py", ".pyi")):
            source = source_of(project, path)
            if source is not None and any(pattern.search(v) for _, v in python_strings(source)):
                return True
        elif (
            path in project.js_files
            or posixpath.basename(path).startswith(".env")
            or path.endswith((*_CONFIG_SUFFIXES, ".prisma"))
        ) and pattern.search(project.text(path) or ""):
            return True
    return False


def check_database_engine(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Fail without evidence of the engine, or with evidence of another."""
    wanted: str = params["engine"]
    pieces = collect(project)
    if not project.paths:
        return [context.unchecked("the project has no files")]
    findings: list[Finding] = []
    mine = [p for p in pieces if p[0] == wanted]
    if not mine:
        findings.append(
            context.failed(
                f"no evidence of {wanted}: no driver import, database URL or dependency names it",
                next((p[1] for p in pieces), anchor(project, f"(no {wanted} driver, URL or dependency)")),
                hint=f"Connect to {wanted}: a {wanted} URL (read from the environment, with a {wanted} default).",
            )
        )
    seen: set[tuple[str, int | None]] = set()
    for engine, where, what in sorted(pieces, key=lambda p: (p[1].path, p[1].line or 0, p[0])):
        if engine == wanted or (where.path, where.line) in seen:
            continue
        seen.add((where.path, where.line))
        findings.append(
            context.failed(
                f"evidence of another engine, {engine}: {what} in `{where.path}`",
                where,
                f"Use {wanted} only: remove the {engine} driver, URL or dependency.",
            )
        )
    variable = params.get("url_env")
    if variable and not _mentions(project, variable):
        findings.append(
            context.failed(
                f"the database URL is not read from `{variable}`: the name appears in no source or configuration",
                mine[0][1] if mine else anchor(project, f"(no mention of {variable})"),
                hint=f"Read the URL with os.environ.get({variable!r}, ...) (process.env.{variable} in JS).",
            )
        )
    if findings:
        return findings
    return [
        context.passed(
            f"{wanted}: {len(mine)} piece(s) of evidence ({mine[0][2]} in `{mine[0][1].path}`), no other engine"
        )
    ]


CHECK = Check("database-engine", check_database_engine, "Evidence of the required engine, and of no other.")
