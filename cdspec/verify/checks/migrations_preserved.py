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
from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._python import string_value
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
            context.unchecked("no baseline to compare with (verify a feature task, or give --baseline DIR / baseline=)")
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
    if _signature(project) != _signature(baseline) and not added:
        changed = [m for m in entities(project) if m.path in project.changed_paths or m.path in project.added_paths]
        where = evidence(project, changed[0].path, changed[0].line) if changed else Evidence(directory, None, "")
        findings.append(
            context.failed(
                f"the models changed but no new migration was added under `{directory}/`",
                where,
                f"Add a migration to `{directory}/` for the model change.",
            )
        )
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
