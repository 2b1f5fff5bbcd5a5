"""The hostile inputs of issue 13, generated, each loaded in a fresh process: CPU seconds and peak memory.

    python benchmarks/bench_bounds.py [--only NAME] [--json OUT]

Each case writes its input into a temporary directory, loads it with the
loader a user would call, and reports the CPU time of the load, the peak
resident memory of the process (``VmHWM``) and the first line of the
error (or ``loaded``). A case runs in its own interpreter so that one
case's memory does not hide another's. See benchmarks/README.md for results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from _common import REPO, environment

TASK_HEAD = """\
id: demo
title: Demo
target: {language: python, framework: fastapi}
contract: {openapi: 3.0.3, info: {title: T, version: '1'}, paths: {}}
"""


def fan_out(levels: int, width: int = 10) -> str:
    """A task of about 1 KB whose `$ref`s fan out: each level refers `width` times to the one below."""
    defs = ["  d0: {kind: leaf}"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"{{$ref: '#/x-defs/d{i - 1}'}}"] * width)
        defs.append(f"  d{i}: [{refs}]")
    return (
        TASK_HEAD
        + "x-defs:\n"
        + "\n".join(defs)
        + f"\nlayers:\n  - {{name: a, constraints: [], x: {{$ref: '#/x-defs/d{levels}'}}}}\n"
    )


def big_json_task(target_bytes: int) -> dict[str, object]:
    """A JSON task of about ``target_bytes`` (one layer of many constraints) whose contract file is missing."""
    constraints = [
        {"id": f"c{i}", "kind": "orm", "params": {"orm": "sqlalchemy", "style": "2.0"}, "text": "x" * 30}
        for i in range(target_bytes // 180)
    ]
    return {
        "id": "demo",
        "title": "Demo",
        "goal": "Build it.",
        "target": {"language": "python", "framework": "fastapi"},
        "layers": [{"name": "orm", "constraints": constraints}],
        "contract": "missing.yaml",
    }


def cases(tmp: Path) -> dict[str, tuple[str, str]]:
    """name -> (file written, the Python statement that loads it)."""
    made: dict[str, tuple[str, str]] = {}

    def add(name: str, filename: str, content: str, call: str) -> None:
        (tmp / name).mkdir()
        (tmp / name / filename).write_text(content, encoding="utf-8")
        made[name] = (str(tmp / name / filename), call)

    add("ref-fan-out-5", "task.yaml", fan_out(5), "cdspec.load_task(path)")
    add("ref-fan-out-8", "task.yaml", fan_out(8), "cdspec.load_task(path)")
    add("yaml-flow-list-16mb", "task.yaml", "[" + "1," * (8 * 1024 * 1024 - 2) + "1]", "cdspec.load_task(path)")
    add("yaml-block-list-15mb", "task.yaml", "- a\n" * (15 * 1024 * 1024 // 4), "cdspec.load_task(path)")
    big = big_json_task(15 * 1024 * 1024)
    text = json.dumps(big, indent=1)
    cut = text.rindex('"style"')
    add("json-15mb-duplicate-key", "task.json", text[:cut] + '"orm": "x", ' + text[cut:], "cdspec.load_task(path)")
    add("json-15mb-no-contract", "task.json", text, "cdspec.load_task(path)")
    add("json-flow-list-16mb", "task.json", "[" + "1," * (8 * 1024 * 1024 - 2) + "1]", "cdspec.load_task(path)")
    line = json.dumps({"id": "c", "x": ["y" * 100] * 25_000, "id ": 1}).replace('"id "', '"id"')
    add("case-line-2.5mb-duplicate-key", "cases.jsonl", line + "\n", "cdspec.load.load_cases(path)")
    merge = ["base0: &L0 {k0_0: v0}"]
    for level in range(1, 19):
        keys = ", ".join(f"k{level}_{i}: v" for i in range(1 << min(level, 6)))
        merge.append(f"L{level}: &L{level} {{<<: [*L{level - 1}, *L{level - 1}], {keys}}}")
    add(
        "yaml-merge-key-bomb",
        "task.yaml",
        "\n".join(merge) + "\ntarget: {<<: [*L18, *L18]}\n",
        "cdspec.load_task(path)",
    )
    (tmp / "verify-3-hardlinks-2mb").mkdir()
    code = "".join(f"def f{i}(a, b):\n    return [a + b * {i}, str(a), {{'k': b}}]\n\n\n" for i in range(30_000))
    app = tmp / "verify-3-hardlinks-2mb" / "app.py"
    app.write_text(code[: code.rindex("def ", 0, 2_000_000)], encoding="utf-8")
    for name in ("b.py", "c.py"):
        os.link(app, app.parent / name)
    made["verify-3-hardlinks-2mb"] = (
        str(app.parent),
        "project = cdspec.Project.from_directory(path); [project.ast(p) for p in project.python_files]",
    )
    return made


RUNNER = textwrap.dedent(
    """
    import json, sys, time
    import cdspec, cdspec.load
    path = sys.argv[1]
    start = time.process_time()
    try:
        {call}
        outcome = "loaded"
    except cdspec.CdspecError as exc:
        outcome = str(exc).splitlines()[0]
    cpu = time.process_time() - start
    status = open("/proc/self/status").read()  # VmHWM: this process's own peak (ru_maxrss counts the parent's)
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({{"cpu_s": round(cpu, 2), "peak_mib": round(peak), "outcome": outcome[:160]}}))
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only the cases of these names")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument(
        "--code", type=Path, default=REPO, help="a checkout whose cdspec to measure (default: this one)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a case may take before it is stopped")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, (path, call) in cases(Path(folder)).items():
            if args.only and name not in args.only:
                continue
            size = sum(p.stat().st_size for p in Path(path).iterdir()) if Path(path).is_dir() else os.path.getsize(path)
            try:
                done = subprocess.run(
                    [sys.executable, "-c", RUNNER.format(call=call), path],
                    capture_output=True,
                    text=True,
                    check=False,
                    cwd=args.code,
                    timeout=args.timeout,
                )
            except subprocess.TimeoutExpired:
                row: dict[str, object] = {"error": f"stopped after {args.timeout} s"}
            else:
                row = json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-300:]}
            results[name] = {"bytes": size, **row}
            outcome = row.get("outcome", row.get("error"))
            cpu, peak = row.get("cpu_s", "?"), row.get("peak_mib", "?")
            print(f"{name:32} {size:>10} B  {cpu:>7} s  {peak:>6} MiB  {outcome}")
    if args.json:
        args.json.write_text(json.dumps({"environment": environment(["pyyaml"]), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
