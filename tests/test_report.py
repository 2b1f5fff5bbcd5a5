"""Decay reports: pass@k, grouping, A% and Raw A%, errors, the manifest join, formats and the plot."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import random
import subprocess
import sys
import types
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import cdspec
from cdspec import plans
from cdspec._schemas import schema, schema_problems
from cdspec.report import GROUP_KEYS, DecayReport, ReportError, decay_report, pass_at_k

ROOT = Path(__file__).resolve().parent.parent
STACK = ("architecture", "sqlite", "orm", "data_model")


def result(
    depth: int,
    *,
    variant: str | None = None,
    attempt: int = 1,
    framework: str = "flask",
    language: str = "python",
    assertions: tuple[int, int] | None = (10, 10),
    statuses: tuple[str, ...] = (),
    error: str | None = None,
    layers: tuple[str, ...] | None = None,
    task: str = "library",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One result record as plain data (schemas/result.schema.json), its derived fields computed."""
    layers = STACK[:depth] if layers is None else layers
    constraints = [
        {"id": f"{layers[i % len(layers)] if layers else 'core'}.c{i}", "layer": layers[i % len(layers)], "kind": "x"}
        | {"status": status}
        for i, status in enumerate(statuses)
    ]
    outcome = {name: {"passed": 0, "failed": 0, "unchecked": 0} for name in layers}
    for constraint in constraints:
        outcome[constraint["layer"]][constraint["status"]] += 1
    failed = any(status == "failed" for status in statuses)
    if assertions is None or error is not None:
        raw = enforced = None
        assertions_data = None
    else:
        passed, total = assertions
        raw = passed / total if total else 1.0
        enforced = 0.0 if failed else raw
        assertions_data = {"passed": passed, "total": total}
    return {
        "task_id": task,
        "variant_id": variant,
        "attempt": attempt,
        "depth": depth,
        "layers": list(layers),
        "target": {"language": language, "framework": framework},
        "project": f"runs/{variant or 'x'}-{attempt}",
        "constraints": constraints,
        "layers_outcome": outcome,
        "assertions": assertions_data,
        "a_rate": enforced,
        "raw_a_rate": raw,
        "passed": error is None and not failed and (assertions_data is None or passed == total),
        "seconds": 1.5,
        "error": error,
        "labels": labels or {},
    }


def vid(number: int) -> str:
    """A variant id of the manifest's shape."""
    return f"{number:016x}"


# --------------------------------------------------------------------------- pass@k


def brute_force_pass_at_k(n: int, c: int, k: int) -> Fraction:
    """The share of the k-subsets of n attempts (the first c passed) that hold a passing attempt."""
    draws = list(itertools.combinations(range(n), k))
    return Fraction(sum(any(i < c for i in draw) for draw in draws), len(draws))


@st.composite
def n_c_k(draw: st.DrawFn, max_n: int) -> tuple[int, int, int]:
    n = draw(st.integers(1, max_n))
    return n, draw(st.integers(0, n)), draw(st.integers(1, n))


@given(n_c_k(10))
def test_pass_at_k_is_the_brute_force_share_of_draws(sizes: tuple[int, int, int]) -> None:
    """pass@k equals, up to rounding, the share of all k-draws without replacement that hold a pass."""
    n, c, k = sizes
    assert pass_at_k(n, c, k) == pytest.approx(float(brute_force_pass_at_k(n, c, k)), abs=1e-12)


@given(n_c_k(3000))
def test_pass_at_k_is_stable_for_large_n(sizes: tuple[int, int, int]) -> None:
    """For large n, the product form matches the exact 1 - C(n-c, k)/C(n, k) and stays within [0, 1]."""
    n, c, k = sizes
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    value = pass_at_k(n, c, k)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(float(exact), rel=1e-9, abs=1e-12)


def test_pass_at_1_is_the_pass_share_and_edges_are_exact() -> None:
    """pass@1 is c/n; no pass gives 0, all passes give 1, and n - c < k gives 1."""
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 3) == 1.0
    assert pass_at_k(5, 3, 3) == 1.0
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, -1, 1), (3, 1, 0), (3, 1, 4)])
def test_pass_at_k_refuses_impossible_sizes(n: int, c: int, k: int) -> None:
    """Sizes outside 0 <= c <= n, 1 <= k <= n are a ReportError (a ValueError) naming them."""
    with pytest.raises(ReportError, match=rf"n={n}, c={c}, k={k}") as caught:
        pass_at_k(n, c, k)
    assert isinstance(caught.value, ValueError)


# --------------------------------------------------------------------------- grouping


