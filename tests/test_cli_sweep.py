"""`cdspec evaluate --plan --attempts`: every attempt of every variant, labels, resuming; inline plans; chatter."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

import cdspec
from cdspec.cli import main
from cdspec.evaluate import load_results, sweep

ROOT = Path(__file__).resolve().parent.parent
TASK = ROOT / "examples" / "library" / "task.yaml"
REFERENCE = ROOT / "examples" / "library" / "reference"
PLAN = "{depths: {max: 2}}"


def _cli(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err or io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def made() -> cdspec.Variants:
    return cdspec.variants(cdspec.load_task(TASK), {"depths": {"max": 2}})


def _attempts(folder: Path, made: cdspec.Variants, count: int = 2) -> Path:
    """ATTEMPTS/<variant-id>/<n>/ with copies of the reference (its models and routes are all that is read)."""
    for variant in made:
        for number in range(1, count + 1):
            shutil.copytree(REFERENCE, folder / variant.id / str(number), ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_variants_takes_an_inline_plan(tmp_path: Path) -> None:
    """`cdspec variants TASK --plan '{depths: {}}'` (the tutorial's line) works; a bad inline plan is an error."""
    status, out, err = _cli("variants", str(TASK), "--plan", "{depths: {}}")
    assert (status, err) == (0, "")
    assert [json.loads(line)["provenance"]["depth"] for line in out.splitlines()] == list(range(8))
    status, out, err = _cli("variants", str(TASK), "--plan", '{"depths": {"max": 1}}', "--out", str(tmp_path / "v"))
    assert status == 0
    assert "2 variants" in out
    status, _, err = _cli("variants", str(TASK), "--plan", "{depthz: {}}")
    assert status == 1
    assert "depthz" in err
    status, _, err = _cli("variants", str(TASK), "--plan", "nosuchplan")
    assert status == 1
    assert "has no plan 'nosuchplan' (its plans: none)" in err


def test_a_plan_is_swept_labelled_and_resumed(tmp_path: Path, made: cdspec.Variants) -> None:
    """Every attempt of every variant is scored once, labelled; a second run skips what the file holds."""
    attempts = _attempts(tmp_path / "attempts", made)
    results = tmp_path / "results.jsonl"
    argv = ["evaluate", str(TASK), "--plan", PLAN, "--attempts", str(attempts), "--out", str(results)]
    status, out, err = _cli(*argv, "--label", "model=m1", "--label", "run=1")
    assert (status, err) == (0, "6 attempts to score of 3 variants\n")
    assert len(out.splitlines()) == 6
    loaded = load_results(results)
    assert [(e.variant_id, e.attempt, e.depth) for e in loaded] == [
        (variant.id, number, variant.provenance.depth) for variant in made for number in (1, 2)
    ]
    assert {tuple(e.labels.items()) for e in loaded} == {(("model", "m1"), ("run", "1"))}
    assert all(e.passed and e.a_rate is None for e in loaded)  # no --start: constraints only
    # Interrupted: the last two lines are lost. The next run scores just those.
    lines = results.read_text(encoding="utf-8").splitlines(keepends=True)
    results.write_text("".join(lines[:4]), encoding="utf-8")
    status, out, err = _cli(*argv, "--label", "model=m1", "--label", "run=1", "--json")
    assert (status, err) == (0, "")
    assert [json.loads(line)["variant_id"] for line in out.splitlines()] == [made[2].id] * 2

    def timeless(evaluations: tuple[cdspec.Evaluation, ...]) -> list[dict[str, object]]:
        return [{**e.to_data(), "seconds": 0} for e in evaluations]

    assert timeless(load_results(results)) == timeless(loaded)
    # Another model's attempts go to the same file.
    status, _, err = _cli(*argv, "--label", "model=m2", "--quiet")
    assert (status, err) == (0, "")
    assert len(load_results(results)) == 12
    table = cdspec.decay_report(results, by="depth,model")
    assert [(row.key["depth"], row.key["model"], row.attempts) for row in table.rows][:2] == [
        (0, "m1", 2),
        (0, "m2", 2),
    ]


def test_a_folder_that_is_no_variant_or_a_changed_attempt_is_an_error(tmp_path: Path, made: cdspec.Variants) -> None:
    """A misnamed folder would drop its attempts silently: it is an error; so is a results file that disagrees."""
    attempts = _attempts(tmp_path / "attempts", made, count=1)
    (attempts / "not-a-variant").mkdir()
    argv = ["evaluate", str(TASK), "--plan", PLAN, "--attempts", str(attempts)]
    status, out, err = _cli(*argv)
    assert (status, out) == (2, "")
    assert "not-a-variant is no variant id of the plan (3 variants" in err
    (attempts / "not-a-variant").rmdir()
    results = tmp_path / "results.jsonl"
    assert _cli(*argv, "--out", str(results))[0] == 0
    moved = attempts / made[0].id / "1"
    moved.rename(attempts / made[0].id / "0")
    status, _, err = _cli(*argv, "--out", str(results))
    assert status == 2
    assert f"attempt 1 of variant {made[0].id} is " in err
    assert "use a new results file" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--plan", PLAN], "--plan and --attempts go together"),
        ([str(REFERENCE), "--plan", PLAN, "--attempts", "."], "with --plan, the projects are those of --attempts"),
        (["--plan", PLAN, "--attempts", ".", "--depth", "1"], "--depth does not go with --plan"),
        (["--label", "model"], "--label takes NAME=VALUE"),
        ([str(REFERENCE), "--label", "a=1", "--label", "a=2"], "--label a is given twice"),
        ([], "give PROJECT directories, or --plan PLAN --attempts DIR"),
    ],
)
def test_usage_errors(extra: list[str], message: str) -> None:
    """Options that do not go together are usage errors (exit 2)."""
    status, out, err = _cli("evaluate", str(TASK), *extra)
    assert (status, out) == (2, "")
    assert message in err


