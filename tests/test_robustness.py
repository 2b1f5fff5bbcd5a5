"""Robustness: whatever the files hold, only a ``CdspecError`` escapes loading.

``load_task``, ``load_layer``, ``load_contract`` and ``parse_task`` promise to
raise nothing but :class:`cdspec.CdspecError`, and a :class:`cdspec.LoadError`
always lists problems that say what is wrong and where (file, JSON pointer in
that file, line). Property tests throw random bytes, random text, random YAML
and mutated near-valid tasks at them; hand cases pin the messages for the
inputs people (and attackers) actually write; an audit hook checks that loading
reads nothing outside the task's directory, writes nothing and never touches
the network.

Tests marked with a ``# BUG:`` comment fail on purpose: they show a bug outside
``cdspec/_source.py``, left for the owner of that file to fix. The loaders turn
any unexpected exception into a problem saying "this is a bug in cdspec";
:func:`check_error` fails on that message, so the property tests still find
such bugs.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cdspec
from cdspec import CdspecError, ContractError, LoadError, Problem, _source

# --------------------------------------------------------------------------- fixtures and data

LAYER_YAML = """\
name: orm
constraints:
  - id: orm.use
    kind: orm
    params: {orm: sqlalchemy}
"""

CONTRACT = {
    "openapi": "3.0.3",
    "info": {"title": "Demo", "version": "1"},
    "paths": {"/ping": {"get": {"responses": {"200": {"description": "ok"}}}}},
}

MINIMAL_TASK: dict[str, Any] = {
    "id": "demo",
    "title": "Demo",
    "goal": "Build it.",
    "target": {"language": "python", "framework": "flask"},
    "contract": CONTRACT,
    "layers": [
        {
            "name": "orm",
            "constraints": [{"id": "orm.use", "kind": "orm", "params": {"orm": "sqlalchemy"}}],
        }
    ],
}

TASK_HEAD = """\
id: demo
title: Demo
goal: Build it.
target: {language: python, framework: flask}
"""

INLINE_CONTRACT = """\
contract:
  openapi: 3.0.3
  info: {title: Demo, version: "1"}
  paths:
    /ping:
      get:
        responses:
          "200": {description: ok}
"""

CONTRACT_YAML = """\
openapi: 3.0.3
info: {title: Demo, version: "1"}
paths:
  /ping:
    get:
      responses:
        "200": {description: ok}
"""

INTERNAL_BUG = "this is a bug in cdspec"
"""What the loaders say when they catch an exception they did not expect."""

FUZZ_SUITE = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def write(root: Path, files: dict[str, str | bytes]) -> None:
    """Write ``files`` (relative name -> text or bytes) under ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def task_with_layers(*refs: str) -> str:
    """A valid task file whose layers are ``$ref``s to ``refs``."""
    return TASK_HEAD + INLINE_CONTRACT + "layers:\n" + "".join(f"  - $ref: {r!r}\n" for r in refs)


def check_error(exc: CdspecError) -> None:
    """The shape every error must have: problems with messages, one line each in str()."""
    if not isinstance(exc, LoadError):
        assert str(exc)
        return
    assert exc.problems
    for problem in exc.problems:
        assert isinstance(problem, Problem)
        assert isinstance(problem.message, str)
        assert problem.message.strip(), problem
        assert INTERNAL_BUG not in problem.message, problem.message
        assert problem.line is None or (isinstance(problem.line, int) and problem.line >= 1), problem
        assert isinstance(problem.pointer, str)
        assert problem.pointer == "" or problem.pointer.startswith("/"), problem
    lines = str(exc).split("\n")
    assert len(lines) == len(exc.problems), str(exc)
    assert lines == [str(p) for p in exc.problems]


def outcome(call: Callable[[], object]) -> object:
    """Run ``call``: its value, or the CdspecError it raised (checked). Anything else fails."""
    try:
        return call()
    except CdspecError as exc:
        check_error(exc)
        return exc


def load_error(call: Callable[[], object]) -> LoadError:
    """The LoadError ``call`` raises (checked); fails if it loads or raises anything else."""
    with pytest.raises(LoadError) as info:
        call()
    check_error(info.value)
    return info.value


def only_problem(call: Callable[[], object]) -> Problem:
    """The single problem of the LoadError ``call`` raises."""
    error = load_error(call)
    assert len(error.problems) == 1, str(error)
    return error.problems[0]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the working directory, so problems name files relatively."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- audit hook

_EVENTS: list[tuple[str, tuple[Any, ...]]] | None = None
_WATCHED = (
    "open",
    "socket.",
    "urllib.",
    "http.",
    "subprocess.",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.remove",
    "os.rename",
    "os.mkdir",
    "os.rmdir",
    "os.symlink",
    "os.link",
    "os.truncate",
    "os.chmod",
    "shutil.",
)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _EVENTS is not None and event.startswith(_WATCHED):
        _EVENTS.append((event, args))


sys.addaudithook(_audit)  # cannot be removed; it records only inside `recorded()`

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@contextmanager
def recorded() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Record the audit events (opens, sockets, processes, file changes) of a block."""
    global _EVENTS  # noqa: PLW0603 - the audit hook can only read module state
    events: list[tuple[str, tuple[Any, ...]]] = []
    _EVENTS = events
    try:
        yield events
    finally:
        _EVENTS = None


def opened_paths(events: list[tuple[str, tuple[Any, ...]]]) -> list[Path]:
    """The files opened (by name, not by descriptor) among ``events``."""
    return [
        Path(os.fsdecode(args[0])).absolute()
        for event, args in events
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike)
    ]


def writes(events: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, tuple[Any, ...]]]:
    """Events among ``events`` that change files or start processes or connections."""
    out = []
    for event, args in events:
        if event == "open":
            mode, flags = args[1], args[2]
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            ):
                out.append((event, args))
        else:
            out.append((event, args))
    return out


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every path under (or at) ``roots`` with its size and modification time."""
    paths = [q for root in roots for q in (root, *root.rglob("*"))]
    return {str(q): (q.lstat().st_size, q.lstat().st_mtime_ns) for q in paths}


# --------------------------------------------------------------------------- strategies

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=16,
)

REF_TARGETS = [
    "layers/orm.yaml",
    "layers/orm.yaml#/constraints/0",
    "layers/orm.yaml#/nope",
    "parent.yaml",
    "parent.yaml#/layers/0",
    "contract.yaml",
    "task.yaml",
    "task.json",
    "#",
    "#/layers/0",
    "#/contract",
    "#/nope/0",
    "#/layers/99999999999999999999",
    "#/components/schemas/Book",
    "contract.yaml#/components/schemas/Book",
    "contract.yaml#/paths/~1books~1{id}",
    "#foo",
    "",
    ".",
    "..",
    "../outside.yaml",
    "/etc/passwd",
    "file:///etc/passwd",
    "file://host/etc/passwd",
    "http://127.0.0.1:9/x.yaml",
    "urn:x",
    "%zz",
    "a\x00b.yaml",
    "a\nb.yaml",
    "~",
    "layers",
]
ref_strings = st.sampled_from(REF_TARGETS) | st.text(max_size=20)

