"""ECMA-262 regular expressions (the dialect of JSON Schema's ``pattern``) to Hypothesis strategies.

:func:`regex_strategy` parses the common subset of ECMA-262 patterns into a
small syntax tree and builds a strategy that draws matches of the pattern;
a side without its anchor (``^``/``$``) gets a short prefix or suffix of
letters and digits (the pattern, unanchored, still finds its match).
Character classes take their ASCII
(ECMA-262) meaning: ``\\d`` is ``[0-9]``, ``\\w`` is ``[A-Za-z0-9_]``, ``\\s``
the ASCII white space, and ``.`` or a negated class draws from printable
ASCII. Unlike ``hypothesis.strategies.from_regex``, which reads patterns with
Python's Unicode semantics (so ``\\d`` yields Arabic-Indic digits), the values
are what real backends accept.

The subset: literals and escapes (``\\t \\n \\r \\v \\f \\0 \\xHH \\uHHHH
\\cX``, identity escapes), ``.``, classes ``[...]`` with ranges and
negation, ``\\d \\w \\s \\D \\W \\S``, anchors ``^ $``, groups (capturing,
named, non-capturing), alternation, and the quantifiers ``* + ? {n} {n,}
{n,m}`` with their lazy variants. Unbounded quantifiers repeat at most a few
times more than their minimum.

Outside the subset (lookarounds, backreferences, ``\\b``/``\\B`` inside a
sequence that cannot be checked statically, ...), :func:`regex_strategy`
falls back to ``st.from_regex`` over a printable-ASCII alphabet, filtered by
Python's ``re.search`` (what jsonschema validates with).

Length bounds (``minLength``/``maxLength`` next to the pattern) steer the
generation: when they bind, each repetition count and alternative is drawn
within the window that keeps the total length feasible, and a final length
check catches the rare pattern whose lengths are not contiguous.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from hypothesis import strategies as st

from cdspec.errors import CdspecError

T = TypeVar("T")

__all__ = ["PRINTABLE", "Check", "Pattern", "compile_pattern", "filtered", "regex_strategy"]

PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
"""What ``.`` and negated classes draw from: printable ASCII, space included."""

DIGITS = string.digits
WORD = string.ascii_letters + string.digits + "_"
SPACE = " \t\n\r\x0b\x0c"
AFFIX = string.ascii_letters + string.digits
AFFIX_MAX = 3
"""An unanchored side of a pattern gets up to this many letters and digits (more when minLength needs them)."""
UNBOUNDED_EXTRA = 8
"""An unbounded quantifier repeats at most this many times more than its minimum (unless lengths demand more)."""

INF = float("inf")


class Check:
    """A filter predicate, opaque to Hypothesis.

    Hypothesis tries to rewrite ``.filter(f)`` on numbers and text into
    bounds by reading ``f``'s source code, and since 6.170 a filtered
    strategy validates itself again (so reads that source again) on every
    draw: about half a millisecond per draw for a plain function. A
    callable object without ``__name__`` is passed over at once.
    """

    __slots__ = ("func", "label")

    def __init__(self, func: Callable[[Any], object], label: str) -> None:
        self.func = func
        self.label = label

    def __call__(self, value: Any) -> bool:
        return bool(self.func(value))

    def __repr__(self) -> str:
        return self.label


def filtered(strategy: st.SearchStrategy[T], func: Callable[[T], object], label: str) -> st.SearchStrategy[T]:
    """``strategy.filter(func)``, with ``func`` wrapped in a :class:`Check` (``label`` is its repr)."""
    return strategy.filter(Check(func, label))


# --------------------------------------------------------------------------- syntax tree


class Chars(NamedTuple):
    """One character from ``chars`` (sorted, distinct; empty: matches nothing)."""

    chars: str


class Seq(NamedTuple):
    items: tuple[Node, ...]


class Alt(NamedTuple):
    options: tuple[Node, ...]


class Repeat(NamedTuple):
    node: Node
    low: int
    high: int | None


class Assert(NamedTuple):
    """A zero-width assertion: ``^``, ``$``, ``b`` (word boundary) or ``B``."""

    kind: str


Node = Chars | Seq | Alt | Repeat | Assert


class Unsupported(Exception):
    """A construct outside the subset; the caller falls back to ``st.from_regex``."""


class _Parser:
    """A recursive-descent parser for ECMA-262 patterns (non-Unicode mode, Annex B leniencies)."""

    def __init__(self, pattern: str) -> None:
        self.source = pattern
        self.pos = 0
        self.groups = 0
        # False when this reading may disagree with Python's `re` (what validators use).
        self.exact = True

    def parse(self) -> Node:
        node = self.alternation()
        if self.pos != len(self.source):
            raise Unsupported(f"unbalanced ')' at {self.pos}")
        return node

    def peek(self) -> str:
        return self.source[self.pos] if self.pos < len(self.source) else ""

    def take(self) -> str:
        char = self.source[self.pos]
        self.pos += 1
        return char

    def alternation(self) -> Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def sequence(self) -> Node:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            items.append(self.quantified(atom))
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def quantified(self, atom: Node) -> Node:
        char = self.peek()
        bounds: tuple[int, int | None] | None = None
        if char == "*":
            bounds = (0, None)
        elif char == "+":
            bounds = (1, None)
        elif char == "?":
            bounds = (0, 1)
        elif char == "{":
            match = re.match(r"\{(\d+)(?:(,)(\d*))?\}", self.source[self.pos :])
            if match is None:
                return atom  # Annex B: a '{' that starts no quantifier is a literal (parsed by atom next)
            low = int(match.group(1))
            high = low if match.group(2) is None else (int(match.group(3)) if match.group(3) else None)
            if high is not None and high < low:
                raise CdspecError(f"invalid pattern {self.source!r}: quantifier {match.group(0)} is out of order")
            self.pos += len(match.group(0)) - 1
            bounds = (low, high)
        if bounds is None:
            return atom
        self.pos += 1
        if self.peek() == "?":  # lazy: matches the same strings
            self.pos += 1
        if isinstance(atom, Assert):
            raise Unsupported("quantified assertion")
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and re.match(r"\{\d", self.source[self.pos :])):
            raise CdspecError(f"invalid pattern {self.source!r}: nothing to repeat at {self.pos}")
        return Repeat(atom, *bounds)

    def atom(self) -> Node:
        char = self.take()
        if char in {"^", "$"}:
            return Assert(char)
        if char == ".":
            return Chars(PRINTABLE)
        if char == "[":
            return self.char_class()
        if char == "(":
            return self.group()
        if char == "\\":
            return self.escape()
        if char in "*+?":
            raise CdspecError(f"invalid pattern {self.source!r}: nothing to repeat at {self.pos - 1}")
        if char == "{":
            # Python reads 'x{,3}' as a quantifier where ECMA-262 sees a literal.
            self.exact = False
        return Chars(char)

    def group(self) -> Node:
        rest = self.source[self.pos :]
        if rest.startswith("?:"):
            self.pos += 2
        elif rest.startswith(("?=", "?!", "?<=", "?<!")):
            raise Unsupported("lookaround")
        elif rest.startswith("?<"):
            end = rest.find(">")
            if end < 0:
                raise CdspecError(f"invalid pattern {self.source!r}: unterminated group name")
            self.pos += end + 1
            self.groups += 1
            self.exact = False  # Python spells named groups (?P<name>...)
        elif rest.startswith("?"):
            raise Unsupported("group flags")
        else:
            self.groups += 1
        node = self.alternation()
        if self.peek() != ")":
            raise CdspecError(f"invalid pattern {self.source!r}: missing ')'")
        self.pos += 1
        return node

    def escape(self) -> Node:
        if self.pos >= len(self.source):
            raise CdspecError(f"invalid pattern {self.source!r}: it ends with a backslash")
        char = self.take()
        if char in "dDwWsS":
            return Chars(_class_escape(char))
        if char in "bB":
            return Assert(char)
        if char in "123456789":
            raise Unsupported("backreference")
        if char == "k" and self.peek() == "<":
            raise Unsupported("named backreference")
        return Chars(self.character_escape(char))

    def character_escape(self, char: str) -> str:
        """The character an escape (after the backslash) stands for, outside or inside a class."""
        simple = {"t": "\t", "n": "\n", "r": "\r", "v": "\x0b", "f": "\x0c"}
        if char in simple:
            return simple[char]
        if char == "0" and not self.peek().isdigit():
            return "\0"
        if char == "x" and re.match(r"[0-9A-Fa-f]{2}", self.source[self.pos : self.pos + 2]):
            self.pos += 2
            return chr(int(self.source[self.pos - 2 : self.pos], 16))
        if char == "u" and re.match(r"[0-9A-Fa-f]{4}", self.source[self.pos : self.pos + 4]):
            self.pos += 4
            return chr(int(self.source[self.pos - 4 : self.pos], 16))
        if char == "c" and self.peek().isascii() and self.peek().isalpha():
            self.exact = False  # Python has no \cX
            return chr(ord(self.take()) % 32)
        if char.isalnum():
            # Annex B identity escape ('\a' is 'a'); Python reads some of these differently.
            self.exact = False
        return char

    def char_class(self) -> Node:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        members: set[str] = set()
        first = True
        while True:
            if self.pos >= len(self.source):
                raise CdspecError(f"invalid pattern {self.source!r}: missing ']'")
            char = self.take()
            if char == "]":
                if first:
                    self.exact = False  # ECMA '[]' matches nothing and '[^]' anything; Python differs
                break
            first = False
            low, is_set = self.class_atom(char)
            if (
                not is_set
                and self.peek() == "-"
                and self.pos + 1 < len(self.source)
                and self.source[self.pos + 1] != "]"
            ):
                self.pos += 1
                high, high_is_set = self.class_atom(self.take())
                if high_is_set:  # Annex B: '[a-\d]' is 'a', '-' and the digits
                    members.update(low, "-", high)
                    continue
                if ord(high) < ord(low):
                    raise CdspecError(f"invalid pattern {self.source!r}: range {low}-{high} is out of order")
                members.update(chr(c) for c in range(ord(low), ord(high) + 1))
            else:
                members.update(low)
        return Chars("".join(c for c in PRINTABLE if c not in members) if negate else "".join(sorted(members)))

    def class_atom(self, char: str) -> tuple[str, bool]:
        """One class member: (its characters, whether it is a set like \\d rather than one character)."""
        if char != "\\":
            return char, False
        if self.pos >= len(self.source):
            raise CdspecError(f"invalid pattern {self.source!r}: it ends with a backslash")
        char = self.take()
        if char in "dDwWsS":
            return _class_escape(char), True
        if char == "b":
            return "\b", False
        if char == "B":
            self.exact = False
            return "B", False
        return self.character_escape(char), False


def _class_escape(char: str) -> str:
    base = {"d": DIGITS, "w": WORD, "s": SPACE}[char.lower()]
    if char.islower():
        return "".join(sorted(base))
    return "".join(c for c in PRINTABLE if c not in base)


# --------------------------------------------------------------------------- analysis


def length_range(node: Node, *, cap: bool = False) -> tuple[int, float]:
    """The shortest and longest match of ``node`` (``inf`` when unbounded).

    With ``cap``, the longest string the static strategy draws: unbounded
    quantifiers repeat at most :data:`UNBOUNDED_EXTRA` times more than their minimum.
    """
    if isinstance(node, Chars):
        return (1, 1) if node.chars else (0, -INF)  # no match at all: an empty range
    if isinstance(node, Assert):
        return 0, 0
    if isinstance(node, Seq):
        ranges = [length_range(item, cap=cap) for item in node.items]
        return sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if isinstance(node, Alt):
        ranges = [r for r in (length_range(option, cap=cap) for option in node.options) if r[0] <= r[1]]
        if not ranges:
            return 0, -INF
        return min(r[0] for r in ranges), max(r[1] for r in ranges)
    low, high = length_range(node.node, cap=cap)
    if low > high:  # the repeated part matches nothing: only zero repetitions match
        return (0, 0) if node.low == 0 else (0, -INF)
    most = node.high if node.high is not None else (node.low + UNBOUNDED_EXTRA if cap else None)
    return node.low * low, (INF if most is None and high > 0 else (most or 0) * high)


def _contiguous(node: Node) -> bool:
    """Whether every length between the shortest and the longest match has a match.

    Then drawing within a length window always lands in it (each step keeps
    the rest feasible), and no final length check is needed.
    """
    if isinstance(node, Chars | Assert):
        return True
    if isinstance(node, Seq):
        return all(_contiguous(item) for item in node.items)
    if isinstance(node, Repeat):
        low, high = length_range(node.node)
        return _contiguous(node.node) and (low <= 1 or low == high == 0 or node.high == node.low)
    ranges = sorted(length_range(option) for option in node.options)
    if not all(_contiguous(option) for option in node.options):
        return False
    reach = ranges[0][1]
    for low, high in ranges[1:]:
        if low > reach + 1:
            return False
        reach = max(reach, high)
    return True


def _anchors_fit(node: Node, at_start: bool, at_end: bool) -> bool:
    """Whether every assertion holds in any full match drawn for ``node``.

    ``^`` must come where nothing can precede it in the drawn string, ``$``
    where nothing can follow; word boundaries are never checked statically.
    """
    if isinstance(node, Assert):
        return (node.kind == "^" and at_start) or (node.kind == "$" and at_end)
    if isinstance(node, Chars):
        return True
    if isinstance(node, Alt):
        return all(_anchors_fit(option, at_start, at_end) for option in node.options)
    if isinstance(node, Repeat):
        if not _has_assert(node.node):
            return True
        return (node.high or 2) <= 1 and _anchors_fit(node.node, at_start, at_end)
    items = node.items
    for index, item in enumerate(items):
        before = all(length_range(prior)[1] == 0 for prior in items[:index])
        after = all(length_range(later)[1] == 0 for later in items[index + 1 :])
        if not _anchors_fit(item, at_start and before, at_end and after):
            return False
    return True


def _has_assert(node: Node) -> bool:
    if isinstance(node, Assert):
        return True
    if isinstance(node, Chars):
        return False
    if isinstance(node, Repeat):
        return _has_assert(node.node)
    children = node.items if isinstance(node, Seq) else node.options
    return any(_has_assert(child) for child in children)


class Pattern(NamedTuple):
    """A parsed pattern: its tree (``None`` outside the subset) and how it relates to Python's ``re``."""

    source: str
    tree: Node | None
    exact: bool
    """True when every drawn full match also matches under Python's ``re.search`` without checking."""
    python: re.Pattern[str] | None
    """The pattern compiled by Python (``None`` when Python rejects it)."""

    @property
    def lengths(self) -> tuple[int, float]:
        return length_range(self.tree) if self.tree is not None else (0, INF)


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Pattern:
    """Parse ``pattern`` (raises :class:`CdspecError` when it is malformed)."""
    try:
        python: re.Pattern[str] | None = re.compile(pattern)
    except re.error:
        python = None
    parser = _Parser(pattern)
    try:
        tree: Node | None = parser.parse()
    except Unsupported:
        tree = None
    except RecursionError:
        raise CdspecError(f"pattern {pattern!r} nests too deeply") from None
    exact = tree is not None and parser.exact and _anchors_fit(tree, True, True)
    if tree is not None and python is None and not exact:
        raise CdspecError(f"pattern {pattern!r} is outside what cdspec can check (Python's re rejects it)")
    return Pattern(pattern, tree, exact, python)


