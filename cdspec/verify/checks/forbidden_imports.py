"""``forbidden-imports``: modules that must not be imported (anywhere, or in the ``in`` specs).

Reads the import graph of Python and JS/TS files. An import matches a
forbidden module on a dotted boundary (``flask.views`` is ``flask``,
``flask_cors`` is not; for JS, ``/``). Imports under ``if TYPE_CHECKING:``
and TypeScript ``import type`` are not runtime dependencies and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify.checks._common import import_evidence, in_any, join, module_in
from cdspec.verify.findings import Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]


def check_forbidden_imports(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Fail for every import of a forbidden module where the rule applies."""
    forbidden: list[str] = list(params["modules"])
    where: list[str] = list(params.get("in", ()))
    files = [p for p in (*project.python_files, *project.js_files) if not where or in_any(p, where)]
    if not files:
        scope = f" in {join(where)}" if where else ""
        return [context.unchecked(f"no Python or JS/TS files{scope} to check")]
    findings: list[Finding] = []
    for path in files:
        seen: set[int] = set()
        for item in project.imports(path):
            if item.type_checking or item.line in seen:
                continue
            hit = next((m for m in forbidden if module_in(item.module, m)), None)
            if hit is None:
                continue
            seen.add(item.line)
            findings.append(
                context.failed(
                    f"`{path}` imports `{item.module}` (forbidden: `{hit}`)",
                    import_evidence(item),
                    f"Remove the import of `{hit}` from `{path}`; move the code that needs it to a layer allowed to.",
                )
            )
    if findings:
        return findings
    scope = f" in {join(where)}" if where else ""
    return [context.passed(f"no import of {join(forbidden)}{scope} ({len(files)} files)")]


CHECK = Check(
    "forbidden-imports", check_forbidden_imports, "Forbidden modules are not imported where the rule applies."
)
