"""Tasks to prompts: one task rendered at any depth, in several formats.

:func:`render` turns a :class:`~cdspec.Task` (at a depth, or with a chosen
list of layers) into a :class:`Prompt`: the text, the chat messages, and
exactly which layers and constraints it states. Templates are logic-less
Mustache (:mod:`cdspec._mustache`): a template from a task file can print
and repeat the data cdspec gives it, and nothing else.

The default template follows the shape of the prompts of the Constraint Decay
study: the contract first, then the instruction (what to build, with which
language and framework), a ``Requirements`` list of MUST lines (one per active
layer), one section per active layer with its preamble and constraints, and
the task's fixed operational sections last.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from ._frozen import JSON, FrozenDict, freeze, thaw
from ._mustache import Template, compile_template
from .contract import Contract, Operation
from .errors import TemplateError
from .kinds import BUILTIN_KINDS, KindRegistry
from .model import PromptTemplate, Target, Task

__all__ = [
    "BUILTIN_TEMPLATES",
    "FORMATS",
    "ContractStyle",
    "Format",
    "Prompt",
    "prompt_fingerprint",
    "render",
    "resolve_template",
]

Format = Literal["markdown", "text", "messages"]
ContractStyle = Literal["verbatim", "summary"]
FORMATS: tuple[Format, ...] = ("markdown", "text", "messages")
"""The formats :func:`render` can produce."""

_DEFAULT_BODY = """\
# {{task.title}}

## API contract

