"""How long cdspec takes to render the Constraint Decay matrix for many tasks and write it as JSONL.

Loads ``examples/library/task.yaml`` once and makes ``--tasks`` tasks of it
(``bench-0``, ``bench-1``, ...), each with a contract value of its own, as
that many loaded tasks would have (so nothing one task computes from its
contract is reused by another, nor by a later run). The plan is the study's
matrix: every valid subset of the ``architecture``, ``sqlite``, ``postgres``
and ``orm`` layers (10 of the 16) for each of 8 targets (aiohttp, django,
fastapi, flask; express, fastify, koa; hono), 80 variants per task, 800
prompts at the default 10 tasks.

One run is: ``cdspec.variants(task, plan)`` for every task (each variant
rendered, Markdown, contract verbatim), then every variant written to one
JSONL file in a temporary directory (``cdspec.dump_variants`` when cdspec
has it, otherwise ``json.dumps(variant.to_data())`` per line). The
best of ``--repeat`` runs counts, after one untimed warm-up; the goal is the
whole run under 1 s. ``--profile`` also runs cProfile on one run and prints
the functions with the most cumulative and own time.

Run: ``python benchmarks/bench_render.py [--tasks 10] [--repeat 3]
[--profile] [--top 20] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import _common
import attrs

import cdspec

GOAL_SECONDS = 1.0
REPO = Path(__file__).resolve().parent.parent
TASK_FILE = REPO / "examples" / "library" / "task.yaml"

LAYERS = ["architecture", "sqlite", "postgres", "orm"]
TARGETS = [
    ("python", "aiohttp"),
    ("python", "django"),
    ("python", "fastapi"),
    ("python", "flask"),
    ("javascript", "express"),
    ("javascript", "fastify"),
    ("javascript", "koa"),
    ("typescript", "hono"),
]
# The plan in its file form: the same in a task file's `plans:` and in Python
# (cdspec.plans.product(cdspec.plans.subsets(LAYERS), cdspec.plans.targets(TARGETS))).
PLAN: dict[str, Any] = {
    "product": [
        {"subsets": {"layers": LAYERS}},
        {"targets": [{"language": language, "framework": framework} for language, framework in TARGETS]},
    ]
}
VARIANTS_PER_TASK = 10 * len(TARGETS)  # 10 valid subsets of the four layers


def make_tasks(base: cdspec.Task, count: int) -> list[cdspec.Task]:
    """``count`` copies of ``base`` with ids ``bench-<i>``, each with a contract value of its own."""
    return [attrs.evolve(base, id=f"bench-{i}", contract=cdspec.Contract(base.contract.document)) for i in range(count)]


def _writer() -> tuple[str, Callable[[Iterable[cdspec.Variant]], str]]:
    """cdspec's JSONL writer if it has one, else ``json.dumps`` of each ``to_data()``."""
    dump = getattr(cdspec, "dump_variants", None)
    if dump is not None:
        return "cdspec.dump_variants", dump

    def fallback(made: Iterable[cdspec.Variant]) -> str:
        return "".join(json.dumps(variant.to_data(), ensure_ascii=False) + "\n" for variant in made)

    return "json.dumps(Variant.to_data())", fallback


def run_once(
    tasks: Sequence[cdspec.Task], dump: Callable[[Iterable[cdspec.Variant]], str], out: Path
) -> dict[str, Any]:
    """Render every variant of every task, then write them all as JSONL to ``out``; the two times."""
    start = time.perf_counter()
    made = [cdspec.variants(task, PLAN) for task in tasks]
    rendered = time.perf_counter()
    with open(out, "w", encoding="utf-8", newline="") as file:
        for variants in made:
            file.write(dump(variants))
    written = time.perf_counter()
    return {
        "render": rendered - start,
        "write": written - rendered,
        "total": written - start,
        "prompts": sum(len(v) for v in made),
        "skipped": sum(len(v.skipped) for v in made),
        "ids": len({variant.id for variants in made for variant in variants}),
    }


def measure(base: cdspec.Task, count: int, repeat: int, out: Path) -> tuple[list[dict[str, Any]], str]:
    """``repeat`` timed runs (after a warm-up), each on fresh task values; and the writer used."""
    writer, dump = _writer()
    run_once(make_tasks(base, count), dump, out)  # warm-up: lazy imports, compiled regexes
    runs = []
    for _ in range(repeat):
        tasks = make_tasks(base, count)  # fresh contract values: no cache survives from the last run
        gc.collect()
        gc.freeze()  # the harness's own objects stay out of the collector's way (see bench_load.py)
        try:
            runs.append(run_once(tasks, dump, out))
        finally:
            gc.unfreeze()
    return runs, writer


