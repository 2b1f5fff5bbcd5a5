"""Outputs never cost a user's data: inputs are never written over, existing files only with --force, atomically."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdspec import CdspecError
from cdspec._write import check_output, replacing, write_text
from cdspec.cli import main
from cdspec.evaluate import ConstraintOutcome, Evaluation, append_results
from cdspec.model import Target
from cdspec.verify import Status

ROOT = Path(__file__).resolve().parent.parent
TASK = ROOT / "examples" / "library" / "task.yaml"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def _leftovers(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if ".tmp" in path.name]


@pytest.fixture
def task(tmp_path: Path) -> Path:
    """A copy of the library task (with what it references), so a test that went wrong could not harm the example."""
    import shutil

    for name in ("task.yaml", "openapi.yaml", "layers"):
        source = TASK.parent / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    with (tmp_path / "task.yaml").open("a", encoding="utf-8") as file:
        file.write("plans:\n  sweep:\n    depths: {}\n")
    return tmp_path / "task.yaml"


# --------------------------------------------------------------------------- the helper


@given(st.text())
def test_write_text_writes_the_text_byte_for_byte_and_leaves_nothing_else(text: str) -> None:
    """Any text comes back as its UTF-8 bytes (no newline translation); no temporary file stays behind."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "out.txt")
        try:
            encoded = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates cannot be written as UTF-8: an error naming the file
            with pytest.raises(CdspecError, match="cannot write"):
                write_text(path, text)
            assert _leftovers(Path(folder)) == []
            return
        write_text(path, text)
        assert path.read_bytes() == encoded
        assert sorted(p.name for p in Path(folder).iterdir()) == ["out.txt"]


def test_a_failed_write_leaves_the_old_content(tmp_path: Path) -> None:
    """An error while the new content is written (a crash, Ctrl-C) keeps the old file and removes the temporary."""
    path = tmp_path / "cases.jsonl"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), replacing(path, force=True) as temporary:  # noqa: PT012
        temporary.write_text("half of the new", encoding="utf-8")
        raise KeyboardInterrupt
    assert path.read_text(encoding="utf-8") == "old\n"
    assert _leftovers(tmp_path) == []


def test_inputs_are_refused_however_they_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same file through a relative path or a symbolic link is still the input, also with force."""
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "task.yaml"
    source.write_text("id: x\n", encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(source)
    for spelling in ("task.yaml", "./task.yaml", "link.yaml", str(source)):
        with pytest.raises(CdspecError, match="is an input of this command"):
            check_output(spelling, force=True, inputs=[source])
    with pytest.raises(CdspecError, match="exists; give --force to replace it"):
        check_output("task.yaml")
    assert check_output("new.jsonl", inputs=[source]) == Path("new.jsonl")


# --------------------------------------------------------------------------- the commands


def test_cases_never_writes_over_its_task(task: Path) -> None:
    """`cdspec cases task.yaml --out task.yaml` is refused, with or without --force; the task is intact."""
    before = task.read_bytes()
    for extra in ((), ("--force",)):
        status, out, err = _cli("cases", str(task), "--n", "1", "--out", str(task), *extra)
        assert (status, out) == (1, "")
        assert f"{task}: is an input of this command" in err
    assert task.read_bytes() == before


def test_cases_replaces_an_existing_output_only_with_force(task: Path, tmp_path: Path) -> None:
    target = tmp_path / "cases.jsonl"
    target.write_text("precious\n", encoding="utf-8")
    status, _, err = _cli("cases", str(task), "--n", "1", "--out", str(target))
    assert status == 1
    assert "exists; give --force to replace it" in err
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert _cli("cases", str(task), "--n", "1", "--out", str(target), "--force")[0] == 0
    assert json.loads(target.read_text(encoding="utf-8").splitlines()[0])["id"]
    assert _leftovers(tmp_path) == []


def test_variants_checks_both_outputs_before_writing_either(task: Path, tmp_path: Path) -> None:
    """An existing --manifest stops the command before --out is written; --force writes both."""
    out_file, manifest = tmp_path / "variants.jsonl", tmp_path / "manifest.csv"
    manifest.write_text("mine\n", encoding="utf-8")
    status, _, err = _cli("variants", str(task), "--plan", "sweep", "--out", str(out_file), "--manifest", str(manifest))
    assert status == 1
    assert f"{manifest}: exists" in err
    assert not out_file.exists()
    assert manifest.read_text(encoding="utf-8") == "mine\n"
    argv = ["variants", str(task), "--plan", "sweep", "--out", str(out_file), "--manifest", str(manifest), "--force"]
    assert _cli(*argv)[0] == 0
    assert manifest.read_text(encoding="utf-8").startswith("id,")
    status, _, err = _cli("variants", str(task), "--plan", "sweep", "--out", str(task), "--force")
    assert status == 1
    assert "is an input of this command" in err


def _result() -> Evaluation:
    return Evaluation(
        task_id="library",
        depth=1,
        layers=["architecture"],
        target=Target("python", "flask"),
        project="p",
        constraints=[ConstraintOutcome("a.b", "architecture", "import-layering", Status.PASSED)],
        assertions_passed=3,
        assertions_total=4,
    )


def test_report_plot_replaces_an_existing_picture_only_with_force(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    results = tmp_path / "results.jsonl"
    append_results(results, [_result()])
    plot = tmp_path / "decay.svg"
    plot.write_text("<svg>mine</svg>", encoding="utf-8")
    status, _, err = _cli("report", str(results), "--plot", str(plot))
    assert status == 1
    assert f"{plot}: exists; give --force" in err
    assert plot.read_text(encoding="utf-8") == "<svg>mine</svg>"
    assert _cli("report", str(results), "--plot", str(plot), "--force")[0] == 0
    assert "mine" not in plot.read_text(encoding="utf-8")
    assert _leftovers(tmp_path) == []


def test_evaluate_appends_to_results_but_never_to_an_input(task: Path, tmp_path: Path) -> None:
    """Results files are append-only: an existing one grows; the task given as --out is refused (exit 2)."""
    before = task.read_bytes()
    status, _, err = _cli("evaluate", str(task), str(ROOT / "examples" / "library" / "reference"), "--out", str(task))
    assert status == 2
    assert "is an input of this command" in err
    assert task.read_bytes() == before
    results = tmp_path / "results.jsonl"
    append_results(results, [_result()])
    reference = str(ROOT / "examples" / "library" / "reference")
    assert _cli("evaluate", str(task), reference, "--depth", "0", "--out", str(results))[0] == 0
    assert len(results.read_text(encoding="utf-8").splitlines()) == 2


def test_cases_leaves_no_hypothesis_folder_in_the_working_folder(tmp_path: Path) -> None:
    """A fresh `cdspec cases` (Hypothesis caches a Unicode table on first use) writes nothing where it runs."""
    env = {key: value for key, value in os.environ.items() if key != "HYPOTHESIS_STORAGE_DIRECTORY"}
    command = [sys.executable, "-m", "cdspec", "cases", str(TASK), "--n", "2", "--out", "cases.jsonl"]
    subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cases.jsonl"]
