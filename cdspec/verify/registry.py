"""Checks by constraint kind, and :func:`verify`, which runs them over a project.

A :class:`Check` pairs a kind name with a function
``check(project, params, context) -> Iterable[Finding]`` for one
constraint. A :class:`CheckRegistry` is an immutable set of checks, like
:class:`~cdspec.KindRegistry`: ``BUILTIN_CHECKS.with_checks(Check(...))``
makes a new one, nothing global changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from cdspec._frozen import FrozenDict
from cdspec.errors import DuplicateKindError, UnknownKindError
from cdspec.model import Constraint, Task

from .findings import (
    ConstraintResult,
    Evidence,
    Finding,
    LayerResult,
    VerifyReport,
    failed,
    passed,
    unchecked,
)
from .project import Project

__all__ = ["Check", "CheckFn", "CheckRegistry", "Context", "verify"]


@attrs.frozen
class Context:
    """What a check knows besides the project and the params: the constraint and the task.

    The task gives the contract (for ``routes-cover-contract``), the target
    and the mode; the constraint its id, for findings. :meth:`passed`,
    :meth:`failed` and :meth:`unchecked` build findings for this constraint.
    """

    constraint: Constraint
    task: Task

    def passed(self, message: str) -> Finding:
        """A PASSED finding for this constraint."""
        return passed(self.constraint, message)

    def failed(self, message: str, evidence: Iterable[Evidence] | Evidence = (), hint: str = "") -> Finding:
        """A FAILED finding for this constraint."""
        return failed(self.constraint, message, evidence, hint)

    def unchecked(self, why: str, evidence: Iterable[Evidence] | Evidence = (), hint: str = "") -> Finding:
        """An UNCHECKED finding for this constraint."""
        return unchecked(self.constraint, why, evidence, hint)


CheckFn = Callable[[Project, Mapping[str, Any], Context], Iterable[Finding]]
"""``check(project, params, context) -> findings`` for one constraint."""


def _check_function(instance: Check, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise TypeError(f"Check {instance.kind!r}: function must be callable, got {type(value).__name__}")


@attrs.frozen
class Check:
    """The check of one constraint kind: ``function(project, params, context) -> findings``."""

    kind: str
    function: CheckFn = attrs.field(validator=_check_function)
    description: str = ""


@attrs.frozen
class CheckRegistry:
    """An immutable set of checks, looked up by kind name.

    Build new registries with :meth:`with_checks`; nothing mutates in place.
    """

    _checks: FrozenDict = attrs.field(factory=FrozenDict, alias="checks")

    @classmethod
    def of(cls, checks: Iterable[Check]) -> CheckRegistry:
        """A registry of ``checks``; ``DuplicateKindError`` if a kind repeats."""
        return cls().with_checks(*checks)

    def with_checks(self, *checks: Check, replace: bool = False) -> CheckRegistry:
        """A new registry with ``checks`` added; a kind already present raises unless ``replace``."""
        table = dict(self._checks)
        for check in checks:
            if not isinstance(check, Check):
                raise TypeError(f"expected a cdspec.verify.Check, got {type(check).__name__}")
            if check.kind in table and not replace:
                raise DuplicateKindError(
                    f"a check for kind {check.kind!r} is already registered (pass replace=True to override it)"
                )
            table[check.kind] = check
        return CheckRegistry(FrozenDict(sorted(table.items())))

    def __getitem__(self, kind: str) -> Check:
        try:
            check: Check = self._checks[kind]
        except KeyError:
            raise UnknownKindError(kind, self._checks) from None
        return check

    def get(self, kind: str) -> Check | None:
        """The check of ``kind``, or ``None``."""
        found: Check | None = self._checks.get(kind)
        return found

    def __contains__(self, kind: object) -> bool:
        return kind in self._checks

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds with a check, sorted."""
        return tuple(self._checks)


def _builtin_checks() -> CheckRegistry:
    from .checks import BUILTIN_CHECKS

    registry: CheckRegistry = BUILTIN_CHECKS
    return registry


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:199] + "\u2026"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _run_check(check: Check | None, project: Project, constraint: Constraint, task: Task) -> tuple[Finding, ...]:
    if check is None:
        return (
            unchecked(
                constraint,
                f"no check registered for kind {constraint.kind!r}",
                hint="register one: checks=BUILTIN_CHECKS.with_checks(Check(kind, function))",
            ),
        )
    context = Context(constraint, task)
    try:
        findings = list(check.function(project, constraint.params, context))
    except Exception as exc:  # a broken check must not break the report
        return (unchecked(constraint, f"the check for kind {constraint.kind!r} raised {_describe(exc)}"),)
    if not all(isinstance(f, Finding) for f in findings):
        wrong = next(type(f).__name__ for f in findings if not isinstance(f, Finding))
        return (unchecked(constraint, f"the check for kind {constraint.kind!r} returned a {wrong}, not a Finding"),)
    if not findings:
        return (passed(constraint, "no violation found"),)
    return tuple(
        f if (f.constraint, f.kind) == (constraint.id, constraint.kind)
        else attrs.evolve(f, constraint=constraint.id, kind=constraint.kind)
        for f in findings
    )  # fmt: skip


def _feature_baseline(task: Task) -> str | None:
    if task.feature is None or task.origin is None:
        return None
    return os.path.join(os.path.dirname(os.path.abspath(task.origin)), task.feature.baseline)


def verify(
    task: Task,
    project: Project | str | os.PathLike[str],
    *,
    depth: int | None = None,
    baseline: Project | str | os.PathLike[str] | None = None,
    checks: CheckRegistry | None = None,
) -> VerifyReport:
    """Check every constraint in force against ``project``; a report grouped by layer.

    ``depth`` keeps the first ``depth`` layers of the stack (``None``: the
    whole stack). ``project`` is a :class:`Project` or a directory;
    ``baseline`` one too, else the project's own baseline, else (feature
    tasks loaded from a file) the task's ``feature.baseline`` directory.
    ``checks`` defaults to :data:`BUILTIN_CHECKS`.

    A constraint whose kind has no check, and one whose check raises, get a
    single UNCHECKED finding saying so: the report is always complete.
    Raises :class:`~cdspec.ProjectError` when a directory cannot be read and
    :class:`~cdspec.SelectionError` for a depth out of range.
    """
    registry = _builtin_checks() if checks is None else checks
    active = task if depth is None else task.at_depth(depth)
    view = project if isinstance(project, Project) else Project.from_directory(project)
    if baseline is not None:
        view = view.with_baseline(baseline)
    elif view.baseline is None and (feature_baseline := _feature_baseline(task)) is not None:
        view = view.with_baseline(feature_baseline)
    layers = []
    for layer in active.stack:
        results = [
            ConstraintResult(
                constraint.id, constraint.kind, _run_check(registry.get(constraint.kind), view, constraint, active)
            )
            for constraint in layer.constraints
        ]
        layers.append(LayerResult(layer.name, results, title=layer.heading))
    return VerifyReport(
        task=task.id,
        depth=active.depth,
        layers=layers,
        notes=view.notes,
        project=None if view.root is None else str(view.root),
    )
