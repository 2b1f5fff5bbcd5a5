"""How long generating behavioural cases takes, and how much memory it needs at its peak.

Loads an example task (``--task``, default ``examples/library/task.yaml``)
and times ``cdspec.cases.generate_cases(task, n=--cases, seed=0)`` followed
by ``cdspec.load.dump_cases`` (the JSONL a harness would store), best of
``--repeat`` runs in one process after one untimed warm-up (the warm-up pays
for the lazy imports and for compiling the contract's schemas into
strategies, which a long-running harness pays once).

Peak memory is measured in a separate run under ``tracemalloc`` (which slows
Python down, so it is not timed): the peak of traced allocations during
generation and dumping, over what was allocated before it started. It also
reports the JSONL's size and the number of assertions.

Run: ``python benchmarks/bench_cases.py [--task FILE] [--cases 1000]
[--repeat 3] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import _common

import cdspec
from cdspec.cases import generate_cases
from cdspec.load import dump_cases

REPO = Path(__file__).resolve().parent.parent


def _once(task: cdspec.Task, n: int) -> tuple[float, str, int]:
    started = time.perf_counter()
    cases = generate_cases(task, n=n, seed=0)
    text = dump_cases(cases)
    seconds = time.perf_counter() - started
    return seconds, text, sum(case.assertions for case in cases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default=str(REPO / "examples" / "library" / "task.yaml"))
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)

    task = cdspec.load_task(args.task)
    _once(task, min(args.cases, 50))  # warm-up: imports and compiled strategies
    times = []
    for _ in range(args.repeat):
        gc.collect()
        seconds, text, assertions = _once(task, args.cases)
        times.append(seconds)

    gc.collect()
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    _once(task, args.cases)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    best = min(times)
    size = len(text.encode("utf-8"))
    print(f"task {task.id!r}: {args.cases} cases, {assertions} assertions, JSONL {size / 1024 / 1024:.1f} MiB")
    print(f"generate + dump: best {best:.2f} s of {args.repeat} ({args.cases / best:.0f} cases/s)")
    print(f"peak memory (tracemalloc, over the baseline): {(peak - baseline) / 1024 / 1024:.1f} MiB")
    if args.json:
        report: dict[str, Any] = {
            "task": task.id,
            "cases": args.cases,
            "assertions": assertions,
            "jsonl_bytes": size,
            "seconds": times,
            "peak_bytes": peak - baseline,
            "environment": _common.environment(["hypothesis", "jsonschema", "attrs"]),
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
