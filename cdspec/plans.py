"""Families of prompt variants, each with a stable id and its provenance.

A *plan* says which variants of a task to make: depth sweeps, single layers,
leave-one-out ablations, every valid subset, every order, every choice of
group members, several targets, templates, formats or contract styles, and
products and unions of these. A plan is plain data (the ``plans:`` of a task
file, see ``schemas/task.schema.json``) or built in Python with the
functions here; both are the same :class:`Plan` values::

    plan = plans.product(plans.subsets(["architecture", "sqlite", "postgres", "orm"]), plans.targets(FRAMEWORKS))
    for variant in variants(task, plan):
        ...

Combinations that break a rule (``requires``, ``conflicts``, a group) are
not silently dropped: :attr:`Variants.skipped` lists each with its reason.
A variant's id is a hash of what makes its prompt: the task id, the active
layers in order, the target, the template, the format and the contract
style; the same inputs give the same ids in any process.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from ._frozen import FrozenDict, freeze, thaw
from .errors import CompositionError, PlanError, UnknownLayerError
from .kinds import BUILTIN_KINDS, KindRegistry
from .model import Target, Task
from .prompts import FORMATS, ContractStyle, Format, Prompt, render, resolve_template

__all__ = [
    "Plan",
    "Provenance",
    "Skipped",
    "Variant",
    "Variants",
    "choices",
    "contracts",
    "depths",
    "formats",
    "leave_one_out",
    "permutations",
    "plan_from_data",
    "plan_problems",
    "product",
    "single",
    "subsets",
    "targets",
    "templates",
    "union",
    "variant_id",
    "variants",
]


@attrs.frozen
class Plan:
    """A plan: its ``kind`` (``"depths"``, ``"product"``, ...) and its arguments, as data."""

    kind: str
    args: Any = attrs.field(converter=freeze)

    def to_data(self) -> dict[str, Any]:
        """The plan as it is written in a task file."""
        if self.kind in ("product", "union"):
            return {self.kind: [p.to_data() for p in self.args]}
        return {self.kind: thaw(self.args)}


def depths(min: int = 0, max: int | None = None) -> Plan:  # the file format's names
    """The stack at every depth from ``min`` to ``max`` (default: the full stack)."""
    return Plan("depths", {"min": min} | ({} if max is None else {"max": max}))


def single() -> Plan:
    """Each layer of the stack alone."""
    return Plan("single", {})


def leave_one_out() -> Plan:
    """The stack without each one of its layers, in turn."""
    return Plan("leave_one_out", {})


def subsets(layers: Iterable[str] | None = None, *, min_size: int = 0, max_size: int | None = None) -> Plan:
    """Every valid subset of ``layers`` (default: the whole catalogue), in catalogue order."""
    args: dict[str, Any] = {"min_size": min_size}
    if layers is not None:
        args["layers"] = list(layers)
    if max_size is not None:
        args["max_size"] = max_size
    return Plan("subsets", args)


def permutations() -> Plan:
    """Every valid order of the stack's layers."""
    return Plan("permutations", {})


def choices(groups: Iterable[str] | None = None) -> Plan:
    """Every combination of members of ``groups`` (default: every group)."""
    return Plan("choices", {} if groups is None else {"groups": list(groups)})


def targets(items: Iterable[Target | tuple[str, str] | Mapping[str, str]]) -> Plan:
    """The same prompts for each target: ``Target``\\ s, ``(language, framework)`` pairs or mappings."""
    data = []
    for item in items:
        if isinstance(item, Target):
            data.append({"language": item.language, "framework": item.framework})
        elif isinstance(item, Mapping):
            data.append({"language": item["language"], "framework": item["framework"]})
        else:
            language, framework = item
            data.append({"language": language, "framework": framework})
    return Plan("targets", data)


def templates(names: Iterable[str]) -> Plan:
    """The same prompts with each template (by name)."""
    return Plan("templates", list(names))