# Text built from YAML's punctuation finds parser corners random text rarely reaches.
YAML_TOKENS = [
    ":",
    ": ",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!int ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!binary ",
    "!foo ",
    "! ",
    "<<: ",
    "? ",
    "|",
    ">",
    "|-",
    "'",
    '"',
    "#",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "---",
    "...",
    "\n",
    "  ",
    "\t",
    "\\",
    "\\u",
    "a",
    "id",
    "$ref",
    "1",
    "0x",
    "0o7",
    "1e999",
    "-.inf",
    ".nan",
    "~",
    "null",
    "true",
    "yes",
    "on",
    "2024-01-01",
    "\x85",
    "\u2028",
    "\x7f",
    "\ufeff",
    "\x00",
]
yamlish_text = st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join)


def _paths(value: Any, prefix: tuple[Any, ...] = (), seen: frozenset[int] = frozenset()) -> Iterator[tuple[Any, ...]]:
    """Paths to every value of a document (values shared by aliases once per place; no cycles)."""
    yield prefix
    if id(value) in seen:
        return
    seen = seen | {id(value)}
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key), seen)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index), seen)


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for token in path:
        doc = doc[token]
    return doc


def dump(doc: Any, suffix: str) -> str:
    """``doc`` as YAML (shared values become anchors and aliases) or JSON (YAML if cyclic)."""
    if suffix == "json":
        try:
            return json.dumps(doc)
        except ValueError:  # a cycle: only YAML can write it
            pass
    return yaml.safe_dump(doc, sort_keys=False)


@st.composite
def mutated(draw: st.DrawFn, seed: Any, *, max_mutations: int = 4) -> Any:
    """``seed`` with a few mutations: keys dropped, values replaced, ``$ref``/``extends`` added."""
    doc: Any = copy.deepcopy(seed)
    for _ in range(draw(st.integers(0, max_mutations))):
        path = draw(st.sampled_from(list(_paths(doc))))
        action = draw(st.sampled_from(["drop", "replace", "ref", "ref-sibling", "extends", "alias"]))
        if action == "extends":
            if isinstance(doc, dict):
                doc["extends"] = draw(ref_strings | json_values)
            continue
        new: Any
        if action == "drop":
            if not path:
                continue
            new = None
        elif action == "replace":
            new = draw(json_values)
        elif action == "ref":
            new = {"$ref": draw(ref_strings)}
        elif action == "alias":  # the same object in two places (maybe inside itself)
            new = _get(doc, draw(st.sampled_from(list(_paths(doc)))))
        else:  # a $ref with siblings that overlay what it points to
            new = {"$ref": draw(ref_strings), draw(st.text(max_size=8)): draw(json_values)}
        if not path:
            doc = new
            continue
        parent = _get(doc, path[:-1])
        if action == "drop":
            del parent[path[-1]]
        else:
            parent[path[-1]] = new
    return doc


def near_valid_tasks() -> st.SearchStrategy[Any]:
    """The minimal valid task, mutated."""
    return mutated(MINIMAL_TASK)


def fuzz_dir(root: Path) -> None:
    """The files that the $refs of near-valid tasks point to."""
    parent = {**MINIMAL_TASK, "title": "Parent"}
    write(
        root,
        {
            "layers/orm.yaml": LAYER_YAML,
            "parent.yaml": yaml.safe_dump(parent, sort_keys=False),
            "contract.yaml": CONTRACT_YAML,
        },
    )


# A task spread over files, and a contract with the parts contract.py indexes.
RICH_CONTRACT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Books", "version": "1"},
    "security": [{"key": []}],
    "paths": {
        "/books/{id}": {
            "parameters": [{"$ref": "#/components/parameters/Id"}],
            "get": {
                "operationId": "getBook",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Book"}}},
                    },
                    "4XX": {"$ref": "#/components/responses/Error"},
                },
            },
            "put": {
                "operationId": "putBook",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Book"}}},
                },
                "responses": {"default": {"description": "done"}},
            },
        }
    },
    "components": {
        "schemas": {
            "Book": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "next": {"$ref": "#/components/schemas/Book"}},
            }
        },
        "parameters": {"Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}},
        "responses": {"Error": {"description": "error"}},
        "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
    },
}

SPLIT_TASK: dict[str, Any] = {
    "extends": "parent.yaml",
    "title": "Child",
    "contract": "contract.yaml",
    "layers": [
        {"$ref": "layers/orm.yaml"},
        {"name": "extra", "constraints": [{"$ref": "layers/orm.yaml#/constraints/0", "id": "extra.orm"}]},
    ],
}

SPLIT_LAYER: dict[str, Any] = {
    "name": "orm",
    "summary": "One ORM.",
    "constraints": [
        {"id": "orm.use", "kind": "orm", "params": {"orm": "sqlalchemy"}},
        {"id": "orm.single", "kind": "single-data-path", "params": {"modules": ["app/db.py"]}},
    ],
}


# --------------------------------------------------------------------------- 1. properties


@FUZZ_SUITE
@given(raw=st.binary(max_size=400), suffix=st.sampled_from(["yaml", "json"]))
def test_random_bytes_load_or_raise_cdspec_error(tmp_path: Path, raw: bytes, suffix: str) -> None:
    """Random bytes in task.yaml / task.json: load_task, load_layer, load_contract raise only CdspecError."""
    path = tmp_path / f"task.{suffix}"
    path.write_bytes(raw)
    for load in (cdspec.load_task, cdspec.load_layer, cdspec.load_contract):
        outcome(lambda load=load: load(path))


@FUZZ_SUITE
@given(text=st.text(max_size=200) | yamlish_text, suffix=st.sampled_from(["yaml", "json"]))
def test_random_text_files_load_or_raise_cdspec_error(tmp_path: Path, text: str, suffix: str) -> None:
    """Random (and YAML-punctuation) text written as UTF-8 loads or raises only CdspecError."""
    path = tmp_path / f"task.{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    for load in (cdspec.load_task, cdspec.load_layer, cdspec.load_contract):
        outcome(lambda load=load: load(path))


@FUZZ_SUITE
@given(text=st.text(max_size=200) | yamlish_text, fmt=st.sampled_from(["yaml", "json"]))
def test_random_text_parse_task_raises_only_cdspec_error(tmp_path: Path, text: str, fmt: Any) -> None:
    """parse_task on any string (lone surrogates included) loads or raises only CdspecError."""
    outcome(lambda: cdspec.parse_task(text, format=fmt, root=tmp_path))


@FUZZ_SUITE
@given(text=st.text(max_size=200) | yamlish_text, fmt=st.sampled_from(["yaml", "json"]))
def test_parse_text_gives_json_data_or_load_error(text: str, fmt: str) -> None:
    """The parser alone: any string becomes plain JSON data (finite numbers) or a LoadError."""
    result = outcome(lambda: _source.parse_text(text, name="x", format=fmt))
    if isinstance(result, CdspecError):
        assert isinstance(result, LoadError)
        return
    assert isinstance(result, _source.Source)
    # JSON data: json can write it (no NaN, no infinity, no non-string keys, no cycles)
    json.dumps(result.data, allow_nan=False)
    assert result.line_at("/0/1/a") is None or result.line_at("/0/1/a") >= 1