def test_rows_by_depth_have_counts_and_means_sorted_by_depth() -> None:
    """By depth: one row per depth, ascending, with attempts, variants and mean A%."""
    results = [
        result(2, variant=vid(2), assertions=(5, 10)),
        result(0, variant=vid(0), assertions=(10, 10)),
        result(2, variant=vid(3), assertions=(8, 10), framework="fastapi"),
        result(0, variant=vid(1), assertions=(9, 10), framework="fastapi"),
    ]
    report = decay_report(results)
    assert report.by == ("depth",)
    assert [dict(row.key) for row in report.rows] == [{"depth": 0}, {"depth": 2}]
    assert [(row.attempts, row.variants, row.errors, row.scored) for row in report.rows] == [(2, 2, 0, 2)] * 2
    assert [row.a_rate for row in report.rows] == [pytest.approx(0.95), pytest.approx(0.65)]
    assert report.overall.attempts == 4
    assert report.overall.a_rate == pytest.approx(0.8)


def test_rows_by_layers_sort_by_size_then_names() -> None:
    """By layer combination: the empty stack first, then by size, then by names."""
    results = [
        result(2, layers=("sqlite", "orm")),
        result(1, layers=("sqlite",)),
        result(2, layers=("architecture", "sqlite")),
        result(0),
        result(1, layers=("architecture",)),
    ]
    report = decay_report(results, by="layers")
    assert [row.key["layers"] for row in report.rows] == [
        (),
        ("architecture",),
        ("sqlite",),
        ("architecture", "sqlite"),
        ("sqlite", "orm"),
    ]
    assert "| (none) |" in report.to_markdown()
    assert "| architecture + sqlite |" in report.to_markdown()


def test_any_combination_of_keys_groups_and_regroups() -> None:
    """By depth and framework (string or list form): one row per pair; regroup gives the fresh report."""
    results = [
        result(depth, variant=vid(10 * depth + i), framework=framework, assertions=(depth + i, 10))
        for depth in range(3)
        for i, framework in enumerate(["koa", "flask", "django"])
    ]
    report = decay_report(results, by="depth, framework")
    assert report == decay_report(results, by=["depth", "framework"])
    assert [(row.key["depth"], row.key["framework"]) for row in report.rows] == [
        (depth, framework) for depth in range(3) for framework in ["django", "flask", "koa"]
    ]
    assert report.regroup("framework") == decay_report(results, by="framework")
    assert [row.attempts for row in report.regroup("framework").rows] == [3, 3, 3]
    by_task = decay_report(results, by="task")
    assert [dict(row.key) for row in by_task.rows] == [{"task": "library"}]


@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["flask", "koa"]), st.integers(0, 4)), max_size=30))
def test_rows_partition_the_attempts_whatever_the_order(cells: list[tuple[int, str, int]]) -> None:
    """Every attempt is in exactly one row, and the rows do not depend on the order of the results."""
    results = [
        result(depth, framework=framework, assertions=(passed, 4), attempt=i + 1)
        for i, (depth, framework, passed) in enumerate(cells)
    ]
    report = decay_report(results, by="depth,framework")
    assert sum(row.attempts for row in report.rows) == report.overall.attempts == len(results)
    shuffled = results[:]
    random.Random(len(results)).shuffle(shuffled)
    assert decay_report(shuffled, by="depth,framework").to_data()["rows"] == report.to_data()["rows"]


def test_unknown_or_repeated_keys_are_refused() -> None:
    """An unknown grouping key names the known ones; a key named twice is refused."""
    with pytest.raises(ReportError, match="cannot group by 'dept': it is no built-in key \\(task, variant, depth"):
        decay_report([result(1)], by="dept")
    with pytest.raises(ReportError, match=r"cannot group by 'modle'.*\(labels: model\)"):
        decay_report([result(1, labels={"model": "a"})], by="modle")
    with pytest.raises(ReportError, match="cannot group by 'a b'"):
        decay_report([result(1)], by="a b")
    with pytest.raises(ReportError, match="named twice"):
        decay_report([result(1)], by="depth,depth")
    assert GROUP_KEYS == (
        "task", "variant", "depth", "layers", "language", "framework", "template", "format", "contract",
    )  # fmt: skip


# --------------------------------------------------------------------------- rates


def test_a_rate_is_zero_where_an_in_force_constraint_failed() -> None:
    """A% (enforced): a failed constraint zeroes its attempt, an unchecked one does not; Raw A% is unchanged."""
    results = [
        result(1, variant=vid(1), assertions=(9, 10), statuses=("passed", "failed")),
        result(1, variant=vid(2), assertions=(7, 10), statuses=("passed", "unchecked")),
    ]
    row = decay_report(results).rows[0]
    assert row.raw_a_rate == pytest.approx(0.8)
    assert row.a_rate == pytest.approx(0.35)
    assert row.pass_at_k(1) == 0.0
    assert row.adherence == pytest.approx(2 / 3)  # unchecked outcomes take no part
    assert row.checked == 3


