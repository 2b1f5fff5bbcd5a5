"""Variant plans: what each makes, what it skips and why, ids and provenance."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cdspec
from cdspec import PlanError, Task
from cdspec import plans as v

from .strategies import tasks

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = cdspec.load_task(ROOT / "examples" / "library" / "task.yaml")
STACK = [layer.name for layer in LIBRARY.stack]


def test_depths_sweep_the_stack() -> None:
    """depths() makes one variant per depth, 0 to N, each the stack's prefix."""
    made = v.variants(LIBRARY, v.depths())
    assert [x.provenance.depth for x in made] == list(range(len(STACK) + 1))
    assert [x.provenance.layers for x in made] == [tuple(STACK[:k]) for k in range(len(STACK) + 1)]
    assert [x.provenance.depth for x in v.variants(LIBRARY, v.depths(2, 3))] == [2, 3]
    with pytest.raises(PlanError, match="depths from 0 to 99"):
        v.variants(LIBRARY, v.depths(0, 99))


def test_single_and_leave_one_out_skip_with_reasons() -> None:
    """Ablations that break a requires are skipped, each with the rule it breaks."""
    single = v.variants(LIBRARY, v.single())
    assert [x.provenance.layers for x in single] == [(n,) for n in STACK if n != "orm"]
    assert [s.layers for s in single.skipped] == [("orm",)]
    assert "requires 'database'" in single.skipped[0].reason
    left_out = v.variants(LIBRARY, v.leave_one_out())
    assert len(left_out) + len(left_out.skipped) == len(STACK)
    assert [s.steps for s in left_out.skipped] == [("without sqlite",)]
    assert "requires 'database'" in left_out.skipped[0].reason
    assert all(len(x.provenance.layers) == len(STACK) - 1 for x in left_out)


def test_subsets_respect_groups_requires_and_conflicts() -> None:
    """Every valid subset is made once; the invalid ones are listed."""
    made = v.variants(LIBRARY, v.subsets(["architecture", "sqlite", "postgres", "orm"]))
    combos = {frozenset(x.provenance.layers) for x in made}
    assert len(combos) == len(made) == 10
    assert all(not {"sqlite", "postgres"} <= c for c in combos)
    assert all("orm" not in c or c & {"sqlite", "postgres"} for c in combos)
    assert len(made.skipped) == 16 - 10
    with pytest.raises(PlanError, match="subsets of redis: no such layer"):
        v.variants(LIBRARY, v.subsets(["redis"]))


def test_choices_targets_and_options_multiply() -> None:
    """choices x targets x formats makes the full product, with provenance for each step."""
    plan = v.product(
        v.choices(), v.targets([("python", "flask"), ("python", "django")]), v.formats(["markdown", "messages"])
    )
    made = v.variants(LIBRARY, plan)
    assert len(made) == 2 * 2 * 2
    assert {
        (dict(x.provenance.choices)["database"], x.provenance.target.framework, x.provenance.format) for x in made
    } == {
        (db, fw, fmt) for db in ("sqlite", "postgres") for fw in ("flask", "django") for fmt in ("markdown", "messages")
    }
    first = made[0].provenance
    assert first.steps == ("choose database=sqlite", "target python/flask", "format markdown")
    assert made[0].prompt.target.framework == "flask"
    assert "django" in made[-1].prompt.text


def test_permutations_skip_orders_that_break_requires() -> None:
    """Every order of a small stack is tried; orders with orm below the database are skipped."""
    task = LIBRARY.select(["architecture", "sqlite", "orm"])
    made = v.variants(task, v.permutations())
    assert len(made) + len(made.skipped) == 6
    assert all(x.provenance.layers.index("sqlite") < x.provenance.layers.index("orm") for x in made)
    assert len(made) == 3


def test_union_keeps_duplicates_once_and_says_so() -> None:
    """A variant made twice by a union is kept once; the second is listed as a duplicate."""
    made = v.variants(LIBRARY, v.union(v.depths(), v.depths(1, 2)))
    assert len(made) == len(STACK) + 1
    assert [s.reason for s in made.skipped] == ["the same prompt as an earlier variant"] * 2


def test_templates_and_contract_styles() -> None:
    """Variants can vary the template and the contract style; ids differ accordingly."""
    terse = cdspec.PromptTemplate("terse", "{{task.title}} ({{target.framework}})")
    task = attrs.evolve(LIBRARY, templates=[terse])
    made = v.variants(
        task, v.product(v.depths(0, 0), v.templates(["default", "terse"]), v.contracts(["verbatim", "summary"]))
    )
    assert len({x.id for x in made}) == 4
    assert [x.prompt.text for x in made if x.provenance.template == "terse"] == ["Library lending API (flask)\n"] * 2
    with pytest.raises(cdspec.TemplateError, match="no such template"):
        v.variants(LIBRARY, v.templates(["nope"]))