def formats(names: Iterable[Format]) -> Plan:
    """The same prompts in each format."""
    return Plan("formats", list(names))


def contracts(styles: Iterable[ContractStyle]) -> Plan:
    """The same prompts with the contract verbatim and/or summarised."""
    return Plan("contracts", list(styles))


def product(*plans: Plan) -> Plan:
    """Each plan applied to every variant the plans before it made."""
    return Plan("product", list(plans))


def union(*plans: Plan) -> Plan:
    """The variants of each plan, in order; a variant made twice is kept once."""
    return Plan("union", list(plans))


_BUILDERS = frozenset({"product", "union"})


def plan_problems(data: Any) -> list[str]:
    """What is wrong with plan data, checked against ``$defs/plan`` of the task schema."""
    from ._schemas import schema, schema_problems

    reference = {"$ref": f"{schema('task')['$id']}#/$defs/plan"}
    return [f"{p.pointer or '/'}: {p.message}" for p in schema_problems(reference, thaw(data))]


def plan_from_data(data: Mapping[str, Any]) -> Plan:
    """A :class:`Plan` from its file form (``{"product": [{"depths": {}}, ...]}``).

    Raises :class:`~cdspec.PlanError` listing every problem of the data.
    """
    problems = plan_problems(data)
    if problems:
        raise PlanError("invalid plan: " + "; ".join(problems))
    return _plan(data)


def _plan(data: Mapping[str, Any]) -> Plan:
    ((kind, args),) = data.items()
    if kind in _BUILDERS:
        return Plan(kind, [_plan(p) for p in args])
    return Plan(kind, args)


# --------------------------------------------------------------------------- results


