"""The exceptions cdspec raises: one root, a few subclasses, locations always.

Every problem found in a file is a :class:`Problem`: the file, the JSON
pointer inside it, the line where the parser knows it, and what was expected.
Loading collects *all* problems of a task before it raises, so a user fixes a
file in one pass instead of one error at a time.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "CdspecError",
    "CompositionError",
    "ContractError",
    "DiffError",
    "DuplicateKindError",
    "LoadError",
    "PlanError",
    "Problem",
    "ProjectError",
    "SelectionError",
    "TemplateError",
    "UnknownKindError",
    "UnknownLayerError",
    "UnsatisfiableSchemaError",
]


@attrs.frozen
class Problem:
    """One thing wrong with an input, and where it is.

    ``file`` is the path as the user gave it (or ``None`` for data built in
    Python), ``pointer`` a JSON pointer (RFC 6901) into that file's document,
    ``line`` the 1-based line where known.
    """

    message: str
    file: str | None = None
    pointer: str = ""
    line: int | None = None

    def __str__(self) -> str:
        """``file:line: /pointer: message`` on one line (control characters escaped)."""
        where = self.file or "<data>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        text = f"{where}: {self.pointer}: {self.message}" if self.pointer else f"{where}: {self.message}"
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class CdspecError(Exception):
    """The root of every exception cdspec raises on purpose."""


class LoadError(CdspecError, ValueError):
    """A task, layer or contract file (or data) is not what cdspec expects.

    ``problems`` lists every problem found (phase by phase: parsing,
    references, validation, the model; in document order within a phase);
    ``str()`` gives one line per problem, ready to print.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("LoadError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[LoadError], tuple[tuple[Problem, ...]]]:
        return (type(self), (self.problems,))


class ContractError(LoadError):
    """The API contract is not a valid OpenAPI 3.0 or 3.1 document."""


class CompositionError(CdspecError, ValueError):
    """A stack of layers breaks a ``requires``, ``conflicts`` or group rule.

    ``layer`` is the layer whose rule is broken and ``other`` the layer (or
    group) it names; the message says which rule and how to fix the stack.
    """

    def __init__(self, message: str, *, layer: str, other: str) -> None:
        self.layer = layer
        self.other = other
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_composition_error, (str(self), self.layer, self.other))


def _rebuild_composition_error(message: str, layer: str, other: str) -> CompositionError:
    return CompositionError(message, layer=layer, other=other)


class SelectionError(CdspecError, ValueError):
    """A depth out of the stack's range, or a layer selected twice."""


class UnsatisfiableSchemaError(CdspecError, ValueError):
    """No value can satisfy a schema: ``pointer`` names the subschema, ``reason`` says why."""

    def __init__(self, pointer: str, reason: str) -> None:
        self.pointer = pointer
        self.reason = reason
        super().__init__(f"unsatisfiable schema at {pointer}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.pointer, self.reason))


class UnknownKindError(CdspecError, LookupError):
    """A constraint kind that the registry in use does not know."""

    def __init__(self, kind: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.known: tuple[str, ...] = tuple(sorted(known))
        super().__init__(unknown_kind_message(kind, self.known))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.kind, self.known))

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownLayerError(CdspecError, LookupError):
    """A layer (or group) name that the task does not have."""

    def __init__(self, name: str, known: Iterable[str], *, what: str = "layer") -> None:
        self.name = name
        self.known: tuple[str, ...] = tuple(known)
        self.what = what
        super().__init__(f"no {what} {name!r} in this task (known: {', '.join(self.known) or 'none'})")

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_unknown_layer, (self.name, self.known, self.what))

    def __str__(self) -> str:
        return str(self.args[0])


def _rebuild_unknown_layer(name: str, known: tuple[str, ...], what: str) -> UnknownLayerError:
    return UnknownLayerError(name, known, what=what)


class TemplateError(CdspecError, ValueError):
    """A prompt template that is malformed, or names a field that does not exist."""

    def __init__(self, template: str, line: int | None, message: str) -> None:
        self.template = template
        self.line = line
        self.message = message
        where = f"{template}:{line}" if line is not None else template
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.template, self.line, self.message))


class PlanError(CdspecError, ValueError):
    """A variants plan that cannot be carried out (it names nothing, or yields nothing)."""


class DuplicateKindError(CdspecError, ValueError):
    """A kind registered under a name that the registry already holds."""


class ProjectError(CdspecError, ValueError):
    """A project to verify that cannot be read at all (no such directory, a file, a bad path)."""


class DiffError(ProjectError):
    """A unified diff that is malformed or does not apply to its baseline.

    ``line`` is the 1-based line of the diff where the problem is, when known.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"diff line {line}: {message}" if line is not None else f"diff: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_diff_error, (self.message, self.line))


def _rebuild_diff_error(message: str, line: int | None) -> DiffError:
    return DiffError(message, line=line)


def unknown_kind_message(kind: str, known: Iterable[str]) -> str:
    """The message for an unknown kind: a close match first, then all known."""
    import difflib

    names = sorted(known)
    close = difflib.get_close_matches(kind, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{kind!r} is not a known constraint kind ({hint}known: {', '.join(names)})"
