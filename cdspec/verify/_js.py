"""A small JavaScript/TypeScript tokenizer, enough to find imports.

Regular expressions over raw text see ``require('x')`` inside a comment, a
string or a template literal; this scanner does not. It knows line and block
comments, single- and double-quoted strings, template literals with nested
``${...}`` code, regular expression literals (told from division by the
token before them, the usual heuristic) and JSX text only as far as a
stray apostrophe goes: an unterminated quoted string ends at its line, so a
``don't`` in JSX text costs at most the rest of that line.

It never raises on any input: the worst a hostile file gets is a wrong token
stream, never an exception, and the scan is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import attrs

__all__ = ["JsImport", "Token", "scan_imports", "tokenize"]

_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT_PART = _IDENT_START | frozenset("0123456789")
# After these keywords a '/' starts a regular expression, not a division.
_REGEX_AFTER_WORDS = frozenset(
    {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield",
     "await"}
)  # fmt: skip
_PUNCT3 = (">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=")
_PUNCT2 = ("=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=",
           "|=", "^=", "<<", ">>", "**")  # fmt: skip


@attrs.frozen
class Token:
    """One token: ``kind`` is ``name``, ``string`` (a quoted string or a template
    without substitutions; ``value`` is its decoded text), ``number``, ``regex``,
    ``template`` (a template part with substitutions) or ``punct``."""

    kind: str
    value: str
    line: int


@attrs.frozen
class JsImport:
    """An import found in JS/TS source: the specifier as written and how it was imported.

    ``kind`` is ``es-import``, ``export-from``, ``require`` or ``dynamic``;
    ``type_only`` is true for TypeScript's ``import type`` / ``export type``.
    """

    specifier: str
    line: int
    kind: str
    names: tuple[str, ...] = ()
    type_only: bool = False


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _regex_allowed(previous: Token | None) -> bool:
    if previous is None:
        return True
    if previous.kind in ("number", "string", "regex", "template"):
        return False
    if previous.kind == "name":
        return previous.value in _REGEX_AFTER_WORDS
    return previous.value not in (")", "]", "}", "++", "--")


_SPACE = re.compile(r"[ \t\r\f\v\ufeff\u00a0\u2028\u2029]+")  # not "\n": lines are counted
_NAME_RE = re.compile(r"(?:[^\W\d]|\$)[\w$]*")
_NUMBER_RE = re.compile(r"\.?\d[\w.]*")
_STRING_CHUNK = {"'": re.compile(r"[^'\\\n]*"), '"': re.compile(r'[^"\\\n]*')}
_TEMPLATE_CHUNK = re.compile(r"[^`\\$\n]+")
_PUNCT_RE = re.compile("|".join(re.escape(p) for p in (*_PUNCT3, *_PUNCT2)) + "|.", re.DOTALL)


def _quoted(text: str, i: int, quote: str) -> tuple[str, int, int]:
    """A quoted string from ``text[i]``: its value, where it ends, how many line breaks it holds.

    An unterminated string ends at its line (JS strings cannot span lines
    unescaped), so a stray apostrophe costs one line at most.
    """
    chunk = _STRING_CHUNK[quote]
    n = len(text)
    j = i + 1
    parts: list[str] = []
    lines = 0
    while True:
        match = chunk.match(text, j)
        assert match is not None  # the pattern matches the empty string
        parts.append(match.group())
        j = match.end()
        if j >= n:
            break
        ch = text[j]
        if ch == quote:
            j += 1
            break
        if ch == "\n":
            break
        if j + 1 >= n:  # a backslash ends the text
            j += 1
            break
        escaped = text[j + 1]
        if escaped == "\n":
            lines += 1
        else:
            parts.append(_ESCAPES.get(escaped, escaped))
        j += 2
    return "".join(parts), j, lines


def _template(text: str, i: int) -> tuple[str, int, int, bool]:
    """A template part from ``text[i]`` (a backtick or the ``}`` closing a substitution).

    Returns its text, where it ends, its line breaks, and whether it stops at a ``${``.
    """
    n = len(text)
    j = i + 1
    parts: list[str] = []
    lines = 0
    while j < n:
        match = _TEMPLATE_CHUNK.match(text, j)
        if match is not None:
            parts.append(match.group())
            j = match.end()
            continue
        ch = text[j]
        if ch == "`":
            return "".join(parts), j + 1, lines, False
        if ch == "\\" and j + 1 < n:
            lines += text[j + 1] == "\n"
            parts.append(text[j + 1])
            j += 2
            continue
        if ch == "$" and j + 1 < n and text[j + 1] == "{":
            return "".join(parts), j + 2, lines, True
        lines += ch == "\n"
        parts.append(ch)
        j += 1
    return "".join(parts), j, lines, False


def _regex_end(text: str, i: int) -> int | None:
    """Where a regular expression literal from ``text[i]`` ends (flags included); ``None`` if it does not."""
    n = len(text)
    j = i + 1
    in_class = False
    while j < n and text[j] != "\n":
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            j += 1
            while j < n and text[j] in _IDENT_PART:
                j += 1
            return j
        j += 1
    return None


def tokenize(text: str) -> Iterator[Token]:  # noqa: PLR0915  # one loop, one branch per token shape
    """The tokens of ``text``; comments and whitespace are dropped. Never raises."""
    i = 0
    n = len(text)
    line = 1
    previous: Token | None = None
    # For each open '{': True if it opened a template substitution "${".
    braces: list[bool] = []
    # A '/' that failed to start a regex literal scanned to here; later ones before it are
    # divisions, so that a line of "/[/[/[..." costs linear time, not quadratic.
    no_regex_until = -1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        space = _SPACE.match(text, i)
        if space is not None:
            i = space.end()
            continue
        start_line = line
        if c == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            stop = n if end < 0 else end + 2
            line += text.count("\n", i, stop)
            i = stop
            continue
        if c in "'\"":
            value, i, lines = _quoted(text, i, c)
            line += lines
            previous = Token("string", value, start_line)
            yield previous
            continue
        if c == "`" or (c == "}" and braces and braces[-1]):
            if c == "}":
                braces.pop()
            value, i, lines, substitution = _template(text, i)
            line += lines
            if substitution:
                braces.append(True)
            whole = c == "`" and not substitution
            previous = Token("string" if whole else "template", value, start_line)
            yield previous
            continue
        word = _NAME_RE.match(text, i)
        if word is not None:
            previous = Token("name", word.group(), start_line)
            yield previous
            i = word.end()
            continue
        number = _NUMBER_RE.match(text, i)
        if number is not None:
            previous = Token("number", number.group(), start_line)
            yield previous
            i = number.end()
            continue
        if c == "/" and i >= no_regex_until and _regex_allowed(previous):
            regex_end = _regex_end(text, i)
            if regex_end is None:
                end_of_line = text.find("\n", i)
                no_regex_until = n if end_of_line < 0 else end_of_line
            else:
                previous = Token("regex", text[i:regex_end], start_line)
                yield previous
                i = regex_end
                continue
            # Not a terminated regex after all: a lone '/'.
        if c == "{":
            braces.append(False)
        elif c == "}" and braces:
            braces.pop()
        punct = _PUNCT_RE.match(text, i)
        value = punct.group() if punct is not None else c
        previous = Token("punct", value, start_line)
        yield previous
        i += len(value)


def _is(token: Token | None, kind: str, value: str | None = None) -> bool:
    return token is not None and token.kind == kind and (value is None or token.value == value)


_STATEMENT_WORDS = frozenset({"import", "export", "const", "let", "var", "function", "class", "return", "if"})
_MAX_CLAUSE = 400  # tokens between `import` and `from` before we give up on a statement


def _names_until_from(tokens: list[Token], start: int) -> tuple[tuple[str, ...], int] | None:
    """The imported names from ``start`` to ``from '<spec>'``; the index of the specifier."""
    names: list[str] = []
    k = start
    depth = 0
    while k < len(tokens) and k - start < _MAX_CLAUSE:
        token = tokens[k]
        if token.kind == "punct" and token.value == ";":
            return None
        if token.kind == "punct" and token.value == "{":
            depth += 1
        elif token.kind == "punct" and token.value == "}":
            depth -= 1
            if depth <= 0 and not _is(_at(tokens, k + 1), "name", "from"):
                return None
        elif token.kind == "name" and (
            token.value in ("import", "export") or (depth == 0 and token.value in _STATEMENT_WORDS)
        ):
            return None  # the next statement: this one had no `from`
        elif token.kind == "name" and token.value == "from" and depth == 0 and _is(_at(tokens, k + 1), "string"):
            return tuple(names), k + 1
        elif token.kind == "name" and token.value not in ("as", "type", "typeof"):
            previous = tokens[k - 1] if k > start else None
            if not _is(previous, "name", "as"):  # `a as b` names `a`, the exported name
                names.append(token.value)
        elif token.kind == "punct" and token.value == "*":
            names.append("*")
        elif token.kind == "string" and depth > 0:  # import {"a-b" as c}
            names.append(token.value)
        k += 1
    return None


def _at(tokens: list[Token], index: int) -> Token | None:
    return tokens[index] if 0 <= index < len(tokens) else None


def scan_imports(source: str | Sequence[Token]) -> list[JsImport]:
    """Every import of a JS/TS source (its text, or its tokens), in source order. Never raises."""
    tokens = list(tokenize(source)) if isinstance(source, str) else list(source)
    found: list[JsImport] = []
    for k, token in enumerate(tokens):
        if token.kind != "name" or token.value not in ("import", "export", "require"):
            continue
        before = _at(tokens, k - 1)
        if _is(before, "punct", ".") or _is(before, "punct", "?."):  # obj.require(...), obj.import
            continue
        after = _at(tokens, k + 1)
        if token.value == "require":
            spec = _at(tokens, k + 2)
            if _is(after, "punct", "(") and _is(spec, "string") and _is(_at(tokens, k + 3), "punct", ")"):
                assert spec is not None
                found.append(JsImport(spec.value, token.line, "require"))
            continue
        if token.value == "import":
            if _is(after, "punct", "("):
                spec = _at(tokens, k + 2)
                if _is(spec, "string") and (
                    _is(_at(tokens, k + 3), "punct", ")") or _is(_at(tokens, k + 3), "punct", ",")
                ):
                    assert spec is not None
                    found.append(JsImport(spec.value, token.line, "dynamic"))
                continue
            if after is None or _is(after, "punct", ".") or _is(after, "punct", "="):
                continue  # import.meta; `import = ` is not an import statement
            if after.kind == "string":
                found.append(JsImport(after.value, token.line, "es-import"))
                continue
            type_only = _is(after, "name", "type") and not _is(_at(tokens, k + 2), "name", "from")
            clause = _names_until_from(tokens, k + 1)
            if clause is not None:
                names, index = clause
                found.append(JsImport(tokens[index].value, token.line, "es-import", names, type_only))
            continue
        # export ... from
        start = k + 1
        type_only = False
        if _is(after, "name", "type"):
            type_only = True
            start = k + 2
        first = _at(tokens, start)
        if _is(first, "punct", "*") or _is(first, "punct", "{"):
            clause = _names_until_from(tokens, start)
            if clause is not None:
                names, index = clause
                found.append(JsImport(tokens[index].value, token.line, "export-from", names, type_only))
    return found
