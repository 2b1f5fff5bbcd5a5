"""Writing outputs without losing a user's data.

Every file or folder cdspec writes goes through here: an output that is one
of the command's inputs is refused, an output that exists is refused unless
``force`` is given, and the new content is written to a temporary file (or
folder) next to the target and moved over it with :func:`os.replace`, so
an interrupted write leaves the old content or the new, never half of one.
Results files are the one append-only format: they are appended to
(:func:`cdspec.evaluate.append_results`), never replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import CdspecError

__all__ = ["check_output", "replacing", "replacing_folder", "write_text"]


def _same(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except (OSError, ValueError):
        return os.path.normcase(os.path.realpath(one)) == os.path.normcase(os.path.realpath(other))


def check_output(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    hint: str = "--force",
) -> Path:
    """``path`` as a :class:`~pathlib.Path` when it may be written; a :class:`~cdspec.CdspecError` otherwise.

    Refused: a path that names one of ``inputs`` (the same file, however
    spelled; also with ``force``), and a path that exists, unless ``force``.
    """
    target = Path(os.fspath(path))
    for source in inputs:
        if source is not None and _same(target, Path(os.fspath(source))):
            raise CdspecError(f"{os.fspath(path)}: is an input of this command; write the output somewhere else")
    if not force and (target.exists() or target.is_symlink()):
        raise CdspecError(f"{os.fspath(path)}: exists; give {hint} to replace it, or write somewhere else")
    return target


def _temporary_name(target: Path, suffix: str = "") -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp{suffix}")


@contextlib.contextmanager
def replacing(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    hint: str = "--force",
) -> Iterator[Path]:
    """A temporary file next to ``path`` (same suffix) to write; moved over ``path`` when the block succeeds.

    Checked with :func:`check_output` first; removed if the block fails.
    Raises :class:`~cdspec.CdspecError` naming ``path`` when the file
    cannot be written.
    """
    target = check_output(path, force=force, inputs=inputs, hint=hint)
    temporary = _temporary_name(target, target.suffix)
    try:
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            raise CdspecError(f"{os.fspath(path)}: cannot write: {getattr(exc, 'strerror', None) or exc}") from None
        yield temporary
        try:
            if target.exists():
                with contextlib.suppress(OSError):
                    shutil.copymode(target, temporary)
            os.replace(temporary, target)
        except OSError as exc:
            raise CdspecError(f"{os.fspath(path)}: cannot write: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    hint: str = "--force",
) -> None:
    """Write ``text`` to ``path`` as UTF-8, byte for byte, atomically (see :func:`replacing`)."""
    with replacing(path, force=force, inputs=inputs, hint=hint) as temporary:
        try:
            with open(temporary, "w", encoding="utf-8", newline="") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
        except (OSError, ValueError) as exc:  # ValueError: text that is no UTF-8 (a lone surrogate)
            raise CdspecError(f"{os.fspath(path)}: cannot write: {getattr(exc, 'strerror', None) or exc}") from None


@contextlib.contextmanager
def replacing_folder(path: str | os.PathLike[str], *, force: bool = False, hint: str = "--force") -> Iterator[Path]:
    """A path next to ``path`` (not yet there) to build a folder at; it takes ``path``'s place if the block succeeds.

    An existing ``path`` is refused unless ``force``; with it, the old
    folder is moved aside, the new one moved in, and the old one removed.
    """
    target = check_output(path, force=force, hint=hint)
    temporary = _temporary_name(target)
    try:
        yield temporary
        old = _temporary_name(target, ".old") if target.exists() or target.is_symlink() else None
        try:
            if old is not None:
                os.replace(target, old)
            os.replace(temporary, target)
        except OSError as exc:
            if old is not None and not target.exists():
                with contextlib.suppress(OSError):
                    os.replace(old, target)
            raise CdspecError(f"{os.fspath(path)}: cannot write: {exc.strerror or exc}") from None
        if old is not None:
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    old.unlink()
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
