"""Small HTML tables for notebook displays (``_repr_html_``): every cell escaped, nothing else."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["clip", "table"]


def clip(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut to ``limit`` characters (an ellipsis marks the cut)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


def table(caption: str, header: Sequence[str], rows: Iterable[Sequence[object]], *, limit: int = 200) -> str:
    """An HTML table: the caption, a header row and the rows, all escaped.

    The caption is clipped to 500 characters, each cell to ``limit``. At
    most 200 rows are shown; a last row says how many more there are.
    """
    shown = []
    more = 0
    for index, row in enumerate(rows):
        if index < 200:
            shown.append("<tr>" + "".join(f"<td>{html.escape(clip(str(c), limit))}</td>" for c in row) + "</tr>")
        else:
            more += 1
    if more:
        shown.append(f'<tr><td colspan="{len(header)}">... {more} more</td></tr>')
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    return (
        f"<table><caption>{html.escape(clip(caption, 500))}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(shown)}</tbody></table>"
    )
