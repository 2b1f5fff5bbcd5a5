"""Static analysis of Python sources for the checks: models, routes, SQL.

Everything here works on parsed :mod:`ast` trees (and plain text); nothing is
imported or executed. The functions take :class:`Source` records (a path, its
dotted module name and its tree) so that they can be tested without a
:class:`~cdspec.verify.Project`.

- :func:`sql_strings`: string literals that hold SQL statements (docstrings
  skipped; comments are not in the tree), and literals passed to ``text()``,
  ``execute()`` and friends.
- :func:`python_entities`: SQLAlchemy declarative models (2.0 ``Mapped`` /
  ``mapped_column`` and classic ``Column``, ``relationship()``,
  ``ForeignKey``) and Django models, as :class:`Entity` records.
- :func:`python_routes`: route declarations of Flask, FastAPI, Django and
  aiohttp, with their prefixes resolved, as :class:`Route` records.
- :func:`normalise_path`: one spelling for ``{id}``, ``<int:id>`` and ``:id``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from cdspec.verify.project import NodeIndex

__all__ = [
    "Column",
    "Entity",
    "Relation",
    "Route",
    "Source",
    "SqlHit",
    "docstring_ids",
    "is_type_checking_guard",
    "looks_like_sql",
    "normalise_path",
    "python_entities",
    "python_routes",
    "python_strings",
    "relation_kinds",
    "sql_strings",
]

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


_T = TypeVar("_T")
_N = TypeVar("_N", bound=ast.AST)


@attrs.frozen
class Source:
    """One parsed Python file: its project path, dotted module name and tree.

    ``walked`` is every node of ``tree`` in :func:`ast.walk` order, when the
    caller already has it (:meth:`cdspec.verify.Project.walk`); otherwise it
    is computed on first use. A source also keeps what the analyses derive
    from it (:meth:`memo`), so that each is computed once per file however
    many checks ask: build one :class:`Source` per file and share it.
    """

    path: str
    module: str
    tree: ast.Module
    walked: tuple[ast.AST, ...] | None = attrs.field(default=None, eq=False, repr=False)
    _memo: dict[Any, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def walk(self) -> tuple[ast.AST, ...]:
        """Every node of the tree, in :func:`ast.walk` order (computed at most once)."""
        if self.walked is not None:
            return self.walked
        return self.memo("walk", lambda: tuple(ast.walk(self.tree)))

    def nodes(self, kind: type[_N] | tuple[type[_N], ...]) -> tuple[_N, ...]:
        """The nodes of :meth:`walk` that are instances of ``kind``, in walk order (see :class:`NodeIndex`)."""
        return self.memo("node_index", lambda: NodeIndex(self.walk())).nodes(kind)

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per source and ``key``; later calls return the same object (do not mutate it)."""
        try:
            found: _T = self._memo[key]
        except KeyError:
            found = self._memo[key] = compute()
        return found