@FUZZ_SUITE
@given(data=json_values, suffix=st.sampled_from(["yaml", "json"]))
def test_random_documents_load_or_raise_cdspec_error(tmp_path: Path, data: Any, suffix: str) -> None:
    """Any JSON-ish document, dumped as YAML or JSON, loads or raises only CdspecError."""
    path = tmp_path / f"task.{suffix}"
    text = yaml.safe_dump(data) if suffix == "yaml" else json.dumps(data)
    path.write_text(text, encoding="utf-8")
    for load in (cdspec.load_task, cdspec.load_layer, cdspec.load_contract):
        outcome(lambda load=load: load(path))


@FUZZ_SUITE
@given(data=json_values)
def test_dump_yaml_round_trips_through_parse_text(data: Any) -> None:
    """dump_yaml writes any JSON data as YAML that parse_text reads back equal (1.2 scalars)."""
    assert _source.parse_text(_source.dump_yaml(data), name="x").data == data


@FUZZ_SUITE
@given(task=near_valid_tasks(), suffix=st.sampled_from(["yaml", "json"]))
def test_near_valid_tasks_load_or_raise_cdspec_error(tmp_path: Path, task: Any, suffix: str) -> None:
    """Mutated valid tasks (dropped keys, random values, random $ref/extends) raise only CdspecError."""
    fuzz_dir(tmp_path)
    path = tmp_path / f"task.{suffix}"
    text = dump(task, suffix)
    path.write_text(text, encoding="utf-8")
    result = outcome(lambda: cdspec.load_task(path))
    if task == MINIMAL_TASK:
        assert isinstance(result, cdspec.Task)
    outcome(lambda: cdspec.parse_task(text, format=suffix, root=tmp_path))  # type: ignore[arg-type]


@FUZZ_SUITE
@given(
    layer=near_valid_tasks().map(
        lambda t: (
            t.get("layers", [t])[0] if isinstance(t, dict) and isinstance(t.get("layers"), list) and t["layers"] else t
        )
    )
)
def test_near_valid_layers_load_or_raise_cdspec_error(tmp_path: Path, layer: Any) -> None:
    """Mutated layer documents given to load_layer raise only CdspecError."""
    fuzz_dir(tmp_path)
    path = tmp_path / "layer.yaml"
    path.write_text(dump(layer, "yaml"), encoding="utf-8")
    outcome(lambda: cdspec.load_layer(path))


@FUZZ_SUITE
@given(
    files=st.fixed_dictionaries(
        {
            "task": mutated(SPLIT_TASK, max_mutations=2),
            "layers/orm.yaml": mutated(SPLIT_LAYER, max_mutations=2),
            "contract.yaml": mutated(RICH_CONTRACT, max_mutations=3),
            "parent.yaml": mutated(MINIMAL_TASK, max_mutations=2),
        }
    ),
    suffix=st.sampled_from(["yaml", "json"]),
)
def test_near_valid_file_sets_load_or_raise_cdspec_error(tmp_path: Path, files: dict[str, Any], suffix: str) -> None:
    """A task spread over files (extends, contract file, layer $refs), each file mutated."""
    task = files.pop("task")
    write(tmp_path, {name: dump(doc, "yaml") for name, doc in files.items()})
    path = tmp_path / f"task.{suffix}"
    path.write_text(dump(task, suffix), encoding="utf-8")
    outcome(lambda: cdspec.load_task(path))
    outcome(lambda: cdspec.load_layer(tmp_path / "layers/orm.yaml"))
    outcome(lambda: cdspec.load_contract(tmp_path / "contract.yaml"))


def test_split_task_seed_loads(tmp_path: Path) -> None:
    """The seeds of the file-set property load when unmutated."""
    write(
        tmp_path,
        {
            "task.yaml": yaml.safe_dump(SPLIT_TASK),
            "layers/orm.yaml": yaml.safe_dump(SPLIT_LAYER),
            "contract.yaml": yaml.safe_dump(RICH_CONTRACT),
            "parent.yaml": yaml.safe_dump(MINIMAL_TASK),
        },
    )
    task = cdspec.load_task(tmp_path / "task.yaml")
    assert [layer.name for layer in task.layers] == ["orm", "extra"]
    assert task.title == "Child"
    assert cdspec.load_contract(tmp_path / "contract.yaml")


def test_minimal_task_loads(tmp_path: Path) -> None:
    """The seed of the mutation strategy is itself valid, from a file and from a string."""
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(MINIMAL_TASK), encoding="utf-8")
    task = cdspec.load_task(path)
    assert task.id == "demo"
    assert cdspec.parse_task(json.dumps(MINIMAL_TASK), format="json").id == "demo"


# --------------------------------------------------------------------------- 2. hand cases: bytes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"- a\n- b\n", "expected object, got array", id="top-level-list"),
        pytest.param(b"id: a\x00b\n", "binary file (contains NUL bytes)", id="nul-bytes"),
        pytest.param(b"id: \xff\xfe\n", "not UTF-8 text (bad byte at offset 4)", id="invalid-utf8"),
    ],
)
def test_unusable_file_content(in_tmp: Path, content: bytes, message: str) -> None:
    """Files that are not a YAML mapping give one problem naming the file."""
    write(in_tmp, {"task.yaml": content})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert message in problem.message
    assert problem.file == "task.yaml"


@pytest.mark.parametrize(
    ("content", "got"),
    [
        pytest.param("", "got null", id="empty"),
        pytest.param("# nothing here\n", "got null", id="only-comment"),
        pytest.param("hello\n", "got string", id="scalar"),
    ],
)
def test_empty_or_scalar_file_names_the_file(in_tmp: Path, content: str, got: str) -> None:
    """An empty file, a comment-only file or a top-level scalar: the problem names the file."""
    write(in_tmp, {"task.yaml": content})
    for load in (cdspec.load_task, cdspec.load_layer):
        problem = only_problem(lambda load=load: load("task.yaml"))
        assert problem.message == f"expected object, {got}"
        assert problem.file == "task.yaml"
    problem = only_problem(lambda: cdspec.load_contract("task.yaml"))
    assert problem.message == f"expected an OpenAPI document (a mapping), {got}"
    assert problem.file == "task.yaml"


def test_file_over_size_limit(in_tmp: Path) -> None:
    """A file over max_file_bytes is refused before it is parsed, naming the limit and how to raise it."""
    write(in_tmp, {"task.yaml": "# " + "x" * 200 + "\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml", limits=cdspec.Limits(max_file_bytes=100)))
    assert problem.message == (
        "the file is 203 bytes, more than 100 (limit max_file_bytes=100; "
        "raise it with limits=cdspec.Limits(max_file_bytes=...) or the command line's --limit max_file_bytes=N)"
    )
    assert problem.file == "task.yaml"


