"""What the checks share: module/directory specs, test files, cached analyses of a project.

Specs
-----
A spec names part of a project, as constraint params write it: a dotted
module (``app.routes``), a directory (``app/routes/`` or ``app/routes``) or a
file (``app/db.py``). A path is *in* a spec when it is the spec's file, the
module's file (``app/routes.py``), or under the directory, on a segment
boundary: ``app.routes`` holds ``app/routes/books.py`` but not
``app/routes_helpers.py``. A leading ``src/`` in the project is transparent.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import posixpath
import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

from cdspec.verify._jsmodel import JsSource, js_entities, js_routes
from cdspec.verify._jsorm import drizzle_entities, knex_entities, typeorm_entities
from cdspec.verify._prisma import prisma_entities
from cdspec.verify._python import Entity, Route, Source, dotted, import_bindings, python_entities, python_routes
from cdspec.verify.findings import Evidence
from cdspec.verify.project import Import, Project

__all__ = [
    "anchor",
    "entities",
    "evidence",
    "function_at",
    "function_named",
    "handler_at",
    "import_evidence",
    "in_any",
    "in_spec",
    "is_test_file",
    "join",
    "js_sources",
    "layer_of",
    "matches_pattern",
    "module_in",
    "module_in_any",
    "routes",
    "source_of",
    "sources",
    "spec_path",
]

T = TypeVar("T")

_SOURCE_SUFFIXES = (".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")


def spec_path(spec: str) -> str:
    """The path form of a spec: ``app.routes`` -> ``app/routes``, ``./app/routes/`` -> ``app/routes``."""
    text = spec.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    text = text.strip("/")
    if "/" not in text and not text.endswith(_SOURCE_SUFFIXES) and "." in text:
        text = text.replace(".", "/")
    return text


def in_spec(path: str, spec: str) -> bool:
    """Whether the project file ``path`` is in ``spec`` (see the module docstring)."""
    target = spec_path(spec)
    if not target:
        return True
    candidates = [path]
    if path.startswith("src/"):
        candidates.append(path[4:])
    for candidate in candidates:
        if candidate == target or candidate.startswith(target + "/"):
            return True
        stem = candidate.rsplit(".", 1)[0] if candidate.endswith(_SOURCE_SUFFIXES) else None
        if stem is not None and (stem == target or stem == target + "/index" or stem == target + "/__init__"):
            return True
    return False


def in_any(path: str, specs: Iterable[str]) -> bool:
    """Whether ``path`` is in one of ``specs``."""
    return any(in_spec(path, spec) for spec in specs)


def module_in(module: str, spec: str) -> bool:
    """Whether the dotted (or JS bare) module name ``module`` is ``spec`` or below it.

    ``flask.views`` is in ``flask``; ``flask_cors`` is not. JS specifiers use
    ``/`` as the boundary (``express/lib/router`` is in ``express``).
    """
    if module == spec:
        return True
    return module.startswith((spec + ".", spec + "/"))


@functools.lru_cache(maxsize=16384)
def module_in_any(module: str, specs: tuple[str, ...]) -> bool:
    """Whether ``module`` is in one of ``specs`` (:func:`module_in`); memoized, as the same names recur."""
    return any(module_in(module, spec) for spec in specs)


def layer_of(path: str, layers: Sequence[tuple[str, Sequence[str]]]) -> int | None:
    """Index of the layer holding ``path``: the most specific matching spec wins."""
    best: tuple[int, int] | None = None
    for index, (_, specs) in enumerate(layers):
        for spec in specs:
            if in_spec(path, spec):
                depth = len(spec_path(spec))
                if best is None or depth > best[0]:
                    best = (depth, index)
    return None if best is None else best[1]


_TEST_NAME = re.compile(r"^(?:test_.*\.py|.*_test\.py|.*\.(?:test|spec)\.[cm]?[jt]sx?)$")
_TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec"})


def is_test_file(path: str) -> bool:
    """Test code: ``test_*.py``, ``*_test.py``, ``*.test.js``/``*.spec.ts``..., ``conftest.py``, or under ``tests/``."""
    name = posixpath.basename(path)
    if _TEST_NAME.match(name) or name == "conftest.py":
        return True
    return any(part in _TEST_DIRS for part in path.split("/")[:-1])


def matches_pattern(name: str, pattern: str) -> bool:
    """``fnmatch`` of a file name (case-sensitive)."""
    return fnmatch.fnmatchcase(name, pattern)


def evidence(project: Project, path: str, line: int | None, text: str | None = None) -> Evidence:
    """Evidence at ``path:line``, its text the stripped source line unless given."""
    shown = text if text is not None else (project.line(path, line) if line else "")
    return Evidence(path, line, shown[:200])


_ANCHORS = ("requirements.txt", "pyproject.toml", "package.json", "setup.py", "setup.cfg", "Pipfile")


def anchor(project: Project, note: str) -> Evidence:
    """Evidence for something *missing*: the project's dependency file (or first source), with ``note`` as text."""
    for name in _ANCHORS:
        if project.text(name) is not None:
            return Evidence(name, None, note)
    sources = [p for p in (*project.python_files, *project.js_files) if not is_test_file(p)]
    return Evidence(sources[0] if sources else (project.paths[0] if project.paths else "."), None, note)


