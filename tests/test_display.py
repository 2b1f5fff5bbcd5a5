"""Notebook displays: one-line reprs and escaped HTML tables for Case, Evaluation, Finding, Variant(s)."""

from __future__ import annotations

import html.parser
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cdspec
from cdspec import plans
from cdspec._html import clip, table
from cdspec.cases import generate_cases
from cdspec.cases.model import Case, Expectation, Request, Step
from cdspec.evaluate import ConstraintOutcome, Evaluation, evaluate
from cdspec.verify import Status
from cdspec.verify.findings import Evidence, Finding

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "library"


class _Cells(html.parser.HTMLParser):
    """The text of each caption, th and td of an HTML table, as a browser would show it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in {"caption", "th", "td"}:
            self.cells.append("")
            self._open = True

    def handle_endtag(self, tag: str) -> None:
        if tag in {"caption", "th", "td"}:
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data


def _parse(markup: str) -> _Cells:
    parser = _Cells()
    parser.feed(markup)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def library() -> cdspec.Task:
    return cdspec.load_task(LIBRARY / "task.yaml")


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)


@given(caption=texts, cells=st.lists(st.tuples(texts, texts), max_size=5))
def test_a_table_shows_every_cell_escaped(caption: str, cells: list[tuple[str, str]]) -> None:
    """Whatever the text (markup, quotes, ampersands), the table shows it, clipped, and adds no tag of its own."""
    markup = table(caption, ("a", "b"), cells)
    parsed = _parse(markup)
    assert parsed.cells == [clip(caption, 500), "a", "b", *(clip(c, 200) for row in cells for c in row)]
    assert set(parsed.tags) <= {"table", "caption", "thead", "tbody", "tr", "th", "td"}


def test_a_long_table_shows_200_rows_and_says_how_many_more() -> None:
    """Rows past the 200th are counted, not shown."""
    parsed = _parse(table("many", ("n",), ((i,) for i in range(250))))
    assert parsed.cells[-1] == "... 50 more"
    assert len(parsed.cells) == 2 + 200 + 1


@given(title=texts)
def test_a_case_shows_its_steps_and_its_title_escaped(title: str) -> None:
    """Case: a one-line repr; the HTML names each step, its request and its checks."""
    step = Step(
        "1. <b>create</b>",
        Request("POST", "/notes", body={"text": "x"}, has_body=True),
        [Expectation("status", {"statuses": ["201"]}), Expectation("schema", {})],
    )
    case = Case(id="lifecycle-notes-0000", kind="lifecycle", title=title, steps=[step, step])
    shown = repr(case)
    assert "\n" not in shown
    assert shown == f"<Case lifecycle-notes-0000 (lifecycle), 2 steps, 4 assertions: {clip(title)}>"
    parsed = _parse(case._repr_html_())
    assert parsed.cells[0] == clip(f"case lifecycle-notes-0000 (lifecycle): {title}", 500)
    assert parsed.cells[6:11] == ["1", "1. <b>create</b>", "POST", "/notes", "status, schema"]


def test_real_objects_print_in_a_line(library: cdspec.Task) -> None:
    """The library's variants, cases, findings and evaluation: reprs of one short line, HTML of a few KB."""
    variants = cdspec.variants(library, plans.depths())
    case = generate_cases(library)[0]
    report = cdspec.verify(library, LIBRARY / "reference")
    finding = report.constraints[0].findings[0]
    evaluation = evaluate(library, LIBRARY / "reference")
    prompt = cdspec.render(library, depth=2)
    for value in (library, prompt, variants, variants[3], case, finding, evaluation):
        shown = repr(value)
        assert "\n" not in shown
        assert len(shown) < 300, shown
    assert repr(variants) == "<Variants: 8 of task library, depths 0-7, 0 skipped>"
    assert repr(variants[3]) == (f"<Variant {variants[3].id} library d3 [architecture, sqlite, orm] python/flask>")
    assert repr(evaluation) == f"<Evaluation {evaluation.summary()}>"
    assert repr(library) == "<Task library: 8 layers (depth 7), 12 constraints, python/flask>"
    assert repr(prompt) == (
        f"<Prompt library d2 [architecture, sqlite] markdown, 4 constraints, {len(prompt.text)} characters>"
    )
    rows = _parse(variants._repr_html_()).cells
    assert rows[6:11] == [variants[0].id, "0", "-", "python/flask", "markdown"]
    for value in (variants, case, finding, evaluation):
        assert len(value._repr_html_()) < 20_000


def test_an_evaluation_lists_its_constraints_and_its_error() -> None:
    """Evaluation: one row per constraint in force; an error is in the caption."""
    evaluation = Evaluation(
        task_id="notes",
        depth=1,
        layers=["storage"],
        target=cdspec.Target("python", "flask"),
        project="<p>",
        constraints=[ConstraintOutcome("storage.sqlite", "storage", "database-engine", Status.FAILED)],
        error="server said <no>",
    )
    cells = _parse(evaluation._repr_html_()).cells
    assert cells[0].endswith("Error: server said <no>")
    assert cells[5:] == ["storage", "storage.sqlite", "database-engine", "failed"]


def test_a_finding_shows_its_evidence_and_hint() -> None:
    """Finding: repr names status, constraint, kind and where; the HTML lists every piece of evidence."""
    finding = Finding(
        "orm.no-raw-sql",
        "no-raw-sql",
        Status.FAILED,
        "raw SQL in `app/x.py`",
        [Evidence("app/x.py", 3, "text('<SELECT>')"), Evidence("app/y.py", None)],
        hint="use the ORM",
    )
    assert (
        repr(finding) == "<Finding failed orm.no-raw-sql (no-raw-sql): raw SQL in `app/x.py` (app/x.py:3), 2 evidence>"
    )
    cells = _parse(finding._repr_html_()).cells
    assert cells[0] == "failed orm.no-raw-sql (no-raw-sql): raw SQL in `app/x.py` Hint: use the ORM"
    assert cells[4:] == ["app/x.py", "3", "text('<SELECT>')", "app/y.py", "", ""]


def test_the_walkthrough_notebook_is_stored_without_outputs() -> None:
    """examples/walkthrough.ipynb keeps no outputs (CI runs it with nbmake): the repository stays light."""
    notebook = json.loads((ROOT / "examples" / "walkthrough.ipynb").read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
