"""Data models of the JS/TS ORMs beyond Sequelize: TypeORM entities, Drizzle tables, Knex migrations.

Like :mod:`cdspec.verify._jsmodel`, this reads the token stream only:

- TypeORM: ``@Entity()`` classes; ``@Column``/``@PrimaryGeneratedColumn``/
  ``@PrimaryColumn``/``@CreateDateColumn``... properties (type from the
  decorator's ``type`` or, failing that, the TypeScript annotation; NOT NULL
  unless ``nullable: true``); ``@ManyToOne``/``@OneToMany``/``@OneToOne``/
  ``@ManyToMany`` relations (target from ``() => Target``), a to-one owning
  side adding its join column (``@JoinColumn({name})``, else ``<prop>Id``).
  The table is ``@Entity('name')``/``{name}``, else the class name in
  snake_case (TypeORM's default naming strategy).
- Drizzle: ``const books = pgTable('books', {...})`` or ``pgTable('books',
  (d) => ({...}))`` (also ``sqliteTable``, ``mysqlTable``); each column builder (``text('title').notNull()``,
  ``integer('author_id').references(() => authors.id)``...) by its property
  name and, when it differs, its SQL name; ``relations(books, ({one, many})
  => ({...}))`` give the relations (``one`` a scalar side, ``many`` a
  collection). The entity is named by the variable.
- Knex has no models: the schema is what the migrations' ``up`` build
  (``knex.schema.createTable('books', (t) => {...})``, then ``alterTable``/
  ``table`` adding, dropping and renaming columns, ``dropTable``), applied
  in file name order (as Knex runs them). An entity is named by its table;
  Knex declares no relations (see the ``data-model`` check).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from cdspec.verify._js import Token
from cdspec.verify._jsmodel import JsSource, Ref, parse_value
from cdspec.verify._python import Column, Entity, Relation

__all__ = ["drizzle_entities", "knex_entities", "typeorm_entities"]


def _is(tokens: Sequence[Token], i: int, kind: str, value: str | None = None) -> bool:
    return 0 <= i < len(tokens) and tokens[i].kind == kind and (value is None or tokens[i].value == value)


def _close(tokens: Sequence[Token], i: int) -> int:
    """Index of the bracket closing the one at ``i``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].kind == "punct" and tokens[j].value in "([{":
            depth += 1
        elif tokens[j].kind == "punct" and tokens[j].value in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _text(lines: Sequence[str], line: int) -> str:
    return lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


# --------------------------------------------------------------------------- TypeORM

#: TypeORM column types -> portable types.
_TYPEORM_TYPES = {
    **dict.fromkeys(("varchar", "character varying", "char", "nvarchar", "nchar", "citext", "string"), "string"),
    **dict.fromkeys(("text", "mediumtext", "longtext", "tinytext", "ntext"), "text"),
    **dict.fromkeys(
        ("int", "integer", "int2", "int4", "int8", "smallint", "bigint", "tinyint", "mediumint"), "integer"
    ),
    **dict.fromkeys(("float", "double", "double precision", "real", "float4", "float8"), "number"),
    **dict.fromkeys(("decimal", "numeric", "money"), "decimal"),
    **dict.fromkeys(("boolean", "bool"), "boolean"),
    **dict.fromkeys(("timestamp", "timestamptz", "timestamp with time zone", "datetime", "datetime2"), "datetime"),
    "date": "date",
    "time": "time",
    "uuid": "uuid",
    **dict.fromkeys(("json", "jsonb", "simple-json"), "json"),
    **dict.fromkeys(("blob", "bytea", "binary", "varbinary"), "binary"),
    **dict.fromkeys(("enum", "simple-enum"), "enum"),
}  # fmt: skip
#: TypeScript annotations -> the portable type TypeORM gives them by reflection.
_TS_TYPES = {"string": "string", "number": "integer", "boolean": "boolean", "Date": "datetime"}
_COLUMN_DECORATORS = frozenset(
    {"Column", "PrimaryColumn", "PrimaryGeneratedColumn", "CreateDateColumn", "UpdateDateColumn",
     "DeleteDateColumn", "VersionColumn", "ObjectIdColumn"}
)  # fmt: skip
_RELATIONS = {"ManyToOne": "many-to-one", "OneToMany": "one-to-many", "OneToOne": "one-to-one",
              "ManyToMany": "many-to-many"}  # fmt: skip