def test_evaluation_objects_and_their_data_give_the_same_report() -> None:
    """Evaluation objects (cdspec.evaluate) and plain dicts go through the same function."""
    from cdspec.evaluate import Evaluation

    data = [
        result(1, variant=vid(1), assertions=(9, 10), statuses=("passed", "failed")),
        result(2, variant=vid(2), assertions=(10, 10), statuses=("passed",)),
        result(2, variant=vid(3), error="the server did not answer within 30 s"),
    ]
    objects = [Evaluation.from_data(d) for d in data]
    assert decay_report(objects) == decay_report(data)
    assert decay_report(objects).rows[0].a_rate == 0.0


def test_attempts_without_a_backend_have_no_assertion_rates() -> None:
    """Results with no backend run count, but their A% and Raw A% are None ('-' in Markdown)."""
    report = decay_report([result(1, assertions=None, statuses=("passed",))])
    row = report.rows[0]
    assert (row.attempts, row.scored, row.a_rate, row.raw_a_rate) == (1, 0, None, None)
    assert row.pass_at_k(1) == 1.0
    assert row.adherence == 1.0
    assert "| 1 | 1 | 1 | 0 | - | - | 100.0 | 100.0 ± 0.0 |" in report.to_markdown()


def test_errors_are_counted_and_listed_but_take_no_part_in_rates() -> None:
    """An attempt with an error counts in attempts and errors, is listed, and is in no rate."""
    results = [
        result(1, variant=vid(1), assertions=(10, 10)),
        result(1, variant=vid(1), attempt=2, error="the server did not start: exit status 1"),
        result(2, variant=vid(2), error="the server did not answer within 30 s"),
    ]
    report = decay_report(results)
    one, two = report.rows
    assert (one.attempts, one.errors, one.evaluated, one.a_rate, one.pass_at_k(1)) == (2, 1, 1, 1.0, 1.0)
    assert (two.attempts, two.errors, two.scored, two.a_rate, two.pass_at_k(1), two.adherence) == (
        1,
        1,
        0,
        None,
        None,
        None,
    )
    assert [(a.variant_id, a.attempt, a.error) for a in report.error_attempts] == [
        (vid(1), 2, "the server did not start: exit status 1"),
        (vid(2), 1, "the server did not answer within 30 s"),
    ]
    assert report.overall.errors == 2
    assert "3 attempts of 2 variants by depth, 2 could not be evaluated" in report.to_markdown()
    assert "2 attempts with an error: counted, but in no rate" in report.to_markdown()


def test_pass_at_k_averages_the_unbiased_estimate_over_variants() -> None:
    """With several attempts per variant: pass@k per variant, then the mean over variants."""
    outcomes = {vid(1): [True, False, False, False], vid(2): [True, True, False, False]}
    results = [
        result(1, variant=variant, attempt=i + 1, assertions=(10, 10) if ok else (9, 10))
        for variant, runs in outcomes.items()
        for i, ok in enumerate(runs)
    ]
    report = decay_report(results)
    assert report.k == (1, 4)  # the fewest attempts of any variant
    row = report.rows[0]
    assert row.pass_at_k(1) == pytest.approx((1 / 4 + 2 / 4) / 2)
    assert row.pass_at_k(4) == 1.0
    two = decay_report(results, k=2).rows[0]
    assert two.pass_at == ((2, pytest.approx((pass_at_k(4, 1, 2) + pass_at_k(4, 2, 2)) / 2)),)
    with pytest.raises(ReportError, match="not 3"):
        two.pass_at_k(3)


def test_pass_at_k_leaves_out_variants_with_fewer_attempts() -> None:
    """A variant with fewer than k evaluated attempts is not in pass@k; None when no variant has k."""
    results = [
        result(1, variant=vid(1), attempt=1),
        result(1, variant=vid(1), attempt=2, assertions=(0, 10)),
        result(1, variant=vid(2), attempt=1, assertions=(0, 10)),
    ]
    report = decay_report(results, k=[1, 2, 5])
    assert report.k == (1, 2, 5)
    assert decay_report(results).k == (1,)  # one variant has a single attempt
    assert report.rows[0].pass_at == ((1, pytest.approx(0.25)), (2, 1.0), (5, None))
    with pytest.raises(ReportError, match="k must be"):
        decay_report(results, k=0)
    with pytest.raises(ReportError, match="k must be"):
        decay_report(results, k=[])


def test_results_without_variant_ids_are_variants_by_stack_and_target() -> None:
    """Without variant ids, attempts of the same task, stack and target are one variant."""
    results = [result(1, attempt=1), result(1, attempt=2, assertions=(0, 1)), result(1, framework="koa")]
    row = decay_report(results).rows[0]
    assert row.variants == 2
    assert row.pass_at_k(1) == pytest.approx((0.5 + 1.0) / 2)


def test_malformed_results_report_every_problem_with_its_place() -> None:
    """Each malformed field is a Problem with a pointer into the results; all are reported at once."""
    bad = result(1) | {"depth": "one", "passed": None}
    wrong_layers = result(2) | {"layers": ["architecture"]}
    with pytest.raises(cdspec.LoadError) as caught:
        decay_report([result(1), bad, wrong_layers, 7])
    assert [(p.pointer, p.message) for p in caught.value.problems] == [
        ("/1/depth", "expected the depth, an integer from 0"),
        ("/1/passed", "expected true or false"),
        ("/2/layers", "1 layers in force at depth 2"),
        ("/3", "expected a result object, got int"),
    ]


