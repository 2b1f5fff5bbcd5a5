"""Applying a unified diff (``git diff``, ``diff -u``) to the texts of a project.

Strict: every context and removed line must match the baseline where the
hunk header says (a hunk may sit a few lines off, as ``patch`` allows, but
never fuzzily), and any malformed line raises :class:`~cdspec.DiffError`
naming the line of the diff. Binary patches cannot be applied from a text
diff; they become notes.
"""

from __future__ import annotations

import re

import attrs

from cdspec.errors import DiffError, ProjectError

from .project import Note, _check_relative

__all__ = ["apply_diff"]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_OFFSET_WINDOW = 50  # how far a hunk may sit from where its header says


@attrs.define
class _FilePatch:
    old: str | None
    new: str | None
    line: int
    hunks: list[tuple[int, int, list[tuple[str, str, int]]]] = attrs.Factory(list)
    old_missing_newline: bool = False
    new_missing_newline: bool = False
    rename: bool = False


def _path(text: str, number: int) -> str | None:
    """The path of a ``---``/``+++`` line (``None`` for ``/dev/null``), without timestamp or quotes."""
    name = text.split("\t", 1)[0].rstrip("\r")
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        name = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    if name == "/dev/null":
        return None
    if not name:
        raise DiffError("a file header without a path", line=number)
    return name


def _strip_prefix(path: str | None, prefix: str) -> str | None:
    if path is not None and path.startswith(prefix):
        return path[len(prefix) :]
    return path


def _safe(path: str, number: int) -> str:
    try:
        return _check_relative(path)
    except ProjectError:
        raise DiffError(f"path {path!r} leaves the project (absolute or with '..')", line=number) from None


@attrs.define
class _GitHeader:
    """What a ``diff --git`` header said before any ``---``/``+++`` line."""

    old: str
    new: str
    line: int
    created: bool = False
    deleted: bool = False
    rename_from: str | None = None
    done: bool = False  # a ---/+++ pair, a rename or a binary patch followed


def _finish(header: _GitHeader | None, patches: list[_FilePatch]) -> None:
    """An empty file created or deleted has a git header and nothing else."""
    if header is None or header.done:
        return
    if header.created:
        patches.append(_FilePatch(None, _safe(header.new, header.line), header.line))
    elif header.deleted:
        patches.append(_FilePatch(_safe(header.old, header.line), None, header.line))


def _parse(diff: str) -> tuple[list[_FilePatch], list[tuple[str, int]]]:  # noqa: PLR0915  # one branch per line shape
    lines = diff.splitlines()
    patches: list[_FilePatch] = []
    binaries: list[tuple[str, int]] = []
    header: _GitHeader | None = None
    i = 0
    while i < len(lines):
        text = lines[i]
        number = i + 1
        if text.startswith("diff --git "):
            _finish(header, patches)
            match = re.match(r"^diff --git a/(.+) b/(.+)$", text)
            header = _GitHeader(match.group(1), match.group(2), number) if match else None
            i += 1
            continue
        if header is not None and not header.done and text.startswith(("new file mode", "deleted file mode")):
            header.created = text.startswith("new")
            header.deleted = text.startswith("deleted")
        elif header is not None and text.startswith("rename from "):
            header.rename_from = text[len("rename from ") :]
        elif header is not None and text.startswith("rename to ") and header.rename_from is not None:
            # A pure rename has no hunks; one with changes gets its ---/+++ lines next.
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not following.startswith("--- "):
                old, new = _safe(header.rename_from, number - 1), _safe(text[len("rename to ") :], number)
                patches.append(_FilePatch(old, new, number, rename=True))
                header.done = True
        elif text.startswith(("Binary files ", "GIT binary patch")):
            binaries.append((header.new if header is not None else text, number))
            if header is not None:
                header.done = True
        elif text.startswith("--- "):
            if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
                raise DiffError("a '---' file header not followed by '+++'", line=number)
            old_path = _path(text[4:], number)
            new_path = _path(lines[i + 1][4:], number + 1)
            if (old_path is None or old_path.startswith("a/")) and (new_path is None or new_path.startswith("b/")):
                old_path, new_path = _strip_prefix(old_path, "a/"), _strip_prefix(new_path, "b/")
            if old_path is None and new_path is None:
                raise DiffError("both sides of a file header are /dev/null", line=number)
            patch = _FilePatch(
                None if old_path is None else _safe(old_path, number),
                None if new_path is None else _safe(new_path, number + 1),
                number,
            )
            patch.rename = header is not None and header.rename_from is not None
            if header is not None:
                header.done = True
            patches.append(patch)
            i += 2
            continue
        elif text.startswith("@@"):
            if not patches:
                raise DiffError("a hunk before any file header ('--- a/...', '+++ b/...')", line=number)
            i = _hunk(patches[-1], lines, i)
            continue
        elif text.startswith(("+", "-", " ")) and patches and text != "-- ":  # "-- ": format-patch's signature
            raise DiffError("a change line outside a hunk (a hunk header '@@ ... @@' is missing or wrong)", line=number)
        i += 1  # commit messages, 'index ...', mode lines: not part of the change
    _finish(header, patches)
    return patches, binaries


