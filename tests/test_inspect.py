"""The Inspect AI integration: variants as a dataset, the verifiers as a scorer, with a mock model.

No network: the model is Inspect's ``mockllm`` with custom outputs (usage
set, so it counts no tokens with a downloaded tokenizer). Its "agent" is a
solver that writes the files of the model's answer (a JSON object, path to
text) into the sample's ``local`` sandbox; the scorer must read them back
and score them as :func:`cdspec.verify` does on the same files.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import math
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

inspect_ai = pytest.importorskip("inspect_ai", reason="the 'inspect' extra is not installed")

from inspect_ai import Task as InspectTask  # noqa: E402 (after the importorskip)
from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.log import EvalLog, write_eval_log  # noqa: E402
from inspect_ai.model import ChatMessage, ChatMessageSystem, ModelOutput, ModelUsage, get_model  # noqa: E402
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver  # noqa: E402
from inspect_ai.util import sandbox  # noqa: E402

import cdspec  # noqa: E402
from cdspec import plans  # noqa: E402
from cdspec.cases import generate_cases  # noqa: E402
from cdspec.evaluate import Evaluation, evaluate  # noqa: E402
from cdspec.integrations.inspect_ai import SCORES, dataset, evaluation_scorer, task_for_sample  # noqa: E402
from cdspec.integrations.inspect_log import is_inspect_log, results_from_log  # noqa: E402

# Not ours to fix: Inspect's retry settings use a tenacity argument that newer tenacity deprecates, and
# an eval leaves an anyio stream of Inspect's unclosed (collected in _run, so it surfaces in these tests).
pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <function MemoryObjectReceiveStream:pytest.PytestUnraisableExceptionWarning"
    ),
]

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "library"
REFERENCE = LIBRARY / "reference"

RAW_SQL = '''

def _count_books(session):
    """Breaks the ORM layer's rules on purpose."""
    from sqlalchemy import text

    return session.execute(text("SELECT COUNT(*) FROM books")).scalar()
