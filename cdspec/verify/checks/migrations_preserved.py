"""``migrations-preserved``: baseline migrations unchanged, a new one when the models change.

Needs the baseline (``Project.baseline``, from a feature task or
``verify(..., baseline=...)``); without one the constraint is UNCHECKED.
Every baseline file under ``directory`` (caches aside) must still exist with
the same text. When the models differ from the baseline's (entities,
columns, types, nullability, relations, as read by the data-model reader),
at least one new file must appear under ``directory``. For ``tool:
alembic``, each new revision's ``down_revision`` must name an existing
revision.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._python import string_value, terminal
from cdspec.verify.checks._common import entities, evidence, in_spec, spec_path
from cdspec.verify.findings import Evidence, Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]


def _migration_files(project: Project, directory: str) -> list[str]:
    return [
        p
        for p in project.paths
        if in_spec(p, directory) and "__pycache__/" not in p and not p.endswith((".pyc", ".pyo"))
    ]


def _signature(project: Project) -> set[tuple[Any, ...]]:
    out: set[tuple[Any, ...]] = set()
    for model in entities(project):
        out.add(("entity", model.name, model.table))
        for c in model.columns:
            out.add(("column", model.name, c.name, c.type, c.enum_values, c.nullable, c.unique, c.primary_key,
                     c.foreign_key))  # fmt: skip
        for r in model.relations:
            out.add(("relation", model.name, r.name, r.target))
    return out


_Item = tuple[str, ...]  # ("table", t) or ("column", t, c)


def _schema_items(project: Project) -> dict[_Item, tuple[str, int]]:
    """Tables and columns the models declare, with where: ``("column", table, column)`` -> (path, line)."""
    out: dict[_Item, tuple[str, int]] = {}
    for model in entities(project):
        table = (model.table or model.name).lower()
        out[("table", table)] = (model.path, model.line)
        for column in model.columns:
            out[("column", table, column.name.lower())] = (model.path, column.line)
    return out


def _migrated(project: Project, directory: str) -> set[_Item] | None:
    """Tables and columns the migrations under ``directory`` leave in place, or None when none can be read.

    Alembic ``op.create_table(t, sa.Column(c, ...))``, ``op.add_column(t,
    sa.Column(c))``, ``op.drop_column(t, c)``, ``op.drop_table(t)``; Django
    ``migrations.CreateModel(name=..., fields=[(c, ...)])``, ``AddField``,
    ``RemoveField``, ``DeleteModel`` (tables named by the model, lower case).
    Files are applied in name order.
    """
    items: set[_Item] = set()
    seen = False
    for path in sorted(_migration_files(project, directory)):
        if path.endswith(".sql"):
            seen = _apply_sql(project.text(path) or "", items) or seen
            continue
        tree = project.ast(path) if path.endswith(".py") else None
        if tree is None:
            continue
        seen = _apply_python(tree, items) or seen
    return items if seen else None


def _column_shapes(project: Project) -> dict[_Item, tuple[Any, ...]]:
    """("column", table, column) -> (type, nullable, unique, primary key, foreign key) as the models declare it."""
    return {
        ("column", (model.table or model.name).lower(), c.name.lower()): (
            c.type,
            c.nullable,
            c.unique,
            c.primary_key,
            c.foreign_key,
        )
        for model in entities(project)
        for c in model.columns
    }


def _apply_python(tree: ast.Module, items: set[_Item]) -> bool:
    """Apply an Alembic or Django migration module to ``items``; whether it said anything readable."""
    seen = False
    # Alembic: only what `upgrade()` does (`downgrade()` drops what it created)
    upgrade = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"]
    scope: ast.AST = upgrade[0] if upgrade else tree
    for call in (n for n in ast.walk(scope) if isinstance(n, ast.Call)):
        name = terminal(call.func)
        args = [string_value(a) for a in call.args]
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        if name == "create_table" and args and args[0]:
            seen = True
            table = args[0].lower()
            items.add(("table", table))
            for arg in call.args[1:]:
                if isinstance(arg, ast.Call) and terminal(arg.func) == "Column" and arg.args:
                    column = string_value(arg.args[0])
                    if column:
                        items.add(("column", table, column.lower()))
        elif name == "add_column" and len(call.args) >= 2 and args[0]:
            inner = call.args[1]
            column = string_value(inner.args[0]) if isinstance(inner, ast.Call) and inner.args else None
            if column:
                seen = True
                items.add(("column", args[0].lower(), column.lower()))
        elif name == "drop_column" and len(args) >= 2 and args[0] and args[1]:
            items.discard(("column", args[0].lower(), args[1].lower()))
        elif name == "drop_table" and args and args[0]:
            _drop_table(items, args[0])
        elif name == "CreateModel":
            model = string_value(kw.get("name")) or (args[0] if args else None)
            fields = kw.get("fields")
            if model and isinstance(fields, ast.List | ast.Tuple):
                seen = True
                items.add(("table", model.lower()))
                for field in fields.elts:
                    if isinstance(field, ast.Tuple) and field.elts:
                        column = string_value(field.elts[0])
                        if column:
                            items.add(("column", model.lower(), column.lower()))
        elif name in {"AddField", "RemoveField"}:
            model, column = string_value(kw.get("model_name")), string_value(kw.get("name"))
            if model and column:
                seen = True
                item = ("column", model.lower(), column.lower())
                if name == "AddField":
                    items.add(item)
                else:
                    items.discard(item)
        elif name == "DeleteModel":
            model = string_value(kw.get("name")) or (args[0] if args else None)
            if model:
                _drop_table(items, model)
    return seen


def _drop_table(items: set[_Item], table: str) -> None:
    for item in [i for i in items if i[1] == table.lower()]:
        items.discard(item)


_SQL_NAME = r'[`"\[]?(\w+)[`"\]]?'
_SQL_STATEMENTS = re.compile(
    rf"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\w+\.)?{_SQL_NAME}\s*\((?P<body>.*?)\)\s*;"
    rf"|ALTER\s+TABLE\s+(?:\w+\.)?{_SQL_NAME}\s+(?P<alter>.*?);"
    rf"|DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:\w+\.)?{_SQL_NAME}",
    re.IGNORECASE | re.DOTALL,
)
_SQL_CONSTRAINT = re.compile(r"^(PRIMARY|CONSTRAINT|UNIQUE|FOREIGN|CHECK|KEY|INDEX)\b", re.IGNORECASE)


def _apply_sql(text: str, items: set[_Item]) -> bool:
    """Apply a SQL migration (Prisma's ``migration.sql``, Knex or hand-written) to ``items``; whether it said anything.

    ``CREATE TABLE t (c ..., ...)``, ``ALTER TABLE t ADD [COLUMN] c`` /
    ``DROP [COLUMN] c`` / ``RENAME [COLUMN] a TO b``, ``DROP TABLE t``;
    comments are skipped.
    """
    text = re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)
    found = False
    for match in _SQL_STATEMENTS.finditer(text):
        created, altered, dropped = match.group(1), match.group(3), match.group(5)
        if created:
            found = True
            table = created.lower()
            items.add(("table", table))
            for part in re.split(r",(?![^()]*\))", match.group("body")):
                column = re.match(_SQL_NAME, part.strip())
                if column and not _SQL_CONSTRAINT.match(part.strip()):
                    items.add(("column", table, column.group(1).lower()))
        elif altered:
            table = altered.lower()
            for action in re.split(r",(?![^()]*\))", match.group("alter")):
                words = action.strip()
                add = re.match(
                    rf"ADD\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|FOREIGN\b){_SQL_NAME}", words, re.I
                )
                drop = re.match(rf"DROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b){_SQL_NAME}", words, re.I)
                rename = re.match(rf"RENAME\s+(?:COLUMN\s+)?{_SQL_NAME}\s+TO\s+{_SQL_NAME}", words, re.I)
                if add:
                    items.add(("column", table, add.group(1).lower()))
                elif drop:
                    items.discard(("column", table, drop.group(1).lower()))
                elif rename:
                    items.discard(("column", table, rename.group(1).lower()))
                    items.add(("column", table, rename.group(2).lower()))
                found = found or bool(add or drop or rename)
        elif dropped:
            found = True
            _drop_table(items, dropped)
    return found


def _uncovered_changes(project: Project, baseline: Project, directory: str, context: Context) -> list[Finding]:
    """With no new migration: model changes the existing migrations do not already make.

    When the migrations can be read, the database schema is what counts: a
    table or column the models add is fine if a migration creates it (a
    model re-added for a table an existing migration creates needs no new
    migration), one they drop is fine if the migrations drop it too, and a
    relation (an ORM construct whose columns and tables are compared) needs
    nothing of its own; a column whose type, nullability or keys changed
    needs a new migration. Unreadable migrations: any model change needs
    one. The evidence is the changed declaration.
    """
    if _signature(project) == _signature(baseline):
        return []
    hint = f"Add a migration to `{directory}/` for the model change."
    migrated = _migrated(project, directory)
    if migrated is None:
        changed = [m for m in entities(project) if m.path in project.changed_paths or m.path in project.added_paths]
        where = evidence(project, changed[0].path, changed[0].line) if changed else Evidence(directory, None, "")
        return [context.failed(f"the models changed but no new migration was added under `{directory}/`", where, hint)]
    now, then = _schema_items(project), _schema_items(baseline)
    shapes_now, shapes_then = _column_shapes(project), _column_shapes(baseline)
    out: list[Finding] = []
    whole: set[str] = set()  # tables reported as a whole: their columns are not reported again
    for item in sorted(set(now) | set(then), key=lambda i: (i[0] != "table", i)):
        if item[0] == "column" and item[1] in whole:
            continue
        before = len(out)
        what = f"table `{item[1]}`" if item[0] == "table" else f"column `{item[1]}.{item[2]}`"
        if item in now and item not in then and item not in migrated:
            path, line = now[item]
            message = f"the models add {what}, which no migration under `{directory}/` creates"
            out.append(context.failed(message, evidence(project, path, line), hint))
        elif item in then and item not in now and item in migrated:
            path, line = then[item]
            message = f"the models drop {what}, which the migrations under `{directory}/` still create"
            out.append(context.failed(message, Evidence(path, line, baseline.line(path, line)), hint))
        elif item in now and item in then and shapes_now.get(item) != shapes_then.get(item):
            path, line = now[item]
            message = f"{what} changed (type, nullability or keys) but no new migration was added under `{directory}/`"
            out.append(context.failed(message, evidence(project, path, line), hint))
        if item[0] == "table" and len(out) > before:
            whole.add(item[1])
    return out


def _alembic_ids(project: Project, path: str) -> tuple[str | None, list[str], int]:
    """(revision, down revisions, line of down_revision) of an Alembic revision file."""
    tree = project.ast(path)
    revision: str | None = None
    down: list[str] = []
    line = 1
    if tree is None:
        return None, down, line
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "revision":
                revision = string_value(value)
            elif isinstance(target, ast.Name) and target.id == "down_revision":
                line = node.lineno
                if isinstance(value, ast.Tuple | ast.List):
                    down = [v for v in (string_value(e) for e in value.elts) if v]
                else:
                    single = string_value(value)
                    down = [single] if single else []
    return revision, down, line


def check_migrations_preserved(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Compare the migrations with the baseline's."""
    baseline = project.baseline
    directory = spec_path(params["directory"])
    if baseline is None:
        return [
            context.unchecked(
                "no baseline to compare with: verify a feature task, or give one "
                "(`--baseline DIR`; in Python `baseline=`)"
            )
        ]
    before = _migration_files(baseline, directory)
    after = _migration_files(project, directory)
    findings: list[Finding] = []
    for path in before:
        old = baseline.text(path)
        new = project.text(path)
        if new is None:
            findings.append(
                context.failed(
                    f"baseline migration `{path}` was removed",
                    Evidence(path, None, "(removed)"),
                    "Restore it unchanged; undo a migration with a new one.",
                )
            )
        elif new != old:
            old_lines, new_lines = (old or "").splitlines(), new.splitlines()
            line = next(
                (n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), 1) if a != b),
                min(len(old_lines), len(new_lines)) + 1,
            )
            findings.append(
                context.failed(
                    f"baseline migration `{path}` was edited",
                    evidence(project, path, line),
                    "Restore it to the baseline's text and put the change in a new migration.",
                )
            )
    added = [p for p in after if p not in set(before)]
    if not before and not after:
        return [
            context.unchecked(
                f"no migrations under `{directory}/` in the baseline or the project: nothing to compare",
                hint="Check `directory` names the project's migrations folder.",
            )
        ]
    if not added:
        findings.extend(_uncovered_changes(project, baseline, directory, context))
    if params.get("tool") == "alembic":
        known = {rev for p in after if p.endswith(".py") for rev in [_alembic_ids(project, p)[0]] if rev}
        for path in added:
            if not path.endswith(".py"):
                continue
            revision, down, line = _alembic_ids(project, path)
            if revision is None:
                continue
            missing = [d for d in down if d not in known]
            if missing:
                findings.append(
                    context.failed(
                        f"new revision `{path}` revises {', '.join(missing)}, which no migration defines",
                        evidence(project, path, line),
                        "Set down_revision to the current head's revision id.",
                    )
                )
    if findings:
        return findings
    return [context.passed(f"{len(before)} baseline migration(s) unchanged, {len(added)} added")]


CHECK = Check("migrations-preserved", check_migrations_preserved, "Baseline migrations unchanged; new ones added.")
