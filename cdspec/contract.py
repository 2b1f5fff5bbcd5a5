"""The API contract: a validated OpenAPI 3.0/3.1 document and its operations.

:class:`Contract` keeps the document as the user wrote it (deeply frozen; its
internal ``$ref``\\ s left in place, since recursive schemas cannot be inlined)
and an index of :class:`Operation`\\ s with parameter, request-body and
response references already followed. :meth:`Contract.resolve` follows any
internal reference.

Validation uses openapi-spec-validator with its pure-Python jsonschema backend
pinned, whatever else is installed, so its messages stay the same everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs

from ._frozen import JSON, FrozenDict, freeze, json_type, thaw
from ._schemas import best_error
from ._source import dump_yaml, escape_pointer, resolve_pointer
from .errors import ContractError, Problem

__all__ = [
    "HTTP_METHODS",
    "Contract",
    "MediaType",
    "Operation",
    "Parameter",
    "RequestBody",
    "Response",
    "contract_problems",
    "normalize_base_path",
    "outside_references",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operation keys of an OpenAPI path item, in the specification's order."""

ParameterLocation = Literal["path", "query", "header", "cookie"]


@attrs.frozen
class MediaType:
    """One media type of a request body or response, with its schema (or ``None``)."""

    media_type: str
    schema: JSON = None


@attrs.frozen
class Parameter:
    """An operation parameter, path-level and operation-level ones merged."""

    name: str
    location: ParameterLocation
    required: bool = False
    schema: JSON = None
    style: str | None = None
    explode: bool | None = None
    description: str = ""


@attrs.frozen
class RequestBody:
    """An operation's request body: whether it is required, and its media types."""

    required: bool = False
    content: tuple[MediaType, ...] = ()

    def schema(self, media_type: str = "application/json") -> JSON:
        """The schema for ``media_type``, or ``None`` when there is none."""
        return next((m.schema for m in self.content if m.media_type == media_type), None)


@attrs.frozen
class Response:
    """A documented response: status (``"200"``, ``"4XX"`` or ``"default"``) and content."""

    status: str
    description: str = ""
    content: tuple[MediaType, ...] = ()

    def schema(self, media_type: str = "application/json") -> JSON:
        """The schema for ``media_type``, or ``None`` when there is none."""
        return next((m.schema for m in self.content if m.media_type == media_type), None)


@attrs.frozen
class Operation:
    """One operation of the contract, with references followed.

    ``security`` is the operation's effective security: its own requirement
    list, or the document's when the operation states none. Each requirement
    maps scheme names to scopes; an empty requirement means anonymous access
    is allowed.
    """

    method: str
    path: str
    operation_id: str | None = None
    summary: str = ""
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    request_body: RequestBody | None = None
    responses: tuple[Response, ...] = ()
    security: tuple[FrozenDict, ...] = ()

    @property
    def key(self) -> str:
        """``"GET /books/{id}"``: the method in capitals and the path."""
        return f"{self.method.upper()} {self.path}"

    @property
    def requires_auth(self) -> bool:
        """True when every security alternative names at least one scheme."""
        return bool(self.security) and all(self.security)

    def response(self, status: str | int) -> Response | None:
        """The documented response for ``status``: exact, then ``4XX``-style, then default."""
        code = str(status)
        by_status = {r.status.upper(): r for r in self.responses}
        return by_status.get(code) or by_status.get(f"{code[:1]}XX") or by_status.get("DEFAULT")