_MODIFIERS = frozenset({"public", "private", "protected", "readonly", "declare", "static", "override", "abstract"})


def _decorators(tokens: Sequence[Token], i: int) -> tuple[list[tuple[str, int, int]], int]:
    """The decorators starting at ``i`` (name, index of ``(`` or -1, line) and the index after them."""
    found = []
    while _is(tokens, i, "punct", "@") and _is(tokens, i + 1, "name"):
        name = tokens[i + 1].value
        j = i + 2
        while _is(tokens, j, "punct", ".") and _is(tokens, j + 1, "name"):
            name = tokens[j + 1].value
            j += 2
        if _is(tokens, j, "punct", "("):
            found.append((name, j, tokens[i + 1].line))
            j = _close(tokens, j) + 1
        else:
            found.append((name, -1, tokens[i + 1].line))
        i = j
    return found, i


def _arrow_target(tokens: Sequence[Token], open_paren: int) -> str | None:
    """``Target`` of ``@ManyToOne(() => Target, ...)`` / ``@ManyToOne('Target')``."""
    end = _close(tokens, open_paren)
    if _is(tokens, open_paren + 1, "string"):
        return tokens[open_paren + 1].value
    for k in range(open_paren + 1, end):
        if _is(tokens, k, "punct", ","):
            return None
        if _is(tokens, k, "punct", "=>"):
            m = k + 1
            while _is(tokens, m, "punct", "(") or _is(tokens, m, "punct", "["):
                m += 1
            return tokens[m].value if _is(tokens, m, "name") else None
    return None


def _options(tokens: Sequence[Token], open_paren: int) -> dict[str, Any]:
    """The object-literal arguments of a decorator call, merged; a leading string is ``type``."""
    out: dict[str, Any] = {}
    end = _close(tokens, open_paren)
    k = open_paren + 1
    if _is(tokens, k, "string"):
        out["type"] = tokens[k].value
    depth = 0
    while k < end:
        if tokens[k].kind == "punct" and tokens[k].value in "([":
            depth += 1
        elif tokens[k].kind == "punct" and tokens[k].value in ")]":
            depth -= 1
        elif depth == 0 and _is(tokens, k, "punct", "{"):
            value, k = parse_value(tokens, k)
            if isinstance(value, dict):
                out.update(value)
            continue
        k += 1
    return out


def _typeorm_column(  # noqa: PLR0917  # one column's parts
    name: str, decorator: str, options: Mapping[str, Any], annotation: str | None, line: int, text: str
) -> Column:
    primary = decorator in {"PrimaryColumn", "PrimaryGeneratedColumn", "ObjectIdColumn"}
    primary = primary or options.get("primary") is True
    declared = options.get("type")
    ctype: str | None
    if decorator == "PrimaryGeneratedColumn":
        ctype = "uuid" if declared == "uuid" else "integer"
    elif decorator in {"CreateDateColumn", "UpdateDateColumn", "DeleteDateColumn"}:
        ctype = _TYPEORM_TYPES.get(declared, "datetime") if isinstance(declared, str) else "datetime"
    elif isinstance(declared, str):
        ctype = _TYPEORM_TYPES.get(declared.lower())
    elif isinstance(declared, Ref):
        ctype = _TS_TYPES.get(declared.name)
    else:
        ctype = _TS_TYPES.get(annotation or "")
    values: tuple[str, ...] | None = None
    enum = options.get("enum")
    if enum is not None:
        ctype = "enum"
        values = tuple(v for v in enum if isinstance(v, str)) if isinstance(enum, list) else None
    nullable = options.get("nullable")
    return Column(
        name,
        ctype,
        line,
        text,
        values,
        nullable=False if primary else (nullable if isinstance(nullable, bool) else decorator == "DeleteDateColumn"),
        unique=options.get("unique") is True or primary,
        primary_key=primary,
    )


