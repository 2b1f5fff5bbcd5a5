"""`cdspec verify`: exit 0 when every checked constraint passes, 1 when one fails, 2 on bad input."""

from __future__ import annotations

import io
import json
import textwrap
import uuid
from pathlib import Path

import pytest

from cdspec._schemas import schema, schema_problems
from cdspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "library" / "task.yaml"
REFERENCE = ROOT / "examples" / "library" / "reference"

CHECKS_MODULE = """\
from cdspec import BUILTIN_KINDS
from cdspec.verify import Check, CheckRegistry, Evidence

def passing(project, params, context):
    return [context.passed(f"{len(project.paths)} files, baseline: {project.baseline is not None}")]

def no_routes_in_services(project, params, context):
    for path in project.python_files:
        for imp in project.imports(path):
            if "/services/" in path and ".routes" in imp.module:
                yield context.failed("a service imports a route", Evidence(path, imp.line, imp.text), "invert it")

PASSING = CheckRegistry.of([Check(kind, passing) for kind in BUILTIN_KINDS.names])
STRICT = PASSING.with_checks(Check("import-layering", no_routes_in_services), replace=True)
NOT_A_REGISTRY = 42
"""


@pytest.fixture
def checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The name of an importable module holding check registries (unique per test)."""
    name = f"user_checks_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(CHECKS_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["verify", *args], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_all_checked_constraints_pass_exit_0(checks: str) -> None:
    """A conforming project prints the text report and exits 0."""
    status, out, err = run(str(LIBRARY), str(REFERENCE), "--checks", f"{checks}:PASSING")
    assert (status, err) == (0, "")
    assert out.startswith("library at depth 7: 12 passed, 0 failed, 0 unchecked of 12 constraints: ok\n")
    assert "\u2713 architecture.import-layering [import-layering]" in out


def test_a_failing_constraint_exits_1_with_evidence(tmp_path: Path, checks: str) -> None:
    """A violation prints ✗, the evidence path:line with the line, and the hint; exit 1."""
    project = write_project(
        tmp_path / "p",
        {"app/__init__.py": "", "app/services/books.py": "import os\nfrom app.routes import books\n"},
    )
    status, out, err = run(str(LIBRARY), str(project), "--checks", f"{checks}:STRICT")
    assert (status, err) == (1, "")
    assert "\u2717 architecture.import-layering [import-layering]" in out
    assert "        app/services/books.py:2: from app.routes import books\n        hint: invert it\n" in out


def test_json_output_is_a_valid_report(checks: str) -> None:
    """--json prints a report valid against schemas/report.schema.json."""
    status, out, _ = run(str(LIBRARY), str(REFERENCE), "--json", "--depth", "2", "--checks", f"{checks}:PASSING")
    data = json.loads(out)
    assert status == 0
    assert schema_problems(schema("report"), data) == []
    assert (data["depth"], data["ok"], data["counts"]["total"]) == (2, True, 4)
    assert data["project"] == str(REFERENCE)


def test_choose_picks_a_group_member(checks: str) -> None:
    """--choose database=postgres checks the postgres layer instead of sqlite."""
    _, out, _ = run(
        str(LIBRARY), str(REFERENCE), "--json", "--choose", "database=postgres", "--checks", f"{checks}:PASSING"
    )
    names = [layer["name"] for layer in json.loads(out)["layers"]]
    assert "postgres" in names
    assert "sqlite" not in names


def test_baseline_option_reaches_the_checks(tmp_path: Path, checks: str) -> None:
    """--baseline DIR is read and given to the checks as project.baseline."""
    base = write_project(tmp_path / "base", {"a.py": ""})
    _, out, _ = run(
        str(LIBRARY), str(REFERENCE), "--depth", "1", "--baseline", str(base), "--checks", f"{checks}:PASSING"
    )
    assert "baseline: True" in out


def test_without_checks_the_builtin_ones_run() -> None:
    """The default registry is the built-in one; the report always covers every constraint."""
    status, out, err = run(str(LIBRARY), str(REFERENCE), "--json")
    data = json.loads(out)
    assert err == ""
    assert data["counts"]["total"] == 12
    assert status == (0 if data["ok"] else 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{library}", "{missing}"], "no such directory"),
        (["{library}", "{library}"], "not a directory"),
        (["{missing}", "{reference}"], "no such file"),
        (["{library}", "{reference}", "--depth", "99"], "depth must be an integer from 0 to 7"),
        (["{library}", "{reference}", "--choose", "database=mongo"], "no member of group 'database' 'mongo'"),
        (["{library}", "{reference}", "--choose", "database"], "--choose takes GROUP=LAYER"),
        (["{library}", "{reference}", "--baseline", "{missing}"], "no such directory"),
        (["{library}", "{reference}", "--checks", "nope"], "--checks takes MODULE:ATTRIBUTE"),
        (["{library}", "{reference}", "--checks", "{checks}:NOT_A_REGISTRY"], "expected a cdspec.CheckRegistry"),
        (["{library}", "{reference}", "--checks", "{checks}:MISSING"], "has no attribute 'MISSING'"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, checks: str, args: list[str], message: str) -> None:
    """Unreadable projects, bad task files and bad options exit 2 with a message and no traceback."""
    values = {"library": str(LIBRARY), "reference": str(REFERENCE), "missing": str(tmp_path / "nope"), "checks": checks}
    status, out, err = run(*(a.format(**values) for a in args))
    assert status == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


DIFF = """\
--- a/app/services/books.py
+++ b/app/services/books.py
@@ -1 +1,2 @@
 import os
