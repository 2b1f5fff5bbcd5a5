"""``routes-cover-contract``: every operation of the contract has a route handler.

Route declarations are read from Flask, FastAPI, Django, aiohttp and
Express sources (see :func:`cdspec.verify._python.python_routes` and
:func:`cdspec.verify._jsmodel.js_routes`), with their blueprint/router
prefixes. Paths compare after normalisation (``{id}``, ``<int:id>`` and
``:id`` are the same parameter; a trailing ``/`` does not matter); methods
compare in upper case, and a route that accepts any method (Django views
that do not say, Express ``all``) covers every method. In a feature task
with a baseline, only the feature's operations and those the baseline
already served are required.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify._python import Route, join_paths, normalise_path
from cdspec.verify.checks._common import routes
from cdspec.verify.findings import Evidence, Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]


def check_routes_cover_contract(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Fail for every contract operation without a route."""
    if not project.python_files and not project.js_files:
        return [context.unchecked("no Python or JS/TS sources to read routes from")]
    found = routes(project)
    if not found:
        return [
            context.unchecked(
                "no route declarations found "
                "(Flask, FastAPI, Django, aiohttp, Express, Koa, Fastify, Hono and NestJS are understood)",
                hint="Declare routes with the framework's decorators or router calls so they can be read statically.",
            )
        ]
    ignore = set(params.get("ignore", ()))
    base = context.task.path_prefix
    declared: dict[tuple[str, str], list[Any]] = {}
    partial: list[Route] = []  # routes under a prefix that cannot be read
    for route in found:
        if route.unresolved:
            partial.append(route)
        else:
            declared.setdefault(route.key, []).append(route)

    def covered(method: str, path: str, table: Mapping[tuple[str, str], Any]) -> bool:
        key = normalise_path(join_paths(base, path))
        return (method, key) in table or ("*", key) in table

    def maybe(method: str, path: str) -> Route | None:
        """A route under an unreadable prefix whose readable part ends the wanted path."""
        wanted = normalise_path(join_paths(base, path))
        for route in partial:
            tail = normalise_path(route.path)
            if route.method in {method, "*"} and (wanted == tail or wanted.endswith(tail if tail != "/" else "")):
                return route
        return None

    operations = [op for op in context.task.contract.operations if (op.operation_id or op.key) not in ignore]
    task = context.task
    if task.mode == "feature" and project.baseline is not None and task.feature is not None:
        base_routes = {r.key: r for r in routes(project.baseline)}
        wanted = set(task.feature.operations)
        operations = [
            op for op in operations if op.operation_id in wanted or covered(op.method.upper(), op.path, base_routes)
        ]
    findings = []
    unsure = []
    served = f" under the contract's base path {base}" if base else ""
    for op in operations:
        if covered(op.method.upper(), op.path, declared):
            continue
        name = op.operation_id or op.key
        full = join_paths(base, op.path)
        candidate = maybe(op.method.upper(), op.path)
        if candidate is not None:
            unsure.append(
                context.unchecked(
                    f"operation {name} ({op.method.upper()} {full}) may be served by the route at "
                    f"{candidate.file}:{candidate.line}, under a prefix that cannot be read statically "
                    f"({candidate.unresolved})",
                    Evidence(candidate.file, candidate.line, candidate.text),
                    "Write the prefix as a literal or a module-level constant so it can be read.",
                )
            )
            continue
        findings.append(
            context.failed(
                f"operation {name} ({op.key}) has no route handler{served}",
                Evidence("(contract)", None, f"{op.method.upper()} {full}"),
                f"Add a handler for {op.method.upper()} {full}.",
            )
        )
    if findings or unsure:
        return findings + unsure
    return [context.passed(f"all {len(operations)} operations have a route{served} ({len(found)} routes declared)")]


CHECK = Check("routes-cover-contract", check_routes_cover_contract, "Every contract operation has a route handler.")
