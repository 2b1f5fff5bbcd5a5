"""Variants to files and back: JSONL export, manifests, and reading exports with every problem located."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from jsonschema import Draft202012Validator

import cdspec
from cdspec.load import dump_manifest, dump_variants, load_variants

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_PATH = ROOT / "examples" / "library" / "task.yaml"
LIBRARY = cdspec.load_task(LIBRARY_PATH)
# Every format, both contract styles and both database choices, so every enum of the schemas shows up.
PLAN: dict[str, Any] = {
    "product": [
        {"choices": {}},
        {"depths": {"min": 1, "max": 2}},
        {"formats": ["markdown", "text", "messages"]},
        {"contracts": ["verbatim", "summary"]},
    ]
}
MADE = cdspec.variants(LIBRARY, PLAN)


def schema_validator(name: str) -> Draft202012Validator:
    document = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[cdspec.Problem]:
    with pytest.raises(cdspec.LoadError) as info:
        load_variants(path)
    return list(info.value.problems)


def test_jsonl_round_trip(tmp_path: Path) -> None:
    """dump_variants then load_variants gives the same variants (ids, provenance, prompts), nothing skipped."""
    path = tmp_path / "variants.jsonl"
    path.write_text(dump_variants(MADE), encoding="utf-8")
    loaded = load_variants(path)
    assert isinstance(loaded, cdspec.Variants)
    assert [(v.id, v.task_id, v.provenance, v.prompt) for v in loaded] == [
        (v.id, v.task_id, v.provenance, v.prompt) for v in MADE
    ]
    assert loaded.items == MADE.items
    assert loaded.skipped == ()
    assert dump_variants(loaded) == dump_variants(MADE)


def test_jsonl_has_one_variant_per_line_exactly_as_to_data() -> None:
    """Each line is one compact JSON object equal to Variant.to_data(), in the plan's order."""
    text = dump_variants(MADE)
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert len(lines) == len(MADE)
    assert [json.loads(line) for line in lines] == [v.to_data() for v in MADE]
    assert all(": " not in line[:40] and line.startswith('{"id":') for line in lines)
    assert dump_variants(cdspec.Variants(())) == ""


def test_every_line_is_valid_against_the_variant_schema() -> None:
    """Every exported line is valid against schemas/variant.schema.json, and covers every format and style."""
    validator = schema_validator("variant")
    lines = [json.loads(line) for line in dump_variants(MADE).splitlines()]
    for data in lines:
        assert list(validator.iter_errors(data)) == []
    assert {d["prompt"]["format"] for d in lines} == {"markdown", "text", "messages"}
    assert {d["prompt"]["contract_style"] for d in lines} == {"verbatim", "summary"}
    assert {m["role"] for d in lines for m in d["prompt"]["messages"]} == {"system", "user"}


def test_variant_schema_refuses_extra_or_malformed_fields() -> None:
    """The schema is closed (no extra property anywhere) and checks ids, enums and fingerprints."""
    validator = schema_validator("variant")
    good = MADE[0].to_data()
    assert validator.is_valid(good)
    bad_edits = [
        lambda d: d.update(extra=1),
        lambda d: d["provenance"].update(extra=1),
        lambda d: d["prompt"].update(extra=1),
        lambda d: d["prompt"]["target"].update(extra=1),
        lambda d: d["prompt"]["messages"][0].update(extra=1),
        lambda d: d.update(id=d["id"].upper()),
        lambda d: d.update(id=d["id"][:-1]),
        lambda d: d["prompt"].update(fingerprint="0" * 63),
        lambda d: d["prompt"].update(format="html"),
        lambda d: d["prompt"].update(contract_style="full"),
        lambda d: d["prompt"]["messages"][0].update(role="assistant"),
        lambda d: d["provenance"].pop("steps"),
    ]
    for edit in bad_edits:
        data = json.loads(json.dumps(good))
        edit(data)
        assert not validator.is_valid(data)


def test_manifest_rows_are_valid_against_the_manifest_schema() -> None:
    """Each row of the JSONL manifest is Variants.manifest()'s row and valid against schemas/manifest.schema.json."""
    validator = schema_validator("manifest")
    rows = [json.loads(line) for line in dump_manifest(MADE).splitlines()]
    assert rows == MADE.manifest()
    for row in rows:
        assert list(validator.iter_errors(row)) == []
    assert dump_manifest(MADE, format="jsonl") == dump_manifest(MADE)