@attrs.frozen(repr=False)
class Contract:
    """A validated OpenAPI 3.0 or 3.1 document and the index of its operations.

    Build one with :meth:`from_document`, which validates; ``Contract(document)``
    only indexes a document already known to be valid. Two contracts are
    equal when their documents are.
    """

    document: FrozenDict = attrs.field(converter=freeze, repr=False)
    operations: tuple[Operation, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "operations", tuple(_index(self.document)))

    def __repr__(self) -> str:
        return f"<Contract {self.title!r} {self.version} (OpenAPI {self.openapi}, {len(self.operations)} operations)>"

    @classmethod
    def from_document(cls, document: Mapping[str, Any], *, name: str | None = None) -> Contract:
        """Validate ``document`` and index it; raise :class:`ContractError` if invalid.

        ``name`` is how problems refer to the document (its file, usually).
        The document must be self-contained: references into other files are
        bundled by :func:`cdspec.load_contract`, not here.
        """
        problems = contract_problems(document, name=name)
        if problems:
            raise ContractError(problems)
        return cls(document)

    @functools.cached_property
    def yaml(self) -> str:
        """The document as YAML, in the order it was written (made once per contract)."""
        return dump_yaml(thaw(self.document))

    @property
    def openapi(self) -> str:
        """The ``openapi`` version string of the document."""
        return str(self.document["openapi"])

    @property
    def title(self) -> str:
        return str(self.document["info"]["title"])

    @property
    def version(self) -> str:
        """The API's own version (``info.version``)."""
        return str(self.document["info"]["version"])

    @property
    def security_schemes(self) -> FrozenDict:
        """``components.securitySchemes``, references followed."""
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        return FrozenDict((k, _follow(self.document, v)) for k, v in schemes.items())

    @property
    def base_path(self) -> str:
        """The path of the first ``servers`` URL, without a trailing slash (``"/api"``).

        Server variables take their defaults; a missing ``servers`` list, a
        URL without a path or a path of ``/`` gives ``""``. This is the
        prefix under which a contract's paths are served unless a task says
        otherwise (:attr:`cdspec.Task.path_prefix`): the runner and the route
        checks share the rule.
        """
        servers = self.document.get("servers") or ()
        if not servers:
            return ""
        server = servers[0]
        url = str(server.get("url", ""))
        for name, variable in (server.get("variables") or {}).items():
            url = url.replace("{" + name + "}", str(variable.get("default", "")))
        return normalize_base_path(urlsplit(url).path)

    def operation(self, operation_id: str) -> Operation:
        """The operation with ``operation_id``; ``KeyError`` naming the known ones if absent."""
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        known = ", ".join(sorted(op.operation_id for op in self.operations if op.operation_id))
        raise KeyError(f"no operation {operation_id!r} in the contract (known: {known})")

    def resolve(self, ref: str) -> JSON:
        """The value an internal reference (``"#/components/schemas/Book"``) points to."""
        return _pointer_get(self.document, ref)


def normalize_base_path(path: str) -> str:
    """``path`` as a route prefix: one leading slash, none trailing, ``""`` for the root."""
    stripped = path.strip().strip("/")
    return "/" + stripped if stripped else ""


def _pointer_get(document: JSON, ref: str) -> JSON:
    if not ref.startswith("#"):
        raise KeyError(f"{ref!r} is not an internal reference (expected '#/...')")
    try:
        return resolve_pointer(document, ref[1:])
    except KeyError:
        raise KeyError(f"{ref!r} points to nothing in the document") from None


def _follow(document: JSON, value: JSON) -> JSON:
    """Follow a chain of ``$ref`` objects (parameters, responses, bodies)."""
    seen: set[str] = set()
    while isinstance(value, Mapping) and isinstance(value.get("$ref"), str):
        ref = value["$ref"]
        if ref in seen:
            raise KeyError(f"reference cycle through {ref!r}")
        seen.add(ref)
        value = _pointer_get(document, ref)
    return value


def _media(document: JSON, content: Mapping[str, Any] | None) -> tuple[MediaType, ...]:
    return tuple(
        MediaType(media_type, _follow(document, spec).get("schema")) for media_type, spec in (content or {}).items()
    )


def _parameter(document: JSON, raw: JSON) -> Parameter:
    spec = _follow(document, raw)
    return Parameter(
        name=spec["name"],
        location=spec["in"],
        required=bool(spec.get("required", spec["in"] == "path")),
        schema=spec.get("schema"),
        style=spec.get("style"),
        explode=spec.get("explode"),
        description=spec.get("description", ""),
    )


