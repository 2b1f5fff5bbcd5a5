"""Decay reports: many evaluated attempts, summarised by depth, layers, framework and labels.

An *attempt* is one result record (``schemas/result.schema.json``): an
:class:`~cdspec.evaluate.Evaluation`, or a plain mapping of the same shape, a
line of ``results.jsonl``. :func:`decay_report` groups attempts by any
combination of depth, layer combination, target framework, free labels
(``model``, ``agent``, ...) and, joined with a variants manifest, template,
format and contract style, and gives for each group the counts, the
Constraint Decay study's rates (arXiv 2605.06445): A% (the assertion pass
rate enforced by the verifiers), Raw A% (not enforced), pass@1 and the
unbiased pass@k, and the constraint adherence rate, each with its standard
error. It also gives the study's other tables: the marginal effect of each
layer from matched pairs of variants (:meth:`DecayReport.effects`), a ranking
(:meth:`DecayReport.ranking`) and the change between two depths
(:meth:`DecayReport.delta`)::

    report = decay_report("results.jsonl", by="depth,model")
    print(report.to_markdown())
    print(report.effects(by="model").to_markdown())
    report.plot("decay.svg")

Attempts that could not be evaluated (an ``error``) are counted in their
group's ``errors`` and listed in :attr:`DecayReport.error_attempts`; they
take no part in any rate. Output is deterministic: rows are sorted by their
key, means are order-independent sums, and the text formats round the same
way every time. The plot needs the ``plot`` extra (matplotlib) and
:meth:`Table.to_pandas` the ``pandas`` extra, imported only when used.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import attrs

from ._frozen import FrozenDict
from .errors import CdspecError, LoadError, Problem
from .evaluate import LABEL_NAME
from .plans import Variants

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

__all__ = [
    "GROUP_KEYS",
    "RATES",
    "Attempt",
    "Column",
    "DecayReport",
    "DecayRow",
    "ReportError",
    "Table",
    "decay_report",
    "pass_at_k",
]

GROUP_KEYS = ("task", "variant", "depth", "layers", "language", "framework", "template", "format", "contract")
"""The built-in keys a report can group by; any other name is a result label (``model``, ``agent``, ...).