def test_an_attempt_recorded_twice_is_refused() -> None:
    """The same variant and attempt number twice would count one attempt twice: a LoadError says where."""
    with pytest.raises(
        cdspec.LoadError, match=r"/2/attempt: variant 0+1 attempt 1 is recorded twice \(results 1 and 3\)"
    ):
        decay_report([result(1, variant=vid(1)), result(1, variant=vid(1), attempt=2), result(1, variant=vid(1))])


def test_a_results_file_is_read_with_cdspec_evaluate(tmp_path: Path) -> None:
    """A path is read by cdspec.evaluate.load_results; its problems name the file and line."""
    path = tmp_path / "results.jsonl"
    records = [result(1, variant=vid(1)), result(2, variant=vid(2), assertions=(3, 4))]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert decay_report(path) == decay_report(records) == decay_report(str(path))
    path.write_text(json.dumps(records[0] | {"a_rate": 0.5}) + "\n", encoding="utf-8")
    with pytest.raises(cdspec.LoadError, match=r"results.jsonl:1: /a_rate"):
        decay_report(path)


# --------------------------------------------------------------------------- the manifest


@pytest.fixture(scope="module")
def made() -> cdspec.Variants:
    """Variants of the library task at depths 0 to 2, for flask and koa, verbatim and summarised."""
    task = cdspec.load_task(ROOT / "examples" / "library" / "task.yaml")
    return cdspec.variants(
        task,
        plans.product(
            plans.depths(max=2),
            plans.targets([("python", "flask"), ("javascript", "koa")]),
            plans.contracts(["verbatim", "summary"]),
        ),
    )


def from_variant(variant: cdspec.Variant, *, attempt: int = 1, passed: int = 10) -> dict[str, Any]:
    p = variant.provenance
    return result(
        p.depth,
        variant=variant.id,
        attempt=attempt,
        layers=p.layers,
        framework=p.target.framework,
        language=p.target.language,
        assertions=(passed, 10),
    )


def test_the_manifest_adds_what_to_group_by(made: cdspec.Variants, tmp_path: Path) -> None:
    """Joined with a manifest (Variants, rows, JSONL or CSV), results group by contract style too."""
    results = [from_variant(v, passed=10 if v.provenance.contract == "verbatim" else 6) for v in made]
    (tmp_path / "m.jsonl").write_text(cdspec.dump_manifest(made), encoding="utf-8")
    (tmp_path / "m.csv").write_text(cdspec.dump_manifest(made, format="csv"), encoding="utf-8")
    report = decay_report(results, manifest=made, by="contract")
    assert [(row.key["contract"], row.attempts, row.a_rate) for row in report.rows] == [
        ("summary", 6, pytest.approx(0.6)),
        ("verbatim", 6, 1.0),
    ]
    for manifest in (made.manifest(), tmp_path / "m.jsonl", str(tmp_path / "m.csv")):
        assert decay_report(results, manifest=manifest, by="contract") == report
    assert {a.template for a in report.attempts} == {"default"}
    with pytest.raises(ReportError, match="grouping by contract needs a variants manifest"):
        decay_report(results, by="contract")


def test_the_manifest_join_refuses_unknown_and_disagreeing_variants(made: cdspec.Variants) -> None:
    """A result whose variant is not in the manifest, or disagrees with it, is a problem naming the field."""
    good = from_variant(made[0])
    lying = from_variant(made[1]) | {"target": {"language": "python", "framework": "django"}}
    unknown = from_variant(made[2]) | {"variant_id": vid(7)}
    with pytest.raises(cdspec.LoadError) as caught:
        decay_report([good, lying, unknown], manifest=made)
    assert [str(p) for p in caught.value.problems] == [
        '<results>: /1/target/framework: framework is "django", but the manifest <manifest> says "flask"',
        f"<results>: /2/variant_id: variant {vid(7)} is not in the manifest <manifest>",
    ]


def test_a_broken_manifest_file_names_the_line(made: cdspec.Variants, tmp_path: Path) -> None:
    """A manifest CSV row that is not a manifest row is reported with the file and line."""
    lines = cdspec.dump_manifest(made, format="csv").splitlines()
    lines[2] = lines[2].replace(",flask,", ",,", 1).replace(",koa,", ",,", 1)
    path = tmp_path / "manifest.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(cdspec.LoadError, match=r"manifest.csv:3: /framework: expected at least 1 character"):
        decay_report([from_variant(made[0])], manifest=path)
    with pytest.raises(cdspec.LoadError, match="no such file"):
        decay_report([], manifest=tmp_path / "missing.jsonl")


# --------------------------------------------------------------------------- formats


