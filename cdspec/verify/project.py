"""A read-only view of a project to verify: its files, their text, Python ASTs and import graphs.

A :class:`Project` reads a directory once, when it is built, and never
imports, executes or installs anything from it. What it cannot or will not
read becomes a :class:`Note` instead of an exception:

- symbolic links are never followed into directories; a link to a regular
  file is kept only when its target is inside the root (the text is the
  target's), links leading outside the root, dangling links and link loops
  are refused;
- files that are not regular (FIFOs, devices, sockets), bigger than
  ``max_file_bytes``, binary (a NUL byte) or not UTF-8 are skipped;
- Python sources that do not parse (``SyntaxError``, nesting that exhausts
  the parser's recursion or memory, or deeper than :data:`MAX_AST_DEPTH`
  levels) have no AST.

Directories named in ``skip_dirs`` (``.git``, ``node_modules``, virtual
environments, caches, build output; :data:`SKIP_DIRS`) are not entered.
Only a project root that does not exist or is not a directory, and a
malformed diff, raise (:class:`~cdspec.ProjectError`, :class:`~cdspec.DiffError`).
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from cdspec.errors import ProjectError

if TYPE_CHECKING:
    from ._js import Token

__all__ = [
    "JS_SUFFIXES",
    "MAX_AST_DEPTH",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_PARSED_BYTES",
    "SKIP_DIRS",
    "Import",
    "Note",
    "Project",
    "glob_regex",
]

_T = TypeVar("_T")
_N = TypeVar("_N", bound=ast.AST)
_AST = ast.AST  # `Project.ast` (a method) shadows the module inside the class

# CPython 3.11 keeps the AST converter's recursion depth in interpreter-wide
# state: two threads parsing at once can fail with "SystemError: AST
# constructor recursion depth mismatch" (gh-106905). Projects verified on
# several threads therefore parse one file at a time.
_PARSING = threading.Lock()


class NodeIndex:
    """The nodes of one AST in :func:`ast.walk` order, and by type.

    One pass sorts every node by its exact type; asking for a kind gathers
    the positions of the types that are its subclasses, so many kinds cost
    one pass, not one each. Results are cached per kind.
    """

    __slots__ = ("_by_type", "_found", "walked")

    def __init__(self, walked: tuple[_AST, ...]) -> None:
        self.walked = walked
        self._by_type: dict[type[_AST], list[int]] | None = None
        self._found: dict[Any, tuple[Any, ...]] = {}

    def nodes(self, kind: type[_N] | tuple[type[_N], ...]) -> tuple[_N, ...]:
        """The nodes that are instances of ``kind``, in walk order."""
        found = self._found.get(kind)
        if found is None:
            if self._by_type is None:
                self._by_type = {}
                for i, node in enumerate(self.walked):
                    self._by_type.setdefault(node.__class__, []).append(i)
            lists = [positions for node_type, positions in self._by_type.items() if issubclass(node_type, kind)]
            ordered = lists[0] if len(lists) == 1 else sorted(i for positions in lists for i in positions)
            found = self._found[kind] = tuple(self.walked[i] for i in ordered)
        return found


MAX_FILE_BYTES = 2_000_000
"""Files bigger than this are skipped with a note (a generated project's sources are far smaller)."""

MAX_PARSED_BYTES = 8_000_000
"""Python source parsed into ASTs per project, in all (an AST takes some 70 times its text's memory).

Past it, further files get no AST and a note, so the checks that need
one say "unchecked"; files that are one inode (hard links) are parsed once.
"""

MAX_FILES = 100_000
"""At most this many files are read; the rest are skipped with one note."""

MAX_AST_DEPTH = 200
"""A Python AST nested deeper than this is treated as unparsable, so that no check recurses into it."""

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", "dist", "build", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", ".tox", ".nox"}
)  # fmt: skip
"""Directory names that are never entered by default: version control, dependencies, caches, build output."""

JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
"""What counts as a JavaScript or TypeScript source (``.d.ts`` declarations included)."""

