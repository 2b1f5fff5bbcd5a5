"""What the benchmark scripts share: where a profiled function lives, and the machine."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def where(filename: str, lineno: int, function: str) -> str:
    """``package/module.py:line(function)``: the path from the package down."""
    path = filename.replace(os.sep, "/")
    for marker in ("/site-packages/", "/lib/python3", str(REPO) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3":  # the standard library: drop "11/"
                path = path.split("/", 1)[-1]
            break
    return f"{path}:{lineno}({function})"


def environment(packages: Iterable[str]) -> dict[str, Any]:
    """The date, the interpreter, the machine and the versions of ``packages``, for a JSON report."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "?"
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }
