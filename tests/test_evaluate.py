"""Scoring attempts: cdspec.evaluate against the library reference, broken variants and servers that misbehave.

The reference and a broken copy are started as real servers from the task's
``server:`` section (``start=True``); the servers that never come up are tiny
Python scripts, and every test checks that no process is left behind.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cdspec
from cdspec import CdspecError, LoadError
from cdspec._schemas import schema, schema_problems
from cdspec.cases import generate_cases
from cdspec.cases.model import Case
from cdspec.evaluate import (
    ConstraintOutcome,
    Evaluation,
    Job,
    ServerError,
    append_results,
    evaluate,
    evaluate_many,
    load_results,
    patched_copy,
    serve,
)
from cdspec.verify import Status

from .servers import gone as _gone

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "library"
REFERENCE = LIBRARY / "reference"
BROKEN = LIBRARY / "broken" / "create-200-services-import-routes.patch"
RAW_SQL = LIBRARY / "broken" / "raw-sql-availability-ignores-loans.patch"


@pytest.fixture(scope="module")
def task() -> cdspec.Task:
    return cdspec.load_task(LIBRARY / "task.yaml")


@pytest.fixture(scope="module")
def cases(task: cdspec.Task) -> tuple[Case, ...]:
    """Twenty cases: every kind, and enough to cover what the broken copy breaks (the full set runs elsewhere)."""
    return generate_cases(task, n=20, seed=0)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the reference with create answering 200 and a service importing the routes."""
    return patched_copy(REFERENCE, BROKEN.read_text(encoding="utf-8"), tmp_path_factory.mktemp("broken") / "project")


@pytest.fixture(scope="module")
def reference_evaluation(task: cdspec.Task, cases: tuple[Case, ...]) -> Evaluation:
    return evaluate(task, REFERENCE, start=True, cases=cases, variant_id="v-ref", attempt=2)


def _with_server(task: cdspec.Task, **section: object) -> cdspec.Task:
    return attrs.evolve(task, server=section)


# --------------------------------------------------------------------------- the reference and a broken copy


def test_the_reference_started_from_the_task_passes_everything(reference_evaluation: Evaluation) -> None:
    """start=True runs the task's server: section; the reference keeps every constraint and passes every case."""
    evaluation = reference_evaluation
    assert evaluation.error is None
    assert evaluation.assertions_total is not None
    assert evaluation.assertions_total > 150
    assert evaluation.a_rate == evaluation.raw_a_rate == 1.0
    assert evaluation.assertions_deviated == 0
    assert evaluation.passed
    assert (evaluation.variant_id, evaluation.attempt, evaluation.depth) == ("v-ref", 2, 7)
    assert evaluation.layers == ("architecture", "sqlite", "orm", "data_model", "validation", "folder_layout", "tests")
    assert [c.id for c in evaluation.constraints] == [c.id for c in cdspec.load_task(LIBRARY / "task.yaml").constraints]
    assert all(c.status is Status.PASSED for c in evaluation.constraints)
    assert evaluation.layers_outcome["orm"] == {"passed": 3, "failed": 0, "unchecked": 0}
    assert schema_problems(schema("result"), evaluation.to_data()) == []


def test_a_broken_variant_scores_lower_and_a_rate_zero_where_its_constraint_is_in_force(
    task: cdspec.Task, cases: tuple[Case, ...], broken: Path, reference_evaluation: Evaluation
) -> None:
    """The broken copy fails the create cases (lower Raw A%) and import-layering (A% 0 from depth 1, not at 0)."""
    with serve(task, broken) as server:
        full = evaluate(task, broken, base_url=server.base_url, cases=cases, env=dict(server.env))
        bare = evaluate(task, broken, depth=0, base_url=server.base_url, cases=cases, env=dict(server.env))
    assert full.raw_a_rate is not None
    assert reference_evaluation.raw_a_rate is not None
    assert full.raw_a_rate < reference_evaluation.raw_a_rate
    # 200 for 201 is a deviation in form: it counts against A% and is counted apart.
    assert full.assertions_total is not None
    assert full.assertions_passed is not None
    assert 0 < (full.assertions_deviated or 0) <= full.assertions_total - full.assertions_passed
    assert full.failed_constraints == ("architecture.import-layering",)
    assert full.a_rate == 0.0
    assert not full.passed
    assert full.layers_outcome["architecture"] == {"passed": 2, "failed": 1, "unchecked": 0}
    # Contract only: no constraint in force, so A% is Raw A%.
    assert (bare.depth, bare.layers, bare.constraints) == (0, (), ())
    assert bare.raw_a_rate is not None
    assert bare.raw_a_rate < 1.0
    assert bare.a_rate == bare.raw_a_rate
    assert not bare.passed


