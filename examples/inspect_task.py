"""Constraint decay of the library task in Inspect AI: one sample per depth, scored as ``cdspec evaluate`` does.

Run it with any model Inspect supports and the sandbox of your choice (the
agent works there through bash and a text editor; the scorer reads its
files, starts its server in the same sandbox and runs the behavioural
cases against it)::

    pip install 'cdspec[inspect]'
    inspect eval examples/inspect_task.py --model openai/gpt-4o-mini --sandbox docker

The sandbox needs a Python 3 with the packages the agent's server uses
(for Docker, an image or compose file of yours). Without a model, try the
pipeline with Inspect's mock model and an "agent" that copies the bundled
reference backend into the sandbox (``pip install -e '.[reference]'``)::

    inspect eval examples/inspect_task.py --model mockllm/model --sandbox local -T agent=reference

Then ``inspect view`` shows each sample's A%, Raw A%, pass@1 and adherence
(with the means by depth and by layer), and ``cdspec report logs/FILE.eval``
prints the decay table. ``-T plan=single`` scores each layer alone instead.
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.agent import react
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import bash, text_editor
from inspect_ai.util import sandbox

import cdspec
from cdspec import plans
from cdspec.integrations.inspect_ai import SKIPPED_DIRECTORIES, dataset, evaluation_scorer

LIBRARY = Path(__file__).resolve().parent / "library" / "task.yaml"
REFERENCE = LIBRARY.parent / "reference"
PLANS = {"depths": plans.depths(), "single": plans.single(), "leave_one_out": plans.leave_one_out()}


@solver
def copy_reference() -> Solver:
    """A stand-in for an agent: writes the bundled reference backend into the sample's sandbox."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        for path in sorted(REFERENCE.rglob("*")):
            relative = path.relative_to(REFERENCE)
            if path.is_file() and not set(relative.parts) & {*SKIPPED_DIRECTORIES, "instance"}:
                await sandbox().write_file(relative.as_posix(), path.read_bytes())
        return state

    return solve


@task
def library_decay(plan: str = "depths", agent: str = "react") -> Task:
    """The library task at every depth (or another plan of PLANS), built by an agent ("react" or "reference")."""
    spec = cdspec.load_task(LIBRARY)
    return Task(
        dataset=dataset(cdspec.variants(spec, PLANS[plan])),
        solver=copy_reference() if agent == "reference" else react(tools=[bash(timeout=180), text_editor()]),
        scorer=evaluation_scorer(spec),
        message_limit=200,
    )
