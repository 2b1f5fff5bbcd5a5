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
- every problem can be placed on a line: :meth:`Source.line_at` maps a JSON
  pointer to the 1-based line of the value it points to.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import yaml

from .errors import LoadError, Problem

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "Source",
    "array_index",
    "dump_yaml",
    "escape_pointer",
    "open_regular",
    "parse_text",
    "pointer_tokens",
    "read_source",
    "resolve_pointer",
]

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Files larger than this are refused (a task file is text written by people)."""
MAX_NODES = 2_000_000
"""Values a document may expand to, aliases counted at every use (YAML bombs)."""
MAX_DEPTH = 128
"""Nesting depth a document may reach."""

_Lines = dict[int, dict[Any, int]]


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


@attrs.define(eq=False)
class Source:
    """One parsed file (or string): its name, text and data, and its lines."""

    name: str
    text: str
    data: Any
    _lines: _Lines | None = attrs.field(default=None, alias="lines")
    _line_data: Any = attrs.field(default=None, alias="line_data")

    def line_at(self, pointer: str) -> int | None:
        """The line of the value at ``pointer``, or of its nearest ancestor."""
        if self._lines is None:
            self._index_lines()
        lines = self._lines or {}
        node = self._line_data
        line: int | None = 1 if self.text else None
        for token in pointer_tokens(pointer):
            table = lines.get(id(node))
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

    def _index_lines(self) -> None:
        """For JSON read by :mod:`json`, find lines by reading it as YAML too."""
        self._lines = {}
        loader = None
        try:
            loader = _Loader(_json_as_yaml(self.text))
            self._line_data = loader.get_single_data()
            self._lines = loader.lines
        except Exception:  # best effort: JSON that YAML rejects has no lines
            self._lines = {}
        finally:
            if loader is not None:
                loader.dispose()


_NOT_YAML = re.compile(r"[^\n\r\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _json_as_yaml(text: str) -> str:
    """JSON text that YAML reads with the same lines and structure.

    Outside its strings JSON allows tabs where YAML does not, and inside them
    characters YAML refuses (DEL, C1 controls, lone surrogates) or counts as
    line breaks (NEL, U+2028, U+2029). Strict JSON has no raw tab in a string,
    so every such character becomes a space: lines and keys stay put (a key
    holding one of them loses its own line, and falls back to its parent's).
    """
    return _NOT_YAML.sub(" ", text)


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


def _bad_scalar(node: yaml.Node, value: str, expected: str) -> yaml.constructor.ConstructorError:
    tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
    return yaml.constructor.ConstructorError(
        None, None, f"{_shorten(value)!r} ({tag}) is not {expected}", node.start_mark
    )


def _expect_node(node: yaml.Node, kind: type[yaml.Node], what: str) -> None:
    if not isinstance(node, kind):
        found = {yaml.ScalarNode: "a scalar", yaml.SequenceNode: "a sequence"}.get(type(node), "a mapping")
        raise yaml.constructor.ConstructorError(
            None, None, f"tag {node.tag!r} needs {what}, found {found}", node.start_mark
        )


class _Constructor(yaml.constructor.SafeConstructor):
    """SafeConstructor that builds JSON values and records lines and problems."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: _Lines = {}
        self.duplicates: list[tuple[int, str]] = []

    # Explicit tags (``!!int abc``) reach these with any text, so each checks
    # its scalar against the core schema and fails as YAML, never as Python.

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = str(self.construct_scalar(node))
        if not _INT.fullmatch(value):
            raise _bad_scalar(node, value, "an integer")
        try:
            number = int(value, 0) if value[:2] in ("0o", "0x") else int(value, 10)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise _bad_scalar(node, value, "an integer of a usable size") from None
        if number.bit_length() > _MAX_INT_BITS:
            raise _bad_scalar(node, value, "an integer of a usable size")
        return number

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = str(self.construct_scalar(node))
        if not _FLOAT.fullmatch(value):
            raise _bad_scalar(node, value, "a number (.inf and .nan are not JSON)")
        number = float(value)
        if not math.isfinite(number):
            raise _bad_scalar(node, value, "a number in the range of a double")
        return number

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        value = str(self.construct_scalar(node))
        if not _BOOL.fullmatch(value):
            raise _bad_scalar(node, value, "true or false")
        return value.lower() == "true"

    def construct_yaml_null(self, node: yaml.ScalarNode) -> None:
        value = str(self.construct_scalar(node))
        if not _NULL.fullmatch(value):
            raise _bad_scalar(node, value, "null")

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"tag {node.tag!r} is not allowed (only plain JSON values are)",
            node.start_mark,
        )

    def construct_yaml_map(self, node: yaml.MappingNode) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        _expect_node(node, yaml.MappingNode, "a mapping")
        data: dict[str, Any] = {}
        yield data
        self._check_duplicates(node)
        self.flatten_mapping(node)
        table: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    "a key must be a plain string, not a list or a mapping",
                    key_node.start_mark,
                )
            key = key_node.value
            data[key] = self.construct_object(value_node, deep=False)
            table[key] = value_node.start_mark.line + 1
        self.lines[id(data)] = table

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Iterator[list[Any]]:  # type: ignore[override]
        _expect_node(node, yaml.SequenceNode, "a sequence")
        data: list[Any] = []
        yield data
        data.extend(self.construct_object(child, deep=False) for child in node.value)
        self.lines[id(data)] = {i: child.start_mark.line + 1 for i, child in enumerate(node.value)}

    def _check_duplicates(self, node: yaml.MappingNode) -> None:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue
            if key_node.value in seen:
                self.duplicates.append((key_node.start_mark.line + 1, key_node.value))
            seen.add(key_node.value)


