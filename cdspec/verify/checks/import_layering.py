"""``import-layering``: a layer imports only itself and the layers below it.

Layers are listed top first; each is a set of specs (``app.routes`` or
``app/routes/``). A file belongs to the layer of its most specific
matching spec. For every import of a layered file, the imported project
file's layer must not be above the importer's. ``from pkg import name``
follows re-exports: when ``pkg/__init__.py`` (or any module) binds
``name`` by importing it from another project module, the import also
counts as importing that module, transitively. Imports of modules in no
layer, and imports under ``if TYPE_CHECKING:`` (unless
``allow_type_checking`` is false), are ignored.

One finding per offending statement (file and line): ``from app.routes
import books`` reaches both ``app/routes/__init__.py`` and
``app/routes/books.py``, and is reported once, naming the most specific
module (``app.routes.books``; a package is left out when a module under it
is named too).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from cdspec.verify._python import import_bindings
from cdspec.verify.checks._common import import_evidence, layer_of, sources
from cdspec.verify.findings import Finding
from cdspec.verify.project import Import, Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]


def _reexports(project: Project) -> dict[str, Mapping[str, str]]:
    """module -> {name: dotted target} of its import bindings (for following re-exports)."""

    def compute() -> dict[str, Mapping[str, str]]:
        return {s.module: import_bindings(s) for s in sources(project)}

    return project.memo("checks:reexports", compute)


def _targets(project: Project, item: Import) -> list[str]:
    """Project files an import reaches: its target, and the modules its names are re-exported from."""
    out: list[str] = []
    if item.target is not None:
        out.append(item.target)
    if not item.names or item.kind != "from":
        return out
    table = _reexports(project)
    queue = [(item.module, name) for name in item.names]
    seen: set[tuple[str, str]] = set()
    while queue:
        module, name = queue.pop()
        if (module, name) in seen or len(seen) > 200:
            continue
        seen.add((module, name))
        bound = table.get(module, {}).get(name)
        if bound is None:
            continue
        path = project.path_of_module(bound)
        if path is not None:  # the name is a module
            out.append(path)
            continue
        owner, _, attr = bound.rpartition(".")
        path = project.path_of_module(owner)
        if path is not None:
            out.append(path)
            queue.append((owner, attr))
    return out


@attrs.frozen
class _Hit:
    """One layer the import statement reaches above the importer: through ``item``, into ``target``."""

    item: Import
    target: str
    layer: int

    @property
    def direct(self) -> bool:
        return self.target == self.item.target

    def shown(self) -> str:
        via = "" if self.direct else f" (through a re-export: `{self.target}`)"
        return f"`{self.item.module}`{via}"


def _module_key(project: Project, path: str) -> str:
    """A path-like name of a project file's module, for "is a package of" tests (``app/routes``)."""
    name = project.module_name(path)
    if name is not None:
        return name.replace(".", "/")
    stem = path.rsplit(".", 1)[0] if "." in posixpath.basename(path) else path
    return stem.removesuffix("/index")


def _most_specific(project: Project, hits: list[_Hit]) -> list[_Hit]:
    """The hits of one statement, one per target (a direct import record preferred to a re-export), without
    the packages of other hits: ``from app.routes import books`` keeps ``app.routes.books``, not ``app.routes``."""
    by_target: dict[str, _Hit] = {}
    for hit in hits:
        kept = by_target.get(hit.target)
        if kept is None or (hit.direct and not kept.direct):
            by_target.pop(hit.target, None)  # (re)inserted: the direct records keep the statement's order
            by_target[hit.target] = hit
    keys = {target: _module_key(project, target) for target in by_target}
    return [
        hit
        for target, hit in by_target.items()
        if not any(other != target and keys[other].startswith(keys[target] + "/") for other in by_target)
    ]


def check_import_layering(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Fail once for every import statement that reaches a layer above the importer's."""
    layers = [(layer["name"], tuple(layer["modules"])) for layer in params["layers"]]
    allow_type_checking = params.get("allow_type_checking", True)
    known: dict[str, int | None] = {}

    def layer(path: str) -> int | None:
        if path not in known:
            known[path] = layer_of(path, layers)
        return known[path]

    files = [p for p in (*project.python_files, *project.js_files) if layer(p) is not None]
    if not files:
        return [context.unchecked("no Python or JS/TS file belongs to any of the layers")]
    findings: list[Finding] = []
    for path in files:
        own = layer(path)
        assert own is not None
        # Python records one Import per module a statement names (`from app.routes import books` is
        # `app.routes` and `app.routes.books`): gather them per statement line, report each line once.
        statements: dict[int, list[_Hit]] = {}
        for item in project.imports(path):
            if item.type_checking and allow_type_checking:
                continue
            for target in _targets(project, item):
                other = layer(target)
                if other is not None and other < own:
                    statements.setdefault(item.line, []).append(_Hit(item, target, other))
        for hits in statements.values():
            kept = _most_specific(project, hits)
            above = sorted({hit.layer for hit in kept})
            names = " and ".join(layers[i][0] for i in above)
            which = "which is in layer" if len(kept) == 1 else ("which are in layer" + ("s" if len(above) > 1 else ""))
            findings.append(
                context.failed(
                    f"`{path}` (layer {layers[own][0]}) imports {', '.join(hit.shown() for hit in kept)}, "
                    f"{which} {names}, above it",
                    import_evidence(kept[0].item),
                    f"Layer {layers[own][0]} may import only itself and the layers below it "
                    f"({', '.join(n for n, _ in layers[own:])}); move the shared code down "
                    f"or invert the dependency.",
                )
            )
    if findings:
        return findings
    return [context.passed(f"{len(files)} files in {len(layers)} layers import only downwards")]


CHECK = Check("import-layering", check_import_layering, "A lower layer never imports a higher one.")
