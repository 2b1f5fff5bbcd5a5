"""Loading task, layer and contract files: references, extends, errors, dumping."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given

import cdspec
from cdspec import BUILTIN_KINDS, ContractError, Kind, LoadError, Task

from .strategies import tasks

CONTRACT = """\
openapi: 3.0.3
info: {title: Notes, version: "1.0"}
security: [{bearer: []}]
paths:
  /notes:
    get:
      operationId: listNotes
      security: []
      responses:
        '200': {description: ok}
    post:
      operationId: createNote
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: 'schemas/note.yaml#/Note'}
      responses:
        '201': {description: created}
        '400': {$ref: '#/components/responses/Invalid'}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  responses:
    Invalid: {description: bad input}
"""

NOTE_SCHEMA = """\
Note:
  type: object
  required: [text]
  properties:
    text: {type: string}
    tags: {$ref: '#/Tags'}
Tags:
  type: array
  items: {type: string}
"""

ORM_LAYER = """\
name: orm
title: ORM
requires: [database]
constraints:
  - id: orm.sqlalchemy
    kind: orm
    params: {orm: sqlalchemy}
  - id: orm.data-path
    kind: single-data-path
    params:
      modules: [app/repositories]
"""

TASK = """\
id: notes
title: Notes API
goal: Build a notes API.
target: {language: python, framework: flask}
contract: openapi.yaml
layers:
  - name: sqlite
    group: database
    constraints:
      - {id: db.sqlite, kind: database-engine, params: {engine: sqlite}}
  - name: postgres
    group: database
    constraints:
      - {id: db.postgres, kind: database-engine, params: {engine: postgresql}}
  - $ref: layers/orm.yaml
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "openapi.yaml": CONTRACT,
            "schemas/note.yaml": NOTE_SCHEMA,
            "layers/orm.yaml": ORM_LAYER,
            "task.yaml": TASK,
        },
    )


def problems(error: LoadError, root: Path) -> list[str]:
    """The problems as printed, with the temporary directory cut off."""
    return [str(p).replace(f"{root}/", "") for p in error.problems]


def test_loads_a_task_with_references(project: Path) -> None:
    """Layer files, the contract file and its schema files all come together."""
    task = cdspec.load_task(project / "task.yaml")
    assert [layer.name for layer in task.layers] == ["sqlite", "postgres", "orm"]
    assert task.layer("orm").requires == ("database",)
    assert task.origin == str(project / "task.yaml")
    create = task.contract.operation("createNote")
    assert create.request_body is not None
    schema = create.request_body.schema()
    assert schema["required"] == ["text"]
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert create.response(400).description == "bad input"
    assert create.requires_auth
    assert not task.contract.operation("listNotes").requires_auth


def test_internal_contract_references_stay(project: Path) -> None:
    """'#/...' references of the contract itself stay as written, resolvable."""
    task = cdspec.load_task(project / "task.yaml")
    raw = task.contract.document["paths"]["/notes"]["post"]["responses"]["400"]
    assert raw == {"$ref": "#/components/responses/Invalid"}
    assert task.contract.resolve(raw["$ref"]) == {"description": "bad input"}


def test_json_task_loads_the_same(project: Path) -> None:
    """A JSON task file gives the same task as its YAML twin."""
    yaml_task = cdspec.load_task(project / "task.yaml")
    (project / "task.json").write_text(cdspec.dump_task(yaml_task, format="json"), encoding="utf-8")
    assert cdspec.load_task(project / "task.json") == yaml_task


def test_extends_overlays_with_the_merge_rules(project: Path) -> None:
    """A task that extends another merges maps, keyed lists and deletes by null."""
    write(
        project,
        {
            "child.yaml": """\
            extends: task.yaml
            id: notes-strict
            goal: null
            layers:
              - name: orm
                constraints:
                  - {id: orm.sqlalchemy, params: {style: "2.0"}}
                  - {id: orm.raw, kind: no-raw-sql}
              - name: postgres
                $delete: true
            """.replace("goal: null\n", "goal: Build a stricter notes API.\n"),
        },
    )
    child = cdspec.load_task(project / "child.yaml")
    assert child.id == "notes-strict"
    assert child.goal == "Build a stricter notes API."
    assert [layer.name for layer in child.layers] == ["sqlite", "orm"]
    orm = child.layer("orm")
    assert orm.title == "ORM"
    assert [c.id for c in orm.constraints] == ["orm.sqlalchemy", "orm.data-path", "orm.raw"]
    assert dict(orm.constraints[0].params) == {"orm": "sqlalchemy", "style": "2.0"}