# Only the JSON types: timestamps are read as strings; binary, set, omap,
# pairs and every other tag are refused (so nothing but plain data is built).
_Constructor.yaml_constructors = {
    "tag:yaml.org,2002:null": _Constructor.construct_yaml_null,
    "tag:yaml.org,2002:bool": _Constructor.construct_yaml_bool,
    "tag:yaml.org,2002:str": _Constructor.construct_yaml_str,
    "tag:yaml.org,2002:int": _Constructor.construct_yaml_int,
    "tag:yaml.org,2002:float": _Constructor.construct_yaml_float,
    "tag:yaml.org,2002:map": _Constructor.construct_yaml_map,
    "tag:yaml.org,2002:seq": _Constructor.construct_yaml_seq,
    None: _Constructor.construct_undefined,
}


class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer):
    """PyYAML's pure-Python parser, for installs without libyaml."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)


class _Loader(_PyParser, _Constructor, _Resolver):
    """The reference loader: PyYAML's pure-Python parser, whose messages cdspec reports."""

    def __init__(self, stream: str) -> None:
        _PyParser.__init__(self, stream)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


try:
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]  # not re-exported by the stubs
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader: Any = None
else:

    class _FastLoader(_CParser, _Constructor, _Resolver):  # type: ignore[no-redef]  # a class where None was
        """libyaml's parser (about six times faster) with cdspec's constructor."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Constructor.__init__(self)
            _Resolver.__init__(self)


def _fast_parse(text: str, name: str) -> Source | None:
    """Parse with libyaml; ``None`` when it fails (the reference loader then says why)."""
    if _FastLoader is None:  # pragma: no cover - PyYAML built without libyaml
        return None
    loader = _FastLoader(text)
    try:
        data = loader.get_single_data()
    except Exception:  # any failure: re-read with the loader whose messages we report
        return None
    finally:
        loader.dispose()
    if loader.duplicates:
        return None
    return Source(name, text, data, lines=loader.lines, line_data=data)


def _yaml_problem(name: str, exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):  # no marks, and a message over two lines
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        message = f"invalid YAML: character U+{char:04X} is not allowed (write it as an escape in a quoted string)"
        return Problem(message, file=name, line=line)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {what}" + (f" ({context})" if context else "")
    return Problem(message, file=name, line=mark.line + 1 if mark is not None else None)


def _yaml_depth_problem(text: str, name: str) -> Problem | None:
    """The problem with a document that ran out of stack: too deep, or broken; else None.

    Reads events only, which takes no stack per level.
    """
    parser: Any = None
    depth = 0
    try:
        parser = _PyParser(text)
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark is not None else None
                    return Problem(f"nesting deeper than {MAX_DEPTH} levels", file=name, line=line)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        return _yaml_problem(name, exc, text)
    finally:
        if parser is not None:
            parser.dispose()
    return None


def _json_too_deep(text: str) -> bool:
    """Whether JSON text nests past MAX_DEPTH (brackets outside strings, no recursion)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _parse_yaml(text: str, name: str) -> Source:
    fast = _fast_parse(text, name)
    if fast is not None:
        return fast
    loader = None
    try:
        loader = _Loader(text)  # the pure-Python reader checks every character here
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise LoadError([_yaml_problem(name, exc, text)]) from None
    except RecursionError:
        # The composer recurses once per level: a deep document, or a caller
        # that is itself deep (a long chain of files referring to each other).
        problem = _yaml_depth_problem(text, name)
        if problem is None:
            raise
        raise LoadError([problem]) from None
    except ValueError as exc:  # libyaml: text it cannot encode (lone surrogates)
        raise LoadError([Problem(f"invalid YAML: {_shorten(str(exc), 200)}", file=name)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if loader.duplicates:
        raise LoadError(
            Problem(f"duplicate key {key!r} (a key may appear once per mapping)", file=name, line=line)
            for line, key in loader.duplicates
        )
    return Source(name, text, data, lines=loader.lines, line_data=data)


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


def _duplicate_line(text: str, key: str) -> int | None:
    """The line of the second ``key`` in a JSON object: YAML reading sees it too."""
    try:
        loader = _Loader(_json_as_yaml(text))
        try:
            loader.get_single_data()
        finally:
            loader.dispose()
    except Exception:  # best effort: without a line the problem is still clear
        return None
    return next((line for line, k in loader.duplicates if k == key), None)


def _parse_json(text: str, name: str) -> Source:
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_json_float,
            parse_int=_json_int,
        )
    except _DuplicateKey as exc:
        key = exc.args[0]
        line = _duplicate_line(text, key)
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
        if not _json_too_deep(text):
            raise  # the caller is deep, not the document
        raise LoadError([Problem(f"nesting deeper than {MAX_DEPTH} levels", file=name)]) from None
    return Source(name, text, data)


# --------------------------------------------------------------------------- checks


def _check_shape(source: Source) -> None:
    """Refuse self-referencing data, YAML bombs and too deep nesting.

    Aliased values are shared objects, so a "billion laughs" document is small
    in memory but explodes in anything that walks it; the walk here counts
    each shared value at every place it is used, visiting it only once.
    """
    memo: dict[int, tuple[int, int]] = {}  # id -> (expanded size, height)
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(source.data, False)]
    while stack:
        value, done = stack.pop()
        if not isinstance(value, dict | list):
            continue
        key = id(value)
        children = list(value.values()) if isinstance(value, dict) else value
        if done:
            size, height = 1, 0
            for child in children:
                if isinstance(child, dict | list):
                    child_size, child_height = memo[id(child)]
                    size, height = size + child_size, max(height, child_height)
                else:
                    size += 1
            on_path.discard(key)
            memo[key] = (size, height + 1)
            if size > MAX_NODES:
                raise LoadError(
                    [Problem(f"document expands to more than {MAX_NODES} values (aliases?)", file=source.name)]
                )
            if height + 1 > MAX_DEPTH:
                raise LoadError([Problem(f"nesting deeper than {MAX_DEPTH} levels", file=source.name)])
            continue
        if key in memo:
            continue
        if key in on_path:
            raise LoadError([Problem("an alias refers to a value that contains it", file=source.name)])
        on_path.add(key)
        stack.append((value, True))
        stack.extend((child, False) for child in children)


def parse_text(text: str, *, name: str, format: str = "yaml") -> Source:
    """Parse ``text`` (``format`` is ``"yaml"`` or ``"json"``) into a checked Source."""
    source = _parse_json(text, name) if format == "json" else _parse_yaml(text, name)
    _check_shape(source)
    return source


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


def read_source(path: Path, *, name: str) -> Source:
    """Read and parse one file (at most ``MAX_FILE_BYTES``); ``name`` is how problems will name it."""
    with open_regular(path, name) as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise LoadError([Problem(f"file is {size} bytes, more than the {MAX_FILE_BYTES} allowed", file=name)])
        try:
            raw = file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise LoadError([Problem(f"cannot read: {exc.strerror or exc}", file=name)]) from None
    if len(raw) > MAX_FILE_BYTES:  # it grew since fstat
        raise LoadError([Problem(f"file is more than the {MAX_FILE_BYTES} bytes allowed", file=name)])
    if b"\x00" in raw:
        raise LoadError([Problem("binary file (contains NUL bytes), expected YAML or JSON text", file=name)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError([Problem(f"not UTF-8 text (bad byte at offset {exc.start})", file=name)]) from None
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_text(text, name=name, format=fmt)


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