def two_frameworks() -> list[dict[str, Any]]:
    """Two attempts per variant at depths 0 to 2 for flask and koa (koa decays), and one error."""
    results = [
        result(
            depth, variant=vid(10 * depth + i), attempt=attempt, framework=framework, assertions=(10 - depth * i, 10)
        )
        for depth in range(3)
        for i, framework in enumerate(["flask", "koa"])
        for attempt in (1, 2)
    ]
    return [*results, result(1, variant=vid(99), error="the server did not start | exit 1")]


@pytest.fixture
def report() -> DecayReport:
    return decay_report(two_frameworks(), by="depth,framework")


def test_csv_parses_back_to_the_rows(report: DecayReport) -> None:
    """The CSV has the columns of the report and, parsed back, the rows' counts and rounded rates."""
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert list(rows[0]) == [
        "depth", "framework", "attempts", "variants", "errors", "scored", "checked",
        "a_rate", "a_rate_se", "raw_a_rate", "raw_a_rate_se", "pass@1", "pass@1_se", "pass@2", "pass@2_se",
        "adherence", "adherence_se",
    ]  # fmt: skip
    assert len(rows) == len(report.rows)
    for parsed, row in zip(rows, report.rows, strict=True):
        assert (int(parsed["depth"]), parsed["framework"]) == (row.key["depth"], row.key["framework"])
        assert (int(parsed["attempts"]), int(parsed["errors"]), int(parsed["variants"])) == (
            row.attempts,
            row.errors,
            row.variants,
        )
        assert float(parsed["a_rate"]) == round(row.a_rate or 0, 4)
        assert float(parsed["pass@2"]) == round(row.pass_at_k(2) or 0, 4)
        assert parsed["adherence"] == ""  # no constraint was checked


def test_json_is_valid_against_the_decay_schema(report: DecayReport) -> None:
    """to_json() is valid against schemas/decay.schema.json and lists the error attempts."""
    data = json.loads(report.to_json())
    assert schema_problems(schema("decay"), data) == []
    Draft202012Validator(json.loads((ROOT / "schemas" / "decay.schema.json").read_text(encoding="utf-8"))).validate(
        data
    )
    assert data["by"] == ["depth", "framework"]
    assert data["k"] == [1, 2]
    assert data["rows"][0]["key"] == {"depth": 0, "framework": "flask"}
    assert data["error_attempts"] == [
        {
            "task_id": "library",
            "variant_id": vid(99),
            "attempt": 1,
            "labels": {},
            "error": "the server did not start | exit 1",
        }
    ]
    layered = decay_report([result(2)], by="layers").to_data()
    assert layered["rows"][0]["key"] == {"layers": ["architecture", "sqlite"]}
    assert schema_problems(schema("decay"), layered) == []


def test_output_is_deterministic_and_rounded(report: DecayReport) -> None:
    """The same attempts give the same bytes; JSON and CSV rates have four decimals, Markdown one in percent."""
    again = decay_report(two_frameworks(), by="depth,framework")
    assert (again.to_json(), again.to_csv(), again.to_markdown()) == (
        report.to_json(),
        report.to_csv(),
        report.to_markdown(),
    )
    values = [v for row in report.to_data()["rows"] for v in (row["a_rate"], row["raw_a_rate"]) if v is not None]
    assert all(round(v, 4) == v for v in values)
    assert "| 2 | koa | 2 | 1 | 0 | 80.0 ± 0.0 | 80.0 ± 0.0 | 0.0 | 0.0 | - |" in report.to_markdown()


def test_markdown_and_html_for_notebooks(report: DecayReport) -> None:
    """A notebook shows the table: Markdown with aligned numbers, HTML with everything escaped."""
    markdown = report._repr_markdown_()
    assert markdown == str(report) == report.to_markdown()
    lines = markdown.splitlines()
    assert lines[0] == "**Decay report**: 13 attempts of 7 variants by depth, framework, 1 could not be evaluated."
    assert lines[2] == (
        "| depth | framework | attempts | variants | errors | A% | Raw A% | pass@1 | pass@2 | adherence |"
    )
    assert lines[3] == "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    page = report._repr_html_()
    assert page.startswith("<table><caption>13 attempts of 7 variants")
    assert page.count("<tr>") == len(report.rows) + 1
    escaped = decay_report([result(1, framework="<b>&")], by="framework")._repr_html_()
    assert "<td>&lt;b&gt;&amp;</td>" in escaped
    piped = decay_report([result(1, framework="a|b")], by="framework").to_markdown()
    assert "| a\\|b |" in piped


def test_an_empty_report_has_no_rows() -> None:
    """No results: no rows, zero counts, and every format still valid."""
    empty = decay_report([])
    assert empty.rows == ()
    assert empty.k == (1,)
    assert empty.overall.attempts == 0
    assert schema_problems(schema("decay"), empty.to_data()) == []
    assert empty.to_csv() == (
        "depth,attempts,variants,errors,scored,checked,a_rate,a_rate_se,raw_a_rate,raw_a_rate_se,"
        "pass@1,pass@1_se,adherence,adherence_se\n"
    )


