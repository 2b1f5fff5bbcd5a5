"""How a run's :class:`~cdspec.run.Report` reads: text, Markdown and HTML tables, a page, JUnit XML.

Everything a server sent is escaped for where it goes (HTML, XML, Markdown
table cells) and cut to a screen; characters XML 1.0 cannot hold are written
as ``\\xNN``. The functions take the report as data (``cases`` of results
with ``assertions``), so this module imports nothing of cdspec's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["DISPLAY_ROWS", "html_page", "html_table", "junit", "markdown", "text"]

DISPLAY_ROWS = 20
"""Rows of cases and of failures a notebook display shows at most (the rest are counted)."""

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: str) -> str:
    """``value`` with every character XML 1.0 cannot hold written as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _steps(report: Any) -> Iterator[tuple[Any, str, list[Any]]]:
    """(case, step, its failed assertions) for every step with a failure, in order."""
    for case in report.cases:
        by_step: dict[str, list[Any]] = {}
        for assertion in case.assertions:
            if not assertion.passed:
                by_step.setdefault(assertion.step, []).append(assertion)
        for step, failed in by_step.items():
            yield case, step, failed


def _exchange(failed: list[Any]) -> str:
    """The request (curl) and response of a failed step, as lines of text; empty when there was none."""
    first = failed[0]
    lines = []
    if first.request:
        lines.append(f"$ {first.request}")
    response = first.response
    if response is not None:
        lines.append(f"HTTP {response['status']}")
        lines.extend(f"{name}: {value}" for name, value in response["headers"].items())
        if response["body"]:
            lines += ["", response["body"]]
    return "\n".join(lines)


def text(report: Any, limit: int = 50) -> str:
    """The summary, then each failed step (at most ``limit``): its failed assertions, request and response.

    A failure in form only is marked ``FORM``, one of behaviour ``FAIL``.
    """
    out = [report.summary()]
    steps = list(_steps(report))
    for case, step, failed in steps[:limit]:
        for assertion in failed:
            mark = "FORM" if assertion.deviation else "FAIL"
            out.append(f"  {mark} {case.case_id} / {step} [{assertion.kind}]: {assertion.reason}")
        exchange = _exchange(failed)
        if exchange:
            out.extend("    " + line for line in exchange.splitlines())
    if len(steps) > limit:
        out.append(f"  ... {len(steps) - limit} more failed steps (--json lists them all)")
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    """A Markdown table cell: one line, pipes escaped, cut to 200 characters."""
    flat = " ".join(str(value).split()).replace("|", "\\|")
    return flat if len(flat) <= 200 else flat[:200] + "..."