def _hunk(patch: _FilePatch, lines: list[str], i: int) -> int:
    number = i + 1
    match = _HUNK.match(lines[i])
    if match is None:
        raise DiffError(f"malformed hunk header {lines[i][:80]!r}", line=number)
    old_start, old_count = int(match.group(1)), int(match.group(2) or "1")
    new_count = int(match.group(4) or "1")
    body: list[tuple[str, str, int]] = []
    seen_old = seen_new = 0
    i += 1
    while i < len(lines) and (seen_old < old_count or seen_new < new_count or lines[i].startswith("\\")):
        text = lines[i]
        if text.startswith("\\"):
            previous = body[-1][0] if body else " "
            if previous in (" ", "-"):
                patch.old_missing_newline = True
            if previous in (" ", "+"):
                patch.new_missing_newline = True
            i += 1
            continue
        mark, content = (text[:1], text[1:]) if text else (" ", "")
        if mark == " ":
            seen_old += 1
            seen_new += 1
        elif mark == "-":
            seen_old += 1
        elif mark == "+":
            seen_new += 1
        else:
            raise DiffError(
                f"hunk ended early: expected {old_count} old and {new_count} new lines, got {seen_old} and {seen_new}",
                line=i + 1,
            )
        body.append((mark, content, i + 1))
        i += 1
    if seen_old != old_count or seen_new != new_count:
        raise DiffError(
            f"hunk ended early: expected {old_count} old and {new_count} new lines, got {seen_old} and {seen_new}",
            line=number,
        )
    patch.hunks.append((old_start, number, body))
    return i


def _apply(patch: _FilePatch, base: str | None, name: str) -> str:
    old_lines = [] if base is None else base.splitlines()
    base_missing_newline = base is not None and base != "" and not base.endswith(("\n", "\r"))
    out: list[str] = []
    position = 0
    for old_start, number, body in patch.hunks:
        expected = [content for mark, content, _ in body if mark in (" ", "-")]
        start = max(old_start - 1, 0) if expected else old_start
        found = _locate(old_lines, expected, start, position)
        if found is None:
            first_line = next((n for mark, _, n in body if mark in (" ", "-")), number)
            raise DiffError(
                f"the hunk does not apply to {name!r}: its context differs from the baseline", line=first_line
            )
        out.extend(old_lines[position:found])
        out.extend(content for mark, content, _ in body if mark in (" ", "+"))
        position = found + len(expected)
    out.extend(old_lines[position:])
    missing_newline = patch.new_missing_newline or (base_missing_newline and not patch.hunks)
    if patch.hunks and position < len(old_lines):
        missing_newline = base_missing_newline
    text = "\n".join(out)
    return text if not out or missing_newline else text + "\n"


def _locate(lines: list[str], expected: list[str], start: int, floor: int) -> int | None:
    """Where ``expected`` sits in ``lines``: at ``start``, else the nearest offset (never before ``floor``)."""
    size = len(expected)
    for offset in range(_OFFSET_WINDOW + 1):
        for candidate in (start - offset, start + offset) if offset else (start,):
            if floor <= candidate <= len(lines) - size and lines[candidate : candidate + size] == expected:
                return candidate
    return None


def apply_diff(texts: dict[str, str], diff: str) -> tuple[dict[str, str], list[Note]]:
    """``texts`` (path -> text) with ``diff`` applied, and notes for what was not applied.

    Raises :class:`DiffError` for a malformed diff or one that does not apply.
    """
    patches, binaries = _parse(diff)
    if not patches and not binaries:
        raise DiffError("no file changes found (expected '--- a/path' and '+++ b/path' headers)", line=None)
    result = dict(texts)
    notes: list[Note] = []
    for patch in patches:
        if patch.old is not None and patch.old not in texts:
            raise DiffError(f"{patch.old!r} is not a file of the baseline", line=patch.line)
        if patch.old is None and patch.new is not None and patch.new in texts:
            raise DiffError(f"{patch.new!r} is created by the diff but already exists in the baseline", line=patch.line)
        base = None if patch.old is None else texts[patch.old]
        name = patch.old or patch.new or "?"
        new_text = _apply(patch, base, name) if (patch.hunks or base is None) else base
        if patch.old is not None and (patch.new is None or patch.new != patch.old):
            result.pop(patch.old, None)
        if patch.new is not None:
            result[patch.new] = new_text
    for shown, number in binaries:
        notes.append(Note(shown, f"binary change (diff line {number}) cannot be applied from a text diff, skipped"))
    return result, notes