def typeorm_entities(source: JsSource, lines: Sequence[str]) -> list[Entity]:  # noqa: PLR0915  # one pass over a class
    """The ``@Entity()`` classes of one file."""
    tokens = source.tokens
    out: list[Entity] = []
    i = 0
    while i < len(tokens):
        if not (_is(tokens, i, "punct", "@") and _is(tokens, i + 1, "name", "Entity")):
            i += 1
            continue
        decorators, j = _decorators(tokens, i)
        table: str | None = None
        for name, paren, _line in decorators:
            if name == "Entity" and paren >= 0:
                if _is(tokens, paren + 1, "string"):
                    table = tokens[paren + 1].value
                else:
                    option = _options(tokens, paren).get("name")
                    table = option if isinstance(option, str) else None
        while _is(tokens, j, "name") and tokens[j].value in {"export", "default", "abstract"}:
            j += 1
        if not (_is(tokens, j, "name", "class") and _is(tokens, j + 1, "name")):
            i = j
            continue
        class_name, class_line = tokens[j + 1].value, tokens[j + 1].line
        body = j + 2
        while body < len(tokens) and not _is(tokens, body, "punct", "{"):
            body += 1
        end = _close(tokens, body)
        columns: list[Column] = []
        relations: list[Relation] = []
        k = body + 1
        while k < end:
            if not _is(tokens, k, "punct", "@"):
                k = k + 1 if not (tokens[k].kind == "punct" and tokens[k].value in "({[") else _close(tokens, k) + 1
                continue
            member_decorators, k = _decorators(tokens, k)
            while _is(tokens, k, "name") and tokens[k].value in _MODIFIERS and not _is(tokens, k + 1, "punct", ":"):
                k += 1
            if not _is(tokens, k, "name"):
                continue
            prop, line = tokens[k].value, tokens[k].line
            m = k + 1
            while _is(tokens, m, "punct", "!") or _is(tokens, m, "punct", "?"):
                m += 1
            annotation = tokens[m + 1].value if _is(tokens, m, "punct", ":") and _is(tokens, m + 1, "name") else None
            text = _text(lines, line)
            names = {name for name, _p, _l in member_decorators}
            for name, paren, _l in member_decorators:
                options = _options(tokens, paren) if paren >= 0 else {}
                if name in _COLUMN_DECORATORS:
                    columns.append(_typeorm_column(prop, name, options, annotation, line, text))
                elif name in _RELATIONS and paren >= 0:
                    target = _arrow_target(tokens, paren)
                    if target is None:
                        continue
                    kind = _RELATIONS[name]
                    relations.append(Relation(prop, target, line, text, collection=kind.endswith("many")
                                              and kind != "many-to-one", kind=kind))  # fmt: skip
                    owning = kind == "many-to-one" or (kind == "one-to-one" and "JoinColumn" in names)
                    if owning:
                        joins = [_options(tokens, p) for n, p, _l in member_decorators if n == "JoinColumn" and p >= 0]
                        join = joins[0] if joins else {}
                        fk = join.get("name") if isinstance(join.get("name"), str) else prop + "Id"
                        nullable = options.get("nullable")
                        columns.append(Column(str(fk), None, line, text, nullable=nullable is not False,
                                              unique=kind == "one-to-one", foreign_key="@" + target))  # fmt: skip
            k = m
        out.append(Entity(class_name, table or _snake(class_name), source.path, class_line, tuple(columns),
                          tuple(relations), "typeorm"))  # fmt: skip
        i = end + 1
    return out


# --------------------------------------------------------------------------- Drizzle

_DRIZZLE_TABLES = frozenset({"pgTable", "sqliteTable", "mysqlTable", "singlestoreTable"})
_DRIZZLE_TYPES = {
    **dict.fromkeys(("varchar", "char", "citext"), "string"),
    "text": "text",
    **dict.fromkeys(("integer", "int", "smallint", "bigint", "tinyint", "mediumint", "serial", "bigserial",
                     "smallserial"), "integer"),
    **dict.fromkeys(("real", "doublePrecision", "double", "float"), "number"),
    **dict.fromkeys(("numeric", "decimal"), "decimal"),
    "boolean": "boolean",
    **dict.fromkeys(("timestamp", "datetime"), "datetime"),
    "date": "date",
    "time": "time",
    "uuid": "uuid",
    **dict.fromkeys(("json", "jsonb"), "json"),
    **dict.fromkeys(("blob", "bytea", "binary", "varbinary"), "binary"),
}  # fmt: skip
_DRIZZLE_MODES = {"boolean": "boolean", "timestamp": "datetime", "timestamp_ms": "datetime", "json": "json"}


