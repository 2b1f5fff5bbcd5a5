"""`cdspec report`: the decay table of a results file, in three formats, with an optional plot."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

import cdspec
from cdspec import plans
from cdspec._schemas import schema, schema_problems
from cdspec.cli import main

from .test_report import result, vid

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["report", *args], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results file: depths 0 to 2 for flask and koa, two attempts each, plus one that could not run."""
    records = [
        result(
            depth, variant=vid(10 * depth + i), attempt=attempt, framework=framework, assertions=(10 - depth * i, 10)
        )
        for depth in range(3)
        for i, framework in enumerate(["flask", "koa"])
        for attempt in (1, 2)
    ]
    records.append(result(2, variant=vid(99), error="the server did not answer within 30 s"))
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_markdown_by_depth_is_the_default(results: Path) -> None:
    """Without options: a Markdown table by depth, with pass@2 since every variant ran twice."""
    status, out, err = run(str(results))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "**Decay report**: 13 attempts of 7 variants by depth, 1 could not be evaluated."
    assert lines[2] == "| depth | attempts | variants | errors | A% | Raw A% | pass@1 | pass@2 | adherence |"
    assert lines[4:7] == [
        "| 0 | 4 | 2 | 0 | 100.0 ± 0.0 | 100.0 ± 0.0 | 100.0 ± 0.0 | 100.0 ± 0.0 | - |",
        "| 1 | 4 | 2 | 0 | 95.0 ± 2.9 | 95.0 ± 2.9 | 50.0 ± 50.0 | 50.0 ± 50.0 | - |",
        "| 2 | 5 | 3 | 1 | 90.0 ± 5.8 | 90.0 ± 5.8 | 50.0 ± 50.0 | 50.0 ± 50.0 | - |",
    ]


def test_csv_by_depth_and_framework_parses_back(results: Path) -> None:
    """--by depth,framework --format csv: one CSV row per pair, counts and rates as written."""
    status, out, _ = run(str(results), "--by", "depth,framework", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["depth"], r["framework"], r["attempts"], r["a_rate"], r["pass@2"]) for r in rows] == [
        ("0", "flask", "2", "1.0", "1.0"),
        ("0", "koa", "2", "1.0", "1.0"),
        ("1", "flask", "2", "1.0", "1.0"),
        ("1", "koa", "2", "0.9", "0.0"),
        ("2", "flask", "3", "1.0", "1.0"),
        ("2", "koa", "2", "0.8", "0.0"),
    ]


def test_json_is_valid_and_k_can_be_chosen(results: Path) -> None:
    """--format json is valid against schemas/decay.schema.json; --k picks the pass@k sizes."""
    status, out, _ = run(str(results), "--by", "layers", "--format", "json", "--k", "1,2,3")
    assert status == 0
    data = json.loads(out)
    assert schema_problems(schema("decay"), data) == []
    assert data["k"] == [1, 2, 3]
    assert [row["key"]["layers"] for row in data["rows"]] == [[], ["architecture"], ["architecture", "sqlite"]]
    assert data["rows"][0]["pass_at"] == {"1": 1.0, "2": 1.0, "3": None}
    assert [e["error"] for e in data["error_attempts"]] == ["the server did not answer within 30 s"]


def test_manifest_join_groups_by_contract_style(tmp_path: Path) -> None:
    """--manifest joins by variant id, so the table can be grouped by what only the manifest knows."""
    task = cdspec.load_task(ROOT / "examples" / "library" / "task.yaml")
    made = cdspec.variants(task, plans.product(plans.depths(max=1), plans.contracts(["verbatim", "summary"])))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(cdspec.dump_manifest(made, format="csv"), encoding="utf-8")
    records = [
        result(v.provenance.depth, variant=v.id, assertions=(10 if v.provenance.contract == "verbatim" else 7, 10))
        for v in made
    ]
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    status, out, err = run(str(path), "--manifest", str(manifest), "--by", "contract,depth", "--format", "csv")
    assert (status, err) == (0, "")
    rows = [(r["contract"], r["depth"], r["a_rate"]) for r in csv.DictReader(io.StringIO(out))]
    assert rows == [
        ("summary", "0", "0.7"),
        ("summary", "1", "0.7"),
        ("verbatim", "0", "1.0"),
        ("verbatim", "1", "1.0"),
    ]
    status, _, err = run(str(path), "--by", "contract")
    assert status == 2
    assert "grouping by contract needs a variants manifest (--manifest)" in err


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_is_written_next_to_the_table(results: Path, tmp_path: Path, suffix: str) -> None:
    """--plot FILE writes a PNG or SVG and says so on stderr; the table still goes to stdout."""
    plot = tmp_path / f"decay.{suffix}"
    status, out, err = run(str(results), "--plot", str(plot), "--format", "json")
    assert status == 0
    assert json.loads(out)["by"] == ["depth"]
    assert err == f"plot written to {plot}\n"
    written = plot.read_bytes()
    if suffix == "png":
        assert written.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert b"<svg" in written[:500]


def test_plot_without_the_extra_fails_before_printing(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without matplotlib, --plot exits 1 with the install hint and prints no table."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, err = run(str(results), "--plot", "decay.png")
    assert (status, out) == (1, "")
    assert "pip install 'cdspec[plot]'" in err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--by", "dept"], "cannot group by 'dept': it is no built-in key (task, variant, depth, layers"),
        (["--by", "a b"], "cannot group by 'a b' (known: task, variant, depth"),
        (["--by", ","], "--by takes grouping keys or label names"),
        (["--delta", "0-2"], "--delta takes FROM:TO depths such as 0:3"),
        (["--delta", "0:7"], "delta needs attempts at depths 0 and 7; the results have [0, 1, 2]"),
        (["--ranking", "modle"], "cannot group by 'modle'"),
        (["--k", "0"], "--k takes sizes from 1"),
        (["--k", "two"], "--k takes sizes such as 1,5,10"),
        (["--plot", "decay.gif"], "--plot writes a .png or .svg file"),
    ],
)
def test_usage_errors_exit_2(results: Path, option: list[str], message: str) -> None:
    """A bad option is a usage error: exit 2, the message on stderr, nothing on stdout."""
    status, out, err = run(str(results), *option)
    assert (status, out) == (2, "")
    assert err.startswith(f"cdspec: error: {message}")


def test_bad_results_exit_1_with_file_and_line(tmp_path: Path) -> None:
    """A results file that is not valid is reported line by line (exit 1), and a missing one by name."""
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(result(1)) + "\n" + json.dumps(result(1) | {"depth": -1}) + "\n", encoding="utf-8")
    status, out, err = run(str(path))
    assert (status, out) == (1, "")
    assert "results.jsonl:2: /depth" in err
    status, _, err = run(str(tmp_path / "missing.jsonl"))
    assert status == 1
    assert "missing.jsonl: no such file" in err


def test_help_describes_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    """`cdspec report --help` names the options and the formats."""
    with pytest.raises(SystemExit) as exited:
        main(["report", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in ("--manifest", "--by", "--format {markdown,csv,json,latex}", "--k", "--plot", "--effects"):
        assert option in text