def _index(document: FrozenDict) -> Iterator[Operation]:
    default_security = tuple(document.get("security", ()))
    for path, raw_item in document.get("paths", {}).items():
        item = _follow(document, raw_item)
        shared = [_parameter(document, p) for p in item.get("parameters", ())]
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            own = [_parameter(document, p) for p in op.get("parameters", ())]
            overridden = {(p.name, p.location) for p in own}
            params = [p for p in shared if (p.name, p.location) not in overridden] + own
            body = None
            if "requestBody" in op:
                raw_body = _follow(document, op["requestBody"])
                body = RequestBody(bool(raw_body.get("required", False)), _media(document, raw_body.get("content")))
            responses = tuple(
                Response(str(status), spec.get("description", ""), _media(document, spec.get("content")))
                for status, spec in ((s, _follow(document, r)) for s, r in op.get("responses", {}).items())
            )
            yield Operation(
                method=method,
                path=path,
                operation_id=op.get("operationId"),
                summary=op.get("summary", ""),
                tags=tuple(op.get("tags", ())),
                parameters=tuple(params),
                request_body=body,
                responses=responses,
                security=tuple(op["security"]) if "security" in op else default_security,
            )


# --------------------------------------------------------------------------- validation


_DATA_KEYWORDS = frozenset({"example", "default", "const", "enum"})
"""Keywords whose values are instances, not schemas: a ``$ref`` key in them is data.

(``examples`` too when it is a list, as in JSON Schema; OpenAPI's map of
Example Objects may hold references of its own.)
"""


def _schema_nodes(value: JSON, prefix: str = "") -> Iterator[tuple[Mapping[str, Any], str]]:
    """Every mapping of a document or schema with its pointer, in document order, data values skipped."""
    stack: list[tuple[JSON, str]] = [(value, prefix)]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, Mapping):
            yield node, pointer
            stack.extend(
                (v, f"{pointer}/{escape_pointer(k)}")
                for k, v in reversed(list(node.items()))
                if k not in _DATA_KEYWORDS
                and not str(k).startswith("x-")
                and not (k == "examples" and isinstance(v, list))
            )
        elif isinstance(node, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in reversed(list(enumerate(node))))


def outside_references(value: JSON, *, prefix: str = "") -> Iterator[Problem]:
    """Every reference of a schema (or document) that could make a validator read outside it.

    A ``$ref`` that is not a ``#...`` fragment, a ``$dynamicRef`` or
    ``$recursiveRef`` that is not one, and an ``$id`` that is not one (it
    would change the base the fragments resolve against) are problems at
    their pointer: cdspec fetches no URL and reads no file while validating.
    """
    for keyword, target, pointer in _outside(value, prefix):
        yield Problem(_outside_message(keyword, target), pointer=pointer)


def _outside(value: JSON, prefix: str) -> Iterator[tuple[str, str, str]]:
    """Keyword, target and pointer of each reference in ``value`` that is not a ``#...`` fragment."""
    for node, pointer in _schema_nodes(value, prefix):
        for keyword in ("$ref", "$dynamicRef", "$recursiveRef", "$id"):
            target = node.get(keyword)
            if isinstance(target, str) and not target.startswith("#"):
                yield keyword, target, f"{pointer}/{escape_pointer(keyword)}"


def _outside_message(keyword: str, target: str) -> str:
    if keyword == "$id":
        return (
            f"'$id' {target!r} would resolve references against a base outside the document; "
            "cdspec resolves only references inside it (remove the $id)"
        )
    return f"{keyword} {target!r} points outside the document (only '#...' fragments are allowed)"


