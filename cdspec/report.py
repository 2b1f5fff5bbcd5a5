"""Decay reports: many evaluated attempts, summarised by depth, layers and framework.

An *attempt* is one result record (``schemas/result.schema.json``): an
:class:`~cdspec.evaluate.Evaluation`, or a plain mapping of the same shape, a
line of ``results.jsonl``. :func:`decay_report` groups attempts by any
combination of depth, layer combination and target framework (and, joined
with a variants manifest, template, format and contract style) and gives for
each group the counts, the mean assertion pass rate (the study's A%), the
mean strict rate (zero when an in-force constraint failed), pass@1 and the
unbiased pass@k, and the constraint adherence rate::

    report = decay_report("results.jsonl", by="depth,framework", manifest="manifest.csv")
    print(report.to_markdown())
    report.plot("decay.svg")

Attempts that could not be evaluated (an ``error``) are counted in their
group's ``errors`` and listed in :attr:`DecayReport.error_attempts`; they
take no part in any rate. Output is deterministic: rows are sorted by their
key, means are order-independent sums, and the text formats round the same
way every time. The plot needs the ``plot`` extra (matplotlib), imported only
when a plot is drawn.
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
from .plans import Variants

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

__all__ = [
    "GROUP_KEYS",
    "Attempt",
    "DecayReport",
    "DecayRow",
    "ReportError",
    "decay_report",
    "pass_at_k",
]

GROUP_KEYS = ("task", "depth", "layers", "language", "framework", "template", "format", "contract")
"""What a report can group by. ``template``, ``format`` and ``contract`` come from a variants manifest."""

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

    ``a_rate`` and ``strict_rate`` are ``None`` when no backend was run;
    ``error`` is set when the attempt could not be evaluated at all. The
    constraint counts are of the in-force constraints' statuses.
    ``template``, ``format`` and ``contract`` are known only from a manifest.
    """

    task_id: str
    variant_id: str | None
    attempt: int
    depth: int
    layers: tuple[str, ...]
    language: str
    framework: str
    a_rate: float | None
    strict_rate: float | None
    passed: bool
    error: str | None = None
    constraints_passed: int = 0
    constraints_failed: int = 0
    constraints_unchecked: int = 0
    template: str | None = None
    format: str | None = None
    contract: str | None = None

    @property
    def variant(self) -> str:
        """The variant this attempt belongs to: its id, or for a result without one, its task, stack and target."""
        if self.variant_id is not None:
            return self.variant_id
        return f"{self.task_id}|{'+'.join(self.layers)}|{self.language}/{self.framework}"

    def value(self, key: str) -> Any:
        """The attempt's value for a grouping key of :data:`GROUP_KEYS`."""
        return self.task_id if key == "task" else getattr(self, key)


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
    fields: dict[str, Any] = dict.fromkeys(("variant_id", "a_rate", "strict_rate", "error"))
    fields.update(data)
    task_id, variant_id, attempt = fields.get("task_id", ""), fields["variant_id"], fields.get("attempt", 0)
    depth, layers, target = fields.get("depth", -1), fields.get("layers", ()), fields.get("target", {})
    a_rate, strict_rate, passed, error = fields["a_rate"], fields["strict_rate"], fields.get("passed"), fields["error"]
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
    for field, rate in (("a_rate", a_rate), ("strict_rate", strict_rate)):
        if rate is not None and not _is_rate(rate):
            bad(field, "expected a rate from 0 to 1, or null")
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
            strict_rate=None if strict_rate is None else float(strict_rate),
            passed=bool(passed),
            error=error,
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
    first: dict[tuple[str, int], int] = {}
    for index, attempt in enumerate(attempts):
        if attempt.variant_id is None:
            continue
        key = (attempt.variant_id, attempt.attempt)
        if key in first:
            message = (
                f"variant {attempt.variant_id} attempt {attempt.attempt} is recorded twice "
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


# --------------------------------------------------------------------------- rows


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


@attrs.frozen
class DecayRow:
    """One group of attempts and its numbers.

    ``key`` maps each grouping key to this group's value (``layers`` as a
    tuple). ``attempts`` counts every attempt, ``errors`` those that could not
    be evaluated; the rates are over the others. ``scored`` counts the
    attempts with an assertion rate (a backend was run), ``checked`` the
    in-force constraint outcomes that were checked (passed or failed).
    ``a_rate`` and ``strict_rate`` are means over attempts; ``pass_at`` holds
    ``(k, pass@k)`` pairs, each the mean over the group's variants with at
    least ``k`` evaluated attempts of :func:`pass_at_k`; ``adherence`` is
    passed / checked. A rate is ``None`` when nothing it needs is there.
    """

    key: FrozenDict
    attempts: int
    errors: int
    variants: int
    scored: int
    checked: int
    a_rate: float | None
    strict_rate: float | None
    pass_at: tuple[tuple[int, float | None], ...]
    adherence: float | None

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
            "strict_rate": _round(self.strict_rate),
            "pass_at": {str(k): _round(value) for k, value in self.pass_at},
            "adherence": _round(self.adherence),
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
    for k in ks:
        estimates = [pass_at_k(len(runs), sum(runs), k) for runs in per_variant.values() if len(runs) >= k]
        pass_at.append((k, _mean(estimates)))
    passed = sum(a.constraints_passed for a in evaluated)
    checked = passed + sum(a.constraints_failed for a in evaluated)
    return DecayRow(
        key=key,
        attempts=len(attempts),
        errors=len(attempts) - len(evaluated),
        variants=len({a.variant for a in attempts}),
        scored=len(scored),
        checked=checked,
        a_rate=_mean([a.a_rate for a in scored if a.a_rate is not None]),
        strict_rate=_mean([a.strict_rate if a.strict_rate is not None else 0.0 for a in scored]),
        pass_at=tuple(pass_at),
        adherence=passed / checked if checked else None,
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
    unknown = [name for name in names if name not in GROUP_KEYS]
    if unknown:
        raise ReportError(f"cannot group by {unknown[0]!r} (known: {', '.join(GROUP_KEYS)})")
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

    def regroup(self, by: str | Sequence[str]) -> DecayReport:
        """The same attempts grouped by other keys (same ``k``)."""
        return _make(self.attempts, _by(by), self.k)

    # ----------------------------------------------------------------------- formats

    def to_data(self) -> dict[str, Any]:
        """The report as JSON data, valid against ``schemas/decay.schema.json``."""
        return {
            "by": list(self.by),
            "k": list(self.k),
            "rows": [row.to_data() for row in self.rows],
            "overall": self.overall.to_data(),
            "error_attempts": [
                {"task_id": a.task_id, "variant_id": a.variant_id, "attempt": a.attempt, "error": a.error}
                for a in self.error_attempts
            ],
        }

    def to_json(self) -> str:
        """:meth:`to_data` as indented JSON text, the same bytes for the same attempts."""
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"

    def _columns(self) -> list[str]:
        return (
            [*self.by, "attempts", "errors", "variants", "scored", "checked", "a_rate", "strict_rate"]
            + [f"pass@{k}" for k in self.k]
            + ["adherence"]
        )

    def to_csv(self) -> str:
        """One line per row: the keys (``layers`` joined by ``+``), the counts, the rates as fractions."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self._columns())
        for row in self.rows:
            data = row.to_data()
            keys = ["+".join(data["key"][n]) if n == "layers" else data["key"][n] for n in self.by]
            counts = [data[name] for name in ("attempts", "errors", "variants", "scored", "checked")]
            rates = [data["a_rate"], data["strict_rate"], *data["pass_at"].values(), data["adherence"]]
            writer.writerow([*keys, *counts, *("" if rate is None else rate for rate in rates)])
        return buffer.getvalue()

    def _table(self, cell: Callable[[str], str]) -> tuple[list[str], list[list[str]]]:
        header = [*self.by, "attempts", "variants", "errors", "A%", "strict A%"]
        header += [f"pass@{k}" for k in self.k] + ["adherence"]
        body = []
        for row in self.rows:
            keys = [cell(_key_text(name, row.key[name])) for name in self.by]
            counts = [str(row.attempts), str(row.variants), str(row.errors)]
            rates = [row.a_rate, row.strict_rate, *(value for _, value in row.pass_at), row.adherence]
            body.append(keys + counts + [_percent(rate) for rate in rates])
        return header, body

    def summary(self) -> str:
        """One line: how many attempts of how many variants, grouped how, and how many errors."""
        total = self.overall
        errors = f", {total.errors} could not be evaluated" if total.errors else ""
        by = ", ".join(self.by) or "nothing"
        return f"{_count(total.attempts, 'attempt')} of {_count(total.variants, 'variant')} by {by}{errors}"

    def to_markdown(self) -> str:
        """A Markdown table, rates in percent to one decimal; ``-`` where a rate has nothing to average."""
        header, body = self._table(_md)
        numeric = len(self.by)
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" if i < numeric else "---:" for i in range(len(header))) + "|",
        ]
        lines.extend("| " + " | ".join(cells) + " |" for cells in body)
        notes = [f"**Decay report**: {self.summary()}.", "", *lines]
        if self.overall.errors:
            errors = self.overall.errors
            notes += ["", f"{_count(errors, 'attempt')} with an error: counted, but in no rate (see `error_attempts`)."]
        return "\n".join(notes) + "\n"

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        header, body = self._table(html.escape)
        numeric = len(self.by)
        head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{value}</td>" if i < numeric else f'<td style="text-align:right">{value}</td>'
                for i, value in enumerate(cells)
            )
            + "</tr>"
            for cells in body
        )
        caption = html.escape(self.summary())
        return f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

    # ----------------------------------------------------------------------- the plot

    def plot(self, path: str | os.PathLike[str] | None = None, *, format: str | None = None) -> Figure:
        """Pass rate against depth, one colour per framework: mean A% (solid) and strict A% (dashed).

        Returns a matplotlib ``Figure`` (displayed inline in a notebook). With
        ``path``, also writes it as PNG or SVG (from ``format`` or the file's
        suffix); SVG output is byte-for-byte the same for the same attempts.
        Needs the ``plot`` extra: ``pip install 'cdspec[plot]'``.
        """
        kind = (format or (Path(path).suffix.lstrip(".") if path is not None else "png")).lower()
        if kind not in ("png", "svg"):
            raise ReportError(f"a plot is written as png or svg, not {kind!r}")
        figure = _figure(self.regroup(("depth", "framework")))
        if path is not None:
            _save(figure, path, kind)
        _show_inline(figure)
        return figure


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


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _make(attempts: Sequence[Attempt], by: tuple[str, ...], ks: tuple[int, ...]) -> DecayReport:
    missing = [name for name in by if name in _FROM_MANIFEST and any(a.value(name) is None for a in attempts)]
    if missing:
        raise ReportError(
            f"grouping by {missing[0]} needs a variants manifest (--manifest) and a variant id on every result"
        )
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
    """The decay report of ``results``, grouped ``by`` keys of :data:`GROUP_KEYS`.

    ``results`` is an iterable of ``Evaluation``\\ s or their data (mappings
    shaped like ``schemas/result.schema.json``), or the path of a results
    JSONL file (read with :func:`cdspec.evaluate.load_results`). ``by`` is a
    key or several (``"depth,framework"`` or ``["depth", "framework"]``).
    ``manifest`` (``Variants``, manifest rows, or a manifest file written by
    ``cdspec.dump_manifest``: JSONL, or CSV for a ``.csv`` name) is joined on
    the variant id: every result with a variant id must be in it and agree
    with it, and it adds template, format and contract to group by. ``k`` is
    the pass@k sizes; by default 1 and, when every variant has several
    evaluated attempts, the fewest any variant has.

    Raises :class:`~cdspec.LoadError` listing every malformed result, repeated
    ``(variant_id, attempt)`` and disagreement with the manifest, and
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


_LINE_STYLES = (("a_rate", "-", "o", "A%"), ("strict_rate", "--", "s", "strict A%"))


def _figure(by_depth: DecayReport) -> Figure:
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 4.5), dpi=100)
    FigureCanvasAgg(figure)  # the non-interactive Agg canvas: no GUI, no global pyplot state
    axes = figure.add_subplot()
    frameworks = sorted({row.key["framework"] for row in by_depth.rows})
    colours = [f"C{index % 10}" for index in range(len(frameworks))]
    for framework, colour in zip(frameworks, colours, strict=True):
        rows = [row for row in by_depth.rows if row.key["framework"] == framework]
        for field, style, marker, label in _LINE_STYLES:
            points = [(row.key["depth"], getattr(row, field)) for row in rows if getattr(row, field) is not None]
            if points:
                axes.plot(
                    [depth for depth, _ in points],
                    [100 * rate for _, rate in points],
                    linestyle=style,
                    marker=marker,
                    color=colour,
                    label=f"{framework} {label}",
                )
    depths = sorted({row.key["depth"] for row in by_depth.rows})
    axes.set_xticks(depths)
    axes.set_xlabel("depth (layers in force)")
    axes.set_ylabel("pass rate (%)")
    axes.set_ylim(-2, 102)
    axes.set_title("Constraint decay: mean A% (solid) and strict A% (dashed)")
    axes.grid(visible=True, alpha=0.3)
    if axes.get_lines():
        axes.legend(loc="best", fontsize="small")
    else:
        axes.text(0.5, 0.5, "no assertion rates to plot", ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    return figure


def _save(figure: Figure, path: str | os.PathLike[str], kind: str) -> None:
    matplotlib = _matplotlib()
    # A fixed hash salt and no date make the SVG the same bytes every time.
    with matplotlib.rc_context({"svg.hashsalt": "cdspec-decay"}):
        metadata = {"Date": None} if kind == "svg" else {}
        try:
            figure.savefig(path, format=kind, metadata=metadata)
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
