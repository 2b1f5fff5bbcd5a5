"""`cdspec evaluate` and `cdspec demo`: exit 0 when every attempt passes, 1 when one does not, 2 on bad input."""

from __future__ import annotations

import importlib
import io
import json
import shutil
from pathlib import Path

import pytest

import cdspec
from cdspec._schemas import schema, schema_problems
from cdspec.cli import main
from cdspec.evaluate import load_results, patched_copy

ROOT = Path(__file__).resolve().parent.parent
TASK = ROOT / "examples" / "library" / "task.yaml"
REFERENCE = ROOT / "examples" / "library" / "reference"
BROKEN = ROOT / "examples" / "library" / "broken" / "create-200-services-import-routes.patch"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return patched_copy(REFERENCE, BROKEN.read_text(encoding="utf-8"), tmp_path_factory.mktemp("cli") / "broken")


def test_evaluate_without_a_backend_scores_the_constraints(broken: Path) -> None:
    """No --start or --base-url: one line per project, exit 1 because the broken copy fails a constraint."""
    status, out, err = _cli("evaluate", str(TASK), str(REFERENCE), str(broken), "--depth", "2", "--variant-id", "v7")
    assert (status, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == f"library d2 v7#1 {REFERENCE}: no backend run, 4/4 constraints kept: PASSED"
    assert lines[1] == f"library d2 v7#2 {broken}: no backend run, 3/4 constraints kept, 1 failed: FAILED"
    assert lines[2] == "  failed: architecture.import-layering"
    assert _cli("evaluate", str(TASK), str(REFERENCE), "--depth", "0")[0] == 0


def test_evaluate_starts_the_servers_and_appends_results(broken: Path, tmp_path: Path) -> None:
    """--start with a few generated cases; --out appends one line per project keyed by variant and attempt."""
    results = tmp_path / "results.jsonl"
    argv = ["evaluate", str(TASK), str(REFERENCE), str(broken), "--start", "--n", "6", "--seed", "2"]
    status, out, err = _cli(*argv, "--variant-id", "v1", "--attempt", "3", "--out", str(results), "--json")
    assert (status, err) == (1, "")
    printed = [json.loads(line) for line in out.splitlines()]
    assert [(r["variant_id"], r["attempt"], r["passed"]) for r in printed] == [("v1", 3, True), ("v1", 4, False)]
    assert all(schema_problems(schema("result"), r) == [] for r in printed)
    assert printed[0]["a_rate"] == 1.0
    assert printed[1]["a_rate"] == 0.0
    assert [e.to_data() for e in load_results(results)] == printed
    _cli(*argv, "--variant-id", "v2", "--out", str(results))
    assert [(e.variant_id, e.attempt) for e in load_results(results)] == [("v1", 3), ("v1", 4), ("v2", 1), ("v2", 2)]


def test_evaluate_reads_cases_from_a_file(tmp_path: Path) -> None:
    """--cases FILE runs exactly those cases against the started server."""
    cases = tmp_path / "cases.jsonl"
    assert _cli("cases", str(TASK), "--n", "3", "--out", str(cases))[0] == 0
    status, out, _ = _cli("evaluate", str(TASK), str(REFERENCE), "--start", "--cases", str(cases), "--json")
    assert status == 0
    total = json.loads(out)["assertions"]["total"]
    assert total == sum(case.assertions for case in cdspec.load.load_cases(cases))


def test_evaluate_a_server_that_does_not_answer_reports_the_error(tmp_path: Path) -> None:
    """The error is printed under the attempt's line and the attempt does not pass (exit 1)."""
    for name in ("openapi.yaml", "layers"):
        source = ROOT / "examples" / "library" / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    task = tmp_path / "task.yaml"
    text = TASK.read_text(encoding="utf-8").replace(
        'command: ["{python}", -m, app]', 'command: ["{python}", -c, "print(42)"]'
    )
    task.write_text(text, encoding="utf-8")
    status, out, err = _cli("evaluate", str(task), str(REFERENCE), "--start", "--n", "1")
    assert status == 1, err
    assert ": not evaluated, 12/12 constraints kept: ERROR" in out
    assert "  the server exited with status 0 before answering GET /books; its log:\n  42\n" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--depth", "9"], "depth must be an integer from 0 to 7, got 9"),
        ([str(REFERENCE), "--base-url", "http://127.0.0.1:9"], "--base-url serves one project"),
        (["--cases", "x.jsonl", "--n", "3"], "--cases and --n exclude each other"),
        (["--workers", "0"], "--workers and --attempt must be at least 1"),
    ],
)
def test_evaluate_bad_input_exits_2(argv: list[str], message: str) -> None:
    status, out, err = _cli("evaluate", str(TASK), str(REFERENCE), *argv)
    assert status == 2
    assert message in err
    assert out == ""