def _chain(tokens: Sequence[Token], i: int) -> tuple[list[tuple[str, int]], int]:
    """``a('x').b().c(...)`` at ``i``: [(name, index of its ``(`` or -1)] and the index after the chain."""
    calls: list[tuple[str, int]] = []
    while _is(tokens, i, "name"):
        name = tokens[i].value
        i += 1
        if _is(tokens, i, "punct", "("):
            calls.append((name, i))
            i = _close(tokens, i) + 1
        else:
            calls.append((name, -1))
        if not _is(tokens, i, "punct", "."):
            break
        i += 1
    return calls, i


def drizzle_entities(sources: Sequence[JsSource], texts: Mapping[str, Sequence[str]]) -> list[Entity]:
    """The Drizzle tables and their ``relations()`` across the project's files."""
    tables: dict[str, Entity] = {}
    enums: dict[str, tuple[str, ...] | None] = {}
    pending: list[tuple[str, Relation]] = []
    for source in sources:
        tokens = source.tokens
        for i in range(2, len(tokens) - 1):
            if not (_is(tokens, i, "name") and _is(tokens, i + 1, "punct", "(") and _is(tokens, i - 1, "punct", "=")):
                continue
            if not _is(tokens, i - 2, "name"):
                continue
            var = tokens[i - 2].value
            if tokens[i].value in {"pgEnum", "mysqlEnum"}:
                args = parse_value(tokens, i)[0]
                values = args.args[1] if isinstance(args, Ref) and args.args and len(args.args) > 1 else None
                enums[var] = tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else None
    for source in sources:
        tokens = source.tokens
        lines = texts.get(source.path, ())
        for i in range(2, len(tokens) - 2):
            if not (_is(tokens, i, "name") and _is(tokens, i + 1, "punct", "(")):
                continue
            if tokens[i].value in _DRIZZLE_TABLES and _is(tokens, i - 1, "punct", "=") and _is(tokens, i - 2, "name"):
                if not _is(tokens, i + 2, "string"):
                    continue
                var, table = tokens[i - 2].value, tokens[i + 2].value
                start = i + 4  # `pgTable('t', {...})`, or `pgTable('t', (d) => ({...}))` with builders `d.text(...)`
                while start < len(tokens) and not _is(tokens, start, "punct", "{") and start < i + 12:
                    start += 1
                if not (_is(tokens, i + 3, "punct", ",") and _is(tokens, start, "punct", "{")):
                    continue
                columns = _drizzle_columns(tokens, start, lines, enums)
                tables[var] = Entity(var, table, source.path, tokens[i].line, tuple(columns), (), "drizzle")
            elif tokens[i].value == "relations" and _is(tokens, i + 2, "name"):
                owner = tokens[i + 2].value
                end = _close(tokens, i + 1)
                for k in range(i + 3, end - 3):
                    if (
                        _is(tokens, k, "name")
                        and _is(tokens, k + 1, "punct", ":")
                        and tokens[k + 2].value in {"one", "many"}
                        and _is(tokens, k + 3, "punct", "(")
                        and _is(tokens, k + 4, "name")
                    ):
                        line = tokens[k].line
                        relation = Relation(tokens[k].value, tokens[k + 4].value, line, _text(lines, line),
                                            collection=tokens[k + 2].value == "many")  # fmt: skip
                        pending.append((owner, relation))
    for owner, relation in pending:
        entity = tables.get(owner)
        if entity is not None:
            tables[owner] = attrs.evolve(entity, relations=(*entity.relations, relation))
    return list(tables.values())


