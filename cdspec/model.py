"""The task model: constraints, layers, and the task that stacks them on a contract.

All classes are frozen attrs classes and do no I/O. Every change makes a new
value (:func:`attrs.evolve`, :meth:`Task.at_depth`, :meth:`Task.select`,
:meth:`Task.choose`); nothing mutates in place.

A task's ``layers`` are its *catalogue*, bottom first. Layers that share a
``group`` are alternatives for one slot (``sqlite`` and ``postgres`` in a
``database`` group); the task's :attr:`~Task.stack` keeps the first member of
each group, or the one picked with :meth:`Task.choose`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from ._frozen import FrozenDict, freeze
from ._mustache import compile_template
from .contract import Contract, normalize_base_path
from .errors import CompositionError, LoadError, Problem, SelectionError, UnknownLayerError

__all__ = [
    "Constraint",
    "Feature",
    "Layer",
    "Mode",
    "PromptTemplate",
    "Section",
    "Target",
    "Task",
    "check_stack",
    "unknown_names",
]

Mode = Literal["greenfield", "feature"]

_CONSTRAINT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_TASK_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _matches(pattern: re.Pattern[str], what: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"{type(instance).__name__}.{attribute.name}: {value!r} is not {what}")

    return check


def _nonempty(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be a non-empty string, got {value!r}")


def _some(instance: object, attribute: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    if not value:
        raise ValueError(f"{type(instance).__name__}.{attribute.name} needs at least one item")


_KIND = re.compile(r"^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*$")


@attrs.frozen
class Constraint:
    """One executable requirement.

    ``kind`` names a registered kind (:mod:`cdspec.kinds`) that gives
    ``params`` their meaning and the default sentence; ``text`` overrides
    that sentence in prompts. ``id`` is stable and dotted
    (``orm.single-data-path``) so results can be joined across runs.
    """

    id: str = attrs.field(validator=_matches(_CONSTRAINT_ID, "a dotted id like 'orm.single-data-path'"))
    kind: str = attrs.field(validator=_matches(_KIND, "a kind name like 'folder-layout'"))
    params: FrozenDict = attrs.field(converter=freeze, factory=FrozenDict)
    text: str | None = attrs.field(default=None, validator=_nonempty)
    rationale: str | None = None


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _constraints(value: Iterable[Constraint]) -> tuple[Constraint, ...]:
    return tuple(value)


def _layers(value: Iterable[Layer]) -> tuple[Layer, ...]:
    return tuple(value)


def _sections(value: Iterable[Section]) -> tuple[Section, ...]:
    return tuple(value)


def _templates(value: Iterable[PromptTemplate]) -> tuple[PromptTemplate, ...]:
    return tuple(value)


@attrs.frozen
class Layer:
    """A named slot of constraints stacked on the contract.

    ``requires`` names layers (or groups) that must sit below this one;
    ``conflicts`` names layers that must not be active with it; layers of
    one ``group`` are alternatives, at most one active.
    """

    name: str = attrs.field(validator=_matches(_NAME, "a layer name (lowercase, digits, '_' or '-')"))
    constraints: tuple[Constraint, ...] = attrs.field(converter=_constraints, validator=_some)
    title: str = ""
    summary: str = ""
    preamble: str = ""
    requires: tuple[str, ...] = attrs.field(converter=_names, default=())
    conflicts: tuple[str, ...] = attrs.field(converter=_names, default=())
    group: str | None = None

    @property
    def heading(self) -> str:
        """The title, or the name made readable when there is no title."""
        return self.title or self.name.replace("_", " ").replace("-", " ").capitalize()


@attrs.frozen
class Target:
    """What to build the task with: a language and a framework."""

    language: str = attrs.field(validator=_nonempty)
    framework: str = attrs.field(validator=_nonempty)


@attrs.frozen
class Feature:
    """What a feature task starts from and adds.

    ``baseline`` is the baseline project's directory, relative to the task
    file; ``operations`` the contract's operationIds that the feature adds.
    """

    baseline: str = attrs.field(validator=_nonempty)
    description: str = attrs.field(validator=_nonempty)
    operations: tuple[str, ...] = attrs.field(converter=_names, default=())


@attrs.frozen
class Section:
    """A fixed operational section of the prompt (mandatory files, server setup...)."""

    title: str = attrs.field(validator=_nonempty)
    text: str = attrs.field(validator=_nonempty)


def _compiles(instance: PromptTemplate, attribute: attrs.Attribute[Any], value: str) -> None:
    """A template must be well formed when it is made, not when it is first used."""
    if value:
        compile_template(
            value, name=f"template {instance.name!r}" + (" (system)" if attribute.name == "system" else "")
        )


@attrs.frozen
class PromptTemplate:
    """A prompt template: a logic-less Mustache ``body`` and an optional ``system`` message.

    See :func:`cdspec.render` for the fields a template can use.
    """

    name: str = attrs.field(validator=_matches(_NAME, "a template name (lowercase, digits, '_' or '-')"))
    body: str = attrs.field(validator=[_nonempty, _compiles])
    system: str = attrs.field(default="", validator=_compiles)


def _composition_errors(
    layers: Sequence[Layer], known: Collection[str] | None = None
) -> Iterator[tuple[int, CompositionError]]:
    """Every broken ``requires``/``conflicts``/group rule of a stack, with its layer index.

    ``known`` are the layer and group names of the whole catalogue; a
    ``requires`` outside it is reported as the typo it is.
    """
    below: set[str] = set()
    groups_below: dict[str, str] = {}
    active = {layer.name for layer in layers} | {layer.group for layer in layers if layer.group is not None}
    for index, layer in enumerate(layers):
        if layer.group is not None and layer.group in groups_below:
            other = groups_below[layer.group]
            message = (
                f"layers {other!r} and {layer.name!r} are alternatives of the group {layer.group!r}: "
                "at most one of them may be active"
            )
            yield index, CompositionError(message, layer=layer.name, other=other)
        for needed in layer.requires:
            if needed in below or needed in groups_below:
                continue
            if known is not None and needed not in known:
                message = (
                    f"layer {layer.name!r} requires {needed!r}, which is no layer or group of this task "
                    f"(known: {', '.join(sorted(known))})"
                )
            else:
                where = "sits above it" if needed in active else "is not active"
                message = (
                    f"layer {layer.name!r} requires {needed!r}, which {where}: put {needed!r} below {layer.name!r}"
                )
            yield index, CompositionError(message, layer=layer.name, other=needed)
        for other_name in layer.conflicts:
            if other_name in active and other_name != layer.group:
                message = f"layer {layer.name!r} conflicts with {other_name!r}: they cannot be active together"
                yield index, CompositionError(message, layer=layer.name, other=other_name)
        below.add(layer.name)
        if layer.group is not None:
            groups_below.setdefault(layer.group, layer.name)


def check_stack(layers: Sequence[Layer], *, known: Collection[str] | None = None) -> None:
    """Raise :class:`CompositionError` for the first broken rule of a stack of layers.

    ``known`` (the catalogue's layer and group names) makes a misspelt
    ``requires`` say so.
    """
    for _, error in _composition_errors(layers, known):
        raise error


def _catalogue_problems(task: Task) -> Iterator[Problem]:
    """What makes a task's catalogue of layers inconsistent, with pointers."""
    names: dict[str, int] = {}
    groups = {layer.group for layer in task.layers if layer.group is not None}
    ids: dict[str, str] = {}
    for i, layer in enumerate(task.layers):
        if layer.name in names:
            yield Problem(
                f"layer name {layer.name!r} is used twice (also /layers/{names[layer.name]})",
                pointer=f"/layers/{i}/name",
            )
        names.setdefault(layer.name, i)
        if layer.name in groups:
            yield Problem(f"{layer.name!r} names both a layer and a group; rename one", pointer=f"/layers/{i}/name")
        for j, constraint in enumerate(layer.constraints):
            if constraint.id in ids:
                yield Problem(
                    f"constraint id {constraint.id!r} is used twice (also in layer {ids[constraint.id]!r})",
                    pointer=f"/layers/{i}/constraints/{j}/id",
                )
            ids.setdefault(constraint.id, layer.name)
    template_names: set[str] = set()
    for i, template in enumerate(task.templates):
        if template.name in template_names:
            yield Problem(f"template name {template.name!r} is used twice", pointer=f"/templates/{i}/name")
        template_names.add(template.name)
    if task.mode == "feature" and task.feature is None:
        yield Problem("a feature task needs 'feature' (its baseline and description)", pointer="/mode")
    if task.mode == "greenfield" and task.feature is not None:
        yield Problem("'feature' is given but mode is 'greenfield' (set mode: feature)", pointer="/feature")
    if task.feature is not None:
        op_ids = {op.operation_id for op in task.contract.operations}
        for k, op_id in enumerate(task.feature.operations):
            if op_id not in op_ids:
                yield Problem(f"operation {op_id!r} is not in the contract", pointer=f"/feature/operations/{k}")


def unknown_names(task: Task) -> Iterator[Problem]:
    """``requires``/``conflicts`` entries naming no layer or group of the task.

    Not an invariant of :class:`Task` (a task made by :meth:`Task.select` may
    have dropped a layer another one conflicts with), but in a task *file*
    such a name is a typo, so loading reports it.
    """
    known = {layer.name for layer in task.layers} | set(task.groups)
    for i, layer in enumerate(task.layers):
        for field in ("requires", "conflicts"):
            for k, other in enumerate(getattr(layer, field)):
                if other not in known:
                    yield Problem(
                        f"{field} {other!r}, which is no layer or group of this task "
                        f"(known: {', '.join(sorted(known))})",
                        pointer=f"/layers/{i}/{field}/{k}",
                    )


def _default_stack(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    seen: set[str] = set()
    stack = []
    for layer in layers:
        if layer.group is None or layer.group not in seen:
            stack.append(layer)
        if layer.group is not None:
            seen.add(layer.group)
    return tuple(stack)


@attrs.frozen(kw_only=True)
class Task:
    """A backend coding task: an API contract plus an ordered stack of layers.

    Construction checks that the task is consistent (unique layer names and
    constraint ids, ``requires``/``conflicts`` naming known layers, a valid
    default stack) and raises :class:`~cdspec.LoadError` listing every
    problem otherwise. ``origin`` is the file the task was loaded from, if
    any; it takes no part in equality. ``templates`` are the task's own prompt
    templates, ``plans`` its named variant plans (plain data, see
    :mod:`cdspec.plans`) and ``cases`` how behavioural cases are generated
    (plain data: accounts, roles, per-operation settings and scenarios, see
    :mod:`cdspec.cases`). ``server`` says how to start a project's server for
    :func:`cdspec.evaluate.evaluate` (plain data: ``command``, ``port_env``,
    ``env``, ``health``, ``timeout``; see ``docs/evaluate.md``). ``base_path``
    overrides the prefix the contract's ``servers`` give its paths (see
    :attr:`path_prefix`).
    """

    id: str = attrs.field(validator=_matches(_TASK_ID, "a task id (lowercase, digits, '.', '_' or '-')"))
    title: str = attrs.field(validator=_nonempty)
    goal: str = attrs.field(validator=_nonempty)
    target: Target
    contract: Contract
    layers: tuple[Layer, ...] = attrs.field(converter=_layers, default=())
    mode: Mode = "greenfield"
    feature: Feature | None = None
    sections: tuple[Section, ...] = attrs.field(converter=_sections, default=())
    templates: tuple[PromptTemplate, ...] = attrs.field(converter=_templates, default=())
    plans: FrozenDict = attrs.field(converter=freeze, factory=FrozenDict)
    cases: FrozenDict = attrs.field(converter=freeze, factory=FrozenDict)
    server: FrozenDict = attrs.field(converter=freeze, factory=FrozenDict)
    base_path: str | None = attrs.field(default=None, converter=attrs.converters.optional(normalize_base_path))
    origin: str | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = list(_catalogue_problems(self))
        if not problems:
            layers = list(self.layers)
            index = {layer.name: i for i, layer in enumerate(layers)}
            problems.extend(
                Problem(str(error), pointer=f"/layers/{index[error.layer]}")
                for _, error in _composition_errors(self.stack, self._known)
            )
        if problems:
            raise LoadError(attrs.evolve(p, file=self.origin) for p in problems)

    @property
    def path_prefix(self) -> str:
        """The prefix every contract path is served under (``"/api"``, or ``""``).

        The task's ``base_path`` when it has one, else the path of the
        contract's first ``servers`` URL (:attr:`Contract.base_path`). The
        runner prefixes requests with it and the route checks expect routes
        under it.
        """
        return self.contract.base_path if self.base_path is None else self.base_path

    # -- views ------------------------------------------------------------------------

    def __repr__(self) -> str:
        """One line: ``<Task library: 7 layers (depth 7), 12 constraints, python/flask>``."""
        constraints = sum(len(layer.constraints) for layer in self.stack)
        size = f"{len(self.layers)} layers (depth {self.depth}), {constraints} constraints"
        return f"<Task {self.id}: {size}, {self.target.language}/{self.target.framework}>"

    def _repr_markdown_(self) -> str:
        """A notebook view: the target, the contract and the layers with their constraints."""
        active = {layer.name for layer in self.stack}
        rows = ["| # | layer | group | constraints |", "|---:|---|---|---|"]
        for i, layer in enumerate(self.layers, 1):
            group = (layer.group or "") + ("" if layer.name in active else " (alternative)")
            ids = ", ".join(f"`{c.id}`" for c in layer.constraints)
            rows.append(f"| {i} | **{layer.name}** {layer.heading} | {group.strip()} | {ids} |")
        contract = self.contract
        head = (
            f"**{self.title}** (`{self.id}`, {self.mode}): {self.target.language} / {self.target.framework}; "
            f"contract {contract.title} {contract.version}, {len(contract.operations)} operations; "
            f"depth {self.depth}"
        )
        return head + "\n\n" + "\n".join(rows)

    @property
    def stack(self) -> tuple[Layer, ...]:
        """The active layers, bottom first: the first member of each group only."""
        return _default_stack(self.layers)

    @property
    def depth(self) -> int:
        """How many layers are active."""
        return len(self.stack)

    @property
    def _known(self) -> set[str]:
        return {layer.name for layer in self.layers} | set(self.groups)

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        """The constraints of the active layers, in stack order."""
        return tuple(c for layer in self.stack for c in layer.constraints)

    @property
    def groups(self) -> dict[str, tuple[str, ...]]:
        """Each group's member layers, in catalogue order."""
        groups: dict[str, tuple[str, ...]] = {}
        for layer in self.layers:
            if layer.group is not None:
                groups[layer.group] = (*groups.get(layer.group, ()), layer.name)
        return groups

    def layer(self, name: str) -> Layer:
        """The layer called ``name``; :class:`UnknownLayerError` if there is none."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise UnknownLayerError(name, [layer.name for layer in self.layers])

    # -- new tasks ----------------------------------------------------------------------

    def at_depth(self, depth: int) -> Task:
        """The task with only the first ``depth`` layers of its stack (0: contract only)."""
        stack = self.stack
        if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= len(stack):
            raise SelectionError(f"depth must be an integer from 0 to {len(stack)}, got {depth!r}")
        return self.select([layer.name for layer in stack[:depth]])

    def select(self, names: Iterable[str]) -> Task:
        """The task with exactly the layers ``names``, in that order (bottom first).

        Raises :class:`UnknownLayerError` for a name the task does not have and
        :class:`CompositionError` when the order breaks a ``requires``, a
        ``conflicts`` or a group (naming both layers).
        """
        chosen = []
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise SelectionError(f"layer {name!r} is selected twice")
            seen.add(name)
            chosen.append(self.layer(name))
        check_stack(chosen, known=self._known)
        return attrs.evolve(self, layers=tuple(chosen))

    def choose(self, choices: Mapping[str, str | None]) -> Task:
        """The task with ``choices`` made: ``{"database": "postgres"}``.

        The other members of each chosen group leave the catalogue, so the
        chosen one is in the stack. ``group=None`` drops the whole group.
        """
        groups = self.groups
        drop: set[str] = set()
        for group, member in choices.items():
            if group not in groups:
                raise UnknownLayerError(group, sorted(groups), what="group")
            if member is not None and member not in groups[group]:
                raise UnknownLayerError(member, groups[group], what=f"member of group {group!r}")
            drop.update(name for name in groups[group] if name != member)
        layers = tuple(layer for layer in self.layers if layer.name not in drop)
        check_stack(_default_stack(layers), known=self._known)
        return attrs.evolve(self, layers=layers)