def profile_run(base: cdspec.Task, count: int, out: Path, top: int) -> str:
    """One run under cProfile: the ``top`` functions by cumulative time, then by own time."""
    _, dump = _writer()
    tasks = make_tasks(base, count)
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    run_once(tasks, dump, out)
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]  # documented only by the source
    total = max(ct for _, _, _, ct, _ in stats.values())
    lines = []
    for title, column in (("cumulative", 3), ("own (tottime)", 2)):
        lines.append(f"top {top} functions by {title} time (profiled run: {total * 1000:.0f} ms):")
        lines.append(f"  {'ncalls':>14} {'tottime':>8} {'cumtime':>8} {'share':>6}  function")
        ranked = sorted(stats.items(), key=lambda item: -item[1][column])[:top]
        for (file, lineno, function), (primitive, calls, tottime, cumtime, _) in ranked:
            ncalls = str(calls) if calls == primitive else f"{calls}/{primitive}"
            share = (cumtime if column == 3 else tottime) / total
            lines.append(
                f"  {ncalls:>14} {tottime:>8.3f} {cumtime:>8.3f} {share:>6.1%}  {_common.where(file, lineno, function)}"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10, help="tasks to render the matrix for (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts (default 3)")
    parser.add_argument("--profile", action="store_true", help="profile one run with cProfile")
    parser.add_argument("--top", type=int, default=20, help="functions the profile lists (default 20)")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    args = parser.parse_args(argv)
    if args.tasks < 1 or args.repeat < 1:
        parser.error("--tasks and --repeat must be at least 1")

    base = cdspec.load_task(TASK_FILE)
    with tempfile.TemporaryDirectory(prefix="cdspec-bench-render-") as tmp:
        out = Path(tmp) / "variants.jsonl"
        runs, writer = measure(base, args.tasks, args.repeat, out)
        jsonl_bytes = out.stat().st_size
        profile = profile_run(base, args.tasks, out, args.top) if args.profile else None

    expected = args.tasks * VARIANTS_PER_TASK
    for run in runs:  # sanity: the plan made the whole matrix, with an id per prompt
        if run["prompts"] != expected or run["ids"] != expected:
            raise SystemExit(f"made {run['prompts']} prompts ({run['ids']} ids), expected {expected}")
    best = min(runs, key=lambda run: run["total"])
    prompts = best["prompts"]
    verdict = "PASS" if best["total"] < GOAL_SECONDS else "MISS"

    print(
        f"cdspec render benchmark: {args.tasks} tasks x {VARIANTS_PER_TASK} variants = {prompts} prompts "
        f"(study matrix: subsets of {'/'.join(LAYERS)} x {len(TARGETS)} targets; "
        f"{best['skipped']} combinations skipped); best of {args.repeat}"
    )
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; task {TASK_FILE.relative_to(REPO)}, "
        f"contract verbatim, Markdown; JSONL written with {writer} ({jsonl_bytes / 1024 / 1024:.1f} MiB)"
    )
    print()
    rows = [
        ("render (cdspec.variants, every task)", best["render"]),
        ("write JSONL", best["write"]),
        ("total", best["total"]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement':<{width}}  {'best run (ms)':>13}  {'per prompt (ms)':>15}")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:>13.1f}  {seconds * 1000 / prompts:>15.3f}")
    print()
    print(f"goal: {prompts} prompts rendered and written in under {GOAL_SECONDS:g} s: {best['total']:.3f} s  {verdict}")
    totals = ", ".join(f"{run['total']:.3f}" for run in runs)
    print(f"all runs (total, s): {totals}")

    if profile is not None:
        print()
        print("cProfile of one run (profiling inflates pure-Python code; compare shares):")
        print(profile.rstrip())

    if args.json:
        result = {
            **_common.environment(("cdspec", "PyYAML", "attrs")),
            "tasks": args.tasks,
            "variants_per_task": VARIANTS_PER_TASK,
            "prompts": prompts,
            "plan": PLAN,
            "writer": writer,
            "jsonl_bytes": jsonl_bytes,
            "repeat": args.repeat,
            "runs": runs,
            "best": best,
            "goal_seconds": GOAL_SECONDS,
            "verdict": verdict,
        }
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