def _drizzle_columns(
    tokens: Sequence[Token], start: int, lines: Sequence[str], enums: Mapping[str, tuple[str, ...] | None]
) -> list[Column]:
    end = _close(tokens, start)
    columns: list[Column] = []
    k = start + 1
    while k < end:
        if not (_is(tokens, k, "name") and _is(tokens, k + 1, "punct", ":") and _is(tokens, k + 2, "name")):
            k += 1
            continue
        prop, line = tokens[k].value, tokens[k].line
        calls, after = _chain(tokens, k + 2)
        while len(calls) > 1 and calls[0][1] < 0:  # `d.text(...)`, `pg.text(...)`: the builder follows the prefix
            calls = calls[1:]
        builder, paren = calls[0]
        sql_name = tokens[paren + 1].value if paren >= 0 and _is(tokens, paren + 1, "string") else prop
        options: dict[str, Any] = _options(tokens, paren) if paren >= 0 else {}
        options.pop("type", None)
        ctype = _DRIZZLE_TYPES.get(builder)
        values: tuple[str, ...] | None = None
        if builder in enums:
            ctype, values = "enum", enums[builder]
        elif isinstance(options.get("enum"), list):
            ctype, values = "enum", tuple(v for v in options["enum"] if isinstance(v, str))
        mode = options.get("mode")
        if builder == "integer" and isinstance(mode, str):
            ctype = _DRIZZLE_MODES.get(mode, ctype)
        methods = {name for name, _p in calls[1:]}
        primary = "primaryKey" in methods
        foreign: str | None = None
        for name, p in calls[1:]:
            if name == "references" and p >= 0:
                arrow = next((m for m in range(p, _close(tokens, p)) if _is(tokens, m, "punct", "=>")), None)
                if arrow is not None and _is(tokens, arrow + 1, "name"):
                    foreign = "@" + tokens[arrow + 1].value
        text = _text(lines, line)
        for name in dict.fromkeys((prop, sql_name)):
            columns.append(Column(name, ctype, line, text, values, nullable=not (primary or "notNull" in methods),
                                  unique=primary or "unique" in methods, primary_key=primary,
                                  foreign_key=foreign))  # fmt: skip
        k = after
    return columns


# --------------------------------------------------------------------------- Knex

_KNEX_TYPES = {
    **dict.fromkeys(("string", "uuid_string"), "string"),
    "text": "text",
    **dict.fromkeys(("increments", "bigIncrements", "integer", "bigInteger", "bigint", "tinyint", "smallint",
                     "mediumint"), "integer"),
    **dict.fromkeys(("float", "double"), "number"),
    "decimal": "decimal",
    "boolean": "boolean",
    **dict.fromkeys(("datetime", "timestamp"), "datetime"),
    "date": "date",
    "time": "time",
    "uuid": "uuid",
    **dict.fromkeys(("json", "jsonb"), "json"),
    "binary": "binary",
    "enum": "enum",
    "enu": "enum",
}  # fmt: skip


