"""The task model: immutability, depth, selection, groups, requires and conflicts."""

from __future__ import annotations

import pickle

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdspec import (
    CompositionError,
    Constraint,
    Contract,
    Feature,
    Layer,
    LoadError,
    SelectionError,
    Target,
    Task,
    UnknownLayerError,
)
from cdspec._frozen import FrozenDict, FrozenList, freeze, thaw
from cdspec.model import unknown_names

from .strategies import contract_document, tasks

CONTRACT = Contract(contract_document(["getThing", "getOther"]))


def layer(name: str, **kwargs: object) -> Layer:
    return Layer(name, [Constraint(f"{name}.rule", "no-raw-sql")], **kwargs)  # type: ignore[arg-type]


def task(*layers: Layer, **kwargs: object) -> Task:
    fields: dict[str, object] = {
        "id": "t",
        "title": "T",
        "goal": "Build it.",
        "target": Target("python", "flask"),
        "contract": CONTRACT,
        "layers": layers,
    }
    fields.update(kwargs)
    return Task(**fields)  # type: ignore[arg-type]


STUDY = task(
    layer("architecture"),
    layer("sqlite", group="database"),
    layer("postgres", group="database"),
    layer("orm", requires=["database"]),
)


def test_values_are_frozen() -> None:
    """Tasks, layers, constraints and their params cannot be changed in place."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        STUDY.id = "other"  # type: ignore[misc]
    constraint = Constraint("a.b", "orm", {"orm": "sqlalchemy", "extra": [1, {"x": 2}]})
    with pytest.raises(TypeError, match="immutable"):
        constraint.params["orm"] = "django"
    with pytest.raises(TypeError, match="immutable"):
        constraint.params["extra"].append(3)
    with pytest.raises(TypeError, match="immutable"):
        constraint.params["extra"][1]["x"] = 3
    with pytest.raises(TypeError, match="immutable"):
        STUDY.contract.document["paths"].pop("/r0/{id}")


def test_frozen_values_equal_plain_data_and_hash() -> None:
    """Frozen JSON compares equal to the plain data it came from and is hashable."""
    data = {"a": [1, {"b": None}], "c": "d"}
    frozen = freeze(data)
    assert frozen == data
    assert thaw(frozen) == data
    assert type(thaw(frozen)["a"]) is list
    assert isinstance(frozen["a"], FrozenList)
    assert hash(frozen) == hash(freeze(thaw(frozen)))
    assert hash(Constraint("a.b", "orm", data)) == hash(Constraint("a.b", "orm", thaw(frozen)))
    assert pickle.loads(pickle.dumps(frozen)) == frozen
    assert isinstance(pickle.loads(pickle.dumps(frozen)), FrozenDict)


def test_stack_takes_first_member_of_each_group() -> None:
    """The default stack keeps one alternative per group: the first in the catalogue."""
    assert [x.name for x in STUDY.stack] == ["architecture", "sqlite", "orm"]
    assert STUDY.depth == 3
    assert STUDY.groups == {"database": ("sqlite", "postgres")}
    assert [c.id for c in STUDY.constraints] == ["architecture.rule", "sqlite.rule", "orm.rule"]


def test_at_depth_keeps_the_first_k_layers() -> None:
    """at_depth(k) is the contract plus the first k layers of the stack, as a new task."""
    assert STUDY.at_depth(0).layers == ()
    assert [x.name for x in STUDY.at_depth(2).layers] == ["architecture", "sqlite"]
    assert STUDY.at_depth(3).stack == STUDY.stack
    assert STUDY.at_depth(1).contract is STUDY.contract
    assert len(STUDY.layers) == 4  # the original is untouched


@pytest.mark.parametrize("depth", [-1, 4, 1.5, True, "2"])
def test_at_depth_rejects_depths_out_of_range(depth: object) -> None:
    """A depth that is not an integer from 0 to the stack's size is refused by name."""
    with pytest.raises(SelectionError, match="from 0 to 3"):
        STUDY.at_depth(depth)  # type: ignore[arg-type]


def test_select_orders_layers_and_checks_requires() -> None:
    """select() keeps the given order and refuses a layer above what it requires."""
    chosen = STUDY.select(["postgres", "orm", "architecture"])
    assert [x.name for x in chosen.stack] == ["postgres", "orm", "architecture"]
    with pytest.raises(CompositionError) as info:
        STUDY.select(["orm", "sqlite"])
    assert (info.value.layer, info.value.other) == ("orm", "database")
    assert "'orm' requires 'database'" in str(info.value)
    with pytest.raises(CompositionError, match="is not active"):
        STUDY.select(["architecture", "orm"])


