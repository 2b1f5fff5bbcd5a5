"""cdspec in Inspect AI: variants as a dataset, static verification as a scorer.

Needs the ``inspect`` extra (``pip install 'cdspec[inspect]'``)::

    from inspect_ai import Task, task
    from inspect_ai.agent import react
    from inspect_ai.tool import bash, text_editor

    import cdspec
    from cdspec import plans
    from cdspec.integrations.inspect_ai import dataset, verifier_scorer

    @task
    def library() -> Task:
        spec = cdspec.load_task("examples/library/task.yaml")
        return Task(
            dataset=dataset(cdspec.variants(spec, plans.depths())),
            solver=react(tools=[bash(), text_editor()]),
            scorer=verifier_scorer(spec),
            sandbox="docker",
        )

:func:`dataset` makes one sample per variant (id = variant id, input = the
prompt, metadata = the provenance and the constraint ids).
:func:`verifier_scorer` copies the files the agent left in its sandbox
(read only: they are never executed) into a temporary directory, runs the
checks of the constraints the sample's prompt stated (its layers and
target), and scores the fraction that passed, explaining each failure.
"""

from __future__ import annotations

import posixpath
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import anyio.to_thread
import attrs
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessage, ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import Score, Scorer, mean, scorer, stderr
from inspect_ai.scorer import Target as InspectTarget
from inspect_ai.solver import TaskState
from inspect_ai.util import sandbox as current_sandbox

from cdspec.errors import CdspecError
from cdspec.model import Target, Task
from cdspec.plans import Variant
from cdspec.verify import CheckRegistry, Status, VerifyReport, verify

__all__ = ["SKIPPED_DIRECTORIES", "dataset", "task_for_sample", "verifier_scorer"]

SKIPPED_DIRECTORIES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)
"""Directories of a sandbox that are not copied out for verification (tool caches, installed packages)."""


def dataset(
    variants: Iterable[Variant], *, input: Literal["messages", "text"] = "messages", name: str | None = None
) -> MemoryDataset:
    """One Inspect sample per variant, in order.

    ``input="messages"`` gives the prompt's chat messages (system, then
    user); ``"text"`` the prompt's text alone. A sample's ``id`` is the
    variant id; its ``metadata`` holds ``variant_id``, ``task_id``,
    ``provenance`` (as in the variants JSONL), ``constraint_ids``,
    ``layers``, ``depth`` and ``target``, which :func:`verifier_scorer`
    reads back.
    """
    if input not in ("messages", "text"):
        raise CdspecError(f"input must be 'messages' or 'text', got {input!r}")
    samples = []
    task_ids = set()
    for variant in variants:
        prompt = variant.prompt
        provenance = variant.provenance
        task_ids.add(variant.task_id)
        messages: list[ChatMessage] = [
            ChatMessageSystem(content=str(m["content"]))
            if m["role"] == "system"
            else ChatMessageUser(content=str(m["content"]))
            for m in prompt.messages
        ]
        samples.append(
            Sample(
                input=messages if input == "messages" else prompt.text,
                id=variant.id,
                metadata={
                    "variant_id": variant.id,
                    "task_id": variant.task_id,
                    "provenance": provenance.to_data(),
                    "constraint_ids": list(prompt.constraint_ids),
                    "layers": list(provenance.layers),
                    "depth": provenance.depth,
                    "target": {"language": provenance.target.language, "framework": provenance.target.framework},
                },
            )
        )
    label = name if name is not None else ("cdspec-" + "-".join(sorted(task_ids)) if task_ids else "cdspec")
    return MemoryDataset(samples, name=label)


def task_for_sample(task: Task, metadata: Mapping[str, Any]) -> Task:
    """``task`` as the sample's prompt stated it: its layers (or depth) and its target.

    Reads the metadata :func:`dataset` writes; metadata with only a
    ``depth`` keeps the first ``depth`` layers; with neither, the whole
    stack. Raises :class:`~cdspec.CdspecError` when the sample belongs to
    another task.
    """
    task_id = metadata.get("task_id")
    if task_id is not None and task_id != task.id:
        raise CdspecError(f"the sample is a variant of task {task_id!r}, but the scorer verifies task {task.id!r}")
    if "layers" in metadata:
        chosen = task.select([str(name) for name in metadata["layers"]])
    elif "depth" in metadata:
        chosen = task.at_depth(int(metadata["depth"]))
    else:
        chosen = task
    target = metadata.get("target")
    if isinstance(target, Mapping):
        chosen = attrs.evolve(chosen, target=Target(str(target["language"]), str(target["framework"])))
    return chosen


