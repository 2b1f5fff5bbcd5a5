"""Constraint kinds: what a constraint's ``params`` mean and how it reads.

Every :class:`~cdspec.Constraint` has a ``kind``. A :class:`Kind` gives the
JSON Schema its ``params`` must satisfy (checked when a task is loaded) and
the default sentence a prompt states when the constraint has no ``text`` of
its own. A :class:`KindRegistry` is an immutable set of kinds;
:data:`BUILTIN_KINDS` holds cdspec's, and users extend it without touching
cdspec::

    kinds = cdspec.BUILTIN_KINDS.with_kinds(
        cdspec.Kind(
            "no-print",
            params_schema={"type": "object", "properties": {"paths": {"type": "array"}}},
            template="Never call print() in {paths}.",
        )
    )
    task = cdspec.load_task("task.yaml", kinds=kinds)

Templates are logic-less: ``{name}`` is replaced by the parameter's value
(lists joined with commas), nothing else is evaluated, so a task file can
never run code through a template. Kinds whose parameters need more than
that (the data model, say) describe themselves with a Python function.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._frozen import JSON, FrozenDict, freeze
from .errors import DuplicateKindError, Problem, UnknownKindError

__all__ = ["BUILTIN_KINDS", "Kind", "KindRegistry", "fill_template"]

Describe = Callable[[Mapping[str, Any]], str]

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*$")


def _format_value(value: JSON) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_format_value(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_format_value(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _check_field(field: str, spec: str | None, conversion: str | None) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", field) or spec or conversion:
        shown = field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        raise ValueError(f"template field {{{shown}}} is not allowed: use plain {{name}} fields")


def _template_fields(template: str) -> list[str]:
    """The field names of a logic-less template; ``ValueError`` for anything else."""
    names = []
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is not None:
            _check_field(field, spec, conversion)
            names.append(field)
    return names


def fill_template(template: str, params: Mapping[str, Any]) -> str:
    """Fill ``{name}`` fields of ``template`` from ``params``.

    Only plain names are allowed (no attribute access, indexing, conversions
    or format specs); a name missing from ``params`` raises ``KeyError``
    naming it. ``{{`` and ``}}`` stand for literal braces.
    """
    out = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if field is None:
            continue
        _check_field(field, spec, conversion)
        if field not in params:
            raise KeyError(f"template field {{{field}}} has no parameter (params: {', '.join(sorted(params))})")
        out.append(_format_value(params[field]))
    return "".join(out)


def _check_template(instance: Kind, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, str):
        _template_fields(value)
    elif not callable(value):
        raise TypeError(f"Kind {instance.name!r}: template must be a string or a function of the params")


def _check_name(instance: Kind, attribute: attrs.Attribute[Any], value: str) -> None:
    if not _NAME.match(value):
        raise ValueError(f"kind name {value!r} must be lowercase words joined by '-' or '.' (like 'folder-layout')")


@attrs.frozen
class Kind:
    """A constraint kind: its name, the schema of its params, how it reads.

    ``template`` is a logic-less ``{name}`` string or a function from the
    params to a sentence. ``description`` documents the kind for people
    (``cdspec kinds`` lists it).
    """

    name: str = attrs.field(validator=_check_name)
    params_schema: FrozenDict = attrs.field(converter=freeze, factory=lambda: freeze({"type": "object"}))
    template: str | Describe = attrs.field(default="", validator=_check_template)
    description: str = ""

    def describe(self, params: Mapping[str, Any]) -> str:
        """The default sentence for a constraint of this kind with ``params``."""
        if callable(self.template):
            return self.template(params)
        return fill_template(self.template, params)

    def problems(self, params: JSON, *, pointer: str = "") -> list[Problem]:
        """Problems of ``params`` against this kind's schema, pointers under ``pointer``."""
        from ._schemas import schema_problems

        return schema_problems(self.params_schema, params, pointer=pointer)


