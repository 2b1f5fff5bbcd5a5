"""Bounds: every loader refuses, early and with a clear problem, inputs that would cost too much.

The cases of issue 13, each at a small scale (a limit lowered with
:class:`cdspec.Limits` reaches the same code a default limit does on a big
file): ``$ref``\\ s that fan out, YAML and JSON past the value and depth
limits (refused while reading), duplicate keys in big JSON placed on their
line, JSONL lines past their size, references that would leave the
document, a merge-key bomb, a lone surrogate, a task that refers to itself;
``verify`` reading a file once per inode and parsing a bounded amount. The
figures for the full-size inputs are in ``benchmarks/README.md``
(``bench_bounds.py``, ``fuzz_load.py``); tests here assert behaviour, not time.
"""

from __future__ import annotations

import json
import os
import random
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cdspec
from cdspec import Limits, LoadError, _source
from cdspec.load import load_cases
from cdspec.verify import project as verify_project
from tests import fuzz

from .test_robustness import INTERNAL_BUG, TASK_HEAD, check_error, load_error, only_problem, write


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the working directory, so problems name files relatively."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def raise_hint(field: str) -> str:
    return f"raise it with limits=cdspec.Limits({field}=...) or the command line's --limit {field}=N)"


def fan_out(levels: int, width: int = 10, *, prefix: str = "") -> str:
    """Definitions ``d0..d<levels>``, each a list of ``width`` references to the one before."""
    lines = [f"{prefix}d0: {{kind: leaf}}"]
    for i in range(1, levels + 1):
        lines.append(f"{prefix}d{i}: [" + ", ".join([f"{{$ref: '#/d{i - 1}'}}"] * width) + "]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- limits


def test_limits_are_positive_integers() -> None:
    """A limit of 0, a negative one or a non-integer is refused when the Limits is made."""
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="max_nodes must be a positive integer"):
            Limits(max_nodes=bad)  # type: ignore[arg-type]
    assert Limits() == _source.DEFAULT_LIMITS
    assert Limits(max_depth=5).max_depth == 5


# --------------------------------------------------------------------------- $ref expansion


def test_ref_fan_out_task_is_refused_by_counting(in_tmp: Path) -> None:
    """Issue 13: a ~2 KB task whose $refs fan out ten-fold per level is refused at the level past the limit."""
    write(in_tmp, {"defs.yaml": fan_out(8), "task.yaml": TASK_HEAD + "layers:\n  - $ref: 'defs.yaml#/d8'\n"})
    assert len((in_tmp / "defs.yaml").read_bytes()) < 2500
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == (
        f"references expand to more than {_source.MAX_NODES} values "
        f"(limit max_nodes={_source.MAX_NODES}; {raise_hint('max_nodes')}"
    )
    # d6 holds over 2 * 10**6 values: the first reference whose target expands to it is named
    assert (problem.file, problem.pointer, problem.line) == ("defs.yaml", "/d7/0/$ref", 8)


def test_ref_fan_out_under_the_limit_loads_shared(in_tmp: Path) -> None:
    """Below the limit the same fan-out loads; each use of a target counts towards the limit."""
    contract = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\nx-big: {$ref: 'defs.yaml#/d3'}\n"
    write(in_tmp, {"defs.yaml": fan_out(3, 3), "api.yaml": contract})
    document = cdspec.load_contract("api.yaml").document
    big = document["x-big"]
    assert [len(item) for item in big] == [3, 3, 3]
    assert big[0][0][0] == {"kind": "leaf"}
    with pytest.raises(LoadError, match="references expand to more than 30 values"):
        cdspec.load_contract("api.yaml", limits=Limits(max_nodes=30))


def test_ref_expansion_past_max_depth(in_tmp: Path) -> None:
    """References that nest past max_depth are refused at the reference that goes past it."""
    chain = "".join(f"d{i}: [{{$ref: '#/d{i - 1}'}}]\n" for i in range(1, 12))
    write(in_tmp, {"defs.yaml": "d0: [x]\n" + chain, "task.yaml": TASK_HEAD + "layers:\n  - $ref: 'defs.yaml#/d11'\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml", limits=Limits(max_depth=6)))
    assert problem.message.startswith("references nest deeper than 6 levels (limit max_depth=6;")
    assert problem.file == "defs.yaml"