def test_without_a_backend_only_the_constraints_are_scored(task: cdspec.Task, broken: Path) -> None:
    """No base_url, app or start: the rates are None; passed is decided by the constraints alone."""
    evaluation = evaluate(task, broken, depth=3)
    assert (evaluation.assertions_total, evaluation.a_rate, evaluation.raw_a_rate) == (None, None, None)
    assert evaluation.failed_constraints == ("architecture.import-layering",)
    assert not evaluation.passed
    assert evaluate(task, broken, depth=0).passed
    assert evaluation.to_data()["assertions"] is None


def test_the_second_broken_variant_fails_only_from_the_orm_layer(task: cdspec.Task, tmp_path: Path) -> None:
    """The raw SQL patch applies and breaks orm.no-raw-sql, which is in force from depth 3."""
    project = patched_copy(REFERENCE, RAW_SQL.read_text(encoding="utf-8"), tmp_path / "project")
    assert evaluate(task, project, depth=2).failed_constraints == ()
    assert evaluate(task, project, depth=3).failed_constraints == ("orm.no-raw-sql",)


def test_a_patch_that_does_not_apply_raises_and_leaves_no_copy(tmp_path: Path) -> None:
    """patched_copy is strict (the verifier's diff applier) and removes a half-made copy."""
    diff = "--- a/app/__main__.py\n+++ b/app/__main__.py\n@@ -1,1 +1,1 @@\n-not the first line\n+x\n"
    with pytest.raises(cdspec.DiffError):
        patched_copy(REFERENCE, diff, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


# --------------------------------------------------------------------------- servers that misbehave


def test_a_server_that_exits_at_once_gives_an_error_evaluation(task: cdspec.Task, tmp_path: Path) -> None:
    """Its exit status and log are in the error; no rates; the constraints are still scored."""
    script = "import sys; print('no database configured', flush=True); sys.exit(3)"
    broken_task = _with_server(task, command=["{python}", "-c", script], timeout=20)
    evaluation = evaluate(broken_task, REFERENCE, start=True, cases=())
    assert evaluation.error is not None
    assert "exited with status 3" in evaluation.error
    assert "no database configured" in evaluation.error
    assert (evaluation.a_rate, evaluation.raw_a_rate) == (None, None)
    assert not evaluation.passed
    assert len(evaluation.constraints) == 12
    assert schema_problems(schema("result"), evaluation.to_data()) == []


def test_a_server_that_never_answers_is_stopped_with_its_children(task: cdspec.Task, tmp_path: Path) -> None:
    """It times out, the error quotes its log, and neither it nor a process it started is left running."""
    pids = tmp_path / "pids"
    script = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "print('listening soon', flush=True)\n"
        "time.sleep(600)\n"
    )
    slow_task = _with_server(task, command=["{python}", "-c", script], timeout=1.5)
    evaluation = evaluate(slow_task, REFERENCE, start=True, cases=())
    assert evaluation.error is not None
    assert "did not answer GET / on port" in evaluation.error
    assert "within 1.5 s" in evaluation.error
    assert "listening soon" in evaluation.error
    server_pid, child_pid = map(int, pids.read_text().split())
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)
    assert _gone(child_pid)


def test_the_server_is_stopped_on_keyboard_interrupt(task: cdspec.Task, tmp_path: Path) -> None:
    """Ctrl-C in the block still terminates the server; placeholders and the port variable are filled in."""
    http_task = _with_server(
        task,
        command=["{python}", "-m", "http.server", "{port}", "--bind", "127.0.0.1"],
        port_env="HTTP_PORT",
        env={"SCRATCH": "{tmp}/db.sqlite3", "WHERE": "{project}"},
        health="/",
    )
    with pytest.raises(KeyboardInterrupt), serve(http_task, tmp_path) as server:  # noqa: PT012
        pid = server.pid
        port = server.base_url.rsplit(":", 1)[1]
        assert server.env["HTTP_PORT"] == port
        assert server.env["SCRATCH"].endswith("/db.sqlite3")
        assert Path(server.env["SCRATCH"]).parent.is_dir()
        assert server.env["WHERE"] == str(tmp_path)
        scratch = Path(server.env["SCRATCH"]).parent
        raise KeyboardInterrupt
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not scratch.exists()