# --------------------------------------------------------------------------- the plot


def test_plot_returns_a_figure_and_writes_png(report: DecayReport, tmp_path: Path) -> None:
    """plot() gives a matplotlib Figure (A% solid, Raw A% dashed, per framework, with SE bands) and writes a PNG."""
    from matplotlib.figure import Figure

    figure = report.plot(tmp_path / "decay.png")
    assert isinstance(figure, Figure)
    lines = figure.axes[0].get_lines()
    assert [(line.get_label(), line.get_linestyle()) for line in lines] == [
        ("flask A%", "-"),
        ("flask Raw A%", "--"),
        ("koa A%", "-"),
        ("koa Raw A%", "--"),
    ]
    assert len(figure.axes[0].collections) == 4  # a band of ± one standard error under each line
    assert list(lines[2].get_xdata()) == [0, 1, 2]
    assert list(lines[2].get_ydata()) == pytest.approx([100.0, 90.0, 80.0])
    assert (tmp_path / "decay.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_svg_is_the_same_bytes_every_time(report: DecayReport, tmp_path: Path) -> None:
    """Two SVGs of the same report are byte-for-byte equal (fixed hash salt, no date)."""
    report.plot(tmp_path / "one.svg")
    report.regroup("framework").plot(tmp_path / "two.svg")
    one = (tmp_path / "one.svg").read_bytes()
    assert one.startswith(b"<?xml")
    assert b"<svg" in one
    assert one == (tmp_path / "two.svg").read_bytes()
    assert b"<dc:date>" not in one


def test_plot_format_is_png_or_svg(report: DecayReport, tmp_path: Path) -> None:
    """A plot path that is not .png or .svg is refused; format= overrides the suffix."""
    with pytest.raises(ReportError, match="png or svg, not 'gif'"):
        report.plot(tmp_path / "decay.gif")
    report.plot(tmp_path / "decay.out", format="svg")
    assert b"<svg" in (tmp_path / "decay.out").read_bytes()


def test_plot_without_rates_says_so(tmp_path: Path) -> None:
    """Results with no assertion rates still plot, with a note instead of lines."""
    figure = decay_report([result(1, assertions=None)]).plot()
    assert figure.axes[0].get_lines() == []
    assert [t.get_text() for t in figure.axes[0].texts] == ["no assertion rates to plot"]


def test_missing_plot_extra_says_how_to_install(report: DecayReport, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without matplotlib, plot() raises a CdspecError that names the extra to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(cdspec.CdspecError, match=r"pip install 'cdspec\[plot\]'"):
        report.plot()


def test_in_ipython_the_figure_displays_as_png(report: DecayReport, monkeypatch: pytest.MonkeyPatch) -> None:
    """In an IPython shell without pyplot, plot() registers a PNG formatter for figures (once)."""

    class Formatter:
        def __init__(self) -> None:
            self.printers: dict[type, Any] = {}

        def lookup_by_type(self, kind: type) -> Any:
            return self.printers[kind]

        def for_type(self, kind: type, printer: Any) -> None:
            self.printers[kind] = printer

    png = Formatter()
    shell = types.SimpleNamespace(display_formatter=types.SimpleNamespace(formatters={"image/png": png}))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    figure = report.plot()
    (printer,) = png.printers.values()
    assert printer(figure)[:8] == b"\x89PNG\r\n\x1a\n"
    report.plot()
    assert len(png.printers) == 1


def test_import_cdspec_does_not_import_matplotlib() -> None:
    """The report is part of cdspec's API, but matplotlib is imported only to draw."""
    code = "import sys, cdspec; cdspec.decay_report([]); print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- labels and the study's tables


FRAMEWORKS8 = ("aiohttp", "django", "express", "fastapi", "fastify", "flask", "hono", "koa")


def study_results() -> list[dict[str, Any]]:
    """Two models, two layers (a, s) in every combination, two frameworks, two attempts each.

    Model m1 loses 20 points of A% with ``sqlite`` (a broken constraint on one
    attempt of two) and nothing with ``architecture``; m2 loses everything
    with ``architecture``.
    """
    records = []
    for model in ("m1", "m2"):
        for framework in ("flask", "koa"):
            for layers in ((), ("architecture",), ("sqlite",), ("architecture", "sqlite")):
                variant = f"{model}-{framework}-{'+'.join(layers)}"
                for attempt in (1, 2):
                    failed = (model == "m1" and "sqlite" in layers and attempt == 1) or (
                        model == "m2" and "architecture" in layers
                    )
                    statuses = tuple("failed" if failed and i == 0 else "passed" for i in range(len(layers)))
                    records.append(
                        result(
                            len(layers),
                            layers=layers,
                            variant=variant,
                            attempt=attempt,
                            framework=framework,
                            assertions=(8, 10) if failed else (10, 10),
                            statuses=statuses,
                            labels={"model": model},
                        )
                    )
    return records


def test_labels_group_like_any_key_and_keep_two_models_apart() -> None:
    """--by model groups by the label; the same variant id and attempt under two models is no duplicate."""
    same = [result(1, variant=vid(1), labels={"model": m}) for m in ("a", "b")]
    report = decay_report(same, by="model")
    assert [row.key["model"] for row in report.rows] == ["a", "b"]
    assert report.overall.variants == 2  # one prompt, two models: two cells, each with its own pass@k
    with pytest.raises(cdspec.LoadError, match=r"variant 0000000000000001 attempt 1 model=a is recorded twice"):
        decay_report([*same, same[0]])
    unlabelled = decay_report([*same, result(1, variant=vid(2))], by="model")
    assert [row.key["model"] for row in unlabelled.rows] == ["a", "b", None]  # '-' in the table
    assert "| - | 1 |" in unlabelled.to_markdown()
    assert decay_report(same, by="variant").rows[0].attempts == 1


def test_standard_errors_are_those_of_the_attempts() -> None:
    """SE of a mean rate: sample standard deviation / sqrt(n); none for a single value."""
    rows = decay_report([result(1, variant=vid(i), assertions=(p, 10)) for i, p in enumerate((6, 8, 10))]).rows
    assert rows[0].a_rate == pytest.approx(0.8)
    assert rows[0].se["a_rate"] == pytest.approx(0.2 / math.sqrt(3))
    assert rows[0].se["pass@1"] == pytest.approx(math.sqrt(1 / 3) / math.sqrt(3))  # passes 0, 0, 1
    assert decay_report([result(1)]).rows[0].se["a_rate"] is None


def test_marginal_effects_come_from_matched_pairs() -> None:
    """Table 2a: per model and layer, the mean change over pairs differing by that layer only, with its SEM."""
    effects = decay_report(study_results()).effects(by="model")
    got = {(row["model"], row["layer"]): (row["pairs"], row["effect"], row["sem"]) for row in effects.rows}
    # m1: sqlite halves... one attempt of two breaks it: its variant mean A% drops from 1.0 to 0.5.
    assert got[("m1", "sqlite")] == (4, pytest.approx(-0.5), pytest.approx(0.0))
    assert got[("m1", "architecture")] == (4, pytest.approx(0.0), pytest.approx(0.0))
    # m2: architecture zeroes A%; sqlite changes nothing (the pairs with and without it agree).
    assert got[("m2", "architecture")] == (4, pytest.approx(-1.0), pytest.approx(0.0))
    assert got[("m2", "sqlite")] == (4, pytest.approx(0.0), pytest.approx(0.0))
    assert [row["layer"] for row in effects.rows][:2] == ["architecture", "sqlite"]  # stack order
    assert "| m1 | sqlite | 4 | -50.0 ± 0.0 |" in effects.to_markdown()
    raw = decay_report(study_results()).effects("raw_a_rate", by="model")
    assert {(r["model"], r["layer"]): r["effect"] for r in raw.rows}[("m1", "sqlite")] == pytest.approx(-0.1)
    pooled = decay_report(study_results()).effects()  # models together: m1's and m2's pairs, 8 per layer
    assert {row["layer"]: row["pairs"] for row in pooled.rows} == {"architecture": 8, "sqlite": 8}
    with pytest.raises(ReportError, match="effects compare layer sets"):
        decay_report(study_results()).effects(by="depth")
    with pytest.raises(ReportError, match="no rate 'strict_rate'"):
        decay_report(study_results()).effects("strict_rate")


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 10)), min_size=1, max_size=12))
def test_an_effect_is_the_mean_of_its_pairs_differences(attempts: list[tuple[bool, bool, int]]) -> None:
    """Whatever the attempts, each effect equals the mean over its pairs of (mean with) - (mean without)."""
    records = []
    for number, (architecture, sqlite, passed) in enumerate(attempts, 1):
        layers = tuple(name for name, on in (("architecture", architecture), ("sqlite", sqlite)) if on)
        records.append(result(len(layers), layers=layers, attempt=number, variant="+".join(layers) or "none"))
        records[-1]["assertions"] = {"passed": passed, "total": 10}
        records[-1]["a_rate"] = records[-1]["raw_a_rate"] = passed / 10
    means: dict[frozenset[str], list[float]] = {}
    for record in records:
        means.setdefault(frozenset(record["layers"]), []).append(record["a_rate"])
    average = {layers: sum(values) / len(values) for layers, values in means.items()}
    expected = {}
    for layer in ("architecture", "sqlite"):
        diffs = [average[s] - average[s - {layer}] for s in average if layer in s and s - {layer} in average]
        if diffs:
            expected[layer] = (len(diffs), sum(diffs) / len(diffs))
    rows = decay_report(records).effects().rows
    assert {row["layer"]: (row["pairs"], pytest.approx(row["effect"])) for row in rows} == expected


