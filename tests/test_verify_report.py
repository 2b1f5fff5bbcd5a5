"""verify(), check registries and the report: grouping, counts, statuses, text, JSON and notebooks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cdspec
from cdspec import Constraint, Contract, Layer, Target, Task
from cdspec._schemas import schema, schema_problems
from cdspec.verify import (
    Check,
    CheckRegistry,
    Context,
    Evidence,
    Finding,
    Project,
    Status,
    VerifyReport,
    failed,
    passed,
    unchecked,
)

from .strategies import contract_document

ROOT = Path(__file__).resolve().parent.parent


def make_task() -> Task:
    """Two layers; kinds chosen so that each stub check below has one constraint."""
    return Task(
        id="demo",
        title="Demo",
        goal="Show the report.",
        target=Target("python", "flask"),
        contract=Contract(contract_document(["getThing"])),
        layers=[
            Layer(
                "architecture",
                [
                    Constraint("arch.layout", "folder-layout", {"required": ["app/"]}),
                    Constraint(
                        "arch.layering",
                        "import-layering",
                        {
                            "layers": [
                                {"name": "routes", "modules": ["app.routes"]},
                                {"name": "services", "modules": ["app.services"]},
                            ]
                        },
                    ),
                ],
                title="Layered architecture",
            ),
            Layer(
                "orm",
                [
                    Constraint("orm.forbidden", "forbidden-imports", {"modules": ["sqlite3"]}),
                    Constraint("orm.engine", "database-engine", {"engine": "sqlite"}),
                    Constraint("orm.tests", "tests-location", {"directory": "tests"}),
                ],
            ),
        ],
    )


def layout_check(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    missing = [p for p in params["required"] if not project.has(p)]
    if not missing:
        return [context.passed(f"found {', '.join(params['required'])}")]
    return [context.failed(f"missing {m}", hint=f"create {m}") for m in missing]


def layering_check(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    for path in project.python_files:
        for imp in project.imports(path):
            if path.startswith("app/services/") and imp.module.startswith("app.routes"):
                yield failed(
                    context.constraint,
                    "a service imports a route module",
                    Evidence(imp.path, imp.line, imp.text),
                    hint="move the shared code into the service layer",
                )
    yield passed(context.constraint, "checked every import")


def raising_check(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    raise RuntimeError("boom\nwith a second line")


def empty_check(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    return []


CHECKS = CheckRegistry.of(
    [
        Check("folder-layout", layout_check),
        Check("import-layering", layering_check),
        Check("forbidden-imports", raising_check),
        Check("tests-location", empty_check),
    ]
)

GOOD = {"app/__init__.py": "", "app/routes/books.py": "from app.services import books\n", "app/services/books.py": ""}
BAD = {**GOOD, "app/services/books.py": "import os\nfrom app.routes.books import helper  # reuse\n", "x.py": "def (:\n"}


def test_a_conforming_project() -> None:
    """Every checked constraint passes: ok, counts by layer and in total; missing checks are unchecked."""
    report = cdspec.verify(make_task(), Project.from_files(GOOD), checks=CHECKS)
    assert report.ok
    assert [layer.name for layer in report.layers] == ["architecture", "orm"]
    assert report.counts == {"passed": 3, "failed": 0, "unchecked": 2, "total": 5}
    assert report.layers[0].counts == {"passed": 2, "failed": 0, "unchecked": 0, "total": 2}
    assert report.status("orm.tests") is Status.PASSED
    assert report.result("orm.tests").findings[0].message == "no violation found"
    assert report.status("orm.engine") is Status.UNCHECKED
    assert report.result("orm.engine").findings[0].message == "no check registered for kind 'database-engine'"


def test_a_violating_project_fails_with_evidence() -> None:
    """Failures carry evidence and hints; a raising check is unchecked, naming the exception."""
    report = cdspec.verify(make_task(), Project.from_files(BAD), checks=CHECKS)
    assert not report.ok
    assert report.counts == {"passed": 2, "failed": 1, "unchecked": 2, "total": 5}
    layering = report.result("arch.layering")
    assert layering.status is Status.FAILED
    bad = layering.findings[0]
    assert bad.evidence == (Evidence("app/services/books.py", 2, "from app.routes.books import helper  # reuse"),)
    assert bad.hint == "move the shared code into the service layer"
    forbidden = report.result("orm.forbidden").findings
    assert [f.status for f in forbidden] == [Status.UNCHECKED]
    assert forbidden[0].message == (
        "the check for kind 'forbidden-imports' raised RuntimeError: boom with a second line"
    )
    assert [n.path for n in report.notes] == ["x.py"]


EXPECTED_TEXT = """\
demo at depth 2: 1 passed, 1 failed, 3 unchecked of 5 constraints: FAILED