def _up_bodies(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Token ranges of a migration's ``up`` (``exports.up = ...``, ``export async function up(...)``)."""
    out = []
    for i, token in enumerate(tokens):
        if token.value != "up" or token.kind != "name":
            continue
        if _is(tokens, i - 1, "punct", ".") and _is(tokens, i + 1, "punct", "="):
            j = i + 2
        elif _is(tokens, i - 1, "name", "function"):
            j = i + 1
        else:
            continue
        while j < len(tokens) and not (_is(tokens, j, "punct", "=>") or _is(tokens, j, "punct", "{")):
            j = _close(tokens, j) + 1 if _is(tokens, j, "punct", "(") else j + 1
        if _is(tokens, j, "punct", "=>"):
            j += 1
        if _is(tokens, j, "punct", "{"):
            out.append((j, _close(tokens, j)))
        else:
            end = j
            while end < len(tokens) and not (_is(tokens, end, "punct", ";") or _is(tokens, end, "name", "exports")):
                end = _close(tokens, end) + 1 if tokens[end].kind == "punct" and tokens[end].value in "([{" else end + 1
            out.append((j, end))
    return out


def knex_entities(sources: Sequence[JsSource], texts: Mapping[str, Sequence[str]]) -> list[Entity]:
    """The tables the Knex migrations (files under a ``migrations`` directory) build, in file name order."""
    tables: dict[str, Entity] = {}
    for source in sorted(sources, key=lambda s: s.path.rsplit("/", 1)[-1]):
        if "migrations" not in source.path.split("/")[:-1]:
            continue
        tokens = source.tokens
        lines = texts.get(source.path, ())
        for start, end in _up_bodies(tokens):
            i = start
            while i < end:
                token = tokens[i]
                if not (
                    token.value in {"createTable", "alterTable", "table", "dropTable", "dropTableIfExists",
                                    "createTableIfNotExists", "renameTable"}
                    and _is(tokens, i - 1, "punct", ".")
                    and _is(tokens, i + 1, "punct", "(")
                    and _is(tokens, i + 2, "string")
                ):  # fmt: skip
                    i += 1
                    continue
                name = tokens[i + 2].value
                close = _close(tokens, i + 1)
                if token.value in {"dropTable", "dropTableIfExists"}:
                    tables.pop(name, None)
                elif token.value == "renameTable":
                    if _is(tokens, i + 4, "string") and name in tables:
                        new = tokens[i + 4].value
                        tables[new] = attrs.evolve(tables.pop(name), name=new, table=new)
                else:
                    entity = tables.get(name) or Entity(name, name, source.path, token.line, (), (), "knex")
                    tables[name] = attrs.evolve(entity, columns=_knex_columns(tokens, i + 3, close, entity.columns,
                                                                              lines))  # fmt: skip
                i = close + 1
    return list(tables.values())


def _knex_columns(
    tokens: Sequence[Token], start: int, end: int, columns: tuple[Column, ...], lines: Sequence[str]
) -> tuple[Column, ...]:
    out = list(columns)
    k = start
    while k < end:
        if not (
            _is(tokens, k, "name")
            and _is(tokens, k + 1, "punct", ".")
            and _is(tokens, k + 2, "name")
            and _is(tokens, k + 3, "punct", "(")
        ):
            k += 1
            continue
        calls, after = _chain(tokens, k + 2)
        builder, paren = calls[0]
        line = tokens[k].line
        first = tokens[paren + 1].value if _is(tokens, paren + 1, "string") else None
        if first is None and builder in {"increments", "bigIncrements"}:
            first = "id"  # Knex's default name
        if builder in {"dropColumn", "dropColumns"}:
            dropped = {t.value for t in tokens[paren : _close(tokens, paren)] if t.kind == "string"}
            out = [c for c in out if c.name not in dropped]
        elif builder == "renameColumn" and first and _is(tokens, paren + 3, "string"):
            new = tokens[paren + 3].value
            out = [attrs.evolve(c, name=new) if c.name == first else c for c in out]
        elif builder == "foreign" and first:
            named = [(name, tokens[p + 1].value) for name, p in calls[1:] if p >= 0 and _is(tokens, p + 1, "string")]
            target = next((v for name, v in named if name == "inTable" or (name == "references" and "." in v)), None)
            if target is not None:
                table = target.split(".")[0]
                out = [attrs.evolve(c, foreign_key=table) if c.name == first else c for c in out]
        elif builder == "timestamps":  # (useTimestamps, defaultToNow): NOT NULL with a default when the latter
            arguments = [t.value for t in tokens[paren + 1 : _close(tokens, paren)] if t.kind == "name"]
            not_null = arguments[1:2] == ["true"]
            for stamp in ("created_at", "updated_at"):
                out.append(Column(stamp, "datetime", line, _text(lines, line), nullable=not not_null))
        elif builder in _KNEX_TYPES and first:
            methods = {name for name, _p in calls[1:]}
            primary = builder in {"increments", "bigIncrements"} or "primary" in methods
            values: tuple[str, ...] | None = None
            if _KNEX_TYPES[builder] == "enum":
                listed = parse_value(tokens, paren + 3)[0] if _is(tokens, paren + 2, "punct", ",") else None
                values = tuple(v for v in listed if isinstance(v, str)) if isinstance(listed, list) else None
            foreign: str | None = None
            for name, p in calls[1:]:
                if name == "references" and _is(tokens, p + 1, "string"):
                    foreign = tokens[p + 1].value.split(".")[0] if "." in tokens[p + 1].value else foreign
                elif name == "inTable" and _is(tokens, p + 1, "string"):
                    foreign = tokens[p + 1].value
            column = Column(first, _KNEX_TYPES[builder], line, _text(lines, line), values,
                            nullable=not (primary or "notNullable" in methods), unique=primary or "unique" in methods,
                            primary_key=primary, foreign_key=foreign)  # fmt: skip
            out = [c for c in out if c.name != first] + [column]
        k = after
    return tuple(out)
