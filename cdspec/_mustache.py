"""A strict, logic-less Mustache for prompt templates.

Templates may come from task files, so they must never run code. Mustache
has no expressions, no calls and no attribute access: a template can only
print values and repeat or skip blocks over the data cdspec hands it (plain
dicts, lists and strings). This module implements the part of the Mustache
spec that prompts need:

- ``{{name}}``, ``{{a.b}}`` and ``{{.}}`` print a value (no HTML escaping:
  prompts are text; ``{{{name}}}`` and ``{{& name}}`` are accepted as the same);
- ``{{#name}}...{{/name}}`` repeats a block for each item of a list, shows it
  once for any other truthy value (a mapping becomes the context), and
  ``{{^name}}...{{/name}}`` shows a block when the value is empty or false;
- ``{{! comment }}``;
- tags alone on their line (sections, closings, comments) take the whole line
  with them, so templates can be laid out readably.

Unlike Mustache, a name that resolves to nothing is an error (naming the
field and listing those that exist), never a silent empty string: a prompt
with a hole in it would be a wrong experiment. Partials, lambdas and
delimiter changes are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .errors import TemplateError

__all__ = ["MAX_OUTPUT", "Template", "compile_template"]

MAX_OUTPUT = 10_000_000
"""Characters a rendered template may have at most."""

_TAG = re.compile(r"\{\{(\{)?\s*([#^/!&]?)\s*(.*?)\s*(?(1)\})\}\}", re.DOTALL)
_NAME = re.compile(r"\.|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_STANDALONE = frozenset("#^/!")


@attrs.frozen
class _Text:
    text: str


@attrs.frozen
class _Var:
    name: str
    line: int


@attrs.frozen
class _Section:
    name: str
    inverted: bool
    body: tuple[_Node, ...]
    line: int


_Node = _Text | _Var | _Section


def _line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _tokens(source: str) -> list[tuple[str, str, int, int, int]]:
    """(kind, content, start, end, line) for every tag, standalone lines widened."""
    tokens = []
    for match in _TAG.finditer(source):
        sigil, content = match.group(2), match.group(3)
        if match.group(1):
            sigil = "&"
        start, end = match.start(), match.end()
        if sigil in _STANDALONE:
            line_start = source.rfind("\n", 0, start) + 1
            line_end = source.find("\n", end)
            line_end = len(source) if line_end == -1 else line_end + 1
            before = source[line_start:start]
            after = source[end:line_end]
            if not before.strip() and not after.strip():
                start, end = line_start, line_end
        tokens.append((sigil, content, start, end, _line_of(source, match.start())))
    return tokens


@attrs.frozen
class Template:
    """A compiled template: render it with :meth:`render`."""

    name: str
    source: str = attrs.field(repr=False)
    _nodes: tuple[_Node, ...] = attrs.field(repr=False, alias="nodes")

    def render(self, context: Mapping[str, Any], *, max_chars: int = MAX_OUTPUT) -> str:
        """The template filled from ``context``.

        :class:`TemplateError` for a missing field, a mapping printed as a
        value, or an output past ``max_chars`` (sections nested in sections
        multiply: a template must not be able to make a prompt without end).
        """
        out = _Output(max_chars, self.name)
        self._render(self._nodes, [context], out)
        return "".join(out.parts)

    def _render(self, nodes: Sequence[_Node], stack: list[Any], out: _Output) -> None:
        for node in nodes:
            if isinstance(node, _Text):
                out.add(node.text, 0)
            elif isinstance(node, _Var):
                value = self._lookup(node.name, stack, node.line)
                out.add(_text(value, self.name, node), node.line)
            else:
                value = self._lookup(node.name, stack, node.line)
                if node.inverted:
                    if not value:
                        self._render(node.body, stack, out)
                elif isinstance(value, list | tuple):
                    for item in value:
                        self._render(node.body, [*stack, item], out)
                elif value:
                    self._render(node.body, [*stack, value] if isinstance(value, Mapping) else stack, out)

    def _lookup(self, name: str, stack: list[Any], line: int) -> Any:
        if name == ".":
            return stack[-1]
        head, *rest = name.split(".")
        for frame in reversed(stack):
            if isinstance(frame, Mapping) and head in frame:
                value = frame[head]
                break
        else:
            raise TemplateError(self.name, line, f"no field {head!r} (fields here: {_fields(stack)})")
        for part in rest:
            if not isinstance(value, Mapping) or part not in value:
                known = ", ".join(sorted(value)) if isinstance(value, Mapping) else "none"
                raise TemplateError(self.name, line, f"no field {part!r} in {name!r} (fields there: {known})")
            value = value[part]
        return value


def _fields(stack: list[Any]) -> str:
    names: set[str] = set()
    for frame in stack:
        if isinstance(frame, Mapping):
            names.update(frame)
    return ", ".join(sorted(names)) or "none"


class _Output:
    """The rendered parts, with a budget."""

    def __init__(self, max_chars: int, name: str) -> None:
        self.parts: list[str] = []
        self.left = max_chars
        self.max_chars = max_chars
        self.name = name

    def add(self, text: str, line: int) -> None:
        self.left -= len(text)
        if self.left < 0:
            raise TemplateError(
                self.name, line or None, f"the output passes {self.max_chars} characters (sections nested too deep?)"
            )
        self.parts.append(text)


def _text(value: Any, name: str, node: _Var) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping) or (isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value)):
        raise TemplateError(
            name, node.line, f"{{{{{node.name}}}}} is not a value to print: use one of its fields or a section"
        )
    if isinstance(value, list | tuple):
        return ", ".join(_text(v, name, node) for v in value)
    return str(value)


def compile_template(source: str, *, name: str = "<template>") -> Template:
    """Parse ``source``; :class:`TemplateError` (with the line) for a malformed template."""
    root: list[_Node] = []
    stack: list[tuple[str, bool, list[_Node], int]] = []
    current = root
    position = 0
    for sigil, content, start, end, line in _tokens(source):
        if start > position:
            current.append(_Text(source[position:start]))
        position = end
        if sigil == "!":
            continue
        if not _NAME.fullmatch(content):
            raise TemplateError(
                name, line, f"{{{{{sigil}{content}}}}} is not a field name (letters, digits, '_' and '.')"
            )
        if sigil in ("#", "^"):
            stack.append((content, sigil == "^", current, line))
            current = []
        elif sigil == "/":
            if not stack or stack[-1][0] != content:
                expected = f"{{{{/{stack[-1][0]}}}}}" if stack else "no closing tag"
                raise TemplateError(name, line, f"{{{{/{content}}}}} closes nothing open here (expected {expected})")
            opened, inverted, parent, opened_line = stack.pop()
            parent.append(_Section(opened, inverted, tuple(current), opened_line))
            current = parent
        else:
            current.append(_Var(content, line))
    if stack:
        opened, _, _, opened_line = stack[-1]
        raise TemplateError(name, opened_line, f"{{{{#{opened}}}}} is never closed")
    if position < len(source):
        current.append(_Text(source[position:]))
    return Template(name, source, tuple(root))