def test_sweep_in_python_lists_what_it_will_do(tmp_path: Path, made: cdspec.Variants) -> None:
    """sweep() gives the jobs (variant task, attempt, labels), the variants without attempts, and runs them."""
    attempts = tmp_path / "attempts"
    shutil.copytree(REFERENCE, attempts / made[1].id / "b", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REFERENCE, attempts / made[1].id / "a", ignore=shutil.ignore_patterns("__pycache__"))
    found = sweep(cdspec.load_task(TASK), {"depths": {"max": 2}}, attempts, labels={"agent": "x"})
    assert (found.variants, found.done, found.empty) == (3, 0, (made[0].id, made[2].id))
    assert [(Path(job.project).name, job.attempt, job.task.depth, dict(job.labels)) for job in found.jobs] == [
        ("a", 1, 1, {"agent": "x"}),
        ("b", 2, 1, {"agent": "x"}),
    ]
    assert [e.variant_id for e in found.run(workers=1)] == [made[1].id] * 2


def test_verbose_logs_servers_and_progress_shows_only_on_a_terminal(tmp_path: Path) -> None:
    """--verbose logs each server started and stopped; a progress bar goes to a terminal only, never with --quiet."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    argv = ["evaluate", str(TASK), str(REFERENCE), "--start", "--n", "1", "--depth", "0"]
    status, _, err = _cli(*argv, "--verbose")
    assert status == 0
    assert "cdspec: server started: pid " in err
    assert "cdspec: server stopping: pid " in err
    terminal = Terminal()
    status, out, _ = _cli(*argv, err=terminal)
    assert status == 0
    assert "evaluate" in terminal.getvalue()
    assert "/1 [" in terminal.getvalue()  # "0/1 [": tqdm's bar (its later refreshes depend on time)
    quiet = Terminal()
    status, out, _ = _cli(*argv, "--quiet", err=quiet)
    assert (status, out, quiet.getvalue()) == (0, "", "")
    status, _, err = _cli(*argv)  # not a terminal: no bar, no log
    assert (status, err) == (0, "")


def test_cases_show_progress_on_a_terminal_only() -> None:
    """`cdspec cases` counts the cases on a terminal (tqdm); the JSONL on stdout is the same either way."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    status, shown, _ = _cli("cases", str(TASK), "--n", "3", err=terminal)
    assert status == 0
    assert terminal.getvalue().startswith("\rcases: ")  # tqdm's bar (its later refreshes depend on time)
    status, plain, err = _cli("cases", str(TASK), "--n", "3")
    assert (status, err, plain) == (0, "", shown)
    quiet = Terminal()
    assert _cli("cases", str(TASK), "--n", "3", "--quiet", err=quiet)[0] == 0
    assert quiet.getvalue() == ""