# --------------------------------------------------------------------------- strategies


def _join(parts: tuple[str, ...]) -> str:
    return "".join(parts)


def _chars_strategy(chars: str) -> st.SearchStrategy[str]:
    return st.just(chars) if len(chars) == 1 else st.sampled_from(chars)


def _static(node: Node) -> st.SearchStrategy[str]:
    """A strategy for full matches of ``node``, built once (no length window)."""
    if isinstance(node, Chars):
        if not node.chars:
            return st.nothing()
        return _chars_strategy(node.chars)
    if isinstance(node, Assert):
        return st.just("")
    if isinstance(node, Alt):
        return st.one_of([_static(option) for option in node.options])
    if isinstance(node, Repeat):
        high = node.high if node.high is not None else node.low + UNBOUNDED_EXTRA
        inner = node.node
        if isinstance(inner, Chars):
            if not inner.chars:
                return st.just("") if node.low == 0 else st.nothing()
            return st.text(alphabet=inner.chars, min_size=node.low, max_size=high)
        return st.lists(_static(inner), min_size=node.low, max_size=high).map("".join)
    parts: list[st.SearchStrategy[str]] = []
    literal = ""
    for item in node.items:
        if isinstance(item, Chars) and len(item.chars) == 1:
            literal += item.chars
            continue
        if isinstance(item, Assert):
            continue
        if literal:
            parts.append(st.just(literal))
            literal = ""
        parts.append(_static(item))
    if literal:
        parts.append(st.just(literal))
    if not parts:
        return st.just("")
    if len(parts) == 1:
        return parts[0]
    return st.tuples(*parts).map(_join)