@attrs.frozen
class KindRegistry:
    """An immutable set of kinds, looked up by name.

    Build new registries with :meth:`with_kinds`; nothing mutates in place,
    so a registry can be shared between threads and tasks.
    """

    _kinds: FrozenDict = attrs.field(factory=FrozenDict, alias="kinds")

    @classmethod
    def of(cls, kinds: Iterable[Kind]) -> KindRegistry:
        """A registry of ``kinds``; ``DuplicateKindError`` if a name repeats."""
        return cls().with_kinds(*kinds)

    def with_kinds(self, *kinds: Kind, replace: bool = False) -> KindRegistry:
        """A new registry with ``kinds`` added.

        A name already present raises :class:`DuplicateKindError` unless
        ``replace`` is true.
        """
        table = dict(self._kinds)
        for kind in kinds:
            if kind.name in table and not replace:
                raise DuplicateKindError(f"kind {kind.name!r} is already registered (pass replace=True to override it)")
            table[kind.name] = kind
        return KindRegistry(FrozenDict(sorted(table.items())))

    def __getitem__(self, name: str) -> Kind:
        try:
            kind: Kind = self._kinds[name]
        except KeyError:
            raise UnknownKindError(name, self._kinds) from None
        return kind

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds.values())

    def __len__(self) -> int:
        return len(self._kinds)

    @property
    def names(self) -> tuple[str, ...]:
        """The registered kind names, sorted."""
        return tuple(self._kinds)

    def sentence(self, kind: str, params: Mapping[str, Any], text: str | None = None) -> str:
        """What a prompt states for a constraint: its own ``text``, else its kind's sentence."""
        return text if text is not None else self[kind].describe(params)


# --------------------------------------------------------------------------- built-in kinds

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
_NONEMPTY_STRINGS = {**_STRINGS, "minItems": 1}