architecture (1 passed, 1 failed, 0 unchecked)
  \u2713 arch.layout [folder-layout]
      found app/
  \u2717 arch.layering [import-layering]
      a service imports a route module
        app/services/books.py:2: from app.routes.books import helper  # reuse
        hint: move the shared code into the service layer

orm (0 passed, 0 failed, 3 unchecked)
  ? orm.forbidden [forbidden-imports]
      the check for kind 'forbidden-imports' raised RuntimeError: boom with a second line
  ? orm.engine [database-engine]
      no check registered for kind 'database-engine'
        hint: register one: checks=BUILTIN_CHECKS.with_checks(Check(kind, function))
  ? orm.tests [tests-location]
      no check registered for kind 'tests-location'
        hint: register one: checks=BUILTIN_CHECKS.with_checks(Check(kind, function))

Notes (1):
  x.py: does not parse as Python: invalid syntax (line 1)
"""


def test_the_text_report() -> None:
    """Per layer, one mark per constraint, failures with path:line, the line and the hint; notes last."""
    checks = CheckRegistry.of([c for c in CHECKS if c.kind != "tests-location"])
    report = cdspec.verify(make_task(), Project.from_files(BAD), checks=checks)
    assert report.to_text() == EXPECTED_TEXT
    assert str(report) == EXPECTED_TEXT
    again = cdspec.verify(make_task(), Project.from_files(BAD), checks=checks)
    assert again.to_text() == EXPECTED_TEXT
    assert again == report


def test_the_json_report_is_valid_against_its_schema() -> None:
    """to_data() is valid against schemas/report.schema.json and to_json() is its text."""
    report = cdspec.verify(make_task(), Project.from_files(BAD), checks=CHECKS)
    data = report.to_data()
    assert schema_problems(schema("report"), data) == []
    assert json.loads(report.to_json()) == data
    assert data["counts"] == report.counts
    assert data["layers"][0]["constraints"][1]["findings"][0]["evidence"] == [
        {"path": "app/services/books.py", "line": 2, "text": "from app.routes.books import helper  # reuse"}
    ]
    assert data["project"] is None
    assert data["notes"] == [{"path": "x.py", "message": "does not parse as Python: invalid syntax (line 1)"}]


def test_the_notebook_view() -> None:
    """_repr_markdown_ is a summary and one table row per constraint, pipes escaped."""
    report = cdspec.verify(make_task(), Project.from_files(BAD), checks=CHECKS)
    markdown = report._repr_markdown_()
    assert markdown.startswith("**demo at depth 2: 2 passed, 1 failed, 2 unchecked of 5 constraints: FAILED**")
    assert (
        "| architecture | `arch.layering` | import-layering | \u2717 failed | a service imports a route module "
        in markdown
    )
    assert "(`app/services/books.py:2`)" in markdown
    assert markdown.count("\n| ") == 6
    assert "1 notes" in markdown


def test_depth_keeps_the_first_layers() -> None:
    """depth=1 checks only the bottom layer; an out-of-range depth is a SelectionError."""
    report = cdspec.verify(make_task(), Project.from_files(GOOD), depth=1, checks=CHECKS)
    assert report.depth == 1
    assert [c.id for c in report.constraints] == ["arch.layout", "arch.layering"]
    with pytest.raises(cdspec.SelectionError):
        cdspec.verify(make_task(), Project.from_files(GOOD), depth=3, checks=CHECKS)


def test_a_directory_path_and_a_baseline_reach_the_checks(tmp_path: Path) -> None:
    """verify reads a directory given as a path; baseline= (a path) shows up as project.baseline."""
    (tmp_path / "base").mkdir()
    (tmp_path / "now" / "app").mkdir(parents=True)
    (tmp_path / "now" / "app" / "new.py").write_text("")
    seen: list[tuple[str, ...]] = []

    def record(project: Project, params: Mapping[str, Any], context: Context) -> list[Finding]:
        seen.append(project.added_paths)
        return [context.passed("recorded")]

    checks = CheckRegistry.of([Check("folder-layout", record)])
    report = cdspec.verify(make_task(), tmp_path / "now", baseline=tmp_path / "base", depth=1, checks=checks)
    assert seen == [("app/new.py",)]
    assert report.project == str(tmp_path / "now")
    with pytest.raises(cdspec.ProjectError, match="no such directory"):
        cdspec.verify(make_task(), tmp_path / "missing", checks=checks)


def test_a_feature_task_uses_its_baseline() -> None:
    """A feature task loaded from a file compares the project with its feature.baseline directory."""
    task = cdspec.load_task(ROOT / "examples" / "library" / "feature-renewals.yaml")
    found: list[int] = []

    def count(project: Project, params: Mapping[str, Any], context: Context) -> list[Finding]:
        assert project.baseline is not None
        found.append(len(project.baseline.paths))
        return [context.passed("ok")]

    checks = CheckRegistry.of([Check(kind, count) for kind in cdspec.BUILTIN_KINDS.names])
    report = cdspec.verify(task, ROOT / "examples" / "library" / "baseline", checks=checks)
    assert report.ok
    assert found
    assert all(n > 10 for n in found)
    assert report.counts["passed"] == report.counts["total"]


def test_checks_that_misbehave_never_break_the_report() -> None:
    """Non-findings, recursion errors and findings for another constraint are handled."""

    def not_findings(project: Project, params: Mapping[str, Any], context: Context) -> list[Any]:
        return ["nope"]

    def recursing(project: Project, params: Mapping[str, Any], context: Context) -> list[Finding]:
        return recursing(project, params, context)

    def wrong_id(project: Project, params: Mapping[str, Any], context: Context) -> list[Finding]:
        return [Finding("other.id", "other", Status.FAILED, "bad", hint="fix")]

    checks = CheckRegistry.of(
        [
            Check("folder-layout", not_findings),
            Check("import-layering", recursing),
            Check("forbidden-imports", wrong_id),
        ]
    )
    report = cdspec.verify(make_task(), Project.from_files(GOOD), checks=checks)
    assert report.result("arch.layout").findings[0].message == (
        "the check for kind 'folder-layout' returned a str, not a Finding"
    )
    assert "raised RecursionError" in report.result("arch.layering").findings[0].message
    wrong = report.result("orm.forbidden").findings[0]
    assert (wrong.constraint, wrong.kind, wrong.status) == ("orm.forbidden", "forbidden-imports", Status.FAILED)


def test_registries_are_immutable_values() -> None:
    """with_checks makes a new registry; duplicates need replace=True; lookups name what is known."""
    one = CheckRegistry.of([Check("folder-layout", empty_check)])
    two = one.with_checks(Check("orm", empty_check))
    assert one.kinds == ("folder-layout",)
    assert two.kinds == ("folder-layout", "orm")
    assert "orm" in two
    assert "orm" not in one
    assert len(two) == 2
    assert [c.kind for c in two] == ["folder-layout", "orm"]
    with pytest.raises(cdspec.DuplicateKindError, match="replace=True"):
        two.with_checks(Check("orm", layout_check))
    assert two.with_checks(Check("orm", layout_check), replace=True)["orm"].function is layout_check
    with pytest.raises(cdspec.UnknownKindError, match="did you mean 'orm'"):
        two["orms"]
    assert two.get("orms") is None
    with pytest.raises(TypeError, match="callable"):
        Check("orm", "not a function")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expected a cdspec\.verify\.Check"):
        one.with_checks("orm")  # type: ignore[arg-type]


def test_finding_helpers_and_evidence() -> None:
    """passed/failed/unchecked fill in the constraint; evidence text is one stripped line of at most 200 chars."""
    constraint = Constraint("a.b", "orm", {"orm": "sqlalchemy"})
    assert passed(constraint, "ok") == Finding("a.b", "orm", Status.PASSED, "ok")
    long = Evidence("x.py", 3, "  " + "y" * 300 + "  ")
    assert len(long.text) == 200
    assert long.text.endswith("\u2026")
    bad = failed(constraint, "bad", long, "fix it")
    assert bad.evidence == (long,)
    assert bad.hint == "fix it"
    assert str(bad) == "\u2717 a.b: bad (x.py:3)"
    assert unchecked(constraint, "why").status is Status.UNCHECKED
    assert Evidence("x.py").location == "x.py"
    assert str(Evidence("x.py", 1, "a\n  b")) == "x.py:1: a b"


statuses = st.sampled_from(list(Status))
evidence = st.builds(
    Evidence, st.text(min_size=1, max_size=20), st.none() | st.integers(1, 10**6), st.text(max_size=300)
)


@st.composite
def reports(draw: st.DrawFn) -> VerifyReport:
    from cdspec.verify import ConstraintResult, LayerResult, Note

    layers = []
    for i in range(draw(st.integers(0, 3))):
        results = []
        for j in range(draw(st.integers(0, 3))):
            findings = draw(
                st.lists(
                    st.builds(
                        Finding,
                        st.just(f"l{i}.c{j}"),
                        st.just("orm"),
                        statuses,
                        st.text(max_size=50),
                        st.lists(evidence, max_size=2),
                        st.text(max_size=20),
                    ),
                    min_size=1,
                    max_size=3,
                )
            )
            results.append(ConstraintResult(f"l{i}.c{j}", "orm", findings))
        layers.append(LayerResult(f"layer{i}", results))
    notes = draw(st.lists(st.builds(Note, st.text(max_size=10), st.text(min_size=1, max_size=20)), max_size=3))
    return VerifyReport("t", len(layers), layers, notes, draw(st.none() | st.text(max_size=10)))


@given(reports())
def test_any_report_is_valid_json_and_its_counts_add_up(report: VerifyReport) -> None:
    """Every report serialises to valid data; counts add up; ok means no constraint failed."""
    data = report.to_data()
    assert schema_problems(schema("report"), data) == []
    counts = report.counts
    assert counts["passed"] + counts["failed"] + counts["unchecked"] == counts["total"] == len(report.constraints)
    assert report.ok == (counts["failed"] == 0)
    assert sum(layer.counts["total"] for layer in report.layers) == counts["total"]
    text = report.to_text()
    assert text.endswith("\n")
    assert text.count("\n") >= 1 + len(report.layers)
    assert report._repr_markdown_().count("\n| ") == 1 + len(report.constraints)


def test_cdspec_verify_stays_the_function_whatever_is_imported_first() -> None:
    """Importing cdspec.verify's submodules first does not replace the function cdspec.verify by the package."""
    import subprocess
    import sys

    code = (
        "import cdspec.verify.project, cdspec.verify.checks\nimport cdspec\nfrom cdspec.verify import Project\n"
        "assert callable(cdspec.verify) and cdspec.verify.__module__ == 'cdspec.verify.registry'\n"
        "assert cdspec.Project is Project\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
