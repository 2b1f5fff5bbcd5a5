"""``no-raw-sql``: no SQL statements written as strings outside the allowed modules.

Python: string literals and f-strings that hold an SQL statement (see
:func:`cdspec.verify._python.looks_like_sql`: ``SELECT ... FROM`` with SQL
structure, ``INSERT INTO``, ``UPDATE ... SET``, ``DELETE FROM``,
``CREATE/DROP/ALTER TABLE``), and literals passed to ``text()``,
``execute()``, ``raw()``... that start with a statement keyword.
Docstrings and comments never count, nor does prose such as "Please select
a book". ``PRAGMA`` and ``SET`` are connection settings, not queries. JS/TS:
string and template literals, read from the token stream (comments
dropped). Any ``.sql`` file outside the allowed modules fails too. Test
files are not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._jsmodel import js_sql_strings
from cdspec.verify._python import SqlHit, sql_strings
from cdspec.verify.checks._common import evidence, in_any, is_test_file, join, js_sources, sources
from cdspec.verify.findings import Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]


def check_no_raw_sql(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Fail for every SQL string outside ``allowed_in``."""
    allowed: list[str] = list(params.get("allowed_in", ()))
    where = f" outside {join(allowed)}" if allowed else ""
    hint = (
        f"Build the query with the ORM's API, or move it to {join(allowed)}."
        if allowed
        else "Build the query with the ORM's query API instead of SQL text."
    )

    def skip(path: str) -> bool:
        return is_test_file(path) or in_any(path, allowed)

    if not project.python_files and not project.js_files:
        return [context.unchecked("no Python or JS/TS sources to check")]
    hits: list[tuple[str, SqlHit]] = []
    for source in sources(project):
        if not skip(source.path):
            hits.extend((source.path, hit) for hit in sql_strings(source))
    for js in js_sources(project):
        if not skip(js.path):
            hits.extend((js.path, hit) for hit in js_sql_strings(js))
    findings = [
        context.failed(f"raw SQL{where} in `{path}` ({hit.why})", evidence(project, path, hit.line), hint)
        for path, hit in hits
    ]
    for path in project.paths:
        if path.lower().endswith(".sql") and not skip(path):
            findings.append(context.failed(f"SQL file `{path}`{where}", evidence(project, path, 1), hint))
    if findings:
        return findings
    checked = len(project.python_files) + len(project.js_files)
    return [context.passed(f"no SQL strings{where} ({checked} sources read)")]


CHECK = Check("no-raw-sql", check_no_raw_sql, "No SQL strings outside the allowed modules.")