{{#contract.verbatim}}
The service MUST implement this OpenAPI {{contract.openapi}} contract exactly: every path, method, \
parameter, status code and body shape.

```yaml
{{contract.text}}
```
{{/contract.verbatim}}
{{#contract.summary}}
The service MUST implement these operations of the API contract exactly: every path, method, \
parameter, status code and body shape.

```text
{{contract.text}}
```
{{/contract.summary}}

## Instructions

{{task.goal}}

{{#task.feature}}
Start from the existing project in `{{task.feature.baseline}}` and add this feature: \
{{task.feature.description}}
{{#task.feature.operations}}
The operations to add: {{task.feature.operations}}.
{{/task.feature.operations}}

{{/task.feature}}
Implement it in {{target.language}} with {{target.framework}}.
{{#has_layers}}

## Requirements

{{#requirements}}
- {{.}}
{{/requirements}}
{{/has_layers}}
{{#layers}}

## {{title}}

{{#preamble}}
{{preamble}}

{{/preamble}}
{{#constraints}}
- {{text}}
{{/constraints}}
{{/layers}}
{{#sections}}

## {{title}}

{{text}}
{{/sections}}
"""

_DEFAULT_SYSTEM = """\
You are an expert {{target.language}} backend engineer. Build exactly what the user asks for, \
following every requirement; do not add features, endpoints or dependencies that were not asked for.
"""

BUILTIN_TEMPLATES: Mapping[str, PromptTemplate] = FrozenDict(
    {"default": PromptTemplate("default", _DEFAULT_BODY, system=_DEFAULT_SYSTEM)}
)
"""Templates every task can use by name."""


def _freeze_messages(messages: Iterable[Mapping[str, str]]) -> tuple[FrozenDict, ...]:
    return tuple(freeze(m) for m in messages)


@attrs.frozen
class Prompt:
    """A rendered prompt and exactly what it states.

    ``text`` is the prompt in ``format`` (for ``"messages"``, the user
    message); ``messages`` the chat messages (system, then user) in every
    format. ``layers`` and ``constraint_ids`` are those the prompt states, in
    order; ``fingerprint`` is a SHA-256 of the format and the messages.
    """

    text: str
    messages: tuple[FrozenDict, ...] = attrs.field(converter=_freeze_messages)
    format: Format
    task_id: str
    target: Target
    layers: tuple[str, ...]
    constraint_ids: tuple[str, ...]
    depth: int
    template: str
    contract_style: ContractStyle
    fingerprint: str

    def __str__(self) -> str:
        if self.format != "messages":
            return self.text
        return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in self.messages)

    def __repr__(self) -> str:
        """One line: ``<Prompt library d2 [architecture, sqlite] markdown, 4 constraints, 21034 characters>``."""
        layers = ", ".join(self.layers)
        size = f"{len(self.constraint_ids)} constraints, {len(self.text)} characters"
        return f"<Prompt {self.task_id} d{self.depth} [{layers}] {self.format}, {size}>"

    def _repr_markdown_(self) -> str:
        facts = (
            f"**{self.task_id}** at depth {self.depth} ({', '.join(self.layers) or 'contract only'}); "
            f"{len(self.constraint_ids)} constraints; {self.target.language}/{self.target.framework}; "
            f"template `{self.template}`, {self.format}; fingerprint `{self.fingerprint[:12]}`"
        )
        return f"{facts}\n\n---\n\n{self.messages[-1]['content']}"

    def to_data(self) -> dict[str, Any]:
        """The prompt as plain JSON data (see ``schemas/variant.schema.json``)."""
        data: dict[str, Any] = thaw(
            {
                "format": self.format,
                "text": self.text,
                "messages": list(self.messages),
                "task_id": self.task_id,
                "target": {"language": self.target.language, "framework": self.target.framework},
                "layers": list(self.layers),
                "constraint_ids": list(self.constraint_ids),
                "depth": self.depth,
                "template": self.template,
                "contract_style": self.contract_style,
                "fingerprint": self.fingerprint,
            }
        )
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Prompt:
        """The prompt back from :meth:`to_data` (already validated data)."""
        return cls(
            text=data["text"],
            messages=data["messages"],
            format=data["format"],
            task_id=data["task_id"],
            target=Target(data["target"]["language"], data["target"]["framework"]),
            layers=tuple(data["layers"]),
            constraint_ids=tuple(data["constraint_ids"]),
            depth=data["depth"],
            template=data["template"],
            contract_style=data["contract_style"],
            fingerprint=data["fingerprint"],
        )


# --------------------------------------------------------------------------- context


def _schema_shape(schema: JSON, contract: Contract, seen: set[str]) -> str:
    """A one-line shape of a schema: ``Book``, ``[Book]``, ``{id: integer, tags?: [string]}``."""
    if not isinstance(schema, Mapping):
        return "any"
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        seen.add(str(schema["$ref"]))
        return name
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema:
            joiner = {"allOf": " & ", "oneOf": " | ", "anyOf": " | "}[combinator]
            return joiner.join(_schema_shape(s, contract, seen) for s in schema[combinator])
    kind = schema.get("type")
    nullable = schema.get("nullable") is True
    if isinstance(kind, list):
        nullable = nullable or "null" in kind
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if "enum" in schema:
        shape = " | ".join(json.dumps(v) for v in schema["enum"])
    elif kind == "array":
        shape = f"[{_schema_shape(schema.get('items', {}), contract, seen)}]"
    elif kind == "object" or "properties" in schema:
        required = set(schema.get("required", ()))
        fields = ", ".join(
            f"{name}{'' if name in required else '?'}: {_schema_shape(sub, contract, seen)}"
            for name, sub in schema.get("properties", {}).items()
        )
        shape = f"{{{fields}}}"
    else:
        shape = str(kind or "any")
        if "format" in schema:
            shape += f"({schema['format']})"
    return f"{shape} | null" if nullable else shape


def _operation_summary(op: Operation, contract: Contract, seen: set[str]) -> str:
    head = f"{op.key}  {op.operation_id or ''}{'  [auth]' if op.requires_auth else ''}".rstrip()
    lines = [head]
    if op.summary:
        lines.append(f"  {op.summary}")
    for p in op.parameters:
        required = ", required" if p.required else ""
        lines.append(f"  {p.location} {p.name}: {_schema_shape(p.schema, contract, seen)}{required}")
    if op.request_body is not None:
        for media in op.request_body.content:
            required = " (required)" if op.request_body.required else ""
            lines.append(f"  body{required} {media.media_type}: {_schema_shape(media.schema, contract, seen)}")
    for response in op.responses:
        shapes = ", ".join(
            f"{m.media_type}: {_schema_shape(m.schema, contract, seen)}" for m in response.content if m.schema
        )
        lines.append(f"  -> {response.status}{' ' + shapes if shapes else ''}")
    return "\n".join(lines)


def contract_summary(contract: Contract) -> str:
    """A compact, deterministic endpoint summary: operations, then the schemas they use."""
    seen: set[str] = set()
    blocks = [_operation_summary(op, contract, seen) for op in contract.operations]
    done: set[str] = set()
    schema_lines = []
    while seen - done:
        ref = sorted(seen - done)[0]
        done.add(ref)
        try:
            target = contract.resolve(ref)
        except KeyError:
            continue
        schema_lines.append(f"{ref.rsplit('/', 1)[-1]}: {_schema_shape(target, contract, seen)}")
    if schema_lines:
        blocks.append("Schemas:\n" + "\n".join(f"  {line}" for line in schema_lines))
    return "\n\n".join(blocks)


def _context(task: Task, kinds: KindRegistry, contract_style: ContractStyle) -> dict[str, Any]:
    feature = None
    if task.feature is not None:
        feature = {
            "baseline": task.feature.baseline,
            "description": task.feature.description,
            "operations": ", ".join(f"`{op}`" for op in task.feature.operations),
        }
    contract = task.contract
    text = contract.yaml.rstrip("\n") if contract_style == "verbatim" else contract_summary(contract)
    layers = [
        {
            "name": layer.name,
            "title": layer.heading,
            "summary": layer.summary,
            "preamble": layer.preamble.strip(),
            "group": layer.group,
            "constraints": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "text": kinds.sentence(c.kind, c.params, c.text),
                    "rationale": c.rationale,
                }
                for c in layer.constraints
            ],
        }
        for layer in task.stack
    ]
    return {
        "task": {"id": task.id, "title": task.title, "goal": task.goal.strip(), "mode": task.mode, "feature": feature},
        "target": {"language": task.target.language, "framework": task.target.framework},
        "contract": {
            "text": text,
            "verbatim": contract_style == "verbatim",
            "summary": contract_style == "summary",
            "title": contract.title,
            "version": contract.version,
            "openapi": contract.openapi,
        },
        "requirements": [
            layer.summary or f"The code MUST follow every {layer.heading} requirement below." for layer in task.stack
        ],
        "layers": layers,
        "has_layers": bool(layers),
        "sections": [{"title": s.title, "text": s.text.strip()} for s in task.sections],
        "depth": task.depth,
    }


# --------------------------------------------------------------------------- formats

_HEADING = re.compile(r"^(#{1,6}) (.*)$")


def markdown_to_text(markdown: str) -> str:
    """Plain text from the Markdown that templates write.

    Headings become underlined lines, code fences go (their content stays,
    indented by four spaces), everything else is kept as it is.
    """
    out: list[str] = []
    in_code = False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            out.append(f"    {line}" if line else "")
            continue
        match = _HEADING.match(line)
        if match:
            title = match.group(2).strip()
            out.extend([title, ("=" if len(match.group(1)) == 1 else "-") * len(title)])
        else:
            out.append(line)
    return "\n".join(out)


def _tidy(text: str) -> str:
    """One blank line at most between blocks (code blocks kept exact), one newline at the end."""
    out: list[str] = []
    in_code = False
    for line in text.strip("\n").split("\n"):
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def prompt_fingerprint(format: str, messages: Sequence[Mapping[str, str]]) -> str:
    """The fingerprint of a prompt: SHA-256 of its format and messages as canonical JSON."""
    canonical = json.dumps({"format": format, "messages": list(messages)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- rendering


def resolve_template(task: Task, template: str | PromptTemplate) -> PromptTemplate:
    """The template named ``template`` (the task's own first, then built-in), or ``template`` itself."""
    if isinstance(template, PromptTemplate):
        return template
    for own in task.templates:
        if own.name == template:
            return own
    if template in BUILTIN_TEMPLATES:
        return BUILTIN_TEMPLATES[template]
    known = sorted({t.name for t in task.templates} | set(BUILTIN_TEMPLATES))
    raise TemplateError(str(template), None, f"no such template (known: {', '.join(known)})")


def _compiled(template: PromptTemplate) -> tuple[Template, Template | None]:
    body = compile_template(template.body, name=f"template {template.name!r}")
    system = compile_template(template.system, name=f"template {template.name!r} (system)") if template.system else None
    return body, system


def render(
    task: Task,
    *,
    depth: int | None = None,
    layers: Iterable[str] | None = None,
    template: str | PromptTemplate = "default",
    format: Format = "markdown",
    contract: ContractStyle = "verbatim",
    kinds: KindRegistry = BUILTIN_KINDS,
) -> Prompt:
    """Render ``task`` as a prompt.

    ``depth`` keeps the first ``depth`` layers of the task's stack (0: the
    contract alone, with the instruction); ``layers`` selects layers by name,
    in that order; with neither, the whole stack is rendered. ``template`` is
    a name (the task's own templates first, then :data:`BUILTIN_TEMPLATES`)
    or a :class:`PromptTemplate`; ``format`` is ``"markdown"``, ``"text"`` or
    ``"messages"``; ``contract`` renders the contract ``"verbatim"`` (the
    document as YAML) or as a compact endpoint ``"summary"``.
    """
    if depth is not None and layers is not None:
        raise ValueError("give depth or layers, not both")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if contract not in ("verbatim", "summary"):
        raise ValueError(f"contract must be 'verbatim' or 'summary', got {contract!r}")
    chosen = task.at_depth(depth) if depth is not None else task.select(layers) if layers is not None else task
    resolved = resolve_template(task, template)
    body, system = _compiled(resolved)
    context = _context(chosen, kinds, contract)
    markdown = _tidy(body.render(context))
    text = markdown_to_text(markdown) if format == "text" else markdown
    messages: list[dict[str, str]] = []
    if system is not None:
        messages.append({"role": "system", "content": _tidy(system.render(context))})
    messages.append({"role": "user", "content": text})
    return Prompt(
        text=text,
        messages=messages,
        format=format,
        task_id=chosen.id,
        target=chosen.target,
        layers=tuple(layer.name for layer in chosen.stack),
        constraint_ids=tuple(c.id for c in chosen.constraints),
        depth=chosen.depth,
        template=resolved.name,
        contract_style=contract,
        fingerprint=prompt_fingerprint(format, messages),
    )