def test_extends_contract_path_replaces_inline_map_merges(project: Path) -> None:
    """A contract given by path replaces the parent's; an inline contract merges into it."""
    write(
        project,
        {
            "other.yaml": "openapi: 3.1.0\ninfo: {title: Other, version: '2'}\npaths: {}\n",
            "replace.yaml": "extends: task.yaml\ncontract: other.yaml\n",
            "add.yaml": """\
            extends: task.yaml
            contract:
              paths:
                /notes/{id}:
                  delete:
                    operationId: deleteNote
                    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
                    responses: {'204': {description: gone}}
            """,
        },
    )
    replaced = cdspec.load_task(project / "replace.yaml")
    assert replaced.contract.title == "Other"
    assert replaced.contract.operations == ()
    added = cdspec.load_task(project / "add.yaml")
    assert [op.operation_id for op in added.contract.operations] == ["listNotes", "createNote", "deleteNote"]


def test_ref_siblings_overlay_the_referenced_layer(project: Path) -> None:
    """Keys next to a $ref overlay what it points to, with the merge rules."""
    write(project, {"t2.yaml": TASK.replace("  - $ref: layers/orm.yaml", "  - {$ref: layers/orm.yaml, title: Data}")})
    assert cdspec.load_task(project / "t2.yaml").layer("orm").title == "Data"


def test_problems_name_the_file_pointer_and_line(project: Path) -> None:
    """Every problem is reported at once, in the file where it is, with its line."""
    write(
        project,
        {
            "layers/orm.yaml": ORM_LAYER.replace("modules: [app/repositories]", "modules: app/repositories"),
            "task.yaml": TASK.replace("engine: postgresql", "engine: oracle9").replace(
                "kind: database-engine, params: {engine: sqlite}", "kind: db-engine, params: {engine: sqlite}"
            ),
        },
    )
    with pytest.raises(LoadError) as info:
        cdspec.load_task(project / "task.yaml")
    assert problems(info.value, project) == [
        "task.yaml:10: /layers/0/constraints/0/kind: 'db-engine' is not a known constraint kind "
        "(did you mean 'database-engine'? known: " + ", ".join(BUILTIN_KINDS.names) + ")",
        "task.yaml:14: /layers/1/constraints/0/params/engine: expected one of 'sqlite', 'postgresql', "
        "'mysql', 'mariadb', 'mssql', 'oracle', 'mongodb', got 'oracle9'",
        "layers/orm.yaml:11: /constraints/1/params/modules: expected array, got string",
    ]


def test_problem_in_an_extended_file_points_there(project: Path) -> None:
    """A value inherited through extends is reported in the parent file."""
    write(
        project,
        {
            "task.yaml": TASK.replace("framework: flask", "framework: 42"),
            "child.yaml": "extends: task.yaml\nid: child\n",
        },
    )
    with pytest.raises(LoadError) as info:
        cdspec.load_task(project / "child.yaml")
    assert problems(info.value, project) == ["task.yaml:4: /target/framework: expected string, got integer"]


def test_schema_problems_are_friendly(tmp_path: Path) -> None:
    """Missing, unexpected and mistyped fields are said in plain words."""
    write(
        tmp_path,
        {
            "task.yaml": """\
            id: x
            title: X
            target: {language: python, framework: flask, version: 3}
            contract: {openapi: 3.0.3, info: {title: t, version: '1'}, paths: {}}
            layers: []
            colour: blue
            """
        },
    )
    with pytest.raises(LoadError) as info:
        cdspec.load_task(tmp_path / "task.yaml")
    assert problems(info.value, tmp_path) == [
        "task.yaml:1: missing required property 'goal'",
        "task.yaml:3: /target/version: unexpected property 'version' (allowed: framework, language)",
        "task.yaml:6: /colour: unexpected property 'colour' (allowed: $schema, base_path, cases, contract, extends, "
        "feature, goal, id, layers, mode, plans, sections, server, target, templates, title)",
    ]