``template``, ``format`` and ``contract`` come from a variants manifest.
"""

RATES = ("a_rate", "raw_a_rate", "pass@1", "adherence")
"""The per-attempt rates :meth:`DecayReport.effects`, :meth:`~DecayReport.ranking` and
:meth:`~DecayReport.delta` can compare: A%, Raw A%, pass@1 (an attempt's ``passed``) and adherence."""


_FROM_MANIFEST = ("template", "format", "contract")
_STATUSES = ("passed", "failed", "unchecked")
_DIGITS = 4
"""Rates in JSON and CSV are fractions rounded to this many decimals; Markdown shows percent to one."""


class ReportError(CdspecError, ValueError):
    """A report that cannot be made as asked: an unknown grouping key, a bad ``k``, the plot extra missing."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimate of pass@k from ``n`` attempts of which ``c`` passed (Chen et al., 2021).

    ``1 - C(n - c, k) / C(n, k)``: the chance that at least one of ``k``
    attempts drawn without replacement from the ``n`` passed. Computed as
    ``1 - prod(1 - k / i for i in n - c + 1 .. n)``, which neither overflows
    nor loses precision for large ``n``. Needs ``0 <= c <= n`` and
    ``1 <= k <= n``.
    """
    if not (0 <= c <= n and 1 <= k <= n):
        raise ReportError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:  # every draw of k holds a passing attempt
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


# --------------------------------------------------------------------------- attempts


@attrs.frozen
class Attempt:
    """One attempt as a report reads it: where it belongs, and how it scored.

    ``a_rate`` (A%, enforced) and ``raw_a_rate`` (Raw A%) are ``None``
    when no backend was run; ``error`` is set when the attempt could not be
    evaluated at all. The constraint counts are of the in-force constraints'
    statuses. ``labels`` are the result's free labels. ``template``,
    ``format`` and ``contract`` are known only from a manifest.
    """

    task_id: str
    variant_id: str | None
    attempt: int
    depth: int
    layers: tuple[str, ...]
    language: str
    framework: str
    a_rate: float | None
    raw_a_rate: float | None
    passed: bool
    error: str | None = None
    labels: FrozenDict = attrs.field(factory=FrozenDict)
    constraints_passed: int = 0
    constraints_failed: int = 0
    constraints_unchecked: int = 0
    template: str | None = None
    format: str | None = None
    contract: str | None = None

    @property
    def variant(self) -> str:
        """The variant this attempt belongs to: its id (or its task, stack and target), and its labels.

        Two models' attempts at one prompt are two cells of the study, each
        with its own pass@k: the labels are part of the variant.
        """
        name = self.variant_id or f"{self.task_id}|{'+'.join(self.layers)}|{self.language}/{self.framework}"
        return name + "".join(f" {key}={value}" for key, value in self.labels.items())

    def value(self, key: str) -> Any:
        """The attempt's value for a grouping key of :data:`GROUP_KEYS`, or of the label ``key`` (``None``: unset)."""
        if key == "task":
            return self.task_id
        if key in GROUP_KEYS:
            return getattr(self, key)
        return self.labels.get(key)

    def rate(self, name: str) -> float | None:
        """The attempt's value of a rate of :data:`RATES` (``None`` when it has none)."""
        if name == "pass@1":
            return float(self.passed)
        if name == "adherence":
            checked = self.constraints_passed + self.constraints_failed
            return self.constraints_passed / checked if checked else None
        value: float | None = getattr(self, name)
        return value


class _HasToData(Protocol):
    def to_data(self) -> Mapping[str, Any]: ...


Result: TypeAlias = Mapping[str, Any] | _HasToData
"""A result record: an ``Evaluation`` (anything with ``to_data()``) or its data form."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_rate(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _attempt(data: Any, at: str) -> tuple[Attempt | None, list[Problem]]:
    """The fields a report uses, checked: an attempt, or the problems of the record."""
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(message, pointer=f"{at}/{field}"))

    if not isinstance(data, Mapping):
        return None, [Problem(f"expected a result object, got {type(data).__name__}", pointer=at)]
    from .evaluate import migrate_result

    if "strict_rate" in data and "raw_a_rate" in data:
        return None, [Problem("has both strict_rate (an old name) and raw_a_rate: remove strict_rate", pointer=at)]
    fields: dict[str, Any] = dict.fromkeys(("variant_id", "a_rate", "raw_a_rate", "error"))
    fields.update(migrate_result(data))
    task_id, variant_id, attempt = fields.get("task_id", ""), fields["variant_id"], fields.get("attempt", 0)
    depth, layers, target = fields.get("depth", -1), fields.get("layers", ()), fields.get("target", {})
    a_rate, raw_a_rate, passed, error = fields["a_rate"], fields["raw_a_rate"], fields.get("passed"), fields["error"]
    labels = fields.get("labels") or {}
    if not isinstance(task_id, str):
        bad("task_id", "expected the task id, a string")
    if variant_id is not None and not isinstance(variant_id, str):
        bad("variant_id", "expected a variant id (a string) or null")
    if not _is_int(attempt) or attempt < 1:
        bad("attempt", "expected the attempt number, an integer from 1")
    if not _is_int(depth) or depth < 0:
        bad("depth", "expected the depth, an integer from 0")
    if not isinstance(layers, list | tuple) or not all(isinstance(name, str) for name in layers):
        bad("layers", "expected the list of layer names in force")
    elif _is_int(depth) and len(layers) != depth:
        bad("layers", f"{len(layers)} layers in force at depth {depth}")
    if not (
        isinstance(target, Mapping)
        and isinstance(target.get("language"), str)
        and isinstance(target.get("framework"), str)
    ):
        bad("target", "expected {language, framework}")
    for field, rate in (("a_rate", a_rate), ("raw_a_rate", raw_a_rate)):
        if rate is not None and not _is_rate(rate):
            bad(field, "expected a rate from 0 to 1, or null")
    if (a_rate is None) != (raw_a_rate is None):
        bad("raw_a_rate", "a_rate and raw_a_rate are both rates or both null")
    if not isinstance(labels, Mapping) or not all(
        isinstance(name, str) and LABEL_NAME.match(name) and isinstance(text, str) for name, text in labels.items()
    ):
        bad("labels", "expected labels as {name: text}, names of letters, digits, '_', '.', '-'")
    if not isinstance(passed, bool):
        bad("passed", "expected true or false")
    if error is not None and not isinstance(error, str):
        bad("error", "expected an error message or null")
    counts = dict.fromkeys(_STATUSES, 0)
    constraints = fields.get("constraints", [])
    if not isinstance(constraints, list | tuple):
        bad("constraints", "expected a list of constraint outcomes")
        constraints = []
    for index, outcome in enumerate(constraints):
        status = outcome.get("status") if isinstance(outcome, Mapping) else None
        if status not in counts:
            bad(f"constraints/{index}/status", f"expected one of {', '.join(_STATUSES)}")
        else:
            counts[status] += 1
    if problems:
        return None, problems
    return (
        Attempt(
            task_id=task_id,
            variant_id=variant_id,
            attempt=attempt,
            depth=depth,
            layers=tuple(layers),
            language=target["language"],
            framework=target["framework"],
            a_rate=None if a_rate is None else float(a_rate),
            raw_a_rate=None if raw_a_rate is None else float(raw_a_rate),
            passed=bool(passed),
            error=error,
            labels=FrozenDict(sorted(labels.items())),
            constraints_passed=counts["passed"],
            constraints_failed=counts["failed"],
            constraints_unchecked=counts["unchecked"],
        ),
        [],
    )


def _results(results: Iterable[Result] | str | os.PathLike[str]) -> tuple[list[Attempt], str | None]:
    """Attempts from records, ``Evaluation``\\ s or a results JSONL file; a LoadError listing every problem."""
    name = None
    if isinstance(results, str | os.PathLike):
        from .evaluate import load_results  # the results file format is cdspec.evaluate's

        name = os.fspath(results)
        results = load_results(results)
    attempts: list[Attempt] = []
    problems: list[Problem] = []
    for index, record in enumerate(results):
        data: Any = record
        if not isinstance(record, Mapping) and callable(getattr(record, "to_data", None)):
            data = record.to_data()
        attempt, found = _attempt(data, f"/{index}")
        problems.extend(attrs.evolve(p, file=name or "<results>") for p in found)
        if attempt is not None:
            attempts.append(attempt)
    if problems:  # positions below are those of the input only when every record was read
        raise LoadError(problems)
    first: dict[tuple[str, int, FrozenDict], int] = {}
    for index, attempt in enumerate(attempts):
        if attempt.variant_id is None:
            continue
        key = (attempt.variant_id, attempt.attempt, attempt.labels)
        if key in first:
            labelled = "".join(f" {name}={value}" for name, value in attempt.labels.items())
            message = (
                f"variant {attempt.variant_id} attempt {attempt.attempt}{labelled} is recorded twice "
                f"(results {first[key] + 1} and {index + 1}); remove one so it is not counted twice"
            )
            problems.append(Problem(message, file=name or "<results>", pointer=f"/{index}/attempt"))
        first.setdefault(key, index)
    if problems:
        raise LoadError(problems)
    return attempts, name


# --------------------------------------------------------------------------- the manifest


def _manifest_rows(
    manifest: Variants | Iterable[Mapping[str, Any]] | str | os.PathLike[str],
) -> tuple[Sequence[Mapping[str, Any]], str]:
    if isinstance(manifest, Variants):
        return manifest.manifest(), "<manifest>"
    if isinstance(manifest, str | os.PathLike):
        return _read_manifest(Path(manifest))
    return list(manifest), "<manifest>"


def _read_manifest(path: Path) -> tuple[Sequence[Mapping[str, Any]], str]:
    """The rows of a manifest file written by ``dump_manifest``: JSONL, or CSV when the name ends in ``.csv``."""
    from .load import _display, _jsonl_records, _safely

    file = path.absolute()
    name = _display(file)

    def load() -> Sequence[Mapping[str, Any]]:
        if file.suffix.lower() == ".csv":
            return _csv_manifest(file, name)
        records, problems = _jsonl_records(file, name, "manifest")
        if problems:
            raise LoadError(problems)
        return [data for _, data in records]

    return _safely(name, load), name


def _csv_manifest(file: Path, name: str) -> list[dict[str, Any]]:
    """Manifest rows from CSV: each row back in its JSON form, checked against the manifest schema."""
    from ._schemas import schema, schema_problems
    from ._source import MAX_FILE_BYTES, open_regular

    with open_regular(file, name) as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError([Problem(f"file is more than the {MAX_FILE_BYTES} bytes allowed", file=name)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError([Problem(f"not UTF-8 text (bad byte at offset {exc.start})", file=name)]) from None
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="(extra columns)")
    for record in reader:
        row: dict[str, Any] = dict(record)
        try:
            row["layers"] = [n for n in (row.get("layers") or "").split("+") if n]
            row["constraint_ids"] = [c for c in (row.get("constraint_ids") or "").split(";") if c]
            row["choices"] = json.loads(row.get("choices") or "{}")
            row["depth"] = int(row.get("depth") or "")
        except ValueError as exc:
            problems.append(Problem(f"not a manifest row ({exc})", file=name, line=reader.line_num))
            continue
        found = schema_problems(schema("manifest"), row)
        problems.extend(attrs.evolve(p, file=name, line=reader.line_num) for p in found)
        if not found:
            rows.append(row)
    if problems:
        raise LoadError(problems)
    return rows


def _join(attempts: list[Attempt], rows: Sequence[Mapping[str, Any]], name: str, results: str | None) -> list[Attempt]:
    """Each attempt with its variant's template, format and contract; problems where they disagree."""
    by_id = {row["id"]: row for row in rows}
    joined, problems = [], []
    for index, attempt in enumerate(attempts):
        if attempt.variant_id is None:
            joined.append(attempt)
            continue
        row = by_id.get(attempt.variant_id)
        where = f"/{index}/variant_id"
        if row is None:
            message = f"variant {attempt.variant_id} is not in the manifest {name}"
            problems.append(Problem(message, file=results or "<results>", pointer=where))
            continue
        mine = (attempt.task_id, attempt.depth, list(attempt.layers), attempt.language, attempt.framework)
        theirs = (row["task_id"], row["depth"], list(row["layers"]), row["language"], row["framework"])
        for field, left, right in zip(
            ("task_id", "depth", "layers", "language", "framework"), mine, theirs, strict=True
        ):
            if left != right:
                message = f"{field} is {json.dumps(left)}, but the manifest {name} says {json.dumps(right)}"
                pointer = f"/{index}/target/{field}" if field in ("language", "framework") else f"/{index}/{field}"
                problems.append(Problem(message, file=results or "<results>", pointer=pointer))
        joined.append(attrs.evolve(attempt, template=row["template"], format=row["format"], contract=row["contract"]))
    if problems:
        raise LoadError(problems)
    return joined


# --------------------------------------------------------------------------- statistics


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _sem(values: Sequence[float]) -> float | None:
    """The standard error of the mean: sample standard deviation over sqrt(n); ``None`` below two values."""
    if len(values) < 2:
        return None
    mean = math.fsum(values) / len(values)
    variance = math.fsum((value - mean) ** 2 for value in values) / (len(values) - 1)
    return math.sqrt(variance / len(values))


def _difference_se(*errors: float | None) -> float | None:
    """The standard error of a difference of independent means (``None`` when one is unknown)."""
    if any(error is None for error in errors):
        return None
    return math.sqrt(math.fsum(error * error for error in errors if error is not None))


# --------------------------------------------------------------------------- rows


@attrs.frozen
class DecayRow:
    """One group of attempts and its numbers.

    ``key`` maps each grouping key to this group's value (``layers`` as a
    tuple). ``attempts`` counts every attempt, ``errors`` those that could not
    be evaluated; the rates are over the others. ``scored`` counts the
    attempts with an assertion rate (a backend was run), ``checked`` the
    in-force constraint outcomes that were checked (passed or failed).
    ``a_rate`` (A%, enforced) and ``raw_a_rate`` (Raw A%) are means over the
    scored attempts; ``pass_at`` holds ``(k, pass@k)`` pairs, each the mean
    over the group's variants with at least ``k`` evaluated attempts of
    :func:`pass_at_k`; ``adherence`` is passed / checked. A rate is ``None``
    when nothing it needs is there. ``se`` maps each rate's name (``a_rate``,
    ``raw_a_rate``, ``pass@k``, ``adherence``) to its standard error.
    """

    key: FrozenDict
    attempts: int
    errors: int
    variants: int
    scored: int
    checked: int
    a_rate: float | None
    raw_a_rate: float | None
    pass_at: tuple[tuple[int, float | None], ...]
    adherence: float | None
    se: FrozenDict = attrs.field(factory=FrozenDict)

    @property
    def evaluated(self) -> int:
        """The attempts that were evaluated (``attempts - errors``)."""
        return self.attempts - self.errors

    def pass_at_k(self, k: int) -> float | None:
        """pass@k of this row (``k`` must be one of the report's)."""
        for size, value in self.pass_at:
            if size == k:
                return value
        raise ReportError(f"this report has pass@k for k in {[size for size, _ in self.pass_at]}, not {k}")

    def rates(self) -> dict[str, float | None]:
        """The row's rates by name: ``a_rate``, ``raw_a_rate``, ``pass@k`` for each k, ``adherence``."""
        return {
            "a_rate": self.a_rate,
            "raw_a_rate": self.raw_a_rate,
            **{f"pass@{k}": value for k, value in self.pass_at},
            "adherence": self.adherence,
        }

    def to_data(self) -> dict[str, Any]:
        """The row as JSON data, rates rounded (``schemas/decay.schema.json``, ``$defs/row``)."""
        return {
            "key": {name: list(value) if name == "layers" else value for name, value in self.key.items()},
            "attempts": self.attempts,
            "errors": self.errors,
            "variants": self.variants,
            "scored": self.scored,
            "checked": self.checked,
            "a_rate": _round(self.a_rate),
            "raw_a_rate": _round(self.raw_a_rate),
            "pass_at": {str(k): _round(value) for k, value in self.pass_at},
            "adherence": _round(self.adherence),
            "se": {name: _round(value) for name, value in self.se.items()},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def _row(key: FrozenDict, attempts: Sequence[Attempt], ks: Sequence[int]) -> DecayRow:
    evaluated = [a for a in attempts if a.error is None]
    scored = [a for a in evaluated if a.a_rate is not None]
    per_variant: dict[str, list[bool]] = {}
    for attempt in evaluated:
        per_variant.setdefault(attempt.variant, []).append(attempt.passed)
    pass_at = []
    se: dict[str, float | None] = {}
    a_rates = [a.a_rate for a in scored if a.a_rate is not None]
    raw_rates = [a.raw_a_rate for a in scored if a.raw_a_rate is not None]
    se["a_rate"], se["raw_a_rate"] = _sem(a_rates), _sem(raw_rates)
    for k in ks:
        estimates = [pass_at_k(len(runs), sum(runs), k) for runs in per_variant.values() if len(runs) >= k]
        pass_at.append((k, _mean(estimates)))
        se[f"pass@{k}"] = _sem(estimates)
    passed = sum(a.constraints_passed for a in evaluated)
    checked = passed + sum(a.constraints_failed for a in evaluated)
    adherence = passed / checked if checked else None
    # Binomial standard error of the pooled proportion of checked outcomes.
    se["adherence"] = None if adherence is None else math.sqrt(adherence * (1 - adherence) / checked)
    return DecayRow(
        key=key,
        attempts=len(attempts),
        errors=len(attempts) - len(evaluated),
        variants=len({a.variant for a in attempts}),
        scored=len(scored),
        checked=checked,
        a_rate=_mean(a_rates),
        raw_a_rate=_mean(raw_rates),
        pass_at=tuple(pass_at),
        adherence=adherence,
        se=FrozenDict(se),
    )


def _sort_key(name: str, value: Any) -> tuple[Any, ...]:
    if value is None:
        return (1,)
    if name == "layers":
        return (0, len(value), value)
    return (0, value)


def _by(by: str | Sequence[str]) -> tuple[str, ...]:
    names = [part.strip() for part in by.split(",")] if isinstance(by, str) else [str(part).strip() for part in by]
    names = [name for name in names if name]
    unknown = [name for name in names if name not in GROUP_KEYS and not LABEL_NAME.match(name)]
    if unknown:
        raise ReportError(f"cannot group by {unknown[0]!r} (known: {', '.join(GROUP_KEYS)}, or a label's name)")
    if len(set(names)) != len(names):
        raise ReportError(f"a grouping key is named twice in {', '.join(names)}")
    return tuple(names)


def _ks(k: int | Sequence[int] | None, attempts: Sequence[Attempt]) -> tuple[int, ...]:
    if k is None:
        counts: dict[str, int] = {}
        for attempt in attempts:
            if attempt.error is None:
                counts[attempt.variant] = counts.get(attempt.variant, 0) + 1
        fewest = min(counts.values(), default=1)
        return (1, fewest) if fewest > 1 else (1,)
    sizes = [k] if isinstance(k, int) else list(k)
    if not sizes or not all(_is_int(size) and size >= 1 for size in sizes):
        raise ReportError(f"k must be one or more integers from 1, got {k!r}")
    return tuple(sorted(set(sizes)))


# --------------------------------------------------------------------------- tables


_TITLES = {"a_rate": "A%", "raw_a_rate": "Raw A%", "adherence": "adherence"}


@attrs.frozen
class Column:
    """A column of a :class:`Table`: its name in the data, its heading, and how its values read.

    ``kind`` is ``key`` (a grouping value), ``count``, ``rate`` (a fraction,
    shown in percent), ``points`` (a difference of rates, shown in signed
    percentage points) or ``rank``; ``se`` names the column holding this
    one's standard error, which Markdown, HTML and LaTeX show as ``± se``.
    ``shown`` is false for columns only the data formats carry.
    """

    name: str
    title: str
    kind: str
    se: str | None = None
    shown: bool = True


@attrs.frozen
class Table:
    """A table of the study's (Table 1, Table 2a, a ranking, a delta), in every format a paper needs.

    ``rows`` holds one mapping per row from column name to value (rates as
    fractions, ``layers`` as a tuple, ``None`` where there is nothing).
    :meth:`to_markdown`, :meth:`to_csv`, :meth:`to_latex`, :meth:`to_html`,
    :meth:`to_data` and :meth:`to_pandas` give the same rows; the text
    formats show a rate with its standard error as ``72.5 ± 3.1``.
    """

    title: str
    columns: tuple[Column, ...]
    rows: tuple[FrozenDict, ...]
    notes: tuple[str, ...] = ()
    caption: str = ""

    def _cells(self, row: Mapping[str, Any], escape: Callable[[str], str], plus_minus: str) -> list[str]:
        cells = []
        for column in self.columns:
            if not column.shown:
                continue
            value = row.get(column.name)
            text = _cell(column, value)
            error = row.get(column.se) if column.se else None
            if error is not None and value is not None:
                text += f"{plus_minus}{100 * error:.1f}"
            cells.append(escape(text))
        return cells

    def _shown(self) -> list[Column]:
        return [column for column in self.columns if column.shown]

    def to_markdown(self) -> str:
        """A Markdown table (rates in percent to one decimal, ``± SE`` where known), with the title and notes."""
        shown = self._shown()
        lines = [
            "| " + " | ".join(_md(column.title) for column in shown) + " |",
            "|" + "|".join("---" if column.kind == "key" else "---:" for column in shown) + "|",
        ]
        lines.extend("| " + " | ".join(self._cells(row, _md, " ± ")) + " |" for row in self.rows)
        heading = f"**{self.title}**" + (f": {self.caption}" if self.caption else "")
        notes = [heading, "", *lines]
        if self.notes:
            notes += ["", *self.notes]
        return "\n".join(notes) + "\n"

    def to_csv(self) -> str:
        """One line per row, every column (standard errors too), rates as fractions; empty where there is none."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([column.name for column in self.columns])
        for row in self.rows:
            writer.writerow(["" if value is None else value for value in self._values(row)])
        return buffer.getvalue()

    def _values(self, row: Mapping[str, Any]) -> list[Any]:
        values = []
        for column in self.columns:
            value = row.get(column.name)
            if isinstance(value, tuple):
                value = "+".join(value)
            elif isinstance(value, float):
                value = _round(value)
            values.append(value)
        return values

    def to_data(self) -> dict[str, Any]:
        """``{"title", "columns", "rows"}``: each row an object of every column (rates rounded fractions)."""
        names = [column.name for column in self.columns]
        return {
            "title": self.title,
            "columns": names,
            "rows": [
                {
                    name: list(row[name]) if isinstance(row.get(name), tuple) else value
                    for name, value in zip(names, self._values(row), strict=True)
                }
                for row in self.rows
            ],
        }

    def to_json(self) -> str:
        """:meth:`to_data` as indented JSON text."""
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"

    def to_latex(self) -> str:
        """A booktabs ``tabular`` (``\\toprule``, ``\\midrule``), rates in percent with ``$\\pm$`` SE."""
        shown = self._shown()
        spec = "".join("l" if column.kind == "key" else "r" for column in shown)
        lines = [
            f"% {_latex(self.title)}",
            f"\\begin{{tabular}}{{{spec}}}",
            "\\toprule",
            " & ".join(_latex(column.title) for column in shown) + " \\\\",
            "\\midrule",
        ]
        for row in self.rows:
            cells = [_latex(cell).replace("±", "$\\pm$") for cell in self._cells(row, str, " ± ")]
            lines.append(" & ".join(cells) + " \\\\")
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """An HTML ``<table>`` with the title as caption (what a notebook shows)."""
        shown = self._shown()
        head = "".join(f"<th>{html.escape(column.title)}</th>" for column in shown)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{cell}</td>" if column.kind == "key" else f'<td style="text-align:right">{cell}</td>'
                for column, cell in zip(shown, self._cells(row, html.escape, " ± "), strict=True)
            )
            + "</tr>"
            for row in self.rows
        )
        caption = html.escape(self.caption or self.title)
        return f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of every column (rates as fractions). Needs the ``pandas`` extra."""
        import importlib

        try:
            pandas = importlib.import_module("pandas")  # Any: pandas ships no type information of its own
        except ImportError:
            raise ReportError(
                "to_pandas needs pandas, which is in the 'pandas' extra: pip install 'cdspec[pandas]'"
            ) from None
        names = [column.name for column in self.columns]
        return pandas.DataFrame([self._values(row) for row in self.rows], columns=names)

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self.to_html()


def _cell(column: Column, value: Any) -> str:
    if value is None:
        return "-"
    if column.kind == "key":
        return _key_text(column.name, value)
    if column.kind == "rate":
        return f"{100 * value:.1f}"
    if column.kind == "points":
        return f"{100 * value:+.1f}"
    return str(value)


_LATEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {"~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}


def _latex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, "\\textbackslash{}" if c == "\\" else c) for c in text)


def _rate_name(rate: str) -> str:
    if rate not in RATES:
        raise ReportError(f"no rate {rate!r} (known: {', '.join(RATES)})")
    return rate


def _rate_title(rate: str) -> str:
    return _TITLES.get(rate, rate)


# --------------------------------------------------------------------------- the report


@attrs.frozen
class DecayReport:
    """Attempts grouped ``by`` some keys: one :class:`DecayRow` per group, sorted by key.

    ``overall`` is the row of all attempts together; ``k`` the sizes of pass@k
    given in every row; ``attempts`` the attempts the report was made from
    (so it can be regrouped and plotted). Displays as a table in a notebook.
    """

    by: tuple[str, ...]
    k: tuple[int, ...]
    rows: tuple[DecayRow, ...]
    overall: DecayRow
    attempts: tuple[Attempt, ...] = attrs.field(repr=False)

    @property
    def error_attempts(self) -> tuple[Attempt, ...]:
        """The attempts that could not be evaluated, in input order."""
        return tuple(a for a in self.attempts if a.error is not None)

    @property
    def labels(self) -> tuple[str, ...]:
        """The names of the labels the attempts carry, sorted."""
        return tuple(sorted({name for attempt in self.attempts for name in attempt.labels}))

    def regroup(self, by: str | Sequence[str]) -> DecayReport:
        """The same attempts grouped by other keys (same ``k``)."""
        return _make(self.attempts, _by(by), self.k)

    # ----------------------------------------------------------------------- the study's other tables

    def effects(self, rate: str = "a_rate", *, by: str | Sequence[str] = ()) -> Table:
        """The marginal effect of each layer on ``rate``, from matched pairs (the study's Table 2a).

        A pair is two variants that differ by exactly one layer and in
        nothing else (the other layers in the same order; task, target,
        template, format, contract and labels alike): its effect is the variant with the layer's mean ``rate``
        over its evaluated attempts minus the variant without it's. Per
        layer (and per group of ``by``, e.g. ``model``), the table gives the
        number of pairs, their mean effect and its standard error (SEM), in
        percentage points in the text formats. Layers come in stack order.
        """
        rate = _rate_name(rate)
        keys = _by(by)
        if any(name in ("depth", "layers", "variant") for name in keys):
            raise ReportError("effects compare layer sets: group them by target, task, manifest keys or labels only")
        _check_labels(self.attempts, keys)
        per_variant: dict[tuple[Any, ...], list[float]] = {}
        groups: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for attempt in self.attempts:
            value = attempt.rate(rate) if attempt.error is None else None
            if value is None:
                continue
            context = (
                attempt.task_id,
                attempt.language,
                attempt.framework,
                attempt.template,
                attempt.format,
                attempt.contract,
                attempt.labels,
            )
            variant = (context, attempt.layers)
            per_variant.setdefault(variant, []).append(value)
            groups[variant] = tuple(attempt.value(name) for name in keys)
        means = {variant: math.fsum(values) / len(values) for variant, values in per_variant.items()}
        differences: dict[tuple[Any, ...], list[float]] = {}
        for (context, layers), mean in means.items():
            for layer in layers:
                without = (context, tuple(other for other in layers if other != layer))
                if without in means:
                    group = groups[(context, layers)]
                    differences.setdefault((*group, layer), []).append(mean - means[without])
        order = _layer_order(self.attempts)
        rows = []
        for key in sorted(
            differences,
            key=lambda key: (
                [_sort_key(name, value) for name, value in zip(keys, key, strict=False)],
                order[key[-1]],
            ),
        ):
            values = differences[key]
            rows.append(
                FrozenDict(
                    {**dict(zip(keys, key, strict=False)), "layer": key[-1], "pairs": len(values)}
                    | {"effect": _mean(values), "sem": _sem(values)}
                )
            )
        columns = (
            *(Column(name, name, "key") for name in keys),
            Column("layer", "layer", "key"),
            Column("pairs", "pairs", "count"),
            Column("effect", f"effect on {_rate_title(rate)} (pp)", "points", se="sem"),
            Column("sem", "SEM", "rate", shown=False),
        )
        notes = (
            "Each pair: two variants that differ by this one layer and nothing else; "
            "effect = mean with it - mean without it, in percentage points, ± the standard error over pairs.",
        )
        return Table(f"Marginal effect of each layer on {_rate_title(rate)}", columns, tuple(rows), notes)

    def ranking(self, by: str = "framework", rate: str = "a_rate") -> Table:
        """The groups of ``by`` (a framework, a model, ...) ranked by mean ``rate``, best first, with SE."""
        rate = _rate_name(rate)
        grouped = self.regroup([by])
        _check_labels(self.attempts, (by,))
        scored = []
        for row in grouped.rows:
            value, error = _row_rate(row, rate)
            scored.append((row, value, error))
        scored.sort(key=lambda item: (item[1] is None, -(item[1] or 0.0), _sort_key(by, item[0].key[by])))
        rows = tuple(
            FrozenDict(
                {"rank": index, by: row.key[by], "attempts": row.attempts, "evaluated": row.evaluated}
                | {rate: value, f"{rate}_se": error}
            )
            for index, (row, value, error) in enumerate(scored, 1)
        )
        columns = (
            Column("rank", "rank", "rank"),
            Column(by, by, "key"),
            Column("attempts", "attempts", "count"),
            Column("evaluated", "evaluated", "count"),
            Column(rate, _rate_title(rate), "rate", se=f"{rate}_se"),
            Column(f"{rate}_se", "SE", "rate", shown=False),
        )
        return Table(f"{by} ranked by {_rate_title(rate)}", columns, rows)

    def delta(
        self, start: int = 0, end: int | None = None, *, rate: str = "a_rate", by: str | Sequence[str] = ()
    ) -> Table:
        """How ``rate`` changes from depth ``start`` to ``end`` (default: the deepest), per group of ``by``.

        Each row gives the mean at both depths and their difference (end -
        start, the study's L3-L0 for 0 and 3) with its standard error
        (the two means' errors combined as independent).
        """
        rate = _rate_name(rate)
        keys = tuple(name for name in _by(by) if name != "depth")
        depths = sorted({attempt.depth for attempt in self.attempts})
        end = depths[-1] if end is None and depths else end
        if end is None or start not in depths or end not in depths:
            raise ReportError(f"delta needs attempts at depths {start} and {end}; the results have {depths}")
        grouped = self.regroup(("depth", *keys))
        at: dict[tuple[Any, ...], dict[int, DecayRow]] = {}
        for row in grouped.rows:
            at.setdefault(tuple(row.key[name] for name in keys), {})[row.key["depth"]] = row
        rows = []
        for group, by_depth in at.items():
            first, first_se = _row_rate(by_depth[start], rate) if start in by_depth else (None, None)
            last, last_se = _row_rate(by_depth[end], rate) if end in by_depth else (None, None)
            change = None if first is None or last is None else last - first
            values = {f"d{start}": first, f"d{start}_se": first_se, f"d{end}": last, f"d{end}_se": last_se}
            values |= {"delta": change, "delta_se": None if change is None else _difference_se(first_se, last_se)}
            rows.append(FrozenDict(dict(zip(keys, group, strict=True)) | values))
        columns = (
            *(Column(name, name, "key") for name in keys),
            Column(f"d{start}", f"{_rate_title(rate)} at depth {start}", "rate", se=f"d{start}_se"),
            Column(f"d{start}_se", "SE", "rate", shown=False),
            Column(f"d{end}", f"{_rate_title(rate)} at depth {end}", "rate", se=f"d{end}_se"),
            Column(f"d{end}_se", "SE", "rate", shown=False),
            Column("delta", f"L{end}-L{start} (pp)", "points", se="delta_se"),
            Column("delta_se", "SE", "rate", shown=False),
        )
        return Table(f"{_rate_title(rate)} from depth {start} to depth {end}", columns, tuple(rows))

    # ----------------------------------------------------------------------- formats

    def table(self) -> Table:
        """The decay table (the study's Table 1) as a :class:`Table`: keys, counts, rates with their SE."""
        columns = [Column(name, name, "key") for name in self.by]
        columns += [Column(name, name, "count", shown=name not in ("scored", "checked")) for name in _COUNTS]
        for rate in ("a_rate", "raw_a_rate", *(f"pass@{k}" for k in self.k), "adherence"):
            columns += [
                Column(rate, _rate_title(rate), "rate", se=f"{rate}_se"),
                Column(f"{rate}_se", "SE", "rate", shown=False),
            ]
        rows = []
        for row in self.rows:
            values: dict[str, Any] = {name: row.key[name] for name in self.by}
            values |= {name: getattr(row, name) for name in _COUNTS}
            for rate, value in row.rates().items():
                values[rate], values[f"{rate}_se"] = value, row.se.get(rate)
            rows.append(FrozenDict(values))
        notes: tuple[str, ...] = ()
        if self.overall.errors:
            errors = self.overall.errors
            notes = (f"{_count(errors, 'attempt')} with an error: counted, but in no rate (see `error_attempts`).",)
        return Table("Decay report", tuple(columns), tuple(rows), notes, caption=f"{self.summary()}.")

    def to_data(self) -> dict[str, Any]:
        """The report as JSON data, valid against ``schemas/decay.schema.json``."""
        return {
            "by": list(self.by),
            "k": list(self.k),
            "rows": [row.to_data() for row in self.rows],
            "overall": self.overall.to_data(),
            "error_attempts": [
                {
                    "task_id": a.task_id,
                    "variant_id": a.variant_id,
                    "attempt": a.attempt,
                    "labels": dict(a.labels),
                    "error": a.error,
                }
                for a in self.error_attempts
            ],
        }

    def to_json(self) -> str:
        """:meth:`to_data` as indented JSON text, the same bytes for the same attempts."""
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"

    def to_csv(self) -> str:
        """One line per row: the keys (``layers`` joined by ``+``), the counts, each rate and its SE as fractions."""
        return self.table().to_csv()

    def to_latex(self) -> str:
        """The table as a booktabs LaTeX ``tabular``, rates in percent ``$\\pm$`` SE."""
        return self.table().to_latex()

    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs the ``pandas`` extra)."""
        return self.table().to_pandas()

    def summary(self) -> str:
        """One line: how many attempts of how many variants, grouped how, and how many errors."""
        total = self.overall
        errors = f", {total.errors} could not be evaluated" if total.errors else ""
        by = ", ".join(self.by) or "nothing"
        return f"{_count(total.attempts, 'attempt')} of {_count(total.variants, 'variant')} by {by}{errors}"

    def to_markdown(self) -> str:
        """A Markdown table, rates in percent to one decimal ``± SE``; ``-`` where a rate has nothing to average."""
        return self.table().to_markdown()

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self.table().to_html()

    # ----------------------------------------------------------------------- the plot

    def plot(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        format: str | None = None,
        by: str | Sequence[str] | None = None,
    ) -> Figure:
        """A% (solid) and Raw A% (dashed) against depth, ± one standard error as a band, one series per group.

        The series are the groups of ``by`` (default: the report's own keys
        other than ``depth`` and ``layers``, e.g. ``framework`` or
        ``model``; none: one series). Up to four series share one axes with
        the legend outside it; more get one small panel each (shared axes),
        so eight frameworks stay legible. Returns a matplotlib ``Figure``
        (displayed inline in a notebook). With ``path``, also writes it as
        PNG or SVG (from ``format`` or the file's suffix); SVG output is
        byte-for-byte the same for the same attempts. Needs the ``plot``
        extra: ``pip install 'cdspec[plot]'``.
        """
        kind = (format or (Path(path).suffix.lstrip(".") if path is not None else "png")).lower()
        if kind not in ("png", "svg"):
            raise ReportError(f"a plot is written as png or svg, not {kind!r}")
        series = tuple(n for n in (self.by if by is None else _by(by)) if n not in ("depth", "layers"))
        _check_labels(self.attempts, series)
        figure = _figure(self.regroup(("depth", *series)), series)
        if path is not None:
            _save(figure, path, kind)
        _show_inline(figure)
        return figure


_COUNTS = ("attempts", "variants", "errors", "scored", "checked")


def _row_rate(row: DecayRow, rate: str) -> tuple[float | None, float | None]:
    return row.rates().get(rate), row.se.get(rate)


def _layer_order(attempts: Iterable[Attempt]) -> dict[str, tuple[int, str]]:
    """Layers in stack order: by the lowest position each is seen at, then by name."""
    lowest: dict[str, int] = {}
    for attempt in attempts:
        for position, layer in enumerate(attempt.layers):
            lowest[layer] = min(position, lowest.get(layer, position))
    return {layer: (position, layer) for layer, position in lowest.items()}


def _check_labels(attempts: Sequence[Attempt], keys: Iterable[str]) -> None:
    """A grouping key that is neither built in nor a label of any attempt is a typo, not a group of ``None``."""
    for name in keys:
        if name not in GROUP_KEYS and attempts and not any(name in attempt.labels for attempt in attempts):
            known = sorted({label for attempt in attempts for label in attempt.labels})
            raise ReportError(
                f"cannot group by {name!r}: it is no built-in key ({', '.join(GROUP_KEYS)}) and no result "
                f"has a label of that name (labels: {', '.join(known) or 'none'})"
            )


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _key_text(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "layers":
        return " + ".join(value) or "(none)"
    return str(value)


def _md(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text).replace("|", "\\|")


def _make(attempts: Sequence[Attempt], by: tuple[str, ...], ks: tuple[int, ...]) -> DecayReport:
    missing = [name for name in by if name in _FROM_MANIFEST and any(a.value(name) is None for a in attempts)]
    if missing:
        raise ReportError(
            f"grouping by {missing[0]} needs a variants manifest (--manifest) and a variant id on every result"
        )
    _check_labels(attempts, by)
    groups: dict[tuple[Any, ...], list[Attempt]] = {}
    for attempt in attempts:
        groups.setdefault(tuple(attempt.value(name) for name in by), []).append(attempt)
    order = sorted(groups, key=lambda key: [_sort_key(name, value) for name, value in zip(by, key, strict=True)])
    rows = tuple(_row(FrozenDict(zip(by, key, strict=True)), groups[key], ks) for key in order)
    return DecayReport(by, ks, rows, _row(FrozenDict(), attempts, ks), tuple(attempts))


def decay_report(
    results: Iterable[Result] | str | os.PathLike[str],
    *,
    by: str | Sequence[str] = "depth",
    manifest: Variants | Iterable[Mapping[str, Any]] | str | os.PathLike[str] | None = None,
    k: int | Sequence[int] | None = None,
) -> DecayReport:
    """The decay report of ``results``, grouped ``by`` keys of :data:`GROUP_KEYS` or label names.

    ``results`` is an iterable of ``Evaluation``\\ s or their data (mappings
    shaped like ``schemas/result.schema.json``; records of the old format,
    with ``strict_rate``, are migrated), or the path of a results JSONL file
    (read with :func:`cdspec.evaluate.load_results`). ``by`` is a key or
    several (``"depth,framework"``, ``["depth", "model"]``); a name that is
    not built in is a label (``model``, ``agent``, ...), and must be carried
    by at least one result. ``manifest`` (``Variants``, manifest rows, or a
    manifest file written by ``cdspec.dump_manifest``: JSONL, or CSV for a
    ``.csv`` name) is joined on the variant id: every result with a variant
    id must be in it and agree with it, and it adds template, format and
    contract to group by. ``k`` is the pass@k sizes; by default 1 and, when
    every variant has several evaluated attempts, the fewest any variant has.

    Raises :class:`~cdspec.LoadError` listing every malformed result, repeated
    ``(variant_id, attempt, labels)`` and disagreement with the manifest, and
    :class:`ReportError` for an unknown key or a bad ``k``.
    """
    keys = _by(by)
    attempts, name = _results(results)
    if manifest is not None:
        rows, manifest_name = _manifest_rows(manifest)
        attempts = _join(attempts, rows, manifest_name, name)
    return _make(attempts, keys, _ks(k, attempts))


# --------------------------------------------------------------------------- matplotlib, on demand


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ReportError(
            "plotting needs matplotlib, which is in the 'plot' extra: pip install 'cdspec[plot]'"
        ) from None
    return matplotlib


_LINE_STYLES = (("a_rate", "-", "o", "A%"), ("raw_a_rate", "--", "s", "Raw A%"))
_SHARED_AXES_AT_MOST = 4
"""Up to this many series share one axes; more get a panel each."""


def _series_name(key: Mapping[str, Any], series: Sequence[str]) -> str:
    return ", ".join(_key_text(name, key[name]) for name in series) or "all attempts"


def _draw(axes: Any, rows: Sequence[DecayRow], colour: str, name: str | None) -> None:
    """One series on ``axes``: A% and Raw A% against depth, each with a band of ± one SE."""
    for field, style, marker, label in _LINE_STYLES:
        points = [(row.key["depth"], getattr(row, field), row.se.get(field)) for row in rows]
        points = [point for point in points if point[1] is not None]
        if not points:
            continue
        xs = [depth for depth, _, _ in points]
        ys = [100 * rate for _, rate, _ in points]
        errors = [100 * (error or 0.0) for _, _, error in points]
        axes.plot(
            xs, ys, linestyle=style, marker=marker, color=colour, label=label if name is None else f"{name} {label}"
        )
        axes.fill_between(  # a rate stays within 0 to 100%, and so does its band
            xs,
            [max(0.0, y - e) for y, e in zip(ys, errors, strict=True)],
            [min(100.0, y + e) for y, e in zip(ys, errors, strict=True)],
            color=colour,
            alpha=0.15,
            linewidth=0,
        )


def _figure(grouped: DecayReport, series: Sequence[str]) -> Figure:
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups: dict[str, list[DecayRow]] = {}
    for row in grouped.rows:
        groups.setdefault(_series_name(row.key, series), []).append(row)
    depths = sorted({row.key["depth"] for row in grouped.rows})
    title = "Constraint decay: A% (solid) and Raw A% (dashed), bands ± 1 SE"
    if len(groups) <= _SHARED_AXES_AT_MOST:
        figure = Figure(figsize=(8.0, 4.5), dpi=100)
        FigureCanvasAgg(figure)  # the non-interactive Agg canvas: no GUI, no global pyplot state
        axes = figure.add_subplot()
        for index, (name, rows) in enumerate(groups.items()):
            _draw(axes, rows, f"C{index % 10}", name if series else None)
        _decorate(axes, depths)
        axes.set_title(title, fontsize="medium")
        if axes.get_lines():
            axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", borderaxespad=0.0)
        else:
            axes.text(0.5, 0.5, "no assertion rates to plot", ha="center", va="center", transform=axes.transAxes)
        figure.tight_layout()
        return figure
    columns = 4
    lines = math.ceil(len(groups) / columns)
    figure = Figure(figsize=(3.0 * columns, 2.6 * lines + 0.9), dpi=100)
    FigureCanvasAgg(figure)
    panels = figure.subplots(lines, columns, sharex=True, sharey=True, squeeze=False)
    for index, (name, rows) in enumerate(groups.items()):
        axes = panels[index // columns][index % columns]
        _draw(axes, rows, f"C{index % 10}", None)
        _decorate(axes, depths, labels=False)
        axes.set_title(name, fontsize="medium")
    for index in range(len(groups), lines * columns):
        panels[index // columns][index % columns].set_visible(False)
    for line in range(lines):
        panels[line][0].set_ylabel("pass rate (%)")
    for column in range(columns):
        panels[lines - 1][column].set_xlabel("depth")
    figure.suptitle(title, fontsize="medium")
    figure.tight_layout()
    return figure


def _decorate(axes: Any, depths: Sequence[int], *, labels: bool = True) -> None:
    axes.set_xticks(depths)
    if labels:
        axes.set_xlabel("depth (layers in force)")
        axes.set_ylabel("pass rate (%)")
    axes.set_ylim(-2, 102)
    axes.grid(visible=True, alpha=0.3)


def _save(figure: Figure, path: str | os.PathLike[str], kind: str) -> None:
    matplotlib = _matplotlib()
    # A fixed hash salt and no date make the SVG the same bytes every time.
    with matplotlib.rc_context({"svg.hashsalt": "cdspec-decay"}):
        metadata = {"Date": None} if kind == "svg" else {}
        try:
            figure.savefig(path, format=kind, metadata=metadata, bbox_inches="tight")
        except OSError as exc:
            raise ReportError(f"{os.fspath(path)}: cannot write the plot: {exc.strerror or exc}") from None


def _show_inline(figure: Figure) -> None:
    """In IPython, make a ``Figure`` made without pyplot display as PNG (as pyplot's inline backend does)."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if not isinstance(formatters, Mapping) or "image/png" not in formatters:
        return
    png = formatters["image/png"]
    try:
        png.lookup_by_type(type(figure))
    except KeyError:
        png.for_type(type(figure), _png_bytes)


def _png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