'''


def _project(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _broken() -> dict[str, str]:
    """The reference with a raw SQL query in a service (the ORM layer allows neither)."""
    files = _project(REFERENCE)
    files["app/services/catalog.py"] += RAW_SQL
    return files


@pytest.fixture(scope="module")
def library() -> cdspec.Task:
    return cdspec.load_task(LIBRARY / "task.yaml")


@pytest.fixture(scope="module")
def variants(library: cdspec.Task) -> cdspec.Variants:
    """Depth 2 (architecture, sqlite) and depth 3 (plus orm) of the library task."""
    return cdspec.variants(library, plans.depths(min=2, max=3))


@solver
def write_answer_files() -> Solver:
    """Write the files of the model's answer (JSON: path -> text) into the sandbox, as an agent would."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        for path, text in json.loads(state.output.completion).items():
            await sandbox().write_file(path, text)
        return state

    return solve


def _answers(by_prompt: Mapping[str, dict[str, str]]) -> Callable[..., ModelOutput]:
    """A mock model that answers each prompt (by its last message) with the files chosen for it."""

    def answer(messages: list[ChatMessage], *args: Any) -> ModelOutput:
        output = ModelOutput.from_content("mockllm/model", json.dumps(by_prompt[messages[-1].text]))
        output.usage = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)
        return output

    return answer


def _run(task: InspectTask, answers: Mapping[str, dict[str, str]], log_dir: Path) -> EvalLog:
    model = get_model("mockllm/model", custom_outputs=_answers(answers))
    (log,) = inspect_eval(task, model=model, log_dir=str(log_dir), display="none", sandbox="local")
    gc.collect()  # Inspect's unclosed stream warns here, under this module's filter, not in a later test
    assert log.status == "success", log.error
    return log


def test_dataset_has_one_sample_per_variant_with_its_provenance(variants: cdspec.Variants) -> None:
    """Ids are variant ids, inputs the prompt's messages (or text), metadata the provenance and constraint ids."""
    samples = list(dataset(variants))
    assert [s.id for s in samples] == [v.id for v in variants]
    first, variant = samples[0], variants[0]
    assert isinstance(first.input, list)
    assert isinstance(first.input[0], ChatMessageSystem)
    assert [m.role for m in first.input] == [m["role"] for m in variant.prompt.messages]
    assert first.input[-1].text == variant.prompt.messages[-1]["content"]
    assert first.metadata is not None
    assert first.metadata["provenance"] == variant.provenance.to_data()
    assert first.metadata["constraint_ids"] == list(variant.prompt.constraint_ids)
    assert first.metadata["layers"] == ["architecture", "sqlite"]
    assert first.metadata["depth"] == 2
    assert first.metadata["layer"] == "sqlite"  # the top layer, the one depth 2 added
    json.dumps(first.metadata)  # Inspect logs it

    as_text = list(dataset(variants, input="text"))
    assert [s.input for s in as_text] == [v.prompt.text for v in variants]


@pytest.fixture(scope="module")
def scored(library: cdspec.Task, tmp_path_factory: pytest.TempPathFactory) -> tuple[EvalLog, dict[int, Any]]:
    """One eval, three samples in the local sandbox: the reference at depth 0, raw SQL at 3, nothing at 2.

    The scorer starts each project's server in its sandbox and runs eight
    generated cases against it; the log and each depth's score are shared.
    """
    chosen = [v for v in cdspec.variants(library, plans.depths()) if v.provenance.depth in (0, 2, 3)]
    by_depth = {0: _project(REFERENCE), 3: _broken(), 2: {"README.md": "I could not do it.\n"}}
    answers = {v.prompt.messages[-1]["content"]: by_depth[v.provenance.depth] for v in chosen}
    task = InspectTask(
        dataset=dataset(chosen), solver=[generate(), write_answer_files()], scorer=evaluation_scorer(library, n=8)
    )
    log = _run(task, answers, tmp_path_factory.mktemp("inspect") / "logs")
    assert log.samples is not None
    scores = {
        int(sample.metadata["depth"]): next(iter(sample.scores.values())) for sample in log.samples if sample.scores
    }
    return log, scores


def test_the_scorer_runs_the_cases_against_the_server_in_the_sandbox(
    library: cdspec.Task, scored: tuple[EvalLog, dict[int, Any]]
) -> None:
    """The reference passes every assertion: A% and Raw A% are 1, as `cdspec evaluate` finds on the same files."""
    _, scores = scored
    reference = scores[0]
    assert reference.value == {
        "a_rate": 1.0,
        "raw_a_rate": 1.0,
        "passed": 1.0,
        "adherence": pytest.approx(math.nan, nan_ok=True),
    }
    record = reference.metadata["result"]
    assert record["assertions"]["total"] > 8  # eight cases, several assertions each
    assert record["assertions"]["passed"] == record["assertions"]["total"]
    assert Evaluation.from_data(record).to_data() == record  # a result record as the schema says
    direct = evaluate(library, REFERENCE, depth=0, start=True, cases=generate_cases(library, n=8))
    assert (direct.assertions_passed, direct.assertions_total) == (
        record["assertions"]["passed"],
        record["assertions"]["total"],
    )


def test_a_broken_constraint_zeroes_a_but_not_raw_a(
    library: cdspec.Task, scored: tuple[EvalLog, dict[int, Any]], tmp_path: Path
) -> None:
    """Raw SQL at depth 3 behaves well (Raw A% 1) but breaks the ORM layer (A% 0), as cdspec.verify finds."""
    _, scores = scored
    broken = scores[3]
    assert broken.value["raw_a_rate"] == 1.0
    assert broken.value["a_rate"] == 0.0
    assert broken.value["passed"] == 0.0
    project = tmp_path / "broken"
    for path, text in _broken().items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text, encoding="utf-8")
    direct = cdspec.verify(library.at_depth(3), project)
    counts = direct.counts
    assert broken.value["adherence"] == pytest.approx(counts["passed"] / (counts["passed"] + counts["failed"]))
    assert broken.metadata["result"]["constraints"] == [
        {"id": c.id, "layer": layer.name, "kind": c.kind, "status": c.status.value}
        for layer in direct.layers
        for c in layer.constraints
    ]
    explanation = broken.explanation.splitlines()
    assert "FAILED orm.no-raw-sql (no-raw-sql)" in explanation
    assert any("raw SQL outside `migrations` in `app/services/catalog.py`" in line for line in explanation)


def test_a_project_whose_server_does_not_start_scores_zero_with_its_log(scored: tuple[EvalLog, dict[int, Any]]) -> None:
    """An agent that wrote no server gets A% 0 and Raw A% 0, not a free 1.0; the explanation quotes the server's log."""
    _, scores = scored
    nothing = scores[2]
    assert nothing.value["a_rate"] == 0.0
    assert nothing.value["raw_a_rate"] == 0.0
    assert nothing.value["passed"] == 0.0
    assert "No module named app" in nothing.explanation
    assert nothing.metadata["result"]["error"].startswith("the server exited before answering GET /books")


def test_metrics_are_the_study_rates_by_depth_and_by_layer(scored: tuple[EvalLog, dict[int, Any]]) -> None:
    """One metric group per rate; means by depth and by top layer; depth 0 has no adherence (nothing to keep)."""
    log, _ = scored
    assert log.results is not None
    metrics = {score.name: {k: m.value for k, m in score.metrics.items()} for score in log.results.scores}
    assert set(metrics) == set(SCORES)
    assert metrics["a_rate"]["cdspec/by_depth_0"] == 1.0
    assert metrics["a_rate"]["cdspec/by_depth_3"] == 0.0
    assert metrics["raw_a_rate"]["cdspec/by_depth_3"] == 1.0
    assert metrics["a_rate"]["mean"] == pytest.approx(1 / 3)
    assert metrics["raw_a_rate"]["cdspec/by_layer_none"] == 1.0
    assert metrics["raw_a_rate"]["cdspec/by_layer_orm"] == 1.0
    assert "cdspec/by_depth_0" not in metrics["adherence"]  # scored on what applies: no constraint at depth 0
    assert {"cdspec/by_depth_2", "cdspec/by_depth_3"} <= set(metrics["adherence"])


def test_the_exec_relay_gives_what_the_loopback_gives(library: cdspec.Task, tmp_path: Path) -> None:
    """Through sandbox().exec (the path of Docker and other sandboxes), the reference scores as over the loopback."""
    (variant,) = [v for v in cdspec.variants(library, plans.depths(max=1)) if v.provenance.depth == 1]
    task = InspectTask(
        dataset=dataset([variant]),
        solver=[generate(), write_answer_files()],
        scorer=evaluation_scorer(library, n=3, connect="exec"),
    )
    log = _run(task, {variant.prompt.messages[-1]["content"]: _project(REFERENCE)}, tmp_path / "logs")
    assert log.samples is not None
    (score,) = log.samples[0].scores.values() if log.samples[0].scores else ()
    direct = evaluate(library, REFERENCE, depth=1, start=True, cases=generate_cases(library, n=3))
    record = score.metadata["result"]
    assert record["assertions"] == {"passed": direct.assertions_passed, "total": direct.assertions_total}
    assert score.value["raw_a_rate"] == 1.0


def test_without_a_server_section_only_the_constraints_are_scored(library: cdspec.Task, tmp_path: Path) -> None:
    """A task with no server: section scores adherence; the rates are unscored (NaN), not 1.0."""
    static = attrs.evolve(library, server={})
    (variant,) = list(cdspec.variants(static, plans.depths(min=3, max=3)))
    task = InspectTask(
        dataset=dataset([variant]), solver=[generate(), write_answer_files()], scorer=evaluation_scorer(static)
    )
    log = _run(task, {variant.prompt.messages[-1]["content"]: _broken()}, tmp_path / "logs")
    assert log.samples is not None
    (score,) = log.samples[0].scores.values() if log.samples[0].scores else ()
    assert math.isnan(score.value["a_rate"])
    assert math.isnan(score.value["raw_a_rate"])
    assert 0 < score.value["adherence"] < 1
    assert score.metadata["result"]["assertions"] is None


def test_cdspec_report_reads_the_inspect_log(scored: tuple[EvalLog, dict[int, Any]], tmp_path: Path) -> None:
    """The log converts to result records (epoch = attempt, model label), and `cdspec report LOG` tabulates them."""
    log, scores = scored
    assert is_inspect_log(log.location)
    records = results_from_log(log.location)
    assert sorted(r["depth"] for r in records) == [0, 2, 3]
    assert all(r["attempt"] == 1 and r["labels"] == {"model": "mockllm/model"} for r in records)
    assert {r["depth"]: r["assertions"] for r in records} == {
        depth: score.metadata["result"]["assertions"] for depth, score in scores.items()
    }
    as_json = tmp_path / "log.json"
    write_eval_log(log, str(as_json), format="json")
    assert is_inspect_log(as_json)
    assert results_from_log(as_json) == records
    jsonl = tmp_path / "results.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert not is_inspect_log(jsonl)
    from_log = subprocess.run(
        [sys.executable, "-m", "cdspec", "report", str(log.location), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert from_log.returncode == 0, from_log.stderr
    report = json.loads(from_log.stdout)
    rows = {row["key"]["depth"]: row for row in report["rows"]}
    assert sorted(rows) == [0, 2, 3]
    assert [rows[depth]["attempts"] for depth in (0, 2, 3)] == [1, 1, 1]
    assert rows[0]["adherence"] is None  # nothing to keep at depth 0: no free 1.0
    assert [a["error"].split(";")[0] for a in report["error_attempts"]] == [
        "the server exited before answering GET /books"
    ]


def test_a_log_cdspec_did_not_score_is_a_clear_error(tmp_path: Path) -> None:
    """An Inspect log without cdspec scores, or a damaged one, is a CdspecError naming the file."""
    damaged = tmp_path / "damaged.eval"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(cdspec.CdspecError, match=r"damaged.eval: not a readable Inspect log"):
        results_from_log(damaged)
    result = subprocess.run(
        [sys.executable, "-m", "cdspec", "report", str(damaged)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_task_for_sample_rebuilds_the_stated_task(library: cdspec.Task, variants: cdspec.Variants) -> None:
    """Layers and target come from the metadata; a sample of another task is refused, saying which."""
    metadata = next(iter(dataset(variants))).metadata or {}
    chosen = task_for_sample(library, metadata)
    assert [layer.name for layer in chosen.stack] == ["architecture", "sqlite"]
    assert task_for_sample(library, {"depth": 3}).depth == 3
    assert task_for_sample(library, {}).depth == library.depth
    moved = task_for_sample(library, {"depth": 0, "target": {"language": "javascript", "framework": "express"}})
    assert (moved.target.language, moved.target.framework) == ("javascript", "express")
    with pytest.raises(cdspec.CdspecError, match=r"variant of task 'clinic'.*verifies task 'library'"):
        task_for_sample(library, {"task_id": "clinic"})


def test_the_example_task_builds() -> None:
    """examples/inspect_task.py defines an @task whose dataset is the library task's variants."""
    spec = importlib.util.spec_from_file_location("inspect_task_example", ROOT / "examples" / "inspect_task.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.library_decay()
    assert isinstance(built, InspectTask)
    assert len(built.dataset) == 8
    assert built.dataset[0].metadata["depth"] == 0
    assert built.sandbox is None  # the sandbox is the caller's choice: --sandbox local, docker, ...


def test_the_example_runs_with_the_reference_agent_in_a_local_sandbox(tmp_path: Path) -> None:
    """`inspect eval examples/inspect_task.py -T agent=reference --sandbox local`: A% 1 at depth 0."""
    spec = importlib.util.spec_from_file_location("inspect_task_example", ROOT / "examples" / "inspect_task.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (log,) = inspect_eval(
        module.library_decay(agent="reference"),
        model="mockllm/model",
        sandbox="local",
        limit=1,
        log_dir=str(tmp_path),
        display="none",
    )
    gc.collect()
    assert log.status == "success", log.error
    assert log.results is not None
    metrics = {score.name: {k: m.value for k, m in score.metrics.items()} for score in log.results.scores}
    assert metrics["a_rate"]["cdspec/by_depth_0"] == 1.0
