"""How long ``import cdspec`` takes, and that it leaves the heavy dependencies unloaded.

Runs ``python -X importtime -c "import cdspec"`` in fresh subprocesses
(``--runs`` times, best of each figure) with this interpreter, and reports:

- the *cumulative* time of ``cdspec`` itself: everything ``import cdspec``
  costs, its dependencies (attrs, PyYAML, ...) included, interpreter start-up
  excluded. The goal is under 150 ms;
- the sum of the *self* times of the ``cdspec*`` modules: cdspec's own code,
  without what it imports (for reference, same goal);
- the slowest modules ``import cdspec`` loads, from the best run.

It then checks, in another subprocess, that ``hypothesis``, ``jsonschema``
and ``openapi_spec_validator`` are *not* in ``sys.modules`` after
``import cdspec`` (cdspec imports them lazily, when first needed).

Run: ``python benchmarks/bench_import.py [--runs 7] [--json OUT]``.
Exit status 1 when a lazy dependency is imported eagerly (not for a missed
time goal: timings depend on the machine).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

GOAL_MS = 150.0
LAZY = ("hypothesis", "jsonschema", "openapi_spec_validator")
REPO = Path(__file__).resolve().parent.parent

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)\s*$")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Nothing may add imports behind our back (PYTHONSTARTUP only affects -i,
    # but a PYTHONPATH could shadow the checkout).
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def importtime_once() -> tuple[float, float, list[tuple[str, float, float, int]]]:
    """One ``-X importtime`` run: (cdspec cumulative ms, cdspec* self ms, [(module, self, cum, depth)])."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import cdspec"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            self_us, cum_us, indent, name = match.groups()
            rows.append((name, int(self_us) / 1000, int(cum_us) / 1000, (len(indent) - 1) // 2))
    top = [row for row in rows if row[0] == "cdspec" and row[3] == 0]
    if not top:
        raise RuntimeError(f"no 'cdspec' line in -X importtime output:\n{proc.stderr}")
    cumulative = top[-1][2]
    own = sum(self_ms for name, self_ms, _, _ in rows if name == "cdspec" or name.startswith("cdspec."))
    # The modules imported under cdspec: those printed after the last
    # top-level module before cdspec's own line (importtime prints post-order).
    end = max(i for i, row in enumerate(rows) if row[0] == "cdspec" and row[3] == 0)
    start = end
    while start > 0 and rows[start - 1][3] > 0:
        start -= 1
    return cumulative, own, rows[start : end + 1]


def lazy_check() -> dict[str, list[str]]:
    """The lazily imported packages (and their submodules) present after ``import cdspec``."""
    code = (
        "import json, sys\n"
        "import cdspec\n"
        f"lazy = {LAZY!r}\n"
        "print(json.dumps({p: sorted(m for m in sys.modules if m == p or m.startswith(p + '.')) for p in lazy}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=_env(), capture_output=True, text=True, check=True
    )
    loaded: dict[str, list[str]] = json.loads(proc.stdout)
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="subprocess runs; the best of each figure counts")
    parser.add_argument("--top", type=int, default=12, help="slowest modules to list (default 12)")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    importtime_once()  # warm-up: writes any missing .pyc files, warms the OS file cache
    runs = [importtime_once() for _ in range(args.runs)]
    cumulative = min(run[0] for run in runs)
    own = min(run[1] for run in runs)
    best_tree = min(runs, key=lambda run: run[0])[2]

    print(f'import cdspec: best of {args.runs} runs of `python -X importtime -c "import cdspec"`')
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print()
    rows = [
        ("cumulative time of `cdspec` (with its dependencies)", cumulative),
        ("sum of self times of cdspec* modules (own code only)", own),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement':<{width}}  {'best (ms)':>9}  goal < {GOAL_MS:.0f} ms")
    for name, value in rows:
        print(f"{name:<{width}}  {value:>9.1f}  {'PASS' if value < GOAL_MS else 'MISS'}")
    print()
    print(f"slowest modules under `import cdspec` (self time, best run), top {args.top}:")
    for name, self_ms, cum_ms, _ in sorted(best_tree, key=lambda row: -row[1])[: args.top]:
        print(f"  {self_ms:>7.1f} ms self  {cum_ms:>7.1f} ms cumulative  {name}")

    print()
    loaded = lazy_check()
    ok = True
    for package in LAZY:
        modules = loaded[package]
        if modules:
            ok = False
            shown = ", ".join(modules[:5]) + (", ..." if len(modules) > 5 else "")
            print(f"{package!r} in sys.modules after `import cdspec`: FAIL ({len(modules)} modules: {shown})")
        else:
            print(f"{package!r} not in sys.modules after `import cdspec`: OK")

    if args.json:
        result = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "runs": args.runs,
            "goal_ms": GOAL_MS,
            "cdspec_cumulative_ms": {"best": cumulative, "runs": [run[0] for run in runs]},
            "cdspec_self_sum_ms": {"best": own, "runs": [run[1] for run in runs]},
            "lazy_loaded": loaded,
            "lazy_ok": ok,
        }
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