def test_invalid_contract_raises_contract_error_at_its_lines(project: Path) -> None:
    """Problems only in the contract raise ContractError pointing into the contract file."""
    write(project, {"openapi.yaml": CONTRACT.replace("'201': {description: created}", "'201': {}")})
    with pytest.raises(ContractError) as info:
        cdspec.load_task(project / "task.yaml")
    assert problems(info.value, project) == [
        "openapi.yaml:19: /paths/~1notes/post/responses/201: invalid OpenAPI: 'description' is a required property"
    ]


def test_dangling_contract_reference_is_a_problem(project: Path) -> None:
    """A '#/...' reference to nothing is reported at the reference, not a crash."""
    write(project, {"openapi.yaml": CONTRACT.replace("#/components/responses/Invalid", "#/components/responses/Gone")})
    with pytest.raises(ContractError) as info:
        cdspec.load_task(project / "task.yaml")
    assert problems(info.value, project) == [
        "openapi.yaml:20: /paths/~1notes/post/responses/400/$ref: reference '#/components/responses/Gone' "
        "points to nothing in the contract"
    ]


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    """A task that extends itself through another names the whole chain."""
    write(tmp_path, {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"})
    with pytest.raises(LoadError, match=r"extends cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml"):
        cdspec.load_task(tmp_path / "a.yaml")


def test_references_may_not_leave_the_root(tmp_path: Path) -> None:
    """'..' paths and symlinks out of the task's directory are refused by name."""
    inner = tmp_path / "task"
    write(tmp_path, {"secret.yaml": ORM_LAYER})
    files = {"openapi.yaml": CONTRACT, "schemas/note.yaml": NOTE_SCHEMA}
    write(inner, {**files, "task.yaml": TASK.replace("layers/orm.yaml", "../secret.yaml")})
    with pytest.raises(LoadError, match=r"secret\.yaml is outside the task's directory"):
        cdspec.load_task(inner / "task.yaml")
    write(inner, {"task.yaml": TASK})
    (inner / "layers").mkdir()
    (inner / "layers" / "orm.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(LoadError, match="outside the task's directory"):
        cdspec.load_task(inner / "task.yaml")


def test_root_option_widens_what_may_be_referenced(tmp_path: Path) -> None:
    """With root=, shared layers above the task's directory can be used."""
    write(tmp_path, {"shared/orm.yaml": ORM_LAYER})
    write(
        tmp_path / "tasks",
        {
            "task.yaml": TASK.replace("layers/orm.yaml", "../shared/orm.yaml"),
            "openapi.yaml": CONTRACT,
            "schemas/note.yaml": NOTE_SCHEMA,
        },
    )
    with pytest.raises(LoadError):
        cdspec.load_task(tmp_path / "tasks" / "task.yaml")
    assert cdspec.load_task(tmp_path / "tasks" / "task.yaml", root=tmp_path).layer("orm").title == "ORM"


def test_user_kinds_are_validated_and_described(project: Path) -> None:
    """A kind registered by the user works in a task file without touching cdspec."""
    kinds = BUILTIN_KINDS.with_kinds(
        Kind(
            "no-print",
            {
                "type": "object",
                "properties": {"paths": {"type": "array", "items": {"type": "string"}}},
                "required": ["paths"],
                "additionalProperties": False,
            },
            "Never call print() in {paths}.",
        )
    )
    layer = "name: hygiene\nconstraints:\n  - {id: hygiene.print, kind: no-print, params: {paths: [app, lib]}}\n"
    write(project, {"layers/hygiene.yaml": layer, "task.yaml": TASK + "  - $ref: layers/hygiene.yaml\n"})
    with pytest.raises(LoadError, match="'no-print' is not a known constraint kind"):
        cdspec.load_task(project / "task.yaml")
    task = cdspec.load_task(project / "task.yaml", kinds=kinds)
    constraint = task.layer("hygiene").constraints[0]
    assert kinds.sentence(constraint.kind, constraint.params, constraint.text) == "Never call print() in app, lib."
    write(project, {"layers/hygiene.yaml": layer.replace("[app, lib]", "app")})
    with pytest.raises(LoadError, match=r"hygiene\.yaml:3: /constraints/0/params/paths: expected array, got string"):
        cdspec.load_task(project / "task.yaml", kinds=kinds)


def test_load_detects_the_kind_of_file(project: Path) -> None:
    """load_file() returns a Task, a Layer or a Contract by what the file holds."""
    assert isinstance(cdspec.load_file(project / "task.yaml"), Task)
    assert isinstance(cdspec.load_file(project / "layers/orm.yaml"), cdspec.Layer)
    assert isinstance(cdspec.load_file(project / "openapi.yaml"), cdspec.Contract)


def test_load_contract_bundles_external_files(project: Path) -> None:
    """load_contract inlines the files a contract refers to; a cycle among them is a problem."""
    contract = cdspec.load_contract(project / "openapi.yaml")
    assert contract.operation("createNote").request_body.schema()["properties"]["text"] == {"type": "string"}
    write(
        project,
        {
            "schemas/note.yaml": "Note: {$ref: 'other.yaml#/X'}\n",
            "schemas/other.yaml": "X: {$ref: 'note.yaml#/Note'}\n",
        },
    )
    with pytest.raises(LoadError, match=r"\$ref cycle"):
        cdspec.load_contract(project / "openapi.yaml")


def test_dump_is_deterministic_and_self_contained(project: Path) -> None:
    """dump_task writes one document that loads back equal, the same every time."""
    task = cdspec.load_task(project / "task.yaml")
    text = cdspec.dump_task(task)
    assert text == cdspec.dump_task(cdspec.parse_task(text))
    assert "$ref: schemas" not in text
    assert cdspec.parse_task(text) == task
    data = json.loads(cdspec.dump_task(task, format="json"))
    assert data["layers"][2]["name"] == "orm"
    assert "origin" not in data
    assert "mode" not in data  # defaults are left out


@given(tasks())
def test_dump_then_load_is_identity(task: Task) -> None:
    """For any valid task, loading its dump (YAML or JSON) gives the same task."""
    for fmt in ("yaml", "json"):
        assert cdspec.parse_task(cdspec.dump_task(task, format=fmt), format=fmt) == task


def test_feature_baseline_must_be_a_directory_inside_the_root(project: Path) -> None:
    """A feature task's baseline is checked when the task is loaded from a file."""
    feature = (
        "extends: task.yaml\nid: notes-feature\nmode: feature\n"
        "feature: {baseline: baseline, description: Add search., operations: [listNotes]}\n"
    )
    write(project, {"feature.yaml": feature})
    with pytest.raises(LoadError) as info:
        cdspec.load_task(project / "feature.yaml")
    assert problems(info.value, project) == [
        "feature.yaml:4: /feature/baseline: the baseline project baseline is not a directory"
    ]
    (project / "baseline").mkdir()
    assert cdspec.load_task(project / "feature.yaml").feature.operations == ("listNotes",)
    write(project, {"feature.yaml": feature.replace("baseline: baseline", "baseline: ../elsewhere")})
    with pytest.raises(LoadError, match="outside the task's directory"):
        cdspec.load_task(project / "feature.yaml")


def test_data_model_types_are_portable_names() -> None:
    """Field types are the portable names or an enum; anything else is refused."""
    kind = BUILTIN_KINDS["data-model"]
    entity = {"name": "Pet", "fields": [{"name": "kind", "type": "enum(cat|dog)"}, {"name": "born", "type": "date"}]}
    assert kind.problems({"entities": [entity]}) == []
    entity["fields"][1]["type"] = "varchar(20)"
    assert [p.pointer for p in kind.problems({"entities": [entity]})] == ["/entities/0/fields/1/type"]