def test_select_refuses_two_members_of_a_group() -> None:
    """Two alternatives of one group cannot be active together; both are named."""
    with pytest.raises(CompositionError) as info:
        STUDY.select(["sqlite", "postgres"])
    assert (info.value.layer, info.value.other) == ("postgres", "sqlite")
    assert "group 'database'" in str(info.value)


def test_select_refuses_unknown_and_repeated_names() -> None:
    """An unknown layer name lists the known ones; a repeated one is refused."""
    with pytest.raises(UnknownLayerError) as info:
        STUDY.select(["architecture", "redis"])
    assert info.value.known == ("architecture", "sqlite", "postgres", "orm")
    assert "no layer 'redis'" in str(info.value)
    with pytest.raises(SelectionError, match="twice"):
        STUDY.select(["architecture", "architecture"])


def test_conflicts_name_both_layers() -> None:
    """A conflict between two selected layers raises naming both."""
    catalogue = task(layer("sync"), layer("threads", group="io"), layer("asyncio", conflicts=["sync"], group="io"))
    with pytest.raises(CompositionError) as info:
        catalogue.select(["sync", "asyncio"])
    assert (info.value.layer, info.value.other) == ("asyncio", "sync")
    assert "conflicts with 'sync'" in str(info.value)


def test_choose_picks_a_group_member() -> None:
    """choose() swaps the active alternative; None drops the group if nothing needs it."""
    postgres = STUDY.choose({"database": "postgres"})
    assert [x.name for x in postgres.stack] == ["architecture", "postgres", "orm"]
    assert "sqlite" not in {x.name for x in postgres.layers}
    with pytest.raises(CompositionError, match="requires 'database'"):
        STUDY.choose({"database": None})
    assert [x.name for x in task(layer("a", group="g")).choose({"g": None}).layers] == []
    with pytest.raises(UnknownLayerError, match="no group 'db'"):
        STUDY.choose({"db": "sqlite"})
    with pytest.raises(UnknownLayerError, match="no member of group 'database' 'mysql'"):
        STUDY.choose({"database": "mysql"})


def test_inconsistent_catalogue_lists_every_problem() -> None:
    """Construction reports all catalogue problems at once, each with a pointer."""
    with pytest.raises(LoadError) as info:
        task(
            layer("a"),
            layer("a"),
            Layer("b", [Constraint("a.rule", "orm", {"orm": "x"})]),
        )
    pointers = [p.pointer for p in info.value.problems]
    assert pointers == ["/layers/1/name", "/layers/1/constraints/0/id", "/layers/2/constraints/0/id"]
    assert "also in layer 'a'" in info.value.problems[-1].message


def test_unknown_names_are_reported_but_not_an_invariant() -> None:
    """A requires/conflicts name outside the task is a typo in a file, not in a selection."""
    catalogue = task(layer("a"), layer("b", conflicts=["c"]), layer("d", group="g"), layer("c", group="g"))
    assert list(unknown_names(catalogue)) == []
    narrowed = catalogue.select(["a", "b"])
    assert [p.pointer for p in unknown_names(narrowed)] == ["/layers/1/conflicts/0"]
    assert "known: a, b" in next(unknown_names(narrowed)).message


def test_default_stack_must_be_valid() -> None:
    """A catalogue whose default stack breaks a requires is refused at construction."""
    with pytest.raises(LoadError, match="requires 'database'"):
        task(layer("orm", requires=["database"]), layer("sqlite", group="database"))


def test_layer_name_and_group_name_must_differ() -> None:
    """A name used for both a layer and a group would make requires ambiguous."""
    with pytest.raises(LoadError, match="both a layer and a group"):
        task(layer("database"), layer("sqlite", group="database"))


