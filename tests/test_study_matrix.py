"""The Constraint Decay study's matrix, reproduced with the `examples/study` task.

The study gave agents ten combinations of four layers (architecture, two
databases, an ORM that needs a database) for each of eight frameworks. The
task's ``study`` plan is a ``product`` of ``subsets`` and ``targets``; these
tests check that it makes exactly that matrix, with prompts that state
exactly the constraints of their layers.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

import cdspec

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "examples" / "study" / "task.yaml"

FRAMEWORKS = {
    "aiohttp": "python",
    "django": "python",
    "fastapi": "python",
    "flask": "python",
    "express": "javascript",
    "fastify": "javascript",
    "hono": "typescript",
    "koa": "javascript",
}
LAYERS = ("architecture", "sqlite", "postgres", "orm")
DATABASES = frozenset({"sqlite", "postgres"})
COMBINATIONS = {
    frozenset(),
    frozenset({"architecture"}),
    frozenset({"sqlite"}),
    frozenset({"postgres"}),
    frozenset({"architecture", "sqlite"}),
    frozenset({"architecture", "postgres"}),
    frozenset({"sqlite", "orm"}),
    frozenset({"postgres", "orm"}),
    frozenset({"architecture", "sqlite", "orm"}),
    frozenset({"architecture", "postgres", "orm"}),
}
HEX16 = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture(scope="module")
def task() -> cdspec.Task:
    return cdspec.load_task(STUDY)


@pytest.fixture(scope="module")
def study(task: cdspec.Task) -> cdspec.Variants:
    return cdspec.variants(task, "study")


def test_the_study_task_loads_with_its_four_layers_and_three_plans(task: cdspec.Task) -> None:
    """The example has the four layers in catalogue order, one database group, and the three named plans."""
    assert tuple(layer.name for layer in task.layers) == LAYERS
    assert task.groups == {"database": ("sqlite", "postgres")}
    assert task.layer("orm").requires == ("database",)
    assert set(task.plans) == {"study", "depth-sweep", "ablation"}
    assert 8 <= len(task.contract.operations) <= 10


def test_study_makes_80_variants_ten_per_framework(study: cdspec.Variants) -> None:
    """The matrix is 8 frameworks x 10 combinations, each framework with its language."""
    assert len(study) == 80
    per_framework = Counter(v.provenance.target.framework for v in study)
    assert per_framework == dict.fromkeys(FRAMEWORKS, 10)
    for variant in study:
        target = variant.provenance.target
        assert target.language == FRAMEWORKS[target.framework]
        assert variant.prompt.target == target


def test_each_framework_gets_exactly_the_ten_study_combinations(study: cdspec.Variants) -> None:
    """Per framework, the sets of active layers are exactly the study's ten combinations, once each."""
    combos: dict[str, list[frozenset[str]]] = defaultdict(list)
    for variant in study:
        combos[variant.provenance.target.framework].append(frozenset(variant.provenance.layers))
    for framework, found in combos.items():
        assert len(found) == len(set(found)), framework
        assert set(found) == COMBINATIONS, framework


def test_no_variant_breaks_the_composition_rules(task: cdspec.Task, study: cdspec.Variants) -> None:
    """The ORM never appears without a database, the two databases never together, layers stay in catalogue order."""
    catalogue = [layer.name for layer in task.layers]
    for variant in study:
        layers = variant.provenance.layers
        active = set(layers)
        assert len(active & DATABASES) <= 1
        if "orm" in active:
            assert active & DATABASES
            assert layers.index("orm") > max(layers.index(db) for db in active & DATABASES)
        assert list(layers) == [name for name in catalogue if name in active]
        assert variant.prompt.layers == layers
        assert variant.prompt.depth == variant.provenance.depth == len(layers)


def test_the_chosen_database_is_recorded_in_the_provenance(study: cdspec.Variants) -> None:
    """A variant with a database records it as the choice of the database group; one without records none."""
    for variant in study:
        databases = set(variant.provenance.layers) & DATABASES
        expected = {"database": databases.pop()} if databases else {}
        assert dict(variant.provenance.choices) == expected