def test_a_command_that_does_not_exist_is_an_error_evaluation(task: cdspec.Task) -> None:
    """A program that cannot be run is an attempt that could not be evaluated, not a crash."""
    evaluation = evaluate(_with_server(task, command=["no-such-program-cdspec"]), REFERENCE, start=True, cases=())
    assert evaluation.error is not None
    assert evaluation.error.startswith("cannot run 'no-such-program-cdspec'")


def test_serve_raises_server_error_and_bad_sections_raise_cdspec_errors(task: cdspec.Task, tmp_path: Path) -> None:
    """serve() itself raises; a task without server:, an unknown placeholder and two backends are bad input."""
    with (
        pytest.raises(ServerError, match="exited with status 0"),
        serve(_with_server(task, command=[sys.executable, "-c", "pass"]), tmp_path),
    ):
        pass  # pragma: no cover - never reached
    bare = attrs.evolve(task, server={})
    with pytest.raises(CdspecError, match="has no server: section"):
        evaluate(bare, REFERENCE, start=True, cases=())
    with pytest.raises(CdspecError, match=r"unknown placeholder \{host\} \(known: \{port\}"):
        evaluate(_with_server(task, command=["{python}", "{host}"]), REFERENCE, start=True, cases=())
    with pytest.raises(LoadError, match="/server/command: expected at least 1 item"):
        evaluate(_with_server(task, command=[]), REFERENCE, start=True, cases=())
    with pytest.raises(CdspecError, match="at most one backend"):
        evaluate(task, REFERENCE, start=True, base_url="http://127.0.0.1:1")
    with pytest.raises(cdspec.SelectionError):
        evaluate(task, REFERENCE, depth=99)
    with pytest.raises(cdspec.ProjectError):
        evaluate(task, tmp_path / "missing")


def test_the_examples_declare_how_to_start_their_servers() -> None:
    """Both examples with a reference have a server: section whose credentials the cases' $env reads."""
    for example, names in (("library", {"LIBRARIAN_EMAIL"}), ("clinic", {"STAFF_EMAIL"})):
        task = cdspec.load_task(ROOT / "examples" / example / "task.yaml")
        assert task.server["command"] == ["{python}", "-m", "app"]
        assert names <= set(task.server["env"])
        assert task.server["env"]["DATABASE_URL"].startswith("sqlite:///{tmp}/")


# --------------------------------------------------------------------------- results files


def _sample(**changes: object) -> Evaluation:
    fields: dict[str, object] = {
        "task_id": "library",
        "variant_id": "v1",
        "attempt": 1,
        "depth": 2,
        "layers": ("architecture", "sqlite"),
        "target": cdspec.Target("python", "flask"),
        "project": "out/p1",
        "constraints": (
            ConstraintOutcome("architecture.import-layering", "architecture", "import-layering", Status.FAILED),
            ConstraintOutcome("database.sqlite", "sqlite", "database-engine", Status.UNCHECKED),
        ),
        "assertions_passed": 9,
        "assertions_total": 12,
        "seconds": 1.25,
    }
    fields.update(changes)
    return Evaluation(**fields)  # type: ignore[arg-type]


def test_results_round_trip_through_jsonl(tmp_path: Path) -> None:
    """append_results appends lines; load_results gives back equal evaluations in order."""
    path = tmp_path / "results.jsonl"
    first = [_sample(), _sample(attempt=2, assertions_passed=None, assertions_total=None, error="it died")]
    assert append_results(path, first) == 2
    assert append_results(path, [_sample(variant_id=None, constraints=())]) == 1
    loaded = load_results(path)
    assert loaded == (*first, _sample(variant_id=None, constraints=()))
    data = json.loads(path.read_text().splitlines()[0])
    assert (data["a_rate"], data["raw_a_rate"], data["passed"]) == (0.0, 0.75, False)
    assert data["layers_outcome"] == {
        "architecture": {"passed": 0, "failed": 1, "unchecked": 0},
        "sqlite": {"passed": 0, "failed": 0, "unchecked": 1},
    }


outcomes = st.builds(
    ConstraintOutcome,
    st.sampled_from(["a.b", "orm.no-raw-sql"]),
    st.sampled_from(["architecture", "orm"]),
    st.sampled_from(["no-raw-sql", "orm"]),
    st.sampled_from(list(Status)),
)


