"""Static analysis of JavaScript/TypeScript sources: Sequelize models, Express routes, SQL strings.

Works on the token stream of :func:`cdspec.verify._js.tokenize` (comments
dropped, strings decoded), never on raw text, so a ``require`` or a
``SELECT`` inside a comment is not seen. A small expression reader turns
object literals (``{type: DataTypes.STRING, allowNull: false}``) into
Python values; anything it does not understand is skipped, never raised.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from cdspec.verify._js import Token, tokenize
from cdspec.verify._python import (
    Column,
    Entity,
    Relation,
    Route,
    SqlHit,
    join_paths,
    looks_like_sql,
    split_unknown,
    unknown_prefix,
)

__all__ = ["JsSource", "js_entities", "js_routes", "js_sql_strings", "parse_value"]

_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "all")


@attrs.frozen
class JsSource:
    """One JS/TS file: its project path and its tokens.

    The checks build it from :meth:`cdspec.verify.Project.js_tokens`, so a
    file is tokenized once per project; :meth:`of` tokenizes a text of its
    own (for tests and standalone use).
    """

    path: str
    tokens: tuple[Token, ...]

    @classmethod
    def of(cls, path: str, text: str) -> JsSource:
        """Tokenize ``text`` (never raises)."""
        return cls(path, tuple(tokenize(text)))


@attrs.frozen
class Ref:
    """A name or member chain in an expression (``DataTypes.STRING``), with call arguments if called."""

    name: str
    args: tuple[Any, ...] | None = None


_SKIP = object()


def _is(tokens: Sequence[Token], i: int, kind: str, value: str | None = None) -> bool:
    return 0 <= i < len(tokens) and tokens[i].kind == kind and (value is None or tokens[i].value == value)


def _skip_balanced(tokens: Sequence[Token], i: int) -> int:
    """Index after the expression starting at ``i``, stopping at a top-level ``,`` or closing bracket."""
    depth = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "punct":
            if token.value in "([{":
                depth += 1
            elif token.value in ")]}":
                if depth == 0:
                    return i
                depth -= 1
            elif token.value in {",", ";"} and depth == 0:
                return i
        i += 1
    return i


def parse_value(tokens: Sequence[Token], i: int, depth: int = 0) -> tuple[Any, int]:  # noqa: PLR0915  # one branch per expression shape
    """Read one expression at ``i``: a dict, list, str, number, bool, :class:`Ref` or ``_SKIP``.

    Returns the value and the index after it. Never raises; what it cannot
    read is skipped up to the next ``,`` or closing bracket.
    """
    if i >= len(tokens) or depth > 50:
        return _SKIP, _skip_balanced(tokens, i)
    token = tokens[i]
    if token.kind == "string":
        return token.value, i + 1
    if token.kind == "number":
        return token.value, i + 1
    if token.kind == "punct" and token.value == "{":
        out: dict[str, Any] = {}
        i += 1
        while i < len(tokens) and not _is(tokens, i, "punct", "}"):
            key_token = tokens[i]
            if key_token.kind in {"name", "string", "number"} and (
                _is(tokens, i + 1, "punct", ":") or _is(tokens, i + 1, "punct", ",") or _is(tokens, i + 1, "punct", "}")
            ):
                key = key_token.value
                if _is(tokens, i + 1, "punct", ":"):
                    value, i = parse_value(tokens, i + 2, depth + 1)
                    out[key] = value
                else:  # shorthand {sequelize}
                    out[key] = Ref(key)
                    i += 1
            else:
                i = _skip_balanced(tokens, i)
            if _is(tokens, i, "punct", ","):
                i += 1
            elif not _is(tokens, i, "punct", "}"):
                i = _skip_balanced(tokens, i + 1)
                if _is(tokens, i, "punct", ","):
                    i += 1
        return out, i + 1
    if token.kind == "punct" and token.value == "[":
        items: list[Any] = []
        i += 1
        while i < len(tokens) and not _is(tokens, i, "punct", "]"):
            value, i = parse_value(tokens, i, depth + 1)
            items.append(value)
            if _is(tokens, i, "punct", ","):
                i += 1
            elif not _is(tokens, i, "punct", "]"):
                i = _skip_balanced(tokens, i + 1)
        return items, i + 1
    if token.kind == "name":
        if token.value in {"true", "false"} and not _is(tokens, i + 1, "punct", "."):
            return token.value == "true", i + 1
        if token.value == "new":
            value, j = parse_value(tokens, i + 1, depth + 1)
            return value, j
        parts = [token.value]
        j = i + 1
        while _is(tokens, j, "punct", ".") and _is(tokens, j + 1, "name"):
            parts.append(tokens[j + 1].value)
            j += 2
        if _is(tokens, j, "punct", "=>"):
            return _SKIP, _skip_balanced(tokens, j)
        args: tuple[Any, ...] | None = None
        if _is(tokens, j, "punct", "("):
            values: list[Any] = []
            j += 1
            while j < len(tokens) and not _is(tokens, j, "punct", ")"):
                value, j = parse_value(tokens, j, depth + 1)
                values.append(value)
                if _is(tokens, j, "punct", ","):
                    j += 1
                elif not _is(tokens, j, "punct", ")"):
                    j = _skip_balanced(tokens, j + 1)
            args = tuple(values)
            j += 1
        end = _skip_balanced(tokens, j)
        return Ref(".".join(parts), args), end
    return _SKIP, _skip_balanced(tokens, i)


def _args(tokens: Sequence[Token], i: int) -> tuple[list[Any], int]:
    """The arguments of a call whose ``(`` is at ``i``; and the index after ``)``."""
    values: list[Any] = []
    i += 1
    while i < len(tokens) and not _is(tokens, i, "punct", ")"):
        value, i = parse_value(tokens, i)
        values.append(value)
        if _is(tokens, i, "punct", ","):
            i += 1
        elif not _is(tokens, i, "punct", ")"):
            i = _skip_balanced(tokens, i + 1)
    return values, i + 1


# --------------------------------------------------------------------------- SQL


def js_sql_strings(source: JsSource) -> list[SqlHit]:
    """String and template literals holding SQL (see :func:`~cdspec.verify._python.looks_like_sql`)."""
    hits: dict[int, SqlHit] = {}
    tokens = source.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind in {"string", "template"}:
            # A template with substitutions comes in parts: join the parts of one literal with '?'.
            parts = [token.value]
            j = i + 1
            if token.kind == "template":
                gap = 0
                while j < len(tokens) and gap <= 30 and len(parts) < 200:
                    if tokens[j].kind == "template":
                        parts.append(tokens[j].value)
                        gap = 0
                    elif tokens[j].kind == "punct" and tokens[j].value == ";":
                        break
                    else:
                        gap += 1
                    j += 1
            text = "?".join(parts)
            if looks_like_sql(text):
                hits.setdefault(token.line, SqlHit(token.line, text[:200], "SQL string"))
            i = max(j, i + 1)
            continue
        i += 1
    return [hits[line] for line in sorted(hits)]


# --------------------------------------------------------------------------- Sequelize

_SEQUELIZE_TYPES = {
    "STRING": "string",
    "CHAR": "string",
    "CITEXT": "string",
    "TEXT": "text",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "SMALLINT": "integer",
    "TINYINT": "integer",
    "MEDIUMINT": "integer",
    "FLOAT": "number",
    "DOUBLE": "number",
    "REAL": "number",
    "DECIMAL": "decimal",
    "BOOLEAN": "boolean",
    "DATEONLY": "date",
    "DATE": "datetime",
    "TIME": "time",
    "UUID": "uuid",
    "UUIDV4": "uuid",
    "JSON": "json",
    "JSONB": "json",
    "BLOB": "binary",
    "ENUM": "enum",
}

_ASSOCIATIONS = {"hasMany": "one-to-many", "belongsTo": "many-to-one", "hasOne": "one-to-one",
                 "belongsToMany": "many-to-many"}  # fmt: skip


def _sequelize_type(value: Any) -> tuple[str | None, tuple[str, ...] | None]:
    if isinstance(value, Ref):
        name = value.name.split(".")[-1]
        ctype = _SEQUELIZE_TYPES.get(name)
        if ctype == "enum":
            values = tuple(v for v in value.args or () if isinstance(v, str)) or None
            return "enum", values
        return ctype, None
    return None, None


def _column(name: str, spec: Any, line: int, text: str) -> Column:
    if isinstance(spec, dict):
        ctype, values = _sequelize_type(spec.get("type"))
        if ctype == "enum" and values is None and isinstance(spec.get("values"), list):
            values = tuple(v for v in spec["values"] if isinstance(v, str))
        primary = spec.get("primaryKey") is True
        allow_null = spec.get("allowNull")
        references = spec.get("references")
        foreign: str | None = None
        if isinstance(references, dict):
            model = references.get("model")
            foreign = model if isinstance(model, str) else ("@" + model.name) if isinstance(model, Ref) else None
        return Column(
            name,
            ctype,
            line,
            text,
            values,
            nullable=False if primary else (allow_null if isinstance(allow_null, bool) else True),
            unique=spec.get("unique") is True or primary,
            primary_key=primary,
            foreign_key=foreign,
        )
    ctype, values = _sequelize_type(spec)
    return Column(name, ctype, line, text, values, nullable=True)


def _line(lines: Sequence[str], line: int) -> str:
    return lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""


def _key_lines(tokens: Sequence[Token], start: int, keys: Iterable[str]) -> dict[str, int]:
    """The line of each top-level key of the object literal at ``start``."""
    wanted = set(keys)
    found: dict[str, int] = {}
    depth = 0
    i = start
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "punct" and token.value in "([{":
            depth += 1
        elif token.kind == "punct" and token.value in ")]}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1 and token.value in wanted and _is(tokens, i + 1, "punct", ":"):
            found.setdefault(token.value, token.line)
        i += 1
    return found


def _plural(name: str) -> str:
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        return name[:-1] + "ies"
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    return name + "s"


def js_entities(sources: Iterable[JsSource], texts: Mapping[str, Sequence[str]] | None = None) -> list[Entity]:  # noqa: PLR0915  # one pass, one branch per declaration form
    """Sequelize models: ``sequelize.define('Book', {...}, {...})`` and ``Book.init({...}, {...})``.

    Associations (``A.hasMany(B, {as: 'loans'})``, ``belongsTo``, ``hasOne``,
    ``belongsToMany``) become relations of ``A`` named by ``as`` (default:
    the target's name, pluralised for the to-many kinds, first letter lower case).
    Implicit columns: ``id`` (integer primary key) unless one is declared,
    and the timestamps unless ``timestamps: false`` (``created_at`` with
    ``underscored: true``, else ``createdAt``).
    """
    texts = texts or {}
    models: dict[str, dict[str, Any]] = {}  # JS variable (or model name) -> record
    associations: list[tuple[str, str, str, str | None, int, str]] = []
    for source in sources:
        tokens = source.tokens
        lines = texts.get(source.path, ())
        current_class = ""  # `this` in `static associate() { this.belongsTo(...) }` (sequelize-cli models)
        for i, token in enumerate(tokens):
            if token.kind != "name":
                continue
            if token.value == "class" and _is(tokens, i + 1, "name"):
                current_class = tokens[i + 1].value
            if token.value == "define" and _is(tokens, i - 1, "punct", ".") and _is(tokens, i + 1, "punct", "("):
                args, _ = _args(tokens, i + 1)
                if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
                    continue
                var = tokens[i - 4].value if _is(tokens, i - 3, "punct", "=") and _is(tokens, i - 4, "name") else None
                attrs_start = _attrs_start(tokens, i + 1)
                options = args[2] if len(args) > 2 else {}
                record = _record(args[0], args[1], options, path=source.path, line=token.line, tokens=tokens,
                                 attrs_start=attrs_start, lines=lines)  # fmt: skip
                models[args[0]] = record
                if var:
                    models.setdefault(var, record)
            elif token.value == "init" and _is(tokens, i - 1, "punct", ".") and _is(tokens, i - 2, "name"):
                if not _is(tokens, i + 1, "punct", "("):
                    continue
                args, _ = _args(tokens, i + 1)
                if not args or not isinstance(args[0], dict):
                    continue
                options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
                name = options.get("modelName") if isinstance(options.get("modelName"), str) else tokens[i - 2].value
                record = _record(str(name), args[0], options, path=source.path, line=token.line, tokens=tokens,
                                 attrs_start=i + 2, lines=lines)  # fmt: skip
                models[str(name)] = record
                models.setdefault(tokens[i - 2].value, record)
            elif (
                token.value in _ASSOCIATIONS
                and _is(tokens, i - 1, "punct", ".")
                and _is(tokens, i - 2, "name")
                and _is(tokens, i + 1, "punct", "(")
            ):
                args, _ = _args(tokens, i + 1)
                if not args or not isinstance(args[0], Ref):
                    continue
                options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
                alias = options.get("as") if isinstance(options.get("as"), str) else None
                owner_var = tokens[i - 2].value
                if owner_var == "this" and current_class:
                    owner_var = current_class
                associations.append(
                    (owner_var, args[0].name.split(".")[-1], token.value, alias, token.line, source.path)
                )
    entities: dict[str, Entity] = {}
    records = {id(r): r for r in models.values()}
    for record in records.values():
        entities[record["name"]] = record["entity"]
    for owner_var, target_var, method, alias, line, path in associations:
        owner = models.get(owner_var)
        target = models.get(target_var)
        if owner is None:
            continue
        target_name = target["name"] if target is not None else target_var
        kind = _ASSOCIATIONS[method]
        name = alias
        if name is None:
            default = _plural(target_name) if kind in {"one-to-many", "many-to-many"} else target_name
            name = default[:1].lower() + default[1:]
        entity = entities[owner["name"]]
        text = _line(texts.get(path, ()), line)
        relation = Relation(name, target_name, line, text, kind=kind)
        entities[owner["name"]] = attrs.evolve(entity, relations=(*entity.relations, relation))
    return sorted(entities.values(), key=lambda e: (e.path, e.line, e.name))


def _attrs_start(tokens: Sequence[Token], open_paren: int) -> int:
    """Index of the second argument's ``{`` of ``define('X', {``."""
    i = open_paren + 1
    while i < len(tokens) and not _is(tokens, i, "punct", "{"):
        i += 1
    return i


def _record(
    name: str,
    attributes: dict[str, Any],
    options: Any,
    *,
    path: str,
    line: int,
    tokens: Sequence[Token],
    attrs_start: int,
    lines: Sequence[str],
) -> dict[str, Any]:
    options = options if isinstance(options, dict) else {}
    key_lines = _key_lines(tokens, attrs_start, attributes)
    columns = [
        _column(key, spec, key_lines.get(key, line), _line(lines, key_lines.get(key, line)))
        for key, spec in attributes.items()
    ]
    if not any(c.primary_key for c in columns):
        columns.insert(0, Column("id", "integer", line, _line(lines, line), nullable=False, unique=True,
                                 primary_key=True))  # fmt: skip
    if options.get("timestamps") is not False:
        underscored = options.get("underscored") is True
        for stamp in ("created_at", "updated_at") if underscored else ("createdAt", "updatedAt"):
            if not any(c.name == stamp for c in columns):
                columns.append(Column(stamp, "datetime", line, _line(lines, line), nullable=False))
    table = options.get("tableName") if isinstance(options.get("tableName"), str) else _plural(name)
    entity = Entity(name, table, path, line, tuple(columns), (), "sequelize")
    return {"name": name, "entity": entity}


# --------------------------------------------------------------------------- Express


#: The local name given to a router exported as ``export default Router()...``.
_DEFAULT = "<default export>"


def _router_factory(tokens: Sequence[Token], j: int) -> tuple[str, int] | None:
    """At ``j``, ``express()``, ``Router()``, ``express.Router()``, ``new Router()`` or ``new Hono()``:
    (kind, index of its closing parenthesis); else None."""
    if _is(tokens, j, "name", "new"):
        j += 1
    if _is(tokens, j, "name", "express") and _is(tokens, j + 1, "punct", "(") and _is(tokens, j + 2, "punct", ")"):
        return "app", j + 2
    for k in range(j, min(j + 8, len(tokens) - 1)):  # Router(), express.Router(), require('express').Router()
        if _is(tokens, k, "punct", ";") or _is(tokens, k, "punct", "=>"):
            break
        if _is(tokens, k, "name", "Router") and _is(tokens, k + 1, "punct", "("):
            return "router", _skip_balanced(tokens, k + 2)
    if _is(tokens, j, "name", "Hono") and (_is(tokens, j + 1, "punct", "(") or _is(tokens, j + 1, "punct", "<")):
        k = j + 1
        while k < len(tokens) and not _is(tokens, k, "punct", "("):
            k += 1
        return "hono", _skip_balanced(tokens, k + 1)
    if _is(tokens, j, "name") and tokens[j].value in {"Fastify", "fastify"} and _is(tokens, j + 1, "punct", "("):
        return "fastify", _skip_balanced(tokens, j + 2)
    return None


def _option(tokens: Sequence[Token], start: int, end: int, key: str) -> str | None:
    """The string value of ``key: '...'`` between ``start`` and ``end`` (a factory's or plugin's options)."""
    for k in range(start, min(end, len(tokens) - 2)):
        if _is(tokens, k, "name", key) and _is(tokens, k + 1, "punct", ":") and _is(tokens, k + 2, "string"):
            return tokens[k + 2].value
    return None


def _string_constants(tokens: Sequence[Token]) -> dict[str, str]:
    """``const NAME = 'text'`` (also ``let``/``var``) of a file: NAME -> text."""
    return {
        tokens[i + 1].value: tokens[i + 3].value
        for i in range(len(tokens) - 4)
        if tokens[i].value in {"const", "let", "var"}
        and _is(tokens, i + 1, "name")
        and _is(tokens, i + 2, "punct", "=")
        and _is(tokens, i + 3, "string")
        and (_is(tokens, i + 4, "punct", ";") or not _is(tokens, i + 4, "punct"))
    }


_PREFIXISH = ("prefix", "path", "base", "url", "root", "mount")


def _prefix_like(token: Token, constants: Mapping[str, str]) -> bool:
    """Whether the first argument of ``use(x, router)`` is a path: a string constant, a template literal,
    or a name that reads as one (``API_PREFIX``, ``basePath``); other names are middleware."""
    if token.kind == "template":
        return True
    if token.kind != "name":
        return False
    return token.value in constants or token.value.isupper() or any(w in token.value.lower() for w in _PREFIXISH)


def _member_expression(tokens: Sequence[Token], k: int) -> bool:
    """``a.b.c`` (names and dots only, at least one dot) from ``k``, followed by ``,``."""
    end = _skip_balanced(tokens, k)
    part = tokens[k:end]
    return (
        len(part) >= 3
        and _is(tokens, end, "punct", ",")
        and all(t.kind == "name" if n % 2 == 0 else t.value == "." for n, t in enumerate(part))
    )


def _plugin_param(tokens: Sequence[Token], local: str) -> str | None:
    """The first parameter of the function ``local`` of a file (``_DEFAULT``: the anonymous default export).

    ``function NAME(app, opts)``, ``NAME = async (app) =>``, ``NAME = async function (app)``,
    ``export default async function (app)``, ``module.exports = async (app) =>``: a Fastify plugin.
    """
    for i, token in enumerate(tokens):
        if local == _DEFAULT:
            named = (token.value == "default" and _is(tokens, i - 1, "name", "export")) or (
                token.value == "exports" and _is(tokens, i - 2, "name", "module") and _is(tokens, i + 1, "punct", "=")
            )
        else:
            named = token.value == local and (
                _is(tokens, i - 1, "name", "function") or _is(tokens, i + 1, "punct", "=")
            )
        if not (token.kind == "name" and named):
            continue
        k = i + 1
        for _ in range(6):  # `=`, `async`, `function`, a name, then `(`
            if _is(tokens, k, "punct", "("):
                return tokens[k + 1].value if _is(tokens, k + 1, "name") else None
            k += 1
    return None


def _exported(tokens: Sequence[Token]) -> dict[str, str]:
    """Export name -> local variable: ``module.exports = x`` / ``export default x`` give ``default``."""
    out: dict[str, str] = {}
    for i, token in enumerate(tokens):
        if token.kind != "name":
            continue
        if (
            token.value == "module"
            and _is(tokens, i + 1, "punct", ".")
            and _is(tokens, i + 2, "name", "exports")
            and _is(tokens, i + 3, "punct", "=")
        ):
            if _is(tokens, i + 4, "name") and not _is(tokens, i + 5, "punct", "("):
                out["default"] = tokens[i + 4].value
            elif _is(tokens, i + 4, "punct", "{"):
                value, _ = parse_value(tokens, i + 4)
                if isinstance(value, dict):
                    for key, item in value.items():
                        if isinstance(item, Ref):
                            out[key] = item.name
        elif token.value == "exports" and _is(tokens, i + 1, "punct", ".") and _is(tokens, i + 3, "punct", "="):
            if _is(tokens, i + 4, "name") and not _is(tokens, i - 1, "punct", "."):
                out[tokens[i + 2].value] = tokens[i + 4].value
        elif token.value == "export" and _is(tokens, i + 1, "name", "default") and _is(tokens, i + 2, "name"):
            k = i + 3 if tokens[i + 2].value == "async" else i + 2
            if _is(tokens, k, "name", "function"):  # export default [async] function [NAME](...)
                out["default"] = tokens[k + 1].value if _is(tokens, k + 1, "name") else _DEFAULT
            elif k != i + 2 or _router_factory(tokens, i + 2) is not None:  # async arrow, or a router made here
                out["default"] = _DEFAULT
            else:
                out["default"] = tokens[i + 2].value
        elif (
            token.value == "export"
            and _is(tokens, i + 1, "name")
            and tokens[i + 1].value in {"const", "let", "var"}
            and _is(tokens, i + 2, "name")
        ):
            out[tokens[i + 2].value] = tokens[i + 2].value
    return out


def js_bindings(tokens: Sequence[Token]) -> dict[str, tuple[str, str]]:
    """Local name -> (specifier, export name) for ``require`` and ``import`` bindings."""
    out: dict[str, tuple[str, str]] = {}
    for i, token in enumerate(tokens):
        if token.kind != "name":
            continue
        if token.value == "require" and _is(tokens, i + 1, "punct", "(") and _is(tokens, i + 2, "string"):
            spec = tokens[i + 2].value
            if _is(tokens, i - 1, "punct", "=") and _is(tokens, i - 2, "name"):
                out[tokens[i - 2].value] = (spec, "default")
            elif _is(tokens, i - 1, "punct", "=") and _is(tokens, i - 2, "punct", "}"):
                k = i - 3
                while k >= 0 and not _is(tokens, k, "punct", "{"):
                    if _is(tokens, k, "name") and not _is(tokens, k - 1, "punct", ":"):
                        exported = tokens[k - 2].value if _is(tokens, k - 1, "punct", ":") else tokens[k].value
                        out[tokens[k].value] = (spec, exported)
                    elif _is(tokens, k, "name"):
                        out[tokens[k].value] = (spec, tokens[k - 2].value)
                    k -= 1
        elif token.value == "import" and _is(tokens, i + 1, "name") and _is(tokens, i + 2, "name", "from"):
            if _is(tokens, i + 3, "string"):
                out[tokens[i + 1].value] = (tokens[i + 3].value, "default")
        elif token.value == "import" and _is(tokens, i + 1, "punct", "{"):
            k = i + 2
            names: list[tuple[str, str]] = []
            while k < len(tokens) and not _is(tokens, k, "punct", "}"):
                if _is(tokens, k, "name") and _is(tokens, k + 1, "name", "as") and _is(tokens, k + 2, "name"):
                    names.append((tokens[k + 2].value, tokens[k].value))
                    k += 3
                    continue
                if _is(tokens, k, "name"):
                    names.append((tokens[k].value, tokens[k].value))
                k += 1
            if _is(tokens, k + 1, "name", "from") and _is(tokens, k + 2, "string"):
                for local, exported in names:
                    out[local] = (tokens[k + 2].value, exported)
    return out


def js_routes(  # noqa: PLR0915  # one pass, one branch per call shape; closures share the tables
    sources: Iterable[JsSource],
    resolve: Callable[[str, str], str | None],
    texts: Mapping[str, Sequence[str]] | None = None,
) -> list[Route]:
    """Express routes with the prefixes of ``app.use('/prefix', router)``.

    Routes: ``X.get(path, ...)`` (also ``post``, ``put``, ``patch``,
    ``delete``, ``all`` as ``*``) and ``X.route(path).get(...).post(...)``
    where ``X`` is an ``express()`` app or an ``express.Router()``/``Router()``.
    Mounts: ``X.use('/prefix', Y)`` where ``Y`` is a router of the same file,
    one bound by ``require``/``import`` (resolved through ``resolve(path,
    specifier)`` to a project file and its ``module.exports``/``export
    default``), or ``require('./routes/x')`` inline.
    """
    sources = list(sources)
    texts = texts or {}
    routers: dict[tuple[str, str], str] = {}  # (path, var) -> 'app' | 'router' | 'hono'
    exports: dict[str, dict[str, str]] = {}
    bindings: dict[str, dict[str, tuple[str, str]]] = {}
    # mounts: child -> [(parent, prefix)]; filled by declarations (basePath) and by use()/route() calls
    mounts: dict[tuple[str, str], list[tuple[tuple[str, str], str]]] = {}
    aliases: dict[tuple[str, str], tuple[str, str]] = {}  # `export const pingRoute = app;`
    constants = {source.path: _string_constants(source.tokens) for source in sources}
    own: dict[tuple[str, str], str] = {}  # a router's own prefix (Hono `new Hono().basePath('/api')`)
    chains: list[tuple[str, tuple[str, str], int]] = []  # (file, owner, index of the factory's ')') to read on
    for source in sources:
        tokens = source.tokens
        exports[source.path] = _exported(tokens)
        bindings[source.path] = js_bindings(tokens)
        for i, token in enumerate(tokens):
            declared = token.kind == "name" and _is(tokens, i + 1, "punct", "=") and i + 2 < len(tokens)
            default = _is(tokens, i, "name", "export") and _is(tokens, i + 1, "name", "default")
            if not (declared or default):
                continue
            factory = _router_factory(tokens, i + 2)
            if factory is None:
                plain = declared and _is(tokens, i + 2, "name") and not _is(tokens, i + 3, "punct")
                if (plain or _is(tokens, i + 3, "punct", ";")) and (source.path, tokens[i + 2].value) in routers:
                    aliases[(source.path, token.value)] = (source.path, tokens[i + 2].value)  # const x = app;
                continue
            name = token.value if declared else _DEFAULT
            routers[(source.path, name)] = factory[0]
            prefix = _option(tokens, i + 2, factory[1], "prefix")  # koa-router: new Router({ prefix: '/api' })
            if prefix is not None:
                own[(source.path, name)] = prefix
            chains.append((source.path, (source.path, name), factory[1] + 1))

    def resolve_name(path: str, name: str, seen: int = 0) -> tuple[str, str] | None:
        if (path, name) in routers:
            return path, name
        if (path, name) in aliases:
            return aliases[(path, name)]
        bound = bindings.get(path, {}).get(name)
        if bound is None or seen > 10:
            return None
        target = resolve(path, bound[0])
        if target is None:
            return None
        local = exports.get(target, {}).get(bound[1])
        if local is None:
            return None
        return resolve_name(target, local, seen + 1)

    raw: list[tuple[tuple[str, str], str, str, str, int]] = []  # owner, method, path, file, line
    by_path = {source.path: source for source in sources}

    def plugin_router(path: str, name: str) -> tuple[str, str] | None:
        """A Fastify plugin ``name`` (of this file or imported): its first parameter becomes a router."""
        target, local = path, name
        bound = bindings.get(path, {}).get(name)
        if bound is not None:
            resolved = resolve(path, bound[0])
            if resolved is None or resolved not in by_path:
                return None
            target = resolved
            local = exports.get(resolved, {}).get(bound[1], bound[1] if bound[1] != "default" else _DEFAULT)
        param = _plugin_param(by_path[target].tokens, local) if target in by_path else None
        if param is None:
            return None
        routers.setdefault((target, param), "fastify")
        return target, param

    def child_of(path: str, tokens: Sequence[Token], k: int) -> tuple[str, str] | None:
        """The router an argument at ``k`` names: a name, ``require('./x')``, ``x.routes()``."""
        if _is(tokens, k, "name", "require") and _is(tokens, k + 2, "string"):
            target = resolve(path, tokens[k + 2].value)
            local = exports.get(target or "", {}).get("default")
            return resolve_name(target, local) if target and local else None
        if _is(tokens, k, "name"):
            return resolve_name(path, tokens[k].value)
        return None

    def mount(path: str, tokens: Sequence[Token], owner: tuple[str, str], method: str, i: int) -> None:
        """``owner.use([prefix,] ...routers)``, Hono ``owner.route(prefix, app)``, ``basePath``; ``i`` at ``(``."""
        prefix = ""
        k = i + 1
        if _is(tokens, k, "string") and _is(tokens, k + 1, "punct", ","):
            prefix = tokens[k].value
            k += 2
        elif _is(tokens, k + 1, "punct", ",") and _prefix_like(tokens[k], constants.get(path, {})):
            known = constants.get(path, {}).get(tokens[k].value) if tokens[k].kind == "name" else None
            what = tokens[k].value if tokens[k].kind == "name" else f"`{tokens[k].value}`"
            prefix = known if known is not None else unknown_prefix(f"`{what}` at {path}:{tokens[k].line}")
            k += 2
        elif _member_expression(tokens, k):  # use(config.apiPrefix, router), use(process.env.BASE, router)
            end = _skip_balanced(tokens, k)
            what = "".join(t.value for t in tokens[k:end])
            prefix = unknown_prefix(f"`{what}` at {path}:{tokens[k].line}")
            k = end + 1
        elif method != "use":
            return
        while k < len(tokens):
            child = child_of(path, tokens, k)
            if child is not None and child != owner:
                mounts.setdefault(child, []).append((owner, prefix))
            k = _skip_balanced(tokens, k)
            if not _is(tokens, k, "punct", ","):
                break
            k += 1

    def calls(path: str, tokens: Sequence[Token], owner: tuple[str, str], k: int, declared: bool = False) -> None:
        """Read ``.get(...)``, ``.use(...)``, ``.route(...)``, ``.basePath(...)`` chained from ``k``.

        ``declared``: the chain follows the factory call of a declaration, so a
        ``basePath`` there is the declared app's own prefix.
        """
        while _is(tokens, k, "punct", ".") and _is(tokens, k + 1, "name") and _is(tokens, k + 2, "punct", "("):
            method = tokens[k + 1].value
            if method == "basePath" and _is(tokens, k + 3, "string") and declared:
                own[owner] = join_paths(own.get(owner, ""), tokens[k + 3].value)
            elif method == "basePath" and _is(tokens, k + 3, "string"):
                based = (path, f"{owner[1]}@{tokens[k + 1].line}")
                routers[based] = routers.get(owner, "hono")
                mounts.setdefault(based, []).append((owner, tokens[k + 3].value))
                owner = based
            elif method == "register" and _is(tokens, k + 3, "name"):
                plugin = plugin_router(path, tokens[k + 3].value)
                end = _skip_balanced(tokens, k + 3)
                if plugin is not None and plugin != owner:
                    close = _skip_balanced(tokens, end + 1) if _is(tokens, end, "punct", ",") else end
                    prefix = _option(tokens, end, close, "prefix") or ""
                    mounts.setdefault(plugin, []).append((owner, prefix))
            elif method == "route" and _is(tokens, k + 3, "punct", "{"):  # fastify.route({ method, url })
                spec, _ = parse_value(tokens, k + 3)
                if isinstance(spec, dict) and isinstance(spec.get("url") or spec.get("path"), str):
                    verbs = spec.get("method")
                    for verb in verbs if isinstance(verbs, list) else [verbs]:
                        if isinstance(verb, str) and verb.lower() in _METHODS:
                            raw.append(
                                (
                                    owner,
                                    verb.lower(),
                                    str(spec.get("url") or spec.get("path")),
                                    path,
                                    tokens[k + 1].line,
                                )
                            )
            elif method in {"use", "route"} and not (method == "route" and _is(tokens, k + 4, "punct", ")")):
                mount(path, tokens, owner, method, k + 2)
            elif method in _METHODS and _is(tokens, k + 3, "string") and not _is(tokens, k + 4, "punct", ")"):
                raw.append((owner, method, tokens[k + 3].value, path, tokens[k + 1].line))
            elif method == "route" and _is(tokens, k + 3, "string"):
                route_path = tokens[k + 3].value
                j = k + 5
                while _is(tokens, j, "punct", ".") and _is(tokens, j + 1, "name") and _is(tokens, j + 2, "punct", "("):
                    if tokens[j + 1].value in _METHODS:
                        raw.append((owner, tokens[j + 1].value, route_path, path, tokens[j + 1].line))
                    j = _skip_balanced(tokens, j + 3) + 1
                k = j
                continue
            k = _skip_balanced(tokens, k + 3) + 1

    for source in sources:  # Fastify plugins first, so that their routes are read as routes below
        toks = source.tokens
        for i in range(1, len(toks) - 2):
            register = toks[i].value == "register" and _is(toks, i - 1, "punct", ".")
            if register and _is(toks, i + 1, "punct", "(") and _is(toks, i + 2, "name"):
                plugin_router(source.path, toks[i + 2].value)
    for file, head, k in chains:
        calls(file, by_path[file].tokens, head, k, declared=True)
    for source in sources:
        tokens = source.tokens
        for i, token in enumerate(tokens):
            if token.kind != "name" or not _is(tokens, i + 1, "punct", ".") or not _is(tokens, i + 2, "name"):
                continue
            if _is(tokens, i - 1, "punct", "."):
                continue
            owner = resolve_name(source.path, token.value)
            if owner is None:
                continue
            if _is(tokens, i - 1, "punct", "=") and _is(tokens, i - 2, "name") and tokens[i + 2].value == "basePath":
                # const api = app.basePath('/api'): a new router under app
                if _is(tokens, i + 4, "string"):
                    based = (source.path, tokens[i - 2].value)
                    routers[based] = routers.get(owner, "hono")
                    mounts.setdefault(based, []).append((owner, tokens[i + 4].value))
                continue
            calls(source.path, tokens, owner, i + 1)

    def prefixes(key: tuple[str, str], seen: frozenset[tuple[str, str]]) -> list[str]:
        places = mounts.get(key)
        mine = own.get(key, "")
        if not places:
            return [mine]
        out: list[str] = []
        for parent, prefix in places:
            if parent in seen:
                continue
            out.extend(join_paths(p, prefix, mine) for p in prefixes(parent, seen | {parent}))
        return out or [mine]

    routes = _nest_routes(sources, texts)
    for owner, method, path, file, line in raw:
        text = _line(texts.get(file, ()), line)
        verb = "*" if method == "all" else method.upper()
        for prefix in prefixes(owner, frozenset({owner})):
            known, unresolved = split_unknown(prefix)
            routes.append(Route(verb, join_paths(known, path), file, line, text, unresolved))
    return sorted(set(routes), key=lambda r: (r.file, r.line, r.method, r.path))


_NEST_METHODS = {"Get", "Post", "Put", "Patch", "Delete", "Head", "Options", "All"}


def _decorator_path(tokens: Sequence[Token], i: int) -> str | None:
    """The path of ``@X()``, ``@X('p')`` or ``@X({ path: 'p' })`` with ``i`` at ``(``; None when not literal."""
    if _is(tokens, i + 1, "punct", ")"):
        return ""
    if _is(tokens, i + 1, "string") and _is(tokens, i + 2, "punct", ")"):
        return tokens[i + 1].value
    if _is(tokens, i + 1, "punct", "{"):
        value, _ = parse_value(tokens, i + 1)
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            return str(value["path"])
    return None


def _nest_routes(sources: Sequence[JsSource], texts: Mapping[str, Sequence[str]]) -> list[Route]:
    """NestJS: ``@Controller('prefix')`` classes and their ``@Get(path)``... methods, under ``setGlobalPrefix``."""
    prefix = ""
    for source in sources:
        tokens = source.tokens
        for i, token in enumerate(tokens):
            if token.value == "setGlobalPrefix" and _is(tokens, i + 1, "punct", "(") and _is(tokens, i + 2, "string"):
                prefix = tokens[i + 2].value
    routes: list[Route] = []
    for source in sources:
        tokens = source.tokens
        controller: str | None = None
        for i, token in enumerate(tokens):
            if not (token.value == "@" and _is(tokens, i + 1, "name") and _is(tokens, i + 2, "punct", "(")):
                continue
            name = tokens[i + 1].value
            path = _decorator_path(tokens, i + 2)
            if name == "Controller":
                controller = path
            elif name in _NEST_METHODS and controller is not None and path is not None:
                line = tokens[i + 1].line
                verb = "*" if name == "All" else name.upper()
                full = join_paths("/", prefix, controller, path)
                routes.append(Route(verb, full, source.path, line, _line(texts.get(source.path, ()), line)))
    return routes


def relative_module(path: str, specifier: str) -> str:
    """``./routes/books`` seen from ``src/app.js`` -> ``src/routes/books`` (no resolution)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
