"""Behavioural test cases as plain data.

A :class:`Case` is a sequence of :class:`Step`\\ s; each step sends one
:class:`Request` and checks :class:`Expectation`\\ s on the response. Values
that only exist at run time are symbols, resolved by the runner:

- ``{"$var": "token"}``: a value an earlier step captured (``capture`` maps a
  variable name to a JSON pointer into that step's response body, or
  ``"header:Name"`` for a response header);
- ``{"$unique": "email"}`` (or ``"string"``): a value unique to this run and
  case (``user-3f2a9c-0@example.com``), so cases never collide on unique
  columns and runs do not depend on order or on a clean database;
- ``{"$env": "NAME"}``: an environment variable of the run (credentials
  stay out of case files);
- ``{"$now": "P2DT30M"}``: the case's start time plus an ISO 8601 duration
  (``-P1D`` is a day before), as an RFC 3339 UTC timestamp.

A case's ``vars`` are bound (in order) before its first step, so one
``$unique`` email can be used by a register and a login step alike.

Everything here is JSON round-trippable: :meth:`Case.to_data` and
:meth:`Case.from_data` (see ``schemas/case.schema.json``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from cdspec._frozen import JSON, FrozenDict, freeze, thaw

__all__ = ["EXPECTATION_KINDS", "Case", "Expectation", "Request", "Step"]

ExpectationKind = Literal["status", "content_type", "schema", "documented", "equals", "contains", "not_contains"]
EXPECTATION_KINDS: tuple[str, ...] = (
    "status",
    "content_type",
    "schema",
    "documented",
    "equals",
    "contains",
    "not_contains",
)
"""What an expectation can check:

- ``status``: the status code is one of ``statuses`` (``"200"``, ``"4XX"``);
  ``behaviour`` (optional) lists the statuses that show the behaviour holds
  when none of ``statuses`` came (default: the classes of ``statuses``,
  never ``5XX`` unless ``statuses`` has one): generated negative steps with a
  wrong type or a value out of range say ``["2XX", "4XX"]``;
- ``content_type``: the response's media type is ``media_type``;
- ``schema``: the JSON body is valid against ``schema`` (a self-contained
  JSON Schema 2020-12);
- ``documented``: the response is one the contract documents: its status is
  a key of ``responses`` (``"200"``, ``"4XX"``, ``"default"``) and its media
  type and body match that entry's ``media_type`` and ``schema``;