def test_plans_by_name_and_as_data() -> None:
    """A plan can be named in the task, given as data, or built in Python: all the same."""
    data = {"product": [{"depths": {}}, {"formats": ["text"]}]}
    task = attrs.evolve(LIBRARY, plans={"sweep": data})
    by_name = v.variants(task, "sweep")
    as_data = v.variants(task, data)
    built = v.variants(task, v.product(v.depths(), v.formats(["text"])))
    assert [x.id for x in by_name] == [x.id for x in as_data] == [x.id for x in built]
    assert by_name[0].provenance.plan == "sweep"
    assert v.plan_from_data(data).to_data() == data
    assert v.plan_from_data(v.plan_from_data(data).to_data()) == v.plan_from_data(data)
    with pytest.raises(PlanError, match=r"has no plan 'other' \(its plans: sweep\)"):
        v.variants(task, "other")
    with pytest.raises(PlanError, match="/depth: unexpected property 'depth'"):
        v.variants(task, {"depth": {}})
    with pytest.raises(PlanError, match="too many properties"):
        v.variants(task, {"depths": {}, "single": {}})


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"targets": [{"language": "go"}]}, "/targets/0: missing required property 'framework'"),
        ({"templates": "default"}, "/templates: expected array, got string"),
        ({"contracts": ["full"]}, "/contracts/0: expected one of 'verbatim', 'summary', got 'full'"),
        ({"single": {"bogus": 1}}, "/single/bogus: unexpected property 'bogus'"),
        ({"product": [{"depths": {"min": "1"}}]}, "/product/0/depths/min: expected integer, got string"),
    ],
)
def test_plan_data_is_checked_before_use(plan: dict[str, object], message: str) -> None:
    """Plan data given in Python is checked against the schema, like plans in files."""
    with pytest.raises(PlanError) as info:
        v.variants(LIBRARY, plan)
    assert str(info.value) == f"invalid plan: {message}"
    with pytest.raises(PlanError, match="/single/bogus"):
        v.variants(LIBRARY, v.Plan("single", {"bogus": 1}))


def test_choices_without_groups_changes_nothing() -> None:
    """Once the groups are gone, choices() passes variants through with no step."""
    made = v.variants(LIBRARY, v.product(v.depths(0, 1), v.choices()))
    assert [x.provenance.steps for x in made] == [("depth 0",), ("depth 1",)]


def test_a_plan_that_makes_nothing_is_an_error() -> None:
    """When every combination is impossible, the error says why."""
    with pytest.raises(PlanError, match=r"makes no variant.*requires 'database'"):
        v.variants(LIBRARY, v.subsets(["orm"], min_size=1))


def test_manifest_rows_join_by_id() -> None:
    """The manifest has one row per variant with its id, layers, target and fingerprint."""
    made = v.variants(LIBRARY, v.depths(0, 2))
    rows = made.manifest()
    assert [r["id"] for r in rows] == [x.id for x in made]
    assert rows[2]["layers"] == STACK[:2]
    assert rows[0]["fingerprint"] == made[0].prompt.fingerprint
    assert "| id | depth |" in made._repr_markdown_()


def test_variant_ids_depend_on_what_makes_the_prompt() -> None:
    """Ids change with the task id, layers, target, template, format or contract style, and nothing else."""
    base = {"template": "default", "format": "markdown", "contract": "verbatim"}
    target = cdspec.Target("python", "flask")
    ids = {
        v.variant_id("t", ["a"], target, **base),
        v.variant_id("u", ["a"], target, **base),
        v.variant_id("t", ["a", "b"], target, **base),
        v.variant_id("t", ["b", "a"], target, **base),
        v.variant_id("t", ["a"], cdspec.Target("python", "django"), **base),
        v.variant_id("t", ["a"], target, **{**base, "template": "x"}),
        v.variant_id("t", ["a"], target, **{**base, "format": "text"}),
        v.variant_id("t", ["a"], target, **{**base, "contract": "summary"}),
    }
    assert len(ids) == 8
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)


@given(tasks(max_layers=4), st.sampled_from(["depths", "single", "leave_one_out", "subsets"]))
def test_ids_are_unique_within_a_plan(task: Task, kind: str) -> None:
    """For random tasks, every plan yields unique ids, each variant stating its own layers."""
    plan = v.Plan(kind, {})
    try:
        made = v.variants(task, plan)
    except PlanError:
        return  # nothing valid to make (e.g. single() when every layer requires another)
    assert len({x.id for x in made}) == len(made)
    for variant in made:
        assert variant.prompt.layers == variant.provenance.layers
        expected = tuple(c.id for name in variant.provenance.layers for c in task.layer(name).constraints)
        assert variant.prompt.constraint_ids == expected
