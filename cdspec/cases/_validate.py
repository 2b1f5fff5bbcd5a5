"""OpenAPI schemas as plain JSON Schema, and jsonschema validators for them.

OpenAPI 3.0 schemas are read with Draft 4 after translating what Draft 4
does not know: ``nullable: true`` next to a ``type`` adds ``"null"`` to the
type (an ``enum`` still has to list ``null`` itself, as OpenAPI 3.0.3
says; ``nullable`` without ``type`` has no effect). Draft 4 already reads
3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` and ignores the
siblings of ``$ref``, as 3.0 does. OpenAPI 3.1 schemas are JSON Schema
2020-12 as they are.

For both, ``readOnly`` properties are not required in requests and
``writeOnly`` ones not in responses (OpenAPI's rule), so the translation
drops them from ``required`` for the purpose at hand. Internal references
(``#/...``) are rewritten to point into the translated document, held in a
``referencing`` registry.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote

from cdspec._frozen import JSON
from cdspec._source import escape_pointer, pointer_tokens, resolve_pointer
from cdspec.errors import CdspecError

__all__ = ["DOCUMENT_URI", "Dialect", "Purpose", "Validation", "marked", "resolve_ref", "schema_validator"]

Dialect = Literal["3.0", "3.1"]
Purpose = Literal["request", "response"]

DOCUMENT_URI = "urn:cdspec:document"
"""Where the translated document lives in the validators' registry."""

EXCLUDED: dict[str, str] = {"request": "readOnly", "response": "writeOnly"}
"""The keyword whose properties a purpose leaves out (and does not require)."""


def resolve_ref(document: JSON, ref: str) -> JSON:
    """The schema an internal reference points to; :class:`CdspecError` when it points to nothing."""
    if not ref.startswith("#"):
        raise CdspecError(f"reference {ref!r} is not internal ('#/...'): bundle the contract first")
    try:
        return resolve_pointer(document, unquote(ref[1:]))
    except KeyError:
        raise CdspecError(f"reference {ref!r} points to nothing in the document") from None


def marked(document: JSON, schema: JSON, keyword: str) -> bool:
    """Whether ``schema`` says ``keyword: true``, itself, through ``$ref`` or in an ``allOf`` member."""
    seen: set[int] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping) or id(node) in seen:
            continue
        seen.add(id(node))
        if node.get(keyword) is True:
            return True
        ref = node.get("$ref")
        if isinstance(ref, str):
            stack.append(resolve_ref(document, ref))
        members = node.get("allOf")
        if isinstance(members, list):
            stack.extend(members)
    return False