def markdown(report: Any) -> str:
    """A Markdown summary: the pass rate, a table of cases, a table of failures."""
    out = [f"**{report.summary()}**", "", "| case | kind | assertions | passed |", "|---|---|---|---|"]
    for case in report.cases[:DISPLAY_ROWS]:
        passed = sum(a.passed for a in case.assertions)
        mark = "yes" if case.passed else "**no**"
        out.append(f"| {_cell(case.case_id)} | {_cell(case.kind)} | {passed}/{len(case.assertions)} | {mark} |")
    if len(report.cases) > DISPLAY_ROWS:
        out.append(f"| ... {len(report.cases) - DISPLAY_ROWS} more | | | |")
    failures = report.failures()
    if failures:
        out += ["", "| case | step | check | reason |", "|---|---|---|---|"]
        for failure in failures[:DISPLAY_ROWS]:
            row = (failure.case_id, failure.step, failure.kind, failure.reason)
            out.append("| " + " | ".join(_cell(v) for v in row) + " |")
        if len(failures) > DISPLAY_ROWS:
            out.append(f"| ... {len(failures) - DISPLAY_ROWS} more | | | |")
    return "\n".join(out)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _cut(value: str, limit: int = 300) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def html_table(report: Any, *, rows: int | None = DISPLAY_ROWS) -> str:
    """An HTML fragment: the summary, a table of cases, a table of failures (``rows`` each at most)."""
    cases = report.cases if rows is None else report.cases[:rows]
    out = [f"<p><b>{_e(report.summary())}</b></p>", "<table>"]
    out.append("<tr><th>case</th><th>kind</th><th>title</th><th>assertions</th><th>passed</th></tr>")
    for case in cases:
        passed = sum(a.passed for a in case.assertions)
        out.append(
            f"<tr><td>{_e(case.case_id)}</td><td>{_e(case.kind)}</td><td>{_e(_cut(case.title))}</td>"
            f"<td>{passed}/{len(case.assertions)}</td><td>{'yes' if case.passed else '<b>no</b>'}</td></tr>"
        )
    if len(report.cases) > len(cases):
        out.append(f"<tr><td colspan='5'>... {len(report.cases) - len(cases)} more cases</td></tr>")
    out.append("</table>")
    failures = report.failures()
    shown = failures if rows is None else failures[:rows]
    if shown:
        out.append("<table>")
        out.append("<tr><th>case</th><th>step</th><th>check</th><th>reason</th></tr>")
        for failure in shown:
            out.append(
                f"<tr><td>{_e(failure.case_id)}</td><td>{_e(failure.step)}</td><td>{_e(failure.kind)}</td>"
                f"<td>{_e(_cut(failure.reason))}</td></tr>"
            )
        if len(failures) > len(shown):
            out.append(f"<tr><td colspan='4'>... {len(failures) - len(shown)} more failures</td></tr>")
        out.append("</table>")
    return "\n".join(out)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
    "pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}"
)


def html_page(report: Any) -> str:
    """One self-contained HTML page: every case, every failure, each failed step's request and response."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>cdspec run</title>',
        f"<style>{_STYLE}</style></head><body>",
        "<h1>cdspec run</h1>",
        html_table(report, rows=None),
    ]
    steps = list(_steps(report))
    if steps:
        out.append("<h2>Failed steps</h2>")
    for case, step, failed in steps:
        out.append(f"<h3>{_e(case.case_id)} / {_e(step)}</h3><ul>")
        out.extend(f"<li>[{_e(a.kind)}] {_e(a.reason)}</li>" for a in failed)
        out.append("</ul>")
        exchange = _exchange(failed)
        if exchange:
            out.append(f"<pre>{_e(exchange)}</pre>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def junit(report: Any) -> str:
    """JUnit XML: a ``testsuite`` of one ``testcase`` per case; a failed case has one ``failure``."""
    import xml.etree.ElementTree as ET

    failed_cases = sum(not case.passed for case in report.cases)
    seconds = sum(case.seconds for case in report.cases)
    root = ET.Element("testsuites", name="cdspec", tests=str(len(report.cases)), failures=str(failed_cases))
    suite = ET.SubElement(
        root,
        "testsuite",
        name="cdspec run",
        tests=str(len(report.cases)),
        failures=str(failed_cases),
        errors="0",
        skipped="0",
        time=f"{seconds:.3f}",
    )
    failed_steps: dict[str, list[tuple[str, list[Any]]]] = {}
    for case, step, failed in _steps(report):
        failed_steps.setdefault(case.case_id, []).append((step, failed))
    for case in report.cases:
        element = ET.SubElement(
            suite,
            "testcase",
            classname=_xml_text(f"cdspec.{case.kind}"),
            name=_xml_text(case.case_id),
            time=f"{case.seconds:.3f}",
        )
        if case.passed:
            continue
        lines = [_xml_text(case.title)]
        first = ""
        for step, failed in failed_steps.get(case.case_id, []):
            for assertion in failed:
                line = f"{step} [{assertion.kind}]: {assertion.reason}"
                first = first or line
                lines.append(line)
            exchange = _exchange(failed)
            if exchange:
                lines.append(exchange)
        failure = ET.SubElement(element, "failure", message=_xml_text(first), type="AssertionError")
        failure.text = _xml_text("\n".join(lines))
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
