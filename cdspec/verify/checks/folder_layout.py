"""``folder-layout``: required and forbidden paths or globs, one directory per layer.

Reads the file list only. A ``required`` entry passes when the path exists
(file or directory) or the glob matches something; a ``forbidden`` entry
fails for every file or directory it matches. Each ``layer_dirs`` layer
needs at least one of its accepted directories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cdspec.verify.checks._common import join
from cdspec.verify.findings import Evidence, Finding
from cdspec.verify.project import Project
from cdspec.verify.registry import Check, Context

__all__ = ["CHECK"]

_GLOB = frozenset("*?[")


def _matches(project: Project, pattern: str) -> list[str]:
    clean = pattern.strip()
    while clean.startswith("./"):
        clean = clean[2:]
    if any(c in clean for c in _GLOB):
        return list(project.glob(clean))
    bare = clean.strip("/")
    return [bare] if bare and project.has(bare) else []


def check_folder_layout(project: Project, params: Mapping[str, Any], context: Context) -> Iterable[Finding]:
    """Check required/forbidden paths and the layer directories."""
    findings: list[Finding] = []
    checked: list[str] = []
    for pattern in params.get("required", ()):
        checked.append(f"`{pattern}` present")
        if not _matches(project, pattern):
            findings.append(
                context.failed(
                    f"required path `{pattern}` is missing",
                    Evidence(pattern.strip().strip("/") or ".", None, "(missing)"),
                    f"Create `{pattern}`.",
                )
            )
    for pattern in params.get("forbidden", ()):
        checked.append(f"`{pattern}` absent")
        for path in _matches(project, pattern):
            findings.append(
                context.failed(
                    f"forbidden path `{path}` exists (matches `{pattern}`)",
                    Evidence(path, None, "(present)"),
                    f"Remove `{path}` from the project (and ignore it in version control).",
                )
            )
    for layer, aliases in params.get("layer_dirs", {}).items():
        checked.append(f"layer {layer}")
        present = [a for a in aliases if project.has(a.strip().strip("/")) and a.strip().strip("/") in project.all_dirs]
        if not present:
            findings.append(
                context.failed(
                    f"no directory for layer {layer!r}: expected one of {join(aliases)}",
                    Evidence(aliases[0].strip().strip("/"), None, "(missing)"),
                    f"Put the {layer} code in `{aliases[0].strip().strip('/')}/`.",
                )
            )
    if findings:
        return findings
    return [context.passed("layout holds: " + ", ".join(checked))]


CHECK = Check("folder-layout", check_folder_layout, "Required/forbidden paths and globs; one directory per layer.")