@st.composite
def evaluations(draw: st.DrawFn) -> Evaluation:
    total = draw(st.none() | st.integers(0, 10_000))
    passed = None if total is None else draw(st.integers(0, total))
    deviated = None if total is None or passed is None else draw(st.none() | st.integers(0, total - passed))
    return Evaluation(
        task_id=draw(st.sampled_from(["library", "clinic"])),
        variant_id=draw(st.none() | st.text(min_size=1, max_size=8)),
        attempt=draw(st.integers(1, 50)),
        depth=draw(st.integers(0, 9)),
        layers=draw(st.lists(st.sampled_from(["architecture", "orm", "tests"]), unique=True)),
        target=cdspec.Target("python", draw(st.sampled_from(["flask", "fastapi"]))),
        project=draw(st.text(max_size=10)),
        constraints=draw(st.lists(outcomes, max_size=4)),
        assertions_passed=passed,
        assertions_total=total,
        assertions_deviated=deviated,
        seconds=draw(st.floats(0, 1e5).map(lambda s: round(s, 3))),
        error=draw(st.none() | st.text(max_size=20)),
    )


@given(evaluations())
def test_to_data_is_valid_and_from_data_inverts_it(evaluation: Evaluation) -> None:
    """Every evaluation's data is valid against the schema and reads back equal."""
    data = evaluation.to_data()
    assert schema_problems(schema("result"), data) == []
    assert Evaluation.from_data(json.loads(json.dumps(data))) == evaluation


def test_more_deviated_than_failed_is_a_bad_line(tmp_path: Path) -> None:
    """A line whose deviations outnumber its failures is reported at its pointer."""
    from cdspec.evaluate import load_results

    data = _sample().to_data()
    data["assertions"] = {"passed": 9, "total": 12, "deviated": 4}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_results(path)
    assert [(p.line, p.pointer, p.message) for p in info.value.problems] == [
        (1, "/assertions/deviated", "more assertions deviated than failed")
    ]


