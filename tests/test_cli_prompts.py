"""The prompt commands: `cdspec render` and `cdspec variants`, checked against the library they call."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

import cdspec
from cdspec.cli import main
from cdspec.load import dump_variants, load_variants

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_DIR = ROOT / "examples" / "library"
LIBRARY = LIBRARY_DIR / "task.yaml"
TASK = cdspec.load_task(LIBRARY)

PLANS = """
plans:
  study:
    subsets:
      layers: [architecture, sqlite, postgres, orm]
  sweep:
    product:
      - depths: {}
      - formats: [markdown, text, messages]
"""


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def sentences(layer: cdspec.Layer) -> list[str]:
    return [cdspec.BUILTIN_KINDS.sentence(c.kind, c.params, c.text) for c in layer.constraints]


@pytest.fixture
def planned(tmp_path: Path) -> Path:
    """A copy of the library example whose task file has two plans."""
    shutil.copy(LIBRARY, tmp_path / "task.yaml")
    shutil.copy(LIBRARY_DIR / "openapi.yaml", tmp_path / "openapi.yaml")
    shutil.copytree(LIBRARY_DIR / "layers", tmp_path / "layers")
    with (tmp_path / "task.yaml").open("a", encoding="utf-8") as file:
        file.write(PLANS)
    return tmp_path / "task.yaml"


def test_render_at_each_depth_states_exactly_those_layers() -> None:
    """At depth k the prompt states every constraint of the first k layers and none of the others."""
    stack = TASK.stack
    for depth in range(len(stack) + 1):
        status, out, err = run("render", str(LIBRARY), "--depth", str(depth))
        assert (status, err) == (0, "")
        assert out == cdspec.render(TASK, depth=depth).text
        for index, layer in enumerate(stack):
            for sentence in sentences(layer):
                assert (sentence in out) == (index < depth), (depth, layer.name, sentence)


def test_render_layers_keeps_the_given_order() -> None:
    """--layers a,b states exactly those layers, in that order."""
    first, second = "tests", "architecture"
    status, out, _ = run("render", str(LIBRARY), "--layers", f"{first},{second}")
    assert status == 0
    headings = [f"## {TASK.layer(name).heading}\n" for name in (first, second)]
    assert out.index(headings[0]) < out.index(headings[1])
    assert out == cdspec.render(TASK, layers=[first, second]).text
    assert not any(s in out for s in sentences(TASK.layer("orm")))


def test_render_json_is_the_prompts_data() -> None:
    """--json prints Prompt.to_data() of the same render call."""
    status, out, _ = run("render", str(LIBRARY), "--depth", "2", "--format", "text", "--contract", "summary", "--json")
    assert status == 0
    expected = cdspec.render(TASK, depth=2, format="text", contract="summary").to_data()
    assert json.loads(out) == expected
    assert expected["layers"] == [layer.name for layer in TASK.stack[:2]]


def test_render_messages_prints_each_message_under_its_role() -> None:
    """The messages format prints '[role]' then the content of each message, in order."""
    status, out, _ = run("render", str(LIBRARY), "--depth", "1", "--format", "messages")
    assert status == 0
    prompt = cdspec.render(TASK, depth=1, format="messages")
    position = 0
    for message in prompt.messages:
        block = f"[{message['role']}]\n{message['content']}"
        assert out.index(block, position) >= position
        position = out.index(block, position) + len(block)
    assert out.startswith("[system]\n")
    assert [m["role"] for m in prompt.messages] == ["system", "user"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--depth", "99"], "depth must be an integer from 0 to"),
        (["--depth", "-1"], "depth must be an integer from 0 to"),
        (["--layers", "orm"], "requires 'database'"),
        (["--layers", "architecture,redis"], "no layer 'redis'"),
        (["--template", "fancy"], "no such template"),
    ],
)
def test_render_refuses_a_bad_request_with_exit_1(args: list[str], message: str) -> None:
    """A depth out of range, an invalid stack, an unknown layer or template: a message on stderr, exit 1."""
    status, out, err = run("render", str(LIBRARY), *args)
    assert status == 1
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_render_invalid_task_file_exits_1(tmp_path: Path) -> None:
    """An invalid task file gives its problems, one per line, and exit 1."""
    bad = tmp_path / "task.yaml"
    bad.write_text("id: Bad Id\n", encoding="utf-8")
    status, _, err = run("render", str(bad))
    assert status == 1
    assert all(line.startswith(str(bad)) for line in err.splitlines())


def test_render_depth_with_layers_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--depth and --layers together exit 2 with argparse's usage message."""
    with pytest.raises(SystemExit) as info:
        main(["render", str(LIBRARY), "--depth", "1", "--layers", "architecture"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_variants_writes_jsonl_and_manifest_files(planned: Path, tmp_path: Path) -> None:
    """--out and --manifest write files whose counts match the plan; stdout has a count line and a table."""
    expected = cdspec.variants(cdspec.load_task(planned), "study")
    out_file, manifest = tmp_path / "study.jsonl", tmp_path / "study.csv"
    args = ["--out", str(out_file), "--manifest", str(manifest)]
    status, out, err = run("variants", str(planned), "--plan", "study", *args)
    assert (status, err) == (0, "")
    assert out_file.read_text(encoding="utf-8") == dump_variants(expected)
    assert [v.id for v in load_variants(out_file)] == [v.id for v in expected]
    rows = list(csv.DictReader(io.StringIO(manifest.read_text(encoding="utf-8"), newline="")))
    assert [r["id"] for r in rows] == [v.id for v in expected]
    lines = out.splitlines()
    assert lines[0] == (
        f"{len(expected)} variants of task 'library' (plan 'study'), {len(expected.skipped)} combinations skipped"
    )
    assert lines[1].split() == ["id", "depth", "layers", "target", "format"]
    assert [line.split()[0] for line in lines[2:]] == [v.id for v in expected]


def test_variants_without_out_prints_jsonl(planned: Path, tmp_path: Path) -> None:
    """Without --out the JSONL goes to stdout, alone; a manifest not ending in .csv is JSONL."""
    expected = cdspec.variants(cdspec.load_task(planned), "sweep")
    manifest = tmp_path / "manifest.jsonl"
    status, out, err = run("variants", str(planned), "--plan", "sweep", "--manifest", str(manifest))
    assert (status, err) == (0, "")
    assert out == dump_variants(expected)
    assert [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()] == expected.manifest()


def test_variants_table_is_cut_after_twenty_rows(planned: Path, tmp_path: Path) -> None:
    """A long table shows 20 rows, then how many more there are."""
    expected = cdspec.variants(cdspec.load_task(planned), "sweep")
    assert len(expected) > 20
    status, out, _ = run("variants", str(planned), "--plan", "sweep", "--out", str(tmp_path / "v.jsonl"))
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 1 + 1 + 20 + 1
    assert lines[-1] == f"... {len(expected) - 20} more"


def test_variants_skipped_lists_each_combination_and_its_reason(planned: Path, tmp_path: Path) -> None:
    """--skipped lists every skipped combination with its reason (on stderr when the JSONL is on stdout)."""
    expected = cdspec.variants(cdspec.load_task(planned), "study")
    assert expected.skipped
    status, out, _ = run("variants", str(planned), "--plan", "study", "--out", str(tmp_path / "v.jsonl"), "--skipped")
    assert status == 0
    for skipped in expected.skipped:
        assert f"  {skipped}\n" in out
        assert skipped.reason in out
    status, out, err = run("variants", str(planned), "--plan", "study", "--skipped")
    assert status == 0
    assert out == dump_variants(expected)
    assert all(f"  {skipped}" in err.splitlines() for skipped in expected.skipped)


def test_variants_unknown_plan_lists_the_known_ones(planned: Path) -> None:
    """An unknown plan exits 1 and names the task's plans; a task without plans says so."""
    status, out, err = run("variants", str(planned), "--plan", "nope")
    assert status == 1
    assert out == ""
    assert "'nope'" in err
    assert "study, sweep" in err
    status, _, err = run("variants", str(LIBRARY), "--plan", "study")
    assert status == 1
    assert "none" in err


def test_variants_unwritable_output_exits_1(planned: Path, tmp_path: Path) -> None:
    """An --out in a missing directory is reported with its path, exit 1, no traceback."""
    target = tmp_path / "missing" / "v.jsonl"
    status, _, err = run("variants", str(planned), "--plan", "study", "--out", str(target))
    assert status == 1
    assert err.startswith(f"{target}: cannot write")
    assert "Traceback" not in err


def test_variants_needs_a_plan_and_distinct_files(planned: Path, tmp_path: Path) -> None:
    """--plan is required, and --out and --manifest may not be the same file: usage errors, exit 2."""
    with pytest.raises(SystemExit) as info:
        main(["variants", str(planned)], out=io.StringIO(), err=io.StringIO())
    assert info.value.code == 2
    same = str(tmp_path / "v.jsonl")
    status, _, err = run("variants", str(planned), "--plan", "study", "--out", same, "--manifest", same)
    assert status == 2
    assert "same file" in err