_RESOLVE_SUFFIXES = (".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts", ".json")


@attrs.frozen
class Note:
    """Something the project view skipped or could not make sense of, and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '.'}: {self.message}"


@attrs.frozen
class Import:
    """One import statement's dependency on one module.

    ``module`` is the absolute dotted name for Python (relative imports
    resolved) and the specifier as written for JS/TS (``./services/books``,
    ``express``). ``target`` is the project file it resolves to, if any.
    ``kind`` is ``import`` or ``from`` (Python), ``es-import``,
    ``export-from``, ``require`` or ``dynamic`` (JS/TS). ``type_checking`` is
    true for imports under ``if TYPE_CHECKING:`` and TypeScript's
    ``import type``. ``text`` is the source line, stripped (at most 200
    characters).
    """

    path: str
    line: int
    module: str
    names: tuple[str, ...] = ()
    type_checking: bool = False
    kind: str = "import"
    text: str = ""
    target: str | None = None


def _clip(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _printable(name: str) -> str:
    """A file name as a printable, encodable string (undecodable bytes escaped)."""
    text = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _check_relative(path: str) -> str:
    """``path`` as a normalised relative POSIX path; ``ProjectError`` if it leaves the root."""
    clean = path.replace("\\", "/")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if clean.startswith("/") or ".." in parts or not parts or "\x00" in clean:
        raise ProjectError(f"{_printable(path)!r} is not a relative path inside the project")
    return "/".join(parts)


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    """Text of a file, or why it has none."""
    if b"\x00" in raw:
        return None, "binary file (contains NUL bytes), skipped"
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (bad byte at offset {exc.start}), skipped"


# --------------------------------------------------------------------------- globs


def _segment_regex(segment: str) -> str:
    out = []
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = segment[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                body = body.replace("\\", "\\\\").replace("^", "\\^")
                out.append(f"[{'^/' if negate else ''}{body}]" if body else "(?!)")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression a glob ``pattern`` stands for, over relative POSIX paths.

    Patterns are anchored at the project root (as in :meth:`pathlib.Path.glob`):
    ``*`` and ``?`` match within one path segment, ``[abc]`` a character of a
    set, and a ``**`` segment any number of directories, none included. A
    leading ``/`` or ``./`` is ignored; a trailing ``/`` is dropped (the
    caller decides whether only directories match).
    """
    text = pattern.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    segments = [s for s in text.strip("/").split("/") if s not in ("", ".")]
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts) if parts else "(?!)", re.DOTALL)


# --------------------------------------------------------------------------- reading a directory


class _Read:
    """What a walk of a directory found."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.dirs: set[str] = set()
        self.notes: list[Note] = []
        self.inodes: dict[tuple[int, int], str] = {}  # (device, inode) -> the first path read from it


def _open_nofollow(path: str) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    return os.open(path, flags)


def _read_file(path: str, rel: str, max_bytes: int, out: _Read) -> None:
    try:
        fd = _open_nofollow(path)
    except OSError as exc:
        out.notes.append(Note(rel, f"cannot read: {exc.strerror or exc}, skipped"))
        return
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            out.notes.append(Note(rel, "not a regular file (a pipe, socket or device), skipped"))
            return
        if info.st_size > max_bytes:
            out.notes.append(Note(rel, f"file is {info.st_size} bytes, more than the {max_bytes} read, skipped"))
            return
        first = out.inodes.setdefault((info.st_dev, info.st_ino), rel)
        if first != rel and first in out.texts:  # a hard link (or a link to a file) read already: one text
            out.texts[rel] = out.texts[first]
            return
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        raw = b"".join(chunks)
    except OSError as exc:
        out.notes.append(Note(rel, f"cannot read: {exc.strerror or exc}, skipped"))
        return
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        out.notes.append(Note(rel, f"file is more than the {max_bytes} bytes read, skipped"))
        return
    text, why = _decode(raw)
    if text is None:
        out.notes.append(Note(rel, why or "skipped"))
        return
    out.texts[rel] = text


def _symlink(path: str, rel: str, root_real: str, max_bytes: int, out: _Read) -> None:
    """Keep a link to a regular file inside the root; refuse everything else with a note."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    shown = _printable(target)
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError) as exc:
        loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40  # ELOOP
        what = "a symbolic link loop" if loop else "a dangling symbolic link"
        out.notes.append(Note(rel, f"{what} (-> {shown}), not followed"))
        return
    if os.path.commonpath([root_real, real]) != root_real:
        out.notes.append(Note(rel, f"symbolic link leading outside the project (-> {shown}), refused"))
        return
    if os.path.isdir(real):
        out.notes.append(Note(rel, f"symbolic link to a directory (-> {shown}), not followed"))
        return
    inside = os.path.relpath(real, root_real).replace(os.sep, "/")
    _read_file(real, rel, max_bytes, out)
    if rel in out.texts:
        return
    out.notes.append(Note(rel, f"symbolic link to {inside!r}, which was skipped"))


