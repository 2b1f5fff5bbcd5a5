"""``validation-pattern``: request bodies are validated through the named library and modules.

1. Some (non-test) source imports the library (``pydantic``,
   ``marshmallow``, ``django-forms`` = ``django.forms``, ``zod``, ``joi``,
   ``yup``, any other name as a package).
2. With ``modules``: every schema class (a class deriving, directly or
   through project classes, from a name imported from the library) and
   every JS ``lib.object(...)`` schema is defined inside ``modules``.
3. Every route handler that reads the request body (``request.get_json()``,
   ``request.json``, ``request.form``, ``request.data``, ``request.POST``,
   ``await request.json()``, Express ``req.body``, NestJS ``@Body()``) also uses a name from
   ``modules`` (or, without ``modules``, from the library); a FastAPI
   handler of a POST/PUT/PATCH route may not take its body as a bare
   ``dict``/``Any``/``list``. A NestJS ``@Body()`` parameter is validated
   when typed by a DTO class (a class with a property decorated from the
   library, e.g. class-validator's ``@IsString()``) and a ValidationPipe is
   in force (``useGlobalPipes(new ValidationPipe())``, ``@UsePipes(...)``,
   ``APP_PIPE`` or a pipe in ``@Body(...)``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cdspec.verify._python import Source, dotted, import_bindings, terminal
from cdspec.verify.checks._common import (
    anchor,
    evidence,
    function_named,
    handler_at,
    in_any,
    is_test_file,
    join,
    js_sources,
    module_in,
    module_in_any,
    routes,
    sources,
    spec_path,
)
from cdspec.verify.findings import Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]

_PACKAGES = {
    "django-forms": ("django.forms",),
    "django.forms": ("django.forms",),
    "drf": ("rest_framework",),
    "djangorestframework": ("rest_framework",),
    "joi": ("joi", "@hapi/joi"),
    "class-validator": ("class-validator",),
    "pydantic": ("pydantic", "pydantic_core"),
}
_BODY_ATTRS = frozenset({"get_json", "json", "form", "data", "get_data", "values", "POST", "body", "files"})
_JS_BODY_CALLS = frozenset({"json", "parseBody", "formData", "text", "arrayBuffer"})
_BARE = frozenset({"dict", "Dict", "Any", "list", "List", "object", "Mapping"})


def _spec_module(spec: str) -> str:
    """The dotted module a spec names: ``app/schemas.py``, ``app/schemas/`` and ``app.schemas`` are ``app.schemas``."""
    path = spec_path(spec)
    for suffix in (".py", ".pyi"):
        path = path.removesuffix(suffix)
    return path.removesuffix("/__init__").replace("/", ".")


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _unvalidated_body(function: ast.AST, names: set[str]) -> int | None:
    """Line of a request-body read that does not flow into a schema call, else None.

    A read (``request.get_json()``, ``request.json``...) is validated when it
    is inside the arguments of a call whose function mentions a schema name
    (``RegisterSchema().load(request.get_json())``), or is assigned to a
    variable that such a call takes as an argument.
    """
    nodes = list(ast.walk(function))
    reads = [
        node
        for node in nodes
        if isinstance(node, ast.Attribute)
        and node.attr in _BODY_ATTRS
        and (dotted(node.value) or "").split(".")[-1] in {"request", "req"}
    ]
    if not reads:  # most handlers never touch the body: skip the parent map
        return None
    parents: dict[int, ast.AST] = {}
    for node in nodes:
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    schema_calls = [n for n in nodes if isinstance(n, ast.Call) and _mentions(n.func, names)]
    fed = {
        arg.id
        for call in schema_calls
        for arg in [*call.args, *(k.value for k in call.keywords)]
        if isinstance(arg, ast.Name)
    }
    for node in reads:
        validated = False
        current: ast.AST = node
        while id(current) in parents:
            parent = parents[id(current)]
            if isinstance(parent, ast.Call) and current is parent.func:  # request.get_json(...) itself
                current = parent
                continue
            if isinstance(parent, ast.BoolOp | ast.IfExp | ast.Await | ast.keyword):
                current = parent
                continue
            if isinstance(parent, ast.Call):
                validated = _mentions(parent.func, names)
            elif isinstance(parent, ast.Assign | ast.AnnAssign):
                targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
                validated = any(isinstance(t, ast.Name) and t.id in fed for t in targets)
            break
        if not validated:
            return node.lineno
    return None


#: Bases of configuration classes (pydantic-settings): they validate no request.
_SETTINGS_BASES = frozenset({"BaseSettings", "BaseConfig", "ConfigDict"})
#: Decorators that validate a handler's input with the schema they are given.
_INPUT_DECORATORS = frozenset({"use_kwargs", "use_args", "arguments", "expect", "validate", "input", "body"})


def _request_schema_names(
    project: Project, python: list[Source], bindings: Mapping[str, Mapping[str, str]]
) -> set[str]:
    """Names route handlers use to read their input.

    A FastAPI body parameter's annotation (a parameter whose default is not
    ``Depends(...)``/``Query(...)``/``Path(...)``...), a name called inside
    a handler that reads the request body, and the schema an input
    decorator takes (``@use_kwargs(Schema)``).
    """
    by_path = {s.path: s for s in python}
    names: set[str] = set()
    for route in routes(project):
        source = by_path.get(route.file)
        function = handler_at(project, source, route.line) if source is not None else None
        if function is None:
            continue
        args = function.args
        defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
        for arg, default in [
            *zip(args.args, defaults, strict=True),
            *zip(args.kwonlyargs, args.kw_defaults, strict=True),
        ]:
            if arg.annotation is None:
                continue
            if isinstance(default, ast.Call) and terminal(default.func) in {
                "Depends",
                "Security",
                "Query",
                "Path",
                "Header",
                "Cookie",
            }:
                continue
            names.update(n.id for n in ast.walk(arg.annotation) if isinstance(n, ast.Name))
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call) and terminal(decorator.func) in _INPUT_DECORATORS:
                names.update(n.id for a in decorator.args for n in ast.walk(a) if isinstance(n, ast.Name))
        if _reads_body(function):
            for call in ast.walk(function):
                if isinstance(call, ast.Call):
                    names.update(n.id for n in ast.walk(call.func) if isinstance(n, ast.Name))
    return names


def _validating_helpers(
    project: Project, source: Source, function: ast.AST, allowed: Callable[[str], bool]
) -> set[str]:
    """Names of the functions ``function`` calls (one call deep) that themselves call a schema.

    ``data = parse_note(request.get_json())`` validates when ``parse_note``
    (of the module, or imported from the project) calls a name its own
    module imports from the schema modules (or the library).
    """
    out: set[str] = set()
    homes = {id(s.tree): s for s in sources(project)}
    for call in ast.walk(function):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        helper = function_named(project, source, call.func)
        if helper is None or helper is function:
            continue
        home = next((s for s in homes.values() if helper in s.tree.body), source)
        names = {local for local, target in import_bindings(home).items() if allowed(target)}
        if any(isinstance(n, ast.Call) and _mentions(n.func, names) for n in ast.walk(helper)):
            out.add(call.func.id)
    return out


def _reads_body(function: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in _BODY_ATTRS
        and (dotted(node.value) or "").split(".")[-1] in {"request", "req"}
        for node in ast.walk(function)
    )


def _bare_body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    for arg in [*function.args.args, *function.args.kwonlyargs]:
        annotation = arg.annotation
        if annotation is None:
            continue
        if isinstance(annotation, ast.Subscript) and terminal(annotation.value) == "Annotated":
            inner = annotation.slice.elts[0] if isinstance(annotation.slice, ast.Tuple) else annotation.slice
            annotation = inner
        base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
        if terminal(base) in _BARE:
            return arg.lineno
    return None


_PIPE = re.compile(r"useGlobalPipes\s*\(\s*new\s+\w*Pipe\b|@UsePipes\s*\(\s*(?:new\s+)?\w*Pipe\b|\bAPP_PIPE\b")


def _dto_classes(project: Project, packages: tuple[str, ...]) -> dict[tuple[str, str], int]:
    """DTO classes, (file, class) -> line: classes with a property decorated from the library (class-validator)."""
    out: dict[tuple[str, str], int] = {}
    for js in js_sources(project):
        if is_test_file(js.path):
            continue
        names = {n for i in project.imports(js.path) if module_in_any(i.module, packages) for n in i.names}
        if not names:
            continue
        tokens = js.tokens
        current: tuple[str, int] | None = None
        for i, token in enumerate(tokens[:-1]):
            if token.value == "class" and tokens[i + 1].kind == "name":
                current = (tokens[i + 1].value, tokens[i + 1].line)
            elif token.value == "@" and tokens[i + 1].value in names and current is not None:
                out.setdefault((js.path, current[0]), current[1])
    return out


def _nest_bodies(
    project: Project, route_files: set[str], dtos: set[str], library: str, context: Context
) -> tuple[list[Finding], int]:
    """NestJS ``@Body() x: Dto`` parameters: typed by a DTO of the library, with a ValidationPipe in force."""
    findings: list[Finding] = []
    handlers = 0
    piped = any(_PIPE.search(project.text(p) or "") for p in project.js_files if not is_test_file(p))
    for js in js_sources(project):
        if is_test_file(js.path) or js.path not in route_files:
            continue
        tokens = js.tokens
        for i in range(len(tokens) - 2):
            if not (tokens[i].value == "@" and tokens[i + 1].value == "Body" and tokens[i + 2].value == "("):
                continue
            handlers += 1
            depth, k = 0, i + 2
            while k < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[k].value, 0) if tokens[k].kind == "punct" else 0
                k += 1
                if depth == 0:
                    break
            arg_pipe = any(t.value.endswith("Pipe") for t in tokens[i + 3 : k])
            k += 1  # the parameter's name
            while k < len(tokens) and tokens[k].value in {"?", "!"}:
                k += 1
            dto = tokens[k + 1].value if k + 1 < len(tokens) and tokens[k].value == ":" else None
            line = tokens[i + 1].line
            if dto not in dtos:
                findings.append(
                    context.failed(
                        f"`{js.path}` takes a request body typed {dto or 'nothing'}, not a {library} DTO",
                        evidence(project, js.path, line),
                        f"Type the @Body() parameter with a DTO class whose properties carry {library} decorators.",
                    )
                )
            elif not (piped or arg_pipe):
                findings.append(
                    context.failed(
                        f"`{js.path}` takes the DTO {dto}, but no ValidationPipe is in force: its {library} "
                        "decorators are never run",
                        evidence(project, js.path, line),
                        "Add `app.useGlobalPipes(new ValidationPipe())` or `@UsePipes(new ValidationPipe())`.",
                    )
                )
    return findings, handlers


def check_validation_pattern(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:  # noqa: PLR0915  # three rules, read in one place
    """Check the library is used, schemas live in ``modules`` and handlers validate bodies."""
    library = str(params["library"])
    packages = _PACKAGES.get(library.lower(), (library,))
    modules: list[str] = list(params.get("modules", ()))
    files = [p for p in (*project.python_files, *project.js_files) if not is_test_file(p)]
    if not files:
        return [context.unchecked("no Python or JS/TS sources to check")]
    findings: list[Finding] = []
    users = [i for p in files for i in project.imports(p) if module_in_any(i.module, packages)]
    if not users:
        return [
            context.failed(
                f"no source imports {library} ({', '.join(packages)})",
                anchor(project, f"(no import of {library})"),
                hint=f"Define the request schemas with {library}" + (f" in {join(modules)}." if modules else "."),
            )
        ]
    # 2. schema classes outside the modules
    js_schemas: list[tuple[str, int]] = []  # (file, line) of each JS `z.object(...)`/`Joi.object(...)` schema
    for js in js_sources(project):
        if is_test_file(js.path):
            continue
        local = {
            name
            for item in project.imports(js.path)
            if module_in_any(item.module, packages)
            for name in (item.names or ("z", "Joi", "yup"))
        }
        toks = js.tokens
        js_schemas += [
            (js.path, t.line)
            for i, t in enumerate(toks[:-2])
            if t.value in local and toks[i + 1].value == "." and toks[i + 2].value == "object"
        ]
    dtos = _dto_classes(project, packages)  # NestJS DTOs are schemas too: they live in `modules`
    js_schemas += [(path, line) for (path, _name), line in dtos.items()]
    schema_classes: dict[str, tuple[str, int]] = {}
    python = [s for s in sources(project) if not is_test_file(s.path)]
    bindings = {s.path: import_bindings(s) for s in python}
    changed = True
    classes = [(s, node) for s in python for node in s.nodes(ast.ClassDef)]
    nested = {(s.path, inner.lineno) for s, node in classes for inner in node.body if isinstance(inner, ast.ClassDef)}
    settings_classes: set[str] = set()
    while changed:
        changed = False
        for source, node in classes:
            if node.name in schema_classes:
                continue
            for base in node.bases:
                name = dotted(base) or ""
                head = name.split(".")[0]
                bound = bindings[source.path].get(head, "")
                if any(module_in(bound, pkg) for pkg in packages) or terminal(base) in schema_classes:
                    schema_classes[node.name] = (source.path, node.lineno)
                    if terminal(base) in _SETTINGS_BASES or terminal(base) in settings_classes:
                        settings_classes.add(node.name)
                    changed = True
                    break
    if modules:
        used = _request_schema_names(project, python, bindings)
        route_files = {r.file for r in routes(project)}
        for name, (path, line) in sorted(schema_classes.items(), key=lambda item: item[1]):
            if name in settings_classes or (path, line) in nested:
                continue  # settings and inner `Config` classes validate no request
            if not in_any(path, modules) and (path in route_files or name in used):
                findings.append(
                    context.failed(
                        f"{library} schema {name} is defined in `{path}`, outside {join(modules)}",
                        evidence(project, path, line),
                        f"Move {name} to {join(modules)}.",
                    )
                )
        reported: set[str] = set()
        for path, line in js_schemas:
            if in_any(path, modules) or path in reported:
                continue
            reported.add(path)
            findings.append(
                context.failed(
                    f"{library} schema defined in `{path}`, outside {join(modules)}",
                    evidence(project, path, line),
                    f"Move the schema to {join(modules)} and import it.",
                )
            )
    # 3. handlers that read the body without the schemas
    by_path = {s.path: s for s in python}
    seen: set[tuple[str, int]] = set()
    handlers = 0
    for route in routes(project):
        handler_source = by_path.get(route.file)
        if handler_source is None:
            continue
        function = handler_at(project, handler_source, route.line)
        if function is None or (route.file, function.lineno) in seen:
            continue
        seen.add((route.file, function.lineno))
        handlers += 1

        def allowed(target: str) -> bool:
            if modules:
                return any(module_in(target, _spec_module(m)) for m in modules)
            return any(module_in(target, pkg) for pkg in packages)

        allowed_names = {local for local, target in bindings[route.file].items() if allowed(target)}
        helpers = _validating_helpers(project, handler_source, function, allowed)
        body_line = _unvalidated_body(function, allowed_names | helpers)
        if body_line is not None:
            findings.append(
                context.failed(
                    f"handler {function.name} in `{route.file}` reads the request body without a {library} schema",
                    evidence(project, route.file, body_line),
                    f"Load the body through a {library} schema" + (f" from {join(modules)}." if modules else "."),
                )
            )
        elif route.method in {"POST", "PUT", "PATCH"}:
            bare = _bare_body(function)
            if (
                bare is not None
                and any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) for d in function.decorator_list)
                and "fastapi" in {t.split(".")[0] for t in bindings[route.file].values()}
            ):
                findings.append(
                    context.failed(
                        f"handler {function.name} in `{route.file}` takes an unvalidated body (dict/Any)",
                        evidence(project, route.file, bare),
                        f"Annotate the body with a {library} model" + (f" from {join(modules)}." if modules else "."),
                    )
                )
    route_files = {r.file for r in routes(project)}
    nest_findings, nest_handlers = _nest_bodies(project, route_files, {n for _p, n in dtos}, library, context)
    findings += nest_findings
    handlers += nest_handlers
    for js in js_sources(project):
        if is_test_file(js.path) or js.path not in route_files:
            continue
        tokens = js.tokens
        body_line = next(
            (
                t.line
                for i, t in enumerate(tokens[:-3])
                if t.value in {"req", "request"}
                and tokens[i + 1].value == "."
                and (
                    tokens[i + 2].value == "body"  # Express req.body, Koa ctx.request.body, Fastify request.body
                    or (tokens[i + 2].value in _JS_BODY_CALLS and tokens[i + 3].value == "(")  # Hono c.req.json()
                )
            ),
            None,
        )
        if body_line is None:
            continue
        handlers += 1
        imported = [
            i
            for i in project.imports(js.path)
            if (modules and i.target is not None and in_any(i.target, modules))
            or (not modules and module_in_any(i.module, packages))
        ]
        if not imported:
            findings.append(
                context.failed(
                    f"`{js.path}` reads req.body without a {library} schema",
                    evidence(project, js.path, body_line),
                    f"Validate req.body with a {library} schema" + (f" from {join(modules)}." if modules else "."),
                )
            )
    if findings:
        return findings
    return [
        context.passed(
            f"{library} is used; {len(schema_classes) + len(js_schemas)} schemas"
            + (
                f" ({sum(in_any(p, modules) for p, _ in [*schema_classes.values(), *js_schemas])} in {join(modules)})"
                if modules
                else ""
            )
            + f"; {handlers} handlers validate what they read"
        )
    ]


CHECK = Check("validation-pattern", check_validation_pattern, "Request bodies are validated by the named library.")