@pytest.mark.parametrize("text", ["$ref: '#'\n", "id: x\nlayers:\n  - $ref: '#'\n", "$ref: task.yaml\n"])
def test_task_that_refers_to_itself(in_tmp: Path, text: str) -> None:
    """Issue 13: a task that $refs itself is a $ref cycle problem, not "a bug in cdspec"."""
    write(in_tmp, {"task.yaml": text})
    error = load_error(lambda: cdspec.load_task("task.yaml"))
    assert any("refers back to itself (a $ref cycle)" in p.message for p in error.problems), str(error)
    error = load_error(lambda: cdspec.parse_task(text, root=in_tmp))
    assert INTERNAL_BUG not in str(error)


# --------------------------------------------------------------------------- YAML and JSON while parsing


def test_yaml_value_limit_stops_at_the_value_past_it() -> None:
    """A YAML list past max_nodes is refused at the line of the value past the limit, not after building it."""
    text = "- a\n" * 100
    with pytest.raises(LoadError) as info:
        _source.parse_text(text, name="t.yaml", limits=Limits(max_nodes=50))
    (problem,) = info.value.problems
    assert problem.message == f"the document holds more than 50 values (limit max_nodes=50; {raise_hint('max_nodes')}"
    assert (problem.file, problem.line) == ("t.yaml", 50)
    assert len(_source.parse_text(text, name="t.yaml", limits=Limits(max_nodes=101)).data) == 100


def test_yaml_flow_list_past_the_limit() -> None:
    """Issue 13's 16 MB flow list, at a small scale: refused by counting, whatever its layout."""
    with pytest.raises(LoadError, match="more than 1000 values"):
        _source.parse_text("[" + "1," * 2000 + "1]", name="t.yaml", limits=Limits(max_nodes=1000))


def test_yaml_aliases_count_at_every_use() -> None:
    """Aliases count the values they name at every use: a small text that expands a lot is refused."""
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    source = _source.parse_text(text, name="t.yaml", limits=Limits(max_nodes=200))
    assert source.data["b"][9] == list(range(1, 11))
    with pytest.raises(LoadError, match="the document expands to more than 100 values") as info:
        _source.parse_text(text, name="t.yaml", limits=Limits(max_nodes=100))
    assert info.value.problems[0].line == 2


def test_merge_key_bomb_is_refused() -> None:
    """PyYAML issue #897's merge-key bomb: each level merges the one before twice; refused by counting."""
    lines = ["base0: &L0 {k0_0: v0}"]
    for level in range(1, 19):
        keys = ", ".join(f"k{level}_{i}: v{level}" for i in range(1 << min(level, 5)))
        lines.append(f"L{level}: &L{level} {{<<: [*L{level - 1}, *L{level - 1}], {keys}}}")
    lines.append("target: {<<: [*L18, *L18]}")
    error = load_error(lambda: _source.parse_text("\n".join(lines), name="t.yaml"))
    assert error.problems[0].message.startswith(f"the document expands to more than {_source.MAX_NODES} values")


def test_merge_keys_follow_the_yaml_rules() -> None:
    """Explicit keys win over merged ones; of two merged mappings the first wins; order: merged first."""
    text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc: {w: 0, <<: [*a, *b], x: 9}\n"
    data = _source.parse_text(text, name="t.yaml").data
    assert data["c"] == {"x": 9, "y": 1, "z": 2, "w": 0}
    assert list(data["c"]) == ["x", "y", "z", "w"]