def test_bad_results_files_report_file_line_and_pointer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bad line is reported at once: not JSON, schema violations, rates that disagree with the data."""
    monkeypatch.chdir(tmp_path)
    good = _sample().to_data()
    lying = {**good, "raw_a_rate": 0.5}
    missing = {k: v for k, v in good.items() if k != "depth"}
    wrong_status = json.loads(json.dumps(good))
    wrong_status["constraints"][0]["status"] = "broken"
    lines = [json.dumps(good), "{not json", json.dumps(missing), "", json.dumps(lying), json.dumps(wrong_status)]
    Path("results.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(LoadError) as info:
        load_results("results.jsonl")
    text = str(info.value)
    assert text.startswith("results.jsonl:2: ")
    assert "results.jsonl:3: missing required property 'depth'" in text
    assert "results.jsonl:5: /raw_a_rate: raw_a_rate is 0.5, but the line's data gives 0.75" in text
    assert "results.jsonl:6: /constraints/0/status: expected one of 'passed', 'failed', 'unchecked'" in text
    assert "results.jsonl:1" not in text


def test_unreadable_results_files_raise_load_errors_only(tmp_path: Path) -> None:
    """A missing file, a directory and binary data are LoadErrors naming the file."""
    with pytest.raises(LoadError, match=r"missing\.jsonl"):
        load_results(tmp_path / "missing.jsonl")
    with pytest.raises(LoadError):
        load_results(tmp_path)
    (tmp_path / "binary.jsonl").write_bytes(b"\x00\x01\x02")
    with pytest.raises(LoadError, match="binary"):
        load_results(tmp_path / "binary.jsonl")
    assert load_results(_empty(tmp_path)) == ()
    with pytest.raises(CdspecError, match="cannot write"):
        append_results(tmp_path / "no" / "such" / "dir.jsonl", [_sample()])


def _empty(folder: Path) -> Path:
    (folder / "empty.jsonl").write_text("")
    return folder / "empty.jsonl"


# --------------------------------------------------------------------------- many attempts


@pytest.fixture(scope="module")
def jobs(task: cdspec.Task, broken: Path) -> list[Job]:
    """Two started backends (small case set) and verification-only jobs at several depths."""
    few = generate_cases(task, n=8, seed=1)
    started = [
        Job(task=task, project=project, start=True, cases=few, variant_id="v", attempt=i)
        for i, project in enumerate([REFERENCE, broken], 1)
    ]
    static = [
        Job(task=task, project=project, depth=depth, variant_id=f"d{depth}", attempt=i)
        for depth in (0, 3)
        for i, project in enumerate([REFERENCE, broken], 1)
    ]
    return [*started, *static]


def _comparable(evaluation: Evaluation) -> dict[str, object]:
    data = evaluation.to_data()
    data.pop("seconds")
    return data


def test_evaluate_many_gives_the_same_results_in_the_same_order_with_one_or_two_workers(jobs: list[Job]) -> None:
    one = [_comparable(e) for e in evaluate_many(jobs, workers=1)]
    two = [_comparable(e) for e in evaluate_many(jobs, workers=2)]
    assert one == two
    assert [(e["variant_id"], e["attempt"]) for e in one] == [(j.variant_id, j.attempt) for j in jobs]
    assert one[0]["error"] is None
    assert one[0]["assertions"]["total"] > 0  # type: ignore[index]
    assert one[0]["passed"]
    assert not one[1]["passed"]


def test_evaluate_many_checks_workers() -> None:
    """workers must be a positive integer; no jobs give no evaluations."""
    with pytest.raises(CdspecError, match="workers must be a positive integer"):
        list(evaluate_many([], workers=0))
    assert list(evaluate_many([], workers=3)) == []


def test_evaluate_many_raises_a_jobs_error_when_its_result_is_reached(task: cdspec.Task, tmp_path: Path) -> None:
    """Bad input of one job (a missing project) raises, after the evaluations before it."""
    jobs = [Job(task=task, project=REFERENCE, depth=0), Job(task=task, project=tmp_path / "missing")]
    results: Iterator[Evaluation] = evaluate_many(jobs, workers=1)
    assert next(results).depth == 0
    with pytest.raises(cdspec.ProjectError):
        next(results)


def _old_line(evaluation: Evaluation) -> dict[str, object]:
    """A result line as cdspec wrote it before the rename: a_rate raw, strict_rate enforced, no labels."""
    data = evaluation.to_data()
    old: dict[str, object] = {}
    for key, value in data.items():
        if key == "a_rate":
            old["a_rate"] = data["raw_a_rate"]
            old["strict_rate"] = data["a_rate"]
        elif key not in ("raw_a_rate", "labels"):
            old[key] = value
    return old


def test_old_results_files_are_migrated_to_the_study_terms(tmp_path: Path) -> None:
    """A line with strict_rate (the old name of A%) is read with A% = its strict_rate, Raw A% = its a_rate."""
    path = tmp_path / "old.jsonl"
    broken = _sample()  # a failed constraint: A% 0.0, Raw A% 0.75
    kept = _sample(attempt=2, constraints=())  # none failed: both 0.75
    path.write_text("".join(json.dumps(_old_line(e)) + "\n" for e in (broken, kept)), encoding="utf-8")
    assert json.loads(path.read_text().splitlines()[0])["a_rate"] == 0.75  # the old file's raw rate
    loaded = load_results(path)
    assert loaded == (broken, kept)
    assert [(e.a_rate, e.raw_a_rate) for e in loaded] == [(0.0, 0.75), (0.75, 0.75)]
    report = cdspec.decay_report([_old_line(broken)])
    assert (report.rows[0].a_rate, report.rows[0].raw_a_rate) == (0.0, 0.75)


def test_an_old_line_that_does_not_add_up_or_mixes_names_is_refused(tmp_path: Path) -> None:
    """Migration never guesses: rates that disagree with the data, or both names at once, are errors."""
    path = tmp_path / "old.jsonl"
    swapped = _old_line(_sample()) | {"a_rate": 0.0, "strict_rate": 0.75}  # already in the new sense: wrong
    mixed = _sample().to_data() | {"strict_rate": 0.0}
    path.write_text(json.dumps(swapped) + "\n" + json.dumps(mixed) + "\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_results(path)
    text = str(info.value)
    assert "old.jsonl:1: /a_rate: a_rate is 0.75, but the line's data gives 0.0" in text
    assert "old.jsonl:2: /strict_rate: unexpected property 'strict_rate'" in text
    with pytest.raises(LoadError, match="both strict_rate"):
        cdspec.decay_report([mixed])


def test_labels_are_kept_sorted_and_checked() -> None:
    """Labels are name -> text, stored sorted; a bad one is a CdspecError naming it."""
    labelled = _sample(labels={"run": "2", "model": "gpt-x"})
    assert list(labelled.labels) == ["model", "run"]
    assert labelled.to_data()["labels"] == {"model": "gpt-x", "run": "2"}
    assert Evaluation.from_data(labelled.to_data()) == labelled
    assert "[model=gpt-x run=2]" in labelled.summary()
    with pytest.raises(CdspecError, match="labels must map"):
        _sample(labels={"model": 3})