def test_file_at_size_limit_is_read(in_tmp: Path) -> None:
    """A file of exactly max_file_bytes is read (the limit is inclusive)."""
    text = task_with_layers()
    write(in_tmp, {"task.yaml": text.replace("layers:\n", "layers: []\n")})
    limits = cdspec.Limits(max_file_bytes=len((in_tmp / "task.yaml").read_bytes()))
    assert cdspec.load_task("task.yaml", limits=limits).id == "demo"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("task.yaml", "[" * 5000, id="yaml-5000-brackets"),
        pytest.param("task.yaml", "a:\n" + "".join("  " * i + "a:\n" for i in range(1, 200)), id="yaml-block"),
        pytest.param("task.json", "[" * 100_000 + "]" * 100_000, id="json-100000-deep"),
        pytest.param("task.json", "[" * 129 + "]" * 129, id="json-129-deep"),
    ],
)
def test_deep_nesting(in_tmp: Path, name: str, content: str) -> None:
    """Documents nested past MAX_DEPTH are refused, however deep (no RecursionError)."""
    write(in_tmp, {name: content})
    problem = only_problem(lambda: cdspec.load_task(name))
    assert problem.message.startswith(f"nesting deeper than {_source.MAX_DEPTH} levels (limit max_depth=")
    assert problem.file == name


def test_nesting_at_max_depth_parses() -> None:
    """MAX_DEPTH levels are allowed, one more is not."""
    depth = _source.MAX_DEPTH
    assert _source.parse_text("[" * depth + "]" * depth, name="x").data is not None
    with pytest.raises(LoadError, match="nesting deeper"):
        _source.parse_text("[" * (depth + 1) + "]" * (depth + 1), name="x", format="json")


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """A YAML bomb: ``levels`` anchors, each a list of ``width`` aliases of the one before."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs(in_tmp: Path) -> None:
    """A 9-levels-of-9 alias bomb is refused by counting, not by expanding it."""
    write(in_tmp, {"task.yaml": billion_laughs()})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message.startswith(f"the document expands to more than {_source.MAX_NODES} values (limit max_nodes")
    assert problem.file == "task.yaml"


def test_self_referencing_alias(in_tmp: Path) -> None:
    """`a: &x [*x]` (a list containing itself) is refused, not walked forever."""
    write(in_tmp, {"task.yaml": "a: &x [*x]\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == "an alias refers to a value that contains it"
    assert problem.file == "task.yaml"


def test_anchors_and_merge_keys_load(in_tmp: Path) -> None:
    """Anchors, aliases and `<<:` merge keys used the ordinary way load fine."""
    text = (
        TASK_HEAD
        + INLINE_CONTRACT
        + """\
layers:
  - name: orm
    constraints:
      - id: orm.use
        kind: orm
        params: &p
          orm: sqlalchemy
      - id: orm.again
        kind: orm
        params:
          <<: *p
          style: declarative
  - name: second
    constraints:
      - {id: second.one, kind: orm, params: {<<: [*p], style: "2.0"}}