def test_pyyaml_floor_has_the_merge_key_fix() -> None:
    """pyproject.toml requires a PyYAML with the merge-key fix (6.0.4), and that is what is installed."""
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'"pyyaml>=6\.0\.4"', pyproject, re.IGNORECASE)
    installed = tuple(int(part) for part in metadata.version("pyyaml").split(".")[:3])
    assert installed >= (6, 0, 4)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_depth_limit_is_a_setting(fmt: str) -> None:
    """max_depth bounds YAML and JSON alike; the problem says how to raise it."""
    text = "[" * 4 + "]" * 4
    assert _source.parse_text(text, name="t", format=fmt, limits=Limits(max_depth=4)).data == [[[[]]]]
    with pytest.raises(LoadError) as info:
        _source.parse_text(text, name="t", format=fmt, limits=Limits(max_depth=3))
    assert info.value.problems[0].message == (
        f"nesting deeper than 3 levels (limit max_depth=3; {raise_hint('max_depth')}"
    )


def test_json_value_limit_is_exact() -> None:
    """JSON is counted before it is built: n values load at max_nodes=n, n + 1 do not; strings do not count."""
    assert len(_source.parse_text(json.dumps([1] * 49), name="t", format="json", limits=Limits(max_nodes=50)).data)
    with pytest.raises(LoadError, match="the document holds more than 50 values"):
        _source.parse_text(json.dumps([1] * 50), name="t", format="json", limits=Limits(max_nodes=50))
    text = json.dumps([{"a,b": "[x, {y}, z]"}] * 10)  # 21 values, 30 commas and brackets in strings
    assert _source.parse_text(text, name="t", format="json", limits=Limits(max_nodes=21)).data[9] == {
        "a,b": "[x, {y}, z]"
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='a,[]{}":\\ \n\u2028'),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='k,[]{}"\\', max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
)


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_count(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_count(v) for v in value)
    return 1


def _leaves(value: Any, pointer: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{pointer}/{_source.escape_pointer(k)}")]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{pointer}/{i}")]
    return [(pointer, value)]


@given(json_values, st.sampled_from([None, 1, 2]))
def test_json_count_and_lines_by_scanning(value: Any, indent: int | None) -> None:
    """The C-speed count of JSON values is exact, and each scalar's line holds that scalar."""
    text = json.dumps(value, indent=indent)
    assert _source._json_values(text) == _count(value)
    source = _source.parse_text(text, name="t.json", format="json")
    lines = text.split("\n")
    for pointer, leaf in _leaves(value):
        line = source.line_at(pointer)
        assert line is not None
        assert json.dumps(leaf) in lines[line - 1]


def test_json_duplicate_key_line_in_a_big_file() -> None:
    """Issue 13: a duplicate key deep in a big JSON file is placed on its line (found at C speed)."""
    rows = [{"id": i, "kind": "orm", "params": {"orm": "x"}} for i in range(5000)]
    text = json.dumps({"id": "demo", "rows": rows}, indent=1)
    cut = text.rindex('"orm": "x"')
    text = text[:cut] + '"orm": "y",\n     ' + text[cut:]
    with pytest.raises(LoadError) as info:
        _source.parse_text(text, name="t.json", format="json")
    (problem,) = info.value.problems
    assert problem.message == "duplicate key 'orm' (a key may appear once per object)"
    assert problem.line == text[:cut].count("\n") + 2


def test_json_task_problem_lines_come_from_the_scan(in_tmp: Path) -> None:
    """Issue 13: a JSON task whose contract file is missing names the line of ``contract`` (no re-parse)."""
    task = {"id": "demo", "title": "T", "goal": "g", "target": {"language": "python", "framework": "flask"}}
    text = json.dumps({**task, "x": None, "contract": "missing.yaml"}, indent=2).replace('  "x": null,\n', "")
    write(in_tmp, {"task.json": text})
    problem = only_problem(lambda: cdspec.load_task("task.json"))
    line = text.split("\n").index('  "contract": "missing.yaml"') + 1
    assert problem.message == f"no such file (referred to at task.json:{line} /contract)"


# --------------------------------------------------------------------------- JSONL files


CASE = fuzz.CASE