- ``equals``: the value at ``pointer`` in the body equals ``value``;
- ``contains``: the array at ``pointer`` has an item whose fields equal ``match``;
- ``not_contains``: it has none.
"""


def _frozen_mapping(value: Mapping[str, Any] | None) -> FrozenDict:
    frozen: FrozenDict = freeze(dict(value or {}))
    return frozen


@attrs.frozen
class Request:
    """One HTTP request, with symbols (``$var``, ``$unique``) still unresolved.

    ``path`` is the contract's path template (``/books/{bookId}``);
    ``path_params`` fills it. ``query`` values are strings or lists of
    strings (a repeated key). ``auth`` says which credentials to send:
    ``"none"``, or the name of a captured variable holding a bearer token,
    or ``"invalid"`` for a well-formed but wrong one. ``pages`` tells the
    runner how to walk a paginated list for ``contains``/``not_contains``
    (``style`` ``"page"`` or ``"offset"``, the ``param`` and its ``start``,
    ``size_param`` and ``size``, and the ``items`` pointer). ``scheme`` says
    where the credential goes (default ``Authorization: Bearer <token>``):
    ``{"in": "header", "name": "Authorization", "format": "Token {token}"}``,
    ``{"in": "query" | "cookie", "name": ...}`` or ``{"type": "basic"}``.
    """

    method: str
    path: str
    operation: str | None = None
    path_params: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)
    query: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)
    headers: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)
    body: JSON = attrs.field(converter=freeze, default=None)
    has_body: bool = False
    content_type: str | None = None
    auth: str = "none"
    pages: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)
    scheme: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.operation is not None:
            data["operation"] = self.operation
        for name in ("path_params", "query", "headers"):
            if getattr(self, name):
                data[name] = thaw(getattr(self, name))
        if self.has_body:
            data["body"] = thaw(self.body)
        if self.content_type is not None:
            data["content_type"] = self.content_type
        if self.auth != "none":
            data["auth"] = self.auth
        if self.pages:
            data["pages"] = thaw(self.pages)
        if self.scheme:
            data["scheme"] = thaw(self.scheme)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Request:
        return cls(
            method=data["method"],
            path=data["path"],
            operation=data.get("operation"),
            path_params=data.get("path_params"),
            query=data.get("query"),
            headers=data.get("headers"),
            body=data.get("body"),
            has_body="body" in data,
            content_type=data.get("content_type"),
            auth=data.get("auth", "none"),
            pages=data.get("pages"),
            scheme=data.get("scheme"),
        )


@attrs.frozen
class Expectation:
    """One check on a response: its ``kind``, its arguments, and what it means."""

    kind: ExpectationKind
    args: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)
    description: str = ""

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, **thaw(self.args), **({"description": self.description} if self.description else {})}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Expectation:
        args = {k: v for k, v in data.items() if k not in ("kind", "description")}
        return cls(data["kind"], args, data.get("description", ""))


def _expectations(value: Iterable[Expectation]) -> tuple[Expectation, ...]:
    return tuple(value)


@attrs.frozen
class Step:
    """A request, the checks on its response, and the values to keep for later steps."""

    name: str
    request: Request
    expect: tuple[Expectation, ...] = attrs.field(converter=_expectations, default=())
    capture: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "request": self.request.to_data(),
            "expect": [e.to_data() for e in self.expect],
        }
        if self.capture:
            data["capture"] = thaw(self.capture)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            name=data["name"],
            request=Request.from_data(data["request"]),
            expect=tuple(Expectation.from_data(e) for e in data.get("expect", ())),
            capture=data.get("capture"),
        )


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Case:
    """A behavioural test case: an id, what kind of case it is, and its steps.

    ``kind`` is ``"lifecycle"``, ``"negative"``, ``"security"``,
    ``"response"`` or ``"scenario"`` (declared in the task file);
    ``operations`` are the contract operations it exercises; ``vars`` are
    bound before the first step (values may be symbols). ``base_path`` (the
    contract's servers path, ``/api``) is put before every request's path
    unless the run's ``base_url`` has a path of its own.
    """

    id: str
    kind: str
    title: str
    steps: tuple[Step, ...] = attrs.field(converter=_steps)
    task_id: str = ""
    operations: tuple[str, ...] = attrs.field(converter=_strings, default=())
    vars: FrozenDict = attrs.field(converter=_frozen_mapping, factory=FrozenDict)
    base_path: str = ""

    @property
    def assertions(self) -> int:
        """How many expectations the case checks."""
        return sum(len(step.expect) for step in self.steps)

    def __repr__(self) -> str:
        """One line: ``<Case lifecycle-books-0000 (lifecycle), 5 steps, 12 assertions: title>``."""
        from cdspec._html import clip

        size = f"{len(self.steps)} steps, {self.assertions} assertions"
        return f"<Case {self.id} ({self.kind}), {size}: {clip(self.title)}>"

    def _repr_html_(self) -> str:
        """A notebook view: one row per step (request and checks)."""
        from cdspec._html import table

        rows = (
            (i, step.name, step.request.method, step.request.path, ", ".join(e.kind for e in step.expect))
            for i, step in enumerate(self.steps, 1)
        )
        caption = f"case {self.id} ({self.kind}): {self.title}"
        return table(caption, ("#", "step", "method", "path", "checks"), rows)

    def to_data(self) -> dict[str, Any]:
        """The case as one JSON object (a line of a cases JSONL file)."""
        data: dict[str, Any] = {
            "id": self.id,
            "task_id": self.task_id,
            "kind": self.kind,
            "title": self.title,
            "operations": list(self.operations),
        }
        if self.vars:
            data["vars"] = thaw(self.vars)
        if self.base_path:
            data["base_path"] = self.base_path
        data["steps"] = [s.to_data() for s in self.steps]
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Case:
        """The case back from :meth:`to_data` (data already checked against the schema)."""
        return cls(
            id=data["id"],
            kind=data["kind"],
            title=data["title"],
            steps=[Step.from_data(s) for s in data["steps"]],
            task_id=data.get("task_id", ""),
            operations=tuple(data.get("operations", ())),
            vars=data.get("vars"),
            base_path=data.get("base_path", ""),
        )