def _dangling_refs(document: JSON) -> Iterator[Problem]:
    """Every reference that leaves the document or ``$ref`` that points to nothing, at its pointer."""
    for keyword, target, where in _outside(document, ""):
        if keyword == "$ref":  # a file reference left unbundled: say how to bundle it
            message = (
                f"external reference {target!r}: the contract must be self-contained here "
                "(load it from a file so cdspec can bundle the files it references)"
            )
        else:
            message = _outside_message(keyword, target)
        yield Problem(message, pointer=where)
    for node, pointer in _schema_nodes(document):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            try:
                _pointer_get(document, ref)
            except KeyError:
                yield Problem(f"reference {ref!r} points to nothing in the contract", pointer=f"{pointer}/$ref")


@functools.cache
def _validators() -> dict[str, Any]:
    """openapi-spec-validator classes with the jsonschema backend pinned.

    Imported lazily: openapi-spec-validator takes about 0.3 s to import.
    The subclasses also turn off its file/URL reference handlers (the
    document is self-contained when it gets here) and do not memoise
    ``iter_errors`` on the instance (upstream's ``lru_cache`` on the method
    keeps every validated document alive).
    """
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import schema_v30, schema_v31
    from openapi_spec_validator.schemas.backend.jsonschema import create_validator

    made: dict[str, Any] = {}
    for version, base, schema in (
        ("3.0", OpenAPIV30SpecValidator, schema_v30),
        ("3.1", OpenAPIV31SpecValidator, schema_v31),
    ):

        class Pinned(base):  # type: ignore[misc, valid-type]
            resolver_handlers: dict[str, Any] = {}  # noqa: RUF012  # upstream's class attribute
            schema_validator = create_validator(schema)

            def structure_errors(self) -> Iterator[Any]:
                yield from self.schema_validator.iter_errors(self.schema)

            def semantic_errors(self) -> Iterator[Any]:
                yield from self.root_validator(self.schema_path)

        made[version] = Pinned
    return made


def _validator_for(version: str) -> Any:
    return _validators()[version]


def _message(error: Any) -> tuple[str, str]:
    """The most specific message of a jsonschema error, and its pointer."""
    best = best_error(error)
    return best.message, "".join(f"/{escape_pointer(t)}" for t in best.absolute_path)


def contract_problems(document: object, *, name: str | None = None) -> list[Problem]:
    """Every problem that keeps ``document`` from being a valid OpenAPI 3.0/3.1 contract.

    Pointers are relative to the document. Nothing raises: a dangling
    reference, a recursion or any failure inside the validator is a problem.
    """
    if not isinstance(document, Mapping):
        return [Problem(f"expected an OpenAPI document (a mapping), got {json_type(document)}", file=name)]
    version = document.get("openapi")
    if not isinstance(version, str) or version[:4] not in ("3.0.", "3.1."):
        shown = "nothing" if version is None else repr(version)
        return [
            Problem(
                f"expected 'openapi' to be a 3.0.x or 3.1.x version string, got {shown}",
                file=name,
                pointer="/openapi",
            )
        ]
    problems = [attrs.evolve(p, file=name) for p in _dangling_refs(document)]
    if problems:
        return problems
    try:
        validator = _validator_for(version[:3])(dict(document))
        for error in validator.structure_errors():
            message, pointer = _message(error)
            problems.append(Problem(f"invalid OpenAPI: {message}", file=name, pointer=pointer))
        if not problems:
            problems.extend(
                Problem(f"invalid OpenAPI: {error.message}", file=name) for error in validator.semantic_errors()
            )
    except RecursionError:
        problems.append(Problem("invalid OpenAPI: schemas nest or refer to each other too deeply", file=name))
    except Exception as exc:  # the validator may raise anything on hostile input
        problems.append(Problem(f"invalid OpenAPI: the validator failed: {type(exc).__name__}: {exc}", file=name))
    if not problems:
        try:
            list(_index(freeze(document)))
        except (KeyError, TypeError, AttributeError) as exc:
            problems.append(Problem(f"invalid OpenAPI: cannot index operations: {exc}", file=name))
    return list(dict.fromkeys(problems))
