"""Static verification: does a project keep the constraints of a task?

:func:`verify` reads a project (:class:`Project`, read-only, never imports
or runs anything from it), runs the check of each constraint in force
(:class:`CheckRegistry`, :data:`BUILTIN_CHECKS`) and returns a
:class:`VerifyReport` grouped by layer. See ``docs/verify.md``.

Note: ``cdspec.verify`` in the package namespace is the *function*; import
names from this module with ``from cdspec.verify import Project``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .findings import (
    ConstraintResult,
    Evidence,
    Finding,
    LayerResult,
    Status,
    VerifyReport,
    failed,
    passed,
    unchecked,
)
from .project import Import, Note, Project
from .registry import Check, CheckFn, CheckRegistry, Context, verify

if TYPE_CHECKING:
    from .checks import BUILTIN_CHECKS

__all__ = [
    "BUILTIN_CHECKS",
    "Check",
    "CheckFn",
    "CheckRegistry",
    "ConstraintResult",
    "Context",
    "Evidence",
    "Finding",
    "Import",
    "LayerResult",
    "Note",
    "Project",
    "Status",
    "VerifyReport",
    "failed",
    "load_project",
    "passed",
    "unchecked",
    "verify",
]


def load_project(root: str, *, baseline: str | None = None) -> Project:
    """Read the project directory ``root`` (and ``baseline``): :meth:`Project.from_directory`."""
    return Project.from_directory(root, baseline=baseline)


def __getattr__(name: str) -> Any:
    # The built-in checks are imported on first use: `import cdspec` stays light.
    if name == "BUILTIN_CHECKS":
        from .checks import BUILTIN_CHECKS

        return BUILTIN_CHECKS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