"""
    )
    write(in_tmp, {"task.yaml": text})
    task = cdspec.load_task("task.yaml")
    first, second = task.layers
    assert dict(first.constraints[1].params) == {"orm": "sqlalchemy", "style": "declarative"}
    assert dict(second.constraints[0].params) == {"orm": "sqlalchemy", "style": "2.0"}


def test_merge_key_lines_point_at_the_anchor() -> None:
    """A value merged in with `<<:` is placed on the line where the anchor wrote it."""
    source = _source.parse_text("a: &x\n  p: 1\nb:\n  <<: *x\n  q: 2\n", name="x")
    assert source.data == {"a": {"p": 1}, "b": {"p": 1, "q": 2}}
    assert source.line_at("/b/p") == 2
    assert source.line_at("/b/q") == 5


def test_duplicate_key_yaml(in_tmp: Path) -> None:
    """A YAML key written twice in one mapping is a problem naming the key and its second line."""
    write(in_tmp, {"task.yaml": "id: a\ntitle: x\ntarget:\n  language: py\n  language: js\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == "duplicate key 'language' (a key may appear once per mapping)"
    assert (problem.file, problem.line) == ("task.yaml", 5)


def test_duplicate_key_json(in_tmp: Path) -> None:
    """A JSON key written twice in one object is a problem naming the key (and its line)."""
    write(in_tmp, {"task.json": '{\n  "id": "a",\n  "target": {"language": "py",\n    "language": "js"}\n}\n'})
    problem = only_problem(lambda: cdspec.load_task("task.json"))
    assert problem.message == "duplicate key 'language' (a key may appear once per object)"
    assert (problem.file, problem.line) == ("task.json", 4)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        pytest.param("a: !!python/object:os.system x\n", "python/object:os.system", id="python-object"),
        pytest.param("a: !!python/object/apply:os.system ['touch pwned']\n", "python/object/apply", id="python-apply"),
        pytest.param("a: !!python/name:os.system ''\n", "python/name", id="python-name"),
        pytest.param("a: !!binary aGVsbG8=\n", "binary", id="binary"),
        pytest.param("a: !!set {x, y}\n", "set", id="set"),
        pytest.param("a: !!timestamp 2024-01-01\n", "timestamp", id="timestamp"),
        pytest.param("a: !foo bar\n", "!foo", id="custom"),
        pytest.param("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", "tag:example.com", id="tag-directive"),
    ],
)
def test_yaml_tags_refused_and_nothing_runs(in_tmp: Path, text: str, tag: str) -> None:
    """Tags other than the JSON types are refused; no Python object is built, no command runs."""
    write(in_tmp, {"task.yaml": text})
    with recorded() as events:
        problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert tag in problem.message
    assert "is not allowed (only plain JSON values are)" in problem.message
    assert problem.file == "task.yaml"
    assert problem.line == text.count("\n", 0, text.index("a:")) + 1
    assert not (in_tmp / "pwned").exists()
    assert not [e for e in events if e[0].startswith(("subprocess.", "os.system", "os.exec", "os.posix"))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a: !!int abc\n", "'abc' (!!int) is not an integer", id="int"),
        pytest.param("a: !!int 0b11\n", "'0b11' (!!int) is not an integer", id="int-yaml11-binary"),
        pytest.param("a: !!int\n", "'' (!!int) is not an integer", id="int-empty"),
        pytest.param("a: !!float abc\n", "'abc' (!!float) is not a number", id="float"),
        pytest.param("a: !!float .nan\n", "'.nan' (!!float) is not a number", id="float-nan"),
        pytest.param("a: !!float .inf\n", "'.inf' (!!float) is not a number", id="float-inf"),
        pytest.param("a: 1e999\n", "'1e999' (!!float) is not a number in the range", id="float-overflow"),
        pytest.param("a: " + "9" * 5000 + "\n", "(!!int) is not an integer of a usable size", id="int-huge"),
        pytest.param("a: 0x" + "f" * 4000 + "\n", "(!!int) is not an integer of a usable size", id="hex-huge"),
        pytest.param("a: !!bool yes\n", "'yes' (!!bool) is not true or false", id="bool"),
        pytest.param("a: !!null abc\n", "'abc' (!!null) is not null", id="null"),
        pytest.param("a: !!map [1]\n", "tag 'tag:yaml.org,2002:map' needs a mapping, found a sequence", id="map"),
        pytest.param("a: !!seq {x: 1}\n", "tag 'tag:yaml.org,2002:seq' needs a sequence, found a mapping", id="seq"),
        pytest.param("a: !!str [1]\n", "expected a scalar node, but found sequence", id="str"),
        pytest.param("a: &x 5\nb:\n  <<: *x\n", "expected a mapping or list of mappings for merging", id="merge"),
        pytest.param("? [a, b]\n: 1\n", "a key must be a plain string", id="complex-key"),
        pytest.param("a: 1\n---\nb: 2\n", "expected a single document", id="two-documents"),
        pytest.param("a: *nope\n", "found undefined alias 'nope'", id="undefined-alias"),
        pytest.param("a: b\x07\n", "character U+0007 is not allowed", id="control-character"),
    ],
)
def test_bad_yaml_scalars_and_nodes(text: str, message: str) -> None:
    """Explicit tags on the wrong text, huge numbers, odd nodes: YAML problems with a line, never a crash."""
    problem = only_problem(lambda: _source.parse_text(text, name="t.yaml"))
    assert message in problem.message
    assert problem.message.startswith("invalid YAML: ")
    assert problem.file == "t.yaml"
    assert problem.line is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('{"a": 1e999}', "invalid JSON: number 1e999 is out of the range of a double", id="overflow"),
        pytest.param('{"a": NaN}', "invalid JSON: NaN is not a JSON number", id="nan"),
        pytest.param('{"a": -Infinity}', "invalid JSON: -Infinity is not a JSON number", id="infinity"),
        pytest.param('{"a": ' + "9" * 5000 + "}", "invalid JSON: number 999", id="huge-int"),
        pytest.param('{"a": 1,}', "invalid JSON: ", id="trailing-comma"),
        pytest.param("\ufeff{}", "invalid JSON: ", id="bom-in-string"),
    ],
)
def test_bad_json_numbers_and_syntax(text: str, message: str) -> None:
    """JSON that Python would read as non-JSON numbers (or not at all) is a problem."""
    problem = only_problem(lambda: _source.parse_text(text, name="t.json", format="json"))
    assert problem.message.startswith(message)
    assert problem.file == "t.json"


def test_tab_indentation(in_tmp: Path) -> None:
    """Tabs used for indentation are a YAML problem on their line."""
    write(in_tmp, {"task.yaml": "id: demo\ntarget:\n\tlanguage: python\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert "invalid YAML: found character '\\t' that cannot start any token" in problem.message
    assert (problem.file, problem.line) == ("task.yaml", 3)


def test_directory_as_path(in_tmp: Path) -> None:
    """A directory passed where a file is expected is a problem, for all three loaders."""
    (in_tmp / "d").mkdir()
    for load in (cdspec.load_task, cdspec.load_layer, cdspec.load_contract):
        problem = only_problem(lambda load=load: load("d"))
        assert problem.message == "is a directory, not a file"
        assert problem.file == "d"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_refused_without_blocking(in_tmp: Path) -> None:
    """A named pipe (as the task or as a $ref target) is refused, not read (which would hang)."""
    os.mkfifo(in_tmp / "pipe.yaml")
    write(in_tmp, {"task.yaml": task_with_layers("pipe.yaml")})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message.startswith("not a regular file")
    assert problem.file == "pipe.yaml"
    problem = only_problem(lambda: cdspec.load_layer("pipe.yaml"))
    assert problem.message.startswith("not a regular file")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on", "on"),
        ("yes", "yes"),
        ("No", "No"),
        ("off", "off"),
        ("y", "y"),
        ("2024-01-01", "2024-01-01"),
        ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
        ("0o17", 15),
        ("0x1F", 31),
        ("017", 17),
        ("1_000", "1_000"),
        ("0b11", "0b11"),
        ("1:20", "1:20"),
        ("+12", 12),
        ("-0", 0),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        (".inf", ".inf"),
        ("-.inf", "-.inf"),
        (".nan", ".nan"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("=", "="),
    ],
)
def test_yaml_12_core_scalars(text: str, expected: object) -> None:
    """Plain scalars follow YAML 1.2's core schema and come out as JSON values (never dates)."""
    data = _source.parse_text(f"a: {text}\n", name="x").data
    assert data == {"a": expected}
    assert type(data["a"]) is type(expected)


def test_mapping_keys_are_text_as_written() -> None:
    """Keys that look like other types stay the string the author wrote."""
    data = _source.parse_text("1: a\ntrue: b\n~: c\n1.5: d\n2024-01-01: e\n", name="x").data
    assert data == {"1": "a", "true": "b", "~": "c", "1.5": "d", "2024-01-01": "e"}


# --------------------------------------------------------------------------- 2. hand cases: references


def test_ref_cycle_layer_refers_to_itself(in_tmp: Path) -> None:
    """A layer file whose constraint $refs the file itself is a $ref cycle at that $ref."""
    write(
        in_tmp,
        {
            "task.yaml": task_with_layers("layers/orm.yaml"),
            "layers/orm.yaml": "name: orm\nconstraints:\n  - $ref: orm.yaml\n",
        },
    )
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == "reference 'orm.yaml' refers back to itself (a $ref cycle)"
    assert (problem.file, problem.pointer, problem.line) == ("layers/orm.yaml", "/constraints/0/$ref", 3)
    problem = only_problem(lambda: cdspec.load_layer("layers/orm.yaml"))
    assert "a $ref cycle" in problem.message