def test_ranking_and_delta() -> None:
    """ranking() sorts groups by mean rate, best first; delta() is end minus start with the combined SE."""
    report = decay_report(study_results(), by="depth,model")
    ranking = report.ranking("model")
    assert [(row["rank"], row["model"]) for row in ranking.rows] == [(1, "m1"), (2, "m2")]
    delta = report.delta(0, 2, by="model")
    got = {row["model"]: (row["d0"], row["d2"], row["delta"]) for row in delta.rows}
    assert got == {"m1": (1.0, 0.5, -0.5), "m2": (1.0, 0.0, -1.0)}
    m1 = next(row for row in delta.rows if row["model"] == "m1")
    assert m1["delta_se"] == pytest.approx(math.hypot(m1["d0_se"], m1["d2_se"]))
    assert [c.name for c in delta.columns][:2] == ["model", "d0"]
    with pytest.raises(ReportError, match=r"delta needs attempts at depths 0 and 5; the results have \[0, 1, 2\]"):
        report.delta(0, 5)


def test_tables_in_every_format() -> None:
    """Markdown, CSV, JSON, LaTeX (escaped, booktabs) and pandas give the same rows."""
    import pandas

    report = decay_report([*study_results(), result(1, framework="a_b&c", labels={"model": "x%"})], by="depth,model")
    latex = report.to_latex()
    assert latex.splitlines()[1].startswith("\\begin{tabular}{ll")
    assert "x\\%" in latex
    assert "\\bottomrule" in latex
    assert "$\\pm$" in latex
    assert "a\\_b\\&c" in report.ranking("framework").to_latex()
    frame = report.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == list(csv.DictReader(io.StringIO(report.to_csv())).fieldnames or [])
    assert frame["a_rate"].tolist() == [round(row.a_rate, 4) for row in report.rows if row.a_rate is not None]
    effects = report.effects(by="model")
    data = json.loads(effects.to_json())
    assert data["columns"] == ["model", "layer", "pairs", "effect", "sem"]
    assert len(data["rows"]) == len(effects.rows)
    assert effects.to_pandas().shape == (len(effects.rows), 5)
    assert "<caption>" in effects._repr_html_()