def test_case_line_size_limit(in_tmp: Path) -> None:
    """A case line past max_line_bytes is a problem on its line, naming the limit; the others are read."""
    big = {**CASE, "id": "big", "title": "x" * 5000}
    write(in_tmp, {"cases.jsonl": json.dumps(CASE) + "\n" + json.dumps(big) + "\n"})
    assert len(load_cases("cases.jsonl")) == 2
    error = load_error(lambda: load_cases("cases.jsonl", limits=Limits(max_line_bytes=4000)))
    (problem,) = error.problems
    assert (problem.file, problem.line) == ("cases.jsonl", 2)
    assert (
        problem.message
        == f"the line is longer than 4000 bytes (limit max_line_bytes=4000; {raise_hint('max_line_bytes')}"
    )


def test_case_line_duplicate_key(in_tmp: Path) -> None:
    """Issue 13: a 2.5 MB case line with a duplicate key is a duplicate-key problem on its line."""
    line = json.dumps({**CASE, "title": "y" * 2_500_000})
    write(in_tmp, {"cases.jsonl": json.dumps(CASE) + "\n" + line[:-1] + ', "kind": "response"}\n'})
    problem = only_problem(lambda: load_cases("cases.jsonl"))
    assert (problem.message, problem.line) == ("duplicate key 'kind' (a key may appear once per object)", 2)


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        ({"$ref": "file:///etc/passwd"}, "/$ref"),
        ({"$ref": "http://127.0.0.1:9/s.json"}, "/$ref"),
        ({"properties": {"a": {"$dynamicRef": "https://x/y"}}}, "/properties/a/$dynamicRef"),
        ({"$id": "http://127.0.0.1:9/", "$ref": "#/$defs/x", "$defs": {"x": {}}}, "/$id"),
    ],
)
def test_case_schema_references_leaving_the_schema(in_tmp: Path, schema: dict[str, Any], pointer: str) -> None:
    """A case's response schema may refer only to itself: anything else is a load problem at its pointer."""
    case = json.loads(json.dumps(CASE))
    case["steps"][0]["expect"][1]["schema"] = schema
    write(in_tmp, {"cases.jsonl": json.dumps(case) + "\n"})
    problem = only_problem(lambda: load_cases("cases.jsonl"))
    assert (problem.line, problem.pointer) == (1, "/steps/0/expect/1/schema" + pointer)
    assert "outside" in problem.message


# --------------------------------------------------------------------------- contracts


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("$ref", "http://127.0.0.1:9/book.json", "points outside the document"),
        ("$ref", "file:///etc/passwd", "points outside the document"),
        ("$ref", "//127.0.0.1/book.json", "points outside the document"),
        ("$dynamicRef", "https://127.0.0.1/meta", "$dynamicRef 'https://127.0.0.1/meta' points outside the document"),
        ("$recursiveRef", "book.json", "$recursiveRef 'book.json' points outside the document"),
        ("$id", "https://127.0.0.1/book", "would resolve references against a base outside the document"),
    ],
)
def test_contract_references_leaving_the_document(in_tmp: Path, where: str, value: str, message: str) -> None:
    """Issue 13: references to URLs, file: URIs or through $dynamicRef/$id are load errors with file+pointer."""
    contract = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Book": {"type": "object", where: value}}},
    }
    write(in_tmp, {"api.yaml": json.dumps(contract)})
    with pytest.raises(LoadError) as info:  # a ContractError, or a LoadError for a $ref the loader refuses
        cdspec.load_contract("api.yaml")
    check_error(info.value)
    (problem,) = info.value.problems
    assert message in problem.message
    assert (problem.file, problem.pointer) == ("api.yaml", f"/components/schemas/Book/{where}")
    assert problem.line == 1


def test_internal_dynamic_refs_and_data_keywords_are_allowed(in_tmp: Path) -> None:
    """Fragments stay allowed, and an "$id" inside an example or a default is data, not a base URI."""
    book = {
        "$dynamicAnchor": "node",
        "type": "object",
        "properties": {"next": {"$dynamicRef": "#node"}},
        "example": {"$id": "http://example.com/x"},
        "default": {"$id": "http://example.com/"},
    }
    contract = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": {}}
    write(in_tmp, {"api.yaml": json.dumps({**contract, "components": {"schemas": {"Book": book}}})})
    assert cdspec.load_contract("api.yaml").document["components"]["schemas"]["Book"]["example"]["$id"]