def _obj(properties: dict[str, Any], *, required: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


def _paths(items: Iterable[str]) -> str:
    """Code-quoted names joined for a sentence: `a`, `b` and `c`."""
    quoted = [f"`{i}`" for i in items]
    return " and ".join(filter(None, [", ".join(quoted[:-1]), *quoted[-1:]]))


def _alternatives(items: Iterable[str]) -> str:
    """`a`, `b` or `c`: accepted alternatives, the first preferred."""
    quoted = [f"`{i}`" for i in items]
    return " or ".join(filter(None, [", ".join(quoted[:-1]), *quoted[-1:]]))


def _describe_layout(p: Mapping[str, Any]) -> str:
    parts = []
    if p.get("layer_dirs"):
        dirs = "; ".join(f"{layer}: {_alternatives(aliases)}" for layer, aliases in p["layer_dirs"].items())
        parts.append(f"Put each architectural layer in its own directory ({dirs}).")
    if p.get("required"):
        parts.append(f"The project must contain {_paths(p['required'])}.")
    if p.get("forbidden"):
        parts.append(f"The project must not contain {_paths(p['forbidden'])}.")
    return " ".join(parts)


def _describe_layering(p: Mapping[str, Any]) -> str:
    names = [layer["name"] for layer in p["layers"]]
    order = " -> ".join(names)
    return f"Respect the layering {order}: a layer may import only the layers after it, never one before it."


def _describe_forbidden(p: Mapping[str, Any]) -> str:
    where = f" in {_paths(p['in'])}" if p.get("in") else ""
    return f"Do not import {_paths(p['modules'])}{where}."


def _describe_data_path(p: Mapping[str, Any]) -> str:
    return (
        f"Only {_paths(p['modules'])} may talk to the database (sessions, engines, drivers); "
        "everything else goes through them."
    )


def _describe_raw_sql(p: Mapping[str, Any]) -> str:
    allowed = p.get("allowed_in") or []
    if allowed:
        return f"Do not write raw SQL outside {_paths(allowed)}; use the ORM's query API."
    return "Do not write raw SQL anywhere; use the ORM's query API."


_ENGINE_NAMES = {
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "mssql": "Microsoft SQL Server",
    "oracle": "Oracle Database",
    "mongodb": "MongoDB",
}


def _describe_engine(p: Mapping[str, Any]) -> str:
    url = f" (its URL in the `{p['url_env']}` environment variable)" if p.get("url_env") else ""
    return f"Store data in {_ENGINE_NAMES[p['engine']]}{url} and in no other database engine."


def _describe_entity(entity: Mapping[str, Any]) -> str:
    fields = ", ".join(
        f"{f['name']} ({f['type']}{', required' if f.get('required') else ''}"
        f"{', unique' if f.get('unique') else ''}{', primary key' if f.get('primary_key') else ''})"
        for f in entity.get("fields", [])
    )
    relations = "; ".join(f"{r['kind']} {r['target']} as {r['name']}" for r in entity.get("relations", []))
    return f"{entity['name']}: {fields}" + (f"; relations: {relations}" if relations else "")


def _describe_model(p: Mapping[str, Any]) -> str:
    return "Model these entities: " + " | ".join(_describe_entity(e) for e in p["entities"]) + "."


def _describe_orm(p: Mapping[str, Any]) -> str:
    style = f" ({p['style']} style)" if p.get("style") else ""
    if p["orm"] == "framework-default":  # the verifier maps it to the target framework's ORM
        return f"Use the framework's standard ORM{style} for all persistence."
    return f"Use the `{p['orm']}` ORM{style} for all persistence."


def _describe_validation(p: Mapping[str, Any]) -> str:
    where = f" defined in {_paths(p['modules'])}" if p.get("modules") else ""
    return f"Validate every request body with `{p['library']}` schemas{where} before it reaches the service layer."


def _describe_migrations(p: Mapping[str, Any]) -> str:
    tool = f" ({p['tool']})" if p.get("tool") else ""
    return (
        f"Keep every existing migration in `{p['directory']}` unchanged{tool}; "
        "add a new migration for each model change."
    )


def _describe_tests(p: Mapping[str, Any]) -> str:
    pattern = f" named like `{p['pattern']}`" if p.get("pattern") else ""
    return f"Put the tests in `{p['directory']}`{pattern}."


def _describe_routes(p: Mapping[str, Any]) -> str:
    ignored = f" (except {_paths(p['ignore'])})" if p.get("ignore") else ""
    return f"Implement a route handler for every operation of the API contract{ignored}."


_LAYER_ITEM = _obj(
    {
        "name": {"type": "string", "minLength": 1, "description": "The layer's name, e.g. 'routes'."},
        "modules": {
            **_NONEMPTY_STRINGS,
            "description": "Modules (dotted, 'app.routes') or directories ('app/routes/') that make the layer.",
        },
    },
    required=["name", "modules"],
)

_ENTITY = _obj(
    {
        "name": {"type": "string", "minLength": 1},
        "table": {"type": "string", "minLength": 1},
        "fields": {
            "type": "array",
            "minItems": 1,
            "items": _obj(
                {
                    "name": {"type": "string", "minLength": 1},
                    "type": {
                        "type": "string",
                        "pattern": r"^(?:string|text|integer|number|decimal|boolean|date|datetime|time|uuid|json"
                        r"|binary|enum\([^()|]+(?:\|[^()|]+)*\))$",
                        "description": "A portable type: string, text, integer, number, decimal, boolean, date, "
                        "datetime, time, uuid, json, binary, or an enum written 'enum(a|b)'.",
                    },
                    "required": {"type": "boolean"},
                    "unique": {"type": "boolean"},
                    "primary_key": {"type": "boolean"},
                },
                required=["name", "type"],
            ),
        },
        "relations": {
            "type": "array",
            "items": _obj(
                {
                    "name": {"type": "string", "minLength": 1},
                    "target": {"type": "string", "minLength": 1},
                    "kind": {"enum": ["one-to-one", "one-to-many", "many-to-one", "many-to-many"]},
                },
                required=["name", "target", "kind"],
            ),
        },
    },
    required=["name", "fields"],
)

BUILTIN_KINDS = KindRegistry.of(
    [
        Kind(
            "folder-layout",
            _obj(
                {
                    "required": {**_STRINGS, "description": "Paths or globs that must exist."},
                    "forbidden": {**_STRINGS, "description": "Paths or globs that must not exist."},
                    "layer_dirs": {
                        "type": "object",
                        "description": "Architectural layer -> accepted directory names (first is preferred).",
                        "minProperties": 1,
                        "additionalProperties": _NONEMPTY_STRINGS,
                    },
                },
                minProperties=1,
            ),
            _describe_layout,
            "Files and directories that must or must not exist; one directory per architectural layer.",
        ),
        Kind(
            "import-layering",
            _obj(
                {
                    "layers": {
                        "type": "array",
                        "minItems": 2,
                        "items": _LAYER_ITEM,
                        "description": "Layers from top (may import everything below) to bottom.",
                    },
                    "allow_type_checking": {
                        "type": "boolean",
                        "description": "Ignore imports guarded by `if TYPE_CHECKING:` (default true).",
                    },
                },
                required=["layers"],
            ),
            _describe_layering,
            "An ordered list of layers; a lower layer never imports a higher one.",
        ),
        Kind(
            "forbidden-imports",
            _obj(
                {
                    "modules": {**_NONEMPTY_STRINGS, "description": "Modules that must not be imported."},
                    "in": {**_STRINGS, "description": "Where the rule applies (default: the whole project)."},
                },
                required=["modules"],
            ),
            _describe_forbidden,
            "Modules that must not be imported (anywhere, or in given modules).",
        ),
        Kind(
            "orm",
            _obj(
                {
                    "orm": {
                        "type": "string",
                        "minLength": 1,
                        "examples": [
                            "sqlalchemy",
                            "django",
                            "peewee",
                            "tortoise",
                            "sequelize",
                            "prisma",
                            "typeorm",
                            "framework-default",
                        ],
                    },
                    "style": {"type": "string", "minLength": 1, "description": "E.g. 'declarative', '2.0'."},
                },
                required=["orm"],
            ),
            _describe_orm,
            "Which ORM the project uses for persistence.",
        ),
        Kind(
            "single-data-path",
            _obj(
                {
                    "modules": {
                        **_NONEMPTY_STRINGS,
                        "description": "The only modules or directories that may use the ORM session/engine "
                        "or a database driver.",
                    },
                    "db_modules": {
                        **_STRINGS,
                        "description": "What counts as talking to the database (default: per ORM and language).",
                    },
                },
                required=["modules"],
            ),
            _describe_data_path,
            "Only the named modules talk to the database.",
        ),
        Kind(
            "no-raw-sql",
            _obj({"allowed_in": {**_STRINGS, "description": "Modules or directories where SQL is allowed."}}),
            _describe_raw_sql,
            "No SQL strings or text()/execute with literal SQL outside the allowed modules.",
        ),
        Kind(
            "database-engine",
            _obj(
                {
                    "engine": {"enum": ["sqlite", "postgresql", "mysql", "mariadb", "mssql", "oracle", "mongodb"]},
                    "url_env": {"type": "string", "minLength": 1, "description": "Env var holding the URL."},
                },
                required=["engine"],
            ),
            _describe_engine,
            "The database engine the project must use, and none other.",
        ),
        Kind(
            "data-model",
            _obj({"entities": {"type": "array", "minItems": 1, "items": _ENTITY}}, required=["entities"]),
            _describe_model,
            "Declared entities with their fields, types and relations.",
        ),
        Kind(
            "validation-pattern",
            _obj(
                {
                    "library": {
                        "type": "string",
                        "minLength": 1,
                        "examples": ["pydantic", "marshmallow", "zod", "joi", "django-forms"],
                    },
                    "modules": {**_STRINGS, "description": "Where the request schemas live."},
                },
                required=["library"],
            ),
            _describe_validation,
            "Request bodies are validated through the named library or module.",
        ),
        Kind(
            "migrations-preserved",
            _obj(
                {
                    "directory": {"type": "string", "minLength": 1},
                    "tool": {"type": "string", "minLength": 1, "examples": ["alembic", "django", "knex"]},
                },
                required=["directory"],
            ),
            _describe_migrations,
            "Baseline migrations stay unchanged; a new one is added when models change.",
        ),
        Kind(
            "tests-location",
            _obj(
                {"directory": {"type": "string", "minLength": 1}, "pattern": {"type": "string", "minLength": 1}},
                required=["directory"],
            ),
            _describe_tests,
            "Where the project's own tests live.",
        ),
        Kind(
            "routes-cover-contract",
            _obj({"ignore": {**_STRINGS, "description": "operationIds that need no handler."}}),
            _describe_routes,
            "Every contract operation has a route handler.",
        ),
    ]
)
"""cdspec's built-in constraint kinds."""
