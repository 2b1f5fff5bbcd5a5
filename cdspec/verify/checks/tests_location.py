"""``tests-location``: the project's tests live in one directory, named by a pattern.

A test file is a file named like a test (``test_*.py``, ``*_test.py``,
``*.test.js``, ``*.spec.ts``...) or matching ``pattern``. The check fails
when the directory holds no test file matching ``pattern``, for every test
file outside the directory, and (with a ``pattern``) for every Python file in
the directory that defines ``test_`` functions under another name.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify.checks._common import evidence, in_spec, matches_pattern, spec_path
from cdspec.verify.findings import Evidence, Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]

_TEST_NAME = re.compile(r"^(?:test_.*\.py|.*_test\.py|.*\.(?:test|spec)\.[cm]?[jt]sx?)$")


def _defines_tests(project: Project, path: str) -> int | None:
    """Line of the first ``def test_...`` (or ``class Test...``) of a Python file."""
    for node in project.nodes(path, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            return node.lineno
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            return node.lineno
    return None


def check_tests_location(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Check where the tests are."""
    directory = spec_path(params["directory"])
    pattern = params.get("pattern")

    def is_test(path: str) -> bool:
        name = posixpath.basename(path)
        return bool(_TEST_NAME.match(name)) or (pattern is not None and matches_pattern(name, pattern))

    inside = [p for p in project.paths if in_spec(p, directory)]
    tests = [p for p in inside if is_test(p) and (pattern is None or matches_pattern(posixpath.basename(p), pattern))]
    findings: list[Finding] = []
    if not tests:
        what = f" named like `{pattern}`" if pattern else ""
        findings.append(
            context.failed(
                f"no test file{what} in `{directory}/`",
                Evidence(directory, None, "(missing)" if not inside else "(no test files)"),
                f"Put the tests in `{directory}/`{what}.",
            )
        )
    for path in project.paths:
        if is_test(path) and not in_spec(path, directory) and not path.endswith(".pyc"):
            findings.append(
                context.failed(
                    f"test file `{path}` is outside `{directory}/`",
                    evidence(project, path, None, "(test file)"),
                    f"Move it to `{directory}/`.",
                )
            )
    if pattern is not None:
        for path in inside:
            name = posixpath.basename(path)
            if path.endswith(".py") and name != "conftest.py" and not matches_pattern(name, pattern):
                line = _defines_tests(project, path)
                if line is not None:
                    findings.append(
                        context.failed(
                            f"`{path}` defines tests but is not named like `{pattern}` (the runner skips it)",
                            evidence(project, path, line),
                            f"Rename it to match `{pattern}`.",
                        )
                    )
    if findings:
        return findings
    return [context.passed(f"{len(tests)} test file(s) in `{directory}/`, none elsewhere")]


CHECK = Check("tests-location", check_tests_location, "The tests live in the given directory, named by the pattern.")
