"""Generated hostile inputs for every loader, from a seed: valid files mutated as text and as data.

Shared by the CI slice in ``tests/test_bounds.py`` (a few hundred inputs,
derandomized) and the long run of ``benchmarks/fuzz_load.py``. Each input
is a set of files in a fresh directory plus the loader to call on the main
one; :func:`run_one` says what came out: ``"ok"``, ``"refused"`` (a
:class:`~cdspec.CdspecError` without the internal-bug message) or the
foreign exception.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import cdspec
from cdspec.evaluate import load_results
from cdspec.load import load_cases

from .test_robustness import INTERNAL_BUG, RICH_CONTRACT

LAYER = {"name": "orm", "constraints": [{"id": "orm.use", "kind": "orm", "params": {"orm": "sqlalchemy"}}]}
CONTRACT = RICH_CONTRACT
TASK: dict[str, Any] = {
    "id": "demo",
    "title": "Demo",
    "goal": "Build it.",
    "target": {"language": "python", "framework": "flask"},
    "contract": "openapi.yaml",
    "layers": [LAYER, {"$ref": "layers/extra.yaml"}],
}
CASE: dict[str, Any] = {
    "id": "c-0001",
    "task_id": "demo",
    "kind": "response",
    "title": "get a book",
    "operations": ["getBook"],
    "vars": {},
    "steps": [
        {
            "name": "1. get",
            "request": {"method": "GET", "path": "/books/1", "operation": "getBook"},
            "expect": [
                {"kind": "status", "statuses": ["200"]},
                {"kind": "schema", "schema": {"$ref": "#/$defs/B", "$defs": {"B": {"type": "object"}}}},
            ],
        }
    ],
}
EXTRA_LAYER = {"name": "extra", "constraints": [{"id": "extra.orm", "kind": "orm", "params": {"orm": "peewee"}}]}


def _result() -> dict[str, Any]:
    """One valid results line, made by the code that writes them."""
    evaluation = cdspec.Evaluation(
        task_id="demo",
        variant_id="v1",
        attempt=1,
        depth=1,
        layers=("orm",),
        target=cdspec.Target("python", "flask"),
        project="out/p1",
        constraints=(),
        assertions_passed=3,
        assertions_total=4,
        seconds=1.5,
    )
    data: dict[str, Any] = evaluation.to_data()
    return data


KINDS = ("task-yaml", "task-json", "layer", "contract", "cases", "results")

TOKENS = [
    "&a ", "*a", "<<: *a", "<<: [*a, *a]", "$ref: ", '"$ref": "http://127.0.0.1:9/x"', "$ref: '#'",
    "$ref: file:///etc/passwd", "$dynamicRef: http://x/y", "$id: http://x/", "!!python/object/apply:os.system ['x']",
    "!!binary aGk=", "!!int x", "!!map", "[", "{", "]", "}", "\t", "\x00", "\ufeff", "\udc80", "\x85", "\u2028",
    "1e999", "0x" + "f" * 60, "9" * 5000, "- ", ": ", "? ", "---\n", "...\n", "%YAML 1.1\n", "#", "'", '"', "\\u0000",
    "~", "#/", ",", ":", "\n", "  ", "NaN", "-Infinity", "$delete: true", "extends: task.yaml", "contract: task.yaml",
]  # fmt: skip
HOSTILE_VALUES: list[Any] = [
    {"$ref": "#"}, {"$ref": "#/layers"}, {"$ref": "task.yaml"}, {"$ref": "http://127.0.0.1:9/x"},
    {"$ref": "file:///etc/passwd"}, {"$ref": "../outside.yaml"}, {"$ref": "layers/extra.yaml#/constraints/0"},
    {"$dynamicRef": "https://x/y"}, {"$id": "file:///"}, None, True, 0, -1, 2**70, 1e308, "", "\x7f\u2028",
    [], {}, {"$delete": True}, "openapi.yaml", ["x"] * 300, {"k": "v" * 5000},
]  # fmt: skip


class Input:
    """One generated input: the files to write, which one to load, and with which loader."""

    def __init__(self, kind: str, files: dict[str, bytes]) -> None:
        self.kind = kind
        self.files = files

    @property
    def main(self) -> str:
        return {"task-json": "task.json", "layer": "layer.yaml", "contract": "api.yaml"}.get(
            self.kind, {"cases": "cases.jsonl", "results": "results.jsonl"}.get(self.kind, "task.yaml")
        )


def _dump(data: Any, as_json: bool) -> str:
    if not as_json:
        try:
            return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        except RecursionError:  # PyYAML's representer recurses a few frames a level: JSON is YAML too
            pass
    return json.dumps(data, indent=1)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


def _nest(rng: random.Random) -> Any:
    value: Any = "x"
    for _ in range(rng.choice([5, 60, 127, 128, 129, 300])):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _mutate_data(rng: random.Random, seed: Any) -> Any:
    data = json.loads(json.dumps(seed))
    for _ in range(rng.randint(1, 3)):
        paths = _paths(data)
        path = rng.choice(paths)
        choice = rng.random()
        if choice < 0.6:
            value = json.loads(json.dumps(rng.choice(HOSTILE_VALUES)))
        elif choice < 0.8:
            value = _nest(rng)
        else:
            value = rng.choice(paths)  # a path as a value: a list of keys
        data = _replace(data, path, value)
    return data


def _mutate_text(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(text))
        choice = rng.random()
        if choice < 0.5:
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        elif choice < 0.7:
            text = text[:pos] + text[pos + rng.randint(1, 40) :]
        elif choice < 0.85:
            end = min(len(text), pos + rng.randint(1, 80))
            text = text[:pos] + text[pos:end] * rng.randint(2, 4) + text[pos:]
        else:
            text = text[:pos] + chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x10FFFF)])) + text[pos:]
    return text


def _bomb(rng: random.Random) -> str:
    """A small YAML text that expands a lot: aliases, merge keys or ``$ref``\\ s fanning out."""
    levels, width = rng.randint(2, 9), rng.randint(2, 10)
    shape = rng.choice(["alias", "merge", "ref"])
    lines = ["id: demo", "title: Demo", "goal: g", "target: {language: python, framework: flask}"]
    if shape == "alias":
        lines.append("x0: &a0 [lol, lol]")
        lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    elif shape == "merge":
        lines.append("x0: &a0 {k0: v}")
        lines += [f"x{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}" for i in range(1, levels + 1)]
    else:
        lines.append("x-defs:\n  d0: {kind: leaf}")
        lines += [f"  d{i}: [" + ", ".join([f"{{$ref: '#/x-defs/d{i - 1}'}}"] * width) + "]" for i in range(1, levels)]
        lines.append(f"layers: [{{name: a, constraints: [], x: {{$ref: '#/x-defs/d{levels - 1}'}}}}]")
    return "\n".join(lines) + "\n"


def generate(rng: random.Random, kind: str) -> Input:
    """One input for the loader of ``kind``."""
    files: dict[str, bytes] = {
        "layers/extra.yaml": yaml.safe_dump(EXTRA_LAYER).encode(),
        "openapi.yaml": yaml.safe_dump(CONTRACT).encode(),
    }
    seed: Any = {
        "task-yaml": TASK,
        "task-json": TASK,
        "layer": LAYER,
        "contract": CONTRACT,
        "cases": CASE,
        "results": None,
    }[kind]
    if kind == "results":
        seed = _result()
    as_json = kind in ("task-json", "cases", "results")
    choice = rng.random()
    if kind == "task-yaml" and choice < 0.05:
        text = _bomb(rng)
    elif choice < 0.5:
        text = _dump(_mutate_data(rng, seed), as_json)
    else:
        text = _mutate_text(
            rng, _dump(seed, as_json) if rng.random() < 0.8 else _dump(_mutate_data(rng, seed), as_json)
        )
    if kind in ("cases", "results"):  # JSONL: one line per value, some lines mutated
        lines = [json.dumps(seed)] * rng.randint(0, 2) + [text.replace("\n", " ")]
        text = "\n".join(rng.sample(lines, len(lines))) + "\n"
    item = Input(kind, files)
    files[item.main] = text.encode("utf-8", "surrogatepass")
    return item


LOADERS: dict[str, Callable[[Path], object]] = {
    "task-yaml": cdspec.load_task,
    "task-json": cdspec.load_task,
    "layer": cdspec.load_layer,
    "contract": cdspec.load_contract,
    "cases": load_cases,
    "results": load_results,
}


def run_one(item: Input, folder: Path) -> str:
    """Write ``item`` into ``folder`` and load it; ``"ok"``, ``"refused"``, or what escaped.

    The files other than the main one are the same for every input: they
    are written once per folder (loading writes nothing, so they stay).
    """
    for name, content in item.files.items():
        path = folder / name
        if name != item.main and path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    try:
        LOADERS[item.kind](folder / item.main)
    except cdspec.CdspecError as exc:
        if INTERNAL_BUG in str(exc):
            return f"internal: {str(exc)[:300]}"
        return "refused"
    except Exception as exc:  # the point: anything foreign is a finding
        return f"foreign: {type(exc).__name__}: {str(exc)[:300]}"
    finally:
        (folder / item.main).unlink()
    return "ok"