@scorer(metrics=[mean(), stderr()])
def verifier_scorer(
    task: Task,
    *,
    project_dir: str = ".",
    checks: CheckRegistry | None = None,
    max_files: int = 5000,
    max_file_bytes: int = 1_000_000,
) -> Scorer:
    """Score a sample by the fraction of its constraints the project in the sandbox keeps.

    The project is the directory ``project_dir`` of the sample's default
    sandbox (relative paths start at the sandbox's working directory). Its
    regular files, except those under :data:`SKIPPED_DIRECTORIES`, up to
    ``max_files`` files of at most ``max_file_bytes`` each, are read out
    of the sandbox into a temporary directory; nothing of the agent's is
    run. Symbolic links are not followed.

    The constraints verified are those of ``task`` as the sample stated it
    (see :func:`task_for_sample`); ``checks`` defaults to cdspec's built-in
    checks. The value is passed constraints over constraints in force (1.0
    when none are); unchecked ones count as not passed. The explanation
    lists each failed or unchecked constraint with its findings; the
    metadata holds each constraint's status and the counts.
    """

    def verify_one(chosen: Task, scratch: str) -> VerifyReport:
        return verify(chosen, scratch, checks=checks)  # safe on several threads (cdspec.verify parses in turn)

    async def score(state: TaskState, target: InspectTarget) -> Score:
        chosen = task_for_sample(task, state.metadata)
        with tempfile.TemporaryDirectory(prefix="cdspec-inspect-") as scratch:
            copied, skipped = await _copy_out(project_dir, Path(scratch), max_files, max_file_bytes)
            # Off the event loop, so the other samples' sandboxes and models keep going meanwhile.
            report = await anyio.to_thread.run_sync(verify_one, chosen, scratch)
        return _score(report, copied, skipped)

    return score


async def _copy_out(root: str, destination: Path, max_files: int, max_file_bytes: int) -> tuple[int, list[str]]:
    """Copy the regular files under ``root`` in the sandbox to ``destination``: how many, and what was left out."""
    box = current_sandbox()
    prune: list[str] = []
    for name in SKIPPED_DIRECTORIES:
        prune += [*(["-o"] if prune else []), "-name", name]
    listing = await box.exec(
        ["find", root, "(", *prune, ")", "-prune", "-o", "-type", "f", "-print0"],
        timeout=60,
    )
    if not listing.success:
        raise CdspecError(f"cannot list the files of {root!r} in the sandbox: {listing.stderr.strip()}")
    skipped: list[str] = []
    copied = 0
    for found in sorted(p for p in listing.stdout.split("\0") if p):
        relative = PurePosixPath(posixpath.relpath(posixpath.normpath(found), posixpath.normpath(root)))
        if relative.is_absolute() or ".." in relative.parts:
            skipped.append(f"{found} (outside the project)")
            continue
        if copied >= max_files:
            skipped.append(f"{relative} (more than {max_files} files)")
            continue
        data = await box.read_file(found, text=False)
        if len(data) > max_file_bytes:
            skipped.append(f"{relative} (larger than {max_file_bytes} bytes)")
            continue
        target = destination.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        copied += 1
    return copied, skipped


def _score(report: VerifyReport, copied: int, skipped: list[str]) -> Score:
    counts = report.counts
    value = counts["passed"] / counts["total"] if counts["total"] else 1.0
    lines = [f"{report.summary()} ({copied} files read)"]
    for result in report.constraints:
        if result.status is Status.PASSED:
            continue
        lines.append(f"{result.status.value.upper()} {result.id} ({result.kind})")
        lines.extend(f"  {finding}" for finding in result.findings if finding.status is not Status.PASSED)
    if skipped:
        lines.append(f"not read ({len(skipped)}): " + ", ".join(skipped[:10]) + (", ..." if len(skipped) > 10 else ""))
    return Score(
        value=value,
        answer=f"{counts['passed']}/{counts['total']} constraints",
        explanation="\n".join(lines),
        metadata={
            "depth": report.depth,
            "counts": counts,
            "constraints": {c.id: c.status.value for c in report.constraints},
            "files": copied,
        },
    )
