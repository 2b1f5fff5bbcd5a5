"""The JSON Schemas of cdspec's formats, and the bundled examples against them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

import cdspec
from cdspec._schemas import SCHEMA_NAMES, schema, schema_problems

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILES = sorted((ROOT / "schemas").glob("*.schema.json"))
EXAMPLE_FILES = sorted(
    p for p in (ROOT / "examples").rglob("*.yaml") if "baseline" not in p.parts and "reference" not in p.parts
)


def test_every_schema_file_is_known() -> None:
    """schemas/ holds exactly the formats cdspec names."""
    assert sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_FILES) == sorted(SCHEMA_NAMES)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_files_are_valid_draft_2020_12_with_an_id(path: Path) -> None:
    """Each schema is valid against its metaschema and has a $id naming its file."""
    document = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith("/" + path.name)
    assert schema(path.name.removesuffix(".schema.json")) == document


def test_examples_exist() -> None:
    """The repository ships example tasks (the README's commands use them)."""
    assert len([p for p in EXAMPLE_FILES if p.name.startswith(("task", "feature"))]) >= 3


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_are_valid_as_written_and_load(path: Path) -> None:
    """Each example file is valid against its schema as written, and loads."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    loaded = cdspec.load_file(path)
    if isinstance(loaded, cdspec.Task):
        assert schema_problems(schema("task"), data) == []
    elif isinstance(loaded, cdspec.Layer):
        assert schema_problems(schema("layer"), data) == []
    else:
        assert isinstance(loaded, cdspec.Contract)


def test_task_schema_checks_feature_mode() -> None:
    """A feature task without its feature is refused by the schema itself."""
    document = {
        "id": "x",
        "title": "X",
        "goal": "Y",
        "target": {"language": "python", "framework": "flask"},
        "contract": "openapi.yaml",
        "mode": "feature",
    }
    assert [p.message for p in schema_problems(schema("task"), document)] == ["missing required property 'feature'"]
    assert schema_problems(schema("task"), {"extends": "base.yaml", "mode": "feature"}) == []