# --------------------------------------------------------------------------- smaller


def test_lone_surrogate_is_a_load_error() -> None:
    """Issue 13: ``parse_task("id: \\udc80")`` is a character problem on its line, not "a bug in cdspec"."""
    problem = only_problem(lambda: cdspec.parse_task("a: b\nid: \udc80"))
    assert problem.message.startswith("invalid YAML: character U+DC80 is not allowed")
    assert problem.line == 2
    error = load_error(lambda: cdspec.parse_task('{"id": "\udc80"}', format="json"))  # JSON allows it in strings
    assert "/id" in [p.pointer for p in error.problems]


# --------------------------------------------------------------------------- verify


def test_verify_reads_hard_links_once(tmp_path: Path) -> None:
    """Issue 13: hard links to one file are read once and parsed once (one text, one AST)."""
    (tmp_path / "app.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    os.link(tmp_path / "app.py", tmp_path / "b.py")
    os.link(tmp_path / "app.py", tmp_path / "c.py")
    project = cdspec.Project.from_directory(tmp_path)
    assert project.python_files == ("app.py", "b.py", "c.py")
    assert project.text("app.py") is project.text("b.py") is project.text("c.py")
    tree = project.ast("app.py")
    assert tree is not None
    assert project.ast("c.py") is tree
    assert project.ast("b.py") is tree
    assert project.walk("b.py") == project.walk("app.py")


def test_verify_parses_a_bounded_amount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_PARSED_BYTES of Python a file gets no AST and a note saying why (so checks say unchecked)."""
    monkeypatch.setattr(verify_project, "MAX_PARSED_BYTES", 60)
    (tmp_path / "a.py").write_text("x = 1\n" * 8, encoding="utf-8")
    (tmp_path / "b.py").write_text("y = 2\n" * 8, encoding="utf-8")
    project = cdspec.Project.from_directory(tmp_path)
    assert project.ast("a.py") is not None
    assert project.ast("b.py") is None
    notes = [note for note in project.notes if note.path == "b.py"]
    assert [note.message for note in notes] == ["not analysed: the project's Python sources are over 60 bytes in all"]


# --------------------------------------------------------------------------- fuzz slice


@pytest.mark.parametrize("kind", fuzz.KINDS)
def test_fuzz_slice(tmp_path: Path, kind: str) -> None:
    """A derandomized slice of benchmarks/fuzz_load.py: 40 generated inputs per loader, none escapes."""
    rng = random.Random(f"ci-{kind}")
    outcomes = [fuzz.run_one(fuzz.generate(rng, kind), tmp_path) for _ in range(40)]
    assert [o for o in outcomes if o not in ("ok", "refused")] == []
    assert "refused" in outcomes


def test_the_command_line_raises_a_limit_with_limit(in_tmp: Path) -> None:
    """``--limit NAME=N`` raises (or lowers) a limit for the command; a bad spec is a usage error, not a traceback."""
    import io

    from cdspec.cli import main

    big = "[" + "1, " * 20 + "1]"
    write(in_tmp, {"big.yaml": big})
    err = io.StringIO()
    assert main(["validate", "big.yaml", "--limit", "max_nodes=10"], out=io.StringIO(), err=err) == 1
    assert "limit max_nodes=10" in err.getvalue()
    assert "--limit max_nodes=N" in err.getvalue()
    err = io.StringIO()
    assert main(["validate", "big.yaml", "--limit", "max_nodes"], out=io.StringIO(), err=err) == 2
    assert "--limit takes NAME=N" in err.getvalue()
    err = io.StringIO()
    assert main(["validate", "big.yaml", "--limit", "colour=3"], out=io.StringIO(), err=err) == 2
    assert "max_depth, max_file_bytes, max_line_bytes, max_nodes" in err.getvalue()