def test_csv_manifest_reads_back_with_dictreader() -> None:
    """The CSV manifest has the same rows: lists joined with '+' (layers) and ';' (ids), choices as JSON."""
    text = dump_manifest(MADE, format="csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    expected = MADE.manifest()
    assert [r["id"] for r in rows] == [v.id for v in MADE]
    assert list(rows[0]) == list(expected[0])
    for row, want in zip(rows, expected, strict=True):
        assert row["layers"].split("+") == want["layers"]
        assert row["constraint_ids"].split(";") == want["constraint_ids"]
        assert json.loads(row["choices"]) == want["choices"]
        assert int(row["depth"]) == want["depth"]
        assert row["plan"] == want["plan"]
        assert row["fingerprint"] == want["fingerprint"]
    header_only = dump_manifest(cdspec.Variants(()), format="csv")
    assert next(csv.reader(io.StringIO(header_only))) == list(expected[0])
    with pytest.raises(ValueError, match="'jsonl' or 'csv'"):
        dump_manifest(MADE, format="xlsx")  # type: ignore[arg-type]


def test_export_is_byte_identical_across_runs_and_processes() -> None:
    """The same plan gives the same JSONL in two runs and in processes with different hash seeds."""
    plan = {"product": [{"depths": {}}, {"formats": ["markdown", "messages"]}]}
    here = dump_variants(cdspec.variants(LIBRARY, plan))
    assert dump_variants(cdspec.variants(LIBRARY, plan)) == here
    script = (
        "import sys, cdspec\n"
        "from cdspec.load import dump_variants\n"
        f"task = cdspec.load_task({str(LIBRARY_PATH)!r})\n"
        f"sys.stdout.buffer.write(dump_variants(cdspec.variants(task, {plan!r})).encode('utf-8'))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, env=env)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == here.encode("utf-8")


def test_unicode_line_breaks_stay_inside_their_line(tmp_path: Path) -> None:
    """Characters str.splitlines() breaks on (U+2028, U+0085) are escaped: one variant per line for every reader."""
    task = attrs.evolve(LIBRARY, goal="Build the API.\u2028Keep it small.\x85Really \u2029small, ünïcode.")
    made = cdspec.variants(task, {"depths": {"max": 1}})
    text = dump_variants(made)
    assert len(text.splitlines()) == len(made)
    assert "ünïcode" in text  # other characters are written as they are
    path = tmp_path / "v.jsonl"
    path.write_text(text, encoding="utf-8")
    assert load_variants(path).items == made.items


def test_blank_lines_are_ignored_and_an_empty_file_has_no_variants(tmp_path: Path) -> None:
    """Blank lines (and CRLF endings) are skipped; an empty file gives an empty Variants."""
    lines = dump_variants(MADE).splitlines()
    path = tmp_path / "gaps.jsonl"
    path.write_bytes(("\n" + "\r\n\n  \n".join(lines[:3]) + "\r\n\n").encode("utf-8"))
    assert [v.id for v in load_variants(path)] == [v.id for v in MADE[:3]]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert len(load_variants(empty)) == 0
    blank = write_lines(tmp_path / "blank.jsonl", ["", "   "])
    assert load_variants(blank).items == ()


def test_invalid_json_is_reported_with_its_line(tmp_path: Path) -> None:
    """A line that is not JSON is reported with the file and that line; the others are still checked."""
    lines = dump_variants(MADE).splitlines()[:4]
    lines[2] = lines[2][:-1]  # drop the closing brace
    path = write_lines(tmp_path / "broken.jsonl", lines)
    (problem,) = problems_of(path)
    assert problem.file == str(path)
    assert problem.line == 3
    assert problem.message.startswith("invalid JSON")
    assert str(problem).startswith(f"{path}:3: invalid JSON")


def test_missing_field_and_bad_id_give_pointer_and_line(tmp_path: Path) -> None:
    """Schema problems name the line and a JSON pointer inside it; every bad line is reported at once."""
    rows = [v.to_data() for v in MADE[:3]]
    del rows[1]["prompt"]["fingerprint"]
    rows[2]["id"] = "not-hex-at-all!!"
    path = write_lines(tmp_path / "fields.jsonl", [json.dumps(r) for r in rows])
    problems = problems_of(path)
    assert [(p.line, p.pointer) for p in problems] == [(2, "/prompt"), (3, "/id")]
    assert "missing required property 'fingerprint'" in problems[0].message
    assert "does not match" in problems[1].message
    assert str(problems[0]).startswith(f"{path}:2: /prompt: ")


def test_edited_lines_and_duplicates_are_caught(tmp_path: Path) -> None:
    """An id or fingerprint that is not the line's own, disagreeing fields and a repeated id are problems."""
    rows = [v.to_data() for v in MADE[:4]]
    rows[0]["prompt"]["text"] += " (edited)"
    rows[0]["prompt"]["messages"][-1]["content"] += " (edited)"
    other = MADE[1].id
    rows[2]["id"] = other
    rows[3]["prompt"]["depth"] = rows[3]["prompt"]["depth"] + 1
    path = write_lines(tmp_path / "edited.jsonl", [json.dumps(r) for r in rows])
    found = {(p.line, p.pointer) for p in problems_of(path)}
    assert found == {(1, "/prompt/fingerprint"), (3, "/id"), (4, "/prompt/depth")}
    duplicated = write_lines(tmp_path / "twice.jsonl", [json.dumps(rows[1]), json.dumps(rows[1])])
    (problem,) = problems_of(duplicated)
    assert (problem.line, problem.pointer) == (2, "/id")
    assert "already on line 1" in problem.message


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b'{"id": 1}\n' + bytes(range(256)) * 4, 2, "binary data (contains NUL bytes)"),
        (b"\xff\xfe\xfa garbage\n", 1, "not UTF-8 text"),
        (b"[1, 2, 3]\n", 1, "expected object, got array"),
        (b'{"id": "0123456789abcdef", "id": "0123456789abcdef"}\n', 1, "duplicate key 'id'"),
        (b"\n\nNaN\n", 3, "invalid JSON"),
    ],
    ids=["binary", "not-utf8", "array", "duplicate-key", "nan"],
)
def test_garbage_is_a_load_error_with_file_and_line(tmp_path: Path, content: bytes, line: int, message: str) -> None:
    """Binary, non-UTF-8 or non-object input gives LoadError problems located at file:line, never a crash."""
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(content)
    problems = problems_of(path)
    assert problems
    assert all(p.file == str(path) and p.line is not None for p in problems)
    assert any(p.line == line and message in p.message for p in problems)


def test_unreadable_paths_are_load_errors(tmp_path: Path) -> None:
    """A missing file or a directory is a LoadError naming it."""
    assert [p.message for p in problems_of(tmp_path / "missing.jsonl")] == ["no such file"]
    assert [p.message for p in problems_of(tmp_path)] == ["is a directory, not a file"]