def test_ids_are_unique_16_hex_digits(study: cdspec.Variants) -> None:
    """Every variant has its own id, 16 lowercase hex digits, and the prompts themselves differ."""
    ids = [v.id for v in study]
    assert all(HEX16.match(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert len({v.prompt.fingerprint for v in study}) == len(study)
    assert [row["id"] for row in study.manifest()] == ids


def test_each_prompt_states_exactly_the_constraints_of_its_layers(task: cdspec.Task, study: cdspec.Variants) -> None:
    """constraint_ids are the active layers' constraints in order, and the text states those sentences and no others."""
    for variant in study:
        active = variant.provenance.layers
        expected = tuple(c.id for name in active for c in task.layer(name).constraints)
        assert variant.prompt.constraint_ids == expected
        text = variant.prompt.text
        for layer in task.layers:
            present = layer.name in active
            assert (f"## {layer.heading}\n" in text) is present, (variant.id, layer.name)
            for constraint in layer.constraints:
                sentence = cdspec.BUILTIN_KINDS.sentence(constraint.kind, constraint.params, constraint.text)
                assert (sentence in text) is present, (variant.id, constraint.id)


def test_each_prompt_names_its_framework_and_language(study: cdspec.Variants) -> None:
    """The prompt text names the variant's framework and language; the system message names the language."""
    for variant in study:
        target = variant.provenance.target
        assert target.framework in variant.prompt.text
        assert target.language in variant.prompt.text
        assert target.language in variant.prompt.messages[0]["content"]


def test_the_six_impossible_subsets_are_skipped_with_the_broken_rule(study: cdspec.Variants) -> None:
    """The ORM without a database and both databases together are listed in skipped, each naming its rule."""
    skipped = {frozenset(s.layers): s.reason for s in study.skipped}
    assert len(study.skipped) == len(skipped) == 6
    all_subsets = {frozenset(c) for size in range(len(LAYERS) + 1) for c in itertools.combinations(LAYERS, size)}
    assert set(skipped) == all_subsets - COMBINATIONS
    for layers, reason in skipped.items():
        if layers >= DATABASES:
            assert "group 'database'" in reason
            assert "'sqlite'" in reason
            assert "'postgres'" in reason
        else:
            assert "orm" in layers
            assert not layers & DATABASES
            assert "'orm' requires 'database'" in reason
    assert all(s.plan == "study" for s in study.skipped)


def test_the_study_is_deterministic(task: cdspec.Task, study: cdspec.Variants) -> None:
    """Running the plan again, from a freshly loaded task, gives the same ids, fingerprints and order."""
    again = cdspec.variants(cdspec.load_task(STUDY), "study")
    assert [(v.id, v.prompt.fingerprint) for v in again] == [(v.id, v.prompt.fingerprint) for v in study]
    assert again.skipped == study.skipped


def test_the_depth_sweep_covers_every_depth_of_the_default_stack(task: cdspec.Task) -> None:
    """depth-sweep renders the default stack (first database of the group) at depths 0..N, each a prefix of it."""
    stack = [layer.name for layer in task.stack]
    assert "postgres" not in stack
    sweep = cdspec.variants(task, "depth-sweep")
    assert [v.provenance.depth for v in sweep] == list(range(task.depth + 1))
    for variant in sweep:
        assert list(variant.provenance.layers) == stack[: variant.provenance.depth]
    assert not sweep.skipped


def test_the_ablation_skips_dropping_the_database_under_the_orm(task: cdspec.Task) -> None:
    """leave_one_out drops each stack layer in turn; dropping the only database would orphan the ORM and is skipped."""
    ablation = cdspec.variants(task, "ablation")
    stack = {layer.name for layer in task.stack}
    made = {frozenset(v.provenance.layers) for v in ablation}
    skipped = {frozenset(s.layers) for s in ablation.skipped}
    assert made | skipped == {frozenset(stack - {left}) for left in stack}
    assert all("orm" in layers and not layers & DATABASES for layers in skipped)
    assert skipped
