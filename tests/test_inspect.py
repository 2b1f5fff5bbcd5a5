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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

inspect_ai = pytest.importorskip("inspect_ai", reason="the 'inspect' extra is not installed")

from inspect_ai import Task as InspectTask  # noqa: E402 (after the importorskip)
from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.log import EvalLog  # noqa: E402
from inspect_ai.model import ChatMessage, ChatMessageSystem, ModelOutput, ModelUsage, get_model  # noqa: E402
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver  # noqa: E402
from inspect_ai.util import sandbox  # noqa: E402

import cdspec  # noqa: E402
from cdspec import plans  # noqa: E402
from cdspec.integrations.inspect_ai import dataset, task_for_sample, verifier_scorer  # noqa: E402

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
    json.dumps(first.metadata)  # Inspect logs it

    as_text = list(dataset(variants, input="text"))
    assert [s.input for s in as_text] == [v.prompt.text for v in variants]


def test_the_scorer_verifies_the_constraints_each_sample_stated(
    library: cdspec.Task, variants: cdspec.Variants, tmp_path: Path
) -> None:
    """The reference scores 1.0 at both depths; with raw SQL it still keeps depth 2 but fails the ORM layer's rule."""
    reference, broken = _project(REFERENCE), _broken()
    shallow, deep = variants
    answers = {shallow.prompt.messages[-1]["content"]: broken, deep.prompt.messages[-1]["content"]: reference}
    task = InspectTask(
        dataset=dataset(variants), solver=[generate(), write_answer_files()], scorer=verifier_scorer(library)
    )
    log = _run(task, answers, tmp_path / "logs")

    assert log.samples is not None
    scores = {sample.id: next(iter(sample.scores.values())) for sample in log.samples if sample.scores}
    assert scores[shallow.id].value == 1.0, scores[
        shallow.id
    ].explanation  # raw SQL breaks no rule of architecture + sqlite
    assert scores[deep.id].value == 1.0

    swapped = {shallow.prompt.messages[-1]["content"]: reference, deep.prompt.messages[-1]["content"]: broken}
    log = _run(task, swapped, tmp_path / "logs2")
    assert log.samples is not None
    scores = {sample.id: next(iter(sample.scores.values())) for sample in log.samples if sample.scores}
    broken_score = scores[deep.id]

    # The same verdict as cdspec.verify on the same files.
    project = tmp_path / "broken"
    for path, text in broken.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text, encoding="utf-8")
    direct = cdspec.verify(library.at_depth(3), project)
    counts = direct.counts
    assert counts["failed"] >= 1
    assert broken_score.value == pytest.approx(counts["passed"] / counts["total"])
    assert broken_score.answer == f"{counts['passed']}/{counts['total']} constraints"
    assert broken_score.metadata is not None
    assert broken_score.metadata["constraints"] == {c.id: c.status.value for c in direct.constraints}
    failed = [c.id for c in direct.constraints if c.status is cdspec.Status.FAILED]
    assert failed == ["orm.single-data-path", "orm.no-raw-sql"]
    assert broken_score.explanation is not None
    explanation = broken_score.explanation.splitlines()
    assert explanation[0].startswith("library at depth 3: 5 passed, 2 failed, 0 unchecked of 7 constraints")
    assert "FAILED orm.no-raw-sql (no-raw-sql)" in explanation
    assert any("raw SQL outside `migrations` in `app/services/catalog.py`" in line for line in explanation)
    assert log.results is not None
    assert log.results.scores[0].metrics["mean"].value == pytest.approx((1.0 + broken_score.value) / 2)


def test_an_empty_sandbox_fails_rather_than_passes(
    library: cdspec.Task, variants: cdspec.Variants, tmp_path: Path
) -> None:
    """An agent that wrote nothing keeps no checkable constraint: the score is below 1 and says 0 files were read."""
    deep = variants[1]
    nothing = {"README.md": "I could not do it.\n"}
    task = InspectTask(
        dataset=dataset([deep]), solver=[generate(), write_answer_files()], scorer=verifier_scorer(library)
    )
    log = _run(task, {deep.prompt.messages[-1]["content"]: nothing}, tmp_path / "logs")
    assert log.samples is not None
    (score,) = log.samples[0].scores.values() if log.samples[0].scores else ()
    assert isinstance(score.value, float)
    assert score.value < 1.0
    assert score.explanation is not None
    assert "(1 files read)" in score.explanation


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