def test_ref_cycle_between_two_files(in_tmp: Path) -> None:
    """a.yaml -> b.yaml -> a.yaml is a $ref cycle, reported where it closes."""
    write(in_tmp, {"task.yaml": task_with_layers("a.yaml"), "a.yaml": "$ref: b.yaml\n", "b.yaml": "$ref: a.yaml\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == "reference 'a.yaml' refers back to itself (a $ref cycle)"
    assert (problem.file, problem.pointer, problem.line) == ("b.yaml", "/$ref", 1)


def test_ref_cycle_inside_one_document(in_tmp: Path) -> None:
    """`$ref: '#'` and `$ref: '#/layers/0'` inside the task are cycles too."""
    for ref in ("#", "#/layers/0"):
        write(in_tmp, {"task.yaml": task_with_layers(ref)})
        problem = only_problem(lambda: cdspec.load_task("task.yaml"))
        assert problem.message == f"reference {ref!r} refers back to itself (a $ref cycle)"
        assert (problem.file, problem.pointer) == ("task.yaml", "/layers/0/$ref")


def test_extends_cycle_self(in_tmp: Path) -> None:
    """A task that extends itself is an extends cycle."""
    write(in_tmp, {"task.yaml": "extends: task.yaml\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == "extends cycle: task.yaml -> task.yaml"
    assert (problem.file, problem.pointer, problem.line) == ("task.yaml", "/extends", 1)


def test_extends_cycle_two_files(in_tmp: Path) -> None:
    """A extends B extends A: the cycle is reported with its chain, in B."""
    write(in_tmp, {"task.yaml": "title: A\nextends: b.yaml\n", "b.yaml": "extends: task.yaml\n"})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == "extends cycle: task.yaml -> b.yaml -> task.yaml"
    assert (problem.file, problem.pointer, problem.line) == ("b.yaml", "/extends", 1)


@pytest.mark.parametrize(
    ("text", "missing", "where"),
    [
        pytest.param(TASK_HEAD + "contract: api.yaml\n", "api.yaml", "task.yaml:5 /contract", id="contract"),
        pytest.param(task_with_layers("nope.yaml"), "nope.yaml", "task.yaml:14 /layers/0/$ref", id="ref"),
        pytest.param("extends: base.yaml\n", "base.yaml", "task.yaml:1 /extends", id="extends"),
    ],
)
def test_missing_files(in_tmp: Path, text: str, missing: str, where: str) -> None:
    """A contract, $ref or extends naming a missing file: the missing file, and where it was named."""
    write(in_tmp, {"task.yaml": text})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == f"no such file (referred to at {where})"
    assert problem.file == missing


def test_missing_task_file(in_tmp: Path) -> None:
    """The task file itself missing is a LoadError naming it."""
    for load in (cdspec.load_task, cdspec.load_layer, cdspec.load_contract):
        problem = only_problem(lambda load=load: load("nope.yaml"))
        assert (problem.message, problem.file) == ("no such file", "nope.yaml")


@pytest.fixture
def bait(tmp_path: Path) -> Path:
    """A valid layer file in tmp_path's parent, outside every task directory of these tests."""
    path = tmp_path.parent / f"bait-{tmp_path.name}.yaml"
    path.write_text(LAYER_YAML, encoding="utf-8")
    return path


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "file-uri", "file-etc-passwd", "http"])
@pytest.mark.parametrize("field", ["ref", "extends", "contract"])
def test_paths_leaving_the_task_directory(in_tmp: Path, bait: Path, how: str, field: str) -> None:
    """$ref, extends and contract may not reach outside the task's directory, nor the network."""
    target = {
        "dotdot": f"../{bait.name}",
        "absolute": str(bait),
        "symlink": "link.yaml",
        "file-uri": bait.as_uri(),
        "file-etc-passwd": "file:///etc/passwd",
        "http": "http://127.0.0.1:9/layer.yaml",
    }[how]
    (in_tmp / "link.yaml").symlink_to(bait)
    text = {
        "ref": task_with_layers(target),
        "extends": f"extends: {target!r}\n",
        "contract": TASK_HEAD + f"contract: {target!r}\n",
    }[field]
    write(in_tmp, {"task.yaml": text})
    with recorded() as events:
        error = load_error(lambda: cdspec.load_task("task.yaml"))
    opened = {p.resolve() for p in opened_paths(events)}
    assert bait.resolve() not in opened
    assert Path("/etc/passwd") not in opened
    assert not [e for e in events if e[0].startswith(("socket.", "urllib.", "http."))]
    assert len(error.problems) == 1
    problem = error.problems[0]
    if how in ("dotdot", "absolute", "symlink"):
        assert "is outside the task's directory" in problem.message
        assert problem.file == "task.yaml"
        assert problem.line is not None
    elif field == "ref":  # a URL or a file: URI is refused as written, before anything is looked up
        assert problem.message == (
            f"reference {target!r} points outside the document: only '#/...' pointers and relative paths "
            "to files inside the root are followed (cdspec never fetches a URL or reads a file: URI)"
        )
        assert (problem.file, problem.pointer) == ("task.yaml", "/layers/0/$ref")
    else:  # a URL as a path is a relative file name that does not exist
        assert problem.message.startswith("no such file (referred to at task.yaml:")


def test_load_contract_and_layer_refuse_outside_refs(in_tmp: Path, bait: Path) -> None:
    """load_layer and load_contract bound their $refs to the file's directory too."""
    write(in_tmp, {"layer.yaml": f"name: orm\nconstraints:\n  - $ref: '../{bait.name}#/constraints/0'\n"})
    problem = only_problem(lambda: cdspec.load_layer("layer.yaml"))
    assert "is outside the task's directory" in problem.message
    assert (problem.file, problem.pointer, problem.line) == ("layer.yaml", "/constraints/0/$ref", 3)
    write(in_tmp, {"api.yaml": CONTRACT_YAML + f"components:\n  schemas:\n    X: {{$ref: '{bait}'}}\n"})
    problem = only_problem(lambda: cdspec.load_contract("api.yaml"))
    assert "is outside the task's directory" in problem.message
    assert (problem.file, problem.pointer) == ("api.yaml", "/components/schemas/X/$ref")


def test_symlink_inside_root_is_followed(in_tmp: Path) -> None:
    """A symlink that stays inside the task's directory is an ordinary file."""
    write(in_tmp, {"task.yaml": task_with_layers("link.yaml"), "layers/orm.yaml": LAYER_YAML})
    (in_tmp / "link.yaml").symlink_to(in_tmp / "layers" / "orm.yaml")
    assert [layer.name for layer in cdspec.load_task("task.yaml").layers] == ["orm"]


@pytest.mark.parametrize("field", ["ref", "extends", "contract", "task"])
def test_symlink_loop(in_tmp: Path, field: str) -> None:
    """A symlink pointing to itself is a problem wherever it is named (3.11 raises RuntimeError)."""
    (in_tmp / "loop.yaml").symlink_to("loop.yaml")
    text = {
        "ref": task_with_layers("loop.yaml"),
        "extends": "extends: loop.yaml\n",
        "contract": TASK_HEAD + "contract: loop.yaml\n",
        "task": None,
    }[field]
    if text is not None:
        write(in_tmp, {"task.yaml": text})
    entry = "loop.yaml" if field == "task" else "task.yaml"
    problem = only_problem(lambda: cdspec.load_task(entry))
    assert problem.message.startswith("loop.yaml is not a usable path:")
    if field == "task":
        assert problem.file == "loop.yaml"
    else:
        assert (problem.file, problem.pointer) == ("task.yaml", {"ref": "/layers/0/$ref"}.get(field, f"/{field}"))
        assert problem.line is not None


@pytest.mark.parametrize("field", ["ref", "extends", "contract"])
def test_nul_byte_in_reference(in_tmp: Path, field: str) -> None:
    """A path with a NUL byte in it (`"a\\0b.yaml"` in YAML) is a problem, not a ValueError."""
    text = {
        "ref": task_with_layers("a\x00b.yaml").replace("'a\\x00b.yaml'", '"a\\0b.yaml"'),
        "extends": 'extends: "a\\0b.yaml"\n',
        "contract": TASK_HEAD + 'contract: "a\\0b.yaml"\n',
    }[field]
    write(in_tmp, {"task.yaml": text})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    assert problem.message == "a\x00b.yaml is not a usable path: embedded null byte"
    assert (problem.file, problem.pointer) == ("task.yaml", {"ref": "/layers/0/$ref"}.get(field, f"/{field}"))


def test_newline_in_reference_keeps_one_line_per_problem(in_tmp: Path) -> None:
    """A path with a line break in it still prints as one line per problem."""
    for target in ("../a\\nb.yaml", "a\\nb.yaml", "a\\rb\\u2028.yaml"):
        write(in_tmp, {"task.yaml": f'extends: "{target}"\n'})
        error = load_error(lambda: cdspec.load_task("task.yaml"))
        assert len(error.problems) == 1
        assert len(str(error).splitlines()) == 1


@pytest.mark.parametrize(
    "overlay",
    [
        pytest.param("layers:\n  - name: [orm]\n    constraints: []\n", id="list-name"),
        pytest.param("layers:\n  - name: orm\n    constraints:\n      - {id: {x: 1}, kind: orm}\n", id="dict-id"),
    ],
)
def test_extends_overlay_with_unhashable_merge_key(in_tmp: Path, overlay: str) -> None:
    """An overlay list item whose `name`/`id` is a list or mapping is a schema problem, not a crash.

    (Found by the file-set property: merge.py used such values as dict keys.)
    """
    write(
        in_tmp,
        {
            "parent.yaml": TASK_HEAD
            + INLINE_CONTRACT
            + "layers:\n"
            + "".join(
                "  " + line + "\n"
                for line in (
                    "- name: orm",
                    "  constraints:",
                    "    - {id: orm.use, kind: orm, params: {orm: sqlalchemy}}",
                )
            ),
            "task.yaml": "extends: parent.yaml\n" + overlay,
        },
    )
    error = load_error(lambda: cdspec.load_task("task.yaml"))
    assert all(p.file == "task.yaml" and p.pointer.startswith("/layers/0/") for p in error.problems)


@pytest.mark.parametrize(
    "ref",
    [
        "layers/orm.yaml#/constraints/5",
        "layers/orm.yaml#/constraints/01",
        "layers/orm.yaml#/constraints/-1",
        "layers/orm.yaml#/constraints/x",
        "layers/orm.yaml#/constraints/0/id/0",
        "layers/orm.yaml#/name/x",
        "layers/orm.yaml#name",
        "#/target/language/0",
    ],
)
def test_ref_pointer_to_nothing(in_tmp: Path, ref: str) -> None:
    """A $ref whose JSON pointer does not lead to a value (RFC 6901) points to nothing.

    `#/constraints/-1` is not the last item, `#/constraints/0/id/0` is not a
    character of a string, and an anchor (`#name`) is not a pointer: each is
    a problem at the $ref, never a wrong value or a message holding the
    referenced document.
    """
    write(in_tmp, {"task.yaml": task_with_layers(ref), "layers/orm.yaml": LAYER_YAML})
    problem = only_problem(lambda: cdspec.load_task("task.yaml"))
    expected = (
        f"reference {ref!r}: only JSON pointer fragments ('#/a/b') are supported"
        if "#/" not in ref
        else f"reference {ref!r} points to nothing in its file"
    )
    assert problem.message == expected
    assert (problem.file, problem.pointer, problem.line) == ("task.yaml", "/layers/0/$ref", 14)


def _chain(root: Path, name: str, count: int, link: Callable[[int], str], last: str) -> None:
    write(root, {f"{name}{i}.yaml": link(i) for i in range(count)} | {f"{name}{count}.yaml": last})


@pytest.mark.parametrize("length", [20, 1500])
def test_long_reference_chains(in_tmp: Path, length: int) -> None:
    """$ref and extends chains: short ones load; very long ones are a problem, not a RecursionError.

    A chain too long for the stack is not called "nesting deeper than ..." of a
    one-line file: the parser tells a deep document from a deep caller.
    """
    _chain(in_tmp, "l", length, lambda i: f"$ref: l{i + 1}.yaml\n", LAYER_YAML)
    _chain(in_tmp, "t", length, lambda i: f"extends: t{i + 1}.yaml\ntitle: T{i}\n", TASK_HEAD + INLINE_CONTRACT)
    write(in_tmp, {"task.yaml": task_with_layers("l0.yaml")})
    for load in (
        lambda: cdspec.load_task("task.yaml"),
        lambda: cdspec.load_task("t0.yaml"),
        lambda: cdspec.load_layer("l0.yaml"),
    ):
        result = outcome(load)
        if length == 20:
            assert not isinstance(result, CdspecError), result
        else:
            assert isinstance(result, LoadError)
            assert not any("nesting deeper" in p.message for p in result.problems), str(result)


# --------------------------------------------------------------------------- 2. hand cases: contracts


@pytest.mark.parametrize(
    ("contract", "message", "pointer"),
    [
        pytest.param(
            "{swagger: '2.0', info: {title: x, version: '1'}, paths: {}}",
            "expected 'openapi' to be a 3.0.x or 3.1.x version string, got nothing",
            "/contract/openapi",
            id="swagger-2",
        ),
        pytest.param(
            "{openapi: 3.2.0, info: {title: x, version: '1'}, paths: {}}",
            "expected 'openapi' to be a 3.0.x or 3.1.x version string, got '3.2.0'",
            "/contract/openapi",
            id="openapi-3.2",
        ),
        pytest.param(
            "{openapi: 3.0.3, paths: {}}",
            "'info' is a required property",
            "/contract",
            id="missing-info",
        ),
    ],
)
def test_contract_not_openapi_3(in_tmp: Path, contract: str, message: str, pointer: str) -> None:
    """A contract that is not OpenAPI 3.0/3.1 is a problem at the contract, with file and line."""
    write(in_tmp, {"task.yaml": TASK_HEAD + f"contract: {contract}\n"})
    error = load_error(lambda: cdspec.load_task("task.yaml"))
    found = [p for p in error.problems if message in p.message]
    assert found, str(error)
    assert (found[0].file, found[0].pointer, found[0].line) == ("task.yaml", pointer, 5)


DANGLING = CONTRACT_YAML.replace(
    '"200": {description: ok}',
    '"200":\n          description: ok\n          content:\n            application/json:\n'
    "              schema: {$ref: '#/components/schemas/X'}",
)


def test_dangling_component_ref(in_tmp: Path) -> None:
    """`#/components/schemas/X` pointing nowhere is a ContractError naming the $ref, not a crash."""
    write(in_tmp, {"task.yaml": TASK_HEAD + "contract: api.yaml\n", "api.yaml": DANGLING})
    pointer = "/paths/~1ping/get/responses/200/content/application~1json/schema/$ref"
    for load in (lambda: cdspec.load_task("task.yaml"), lambda: cdspec.load_contract("api.yaml")):
        with pytest.raises(ContractError) as info:
            load()
        check_error(info.value)
        (problem,) = info.value.problems
        assert problem.message == "reference '#/components/schemas/X' points to nothing in the contract"
        assert (problem.file, problem.pointer, problem.line) == ("api.yaml", pointer, 11)


# --------------------------------------------------------------------------- 3. line numbers

ORM_LAYER_WITH_ERROR = """\
name: orm
constraints:
  - {id: orm.use, kind: orm, params: {orm: sqlalchemy}}
  - id: orm.single
    kind: single-data-path
    params: {modules: app/db.py}
"""


def test_problem_in_referenced_layer_is_placed_in_that_file(in_tmp: Path) -> None:
    """A problem in a $ref'd layer names that file, the pointer inside it and its line."""
    write(in_tmp, {"task.yaml": task_with_layers("layers/orm.yaml"), "layers/orm.yaml": ORM_LAYER_WITH_ERROR})
    error = load_error(lambda: cdspec.load_task("task.yaml"))
    assert str(error) == "layers/orm.yaml:6: /constraints/1/params/modules: expected array, got string"
    error = load_error(lambda: cdspec.load_layer("layers/orm.yaml"))
    assert str(error) == "layers/orm.yaml:6: /constraints/1/params/modules: expected array, got string"


def test_problem_in_extended_parent_is_placed_in_the_parent(in_tmp: Path) -> None:
    """A problem coming from an extended (parent) task names the parent file and its line."""
    parent = (
        TASK_HEAD
        + INLINE_CONTRACT
        + """\
layers:
  - name: orm
    constraints:
      - id: orm.use
        kind: orm
        params: {orm: 42}
"""
    )
    write(in_tmp, {"base/parent.yaml": parent, "task.yaml": "extends: base/parent.yaml\ntitle: Child\n"})
    error = load_error(lambda: cdspec.load_task("task.yaml"))
    assert str(error) == "base/parent.yaml:18: /layers/0/constraints/0/params/orm: expected string, got integer"


def test_problem_in_child_overlay_is_placed_in_the_child(in_tmp: Path) -> None:
    """A bad value the child overlays on its parent is placed in the child."""
    write(
        in_tmp,
        {
            "parent.yaml": TASK_HEAD + INLINE_CONTRACT,
            "task.yaml": "extends: parent.yaml\ntitle: Child\ntarget:\n  language: 7\n",
        },
    )
    error = load_error(lambda: cdspec.load_task("task.yaml"))
    assert str(error) == "task.yaml:4: /target/language: expected string, got integer"


def test_problem_in_json_task_has_its_line(in_tmp: Path) -> None:
    """In a JSON task file problems get lines too (the JSON is indexed by reading it as YAML)."""
    text = json.dumps({**MINIMAL_TASK, "target": {"language": "python", "framework": 3}}, indent=2)
    write(in_tmp, {"task.json": text})
    line = text.splitlines().index('    "framework": 3') + 1
    error = load_error(lambda: cdspec.load_task("task.json"))
    assert str(error) == f"task.json:{line}: /target/framework: expected string, got integer"


def test_json_lines_survive_tabs_and_odd_characters() -> None:
    """JSON lines stay right with tab indentation, DEL/C1 characters and U+2028 inside strings."""
    text = '{\n\t"a": "x\x7fy\x85z\u2028w",\n\t"b":\n\t\t[1,\n\t\t 2]\n}'
    source = _source.parse_text(text, name="t.json", format="json")
    assert source.data == {"a": "x\x7fy\x85z\u2028w", "b": [1, 2]}
    assert [source.line_at(p) for p in ("/a", "/b", "/b/0", "/b/1")] == [2, 4, 4, 5]


@pytest.mark.parametrize("token", ["²", "٣", "01", "9" * 5000, "-1", "2", "x", ""])
def test_line_at_odd_pointers_falls_back_to_ancestor(token: str) -> None:
    """line_at with a token that is no index of the array gives the array's own line."""
    source = _source.parse_text("a: 1\nb:\n  - x\n  - y\n", name="x")
    assert source.line_at("/b") == 3
    assert source.line_at("/b/1") == 4
    assert source.line_at(f"/b/{token}") == 3
    assert source.line_at(f"/a/{token}") == 1
    assert source.line_at(f"/{token}") == 1


# --------------------------------------------------------------------------- 4. no writes, no reads outside


def test_load_task_reads_only_inside_root_and_writes_nothing(in_tmp: Path, bait: Path) -> None:
    """A full load (refs, extends, contract file) opens files only in its root, for reading."""
    write(
        in_tmp,
        {
            "tasks/parent.yaml": TASK_HEAD + "contract: ../api.yaml\n",
            "tasks/task.yaml": "extends: parent.yaml\nlayers:\n  - $ref: ../layers/orm.yaml\n",
            "layers/orm.yaml": LAYER_YAML,
            "api.yaml": CONTRACT_YAML,
        },
    )
    cdspec.load_task("tasks/task.yaml", root=in_tmp)  # warm up lazy imports and caches
    before = snapshot(in_tmp, bait)
    with recorded() as events:
        task = cdspec.load_task("tasks/task.yaml", root=in_tmp)
    assert task.layers[0].name == "orm"
    assert snapshot(in_tmp, bait) == before
    assert writes(events) == []
    base = in_tmp.parent.resolve()
    inside = {p.resolve() for p in opened_paths(events) if p.resolve().is_relative_to(base)}
    assert all(p.is_relative_to(in_tmp.resolve()) for p in inside), inside
    assert {p.relative_to(in_tmp.resolve()) for p in inside} == {
        Path("tasks/task.yaml"),
        Path("tasks/parent.yaml"),
        Path("layers/orm.yaml"),
        Path("api.yaml"),
    }


def test_failed_loads_write_nothing(in_tmp: Path, bait: Path) -> None:
    """Loads that fail (outside refs, cycles, bad files) leave the directory as it was."""
    write(
        in_tmp,
        {
            "task.yaml": task_with_layers(f"../{bait.name}", "a.yaml", "bad.yaml"),
            "a.yaml": "$ref: a.yaml\n",
            "bad.yaml": "a: !!python/object/apply:os.system ['touch pwned']\n",
        },
    )
    outcome(lambda: cdspec.load_task("task.yaml"))
    before = snapshot(in_tmp, bait)
    with recorded() as events:
        error = load_error(lambda: cdspec.load_task("task.yaml"))
    assert len(error.problems) == 3
    assert snapshot(in_tmp, bait) == before
    assert writes(events) == []
    assert bait.resolve() not in {p.resolve() for p in opened_paths(events)}


def test_parse_task_reads_nothing_outside_root(in_tmp: Path, bait: Path) -> None:
    """parse_task with a root refuses references that leave it, without opening them."""
    text = task_with_layers(f"../{bait.name}")
    with recorded() as events:
        problem = only_problem(lambda: cdspec.parse_task(text, root=in_tmp))
    assert "is outside the task's directory" in problem.message
    assert problem.file == "<string>"
    assert bait.resolve() not in {p.resolve() for p in opened_paths(events)}