def import_evidence(item: Import) -> Evidence:
    """Evidence of an import: its file, line and text."""
    return Evidence(item.path, item.line, item.text[:200])


def sources(project: Project) -> list[Source]:
    """Every Python file that parses (sorted by path), one shared :class:`Source` per file.

    A file without a module name (``0001_initial.py``) is named by its path.
    The sources reuse the project's node list (:meth:`Project.walk`) and keep
    what the analyses derive from them, so every check shares that work.
    """

    def compute() -> list[Source]:
        out = []
        for path in project.python_files:
            tree = project.ast(path)
            if tree is None:
                continue
            module = project.module_name(path) or path.rsplit(".", 1)[0].replace("/", ".")
            out.append(Source(path, module, tree, project.walk(path)))
        return out

    return project.memo("checks:sources", compute)


def source_of(project: Project, path: str) -> Source | None:
    """The shared :class:`Source` of a Python file (see :func:`sources`); ``None`` if it does not parse."""
    table = project.memo("checks:sources_by_path", lambda: {s.path: s for s in sources(project)})
    return table.get(path)


def js_sources(project: Project) -> list[JsSource]:
    """Every JS/TS file, with the project's tokens (:meth:`Project.js_tokens`: tokenized once per project)."""

    def compute() -> list[JsSource]:
        return [JsSource(path, project.js_tokens(path)) for path in project.js_files]

    return project.memo("checks:js_sources", compute)


def entities(project: Project) -> list[Entity]:
    """The data model: SQLAlchemy, Django, Sequelize, Prisma, TypeORM, Drizzle models and Knex migrations' tables."""

    def compute() -> list[Entity]:
        lines = {path: project.lines(path) for path in (*project.python_files, *project.js_files)}
        found = python_entities(sources(project), lines)
        found += js_entities(js_sources(project), lines)
        js = [s for s in js_sources(project) if not is_test_file(s.path)]
        for source in js:
            found += typeorm_entities(source, lines.get(source.path, ()))
        found += drizzle_entities(js, lines)
        found += knex_entities(js, lines)
        for path in project.paths:
            if path.endswith(".prisma") and not is_test_file(path):
                found += prisma_entities(path, project.text(path) or "")
        return found

    return project.memo("checks:entities", compute)


def routes(project: Project) -> list[Route]:
    """Route declarations of every supported framework (Python and Express)."""

    def compute() -> list[Route]:
        lines = {path: project.lines(path) for path in (*project.python_files, *project.js_files)}
        found = python_routes(sources(project), lines)
        found += js_routes(js_sources(project), project.resolve_js, lines)
        return found

    return project.memo("checks:routes", compute)


_Function = ast.FunctionDef | ast.AsyncFunctionDef


def function_at(source: Source, line: int) -> _Function | None:
    """The function whose decorator or ``def`` is at ``line`` (the first in walk order); indexed once per source."""

    def index() -> dict[int, _Function]:
        table: dict[int, _Function] = {}
        for node in source.nodes((ast.FunctionDef, ast.AsyncFunctionDef)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # narrows the type only
                continue
            for number in (node.lineno, *(d.lineno for d in node.decorator_list)):
                table.setdefault(number, node)
        return table

    return source.memo("functions_by_line", index).get(line)


def handler_at(project: Project, source: Source, line: int) -> _Function | None:
    """The handler function of the route declared at ``line`` of ``source``.

    A decorated function (:func:`function_at`), or the handler a router call
    on that line names (``router.add_post("/x", create)``,
    ``add_url_rule(..., view_func=f)``): a function of the module or one it
    imports from the project, and for a handler factory
    (``add_post("/x", make_create(store))``) the function the factory
    defines and returns.
    """
    found = function_at(source, line)
    if found is not None:
        return found
    for call in source.nodes(ast.Call):
        if call.lineno != line or not isinstance(call, ast.Call):
            continue
        candidates = [
            *call.args[1:],
            *(k.value for k in call.keywords if k.arg in {"view_func", "endpoint", "handler"}),
        ]
        for node in reversed(candidates):
            factory = isinstance(node, ast.Call)
            target = function_named(project, source, node.func if isinstance(node, ast.Call) else node)
            if target is None:
                continue
            if not factory:
                return target
            inner = [n for n in target.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            returned = {
                n.value.id for n in ast.walk(target) if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)
            }
            chosen = [n for n in inner if n.name in returned] or inner
            if chosen:
                return chosen[-1]
    return None


def function_named(project: Project, source: Source, node: ast.AST) -> _Function | None:
    """The module-level function ``node`` names in ``source``, following one import into the project."""
    name = dotted(node)
    if name is None:
        return None
    for stmt in source.tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            return stmt
    bound = import_bindings(source).get(name.split(".")[0])
    if bound is None:
        return None
    full = bound + name[len(name.split(".")[0]) :]
    module, _, attr = full.rpartition(".")
    path = project.path_of_module(module)
    target = source_of(project, path) if path is not None else None
    if target is None:
        return None
    return next(
        (s for s in target.tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == attr),
        None,
    )


def join(items: Iterable[str]) -> str:
    """Code-quoted items joined with commas."""
    return ", ".join(f"`{i}`" for i in items)