def test_evaluate_a_missing_project_exits_2(tmp_path: Path) -> None:
    status, _, err = _cli("evaluate", str(TASK), str(tmp_path / "nowhere"))
    assert status == 2
    assert "nowhere" in err


def test_demo_renders_generates_starts_evaluates_and_reports(tmp_path: Path) -> None:
    """The README's first command: prompts at every depth, cases, three backends, results and the decay table."""
    out_dir = tmp_path / "demo"
    status, out, err = _cli("demo", "--out", str(out_dir), "--n", "12", "--workers", "2")
    assert (status, err) == (0, "")
    assert sorted(p.name for p in (out_dir / "prompts").iterdir()) == [f"depth-{k}.md" for k in range(8)]
    assert "MUST" in (out_dir / "prompts" / "depth-7.md").read_text(encoding="utf-8")
    assert len((out_dir / "cases.jsonl").read_text(encoding="utf-8").splitlines()) == 12
    assert sorted(p.name for p in (out_dir / "projects").iterdir()) == [
        "create-200-services-import-routes",
        "raw-sql-availability-ignores-loans",
    ]
    results = load_results(out_dir / "results.jsonl")
    assert len(results) == 3 * 8
    by_key = {(e.depth, e.attempt): e for e in results}
    assert all(by_key[(depth, 1)].passed for depth in range(8))  # the reference
    assert by_key[(0, 2)].a_rate == by_key[(0, 2)].raw_a_rate  # nothing in force yet
    assert by_key[(1, 2)].a_rate == 0.0  # architecture.import-layering
    assert by_key[(2, 3)].failed_constraints == ()
    assert by_key[(3, 3)].failed_constraints == ("orm.no-raw-sql",)
    assert len({e.variant_id for e in results}) == 8  # one variant per depth, three attempts each
    assert "Decay by depth (24 results in" in out
    assert "| depth |" in out
    # Run again into the same folder: refused, nothing touched; with --force the demo's files are written afresh.
    (out_dir / "projects" / "mine").mkdir()
    before = (out_dir / "results.jsonl").read_bytes()
    status, out, err = _cli("demo", "--out", str(out_dir), "--n", "2", "--workers", "1")
    assert (status, out) == (1, "")
    assert "exists; give --force (force=True) to replace it" in err
    assert (out_dir / "results.jsonl").read_bytes() == before
    assert _cli("demo", "--out", str(out_dir), "--n", "2", "--workers", "1", "--force")[0] == 0
    assert len(load_results(out_dir / "results.jsonl")) == 24
    assert (out_dir / "results.jsonl").read_bytes() != before  # 2 cases, not 12
    assert (out_dir / "projects" / "mine").is_dir()  # not the demo's: left alone
    assert not list(out_dir.rglob(".*.tmp*"))  # no temporary file or folder left


def test_demo_without_the_examples_says_to_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed from a wheel there are no examples: a clear error, exit 1."""
    module = importlib.import_module("cdspec.evaluate")  # cdspec.evaluate is the function
    monkeypatch.setattr(module, "__file__", str(tmp_path / "site-packages" / "cdspec" / "evaluate.py"))
    status, out, err = _cli("demo", "--out", str(tmp_path / "demo"))
    assert out == ""
    assert status == 1
    assert "the bundled examples are not next to this cdspec" in err
    assert "pip install -e '.[reference]'" in err
    assert not (tmp_path / "demo").exists()
