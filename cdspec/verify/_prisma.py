"""Prisma schemas (``schema.prisma``) read as text: the models, as a data model.

Nothing is generated or run: the ``model`` blocks are read line by line.
A field whose type is another model is a relation: a list (``Tag[]``) is a
collection, one-to-many, or many-to-many when the other side is a list too;
a scalar with ``@relation(fields: [...])`` is many-to-one (one-to-one when
its key field is ``@unique``); a scalar without ``fields`` is the other
side of a one-to-one. ``@@map("t")`` names the table, ``?`` makes a field
nullable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cdspec.verify._python import Column, Entity, Relation

__all__ = ["prisma_entities"]

_TYPES = {
    "String": "string",
    "Int": "integer",
    "BigInt": "integer",
    "Float": "number",
    "Decimal": "decimal",
    "Boolean": "boolean",
    "DateTime": "datetime",
    "Json": "json",
    "Bytes": "binary",
}
_MODEL = re.compile(r"^\s*model\s+(\w+)\s*\{")
_ENUM = re.compile(r"^\s*enum\s+(\w+)\s*\{")
_FIELD = re.compile(r"^\s*(\w+)\s+(\w+)(\[\])?(\?)?(.*)$")


def _blocks(lines: Sequence[str]) -> tuple[list[tuple[str, int, list[tuple[int, str]]]], dict[str, tuple[str, ...]]]:
    """(model name, line, [(line, field text)]) per model, and enum name -> values."""
    models: list[tuple[str, int, list[tuple[int, str]]]] = []
    enums: dict[str, list[str]] = {}
    current: list[tuple[int, str]] | None = None
    enum: list[str] | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.split("//", 1)[0].rstrip()
        if current is None and enum is None:
            model = _MODEL.match(line)
            if model:
                current = []
                models.append((model.group(1), number, current))
                continue
            named = _ENUM.match(line)
            if named:
                enum = enums.setdefault(named.group(1), [])
            continue
        if line.strip().startswith("}"):
            current, enum = None, None
        elif enum is not None and line.strip():
            enum.append(line.split()[0])
        elif current is not None and line.strip():
            current.append((number, line))
    return models, {name: tuple(values) for name, values in enums.items()}


def prisma_entities(path: str, text: str) -> list[Entity]:
    """The models of the Prisma schema ``text`` (at ``path``)."""
    lines = text.splitlines()
    models, enums = _blocks(lines)
    names = {name for name, _, _ in models}
    lists = {(name, target) for name, _, fields in models for _, f in fields
             if (m := _FIELD.match(f)) and m.group(2) in names and m.group(3) for target in (m.group(2),)}  # fmt: skip
    out = []
    for name, line, fields in models:
        table = name
        columns: list[Column] = []
        relations: list[Relation] = []
        unique_fields = {m.group(1) for _, f in fields if (m := _FIELD.match(f)) and "@unique" in m.group(5)}
        for number, field in fields:
            stripped = field.strip()
            if stripped.startswith("@@"):
                mapped = re.match(r'@@map\(\s*(?:name:\s*)?"([^"]+)"', stripped)
                if mapped:
                    table = mapped.group(1)
                for group in re.findall(r"@@unique\(\s*(?:fields:\s*)?\[([^\]]*)\]", stripped):
                    keys = [k.strip() for k in group.split(",") if k.strip()]
                    if len(keys) == 1:
                        unique_fields.add(keys[0])
                continue
            match = _FIELD.match(field)
            if match is None:
                continue
            fname, ftype, is_list, optional, rest = match.groups()
            text_line = lines[number - 1].strip()
            if ftype in names:
                keys_match = re.search(r"fields:\s*\[([^\]]*)\]", rest)
                if is_list:
                    kind = "many-to-many" if (ftype, name) in lists else "one-to-many"
                elif keys_match:
                    key_names = [k.strip() for k in keys_match.group(1).split(",")]
                    kind = "one-to-one" if any(k in unique_fields for k in key_names) else "many-to-one"
                else:
                    kind = "one-to-one"
                relations.append(Relation(fname, ftype, number, text_line, collection=bool(is_list), kind=kind))
                continue
            values = enums.get(ftype)
            columns.append(
                Column(
                    fname,
                    "enum" if values is not None else _TYPES.get(ftype),
                    number,
                    text_line,
                    enum_values=values,
                    nullable=bool(optional) or bool(is_list),
                    unique="@unique" in rest or fname in unique_fields,
                    primary_key="@id" in rest,
                )
            )
        out.append(Entity(name, table, path, line, tuple(columns), tuple(relations), "prisma"))
    return out