def test_feature_mode_needs_a_feature_with_known_operations() -> None:
    """mode and feature agree, and the feature's operations exist in the contract."""
    with pytest.raises(LoadError, match="needs 'feature'"):
        task(mode="feature")
    with pytest.raises(LoadError, match="mode is 'greenfield'"):
        task(feature=Feature("baseline", "Add renewals."))
    with pytest.raises(LoadError, match="'renewLoan' is not in the contract"):
        task(mode="feature", feature=Feature("baseline", "Add renewals.", ["renewLoan"]))
    ok = task(mode="feature", feature=Feature("baseline", "Add it.", ["getThing"]))
    assert ok.feature is not None
    assert ok.feature.operations == ("getThing",)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Constraint("nodot", "orm"), "dotted id"),
        (lambda: Constraint("a.b", "Bad Kind"), "kind name"),
        (lambda: Constraint("a.b", "orm", text=""), "non-empty"),
        (lambda: Layer("Bad", [Constraint("a.b", "orm")]), "layer name"),
        (lambda: Layer("ok", []), "at least one"),
        (lambda: Target("", "flask"), "non-empty"),
    ],
)
def test_field_rules_match_the_schema(build: object, message: str) -> None:
    """Values the JSON Schema refuses are refused when built in Python too."""
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


@given(tasks(), st.data())
def test_depth_is_monotonic(t: Task, data: st.DataObject) -> None:
    """Deeper prompts state a superset of the constraints of shallower ones, in order."""
    k = data.draw(st.integers(min_value=0, max_value=t.depth))
    shallow, deep = t.at_depth(k), t.at_depth(t.depth)
    assert shallow.depth == k
    assert [c.id for c in shallow.constraints] == [c.id for c in deep.constraints][: len(shallow.constraints)]
    assert {c.id for layer in t.stack[k:] for c in layer.constraints}.isdisjoint(c.id for c in shallow.constraints)
    assert shallow.at_depth(k) == shallow


@given(tasks(), st.data())
def test_select_keeps_exactly_the_chosen_layers(t: Task, data: st.DataObject) -> None:
    """select() of a valid ordering holds exactly those layers, in that order."""
    names = [x.name for x in t.stack]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    names_below: set[str] = set()
    valid = True
    for name in chosen:
        layer = t.layer(name)
        needs = all(
            r in names_below or any(t.layer(n).group == r for n in names_below if t.layer(n).group)
            for r in layer.requires
        )
        valid = valid and needs
        names_below.add(name)
    if not valid:
        with pytest.raises(CompositionError) as info:
            t.select(chosen)
        assert info.value.layer in chosen
        return
    picked = t.select(chosen)
    assert [x.name for x in picked.layers] == chosen
    assert picked.stack == picked.layers


def test_requires_typo_and_group_above_are_said_as_such() -> None:
    """A misspelt requires names the known layers; a group member above says so."""
    with pytest.raises(LoadError, match=r"requires 'databse', which is no layer or group of this task \(known: "):
        task(layer("sqlite", group="database"), layer("orm", requires=["databse"]))
    with pytest.raises(CompositionError, match="requires 'database', which sits above it"):
        STUDY.select(["architecture", "orm", "postgres"])


def test_conflicts_may_name_a_group() -> None:
    """conflicts: [a group] forbids every member of that group."""
    with pytest.raises(LoadError, match="conflicts with 'database'"):
        task(layer("sqlite", group="database"), layer("nosql", conflicts=["database"]))
    catalogue = task(
        layer("memory", group="storage"),
        layer("nosql", group="storage", conflicts=["database"]),
        layer("sqlite", group="database"),
    )
    with pytest.raises(CompositionError) as info:
        catalogue.select(["sqlite", "nosql"])
    assert (info.value.layer, info.value.other) == ("nosql", "database")
    assert [x.name for x in catalogue.select(["nosql"]).layers] == ["nosql"]


def test_notebook_view_lists_layers() -> None:
    """A task shows in a notebook as a table of its layers, alternatives marked."""
    view = STUDY._repr_markdown_()
    assert view.startswith("**T** (`t`, greenfield): python / flask")
    assert "| 3 | **postgres** Postgres | database (alternative) | `postgres.rule` |" in view
    assert "| 2 | **sqlite** Sqlite | database | `sqlite.rule` |" in view


def test_path_prefix_is_the_task_base_path_or_the_contracts() -> None:
    """``base_path`` overrides the contract's server path, normalised; it survives a dump and a parse."""
    from cdspec import dump_task, load_task, parse_task

    task = load_task("examples/library/task.yaml")
    assert task.base_path is None
    assert task.path_prefix == task.contract.base_path
    moved = attrs.evolve(task, base_path="api/v1/")
    assert moved.path_prefix == "/api/v1"
    assert parse_task(dump_task(moved), root=".") == moved
    assert attrs.evolve(task, base_path="/").path_prefix == ""
