"""Hypothesis strategies for cdspec's model, shared by the tests.

``tasks()`` draws valid tasks: random layer catalogues with groups,
``requires`` and ``conflicts`` that keep the default stack valid, constraints
of built-in kinds with valid params, and a small generated contract. Text
fields draw from all of Unicode so that dumping and loading are stressed.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from cdspec import Constraint, Contract, Feature, Layer, Section, Target, Task

names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
ids = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,12}", fullmatch=True)
nonempty_text = st.text(min_size=1, max_size=40)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_/.", min_size=1, max_size=12)

KIND_PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "orm": st.fixed_dictionaries({"orm": words}, optional={"style": words}),
    "database-engine": st.fixed_dictionaries({"engine": st.sampled_from(["sqlite", "postgresql", "mysql"])}),
    "no-raw-sql": st.fixed_dictionaries({}, optional={"allowed_in": st.lists(words, unique=True, max_size=3)}),
    "tests-location": st.fixed_dictionaries({"directory": words}, optional={"pattern": words}),
    "forbidden-imports": st.fixed_dictionaries(
        {"modules": st.lists(words, unique=True, min_size=1, max_size=3)},
        optional={"in": st.lists(words, unique=True, max_size=2)},
    ),
}


@st.composite
def constraints(draw: st.DrawFn, constraint_id: str) -> Constraint:
    kind = draw(st.sampled_from(sorted(KIND_PARAMS)))
    return Constraint(
        constraint_id,
        kind,
        draw(KIND_PARAMS[kind]),
        text=draw(st.none() | nonempty_text),
        rationale=draw(st.none() | st.text(max_size=30)),
    )


def contract_document(operation_ids: list[str], version: str = "3.0.3") -> dict[str, Any]:
    """A small valid OpenAPI document with one GET operation per id."""
    paths = {
        f"/r{i}/{{id}}": {
            "get": {
                "operationId": op_id,
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "found"}, "404": {"description": "missing"}},
            }
        }
        for i, op_id in enumerate(operation_ids)
    }
    return {"openapi": version, "info": {"title": "Generated", "version": "1.0"}, "paths": paths}


@st.composite
def contracts(draw: st.DrawFn) -> Contract:
    op_ids = draw(
        st.lists(st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True), min_size=1, max_size=4, unique=True)
    )
    version = draw(st.sampled_from(["3.0.3", "3.1.0"]))
    return Contract(contract_document(op_ids, version))


@st.composite
def catalogues(draw: st.DrawFn, *, max_layers: int = 6) -> list[Layer]:
    """Layer catalogues whose default stack is valid."""
    layer_names = draw(st.lists(names, unique=True, max_size=max_layers))
    group_names = [f"grp-{n}" for n in ("a", "b")]
    layers: list[Layer] = []
    active: list[str] = []  # default-stack layers so far
    groups_seen: set[str] = set()
    for name in layer_names:
        group = draw(st.none() | st.sampled_from(group_names))
        is_active = group is None or group not in groups_seen
        options = sorted(set(active) | groups_seen)
        requires = draw(st.lists(st.sampled_from(options), unique=True, max_size=2)) if options else []
        inactive = [layer.name for layer in layers if layer.name not in active]
        conflicts = draw(st.lists(st.sampled_from(inactive), unique=True, max_size=1)) if inactive and is_active else []
        count = draw(st.integers(min_value=1, max_value=3))
        layers.append(
            Layer(
                name,
                [draw(constraints(f"{name}.c{j}")) for j in range(count)],
                title=draw(st.text(max_size=20)),
                summary=draw(st.text(max_size=30)),
                preamble=draw(st.text(max_size=60)),
                requires=requires if is_active else [],
                conflicts=conflicts,
                group=group,
            )
        )
        if is_active:
            active.append(name)
        if group is not None:
            groups_seen.add(group)
    return layers


@st.composite
def tasks(draw: st.DrawFn, *, max_layers: int = 6) -> Task:
    contract = draw(contracts())
    op_ids = [op.operation_id for op in contract.operations if op.operation_id]
    feature = draw(
        st.none()
        | st.builds(
            Feature,
            baseline=words,
            description=nonempty_text,
            operations=st.lists(st.sampled_from(op_ids), unique=True, max_size=2),
        )
    )
    return Task(
        id=draw(ids),
        title=draw(nonempty_text),
        goal=draw(nonempty_text),
        target=Target(draw(words), draw(words)),
        contract=contract,
        layers=draw(catalogues(max_layers=max_layers)),
        mode="feature" if feature else "greenfield",
        feature=feature,
        sections=draw(st.lists(st.builds(Section, nonempty_text, nonempty_text), max_size=2)),
    )
