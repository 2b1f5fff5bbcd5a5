"""Constraint decay of the library task in Inspect AI: one sample per depth, scored by cdspec's verifiers.

Run it with any model Inspect supports (the agent works in a Docker sandbox
through bash and a text editor; the scorer only reads the files it leaves)::

    pip install 'cdspec[inspect]'
    inspect eval examples/inspect_task.py --model openai/gpt-4o-mini

Then ``inspect view`` shows each sample's score (the fraction of the
constraints of its prompt that the project keeps) with the failed ones
explained. ``-T plan=single`` scores each layer alone instead.
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.agent import react
from inspect_ai.tool import bash, text_editor

import cdspec
from cdspec import plans
from cdspec.integrations.inspect_ai import dataset, verifier_scorer

LIBRARY = Path(__file__).resolve().parent / "library" / "task.yaml"
PLANS = {"depths": plans.depths(), "single": plans.single(), "leave_one_out": plans.leave_one_out()}


@task
def library_decay(plan: str = "depths") -> Task:
    """The library task at every depth (or another plan of PLANS), built by an agent and verified statically."""
    spec = cdspec.load_task(LIBRARY)
    return Task(
        dataset=dataset(cdspec.variants(spec, PLANS[plan])),
        solver=react(tools=[bash(timeout=180), text_editor()]),
        scorer=verifier_scorer(spec),
        sandbox="docker",
        message_limit=200,
    )
