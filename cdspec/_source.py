"""Reading YAML and JSON text into JSON data, remembering where things were.

The one place where cdspec turns bytes into data. It guarantees:

- only JSON values come out (YAML is read with a safe loader whose implicit
  types follow YAML 1.2's core schema: ``yes``/``on`` stay strings, dates stay
  strings, mapping keys are the text as written);
- duplicate keys, aliases that expand past a size limit, self-referencing
  aliases, documents nested too deep, files too large, binary or non-UTF-8
  bytes, characters YAML forbids, explicit tags on the wrong text
  (``!!int abc``), numbers that are not JSON (``1e999``, 5000 digits), pipes
  and devices all become :class:`~cdspec.errors.Problem`\\ s, never crashes;
- the work is bounded *while* reading (:class:`Limits`): YAML is built
  straight from parser events, counting every value (aliases at every use)
  and every level as it goes, so nothing is built past a limit; JSON is
  counted by a C-speed scan of its text before :mod:`json` builds it;
- every problem can be placed on a line: :meth:`Source.line_at` maps a JSON
  pointer to the 1-based line of the value it points to (for JSON by
  scanning only the containers on the pointer's path, at C speed).
"""

from __future__ import annotations

import json
import json.decoder
import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import yaml

from .errors import LoadError, Problem

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "Limits",
    "Source",
    "array_index",
    "dump_yaml",
    "escape_pointer",
    "limit_message",
    "open_regular",
    "parse_text",
    "pointer_tokens",
    "read_source",
    "resolve_pointer",
]

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Files larger than this are refused (a task file is text written by people)."""
MAX_NODES = 1_000_000
"""Values a document may expand to, aliases and ``$ref``\\ s counted at every use."""
MAX_DEPTH = 128
"""Nesting depth a document may reach."""


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a positive integer, got {value!r}")


@attrs.frozen(kw_only=True)
class Limits:
    """How much one load may cost; past a limit the input is refused with a :class:`~cdspec.LoadError`.

    Every loader (:func:`~cdspec.load_task`, :func:`~cdspec.parse_task`,
    :func:`~cdspec.load_layer`, :func:`~cdspec.load_contract`,
    :func:`~cdspec.load_file`, :func:`~cdspec.load_variants`, the cases and
    results readers) takes ``limits=``; the problem names the limit it hit, so
    a trusted, larger input loads with, say, ``limits=Limits(max_nodes=5_000_000)``.
    """

    max_file_bytes: int = attrs.field(default=MAX_FILE_BYTES, validator=_positive)
    """Bytes of one task, layer or contract file."""
    max_line_bytes: int = attrs.field(default=MAX_FILE_BYTES, validator=_positive)
    """Bytes of one line of a JSONL file (variants, cases, results)."""
    max_nodes: int = attrs.field(default=MAX_NODES, validator=_positive)
    """Values a document may expand to: YAML aliases and ``$ref``\\ s count at every use."""
    max_depth: int = attrs.field(default=MAX_DEPTH, validator=_positive)
    """Levels of nesting (lists and mappings) a document may reach."""


DEFAULT_LIMITS = Limits()
"""The limits every loader uses unless given others."""


def limit_message(what: str, field: str, limits: Limits) -> str:
    """``what`` went past ``limits.<field>``: a message saying which limit and how to raise it."""
    return (
        f"{what} (limit {field}={getattr(limits, field)}; raise it with limits=cdspec.Limits({field}=...)"
        f" or the command line's --limit {field}=N)"
    )


def escape_pointer(token: object) -> str:
    """Escape one reference token of a JSON pointer (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer_tokens(pointer: str) -> list[str]:
    """Split a JSON pointer (``""`` or ``"/a/0"``) into unescaped reference tokens."""
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise KeyError(f"{pointer!r} is not a JSON pointer (it must start with '/')")
    return [_unescape(t) for t in pointer[1:].split("/")]


def array_index(token: str, length: int) -> int | None:
    """The list index ``token`` means under RFC 6901, or ``None``.

    Only ``0`` or ASCII digits without a leading zero, below ``length``:
    ``-1``, ``01``, ``²`` and ``x`` point to nothing.
    """
    if token == "0" or (token[:1] in "123456789" and token.isascii() and token.isdigit() and len(token) < 20):
        index = int(token)
        return index if index < length else None
    return None


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` in ``document`` (RFC 6901); ``KeyError`` if there is none."""
    node = document
    for token in pointer_tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and (index := array_index(token, len(node))) is not None:
            node = node[index]
        else:
            raise KeyError(f"{pointer!r} points to nothing")
    return node


_Lines = dict[int, dict[Any, int]]
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


class _JsonIndex:
    """Where the values of a JSON text start, found container by container, on demand.

    Only the containers on a pointer's path are scanned, each once: their
    members are stepped over with :mod:`json`'s C scanner, so finding a line
    never costs more than reading the text again at C speed.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.scan = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner
        self.members: dict[int, dict[str, int] | list[int]] = {}

    def skip(self, pos: int) -> int:
        match = _JSON_SPACE.match(self.text, pos)
        return match.end() if match else pos

    def start(self) -> int:
        return self.skip(0)

    def children(self, start: int) -> dict[str, int] | list[int]:
        """The offsets of the values in the container that starts at ``start``."""
        if start in self.members:
            return self.members[start]
        text = self.text
        opener = text[start : start + 1]
        found: dict[str, int] | list[int] = {} if opener == "{" else []
        if opener not in ("{", "["):
            return found
        close = "}" if isinstance(found, dict) else "]"
        pos = self.skip(start + 1)
        try:
            while text[pos : pos + 1] not in (close, ""):
                if isinstance(found, dict):
                    key, pos = _scanstring(text, pos + 1)
                    pos = self.skip(self.skip(pos) + 1)  # past the colon
                    found.setdefault(key, pos)
                else:
                    found.append(pos)
                _, pos = self.scan(text, pos)
                pos = self.skip(pos)
                if text[pos : pos + 1] != ",":
                    break
                pos = self.skip(pos + 1)
        except (ValueError, StopIteration, RecursionError):  # best effort: text json.loads refused
            pass
        self.members[start] = found
        return found


@attrs.define(eq=False)
class Source:
    """One parsed file (or string): its name, text and data, and its lines."""

    name: str
    text: str
    data: Any
    _lines: _Lines | None = attrs.field(default=None, alias="lines")
    _json: _JsonIndex | None = attrs.field(default=None, init=False)

    def line_at(self, pointer: str) -> int | None:
        """The line of the value at ``pointer``, or of its nearest ancestor."""
        if not self.text:
            return None
        if self._lines is None:
            return self._json_line_at(pointer)
        node = self.data
        line = 1
        for token in pointer_tokens(pointer):
            table = self._lines.get(id(node))
            key: Any = token
            if isinstance(node, list):
                index = array_index(token, len(node))
                if index is None:
                    break
                key = index
            elif not isinstance(node, dict) or token not in node:
                break
            if table is not None and key in table:
                line = table[key]
            node = node[key]
        return line

    def _json_line_at(self, pointer: str) -> int:
        if self._json is None:
            self._json = _JsonIndex(self.text)
        index = self._json
        pos = index.start()
        for token in pointer_tokens(pointer):
            children = index.children(pos)
            if isinstance(children, dict):
                if token not in children:
                    break
                pos = children[token]
            else:
                position = array_index(token, len(children))
                if position is None:
                    break
                pos = children[position]
        return self.text.count("\n", 0, pos) + 1


# --------------------------------------------------------------------------- YAML


class _Resolver(yaml.resolver.BaseResolver):
    """Implicit types of YAML 1.2's core schema, minus the non-JSON floats."""


_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"~|null|Null|NULL|")

for _tag, _pattern, _first in (
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+0123456789."),
    ("null", _NULL, ["~", "n", "N", ""]),
):
    _Resolver.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern.pattern})$"), list(_first))
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])

_MAX_INT_BITS = 14_000
"""Integers past this have more decimal digits than Python will print (4300)."""


def _shorten(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


_TAG = "tag:yaml.org,2002:"
_MAP, _SEQ, _STR, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "str", _TAG + "merge"


def _error(message: str, mark: Any, context: str | None = None, context_mark: Any = None) -> yaml.MarkedYAMLError:
    return yaml.constructor.ConstructorError(context, context_mark, message, mark)


def _bad_scalar(tag: str, value: str, expected: str, mark: Any) -> yaml.MarkedYAMLError:
    shown = tag.replace(_TAG, "!!")
    return _error(f"{_shorten(value)!r} ({shown}) is not {expected}", mark)


# Explicit tags (``!!int abc``) reach these with any text, so each checks its
# scalar against the core schema and fails as YAML, never as Python.


def _yaml_int(tag: str, value: str, mark: Any) -> int:
    if not _INT.fullmatch(value):
        raise _bad_scalar(tag, value, "an integer", mark)
    try:
        number = int(value, 0) if value[:2] in ("0o", "0x") else int(value, 10)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise _bad_scalar(tag, value, "an integer of a usable size", mark) from None
    if number.bit_length() > _MAX_INT_BITS:
        raise _bad_scalar(tag, value, "an integer of a usable size", mark)
    return number


def _yaml_float(tag: str, value: str, mark: Any) -> float:
    if not _FLOAT.fullmatch(value):
        raise _bad_scalar(tag, value, "a number (.inf and .nan are not JSON)", mark)
    number = float(value)
    if not math.isfinite(number):
        raise _bad_scalar(tag, value, "a number in the range of a double", mark)
    return number


def _yaml_bool(tag: str, value: str, mark: Any) -> bool:
    if not _BOOL.fullmatch(value):
        raise _bad_scalar(tag, value, "true or false", mark)
    return value.lower() == "true"


def _yaml_null(tag: str, value: str, mark: Any) -> None:
    if not _NULL.fullmatch(value):
        raise _bad_scalar(tag, value, "null", mark)


# Only the JSON types: timestamps are read as strings; binary, set, omap,
# pairs and every other tag are refused (so nothing but plain data is built).
_SCALARS: dict[str, Callable[[str, str, Any], Any]] = {
    _TAG + "null": _yaml_null,
    _TAG + "bool": _yaml_bool,
    _STR: lambda tag, value, mark: value,
    _TAG + "int": _yaml_int,
    _TAG + "float": _yaml_float,
}
_IMPLICIT = _Resolver.yaml_implicit_resolvers


def _resolve(value: str, plain: bool) -> str:
    """The tag YAML 1.2's core schema gives an untagged scalar (only plain ones are typed)."""
    if plain:
        for tag, regexp in _IMPLICIT.get(value[:1], ()):
            if regexp.match(value):
                return str(tag)
    return _STR


_NODE_IDS = {"seq": "sequence", "map": "mapping"}
_KIND_NAMES = {"scalar": "a scalar", "seq": "a sequence", "map": "a mapping"}


def _wrong_tag(tag: str, kind: str, mark: Any) -> yaml.MarkedYAMLError:
    """The error for an explicit ``tag`` on a node of the wrong ``kind`` (or one not allowed at all)."""
    if tag == _MAP:
        return _error(f"tag {tag!r} needs a mapping, found {_KIND_NAMES[kind]}", mark)
    if tag == _SEQ:
        return _error(f"tag {tag!r} needs a sequence, found {_KIND_NAMES[kind]}", mark)
    if tag in _SCALARS:
        return _error(f"expected a scalar node, but found {_NODE_IDS[kind]}", mark)
    return _error(f"tag {tag!r} is not allowed (only plain JSON values are)", mark)


class _Frame:
    """A sequence or mapping being built: what it holds so far, and its size."""

    __slots__ = ("anchor", "height", "is_map", "items", "key", "mark", "merges", "seen", "size")

    def __init__(self, is_map: bool, anchor: str | None, mark: Any) -> None:
        self.is_map = is_map
        self.anchor = anchor
        self.mark = mark
        self.items: list[Any] = []  # values of a sequence; (key, value, line) of a mapping
        self.key: tuple[str, bool, Any] | None = None  # a mapping's pending key: text, is a merge key, mark
        self.merges: list[tuple[Any, Any]] = []  # what '<<' keys name: (value, mark)
        self.seen: set[str] = set()
        self.size = 1
        self.height = 1


class _Builder:
    """JSON data straight from YAML parser events, counted and bounded as it is built.

    No node graph is composed: each event adds to the container being built,
    so memory is the data itself. Every value counts towards ``max_nodes``
    (an alias counts the whole value it names, at every use) and every level
    towards ``max_depth``, checked at the event that goes past them.
    """

    def __init__(self, parser: Any, name: str, limits: Limits) -> None:
        self.parser = parser
        self.name = name
        self.limits = limits
        self.lines: _Lines = {}
        self.duplicates: list[tuple[int, str]] = []
        self.anchors: dict[str, tuple[Any, int, int, Any]] = {}  # value, size, height, mark
        self.open_anchors: set[str] = set()
        self.scalar_texts: dict[str, str] = {}  # the text of each anchored scalar, for keys that alias it
        self.total = 0

    def too_much(self, mark: Any, what: str, field: str) -> LoadError:
        line = mark.line + 1 if mark is not None else None
        return LoadError([Problem(limit_message(what, field, self.limits), file=self.name, line=line)])

    def count(self, size: int, height: int, depth: int, mark: Any) -> None:
        self.total += size
        if self.total > self.limits.max_nodes:
            what = f"the document expands to more than {self.limits.max_nodes} values"
            raise self.too_much(mark, what, "max_nodes")
        if depth + height > self.limits.max_depth:
            raise self.too_much(mark, f"nesting deeper than {self.limits.max_depth} levels", "max_depth")

    def build(self) -> Any:
        get = self.parser.get_event
        get()  # StreamStartEvent
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        first = event  # DocumentStartEvent
        data = self.document()
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                first.start_mark,
                "but found another document",
                event.start_mark,
            )
        return data

    def document(self) -> Any:  # noqa: PLR0915  # one loop over every kind of event
        get = self.parser.get_event
        stack: list[_Frame] = []
        root: Any = None
        while True:
            event = get()
            kind = type(event)
            mark = event.start_mark
            if kind is yaml.DocumentEndEvent:
                return root
            if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
                is_key = bool(stack) and stack[-1].is_map and stack[-1].key is None
                if kind is yaml.AliasEvent:
                    value, size, height, line_mark = self.alias(event)
                elif not is_key or event.anchor is not None:  # a key is its text, unless an alias uses it
                    value, size, height, line_mark = self.scalar(event), 1, 0, mark
                    if event.anchor is not None:
                        self.anchor(event.anchor, value, 1, 0, mark)
                        self.scalar_texts[event.anchor] = event.value
                if is_key:
                    self.key(stack[-1], event)
                    continue
                self.count(size, height, len(stack), mark)
            elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                is_map = kind is yaml.MappingStartEvent
                if stack and stack[-1].is_map and stack[-1].key is None:
                    message = "a key must be a plain string, not a list or a mapping"
                    raise _error(message, mark, "while reading a mapping", stack[-1].mark)
                tag = event.tag
                if tag is not None and tag not in ("!", _MAP if is_map else _SEQ):
                    raise _wrong_tag(tag, "map" if is_map else "seq", mark)
                self.count(1, 1, len(stack), mark)
                if event.anchor is not None:
                    self.open_anchor(event.anchor, mark)
                stack.append(_Frame(is_map, event.anchor, mark))
                continue
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                frame = stack.pop()
                value = self.finish(frame)
                size, height, line_mark = frame.size, frame.height, frame.mark
                if frame.anchor is not None:
                    self.anchor(frame.anchor, value, size, height, frame.mark)
            else:  # pragma: no cover - the parser sends no other event inside a document
                continue
            if not stack:
                root = value
                continue
            parent = stack[-1]
            parent.size += size
            parent.height = max(parent.height, height + 1)
            line = line_mark.line + 1
            if not parent.is_map:
                parent.items.append((value, line))
                continue
            key, is_merge, _ = parent.key  # type: ignore[misc]  # a value follows its key
            parent.key = None
            if is_merge:
                parent.merges.append((value, line_mark))
            else:
                parent.items.append((key, value, line))

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            tag = _resolve(value, event.implicit[0])
        if tag == _STR:
            return value
        construct = _SCALARS.get(tag)
        if construct is None:
            raise _wrong_tag(tag, "scalar", event.start_mark)
        return construct(tag, value, event.start_mark)

    def alias(self, event: Any) -> tuple[Any, int, int, Any]:
        name, mark = event.anchor, event.start_mark
        if name in self.open_anchors:
            line = mark.line + 1
            raise LoadError([Problem("an alias refers to a value that contains it", file=self.name, line=line)])
        if name not in self.anchors:
            raise yaml.composer.ComposerError(None, None, f"found undefined alias {name!r}", mark)
        return self.anchors[name]

    def open_anchor(self, name: str, mark: Any) -> None:
        if name in self.anchors or name in self.open_anchors:
            first = self.anchors[name][3] if name in self.anchors else None
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {name!r}; first occurrence", first, "second occurrence", mark
            )
        self.open_anchors.add(name)

    def anchor(self, name: str, value: Any, size: int, height: int, mark: Any) -> None:
        if name not in self.open_anchors:  # a scalar's anchor: not opened before
            self.open_anchor(name, mark)
        self.open_anchors.discard(name)
        self.anchors[name] = (value, size, height, mark)

    def key(self, frame: _Frame, event: Any) -> None:
        """Take the key of a mapping entry: the text as written (``<<`` is a merge)."""
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.scalar_texts:
                message = "a key must be a plain string, not a list or a mapping"
                raise _error(message, event.start_mark, "while reading a mapping", frame.mark)
            text = self.scalar_texts[event.anchor]
            is_merge = False
        else:
            text = event.value
            tag = event.tag
            is_merge = tag == _MERGE or (tag in (None, "!") and _resolve(text, event.implicit[0]) == _MERGE)
        if not is_merge:
            if text in frame.seen:
                self.duplicates.append((event.start_mark.line + 1, text))
            frame.seen.add(text)
        frame.key = (text, is_merge, event.start_mark)

    def finish(self, frame: _Frame) -> Any:
        if not frame.is_map:
            items = [value for value, _ in frame.items]
            self.lines[id(items)] = {i: line for i, (_, line) in enumerate(frame.items)}
            return items
        data: dict[str, Any] = {}
        table: dict[Any, int] = {}
        for merged, mark in frame.merges:  # merged keys come first; an earlier merge wins
            for source in merged if isinstance(merged, list) else [merged]:
                if not isinstance(source, dict):
                    found = "sequence" if isinstance(source, list) else "scalar"
                    expected = "a mapping" if isinstance(merged, list) else "a mapping or list of mappings"
                    raise _error(
                        f"expected {expected} for merging, but found {found}",
                        mark,
                        "while constructing a mapping",
                        frame.mark,
                    )
                lines = self.lines.get(id(source), {})
                for key, value in source.items():
                    if key not in data:
                        data[key] = value
                        if key in lines:
                            table[key] = lines[key]
        for key, value, line in frame.items:  # explicit keys win over merged ones
            data[key] = value
            table[key] = line
        self.lines[id(data)] = table
        return data


class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python parser, for its messages and for installs without libyaml."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


_CParser: Any
try:
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]  # not in the stubs
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

_REFERENCE_PARSE_CHARS = 1024 * 1024
"""Up to this size a YAML error is reported in the words of PyYAML's pure-Python parser.

libyaml (about ten times faster) reads every text; when it finds an error in
a text of at most this many characters, the text is read again by the
reference parser, whose messages are clearer and the same on every install.
"""

_SURROGATE = re.compile("[\ud800-\udfff]")


def _yaml_problem(name: str, exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):  # no marks, and a message over two lines
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        return _character_problem(name, char, line)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {what}" + (f" ({context})" if context else "")
    return Problem(message, file=name, line=mark.line + 1 if mark is not None else None)


def _character_problem(name: str, char: int, line: int | None) -> Problem:
    message = f"invalid YAML: character U+{char:04X} is not allowed (write it as an escape in a quoted string)"
    return Problem(message, file=name, line=line)


def _build_yaml(parser: Any, text: str, name: str, limits: Limits) -> Source:
    builder = _Builder(parser, name, limits)
    try:
        data = builder.build()
    finally:
        parser.dispose()
    if builder.duplicates:
        raise LoadError(
            Problem(f"duplicate key {key!r} (a key may appear once per mapping)", file=name, line=line)
            for line, key in builder.duplicates
        )
    return Source(name, text, data, lines=builder.lines)


_STARTS = frozenset({yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent})
_ENDS = frozenset({yaml.SequenceEndEvent, yaml.MappingEndEvent})
_IN_SEQ, _WANT_KEY, _WANT_VALUE = 0, 1, 2


def _yaml_nodes_bound(text: str) -> int:
    """More than the nodes a YAML text can hold, from a C-speed count of the characters that start them.

    Every node follows one of these characters or a line break (or is one
    of the three nodes an implicit ``[a: b]`` entry makes).
    """
    return 3 * (1 + sum(text.count(char) for char in ",-:?[{*\n"))


def _count_events(text: str, name: str, limits: Limits) -> None:
    """Refuse a text with more nodes than ``max_nodes`` by counting libyaml's events (no values built).

    The builder refuses it too, but at about four times the cost per node:
    this pass runs first when the text could be past the limit at all.
    """
    parser = _CParser(text)
    get = parser.get_event
    left = limits.max_nodes
    states: list[int] = []  # per open collection: _IN_SEQ, _WANT_KEY or _WANT_VALUE (keys are not values)
    try:
        while (event := get()) is not None:
            kind = type(event)
            if kind in _ENDS:
                states.pop()
                continue
            if kind not in _STARTS:
                continue
            if states and states[-1] == _WANT_KEY:
                states[-1] = _WANT_VALUE
            else:
                if states and states[-1] == _WANT_VALUE:
                    states[-1] = _WANT_KEY
                left -= 1
                if left < 0:
                    line = event.start_mark.line + 1
                    what = f"the document holds more than {limits.max_nodes} values"
                    raise LoadError([Problem(limit_message(what, "max_nodes", limits), file=name, line=line)])
            if kind is yaml.SequenceStartEvent:
                states.append(_IN_SEQ)
            elif kind is yaml.MappingStartEvent:
                states.append(_WANT_KEY)
    except yaml.YAMLError:
        return  # the build reports it
    finally:
        parser.dispose()


def _parse_yaml(text: str, name: str, limits: Limits) -> Source:
    if (surrogate := _SURROGATE.search(text)) is not None:  # only strings hold them; libyaml cannot encode them
        line = text.count("\n", 0, surrogate.start()) + 1
        raise LoadError([_character_problem(name, ord(surrogate.group()), line)])
    if _CParser is not None:
        if _yaml_nodes_bound(text) > limits.max_nodes:
            _count_events(text, name, limits)
        try:
            return _build_yaml(_CParser(text), text, name, limits)
        except yaml.YAMLError as exc:
            if len(text) > _REFERENCE_PARSE_CHARS:
                raise LoadError([_yaml_problem(name, exc, text)]) from None
    try:
        return _build_yaml(_PyParser(text), text, name, limits)
    except yaml.YAMLError as exc:
        raise LoadError([_yaml_problem(name, exc, text)]) from None


# --------------------------------------------------------------------------- JSON


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


class _DuplicateKey(Exception):
    pass


class _BadNumber(Exception):
    """A JSON number Python would read as something that is not JSON (or not at all)."""


def _no_constant(name: str) -> Any:
    raise _BadNumber(f"{name} is not a JSON number")


def _json_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _BadNumber(f"number {_shorten(text)} is out of the range of a double")
    return number


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 4000:  # below Python's int/str limit (4300 digits)
        raise _BadNumber(f"number {_shorten(text)} has {len(text)} digits, too many")
    return int(text)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SPACE = re.compile(r"\s+")


def _json_values(text: str) -> int:
    """How many values a JSON text holds (exact when it is valid), by a C-speed scan of the text.

    Each value is the root or a member of a non-empty container, and a
    container of n members has n - 1 commas: values = 1 + commas + non-empty
    containers, counted once the strings are blanked out.
    """
    bare = _SPACE.sub("", _JSON_STRING.sub('""', text))
    opened = bare.count("[") + bare.count("{")
    return 1 + bare.count(",") + opened - bare.count("[]") - bare.count("{}")


def _json_too_deep(text: str, limit: int) -> bool:
    """Whether JSON text nests past ``limit`` (brackets outside strings, no recursion)."""
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if char in "[{" else -1
        if depth > limit:
            return True
    return False


def _data_too_deep(data: Any, limit: int) -> bool:
    """Whether parsed JSON data (a tree: nothing shared) nests past ``limit``."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _duplicate_key(text: str) -> tuple[str, int] | None:
    """The first key written twice in one JSON object, and the offset of its second writing.

    Walks down from the root, stepping over each member with :mod:`json`'s C
    scanner; the member whose scan meets the duplicate is the one walked into.
    """
    index = _JsonIndex(text)
    scan = json.JSONDecoder(object_pairs_hook=_no_duplicates).scan_once  # type: ignore[attr-defined]
    pos = index.start()
    try:
        while text[pos : pos + 1] in ("{", "["):
            is_object = text[pos] == "{"
            close = "}" if is_object else "]"
            seen: set[str] = set()
            inner = None
            pos = index.skip(pos + 1)
            while inner is None and text[pos : pos + 1] not in (close, ""):
                if is_object:
                    key, end = _scanstring(text, pos + 1)
                    if key in seen:
                        return key, pos
                    seen.add(key)
                    pos = index.skip(index.skip(end) + 1)
                try:
                    _, end = scan(text, pos)
                except _DuplicateKey:
                    inner = pos
                    break
                pos = index.skip(end)
                if text[pos : pos + 1] != ",":
                    break
                pos = index.skip(pos + 1)
            if inner is None:
                return None
            pos = inner
    except (ValueError, StopIteration, RecursionError):  # best effort: without a line the problem is still clear
        return None
    return None


def _too_much(name: str, what: str, field: str, limits: Limits) -> LoadError:
    return LoadError([Problem(limit_message(what, field, limits), file=name)])


def _parse_json(text: str, name: str, limits: Limits) -> Source:
    cheap = 1 + text.count(",") + text.count("[") + text.count("{")
    if cheap > limits.max_nodes and _json_values(text) > limits.max_nodes:
        what = f"the document holds more than {limits.max_nodes} values"
        raise _too_much(name, what, "max_nodes", limits)
    deep = f"nesting deeper than {limits.max_depth} levels"
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_json_float,
            parse_int=_json_int,
        )
    except _DuplicateKey as exc:
        found = _duplicate_key(text)
        key, line = (found[0], text.count("\n", 0, found[1]) + 1) if found else (exc.args[0], None)
        raise LoadError(
            [Problem(f"duplicate key {key!r} (a key may appear once per object)", file=name, line=line)]
        ) from None
    except _BadNumber as exc:
        raise LoadError([Problem(f"invalid JSON: {exc}", file=name)]) from None
    except json.JSONDecodeError as exc:
        raise LoadError([Problem(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno)]) from None
    except ValueError as exc:
        raise LoadError([Problem(f"invalid JSON: {_shorten(str(exc), 200)}", file=name)]) from None
    except RecursionError:
        if not _json_too_deep(text, limits.max_depth):
            raise  # the caller is deep, not the document
        raise _too_much(name, deep, "max_depth", limits) from None
    if text.count("[") + text.count("{") > limits.max_depth and _data_too_deep(data, limits.max_depth):
        raise _too_much(name, deep, "max_depth", limits)
    return Source(name, text, data)


def parse_text(text: str, *, name: str, format: str = "yaml", limits: Limits = DEFAULT_LIMITS) -> Source:
    """Parse ``text`` (``format`` is ``"yaml"`` or ``"json"``) into a checked Source, within ``limits``."""
    return _parse_json(text, name, limits) if format == "json" else _parse_yaml(text, name, limits)


# --------------------------------------------------------------------------- files


def open_regular(path: Path, name: str) -> BinaryIO:
    """A regular file opened for reading; a :class:`LoadError` naming ``name`` otherwise.

    Opened without blocking and checked before anything is read: a FIFO or a
    device (``/dev/zero``) would otherwise hang or never end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise LoadError([Problem("no such file", file=name)]) from None
    except IsADirectoryError:
        raise LoadError([Problem("is a directory, not a file", file=name)]) from None
    except OSError as exc:
        raise LoadError([Problem(f"cannot read: {exc.strerror or exc}", file=name)]) from None
    except ValueError as exc:  # a path with a NUL byte in it
        raise LoadError([Problem(f"cannot read: {exc}", file=name)]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        message = "is a directory, not a file" if stat.S_ISDIR(mode) else "not a regular file (a pipe or a device?)"
        raise LoadError([Problem(message, file=name)])
    return os.fdopen(fd, "rb")


def read_source(path: Path, *, name: str, limits: Limits = DEFAULT_LIMITS) -> Source:
    """Read and parse one file (at most ``limits.max_file_bytes``); ``name`` is how problems will name it."""
    most = limits.max_file_bytes
    with open_regular(path, name) as file:
        size = os.fstat(file.fileno()).st_size
        if size > most:
            raise _too_much(name, f"the file is {size} bytes, more than {most}", "max_file_bytes", limits)
        try:
            raw = file.read(most + 1)
        except OSError as exc:
            raise LoadError([Problem(f"cannot read: {exc.strerror or exc}", file=name)]) from None
    if len(raw) > most:  # it grew since fstat
        raise _too_much(name, f"the file is more than {most} bytes", "max_file_bytes", limits)
    if b"\x00" in raw:
        raise LoadError([Problem("binary file (contains NUL bytes), expected YAML or JSON text", file=name)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError([Problem(f"not UTF-8 text (bad byte at offset {exc.start})", file=name)]) from None
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_text(text, name=name, format=fmt, limits=limits)


# --------------------------------------------------------------------------- dumping


class _Dumper(yaml.SafeDumper):
    """SafeDumper that also quotes what YAML 1.2's core schema would retype.

    SafeDumper quotes strings that a YAML 1.1 reader would turn into other
    types (``yes``); cdspec reads with 1.2 rules (``0o17`` is an int), so a
    string must be quoted if *either* would retype it.
    """


for _first, _resolvers in _Resolver.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        _Dumper.add_implicit_resolver(_tag, _regexp, [_first])


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Unicode line breaks (NEL, LS, PS) would be folded away in plain or
    # single-quoted scalars: only double quotes keep them, as escapes.
    if any(c in value for c in "\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    # Multi-line prose reads best as a literal block; YAML keeps it exact only
    # when every character is printable and no line ends in white space.
    block = (
        "\n" in value
        and all(c.isprintable() or c == "\n" for c in value)
        and not any(line.endswith((" ", "\t")) for line in value.split("\n"))
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if block else None)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Plain JSON data as YAML that :func:`parse_text` reads back equal."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