def _walk(root: Path, *, max_file_bytes: int, skip_dirs: frozenset[str], max_files: int) -> _Read:
    out = _Read()
    root_real = os.path.realpath(root)
    pending = [(os.fspath(root), "")]
    count = 0
    while pending:
        directory, rel_dir = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            out.notes.append(Note(rel_dir, f"cannot list the directory: {exc.strerror or exc}, skipped"))
            continue
        subdirs = []
        for entry in entries:
            name = _printable(entry.name)
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if name != entry.name or "/" in name or "\\" in name:
                out.notes.append(Note(rel, "file name is not printable UTF-8 text, skipped"))
                continue
            try:
                if entry.is_symlink():
                    count += 1
                    if count <= max_files:
                        _symlink(entry.path, rel, root_real, max_file_bytes, out)
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                out.notes.append(Note(rel, f"cannot read: {exc.strerror or exc}, skipped"))
                continue
            if is_dir:
                if entry.name in skip_dirs:
                    continue
                out.dirs.add(rel)
                subdirs.append((entry.path, rel))
                continue
            count += 1
            if count > max_files:
                continue
            _read_file(entry.path, rel, max_file_bytes, out)
        pending.extend(reversed(subdirs))
    if count > max_files:
        out.notes.append(Note("", f"more than {max_files} files: only the first {max_files} were read"))
    return out


# --------------------------------------------------------------------------- Python


def _walk_within(tree: ast.AST, limit: int) -> list[ast.AST] | None:
    """Every node of ``tree`` in :func:`ast.walk`'s order (breadth first); ``None`` if deeper than ``limit``."""
    nodes = [tree]
    depths = [0]
    index = 0
    ast_type, list_type = ast.AST, list
    while index < len(nodes):
        node = nodes[index]
        depth = depths[index] + 1
        index += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast_type):
                nodes.append(value)
                depths.append(depth)
            elif isinstance(value, list_type):
                for item in value:
                    if isinstance(item, ast_type):
                        nodes.append(item)
                        depths.append(depth)
        if depths[-1] > limit:  # breadth first: the last node added is the deepest
            return None
    return nodes


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _python_imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement of a module (functions and classes included), with its TYPE_CHECKING flag."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, guarded = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, guarded
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            children: list[tuple[ast.AST, bool]] = [(child, True) for child in node.body]
            children += [(child, guarded) for child in node.orelse]
        elif isinstance(node, ast.expr):
            continue  # no statements inside expressions
        else:
            children = [(child, guarded) for child in ast.iter_child_nodes(node)]
        stack.extend(reversed(children))


# --------------------------------------------------------------------------- the project


def _paths_of(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(value))


