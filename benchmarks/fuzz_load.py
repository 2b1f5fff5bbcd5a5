"""The long fuzz run of the loaders: generated hostile inputs, each timed, none may escape or run long.

    python benchmarks/fuzz_load.py [--per-loader 100000] [--seed 0] [--json OUT] [--seconds N]

Inputs come from ``tests/fuzz.py`` (the CI slice in ``tests/test_bounds.py``
runs a few hundred of the same); the loaders take turns, so a run stopped
by ``--seconds`` has given each about the same number. For every input it
records the outcome (loaded, refused with a CdspecError, or an exception
that escaped / the "bug in cdspec" message), the CPU time of the load, and
at the end the peak memory of the process (VmHWM, so every input stayed
under it). Progress is written to ``--json`` every 30 s. One process: the
run is meant for a shared machine. Results are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import REPO, environment

sys.path.insert(0, str(REPO))

from tests.fuzz import KINDS, generate, run_one  # after the path is set


def _peak_mib() -> float:
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):  # not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-loader", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=None, help="stop after this much wall time")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    slowest: dict[str, tuple[float, int]] = dict.fromkeys(KINDS, (0.0, -1))
    cpu_total = dict.fromkeys(KINDS, 0.0)
    findings: list[dict[str, Any]] = []
    started = last = time.monotonic()

    def report(final: bool) -> dict[str, Any]:
        data = {
            "environment": environment(["pyyaml", "jsonschema", "openapi-spec-validator"]),
            "seed": args.seed,
            "finished": final,
            "wall_s": round(time.monotonic() - started, 1),
            "peak_mib": round(_peak_mib(), 1),
            "loaders": {
                kind: {
                    "inputs": sum(counts[kind].values()),
                    "outcomes": dict(counts[kind]),
                    "mean_cpu_ms": round(1000 * cpu_total[kind] / max(1, sum(counts[kind].values())), 2),
                    "max_cpu_s": round(slowest[kind][0], 3),
                    "slowest_input": slowest[kind][1],
                }
                for kind in KINDS
            },
            "findings": findings[:50],
        }
        if args.json:
            args.json.write_text(json.dumps(data, indent=2) + "\n")
        return data

    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.per_loader * len(KINDS)):
            kind = KINDS[number % len(KINDS)]
            item = generate(rng, kind)
            start = time.process_time()
            outcome = run_one(item, Path(folder))
            cpu = time.process_time() - start
            cpu_total[kind] += cpu
            if cpu > slowest[kind][0]:
                slowest[kind] = (cpu, number)
            if outcome in ("ok", "refused"):
                counts[kind][outcome] += 1
            else:
                counts[kind]["escaped"] += 1
                findings.append({"input": number, "kind": kind, "outcome": outcome})
            now = time.monotonic()
            if now - last > 30:
                report(False)
                last = now
            if args.seconds is not None and now - started > args.seconds:
                break
    data = report(True)
    print(json.dumps({k: v for k, v in data.items() if k != "environment"}, indent=2))
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