def _translate(node: JSON, document: JSON, dialect: Dialect, purpose: Purpose) -> JSON:
    """A plain copy of ``node`` with every schema in it translated (see the module's docstring).

    The walk treats every mapping as a possible schema: the rules only fire
    on shapes that no other OpenAPI object has.
    """
    if isinstance(node, list):
        return [_translate(item, document, dialect, purpose) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: _translate(value, document, dialect, purpose) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        out["$ref"] = DOCUMENT_URI + ref
    if dialect == "3.0" and out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    required = node.get("required")
    properties = node.get("properties")
    if isinstance(required, list) and isinstance(properties, Mapping):
        keyword = EXCLUDED[purpose]
        out["required"] = [
            name for name in required if not (name in properties and marked(document, properties[name], keyword))
        ]
        if not out["required"] and dialect == "3.0":
            del out["required"]  # Draft 4 wants at least one name
    return out


class Validation:
    """Validators for schemas of one document, dialect and purpose (translated once)."""

    def __init__(self, document: JSON, dialect: Dialect, purpose: Purpose) -> None:
        self.document = document
        self.dialect = dialect
        self.purpose = purpose
        self._cache: dict[int, tuple[object, Any]] = {}

    @functools.cached_property
    def _registry(self) -> Any:
        from referencing import Registry
        from referencing.jsonschema import DRAFT4, DRAFT202012

        specification = DRAFT4 if self.dialect == "3.0" else DRAFT202012
        translated = _translate(self.document, self.document, self.dialect, self.purpose)
        return Registry().with_resource(DOCUMENT_URI, specification.create_resource(translated))

    def translate(self, schema: JSON) -> JSON:
        """``schema`` as plain JSON Schema of the validator's draft (references into the registry)."""
        return _translate(schema, self.document, self.dialect, self.purpose)

    def validator(self, schema: JSON) -> Any:
        """A jsonschema validator (with a ``FormatChecker``) for ``schema``, made once per schema object."""
        hit = self._cache.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
        from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker

        cls: Any = Draft4Validator if self.dialect == "3.0" else Draft202012Validator
        made = cls(self.translate(schema), registry=self._registry, format_checker=FormatChecker())
        self._cache[id(schema)] = (schema, made)
        return made


def infer_dialect(document: JSON, dialect: str | None) -> Dialect:
    """``dialect`` checked, or the document's ``openapi`` version's, or 3.1 (plain JSON Schema 2020-12)."""
    if dialect is None:
        version = document.get("openapi") if isinstance(document, Mapping) else None
        dialect = "3.0" if isinstance(version, str) and version.startswith("3.0") else "3.1"
    if dialect not in ("3.0", "3.1"):
        raise CdspecError(f"dialect must be '3.0' or '3.1', got {dialect!r}")
    return dialect  # type: ignore[return-value]  # checked just above


def document_of(document: object, schema: JSON) -> JSON:
    """The mapping that references resolve against: a contract's document, the given one, or the schema itself."""
    if document is None:
        return schema
    inner = getattr(document, "document", document)  # a cdspec Contract
    if not isinstance(inner, Mapping):
        raise CdspecError(f"document must be an OpenAPI document (a mapping) or a Contract, got {type(document)}")
    return inner


def schema_validator(
    schema: JSON,
    *,
    document: object = None,
    dialect: Dialect | None = None,
    purpose: Purpose = "request",
) -> Any:
    """A jsonschema validator for an OpenAPI ``schema``, as :func:`from_schema` reads it.

    ``document`` (an OpenAPI document or a :class:`cdspec.Contract`) resolves
    internal references; without it, references resolve in ``schema``
    itself. ``dialect`` defaults to the document's OpenAPI version (3.1 when
    there is none); 3.0 schemas are validated with Draft 4 after translating
    ``nullable``, 3.1 ones with Draft 2020-12. ``purpose`` drops ``readOnly``
    (request) or ``writeOnly`` (response) properties from ``required``. The
    validator checks formats with jsonschema's ``FormatChecker``.
    """
    if purpose not in EXCLUDED:
        raise CdspecError(f"purpose must be 'request' or 'response', got {purpose!r}")
    doc = document_of(document, schema)
    return Validation(doc, infer_dialect(doc, dialect), purpose).validator(schema)


def _def_name(ref: str) -> str:
    """``#/components/schemas/Book`` -> ``components.schemas.Book`` (a ``$defs`` key)."""
    return ".".join(pointer_tokens(unquote(ref[1:])))


def standalone(schema: JSON, *, document: object = None, dialect: Dialect | None = None, purpose: Purpose) -> JSON:
    """``schema`` as one self-contained JSON Schema 2020-12 document.

    The schemas it references are copied under ``$defs`` (references
    rewritten to them), 3.0's ``nullable`` and boolean
    ``exclusiveMinimum``/``exclusiveMaximum`` become 2020-12 keywords and
    the siblings of a 3.0 ``$ref`` are dropped; ``readOnly`` (request) or
    ``writeOnly`` (response) properties leave ``required``. Cases carry
    these schemas so that a case file needs no contract to run.
    """
    doc = document_of(document, schema)
    chosen = infer_dialect(doc, dialect)
    keyword = EXCLUDED[purpose]
    defs: dict[str, JSON] = {}

    def walk(node: JSON) -> JSON:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if chosen == "3.0" and isinstance(ref, str):
            node = {"$ref": ref}
        out = {
            key: walk(value)
            for key, value in node.items()
            if (key != "$defs" or chosen == "3.1") and not (key == "description" and isinstance(value, str))
        }
        if isinstance(ref, str) and ref.startswith("#"):
            name = _def_name(ref)
            if name not in defs:
                defs[name] = True  # placeholder: a schema that refers to itself
                defs[name] = walk(resolve_ref(doc, ref))
            out["$ref"] = "#/$defs/" + escape_pointer(name)
        if chosen == "3.0":
            if out.get("nullable") is True and isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
            for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
                if isinstance(out.get(exclusive), bool) and out.pop(exclusive) and bound in out:
                    out[exclusive] = out.pop(bound)
        required = node.get("required")
        properties = node.get("properties")
        if isinstance(required, list) and isinstance(properties, Mapping):
            out["required"] = [
                name for name in required if not (name in properties and marked(doc, properties[name], keyword))
            ]
        return out

    root = walk(schema)
    if defs:
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **dict(root), "$defs": defs}
    return root