# --------------------------------------------------------------------------- generic AST helpers


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def terminal(node: ast.AST) -> str | None:
    """The last name of a Name/Attribute chain or of a call's function (``sa.String(3)`` -> ``String``)."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def string_value(node: ast.AST | None) -> str | None:
    """The value of a string literal (also a folded ``"a" + "b"``), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = string_value(node.left), string_value(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name`` of ``call``."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def bool_keyword(call: ast.Call, name: str) -> bool | None:
    """A literal boolean keyword argument (None when absent or not a literal)."""
    value = keyword(call, name)
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        return value.value
    return None


def strings_of(node: ast.AST | None) -> list[str] | None:
    """The strings of a list/tuple/set literal of strings, else None."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        values = [string_value(item) for item in node.elts]
        if all(v is not None for v in values):
            return [v for v in values if v is not None]
    return None


_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _docstrings(nodes: Iterable[ast.AST]) -> frozenset[int]:
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, _DOCUMENTED) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add(id(first.value))
    return frozenset(found)


def docstring_ids(tree: ast.AST | Source) -> frozenset[int]:
    """``id()`` of every docstring node (module, class and function docstrings).

    Given a :class:`Source`, computed once per source.
    """
    if isinstance(tree, Source):
        source = tree
        return source.memo("docstring_ids", lambda: _docstrings(source.nodes(_DOCUMENTED)))
    return _docstrings(ast.walk(tree))


def python_strings(source: Source) -> tuple[tuple[int, str], ...]:
    """(line, value) of every string literal of ``source`` that is not a docstring, in walk order; cached."""

    def compute() -> tuple[tuple[int, str], ...]:
        docs = docstring_ids(source)
        return tuple(
            (node.lineno, node.value)
            for node in source.nodes(ast.Constant)
            if isinstance(node.value, str) and id(node) not in docs
        )

    return source.memo("python_strings", compute)


def is_type_checking_guard(test: ast.expr) -> bool:
    """Whether an ``if`` test is ``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    name = dotted(test)
    return name is not None and name.split(".")[-1] == "TYPE_CHECKING"


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of ``from {'.' * level}{name} import ...`` written in ``module``."""
    if level == 0:
        return name or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if name:
        parts.append(name)
    return ".".join(parts)


def import_bindings(source: Source) -> Mapping[str, str]:
    """Local name -> dotted target for the module-level and nested imports of ``source``.

    ``import a.b as c`` binds ``c`` to ``a.b``; ``import a.b`` binds ``a``;
    ``from m import x as y`` binds ``y`` to ``m.x`` (relative ``m`` resolved).
    Computed once per source.
    """
    return source.memo("import_bindings", lambda: _import_bindings(source))


def _import_bindings(source: Source) -> dict[str, str]:
    is_package = source.path.endswith("__init__.py")
    out: dict[str, str] = {}
    for node in source.nodes((ast.Import, ast.ImportFrom)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    out[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(source.module, is_package, node.level, node.module)
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return out


# --------------------------------------------------------------------------- SQL detection

_IDENT = r'[\w."`\[\]]+'
_COLUMN = rf"(?:\*|{_IDENT}(?:\s*\(\s*[\w.*\"]*\s*\))?(?:\s+as\s+\w+)?)"
_SELECT = re.compile(
    rf"\b(?P<kw>select)\s+(?:distinct\s+)?(?P<cols>{_COLUMN}(?:\s*,\s*{_COLUMN})*)\s+(?P<from>from)\s+{_IDENT}(?P<rest>.*)",
    re.IGNORECASE | re.DOTALL,
)
_STRUCTURE = re.compile(
    r"\bwhere\b|\bjoin\b|\border\s+by\b|\bgroup\s+by\b|\blimit\s+\d|=|;\s*$|\?|%s|%\(\w+\)s|:\w+|\$\d",
    re.IGNORECASE,
)
_OTHER_SQL = re.compile(
    rf"\binsert\s+(?:or\s+\w+\s+)?into\s+{_IDENT}\s*(?:\(|values\b|select\b|default\s+values\b)"
    rf"|\bupdate\s+{_IDENT}\s+set\s+{_IDENT}\s*="
    rf"|\bdelete\s+from\s+{_IDENT}\s*(?:where\b|;|$)"
    rf"|\b(?:create|drop|alter|truncate)\s+(?:temporary\s+|temp\s+|unique\s+)?(?:table|index|view)\s+"
    rf"(?:if\s+(?:not\s+)?exists\s+)?{_IDENT}",
    re.IGNORECASE,
)
_STATEMENT_START = re.compile(
    r"^\s*\(?\s*(?:select|insert|update|delete|create|drop|alter|truncate|replace|merge|with|upsert)\b",
    re.IGNORECASE,
)


def looks_like_sql(text: str) -> bool:
    """Whether ``text`` holds an SQL statement (not merely the word "select" in prose).

    ``SELECT ... FROM t`` counts when its keywords are upper case, or when it
    has SQL structure (``*`` or a column list, ``WHERE``, ``JOIN``, ``=``,
    placeholders...). ``INSERT INTO t (``, ``UPDATE t SET c =``, ``DELETE
    FROM t WHERE`` and ``CREATE/DROP/ALTER TABLE t`` count as they are.
    ``PRAGMA`` and ``SET`` are connection settings, not queries.
    """
    if len(text) > 100_000:
        text = text[:100_000]
    for match in _SELECT.finditer(text):
        if match["kw"].isupper() and match["from"].isupper():
            return True
        cols = match["cols"]
        if "*" in cols or "," in cols or "(" in cols or _STRUCTURE.search(match["rest"][:400]):
            return True
    return _OTHER_SQL.search(text) is not None


def starts_like_statement(text: str) -> bool:
    """Whether ``text`` begins with an SQL statement keyword (``select``, ``insert``, ...; not PRAGMA)."""
    return _STATEMENT_START.match(text) is not None


#: Calls whose first argument is SQL text: SQLAlchemy's text(), DB-API execute, Django's raw().
SQL_CALLS = frozenset(
    {"text", "execute", "executemany", "executescript", "exec_driver_sql", "raw", "literal_column", "mogrify"}
)


@attrs.frozen
class SqlHit:
    """A string literal that holds SQL: its line and the SQL (shortened)."""

    line: int
    sql: str
    why: str


def _fstring_text(node: ast.JoinedStr) -> str:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        else:
            parts.append("?")
    return "".join(parts)


def sql_strings(tree: ast.Module | Source) -> list[SqlHit]:
    """The SQL strings of a module, sorted by line.

    Docstrings never count. A literal (or f-string) counts when
    :func:`looks_like_sql`, or when it is the first argument of ``text()``,
    ``execute()``, ``raw()``... and starts with a statement keyword.
    """
    source = tree if isinstance(tree, Source) else Source("", "", tree)
    docs = docstring_ids(source)
    hits: dict[int, SqlHit] = {}
    inside_fstring: set[int] = set()
    for fstring in source.nodes(ast.JoinedStr):
        inside_fstring.update(id(v) for v in fstring.values)
    for node in source.nodes((ast.Call, ast.Constant, ast.JoinedStr)):
        text: str | None = None
        if isinstance(node, ast.Call) and node.args and terminal(node.func) in SQL_CALLS:
            first = node.args[0]
            literal = _fstring_text(first) if isinstance(first, ast.JoinedStr) else string_value(first)
            if literal is not None and (starts_like_statement(literal) or looks_like_sql(literal)):
                hits.setdefault(node.lineno, SqlHit(node.lineno, literal[:200], f"{terminal(node.func)}() with SQL"))
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docs or id(node) in inside_fstring:
                continue
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = _fstring_text(node)
        if text is not None and looks_like_sql(text):
            line = getattr(node, "lineno", 0)
            hits.setdefault(line, SqlHit(line, text[:200], "SQL string"))
    return [hits[line] for line in sorted(hits)]


# --------------------------------------------------------------------------- data model

PORTABLE_TYPES: dict[str, str] = {
    # SQLAlchemy types
    "String": "string",
    "Unicode": "string",
    "VARCHAR": "string",
    "NVARCHAR": "string",
    "CHAR": "string",
    "NCHAR": "string",
    "Text": "text",
    "UnicodeText": "text",
    "TEXT": "text",
    "CLOB": "text",
    "Integer": "integer",
    "BigInteger": "integer",
    "SmallInteger": "integer",
    "INTEGER": "integer",
    "INT": "integer",
    "BIGINT": "integer",
    "SMALLINT": "integer",
    "Float": "number",
    "Double": "number",
    "REAL": "number",
    "FLOAT": "number",
    "DOUBLE": "number",
    "DOUBLE_PRECISION": "number",
    "Numeric": "decimal",
    "NUMERIC": "decimal",
    "DECIMAL": "decimal",
    "Boolean": "boolean",
    "BOOLEAN": "boolean",
    "Date": "date",
    "DATE": "date",
    "DateTime": "datetime",
    "DATETIME": "datetime",
    "TIMESTAMP": "datetime",
    "Time": "time",
    "TIME": "time",
    "Uuid": "uuid",
    "UUID": "uuid",
    "JSON": "json",
    "JSONB": "json",
    "LargeBinary": "binary",
    "BLOB": "binary",
    "BINARY": "binary",
    "VARBINARY": "binary",
    "Enum": "enum",
    # Django fields
    "CharField": "string",
    "SlugField": "string",
    "EmailField": "string",
    "URLField": "string",
    "GenericIPAddressField": "string",
    "FilePathField": "string",
    "TextField": "text",
    "IntegerField": "integer",
    "BigIntegerField": "integer",
    "SmallIntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveSmallIntegerField": "integer",
    "PositiveBigIntegerField": "integer",
    "AutoField": "integer",
    "BigAutoField": "integer",
    "SmallAutoField": "integer",
    "FloatField": "number",
    "DecimalField": "decimal",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "DateField": "date",
    "DateTimeField": "datetime",
    "TimeField": "time",
    "UUIDField": "uuid",
    "JSONField": "json",
    "BinaryField": "binary",
}

#: Python annotation names -> portable types (``Mapped[int]``).
ANNOTATION_TYPES: dict[str, str] = {
    "int": "integer",
    "str": "string",
    "bool": "boolean",
    "float": "number",
    "Decimal": "decimal",
    "datetime": "datetime",
    "date": "date",
    "time": "time",
    "UUID": "uuid",
    "bytes": "binary",
    "dict": "json",
    "Dict": "json",
}

_COLUMN_CALLS = frozenset({"Column", "mapped_column", "column_property"})
_RELATION_CALLS = frozenset({"relationship", "relation"})
_DJANGO_RELATIONS = {"ForeignKey": "many-to-one", "OneToOneField": "one-to-one", "ManyToManyField": "many-to-many"}
#: Tortoise ORM spells some fields its own way; the rest are Django's names.
_TORTOISE_FIELDS = {"IntField": "IntegerField", "BigIntField": "BigIntegerField", "SmallIntField": "SmallIntegerField",
                    "DatetimeField": "DateTimeField", "ForeignKeyField": "ForeignKey",
                    "CharEnumField": "CharField", "IntEnumField": "IntegerField"}  # fmt: skip


@attrs.frozen
class Column:
    """A mapped column: its portable type (None when unknown), enum values, flags and line."""

    name: str
    type: str | None
    line: int
    text: str
    enum_values: tuple[str, ...] | None = None
    nullable: bool | None = None
    unique: bool = False
    primary_key: bool = False
    foreign_key: str | None = None  # the referenced table (or model name for Django)


@attrs.frozen
class Relation:
    """A relationship attribute, before its kind is inferred (see :func:`relation_kinds`)."""

    name: str
    target: str
    line: int
    text: str
    collection: bool | None = None  # None: decided from the foreign keys, as SQLAlchemy does
    secondary: bool = False
    back_populates: str | None = None
    kind: str | None = None  # known up front (Django, Sequelize)


@attrs.frozen
class Entity:
    """A model class (or Sequelize model) with its table, columns and relations."""

    name: str
    table: str | None
    path: str
    line: int
    columns: tuple[Column, ...]
    relations: tuple[Relation, ...]
    framework: str

    def column(self, name: str) -> Column | None:
        """The column named ``name`` (for Django, ``book_id`` also finds the ``book`` relation's column)."""
        for column in self.columns:
            if column.name == name:
                return column
        return None

    def relation(self, name: str) -> Relation | None:
        """The relation named ``name``."""
        for relation in self.relations:
            if relation.name == name:
                return relation
        return None


def _line_text(lines: Sequence[str], line: int) -> str:
    return lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""


def _unwrap_annotation(node: ast.expr | None) -> ast.expr | None:
    """``Mapped[X]`` -> X (strings parsed); ``Optional``/``| None`` kept for the caller."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Subscript) and terminal(node.value) in {"Mapped", "WriteOnlyMapped", "DynamicMapped"}:
        inner = node.slice
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            try:
                inner = ast.parse(inner.value, mode="eval").body
            except SyntaxError:
                return None
        return inner
    return None


def _optional(node: ast.expr) -> tuple[ast.expr, bool]:
    """Strip ``Optional[X]``/``X | None``; returns (X, was optional)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = node.left, node.right
        if isinstance(right, ast.Constant) and right.value is None:
            return _optional(left)[0], True
        if isinstance(left, ast.Constant) and left.value is None:
            return _optional(right)[0], True
    if isinstance(node, ast.Subscript) and terminal(node.value) == "Optional":
        return node.slice, True
    if isinstance(node, ast.Subscript) and terminal(node.value) == "Union" and isinstance(node.slice, ast.Tuple):
        rest = [e for e in node.slice.elts if not (isinstance(e, ast.Constant) and e.value is None)]
        if len(rest) == 1 and len(rest) < len(node.slice.elts):
            return rest[0], True
    return node, False


def _collection(node: ast.expr) -> tuple[ast.expr, bool]:
    """``list[X]``/``List[X]``/``set[X]``... -> (X, True); else (node, False)."""
    if isinstance(node, ast.Subscript) and terminal(node.value) in {
        "list",
        "List",
        "set",
        "Set",
        "Sequence",
        "frozenset",
        "tuple",
    }:
        inner = node.slice
        if isinstance(inner, ast.Tuple) and inner.elts:
            inner = inner.elts[0]
        return inner, True
    return node, False


def _target_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split(".")[-1]
    return terminal(node)


@attrs.frozen
class _Enums:
    """Enum classes of the project: class name -> member values."""

    values: Mapping[str, tuple[str, ...]]
    decorators: Mapping[str, str]  # TypeDecorator subclass name -> portable type of its impl


def _collect_enums(sources: Iterable[Source]) -> _Enums:
    values: dict[str, tuple[str, ...]] = {}
    decorators: dict[str, str] = {}
    for source in sources:
        for node in source.nodes(ast.ClassDef):
            bases = {terminal(b) for b in node.bases}
            if bases & {"Enum", "StrEnum", "IntEnum", "TextChoices", "IntegerChoices", "Choices"}:
                members = []
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        value = stmt.value
                        if isinstance(value, ast.Tuple) and value.elts:
                            value = value.elts[0]
                        if isinstance(value, ast.Constant) and isinstance(value.value, str | int):
                            members.append(str(value.value))
                        elif isinstance(value, ast.Call) and terminal(value.func) == "auto":
                            name = stmt.targets[0]
                            if isinstance(name, ast.Name):
                                members.append(name.id.lower())
                values[node.name] = tuple(members)
            if "TypeDecorator" in bases:
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "impl" for t in stmt.targets
                    ):
                        impl = terminal(stmt.value)
                        if impl in PORTABLE_TYPES:
                            decorators[node.name] = PORTABLE_TYPES[impl]
    return _Enums(values, decorators)


def _type_of_expr(node: ast.expr, enums: _Enums) -> tuple[str | None, tuple[str, ...] | None]:
    """Portable type (and enum values) of a column type expression like ``String(3)`` or ``Enum("a", "b")``."""
    name = terminal(node)
    if name is None:
        return None, None
    if name in enums.decorators:
        return enums.decorators[name], None
    if name == "Enum" and isinstance(node, ast.Call):
        literal = [string_value(a) for a in node.args]
        if node.args and all(v is not None for v in literal):
            return "enum", tuple(v for v in literal if v is not None)
        if node.args and terminal(node.args[0]) in enums.values:
            return "enum", enums.values[terminal(node.args[0]) or ""]
        return "enum", None
    if name in PORTABLE_TYPES:
        return PORTABLE_TYPES[name], None
    return None, None


def _type_of_annotation(node: ast.expr, enums: _Enums) -> tuple[str | None, tuple[str, ...] | None]:
    if isinstance(node, ast.Subscript) and terminal(node.value) == "Literal":
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        literal = [string_value(i) for i in items]
        if all(v is not None for v in literal):
            return "enum", tuple(v for v in literal if v is not None)
    if isinstance(node, ast.Subscript) and terminal(node.value) in {"dict", "Dict", "list", "List"}:
        return "json", None
    name = terminal(node)
    if name in enums.values:
        return "enum", enums.values[name or ""]
    if name in ANNOTATION_TYPES:
        return ANNOTATION_TYPES[name or ""], None
    return None, None


def _foreign_key(call: ast.Call) -> str | None:
    for arg in call.args:
        if isinstance(arg, ast.Call) and terminal(arg.func) == "ForeignKey" and arg.args:
            target = string_value(arg.args[0])
            if target is not None:
                return target.rsplit(".", 1)[0] if "." in target else target
            name = dotted(arg.args[0])  # ForeignKey(Book.id)
            if name is not None and "." in name:
                return "@" + name.split(".")[-2]  # a model name, resolved to its table later
    return None


def _column_from_call(
    name: str, call: ast.Call, annotation: ast.expr | None, enums: _Enums, *, line: int, text: str
) -> Column:
    ctype: str | None = None
    values: tuple[str, ...] | None = None
    args = list(call.args)
    if args and string_value(args[0]) is not None and terminal(call.func) == "Column":
        args = args[1:]  # Column("name", Type)
    for arg in args:
        if isinstance(arg, ast.Call) and terminal(arg.func) == "ForeignKey":
            continue
        ctype, values = _type_of_expr(arg, enums)
        if ctype is not None:
            break
    type_kw = keyword(call, "type_")
    if ctype is None and type_kw is not None:
        ctype, values = _type_of_expr(type_kw, enums)
    optional: bool | None = None
    if annotation is not None:
        inner, optional = _optional(annotation)
        if ctype is None or (ctype == "enum" and values is None):
            atype, avalues = _type_of_annotation(inner, enums)
            if ctype is None:
                ctype, values = atype, avalues
            elif atype == "enum":
                values = avalues
    primary_key = bool_keyword(call, "primary_key") is True
    nullable = bool_keyword(call, "nullable")
    if nullable is None:
        if primary_key:
            nullable = False
        elif optional is not None:
            nullable = optional
        elif terminal(call.func) == "Column":
            nullable = True
    return Column(
        name=name,
        type=ctype,
        line=line,
        text=text,
        enum_values=values,
        nullable=nullable,
        unique=bool_keyword(call, "unique") is True,
        primary_key=primary_key,
        foreign_key=_foreign_key(call),
    )


def _relation_from_call(name: str, call: ast.Call, annotation: ast.expr | None, line: int, text: str) -> Relation:
    target: str | None = None
    collection: bool | None = None
    if annotation is not None:
        inner, _ = _optional(annotation)
        inner, is_collection = _collection(inner)
        target = _target_name(inner)
        collection = is_collection
    if call.args:
        target = _target_name(call.args[0]) or target
    kw_target = keyword(call, "argument")
    if kw_target is not None:
        target = _target_name(kw_target) or target
    uselist = bool_keyword(call, "uselist")
    if uselist is not None:
        collection = uselist
    secondary = keyword(call, "secondary") is not None
    if secondary:
        collection = True
    back = string_value(keyword(call, "back_populates"))
    return Relation(
        name=name,
        target=target or "?",
        line=line,
        text=text,
        collection=collection,
        secondary=secondary,
        back_populates=back,
    )


def _backref(call: ast.Call) -> tuple[str, bool | None] | None:
    """``backref="x"`` or ``backref=backref("x", uselist=False)`` -> (name, collection)."""
    value = keyword(call, "backref")
    if value is None:
        return None
    name = string_value(value)
    if name is not None:
        return name, None
    if isinstance(value, ast.Call) and value.args:
        inner = string_value(value.args[0])
        if inner is not None:
            return inner, bool_keyword(value, "uselist")
    return None


def _class_attributes(node: ast.ClassDef) -> Iterator[tuple[str, ast.expr | None, ast.expr | None, int]]:
    """(name, annotation, value, line) for the class body's simple assignments."""
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            yield stmt.target.id, stmt.annotation, stmt.value, stmt.lineno
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            yield stmt.targets[0].id, None, stmt.value, stmt.lineno


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


#: Django's own model bases a project's models derive from.
_DJANGO_BASES = {"models.Model", "Model", "django.db.models.Model", "AbstractUser", "AbstractBaseUser"}


def _is_django_model(
    node: ast.ClassDef, project_models: frozenset[str] = frozenset(), bound: Mapping[str, str] | None = None
) -> bool:
    """A class deriving from Django's ``Model`` (or ``AbstractUser``...), directly or through
    ``project_models`` (the project's own Django models, abstract ones included), with a field.

    ``bound`` (the module's import bindings), when given, must tie the base to
    Django: Tortoise's ``models.Model`` is not Django's.
    """
    bases = {dotted(b) for b in node.bases}
    if bases & project_models:
        return True

    def django(base: str | None) -> bool:
        head = (base or "").split(".")[0]
        return bound is None or head not in bound or bound[head].startswith("django")

    if any(b in {"AbstractUser", "AbstractBaseUser"} and django(b) for b in bases):
        return True
    return any(dotted(b) in _DJANGO_BASES and django(dotted(b)) for b in node.bases) and any(
        (
            isinstance(value, ast.Call)
            and (dotted(value.func) or "").startswith("models.")
            and (terminal(value.func) or "").endswith("Field")
        )
        or (isinstance(value, ast.Call) and terminal(value.func) in _DJANGO_RELATIONS)
        for _, _, value, _ in _class_attributes(node)
    )


def _meta_option(node: ast.ClassDef, option: str) -> str | None:
    """A string option of a model's inner ``class Meta`` (``db_table``, ``table``)."""
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for name, _, value, _ in _class_attributes(stmt):
                if name == option:
                    return string_value(value)
    return None


def _tortoise_models(classes: Mapping[str, tuple[Source, ast.ClassDef]]) -> frozenset[str]:
    """Classes deriving from Tortoise's ``Model`` (bound by import to ``tortoise``), through project bases too."""
    found: set[str] = set()
    while True:
        more = {
            name
            for name, (source, node) in classes.items()
            if name not in found
            and any(
                terminal(b) in found
                or (
                    (dotted(b) or "").endswith("Model")
                    and import_bindings(source).get((dotted(b) or "").split(".")[0], "").startswith("tortoise")
                )
                for b in node.bases
            )
        }
        if not more:
            return frozenset(found)
        found |= more


def _django_abstract(node: ast.ClassDef) -> bool:
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            return any(n == "abstract" and bool_value(v) for n, _, v, _ in _class_attributes(stmt))
    return False


def bool_value(node: ast.AST | None) -> bool:
    """Whether ``node`` is the literal ``True``."""
    return isinstance(node, ast.Constant) and node.value is True


def _sqlalchemy_class(
    node: ast.ClassDef, enums: _Enums, lines: Sequence[str]
) -> tuple[str | None, bool, list[Column], list[Relation], list[tuple[str, str, bool | None, int]]]:
    """(table, is model, columns, relations, backrefs) of a class body."""
    table: str | None = None
    abstract = False
    mapped = False
    columns: list[Column] = []
    relations: list[Relation] = []
    backrefs: list[tuple[str, str, bool | None, int]] = []
    uniques: set[str] = set()
    for name, annotation, value, line in _class_attributes(node):
        text = _line_text(lines, line)
        if name == "__tablename__":
            table = string_value(value)
            mapped = True
            continue
        if name == "__abstract__" and isinstance(value, ast.Constant) and value.value is True:
            abstract = True
            continue
        if name == "__table_args__" and value is not None:
            for call in ast.walk(value):
                if isinstance(call, ast.Call) and terminal(call.func) == "UniqueConstraint" and len(call.args) == 1:
                    single = string_value(call.args[0])
                    if single:
                        uniques.add(single)
            continue
        inner = _unwrap_annotation(annotation)
        if isinstance(value, ast.Call) and terminal(value.func) in _RELATION_CALLS:
            relation = _relation_from_call(name, value, inner, line, text)
            relations.append(relation)
            back = _backref(value)
            if back is not None:
                backrefs.append((relation.target, back[0], back[1], line))
            mapped = True
        elif isinstance(value, ast.Call) and terminal(value.func) in _COLUMN_CALLS:
            call = value
            if terminal(value.func) == "column_property":
                if not (value.args and isinstance(value.args[0], ast.Call)):
                    continue
                call = value.args[0]
            columns.append(_column_from_call(name, call, inner, enums, line=line, text=text))
            mapped = True
        elif inner is not None and value is None:
            optional_inner, optional = _optional(inner)
            ctype, values = _type_of_annotation(optional_inner, enums)
            columns.append(Column(name, ctype, line, text, values, nullable=optional))
            mapped = True
    if uniques:
        columns = [attrs.evolve(c, unique=True) if c.name in uniques else c for c in columns]
    return table, mapped and not abstract, columns, relations, backrefs


def _django_class(
    node: ast.ClassDef, enums: _Enums, lines: Sequence[str], *, tortoise: bool = False
) -> tuple[str | None, list[Column], list[Relation], list[tuple[str, str, str, int]]]:
    """A Django model's table, columns, relations and reverse relations; ``tortoise``: a Tortoise ORM model
    (``fields.IntField(pk=True)``, ``ForeignKeyField("models.User")``, ``null=True``, ``Meta.table``)."""
    table = _meta_option(node, "table" if tortoise else "db_table")
    columns: list[Column] = []
    relations: list[Relation] = []
    reverse: list[tuple[str, str, str, int]] = []  # (target, name, kind, line)
    has_pk = False
    for name, _, value, line in _class_attributes(node):
        if not isinstance(value, ast.Call):
            continue
        field = terminal(value.func) or ""
        if tortoise:
            field = _TORTOISE_FIELDS.get(field, field)
        text = _line_text(lines, line)
        null = bool_keyword(value, "null")
        if field in _DJANGO_RELATIONS:
            target_node = value.args[0] if value.args else keyword(value, "to")
            target = _target_name(target_node) if target_node is not None else None
            if target == "self":
                target = node.name
            kind = _DJANGO_RELATIONS[field]
            relations.append(Relation(name, target or "?", line, text, kind=kind))
            if kind != "many-to-many":
                columns.append(
                    Column(
                        f"{name}_id",
                        None,
                        line,
                        text,
                        nullable=bool(null),
                        unique=kind == "one-to-one" or bool_keyword(value, "unique") is True,
                        primary_key=bool_keyword(value, "pk" if tortoise else "primary_key") is True,
                        foreign_key="@" + (target or "?"),
                    )
                )
            related = string_value(keyword(value, "related_name"))
            if related is None and tortoise:
                related = f"{node.name.lower()}s"
            if related is None:
                related = node.name.lower() if kind == "one-to-one" else f"{node.name.lower()}_set"
            inverse = {"many-to-one": "one-to-many", "one-to-one": "one-to-one", "many-to-many": "many-to-many"}[kind]
            if related != "+" and not related.endswith("+"):
                reverse.append((target or "?", related, inverse, line))
            continue
        if field not in PORTABLE_TYPES:
            continue
        ctype: str | None = PORTABLE_TYPES[field]
        values: tuple[str, ...] | None = None
        choices = keyword(value, "choices")
        if choices is not None:
            ctype = "enum"
            if isinstance(choices, ast.List | ast.Tuple):
                found = [
                    string_value(c.elts[0]) if isinstance(c, ast.Tuple) and c.elts else string_value(c)
                    for c in choices.elts
                ]
                values = tuple(v for v in found if v is not None) if all(v is not None for v in found) else None
            else:
                owner = dotted(choices) or ""
                values = enums.values.get(owner.split(".")[0]) if owner.endswith("choices") else None
        primary_key = bool_keyword(value, "pk" if tortoise else "primary_key") is True
        has_pk = has_pk or primary_key
        columns.append(
            Column(
                name,
                ctype,
                line,
                text,
                values,
                nullable=bool(null) and not primary_key,
                unique=bool_keyword(value, "unique") is True or primary_key,
                primary_key=primary_key,
            )
        )
    if not has_pk:
        columns.insert(0, Column("id", "integer", node.lineno, _line_text(lines, node.lineno), primary_key=True))
        columns[0] = attrs.evolve(columns[0], nullable=False, unique=True)
    return table, columns, relations, reverse


def python_entities(  # noqa: PLR0915  # one pass per model framework, closures share the tables
    sources: Iterable[Source], texts: Mapping[str, Sequence[str]] | None = None
) -> list[Entity]:
    """The SQLAlchemy and Django models declared in ``sources``, sorted by path and line.

    ``texts`` maps a path to its lines, for the evidence text of each column.
    A SQLAlchemy model is a class with ``__tablename__`` or mapped attributes
    (``Mapped[...]``, ``mapped_column``, ``Column``, ``relationship``), not
    ``__abstract__``; columns of abstract bases and mixins of the project are
    inherited. Classic ``relationship(..., backref="x")`` adds ``x`` to the
    target.
    """
    sources = list(sources)
    texts = texts or {}
    enums = _collect_enums(sources)
    classes: dict[str, tuple[Source, ast.ClassDef]] = {}
    for source in sources:
        for node in source.nodes(ast.ClassDef):
            classes.setdefault(node.name, (source, node))

    parsed: dict[str, tuple[str | None, bool, list[Column], list[Relation], Source, ast.ClassDef, str]] = {}
    backrefs: list[tuple[str, str, bool | None, int, str]] = []
    django_reverse: list[tuple[str, str, str, int, str]] = []
    django: frozenset[str] = frozenset()
    while True:  # the project's Django models, through its own (abstract) bases
        more = frozenset(
            n for n, (src, node) in classes.items() if _is_django_model(node, django, import_bindings(src))
        )
        if more == django:
            break
        django = more
    tortoise = _tortoise_models(classes)
    for name, (source, node) in classes.items():
        lines = texts.get(source.path, ())
        if name in django or name in tortoise:
            table, columns, relations, reverse = _django_class(node, enums, lines, tortoise=name in tortoise)
            framework = "tortoise" if name in tortoise else "django"
            parsed[name] = (table, not _django_abstract(node), columns, relations, source, node, framework)
            django_reverse.extend((t, n, k, line, source.path) for t, n, k, line in reverse)
            continue
        table, is_model, columns, relations, refs = _sqlalchemy_class(node, enums, lines)
        parsed[name] = (table, is_model, columns, relations, source, node, "sqlalchemy")
        backrefs.extend((t, n, c, line, source.path) for t, n, c, line in refs)

    def inherited(name: str, seen: frozenset[str]) -> tuple[list[Column], list[Relation]]:
        _, _, columns, relations, _, node, _ = parsed[name]
        cols: dict[str, Column] = {}
        rels: dict[str, Relation] = {}
        for base in node.bases:
            base_name = terminal(base)
            if base_name in parsed and base_name not in seen:
                base_cols, base_rels = inherited(base_name, seen | {base_name})
                cols.update((c.name, c) for c in base_cols)
                rels.update((r.name, r) for r in base_rels)
        cols.update((c.name, c) for c in columns)
        rels.update((r.name, r) for r in relations)
        return list(cols.values()), list(rels.values())

    entities: dict[str, Entity] = {e.name: e for e in _core_tables(sources, enums, texts)}
    for name, (declared, is_model, _, _, source, node, framework) in parsed.items():
        if not is_model:
            continue
        columns, relations = inherited(name, frozenset({name}))
        table = declared if declared is not None or framework != "sqlalchemy" else _snake(name)  # Flask-SQLAlchemy
        entities[name] = Entity(name, table, source.path, node.lineno, tuple(columns), tuple(relations), framework)

    for target, relname, collection, line, path in backrefs:
        if target in entities and entities[target].relation(relname) is None:
            owner = next((e.name for e in entities.values() if e.path == path and _has_line(e, line)), "?")
            entity = entities[target]
            relation = Relation(relname, owner, line, "", collection=collection)
            entities[target] = attrs.evolve(entity, relations=(*entity.relations, relation))
    for target, relname, kind, line, path in django_reverse:
        if target in entities and entities[target].relation(relname) is None:
            owner = next((e.name for e in entities.values() if e.path == path and _has_line(e, line)), "?")
            entity = entities[target]
            relation = Relation(relname, owner, line, "", kind=kind)
            entities[target] = attrs.evolve(entity, relations=(*entity.relations, relation))
    return sorted(entities.values(), key=lambda e: (e.path, e.line, e.name))


def _core_tables(sources: Sequence[Source], enums: _Enums, texts: Mapping[str, Sequence[str]]) -> list[Entity]:
    """SQLAlchemy Core tables: ``notes = Table("notes", metadata, Column("id", Integer, primary_key=True), ...)``.

    The entity is named by the table; a foreign key column ``author_id`` to
    table ``users`` is a many-to-one relation ``author`` (one-to-one when the
    column is unique) to the entity of that table. Association tables (a
    relationship's ``secondary``, or every column a foreign key) are not
    entities.
    """
    tables: list[Entity] = []
    secondary = {  # association tables of relationships are not entities
        name
        for source in sources
        for call in source.nodes(ast.Call)
        if terminal(call.func) == "relationship"
        for value in [keyword(call, "secondary")]
        if value is not None
        for name in [string_value(value) or terminal(value)]
        if name
    }
    for source in sources:
        lines = texts.get(source.path, ())
        for stmt in source.tree.body:
            if not isinstance(stmt, ast.Assign | ast.AnnAssign):
                continue
            value = stmt.value
            if not (isinstance(value, ast.Call) and terminal(value.func) == "Table" and value.args):
                continue
            table = string_value(value.args[0])
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if table is None or table in secondary or any(terminal(t) in secondary for t in targets):
                continue
            columns = [
                _column_from_call(name, arg, None, enums, line=arg.lineno, text=_line_text(lines, arg.lineno))
                for arg in value.args[1:]
                if isinstance(arg, ast.Call) and terminal(arg.func) == "Column" and arg.args
                for name in [string_value(arg.args[0])]
                if name is not None
            ]
            if len(columns) >= 2 and all(c.foreign_key for c in columns):
                continue  # an association table (every column a foreign key), even before a relationship uses it
            tables.append(Entity(table, table, source.path, stmt.lineno, tuple(columns), (), "sqlalchemy-core"))
    by_table = {t.table: t.name for t in tables}
    out = []
    for entity in tables:
        relations = tuple(
            Relation(
                c.name.removesuffix("_id"),
                by_table[c.foreign_key],
                c.line,
                c.text,
                kind="one-to-one" if c.unique else "many-to-one",
            )
            for c in entity.columns
            if c.foreign_key in by_table and c.name.endswith("_id")
        )
        out.append(attrs.evolve(entity, relations=relations))
    return out


def _has_line(entity: Entity, line: int) -> bool:
    return any(r.line == line for r in entity.relations)


def relation_kinds(entities: Sequence[Entity]) -> dict[tuple[str, str], str]:
    """(entity, relation name) -> its kind: one-to-one, one-to-many, many-to-one or many-to-many.

    A collection side is many-to-many with a ``secondary`` table or a
    collection on the other side, else one-to-many. A scalar side is
    many-to-one when the other side is a collection, one-to-one when it is a
    scalar; without a counterpart, a foreign key here makes it many-to-one
    (one-to-one when the key is unique), a foreign key on the target
    one-to-one. A relation whose side is unknown follows SQLAlchemy: a
    collection unless this entity holds the foreign key.
    """
    by_name = {e.name: e for e in entities}
    table_of = {e.table: e.name for e in entities if e.table}

    def fk_to(entity: Entity, target: str) -> Column | None:
        target_entity = by_name.get(target)
        for column in entity.columns:
            ref = column.foreign_key
            if ref is None:
                continue
            if ref.startswith("@"):
                if ref[1:] == target:
                    return column
            elif table_of.get(ref) == target or (target_entity is not None and ref == target_entity.table):
                return column
        return None

    def collection_of(entity: Entity, relation: Relation) -> bool:
        if relation.collection is not None:
            return relation.collection
        return fk_to(entity, relation.target) is None

    def counterpart(entity: Entity, relation: Relation) -> Relation | None:
        target = by_name.get(relation.target)
        if target is None:
            return None
        if relation.back_populates:
            return target.relation(relation.back_populates)
        for other in target.relations:
            if other.back_populates == relation.name and other.target == entity.name:
                return other
        return None

    kinds: dict[tuple[str, str], str] = {}
    for entity in entities:
        for relation in entity.relations:
            if relation.kind is not None:
                kinds[(entity.name, relation.name)] = relation.kind
                continue
            other = counterpart(entity, relation)
            target = by_name.get(relation.target)
            other_collection = collection_of(target, other) if other is not None and target is not None else None
            if collection_of(entity, relation):
                kind = "many-to-many" if relation.secondary or other_collection else "one-to-many"
            elif other_collection is True:
                kind = "many-to-one"
            elif other_collection is False:
                kind = "one-to-one"
            else:
                own = fk_to(entity, relation.target)
                if own is not None:
                    kind = "one-to-one" if own.unique else "many-to-one"
                elif target is not None and fk_to(target, entity.name) is not None:
                    kind = "one-to-one"
                else:
                    kind = "many-to-one"
            kinds[(entity.name, relation.name)] = kind
    return kinds


# --------------------------------------------------------------------------- routes

_PARAM_PATTERNS = (
    re.compile(r"\(\?P<\w+>[^)]*\)"),  # Django re_path: (?P<pk>\d+)
    re.compile(r"\{[^{}/]*\}"),  # OpenAPI, FastAPI, Starlette: {id}, {id:path}
    re.compile(r"<[^<>/]*>"),  # Flask, Django: <id>, <int:id>
    re.compile(r"(?<=/):[A-Za-z_$][\w$]*(?:\([^)/]*\))?[?*+]?"),  # Express: :id, :id(\d+), :id?
)


def normalise_path(path: str) -> str:
    """One spelling of a route path: params as ``{}``, one leading ``/``, no trailing ``/``.

    ``/books/{bookId}``, ``/books/<int:book_id>``, ``/books/:bookId`` and
    ``^books/(?P<pk>\\d+)/$`` all become ``/books/{}``.
    """
    text = re.sub(r"/?\?\$?$|\$$", "", path.replace("^", "").strip()).replace("$/", "/")
    text = "/" + "/".join(s.strip() for s in text.split("/") if s.strip())
    for pattern in _PARAM_PATTERNS:
        text = pattern.sub("{}", text)
    return "/" + "/".join(s.strip() for s in text.split("/") if s.strip())


@attrs.frozen
class Route:
    """A route declaration: method (upper case, or ``*`` for any), full path, where it is declared."""

    method: str
    path: str
    file: str
    line: int
    text: str
    #: When the route sits under a prefix that cannot be read statically: what
    #: that prefix is and where (``settings.api_prefix at app/main.py:39``);
    #: ``path`` is then only the part after it.
    unresolved: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """(method, normalised path)."""
        return self.method, normalise_path(self.path)


#: Marks a prefix that cannot be read statically inside a joined prefix: ``\0what\0``.
_UNKNOWN = "\0"


def unknown_prefix(what: str) -> str:
    """A prefix that cannot be read, as a marker naming it (``what``): routes under it are unresolved."""
    return f"{_UNKNOWN}{what}{_UNKNOWN}"


def split_unknown(prefix: str) -> tuple[str, str]:
    """(known tail after the last unreadable part, description of that part) of a joined prefix."""
    if _UNKNOWN not in prefix:
        return prefix, ""
    head, what, tail = prefix.rsplit(_UNKNOWN, 2)
    del head
    return tail or "", what


def join_paths(*parts: str) -> str:
    """Join URL prefixes and paths: ``join_paths("/api", "/books", "")`` -> ``/api/books``."""
    out = ""
    for part in parts:
        if not part:
            continue
        if out.endswith("/") and part.startswith("/"):
            out += part[1:]
        elif out and not out.endswith("/") and not part.startswith("/"):
            out += "/" + part
        else:
            out += part
    return out or "/"


@attrs.frozen
class _Router:
    """A router/blueprint/app object declared at module level: its own prefix."""

    module: str
    name: str
    prefix: str
    kind: str  # 'flask-app' | 'blueprint' | 'fastapi-app' | 'apirouter' | 'aiohttp'


_ROUTER_FACTORIES = {
    "Flask": "flask-app",
    "Blueprint": "blueprint",
    "FastAPI": "fastapi-app",
    "APIRouter": "apirouter",
    "RouteTableDef": "aiohttp",
    "Application": "aiohttp",
}


def _router_statements(tree: ast.Module) -> Iterator[ast.Assign | ast.AnnAssign]:
    """Assignments of a call at module level and in module-level functions (app factories)."""
    for stmt in tree.body:
        body = stmt.body if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) else [stmt]
        for inner in body:
            if isinstance(inner, ast.Assign | ast.AnnAssign) and isinstance(inner.value, ast.Call):
                yield inner


class _StringValues:
    """Reads a route prefix written as an expression over names the project defines.

    A literal, a module-level constant (of this module or imported), an
    f-string or ``+`` over those, a router's own prefix (``bp.url_prefix``)
    and an attribute whose name is given one string value by exactly one
    class body of the project (``settings.api_prefix`` where a settings
    class says ``api_prefix: str = "/api"``). Anything else is unreadable:
    :meth:`prefix` then returns a marker naming the expression and its line.
    """

    def __init__(
        self, sources: Sequence[Source], by_module: Mapping[str, Source], bindings: Mapping[str, Mapping[str, str]]
    ) -> None:
        self.by_module = by_module
        self.bindings = bindings
        self.routers: dict[tuple[str, str], str] = {}
        self.router_of: Callable[[Source, ast.expr], tuple[str, str] | None] | None = None
        self.constants: dict[tuple[str, str], str] = {}
        attributes: dict[str, set[str]] = {}
        for source in sources:
            for stmt in source.tree.body:
                for name, value in _string_assignments(stmt):
                    self.constants[(source.module, name)] = value
                if isinstance(stmt, ast.ClassDef):
                    for inner in stmt.body:
                        for name, value in _string_assignments(inner):
                            attributes.setdefault(name, set()).add(value)
        self.attributes = {name: next(iter(v)) for name, v in attributes.items() if len(v) == 1}

    def value(self, source: Source, node: ast.AST, depth: int = 0) -> str | None:
        """The string ``node`` evaluates to, when it can be read; else None."""
        if depth > 8:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for part in node.values:
                inner = part.value if isinstance(part, ast.FormattedValue) else part
                text = self.value(source, inner, depth + 1)
                if text is None:
                    return None
                parts.append(text)
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(source, node.left, depth + 1), self.value(source, node.right, depth + 1)
            return left + right if left is not None and right is not None else None
        name = dotted(node)
        if name is None:
            return None
        if (source.module, name) in self.constants:
            return self.constants[(source.module, name)]
        head, _, rest = name.partition(".")
        bound = self.bindings.get(source.module, {}).get(head)
        full = (f"{bound}.{rest}" if rest else bound) if bound else f"{source.module}.{name}"
        module, _, attr = full.rpartition(".")
        if (module, attr) in self.constants:
            return self.constants[(module, attr)]
        if isinstance(node, ast.Attribute) and node.attr in {"url_prefix", "prefix"} and self.router_of is not None:
            key = self.router_of(source, node.value)
            router = self.routers.get(key) if key is not None else None
            if router is not None and _UNKNOWN not in router:
                return router
        if "." in name:
            return self.attributes.get(name.rsplit(".", 1)[1])
        return None

    def prefix(self, source: Source, node: ast.AST | None, call: ast.AST) -> str:
        """The prefix ``node`` spells, or a marker describing it when it cannot be read."""
        if node is None:
            return ""
        text = self.value(source, node)
        if text is not None:
            return text
        what = ast.unparse(node) if isinstance(node, ast.expr) else "?"
        return unknown_prefix(f"`{_clip_text(what)}` at {source.path}:{getattr(call, 'lineno', '?')}")


def _clip_text(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _string_assignments(stmt: ast.stmt) -> Iterator[tuple[str, str]]:
    """``NAME = "text"`` / ``NAME: str = "text"``: (NAME, text)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        value = string_value(stmt.value)
        if value is not None:
            yield stmt.targets[0].id, value
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        value = string_value(stmt.value)
        if value is not None:
            yield stmt.target.id, value


def _decorator_methods(call: ast.Call, attr: str) -> list[str]:
    if attr in HTTP_METHODS:
        return [attr.upper()]
    methods = strings_of(keyword(call, "methods"))
    if attr == "route":
        return [m.upper() for m in methods] if methods else ["GET"]
    if attr in {"api_route", "api_view"}:
        return [m.upper() for m in methods] if methods else ["GET"]
    return []


def python_routes(sources: Iterable[Source], texts: Mapping[str, Sequence[str]] | None = None) -> list[Route]:  # noqa: PLR0915  # nested helpers share the router and mount tables
    """Route declarations of Flask, FastAPI, Django and aiohttp, with their prefixes.

    - Flask: ``@app.route(path, methods=[...])``, ``@bp.get(path)``...;
      ``Blueprint(..., url_prefix=...)`` and ``register_blueprint(bp,
      url_prefix=...)`` (which overrides the blueprint's), nested blueprints;
      ``add_url_rule``.
    - FastAPI: ``@router.get(path)``, ``api_route``, ``add_api_route``;
      ``APIRouter(prefix=...)`` and ``include_router(router, prefix=...)``.
    - aiohttp: ``router.add_get(path, h)``, ``add_route(method, path, h)``,
      ``web.get(path, h)``, ``RouteTableDef`` decorators.
    - Django: ``path()``/``re_path()`` in urlpatterns with ``include()``
      prefixes from the root URLconf; the method is ``*`` (any) unless the
      view is a function decorated with ``require_http_methods``/
      ``require_GET``/``api_view`` or a class with ``get``/``post``... methods.

    A router whose mounting cannot be resolved keeps its own prefix.
    """
    sources = sorted(sources, key=lambda s: s.path)
    texts = texts or {}
    by_module = {s.module: s for s in sources}
    routers: dict[tuple[str, str], _Router] = {}
    bindings = {s.module: import_bindings(s) for s in sources}
    values = _StringValues(sources, by_module, bindings)

    for source in sources:
        for stmt in _router_statements(source.tree):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            assert isinstance(stmt.value, ast.Call)  # _router_statements yields calls only
            kind = _ROUTER_FACTORIES.get(terminal(stmt.value.func) or "")
            if kind is None:
                continue
            call = stmt.value
            prefix_node = keyword(call, "url_prefix") or keyword(call, "prefix")
            prefix = values.prefix(source, prefix_node, call) if prefix_node is not None else ""
            for target in targets:
                if isinstance(target, ast.Name):
                    routers.setdefault((source.module, target.id), _Router(source.module, target.id, prefix, kind))
    values.routers = {key: router.prefix for key, router in routers.items()}

    by_full: dict[str, tuple[str, str]] = {}
    for key in routers:
        by_full.setdefault(f"{key[0]}.{key[1]}", key)

    def resolve(source: Source, node: ast.expr) -> tuple[str, str] | None:
        """The router a name or ``module.attr`` refers to in ``source``."""
        name = dotted(node)
        if name is None:
            return None
        if (source.module, name) in routers:
            return source.module, name
        head, _, rest = name.partition(".")
        bound = bindings[source.module].get(head)
        if bound is None:
            return None
        full = f"{bound}.{rest}" if rest else bound
        module, _, attr = full.rpartition(".")
        if (module, attr) in routers:
            return module, attr
        # `from pkg import mod` then `mod.router`, or a re-export through a package __init__
        if full in by_full:
            return by_full[full]
        reexport = by_module.get(module)
        if reexport is not None:
            inner = bindings[reexport.module].get(attr)
            if inner is not None:
                mod2, _, attr2 = inner.rpartition(".")
                if (mod2, attr2) in routers:
                    return mod2, attr2
        return None

    values.router_of = resolve
    # mounts: child -> list of (parent, prefix or None (keep own))
    mounts: dict[tuple[str, str], list[tuple[tuple[str, str] | None, str | None]]] = {}
    for source in sources:
        for call in source.nodes(ast.Call):
            if not isinstance(call.func, ast.Attribute):
                continue
            call_name = call.func.attr
            if call_name in {"register_blueprint", "include_router"}:
                child_node = call.args[0] if call.args else keyword(call, "blueprint") or keyword(call, "router")
                child = resolve(source, child_node) if child_node is not None else None
                parent = resolve(source, call.func.value)
                prefix_node = keyword(call, "url_prefix") or keyword(call, "prefix")
                mount_prefix = values.prefix(source, prefix_node, call) if prefix_node is not None else None
                if child is not None:
                    mounts.setdefault(child, []).append((parent, mount_prefix))
            elif call_name == "add_routes" and call.args and not isinstance(call.args[0], ast.List | ast.Tuple):
                child = resolve(source, call.args[0])
                owner_node = call.func.value
                if isinstance(owner_node, ast.Attribute) and owner_node.attr == "router":
                    owner_node = owner_node.value
                if child is not None:
                    mounts.setdefault(child, []).append((resolve(source, owner_node), None))
            elif call_name in {"add_subapp", "mount"}:
                path_node = call.args[0] if call.args else keyword(call, "prefix") or keyword(call, "path")
                app_node = call.args[1] if len(call.args) >= 2 else keyword(call, "subapp") or keyword(call, "app")
                child = resolve(source, app_node) if app_node is not None else None
                parent = resolve(source, call.func.value)
                if child is not None:
                    mounts.setdefault(child, []).append((parent, values.prefix(source, path_node, call)))

    def prefixes(key: tuple[str, str], seen: frozenset[tuple[str, str]]) -> list[str]:
        router = routers[key]
        places = mounts.get(key)
        if not places:
            return [router.prefix]
        out: list[str] = []
        for parent, prefix in places:
            own = router.prefix
            if prefix is not None:
                # Flask: register_blueprint(url_prefix=) replaces the blueprint's; FastAPI adds to it.
                own = prefix if router.kind == "blueprint" else join_paths(prefix, router.prefix)
            if parent is not None and parent in routers and parent not in seen:
                out.extend(join_paths(p, own) for p in prefixes(parent, seen | {parent}))
            else:
                out.append(own)
        return sorted(set(out))

    routes: list[Route] = []

    def add(method: str, path: str, source: Source, line: int, owner: tuple[str, str] | None) -> None:
        text = _line_text(texts.get(source.path, ()), line)
        heads = prefixes(owner, frozenset({owner})) if owner is not None and owner in routers else [""]
        for head in heads:
            known, unresolved = split_unknown(head)
            routes.append(Route(method, join_paths(known, path), source.path, line, text, unresolved))

    for source in sources:
        for node in source.nodes((ast.FunctionDef, ast.AsyncFunctionDef, ast.Call)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                        continue
                    attr = decorator.func.attr
                    owner = resolve(source, decorator.func.value)
                    if owner is None and dotted(decorator.func.value) not in {"app", "router", "bp", "routes"}:
                        continue
                    path = (
                        string_value(decorator.args[0])
                        if decorator.args
                        else string_value(keyword(decorator, "path") or keyword(decorator, "rule"))
                    )
                    if path is None:
                        continue
                    for method in _decorator_methods(decorator, attr):
                        add(method, path, source, decorator.lineno, owner)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                _call_routes(node, source, resolve, add)
    routes.extend(_django_routes(sources, by_module, bindings, texts))
    return sorted(set(routes), key=lambda r: (r.file, r.line, r.method, r.path))


_Resolve = Callable[[Source, ast.expr], tuple[str, str] | None]
_Add = Callable[[str, str, Source, int, tuple[str, str] | None], None]


def _call_routes(node: ast.Call, source: Source, resolve: _Resolve, add: _Add) -> None:
    """``add_url_rule``, ``add_api_route``, aiohttp ``add_get``/``add_route`` and ``web.get(...)``."""
    attr = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    owner_node = node.func.value if isinstance(node.func, ast.Attribute) else None
    owner = resolve(source, owner_node) if owner_node is not None else None
    # app.router.add_get: the router of an aiohttp app
    if owner is None and isinstance(owner_node, ast.Attribute) and owner_node.attr == "router":
        owner = resolve(source, owner_node.value)
    first = string_value(node.args[0]) if node.args else None
    if attr in {"add_url_rule", "add_api_route"}:
        path = first or string_value(keyword(node, "rule") or keyword(node, "path"))
        if path is not None:
            methods = strings_of(keyword(node, "methods")) or _method_view(source, node) or ["GET"]
            for method in methods:
                add(method.upper(), path, source, node.lineno, owner)
    elif attr.startswith("add_") and attr[4:] in HTTP_METHODS and first is not None:
        add(attr[4:].upper(), first, source, node.lineno, owner)
    elif attr == "add_route" and len(node.args) >= 2 and first is not None:
        path = string_value(node.args[1])
        if path is not None:
            add(first.upper(), path, source, node.lineno, owner)
    elif attr in HTTP_METHODS and owner_node is not None and dotted(owner_node) in {"web", "aiohttp.web"} and first:
        add(attr.upper(), first, source, node.lineno, None)
    elif attr == "route" and owner_node is not None and dotted(owner_node) in {"web", "aiohttp.web"} and first:
        path = string_value(node.args[1])
        if path is not None:
            add(first.upper(), path, source, node.lineno, None)


def _method_view(source: Source, node: ast.Call) -> list[str]:
    """The methods of a Flask ``MethodView`` given as ``view_func=View.as_view(...)`` (a class of this module)."""
    view = keyword(node, "view_func") or (node.args[2] if len(node.args) >= 3 else None)
    if not (isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view"):
        return []
    name = dotted(view.func.value)
    for stmt in source.tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return sorted(
                f.name.upper()
                for f in stmt.body
                if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.name in HTTP_METHODS
            )
    return []


def _view_methods(
    view: ast.expr, source: Source, by_module: Mapping[str, Source], bindings: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """HTTP methods a Django view declares (``['*']`` when it does not say)."""
    name = dotted(view)
    if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
        name = dotted(view.func.value)
    if name is None:
        return ["*"]
    head, _, rest = name.partition(".")
    bound = bindings[source.module].get(head, f"{source.module}.{head}")
    full = f"{bound}.{rest}" if rest else bound
    module, _, attr = full.rpartition(".")
    target = by_module.get(module)
    if target is None:
        return ["*"]
    for stmt in target.tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == attr:
            for decorator in stmt.decorator_list:
                deco = terminal(decorator) or ""
                if deco in {"require_GET", "require_safe"}:
                    return ["GET"]
                if deco == "require_POST":
                    return ["POST"]
                if isinstance(decorator, ast.Call) and deco in {"require_http_methods", "api_view"}:
                    methods = strings_of(decorator.args[0]) if decorator.args else None
                    if methods:
                        return [m.upper() for m in methods]
            return ["*"]
        if isinstance(stmt, ast.ClassDef) and stmt.name == attr:
            collection, detail = _class_view_methods(stmt)
            methods = sorted(set(collection) | set(detail))
            return methods or ["*"]
    return ["*"]


#: Django REST framework actions of its generic views, viewsets and mixins.
_DRF_ACTIONS = {
    "ListAPIView": {"list"},
    "CreateAPIView": {"create"},
    "RetrieveAPIView": {"retrieve"},
    "UpdateAPIView": {"update"},
    "DestroyAPIView": {"destroy"},
    "ListCreateAPIView": {"list", "create"},
    "RetrieveUpdateAPIView": {"retrieve", "update"},
    "RetrieveDestroyAPIView": {"retrieve", "destroy"},
    "RetrieveUpdateDestroyAPIView": {"retrieve", "update", "destroy"},
    "ListModelMixin": {"list"},
    "CreateModelMixin": {"create"},
    "RetrieveModelMixin": {"retrieve"},
    "UpdateModelMixin": {"update"},
    "DestroyModelMixin": {"destroy"},
    "ModelViewSet": {"list", "create", "retrieve", "update", "destroy"},
    "ReadOnlyModelViewSet": {"list", "retrieve"},
}
#: Bases that add no handler of their own.
_DRF_PLAIN = {"View", "APIView", "GenericAPIView", "ViewSet", "GenericViewSet", "ViewSetMixin", "object"}
_COLLECTION_ACTIONS = {"list": ("GET",), "create": ("POST",)}
_DETAIL_ACTIONS = {
    "retrieve": ("GET",),
    "update": ("PUT", "PATCH"),
    "partial_update": ("PATCH",),
    "destroy": ("DELETE",),
}


def _class_view_methods(node: ast.ClassDef) -> tuple[list[str], list[str]]:
    """HTTP methods a Django/DRF class view answers: (collection methods, detail methods).

    A plain view answers the methods it defines (``get``, ``post``...); the
    actions of DRF's generic views and mixins (``list``, ``create``...) map to
    methods as DRF's router maps them. An unknown base class gives ``*``.
    """
    bases = {terminal(b) or "?" for b in node.bases}
    defined = {f.name for f in node.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
    actions: set[str] = set()
    for base in bases:
        if base in _DRF_ACTIONS:
            actions |= _DRF_ACTIONS[base]
        elif base not in _DRF_PLAIN:
            return ["*"], ["*"]
    viewset = any("ViewSet" in b for b in bases)
    if viewset:
        actions |= defined & (set(_COLLECTION_ACTIONS) | set(_DETAIL_ACTIONS))
    plain = sorted(m.upper() for m in defined if m in HTTP_METHODS)
    collection = sorted({m for a in actions for m in _COLLECTION_ACTIONS.get(a, ())} | set(plain))
    detail = sorted({m for a in actions for m in _DETAIL_ACTIONS.get(a, ())} | set(plain))
    if not viewset:  # a view routed by path() has one URL: every action answers there
        return sorted(set(collection) | set(detail)), []
    return collection, detail


def _drf_router_routes(
    source: Source, by_module: Mapping[str, Source], bindings: Mapping[str, Mapping[str, str]]
) -> dict[str, list[tuple[str, str, int]]]:
    """``router.register(prefix, ViewSet)`` of a module: router name -> [(method, path, line)]."""
    out: dict[str, list[tuple[str, str, int]]] = {}
    routers = {
        t.id
        for stmt in source.tree.body
        if isinstance(stmt, ast.Assign)
        and isinstance(stmt.value, ast.Call)
        and (terminal(stmt.value.func) or "").endswith("Router")
        for t in stmt.targets
        if isinstance(t, ast.Name)
    }
    for call in source.nodes(ast.Call):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "register" and len(call.args) >= 2):
            continue
        owner = dotted(call.func.value)
        prefix = string_value(call.args[0])
        if owner not in routers or prefix is None:
            continue
        collection, detail = ["*"], ["*"]
        cls = _class_named(call.args[1], source, by_module, bindings)
        if cls is not None:
            collection, detail = _class_view_methods(cls)
        for method in collection:
            out.setdefault(owner, []).append((method, prefix, call.lineno))
        for method in detail:
            out.setdefault(owner, []).append((method, join_paths(prefix, "{pk}"), call.lineno))
    return out


def _class_named(
    node: ast.expr, source: Source, by_module: Mapping[str, Source], bindings: Mapping[str, Mapping[str, str]]
) -> ast.ClassDef | None:
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    bound = bindings[source.module].get(head, f"{source.module}.{head}")
    module, _, attr = (f"{bound}.{rest}" if rest else bound).rpartition(".")
    target = by_module.get(module)
    if target is None:
        return None
    return next((s for s in target.tree.body if isinstance(s, ast.ClassDef) and s.name == attr), None)


def _django_routes(
    sources: Sequence[Source],
    by_module: Mapping[str, Source],
    bindings: Mapping[str, Mapping[str, str]],
    texts: Mapping[str, Sequence[str]],
) -> list[Route]:
    """Routes of Django URLconfs (modules with ``urlpatterns``), prefixes from ``include()``."""
    confs: dict[str, list[ast.Call]] = {}
    for source in sources:
        for stmt in source.tree.body:
            if not isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign) or stmt.value is None:
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "urlpatterns" for t in targets):
                calls = [
                    c
                    for c in ast.walk(stmt.value)
                    if isinstance(c, ast.Call) and terminal(c.func) in {"path", "re_path", "url"}
                ]
                confs.setdefault(source.module, []).extend(calls)
    if not confs:
        return []
    included: dict[str, list[str]] = {}
    for module, calls in confs.items():
        for call in calls:
            if len(call.args) >= 2 and isinstance(call.args[1], ast.Call) and terminal(call.args[1].func) == "include":
                inner = call.args[1].args[0] if call.args[1].args else None
                target = string_value(inner)
                if target is None and inner is not None:
                    bound = dotted(inner)
                    target = bindings[module].get(bound or "", bound) if bound else None
                if target is not None:
                    included.setdefault(target, []).append(module)

    def prefixes(module: str, seen: frozenset[str]) -> list[str]:
        parents = [p for p in included.get(module, []) if p not in seen]
        if not parents:
            return [""]
        out: list[str] = []
        for parent in parents:
            for call in confs[parent]:
                if (
                    len(call.args) >= 2
                    and isinstance(call.args[1], ast.Call)
                    and terminal(call.args[1].func) == "include"
                    and call.args[1].args
                ):
                    inner = call.args[1].args[0]
                    target = string_value(inner) or bindings[parent].get(dotted(inner) or "", dotted(inner) or "")
                    if target == module:
                        own = string_value(call.args[0]) or ""
                        out.extend(join_paths(p, own) for p in prefixes(parent, seen | {parent}))
        return out or [""]

    routes = []
    for module, calls in confs.items():
        source = by_module[module]
        heads = prefixes(module, frozenset({module}))
        registered = _drf_router_routes(source, by_module, bindings)
        for call in calls:
            if call.args and len(call.args) >= 2 and isinstance(call.args[1], ast.Call):
                include = call.args[1]
                inner = include.args[0] if include.args else None
                router = dotted(inner.value) if isinstance(inner, ast.Attribute) and inner.attr == "urls" else None
                if terminal(include.func) == "include" and router in registered:
                    own = string_value(call.args[0]) or ""
                    text = _line_text(texts.get(source.path, ()), call.lineno)
                    for method, tail, _line in registered[router or ""]:
                        for head in heads:
                            routes.append(
                                Route(method, join_paths("/", head, own, tail), source.path, call.lineno, text)
                            )
                    continue
            if not call.args or (
                len(call.args) >= 2 and isinstance(call.args[1], ast.Call) and terminal(call.args[1].func) == "include"
            ):
                continue
            path = string_value(call.args[0])
            if path is None or len(call.args) < 2:
                continue
            text = _line_text(texts.get(source.path, ()), call.lineno)
            for method in _view_methods(call.args[1], source, by_module, bindings):
                for head in heads:
                    routes.append(Route(method, join_paths("/", head, path), source.path, call.lineno, text))
    return routes