def _frozen_paths(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _notes(value: Iterable[Note]) -> tuple[Note, ...]:
    return tuple(value)


@attrs.frozen(eq=False, repr=False)
class Project:
    """A read-only view of a project's text files, built once.

    Build one with :meth:`from_directory`, :meth:`from_files` or
    :meth:`from_diff`. Paths are relative POSIX paths (``app/routes/books.py``);
    ``paths`` are the files kept, sorted; ``dirs`` every directory, empty
    ones included. Everything derived from the text (lines, ASTs, imports,
    the module index) is computed on first use and cached, so each file is
    read once and parsed at most once.
    """

    _texts: Mapping[str, str] = attrs.field(alias="texts")
    _dirs: frozenset[str] = attrs.field(converter=_frozen_paths, alias="dirs")
    root: Path | None = None
    baseline: Project | None = None
    _read_notes: tuple[Note, ...] = attrs.field(default=(), converter=_notes, alias="read_notes")
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False)

    # -- building ---------------------------------------------------------------------

    @classmethod
    def from_directory(
        cls,
        root: str | os.PathLike[str],
        *,
        baseline: Project | str | os.PathLike[str] | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
        skip_dirs: Iterable[str] = SKIP_DIRS,
        max_files: int = MAX_FILES,
    ) -> Project:
        """Read the directory ``root`` (see the module's documentation for what is skipped).

        ``baseline`` (a project or a directory, read the same way) is what the
        project started from: :attr:`changed_paths` and friends compare with it.
        Raises :class:`~cdspec.ProjectError` if ``root`` is not a directory.
        """
        path = Path(root)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise ProjectError(f"{_printable(str(root))}: no such directory") from None
        except (OSError, ValueError) as exc:
            raise ProjectError(
                f"{_printable(str(root))}: cannot read: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            raise ProjectError(f"{_printable(str(root))}: not a directory (a project is a directory)")
        skip = frozenset(skip_dirs)
        read = _walk(path, max_file_bytes=max_file_bytes, skip_dirs=skip, max_files=max_files)
        base = cls._baseline(baseline, max_file_bytes=max_file_bytes, skip_dirs=skip, max_files=max_files)
        return cls(
            texts=read.texts, dirs=read.dirs, root=path, baseline=base, read_notes=sorted(read.notes, key=_note_key)
        )

    @classmethod
    def _baseline(cls, baseline: Project | str | os.PathLike[str] | None, **options: Any) -> Project | None:
        if baseline is None or isinstance(baseline, Project):
            return baseline
        return cls.from_directory(baseline, **options)

    @classmethod
    def from_files(
        cls,
        files: Mapping[str, str | bytes],
        *,
        baseline: Project | None = None,
        dirs: Iterable[str] = (),
        root: str | os.PathLike[str] | None = None,
    ) -> Project:
        """A project made of ``files`` (relative path -> text or bytes), for tests and diffs.

        Bytes are decoded like files on disk (binary or non-UTF-8 content
        becomes a note). A path that is absolute or has a ``..`` segment
        raises :class:`~cdspec.ProjectError`. ``dirs`` adds (empty) directories.
        """
        texts: dict[str, str] = {}
        notes: list[Note] = []
        for name, content in files.items():
            rel = _check_relative(name)
            if isinstance(content, bytes):
                text, why = _decode(content)
                if text is None:
                    notes.append(Note(rel, why or "skipped"))
                    continue
                texts[rel] = text
            else:
                texts[rel] = content
        all_dirs = {_check_relative(d) for d in dirs}
        return cls(
            texts=texts,
            dirs=all_dirs,
            root=None if root is None else Path(root),
            baseline=baseline,
            read_notes=sorted(notes, key=_note_key),
        )

    @classmethod
    def from_diff(cls, baseline: Project, diff: str) -> Project:
        """``baseline`` with the unified diff ``diff`` applied (``git diff`` or ``diff -u`` output).

        New files (``--- /dev/null``), deleted files (``+++ /dev/null``),
        renames and several hunks per file are understood; ``a/`` and ``b/``
        prefixes are stripped. A malformed diff, or a hunk whose context does
        not match the baseline, raises :class:`~cdspec.DiffError` naming the
        diff's line. The result's :attr:`baseline` is ``baseline``.
        """
        from ._diff import apply_diff

        texts, notes = apply_diff(dict(baseline._texts), diff)
        # A directory the diff empties is gone, as in a checkout of the changed tree (git keeps no empty dirs).
        held = {posixpath.dirname(path) for path in texts}
        kept = {parent for path in held for parent in _parents(path)}
        before = {parent for path in baseline._texts for parent in _parents(posixpath.dirname(path))}
        dirs = frozenset(d for d in baseline._dirs if d in kept or d not in before)
        return cls(
            texts=texts,
            dirs=dirs,
            root=baseline.root,
            baseline=baseline,
            read_notes=sorted([*baseline._read_notes, *notes], key=_note_key),
        )

    def with_baseline(self, baseline: Project | str | os.PathLike[str] | None) -> Project:
        """This project compared with ``baseline`` (a project or a directory); caches are shared."""
        base = self._baseline(baseline)
        new = attrs.evolve(self, baseline=base)
        object.__setattr__(new, "_cache", self._cache)  # same files, same derived data
        return new

    # -- files ------------------------------------------------------------------------

    def __repr__(self) -> str:
        where = f" {str(self.root)!r}" if self.root is not None else ""
        return f"<Project{where}: {len(self._texts)} files, {len(self._read_notes)} notes>"

    @property
    def paths(self) -> tuple[str, ...]:
        """The files kept (readable UTF-8 text), as sorted relative POSIX paths."""
        return self.memo("paths", lambda: _paths_of(self._texts))

    @property
    def dirs(self) -> frozenset[str]:
        """Every directory (relative, POSIX, no trailing slash): those holding a kept file, and empty ones."""

        def compute() -> frozenset[str]:
            found = set(self._dirs)
            for path in self._texts:
                parent = posixpath.dirname(path)
                while parent and parent not in found:
                    found.add(parent)
                    parent = posixpath.dirname(parent)
            return frozenset(found)

        return self.memo("dirs", compute)

    @property
    def all_dirs(self) -> frozenset[str]:
        """The same as :attr:`dirs` (kept for checks written against an early draft)."""
        return self.dirs

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per project and ``key``: data derived from the project, cached with it.

        Checks use it to share what several of them derive (the parsed
        models, the routes); keys are namespaced by their user
        (``"checks:routes"``). Do not mutate what it returns.
        """
        try:
            found: _T = self._cache[key]
        except KeyError:
            found = self._cache[key] = compute()
        return found

    def has(self, path: str) -> bool:
        """Whether ``path`` is a file or a directory of the project (``app/routes`` or ``app/routes/``)."""
        clean = path.replace("\\", "/").strip()
        while clean.startswith("./"):
            clean = clean[2:]
        clean = clean.strip("/")
        return clean in self._texts or clean in self.dirs

    def glob(self, pattern: str) -> tuple[str, ...]:
        """Files and directories matching ``pattern``, sorted (see :func:`glob_regex`).

        A pattern ending in ``/`` matches directories only.
        """
        regex = glob_regex(pattern)
        dirs_only = pattern.strip().endswith("/")
        candidates = self.dirs if dirs_only else [*self._texts, *self.dirs]
        return tuple(sorted({p for p in candidates if regex.fullmatch(p)}))

    def text(self, path: str) -> str | None:
        """The decoded text of ``path``; ``None`` if it is not a kept file."""
        return self._texts.get(path)

    def lines(self, path: str) -> list[str]:
        """The lines of ``path`` without line endings (``[]`` if it is not a kept file)."""
        lines: dict[str, list[str]] = self.memo("lines", dict)
        if path not in lines:
            text = self._texts.get(path)
            lines[path] = [] if text is None else text.splitlines()
        return list(lines[path])

    def line(self, path: str, number: int) -> str:
        """Line ``number`` (1-based) of ``path``, stripped and at most 200 characters; ``""`` if none."""
        lines: dict[str, list[str]] = self.memo("lines", dict)
        if path not in lines:
            self.lines(path)
        found = lines[path]
        return _clip(found[number - 1]) if 1 <= number <= len(found) else ""

    @property
    def python_files(self) -> tuple[str, ...]:
        """The ``.py`` and ``.pyi`` files, sorted."""
        return self.memo("python_files", lambda: tuple(p for p in self.paths if p.endswith((".py", ".pyi"))))

    @property
    def js_files(self) -> tuple[str, ...]:
        """The JavaScript and TypeScript sources (:data:`JS_SUFFIXES`), sorted."""
        return self.memo("js_files", lambda: tuple(p for p in self.paths if p.endswith(JS_SUFFIXES)))

    # -- notes --------------------------------------------------------------------------

    @property
    def notes(self) -> tuple[Note, ...]:
        """What was skipped and why, sorted by path: files not read, and Python sources that do not parse.

        Asking for the notes parses every Python file (once; the ASTs are kept).
        """
        for path in self.python_files:
            self.ast(path)
        parse_notes: dict[str, Note] = self.memo("parse_notes", dict)
        return tuple(sorted([*self._read_notes, *parse_notes.values()], key=_note_key))

    # -- Python ---------------------------------------------------------------------------

    def ast(self, path: str) -> ast.Module | None:
        """The parsed module of a Python file, cached.

        ``None`` if ``path`` is not a kept Python file or does not parse (see :attr:`notes`).
        """
        trees: dict[str, ast.Module | None] = self.memo("ast", dict)
        if path in trees:
            return trees[path]
        text = self._texts.get(path)
        tree: ast.Module | None = None
        if text is not None and path.endswith((".py", ".pyi")):
            by_text: dict[int, tuple[str, str]] = self.memo("ast:by-text", dict)  # id(text) -> (text, path)
            _, first = by_text.setdefault(id(text), (text, path))
            if first != path:  # the same text object: one inode read once, parsed once
                tree = trees[path] = self.ast(first)
                if tree is not None:
                    walks_by_path: dict[str, tuple[ast.AST, ...]] = self.memo("walk", dict)
                    walks_by_path[path] = walks_by_path[first]
                return tree
            parsed: list[int] = self.memo("ast:parsed-bytes", lambda: [0])
            if parsed[0] + len(text) > MAX_PARSED_BYTES:
                parse_notes_over: dict[str, Note] = self.memo("parse_notes", dict)
                parse_notes_over[path] = Note(
                    path, f"not analysed: the project's Python sources are over {MAX_PARSED_BYTES} bytes in all"
                )
                trees[path] = None
                return None
            parsed[0] += len(text)
            why = None
            try:
                with _PARSING:
                    tree = ast.parse(text, filename=path, type_comments=False)
            except SyntaxError as exc:
                why = f"does not parse as Python: {exc.msg} (line {exc.lineno})"
            except (RecursionError, MemoryError):
                why = "does not parse as Python: nested too deeply for the parser"
            except ValueError as exc:  # e.g. source code strings cannot contain null bytes
                why = f"does not parse as Python: {exc}"
            if tree is not None:
                nodes = _walk_within(tree, MAX_AST_DEPTH)
                if nodes is None:
                    tree = None
                    why = f"nested more than {MAX_AST_DEPTH} levels deep, not analysed"
                else:
                    walks: dict[str, tuple[ast.AST, ...]] = self.memo("walk", dict)
                    walks[path] = tuple(nodes)
            if why is not None:
                parse_notes: dict[str, Note] = self.memo("parse_notes", dict)
                parse_notes[path] = Note(path, why)
        trees[path] = tree
        return tree

    def walk(self, path: str) -> tuple[_AST, ...]:
        """Every node of a Python file's AST, in :func:`ast.walk` order; ``()`` if it has none.

        Computed once, when the file is parsed: checks that would call
        ``ast.walk(project.ast(path))`` again and again share this one.
        """
        if self.ast(path) is None:
            return ()
        walks: dict[str, tuple[_AST, ...]] = self.memo("walk", dict)
        return walks[path]

    def nodes(self, path: str, kind: type[_N] | tuple[type[_N], ...]) -> tuple[_N, ...]:
        """The nodes of a Python file's AST that are instances of ``kind``, in :meth:`walk` order; cached."""
        return self.node_index(path).nodes(kind)

    def node_index(self, path: str) -> NodeIndex:
        """The :class:`NodeIndex` of a Python file (empty if it has no AST), made once."""
        table: dict[str, NodeIndex] = self.memo("node_index", dict)
        index = table.get(path)
        if index is None:
            index = table[path] = NodeIndex(self.walk(path))
        return index

    def module_name(self, path: str) -> str | None:
        """The dotted module name of a Python file (``app/routes/books.py`` -> ``app.routes.books``).

        ``__init__.py`` names its package; a leading ``src/`` is dropped.
        ``None`` if a segment is not an identifier (``0001_initial.py``).
        """
        if not path.endswith((".py", ".pyi")):
            return None
        parts = path.rsplit(".", 1)[0].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1 and parts[0] == "src":
            parts = parts[1:]
        if not parts or not all(p.isidentifier() for p in parts):
            return None
        return ".".join(parts)

    @property
    def modules(self) -> Mapping[str, str]:
        """Module name -> path for every Python module of the project (sorted by name)."""

        def compute() -> dict[str, str]:
            table: dict[str, str] = {}
            # Outside src/ first, .py before .pyi: the first path claiming a name keeps it.
            order = sorted(self.python_files, key=lambda p: (p.startswith("src/"), p.endswith(".pyi"), p))
            for path in order:
                name = self.module_name(path)
                if name is not None:
                    table.setdefault(name, path)
            return dict(sorted(table.items()))

        return self.memo("modules", compute)

    def path_of_module(self, name: str) -> str | None:
        """The project file of the Python module ``name``; ``None`` for modules from elsewhere."""
        return self.modules.get(name)

    def _package(self, path: str) -> str | None:
        name = self.module_name(path)
        if name is None:
            return None
        is_package = path.rsplit("/", 1)[-1] in ("__init__.py", "__init__.pyi")
        return name if is_package else name.rpartition(".")[0]

    def _python_file_imports(self, path: str) -> tuple[Import, ...]:
        tree = self.ast(path)
        if tree is None:
            return ()
        found: list[Import] = []
        for node, guarded in _python_imports(tree):
            text = self.line(path, node.lineno)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append(
                        Import(
                            path, node.lineno, alias.name, (), guarded, "import", text, self.path_of_module(alias.name)
                        )
                    )
                continue
            names = tuple(alias.name for alias in node.names)
            base = self._resolve_from(path, node.level, node.module)
            found.append(Import(path, node.lineno, base, names, guarded, "from", text, self.path_of_module(base)))
            if base.startswith("."):
                continue
            for name in names:
                sub = f"{base}.{name}" if base else name
                target = self.path_of_module(sub)
                if target is not None:
                    found.append(Import(path, node.lineno, sub, (), guarded, "from", text, target))
        return tuple(found)

    def _resolve_from(self, path: str, level: int, module: str | None) -> str:
        if level == 0:
            return module or ""
        package = self._package(path)
        written = "." * level + (module or "")
        if package is None:
            return written
        parts = package.split(".") if package else []
        if level - 1 > len(parts) or (level - 1 == len(parts) and not module):
            return written  # beyond the top package
        parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, *([module] if module else [])])

    # -- JavaScript -----------------------------------------------------------------------

    def _js_file_imports(self, path: str) -> tuple[Import, ...]:
        from ._js import scan_imports  # loaded on first use: `import cdspec` stays light

        if path not in self._texts:
            return ()
        found = []
        for item in scan_imports(self.js_tokens(path)):
            found.append(
                Import(
                    path,
                    item.line,
                    item.specifier,
                    item.names,
                    item.type_only,
                    item.kind,
                    self.line(path, item.line),
                    self.resolve_js(path, item.specifier),
                )
            )
        return tuple(found)

    def js_tokens(self, path: str) -> tuple[Token, ...]:
        """The tokens of a JS/TS file (:func:`cdspec.verify._js.tokenize`), made once and cached; ``()`` if none.

        Comments and whitespace are not tokens; strings and template parts
        are, with their decoded text. Checks that read JS should use these
        rather than tokenize the text again.
        """
        table: dict[str, tuple[Token, ...]] = self.memo("js_tokens", dict)
        if path not in table:
            from ._js import tokenize

            text = self._texts.get(path)
            table[path] = () if text is None or not path.endswith(JS_SUFFIXES) else tuple(tokenize(text))
        return table[path]

    def resolve_js(self, path: str, specifier: str) -> str | None:
        """The project file a relative JS/TS ``specifier`` in ``path`` resolves to, if any.

        Tries the path as written, then with each source suffix, then
        ``index.*`` in it; an ESM ``./x.js`` also finds ``x.ts``. Bare
        specifiers (packages) and paths leaving the root resolve to ``None``.
        """
        if not specifier.startswith(("./", "../")) and specifier not in (".", ".."):
            return None
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
        if joined.startswith(("../", "/")) or joined == "..":
            return None
        joined = "" if joined == "." else joined
        candidates = [joined] if joined else []
        stem, dot, suffix = joined.rpartition(".")
        if dot and f".{suffix}" in (".js", ".jsx", ".mjs", ".cjs"):
            candidates += [f"{stem}.ts", f"{stem}.tsx", f"{stem}.mts", f"{stem}.cts"]
        if joined:
            candidates += [joined + s for s in _RESOLVE_SUFFIXES]
        prefix = f"{joined}/" if joined else ""
        candidates += [f"{prefix}index{s}" for s in _RESOLVE_SUFFIXES]
        return next((c for c in candidates if c in self._texts), None)

    # -- imports --------------------------------------------------------------------------

    def imports(self, path: str) -> tuple[Import, ...]:
        """The imports of a Python or JS/TS file, in source order (``()`` for other files)."""
        table: dict[str, tuple[Import, ...]] = self.memo("imports", dict)
        if path not in table:
            if path.endswith((".py", ".pyi")):
                table[path] = self._python_file_imports(path)
            elif path.endswith(JS_SUFFIXES):
                table[path] = self._js_file_imports(path)
            else:
                table[path] = ()
        return table[path]

    def import_graph(self) -> Mapping[str, tuple[str, ...]]:
        """Path -> the project files it imports (sorted), for every Python and JS/TS file."""

        def compute() -> dict[str, tuple[str, ...]]:
            graph = {}
            for path in (*self.python_files, *self.js_files):
                graph[path] = tuple(sorted({i.target for i in self.imports(path) if i.target is not None}))
            return dict(sorted(graph.items()))

        return self.memo("graph", compute)

    # -- changes ------------------------------------------------------------------------

    @property
    def added_paths(self) -> tuple[str, ...]:
        """Files not in the baseline (``()`` without a baseline)."""
        if self.baseline is None:
            return ()
        return tuple(p for p in self.paths if p not in self.baseline._texts)

    @property
    def removed_paths(self) -> tuple[str, ...]:
        """Baseline files that are gone (``()`` without a baseline)."""
        if self.baseline is None:
            return ()
        return tuple(p for p in self.baseline.paths if p not in self._texts)

    @property
    def changed_paths(self) -> tuple[str, ...]:
        """Files in both whose text differs (``()`` without a baseline)."""
        if self.baseline is None:
            return ()
        base = self.baseline._texts
        return tuple(p for p in self.paths if p in base and base[p] != self._texts[p])


def _parents(directory: str) -> Iterator[str]:
    """``a/b/c``, ``a/b``, ``a`` for the directory ``a/b/c`` (nothing for the root, ``""``)."""
    while directory:
        yield directory
        directory = posixpath.dirname(directory)


def _note_key(note: Note) -> tuple[str, str]:
    return (note.path, note.message)
