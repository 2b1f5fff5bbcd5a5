"""What a check says about a constraint, and the report of a whole verification.

A check returns :class:`Finding`\\ s for one constraint: one ``PASSED``
finding saying what was checked, or ``FAILED`` findings with
:class:`Evidence` (``path:line`` and the offending line) and a hint on how
to fix, or an ``UNCHECKED`` finding saying why the constraint could not be
checked. :func:`passed`, :func:`failed` and :func:`unchecked` build them
from the :class:`~cdspec.Constraint`.

A :class:`VerifyReport` groups the findings by constraint and by layer, in
stack order; a constraint *fails* if any of its findings failed, is
*unchecked* if it has no failure but something could not be checked, and
*passes* otherwise. The report is ``ok`` when no checked constraint fails.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from typing import Any

import attrs

from cdspec.model import Constraint

from .project import Note

__all__ = [
    "ConstraintResult",
    "Evidence",
    "Finding",
    "LayerResult",
    "Status",
    "VerifyReport",
    "failed",
    "passed",
    "unchecked",
]


class Status(enum.Enum):
    """How a constraint (or one finding about it) came out."""

    PASSED = "passed"
    FAILED = "failed"
    UNCHECKED = "unchecked"
    """Could not be checked: the finding's message says why."""

    @property
    def mark(self) -> str:
        """The one-character mark of the text report: ✓, ✗ or ?."""
        return _MARKS[self]


_MARKS = {Status.PASSED: "\u2713", Status.FAILED: "\u2717", Status.UNCHECKED: "?"}


def _clip(text: str) -> str:
    text = " ".join(str(text).split()) if "\n" in str(text) else str(text).strip()
    return text if len(text) <= 200 else text[:199] + "\u2026"


def _oneline(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@attrs.frozen
class Evidence:
    """Where a finding points: a project path, the 1-based line if known, and that line's text.

    ``text`` is stripped and clipped to 200 characters.
    """

    path: str
    line: int | None = None
    text: str = attrs.field(default="", converter=_clip)

    @property
    def location(self) -> str:
        """``path:line``, or the path alone."""
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.text}" if self.text else self.location

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data (``schemas/report.schema.json``, ``$defs/evidence``)."""
        return {"path": self.path, "line": self.line, "text": self.text}


def _evidence(value: Iterable[Evidence] | Evidence) -> tuple[Evidence, ...]:
    return (value,) if isinstance(value, Evidence) else tuple(value)


@attrs.frozen
class Finding:
    """One thing a check found about one constraint (its ``id`` in ``constraint``)."""

    constraint: str
    kind: str
    status: Status
    message: str
    evidence: tuple[Evidence, ...] = attrs.field(default=(), converter=_evidence)
    hint: str = ""

    def __str__(self) -> str:
        where = f" ({self.evidence[0].location})" if self.evidence else ""
        return f"{self.status.mark} {self.constraint}: {self.message}{where}"

    def __repr__(self) -> str:
        """One line: ``<Finding failed orm.no-raw-sql (no-raw-sql): message (path:line), 2 evidence>``."""
        from cdspec._html import clip

        where = f" ({self.evidence[0].location})" if self.evidence else ""
        count = f", {len(self.evidence)} evidence" if len(self.evidence) > 1 else ""
        return f"<Finding {self.status.value} {self.constraint} ({self.kind}): {clip(self.message)}{where}{count}>"

    def _repr_html_(self) -> str:
        """A notebook view: the message, the hint, and one row per piece of evidence."""
        from cdspec._html import table

        caption = f"{self.status.value} {self.constraint} ({self.kind}): {self.message}"
        if self.hint:
            caption += f" Hint: {self.hint}"
        return table(caption, ("path", "line", "text"), ((e.path, e.line or "", e.text) for e in self.evidence))

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data (``schemas/report.schema.json``, ``$defs/finding``)."""
        return {
            "status": self.status.value,
            "message": self.message,
            "evidence": [e.to_data() for e in self.evidence],
            "hint": self.hint,
        }


def passed(constraint: Constraint, message: str) -> Finding:
    """A finding that ``constraint`` holds; ``message`` says what was checked."""
    return Finding(constraint.id, constraint.kind, Status.PASSED, message)


def failed(
    constraint: Constraint, message: str, evidence: Iterable[Evidence] | Evidence = (), hint: str = ""
) -> Finding:
    """A finding that ``constraint`` is broken, with the ``evidence`` and a ``hint`` on how to fix it."""
    return Finding(constraint.id, constraint.kind, Status.FAILED, message, evidence, hint)


def unchecked(
    constraint: Constraint, why: str, evidence: Iterable[Evidence] | Evidence = (), hint: str = ""
) -> Finding:
    """A finding that ``constraint`` could not be checked, and ``why``."""
    return Finding(constraint.id, constraint.kind, Status.UNCHECKED, why, evidence, hint)


# --------------------------------------------------------------------------- the report


def _findings(value: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(value)


def _results(value: Iterable[ConstraintResult]) -> tuple[ConstraintResult, ...]:
    return tuple(value)


def _layers(value: Iterable[LayerResult]) -> tuple[LayerResult, ...]:
    return tuple(value)


def _notes(value: Iterable[Note]) -> tuple[Note, ...]:
    return tuple(value)


def _overall(findings: Iterable[Finding]) -> Status:
    statuses = {f.status for f in findings}
    if Status.FAILED in statuses:
        return Status.FAILED
    if Status.UNCHECKED in statuses or not statuses:
        return Status.UNCHECKED
    return Status.PASSED


@attrs.frozen
class ConstraintResult:
    """A constraint's findings and the status they add up to."""

    id: str
    kind: str
    findings: tuple[Finding, ...] = attrs.field(converter=_findings)

    @property
    def status(self) -> Status:
        """FAILED if any finding failed, else UNCHECKED if any could not check, else PASSED."""
        return _overall(self.findings)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data (``schemas/report.schema.json``, ``$defs/constraint``)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status.value,
            "findings": [f.to_data() for f in self.findings],
        }