def _draw_window(draw: st.DrawFn, node: Node, low: int, high: float) -> str:
    """Draw a full match of ``node`` whose length is in [low, high], as far as the tree allows."""
    if isinstance(node, Chars | Assert) or low > high:
        return draw(_static(node))
    if isinstance(node, Alt):
        fitting = [o for o in node.options if _overlaps(length_range(o), low, high)]
        option = draw(st.sampled_from(fitting or list(node.options)))
        return _draw_window(draw, option, low, high)
    if isinstance(node, Seq):
        ranges = [length_range(item) for item in node.items]
        out: list[str] = []
        used = 0
        for index, item in enumerate(node.items):
            rest_min = sum(r[0] for r in ranges[index + 1 :])
            rest_max = sum(r[1] for r in ranges[index + 1 :])
            item_low = max(ranges[index][0], low - used - rest_max)
            item_high = min(ranges[index][1], high - used - rest_min)
            text = _draw_window(draw, item, int(max(item_low, 0)), item_high)
            out.append(text)
            used += len(text)
        return "".join(out)
    # Repeat: choose the count so that the total can land in the window.
    inner_low, inner_high = length_range(node.node)
    if inner_low > inner_high:
        return ""
    min_count = node.low
    if inner_high > 0 and inner_high != INF:
        min_count = max(min_count, -(-low // int(inner_high)))
    elif inner_high == INF and low > 0:
        min_count = max(min_count, 1)
    cap = node.high if node.high is not None else max(node.low, min_count) + UNBOUNDED_EXTRA
    max_count = cap
    if inner_low > 0 and high != INF:
        max_count = min(max_count, int(high // inner_low))
    max_count = max(max_count, min_count)  # an infeasible window: the final check rejects the draw
    if isinstance(node.node, Chars) and node.node.chars:
        return draw(st.text(alphabet=node.node.chars, min_size=min_count, max_size=max_count))
    count = draw(st.integers(min_count, max_count))
    out = []
    used = 0
    for index in range(count):
        remaining = count - index - 1
        item_low = max(inner_low, low - used - (remaining * inner_high if remaining else 0))
        item_high = min(inner_high, high - used - remaining * inner_low)
        text = _draw_window(draw, node.node, int(max(item_low, 0)), item_high)
        out.append(text)
        used += len(text)
    return "".join(out)


def _overlaps(bounds: tuple[int, float], low: int, high: float) -> bool:
    return bounds[0] <= bounds[1] and bounds[0] <= high and bounds[1] >= low


def _fallback(pattern: Pattern) -> st.SearchStrategy[str]:
    if pattern.python is None:
        raise CdspecError(f"pattern {pattern.source!r} is outside what cdspec supports and Python's re rejects it")
    source = re.sub(r"\(\?<(?![=!])", "(?P<", pattern.source)
    source = re.sub(r"\\k<(\w+)>", r"(?P=\1)", source)
    try:
        python = re.compile(source, re.ASCII)
    except re.error:
        python = pattern.python
    alphabet = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    # A full match satisfies the unanchored pattern too, and fullmatch keeps Python's '$' from
    # accepting a trailing newline that ECMA-262's '$' would not.
    return filtered(
        st.from_regex(python, fullmatch=True, alphabet=alphabet), pattern.python.search, f"matches {pattern.source!r}"
    )


def _length_check(min_length: int, max_length: float) -> Callable[[str], bool]:
    def fits(text: str) -> bool:
        return min_length <= len(text) <= max_length

    return fits


def _anchored(node: Node, anchor: str) -> bool:
    """Whether every match of ``node`` starts (``^``) or ends (``$``) at the edge of the string."""
    if isinstance(node, Assert):
        return node.kind == anchor
    if isinstance(node, Alt):
        return all(_anchored(option, anchor) for option in node.options)
    if isinstance(node, Seq) and node.items:
        return _anchored(node.items[0] if anchor == "^" else node.items[-1], anchor)
    return False


def _core(tree: Node, low: int, high: float) -> st.SearchStrategy[str]:
    """Full matches of ``tree`` with a length in [low, high] (the window known feasible)."""
    drawn_low, drawn_high = length_range(tree, cap=True)
    if drawn_low >= low and drawn_high <= high:
        return _static(tree)

    @st.composite
    def windowed(draw: st.DrawFn) -> str:
        return _draw_window(draw, tree, low, high)

    if _contiguous(tree):
        return windowed()
    # Some lengths in the window may have no match: check the drawn one.
    return filtered(windowed(), _length_check(low, high), f"length in {low}..{high}")


def _with_affixes(
    core: st.SearchStrategy[str], core_range: tuple[int, float], *, prefix: bool, suffix: bool, low: int, high: float
) -> st.SearchStrategy[str]:
    """``core`` with a short prefix and/or suffix of letters and digits, the total length in [low, high]."""
    sides = prefix + suffix
    if core_range[0] >= low and core_range[1] + sides * AFFIX_MAX <= high:
        affix = st.text(alphabet=AFFIX, max_size=AFFIX_MAX)
        parts = [affix if prefix else st.just(""), core, affix if suffix else st.just("")]
        return st.tuples(*parts).map(_join)

    @st.composite
    def affixed(draw: st.DrawFn) -> str:
        text = draw(core)
        need, room = max(0, low - len(text)), high - len(text)
        before = ""
        if prefix and suffix:
            before = draw(st.text(alphabet=AFFIX, max_size=int(min(AFFIX_MAX, room))))
            need, room = max(0, need - len(before)), room - len(before)
        top = int(min(max(need, AFFIX_MAX), room))
        after = draw(st.text(alphabet=AFFIX, min_size=need, max_size=max(need, top)))
        return before + text + after if suffix else after + before + text

    return affixed()


@functools.lru_cache(maxsize=1024)
def regex_strategy(pattern: str, min_length: int = 0, max_length: float = INF) -> st.SearchStrategy[str]:
    """Strings that match ``pattern`` (an ECMA-262 regex, unanchored) with a length in [min_length, max_length].

    A side of the pattern without its anchor (``^`` or ``$``) gets a short
    prefix or suffix of ASCII letters and digits (up to :data:`AFFIX_MAX`
    characters, shrinking to none; more when ``min_length`` needs them): the
    pattern still finds its match in the string. Raises :class:`CdspecError`
    when the pattern is malformed or no string matching it can have such a
    length.
    """
    parsed = compile_pattern(pattern)
    if parsed.tree is None:
        strategy = _fallback(parsed)
        if min_length > 0 or max_length < INF:
            strategy = filtered(
                strategy, _length_check(min_length, max_length), f"length in {min_length}..{max_length}"
            )
        return strategy
    low, high = parsed.lengths
    if low > high:
        raise CdspecError(f"pattern {pattern!r} matches nothing")
    tree = parsed.tree
    prefix, suffix = not _anchored(tree, "^"), not _anchored(tree, "$")
    reach = INF if prefix or suffix else high
    if low > max_length or reach < min_length:
        raise CdspecError(
            f"pattern {pattern!r} only matches strings of {low} to {reach} characters,"
            f" outside the length bounds {min_length}..{max_length}"
        )
    if prefix or suffix:
        core_low, core_high = low, min(high, max_length)
        core = _core(tree, core_low, core_high)
        drawn = length_range(tree, cap=True)
        core_range = (max(drawn[0], core_low), min(drawn[1], core_high))
        strategy = _with_affixes(core, core_range, prefix=prefix, suffix=suffix, low=min_length, high=max_length)
    else:
        strategy = _core(tree, min_length, max_length)
    if not parsed.exact:
        assert parsed.python is not None  # compile_pattern guarantees it
        strategy = filtered(strategy, parsed.python.search, f"re.search({pattern!r})")
    return strategy