def test_to_pandas_without_pandas_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas, to_pandas() raises a ReportError naming the extra."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ReportError, match=r"pip install 'cdspec\[pandas\]'"):
        decay_report([result(1)]).to_pandas()


def test_plot_follows_by_and_gives_eight_frameworks_a_panel_each(tmp_path: Path) -> None:
    """Series are the groups of --by; at 8 frameworks each gets a panel (shared axes), each with its bands."""
    records = [
        result(depth, variant=f"{framework}{depth}", attempt=attempt, framework=framework,
               assertions=(max(0, 10 - depth * (i % 4) - attempt), 10))
        for i, framework in enumerate(FRAMEWORKS8)
        for depth in range(4)
        for attempt in (1, 2, 3)
    ]  # fmt: skip
    report = decay_report(records, by="depth,framework")
    figure = report.plot(tmp_path / "frameworks.png")
    shown = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_title() for axes in shown] == list(FRAMEWORKS8)
    assert all(len(axes.get_lines()) == 2 and len(axes.collections) == 2 for axes in shown)
    assert (tmp_path / "frameworks.png").read_bytes()[:4] == b"\x89PNG"
    by_model = decay_report(study_results(), by="depth,model").plot()
    assert [line.get_label() for line in by_model.axes[0].get_lines()] == ["m1 A%", "m1 Raw A%", "m2 A%", "m2 Raw A%"]
    legend = by_model.axes[0].get_legend()
    assert legend is not None
    assert legend.get_bbox_to_anchor().x0 > by_model.axes[0].get_window_extent().x1 - 1
    single = decay_report(study_results()).plot()
    assert [line.get_label() for line in single.axes[0].get_lines()] == ["A%", "Raw A%"]


def test_an_effect_pairs_variants_whose_other_layers_keep_their_order() -> None:
    """With orders varied (a permutations plan), (a, s) pairs with (s) and (a), never with another order."""
    records = [
        result(2, layers=("architecture", "sqlite"), variant="as", assertions=(6, 10)),
        result(2, layers=("sqlite", "architecture"), variant="sa", assertions=(2, 10)),
        result(1, layers=("sqlite",), variant="s", assertions=(10, 10)),
        result(1, layers=("architecture",), variant="a", assertions=(8, 10)),
    ]
    rows = {row["layer"]: row for row in decay_report(records).effects().rows}
    # architecture added on top of sqlite: as - s and sa - s; sqlite added to architecture: as - a, sa - a.
    assert rows["architecture"]["pairs"] == 2
    assert rows["architecture"]["effect"] == pytest.approx(((0.6 - 1.0) + (0.2 - 1.0)) / 2)
    assert rows["sqlite"]["effect"] == pytest.approx(((0.6 - 0.8) + (0.2 - 0.8)) / 2)