+from app.routes import books
"""


def test_a_diff_applied_to_the_project(tmp_path: Path, checks: str) -> None:
    """--diff FILE verifies PROJECT with the diff applied; the checks see PROJECT as the baseline."""
    project = write_project(tmp_path / "p", {"app/__init__.py": "", "app/services/books.py": "import os\n"})
    patch = tmp_path / "change.diff"
    patch.write_text(DIFF, encoding="utf-8")
    status, out, err = run(str(LIBRARY), str(project), "--diff", str(patch), "--checks", f"{checks}:STRICT")
    assert (status, err) == (1, "")
    assert "app/services/books.py:2: from app.routes import books" in out
    assert "baseline: True" in out
    status, _, _ = run(str(LIBRARY), str(project), "--checks", f"{checks}:STRICT")
    assert status == 0


@pytest.mark.parametrize(
    ("diff", "message"),
    [
        (None, "no such file"),
        (b"caf\xe9", "not UTF-8 text"),
        (
            "--- a/app/x.py\n+++ b/app/x.py\n@@ -1 +1 @@\n-a\n+b\n",
            "change.diff:1: 'app/x.py' is not a file of the baseline",
        ),
        (
            "--- a/app/services/books.py\n+++ b/app/services/books.py\n@@ -1 +1 @@\n-import sys\n+x\n",
            "change.diff:4: the hunk does not apply",
        ),
    ],
)
def test_bad_diffs_exit_2_naming_the_file_and_line(tmp_path: Path, diff: str | bytes | None, message: str) -> None:
    """A missing, undecodable, malformed or non-applying diff is bad input: exit 2, file:line: message."""
    project = write_project(tmp_path / "p", {"app/services/books.py": "import os\n"})
    patch = tmp_path / "change.diff"
    if isinstance(diff, bytes):
        patch.write_bytes(diff)
    elif diff is not None:
        patch.write_text(diff, encoding="utf-8")
    status, out, err = run(str(LIBRARY), str(project), "--diff", str(patch))
    assert (status, out) == (2, "")
    assert message in err


def test_diff_and_baseline_exclude_each_other(tmp_path: Path) -> None:
    """With --diff, PROJECT is the baseline: --baseline as well is a usage error."""
    status, _, err = run(str(LIBRARY), str(REFERENCE), "--diff", "x.diff", "--baseline", str(tmp_path))
    assert status == 2
    assert "--diff and --baseline exclude each other" in err


def test_strict_fails_on_unchecked(tmp_path: Path) -> None:
    """`verify --strict` exits 1 when a constraint is unchecked, and says why; without it the report exits 0."""
    corpus = Path(__file__).parent / "verify_corpus" / "multi"
    (tmp_path / "openapi.yaml").write_text((corpus / "openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "task.yaml").write_text(
        textwrap.dedent(
            """\
            id: notes
            title: Notes
            goal: Serve notes.
            target: {language: typescript, framework: hono}
            contract: openapi.yaml
            layers:
              - name: stack
                constraints:
                  - {id: s.routes, kind: routes-cover-contract}
                  - {id: s.migrations, kind: migrations-preserved, params: {directory: prisma/migrations}}
            """
        ),
        encoding="utf-8",
    )
    args = ["verify", str(tmp_path / "task.yaml"), str(corpus / "hono")]
    out, err = io.StringIO(), io.StringIO()
    assert main(args, out=out, err=err) == 0
    assert "1 passed, 0 failed, 1 unchecked" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main([*args, "--strict"], out=out, err=err) == 1
    assert err.getvalue() == "--strict: 1 constraint(s) could not be checked\n"
