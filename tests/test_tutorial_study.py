"""The tutorial's study section, run as written: two models' attempts -> Table 1, Table 2a, the figure.

The console block of docs/tutorial.md marked ``tutorial-study-commands`` is
run line by line in a scratch folder (with ``examples`` linked in), the
``cdspec`` lines through :func:`cdspec.cli.main`, the others as processes.
Its servers are real (the library's reference backend and a broken copy),
started once per attempt; the whole module shares one run.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from cdspec.cli import main
from cdspec.evaluate import load_results

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
MARK = "<!-- tutorial-study-commands"


def commands() -> list[list[str]]:
    """The command lines of the marked console block, without the ``$ `` prompt."""
    text = TUTORIAL.read_text(encoding="utf-8")
    block = text[text.index(MARK) :].split("```console\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line[2:]) for line in block.splitlines() if line.startswith("$ ")]


def text_blocks_after(heading: str) -> list[str]:
    """The ``text`` blocks of the tutorial that follow ``heading`` (the printed tables it shows)."""
    text = TUTORIAL.read_text(encoding="utf-8")
    return re.findall(r"```text\n(.*?)```", text[text.index(heading) :], re.DOTALL)


def run(argv: list[str]) -> tuple[int, str, str]:
    if argv[0].endswith("/cdspec"):
        out, err = io.StringIO(), io.StringIO()
        return main(argv[1:], out=out, err=err), out.getvalue(), err.getvalue()
    assert argv[0].endswith("/python"), argv
    done = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[list[str], int, str, str]]]:
    """Every command of the block, in order, in a scratch folder; each with its status and output."""
    folder = tmp_path_factory.mktemp("tutorial-study")
    (folder / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    (folder / "study").mkdir()
    outputs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for argv in commands():
            status, out, err = run(argv)
            outputs.append((argv, status, out, err))
    return folder, outputs


def output_of(ran: tuple[Path, list[tuple[list[str], int, str, str]]], *argv: str) -> str:
    for command, _, out, _ in ran[1]:
        if command[1:] == list(argv):
            return out
    raise AssertionError(f"no command {argv}")


def test_the_block_is_the_one_step_per_command_workflow() -> None:
    """The block makes the variants, the attempts, evaluates two models and draws the tables."""
    lines = commands()
    assert [argv[1] for argv in lines if argv[0].endswith("/cdspec")] == [
        "variants", "evaluate", "evaluate", "report", "report", "report", "report",
    ]  # fmt: skip


def test_every_command_runs(ran: tuple[Path, list[tuple[list[str], int, str, str]]]) -> None:
    """Each command works as written: exit 0, except evaluate, whose broken attempts fail (exit 1)."""
    for argv, status, _, err in ran[1]:
        expected = 1 if argv[1:2] == ["evaluate"] else 0
        assert status == expected, (argv, err)


def test_one_results_file_holds_every_attempt_of_both_models(
    ran: tuple[Path, list[tuple[list[str], int, str, str]]],
) -> None:
    """8 variants x 2 models, each scored once with behaviour and labelled; resuming scores nothing again."""
    folder = ran[0]
    results = load_results(folder / "study" / "results.jsonl")
    assert len(results) == 16
    assert {(r.labels["model"], r.variant_id) for r in results} == {
        (model, json.loads(line)["id"])
        for model in ("alpha", "beta")
        for line in (folder / "study" / "variants.jsonl").read_text(encoding="utf-8").splitlines()
    }
    assert all(r.error is None and r.raw_a_rate is not None for r in results)
    alpha = [r for r in results if r.labels["model"] == "alpha"]
    assert all(r.raw_a_rate == 1.0 for r in alpha)  # the reference behaves...
    assert {r.a_rate for r in alpha if "postgres" in r.layers} == {0.0}  # ...but runs on SQLite
    assert {r.target.framework for r in results} == {"flask", "koa"}
    again = next(argv for argv in commands() if argv[1:2] == ["evaluate"])
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        status, out, err = run(again)
    assert (status, out) == (0, "")
    assert err == "0 attempts to score of 8 variants, 8 already in study/results.jsonl (skipped)\n"
    assert len(load_results(folder / "study" / "results.jsonl")) == 16


def test_table_1_and_table_2a_are_those_the_tutorial_shows(
    ran: tuple[Path, list[tuple[list[str], int, str, str]]],
) -> None:
    """The printed tables hold every line the tutorial quotes (a '...' stands for lines left out)."""
    table1 = output_of(ran, "report", "study/results.jsonl", "--by", "depth,model")
    table2a = output_of(ran, "report", "study/results.jsonl", "--effects", "--by", "model")
    shown = text_blocks_after("## The study's tables")
    assert len(shown) >= 2
    for quoted, printed in ((shown[0], table1), (shown[1], table2a)):
        for line in quoted.splitlines():
            if line != "...":
                assert line in printed.splitlines()
    assert "| beta | architecture | 4 |" in table2a


def test_the_delta_and_the_figure(ran: tuple[Path, list[tuple[list[str], int, str, str]]]) -> None:
    """The L2-L0 delta comes as a LaTeX tabular; the per-framework figure is an SVG with error bands."""
    latex = output_of(ran, "report", "study/results.jsonl", "--delta", "0:2", "--by", "model", "--format", "latex")
    assert latex.splitlines()[1:3] == ["\\begin{tabular}{lrrr}", "\\toprule"]
    assert "alpha & 100.0 $\\pm$ 0.0 &" in latex
    svg = (ran[0] / "study" / "frameworks.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert "flask" in svg
    assert "koa" in svg
