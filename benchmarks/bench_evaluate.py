"""Evaluating many projects of the bundled library example with 1 and with 2 workers.

Makes ``--projects`` copies of ``examples/library/reference`` in a temporary
directory; every fifth copy gets the first shipped broken patch and every
seventh the second (``examples/library/broken/*.patch``), so some attempts
fail constraints and cases. Generates ``--cases`` cases once (seed 0), then
times ``cdspec.evaluate.evaluate_many`` over all the projects with each
worker count of ``--workers`` (default ``1,2``): for each project the
verifiers at the whole stack, the project's server started on its own
loopback port with its own SQLite file (the task's ``server:`` section), the
cases run over HTTP, the server stopped. Runs alternate between the worker
counts (``--repeat`` rounds) and the best of each counts.

It prints the wall time per worker count, the time per project and the
speed-up over the first count, and checks that every worker count gave the
same results in the same order (all but ``seconds``); the exit status is 1 if
not.

Run: ``python benchmarks/bench_evaluate.py [--projects 50] [--cases 20]
[--workers 1,2] [--repeat 1] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common

import cdspec
from cdspec.cases import generate_cases
from cdspec.evaluate import Evaluation, Job, evaluate_many, patched_copy

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "examples" / "library"


def _projects(folder: Path, count: int) -> list[Path]:
    """``count`` copies of the reference; every fifth and every seventh broken by a shipped patch."""
    first, second = sorted((LIBRARY / "broken").glob("*.patch"))
    projects = []
    for i in range(count):
        target = folder / f"project-{i:03d}"
        patch = first if i % 5 == 4 else second if i % 7 == 6 else None
        if patch is None:
            shutil.copytree(LIBRARY / "reference", target, ignore=shutil.ignore_patterns("__pycache__", "instance"))
            projects.append(target)
        else:
            projects.append(patched_copy(LIBRARY / "reference", patch.read_text(encoding="utf-8"), target))
    return projects


def _run(jobs: list[Job], workers: int) -> tuple[float, list[Evaluation]]:
    started = time.perf_counter()
    evaluations = list(evaluate_many(jobs, workers=workers))
    return time.perf_counter() - started, evaluations


def _comparable(evaluation: Evaluation) -> dict[str, Any]:
    data = evaluation.to_data()
    data.pop("seconds")
    data.pop("project")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--cases", type=int, default=20, help="cases per project (default 20)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (default 1,2)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]

    task = cdspec.load_task(LIBRARY / "task.yaml")
    cases = generate_cases(task, n=args.cases, seed=0)
    assertions = sum(case.assertions for case in cases)
    times: dict[int, list[float]] = {w: [] for w in counts}
    results: dict[int, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="cdspec-bench-evaluate-") as folder:
        projects = _projects(Path(folder), args.projects)
        jobs = [
            Job(task=task, project=project, start=True, cases=cases, variant_id="bench", attempt=i)
            for i, project in enumerate(projects, 1)
        ]
        _run(jobs[:2], counts[0])  # warm-up: lazy imports, the verifiers' caches, the OS page cache
        for _ in range(args.repeat):
            for workers in counts:
                seconds, evaluations = _run(jobs, workers)
                times[workers].append(seconds)
                results[workers] = [_comparable(e) for e in evaluations]
                print(f"  {workers} worker(s): {seconds:.1f} s", file=sys.stderr)

    first = results[counts[0]]
    same = all(results[w] == first for w in counts)
    passed = sum(r["passed"] for r in first)
    errors = sum(r["error"] is not None for r in first)
    best = {w: min(times[w]) for w in counts}
    print(
        f"{args.projects} projects of the library example ({passed} pass, {errors} errors), "
        f"{len(cases)} cases ({assertions} assertions) each, best of {args.repeat}"
    )
    print(f"{'workers':>7}  {'wall':>8}  {'per project':>11}  {'speed-up':>8}")
    for workers in counts:
        print(
            f"{workers:>7}  {best[workers]:>7.1f}s  {best[workers] / args.projects:>10.2f}s  "
            f"{best[counts[0]] / best[workers]:>7.2f}x"
        )
    print("same results with every worker count:", "yes" if same else "NO")
    if args.json:
        report = {
            "projects": args.projects,
            "cases": len(cases),
            "assertions": assertions,
            "times": {str(w): times[w] for w in counts},
            "best": {str(w): best[w] for w in counts},
            "passed": passed,
            "errors": errors,
            "same_results": same,
            "environment": _common.environment(["cdspec", "flask", "sqlalchemy", "hypothesis"]),
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