@attrs.frozen
class Provenance:
    """How a variant was made: the plan, its steps, and what the prompt holds."""

    plan: str
    steps: tuple[str, ...]
    layers: tuple[str, ...]
    choices: FrozenDict
    depth: int
    target: Target
    template: str
    format: Format
    contract: ContractStyle

    def to_data(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "steps": list(self.steps),
            "layers": list(self.layers),
            "choices": thaw(self.choices),
            "depth": self.depth,
            "target": {"language": self.target.language, "framework": self.target.framework},
            "template": self.template,
            "format": self.format,
            "contract": self.contract,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Provenance:
        return cls(
            plan=data["plan"],
            steps=tuple(data["steps"]),
            layers=tuple(data["layers"]),
            choices=freeze(data["choices"]),
            depth=data["depth"],
            target=Target(data["target"]["language"], data["target"]["framework"]),
            template=data["template"],
            format=data["format"],
            contract=data["contract"],
        )


@attrs.frozen
class Variant:
    """One prompt variant: its stable ``id``, where it came from, and the prompt."""

    id: str
    task_id: str
    provenance: Provenance
    prompt: Prompt

    def __repr__(self) -> str:
        """One line: ``<Variant 3be04ab4fe610a32 library d2 [architecture, sqlite] python/flask>``."""
        p = self.provenance
        layers = ", ".join(p.layers)
        return f"<Variant {self.id} {self.task_id} d{p.depth} [{layers}] {p.target.language}/{p.target.framework}>"

    def to_data(self) -> dict[str, Any]:
        """The variant as one JSON object (a line of the JSONL export)."""
        return {
            "id": self.id,
            "task_id": self.task_id,
            "provenance": self.provenance.to_data(),
            "prompt": self.prompt.to_data(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Variant:
        return cls(
            id=data["id"],
            task_id=data["task_id"],
            provenance=Provenance.from_data(data["provenance"]),
            prompt=Prompt.from_data(data["prompt"]),
        )


@attrs.frozen
class Skipped:
    """A combination a plan asked for that cannot be a variant, and why."""

    plan: str
    steps: tuple[str, ...]
    layers: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        """``subset orm > ... [orm]: layer 'orm' requires 'database', ...``"""
        return f"{' > '.join(self.steps)} [{', '.join(self.layers) or 'no layers'}]: {self.reason}"


@attrs.frozen
class Variants(Sequence[Variant]):
    """The variants a plan made (in order, no duplicates) and what it skipped."""

    items: tuple[Variant, ...]
    skipped: tuple[Skipped, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __iter__(self) -> Iterator[Variant]:
        return iter(self.items)

    def manifest(self) -> list[dict[str, Any]]:
        """One row per variant (no prompt text) to join with a harness's results by ``id``."""
        return [
            {
                "id": v.id,
                "task_id": v.task_id,
                "plan": v.provenance.plan,
                "layers": list(v.provenance.layers),
                "depth": v.provenance.depth,
                "choices": thaw(v.provenance.choices),
                "language": v.provenance.target.language,
                "framework": v.provenance.target.framework,
                "template": v.provenance.template,
                "format": v.provenance.format,
                "contract": v.provenance.contract,
                "constraint_ids": list(v.prompt.constraint_ids),
                "fingerprint": v.prompt.fingerprint,
            }
            for v in self.items
        ]

    def __repr__(self) -> str:
        """One line: ``<Variants: 8 of task library, depths 0-7, 0 skipped>``."""
        tasks = ", ".join(sorted({v.task_id for v in self.items})) or "-"
        depths = sorted({v.provenance.depth for v in self.items})
        span = "none" if not depths else str(depths[0]) if len(depths) == 1 else f"{depths[0]}-{depths[-1]}"
        return f"<Variants: {len(self.items)} of task {tasks}, depths {span}, {len(self.skipped)} skipped>"

    def _repr_html_(self) -> str:
        """A notebook view: one row per variant (id, depth, layers, target, format)."""
        from ._html import table

        rows = (
            (
                v.id,
                v.provenance.depth,
                ", ".join(v.provenance.layers) or "-",
                f"{v.provenance.target.language}/{v.provenance.target.framework}",
                v.provenance.format,
            )
            for v in self.items
        )
        caption = f"{len(self.items)} variants, {len(self.skipped)} combinations skipped"
        return table(caption, ("id", "depth", "layers", "target", "format"), rows)

    def _repr_markdown_(self) -> str:
        rows = ["| id | depth | layers | target | format |", "|---|---:|---|---|---|"]
        rows.extend(
            f"| `{v.id}` | {v.provenance.depth} | {', '.join(v.provenance.layers) or '-'} "
            f"| {v.provenance.target.language}/{v.provenance.target.framework} | {v.provenance.format} |"
            for v in self.items
        )
        skipped = f"\n\n{len(self.skipped)} combinations skipped (see `.skipped`)." if self.skipped else ""
        return f"**{len(self.items)} variants**\n\n" + "\n".join(rows) + skipped


# --------------------------------------------------------------------------- carrying plans out


@attrs.frozen
class _Draft:
    task: Task
    template: str = "default"
    format: Format = "markdown"
    contract: ContractStyle = "verbatim"
    steps: tuple[str, ...] = ()


_Outcome = tuple[list[_Draft], list[tuple[tuple[str, ...], tuple[str, ...], str]]]
"""The drafts a step made, and what it skipped: (steps, layers, reason)."""


def _select(draft: _Draft, names: Sequence[str], step: str) -> tuple[_Draft | None, str]:
    try:
        chosen = draft.task.select(names)
    except (CompositionError, UnknownLayerError) as error:
        return None, str(error)
    return attrs.evolve(draft, task=chosen, steps=(*draft.steps, step)), ""


def _by_layers(draft: _Draft, stacks: Iterable[tuple[Sequence[str], str]]) -> _Outcome:
    made, skipped = [], []
    for names, step in stacks:
        new, reason = _select(draft, names, step)
        if new is None:
            skipped.append(((*draft.steps, step), tuple(names), reason))
        else:
            made.append(new)
    return made, skipped


def _depths(draft: _Draft, args: Mapping[str, Any]) -> _Outcome:
    stack = [layer.name for layer in draft.task.stack]
    low, high = args.get("min", 0), args.get("max", len(stack))
    if not 0 <= low <= high <= len(stack):
        raise PlanError(f"depths from {low} to {high}: the stack has {len(stack)} layers (depths 0 to {len(stack)})")
    return _by_layers(draft, ((stack[:k], f"depth {k}") for k in range(low, high + 1)))


def _single(draft: _Draft, args: Mapping[str, Any]) -> _Outcome:
    return _by_layers(draft, (([layer.name], f"only {layer.name}") for layer in draft.task.stack))


def _leave_one_out(draft: _Draft, args: Mapping[str, Any]) -> _Outcome:
    stack = [layer.name for layer in draft.task.stack]
    return _by_layers(draft, (([n for n in stack if n != left], f"without {left}") for left in stack))


def _subsets(draft: _Draft, args: Mapping[str, Any]) -> _Outcome:
    catalogue = [layer.name for layer in draft.task.layers]
    names = list(args.get("layers", catalogue))
    unknown = [n for n in names if n not in catalogue]
    if unknown:
        raise PlanError(f"subsets of {', '.join(unknown)}: no such layer (known: {', '.join(catalogue)})")
    ordered = [n for n in catalogue if n in names]
    low, high = args.get("min_size", 0), args.get("max_size", len(ordered))
    combos = (
        (list(combo), "subset " + ("+".join(combo) or "(none)"))
        for size in range(low, high + 1)
        for combo in itertools.combinations(ordered, size)
    )
    return _by_layers(draft, combos)


def _permutations(draft: _Draft, args: Mapping[str, Any]) -> _Outcome:
    stack = [layer.name for layer in draft.task.stack]
    if len(stack) > 8:
        raise PlanError(
            f"permutations of {len(stack)} layers would make {len(stack)}! variants; narrow the stack first"
        )
    return _by_layers(draft, ((list(order), "order " + " > ".join(order)) for order in itertools.permutations(stack)))


def _choices(draft: _Draft, args: Mapping[str, Any]) -> _Outcome:
    groups = draft.task.groups
    wanted = list(args.get("groups", groups))
    if not wanted:
        return [draft], []  # nothing to choose (no groups, or none left)
    unknown = [g for g in wanted if g not in groups]
    if unknown:
        raise PlanError(f"choices of {', '.join(unknown)}: no such group (known: {', '.join(groups) or 'none'})")
    made, skipped = [], []
    for picks in itertools.product(*(groups[g] for g in wanted)):
        picked = dict(zip(wanted, picks, strict=True))
        step = "choose " + ", ".join(f"{g}={m}" for g, m in picked.items())
        try:
            task = draft.task.choose(picked)
        except (CompositionError, UnknownLayerError) as error:
            skipped.append(((*draft.steps, step), tuple(picks), str(error)))
            continue
        made.append(attrs.evolve(draft, task=task, steps=(*draft.steps, step)))
    return made, skipped


def _targets(draft: _Draft, args: Sequence[Mapping[str, str]]) -> _Outcome:
    made = []
    for item in args:
        target = Target(item["language"], item["framework"])
        step = f"target {target.language}/{target.framework}"
        made.append(attrs.evolve(draft, task=attrs.evolve(draft.task, target=target), steps=(*draft.steps, step)))
    return made, []


def _option(name: str) -> Any:
    def step(draft: _Draft, args: Sequence[str]) -> _Outcome:
        changes: list[dict[str, Any]] = [{name: value, "steps": (*draft.steps, f"{name} {value}")} for value in args]
        return [attrs.evolve(draft, **change) for change in changes], []

    return step


_STEPS: dict[str, Any] = {
    "depths": _depths,
    "single": _single,
    "leave_one_out": _leave_one_out,
    "subsets": _subsets,
    "permutations": _permutations,
    "choices": _choices,
    "targets": _targets,
    "templates": _option("template"),
    "formats": _option("format"),
    "contracts": _option("contract"),
}


def _apply(plan: Plan, drafts: list[_Draft]) -> _Outcome:
    if plan.kind == "product":
        skipped_all: list[tuple[tuple[str, ...], tuple[str, ...], str]] = []
        for inner in plan.args:
            drafts, skipped = _apply(inner, drafts)
            skipped_all.extend(skipped)
        return drafts, skipped_all
    if plan.kind == "union":
        made_all: list[_Draft] = []
        skipped_all = []
        for inner in plan.args:
            made, skipped = _apply(inner, drafts)
            made_all.extend(made)
            skipped_all.extend(skipped)
        return made_all, skipped_all
    step = _STEPS.get(plan.kind)
    if step is None:
        raise PlanError(f"no plan kind {plan.kind!r} (known: {', '.join(sorted(set(_STEPS) | _BUILDERS))})")
    made_all, skipped_all = [], []
    for draft in drafts:
        made, skipped = step(draft, plan.args)
        made_all.extend(made)
        skipped_all.extend(skipped)
    return made_all, skipped_all


def variant_id(
    task_id: str, layers: Sequence[str], target: Target, *, template: str, format: str, contract: str
) -> str:
    """The stable id of a variant: 16 hex digits of a SHA-256 of what makes its prompt."""
    key = json.dumps(
        [task_id, list(layers), [target.language, target.framework], template, format, contract],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _chosen_members(task: Task) -> FrozenDict:
    return FrozenDict({layer.group: layer.name for layer in task.stack if layer.group is not None})


def variants(
    task: Task,
    plan: Plan | str | Mapping[str, Any],
    *,
    kinds: KindRegistry = BUILTIN_KINDS,
) -> Variants:
    """Carry out ``plan`` on ``task``: every variant, rendered, with provenance.

    ``plan`` is a :class:`Plan`, its data form, or the name of one of the
    task's ``plans``. Raises :class:`~cdspec.PlanError` for a plan that names
    what the task does not have, or that makes no variant at all.
    """
    if isinstance(plan, str):
        if plan not in task.plans:
            known = ", ".join(sorted(task.plans)) or "none"
            raise PlanError(f"task {task.id!r} has no plan {plan!r} (its plans: {known})")
        name, plan = plan, plan_from_data(task.plans[plan])
    elif isinstance(plan, Plan):
        name = json.dumps(plan.to_data(), separators=(",", ":"), sort_keys=True)
        plan = plan_from_data(plan.to_data())  # plans built in Python are checked like files
    else:
        plan = plan_from_data(plan)
        name = json.dumps(plan.to_data(), separators=(",", ":"), sort_keys=True)
    made, skipped = _apply(plan, [_Draft(task)])
    items: list[Variant] = []
    seen: set[str] = set()
    gone = [Skipped(name, steps, layers, reason) for steps, layers, reason in skipped]
    for draft in made:
        chosen = draft.task
        template = resolve_template(chosen, draft.template)
        if draft.format not in FORMATS:
            raise PlanError(f"no format {draft.format!r} (known: {', '.join(FORMATS)})")
        layers = tuple(layer.name for layer in chosen.stack)
        vid = variant_id(
            chosen.id, layers, chosen.target, template=template.name, format=draft.format, contract=draft.contract
        )
        if vid in seen:
            gone.append(Skipped(name, draft.steps, layers, "the same prompt as an earlier variant"))
            continue
        seen.add(vid)
        prompt = render(chosen, template=template, format=draft.format, contract=draft.contract, kinds=kinds)
        provenance = Provenance(
            plan=name,
            steps=draft.steps,
            layers=layers,
            choices=_chosen_members(chosen),
            depth=chosen.depth,
            target=chosen.target,
            template=template.name,
            format=draft.format,
            contract=draft.contract,
        )
        items.append(Variant(vid, chosen.id, provenance, prompt))
    if not items:
        reasons = "; ".join(str(s) for s in gone[:3]) or "the plan made nothing"
        raise PlanError(f"plan {name!r} makes no variant of task {task.id!r}: {reasons}")
    return Variants(tuple(items), tuple(gone))