def _counts(results: Iterable[ConstraintResult]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for result in results:
        counts[result.status.value] += 1
    counts["total"] = sum(counts.values())
    return counts


@attrs.frozen
class LayerResult:
    """The results of one layer's constraints, in the layer's order."""

    name: str
    constraints: tuple[ConstraintResult, ...] = attrs.field(converter=_results)
    title: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """How many constraints passed, failed and went unchecked, and the total."""
        return _counts(self.constraints)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data (``schemas/report.schema.json``, ``$defs/layer``)."""
        return {
            "name": self.name,
            "title": self.title,
            "counts": self.counts,
            "constraints": [c.to_data() for c in self.constraints],
        }


@attrs.frozen
class VerifyReport:
    """The result of :func:`cdspec.verify`: findings by layer (stack order, bottom first).

    ``notes`` are what the project view skipped (unreadable files, refused
    links, sources that do not parse). ``project`` is the project's
    directory as given, if it has one.
    """

    task: str
    depth: int
    layers: tuple[LayerResult, ...] = attrs.field(converter=_layers)
    notes: tuple[Note, ...] = attrs.field(default=(), converter=_notes)
    project: str | None = None

    @property
    def constraints(self) -> tuple[ConstraintResult, ...]:
        """Every constraint's result, in stack order."""
        return tuple(c for layer in self.layers for c in layer.constraints)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, in stack order."""
        return tuple(f for c in self.constraints for f in c.findings)

    @property
    def counts(self) -> dict[str, int]:
        """How many constraints passed, failed and went unchecked, and the total."""
        return _counts(self.constraints)

    @property
    def ok(self) -> bool:
        """True when no checked constraint fails (unchecked ones do not count against it)."""
        return all(c.status is not Status.FAILED for c in self.constraints)

    def result(self, constraint_id: str) -> ConstraintResult:
        """The result of one constraint, by id; ``KeyError`` naming the known ids otherwise."""
        for result in self.constraints:
            if result.id == constraint_id:
                return result
        known = ", ".join(c.id for c in self.constraints)
        raise KeyError(f"no constraint {constraint_id!r} in this report (known: {known})")

    def status(self, constraint_id: str) -> Status:
        """The status of one constraint, by id."""
        return self.result(constraint_id).status

    def summary(self) -> str:
        """One line: the task, the depth and the counts."""
        c = self.counts
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"{self.task} at depth {self.depth}: {c['passed']} passed, {c['failed']} failed, "
            f"{c['unchecked']} unchecked of {c['total']} constraints: {verdict}"
        )

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data, valid against ``schemas/report.schema.json``."""
        return {
            "task": self.task,
            "depth": self.depth,
            "project": self.project,
            "ok": self.ok,
            "counts": self.counts,
            "layers": [layer.to_data() for layer in self.layers],
            "notes": [{"path": n.path, "message": n.message} for n in self.notes],
        }

    def to_json(self) -> str:
        """:meth:`to_data` as indented JSON text (keys in a fixed order, non-ASCII kept)."""
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False)

    def to_text(self, *, notes: int = 20) -> str:
        """A human report: per layer, one ✓/✗/? line per constraint, its failures with evidence and hints.

        At most ``notes`` notes are listed (all are counted). Deterministic:
        the same report gives the same text.
        """
        out = [self.summary()]
        for layer in self.layers:
            c = layer.counts
            out.append("")
            out.append(f"{layer.name} ({c['passed']} passed, {c['failed']} failed, {c['unchecked']} unchecked)")
            for result in layer.constraints:
                out.append(f"  {result.status.mark} {result.id} [{result.kind}]")
                for finding in result.findings:
                    if result.status is Status.PASSED or (
                        result.status is Status.FAILED and finding.status is Status.PASSED
                    ):
                        if result.status is Status.PASSED:
                            out.append(f"      {_oneline(finding.message)}")
                        continue
                    mark = "" if finding.status is result.status else f"{finding.status.mark} "
                    out.append(f"      {mark}{_oneline(finding.message)}")
                    for evidence in finding.evidence:
                        out.append(f"        {_oneline(str(evidence))}")
                    if finding.hint:
                        out.append(f"        hint: {_oneline(finding.hint)}")
        if self.notes:
            out.append("")
            out.append(f"Notes ({len(self.notes)}):")
            out.extend(f"  {_oneline(str(n))}" for n in self.notes[:notes])
            if len(self.notes) > notes:
                out.append(f"  ... {len(self.notes) - notes} more")
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        """A notebook view: the summary and a table of constraints with their first finding."""
        rows = ["| layer | constraint | kind | status | finding |", "|---|---|---|:---:|---|"]
        for layer in self.layers:
            for result in layer.constraints:
                first = next((f for f in result.findings if f.status is result.status), None)
                text = ""
                if first is not None:
                    text = _md(first.message)
                    if first.evidence:
                        text += f" (`{_md(first.evidence[0].location)}`)"
                    more = sum(1 for f in result.findings if f.status is result.status) - 1
                    if more > 0:
                        text += f" and {more} more"
                rows.append(
                    f"| {layer.name} | `{result.id}` | {result.kind} | {result.status.mark} {result.status.value} "
                    f"| {text} |"
                )
        notes = f"\n\n{len(self.notes)} notes (files skipped or unparsable)." if self.notes else ""
        return f"**{_md(self.summary())}**\n\n" + "\n".join(rows) + notes


def _md(text: str) -> str:
    return _oneline(text).replace("|", "\\|").replace("`", "'")
