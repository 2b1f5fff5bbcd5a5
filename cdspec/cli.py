"""The ``cdspec`` command: argument parsing and printing, nothing else.

Exit status: 0 when all went well, 1 when an input is invalid (each problem
printed on its own line, no traceback), 2 for a usage error. ``verify`` is
the exception: 1 means a constraint failed, so bad input there exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO, TypeVar

from ._version import __version__
from .contract import Contract
from .errors import CdspecError, DiffError, LoadError, Problem
from .evaluate import Evaluation
from .kinds import BUILTIN_KINDS, KindRegistry
from .load import dump_cases, dump_manifest, dump_variants, load_cases, load_file, load_task
from .model import Layer, Task
from .plans import Variants, variants
from .prompts import FORMATS, Prompt, render
from .run import run_cases
from .verify import CheckRegistry, Project, verify

__all__ = ["main", "run"]


_R = TypeVar("_R")


def _registry(option: str, spec: str, expected: type[_R]) -> _R:
    """The object named by ``--<option> module:attribute`` (the user's own code), of type ``expected``."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise _UsageError(f"--{option} takes MODULE:ATTRIBUTE, got {spec!r}")
    try:
        registry = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise _UsageError(f"--{option} {spec}: {exc}") from None
    if not isinstance(registry, expected):
        raise _UsageError(f"--{option} {spec}: expected a cdspec.{expected.__name__}, got {type(registry).__name__}")
    return registry


def _kinds(spec: str | None) -> KindRegistry:
    """The registry named by ``--kinds module:attribute``; the built-in kinds without one."""
    return BUILTIN_KINDS if spec is None else _registry("kinds", spec, KindRegistry)


class _UsageError(Exception):
    pass


def _checks(spec: str | None) -> CheckRegistry | None:
    """The check registry named by ``--checks module:attribute``; ``None`` for the built-in checks."""
    return None if spec is None else _registry("checks", spec, CheckRegistry)


def _choices(specs: Sequence[str]) -> dict[str, str]:
    """``--choose group=layer`` options as a mapping."""
    choices: dict[str, str] = {}
    for spec in specs:
        group, sep, layer = spec.partition("=")
        if not sep or not group.strip() or not layer.strip():
            raise _UsageError(f"--choose takes GROUP=LAYER, got {spec!r}")
        choices[group.strip()] = layer.strip()
    return choices


def _summary(value: Task | Layer | Contract) -> str:
    if isinstance(value, Task):
        return (
            f"task {value.id!r}: {len(value.contract.operations)} operations, "
            f"{len(value.layers)} layers, {sum(len(layer.constraints) for layer in value.layers)} constraints"
        )
    if isinstance(value, Layer):
        return f"layer {value.name!r}: {len(value.constraints)} constraints"
    return f"contract {value.title!r} {value.version}: {len(value.operations)} operations"


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    status = 0
    for path in args.paths:
        try:
            value = load_file(path, kinds=kinds, root=args.root)
        except CdspecError as exc:
            status = 1
            err.write(f"{exc}\n")
        else:
            out.write(f"{path}: ok ({_summary(value)})\n")
    return status


def _show_task(task: Task, kinds: KindRegistry, out: TextIO) -> None:
    out.write(f"{task.title} [{task.id}]\n")
    out.write(f"  target: {task.target.language} / {task.target.framework}    mode: {task.mode}\n")
    if task.feature is not None:
        out.write(f"  feature: {task.feature.description} (baseline: {task.feature.baseline})\n")
    _show_contract(task.contract, out)
    stack = {layer.name for layer in task.stack}
    out.write(f"\nLayers ({len(task.layers)}; depth {task.depth} with default group choices):\n")
    for index, layer in enumerate(task.layers):
        marks = []
        if layer.group:
            marks.append(f"group {layer.group}" + ("" if layer.name in stack else ", alternative"))
        if layer.requires:
            marks.append("requires " + ", ".join(layer.requires))
        if layer.conflicts:
            marks.append("conflicts " + ", ".join(layer.conflicts))
        extra = f"  ({'; '.join(marks)})" if marks else ""
        out.write(f"  {index + 1}. {layer.name}: {layer.heading}{extra}\n")
        for constraint in layer.constraints:
            sentence = kinds.sentence(constraint.kind, constraint.params, constraint.text)
            out.write(f"       - {constraint.id} [{constraint.kind}] {sentence}\n")


def _show_contract(contract: Contract, out: TextIO) -> None:
    out.write(f"\nContract: {contract.title} {contract.version} (OpenAPI {contract.openapi})\n")
    width = max((len(op.key) for op in contract.operations), default=0)
    for op in contract.operations:
        auth = "auth" if op.requires_auth else "    "
        statuses = ",".join(r.status for r in op.responses)
        out.write(f"  {op.key:<{width}}  {auth}  {op.operation_id or '-'}  [{statuses}]\n")


def _show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    value = load_file(args.path, kinds=kinds, root=args.root)
    if isinstance(value, Task):
        _show_task(value, kinds, out)
    elif isinstance(value, Contract):
        _show_contract(value, out)
    else:
        out.write(f"{value.name}: {value.heading}\n")
        for constraint in value.constraints:
            out.write(
                f"  - {constraint.id} [{constraint.kind}] "
                f"{kinds.sentence(constraint.kind, constraint.params, constraint.text)}\n"
            )
    return 0


def _list_kinds(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    if args.json:
        data = {k.name: {"description": k.description, "params": k.params_schema} for k in kinds}
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    width = max(len(name) for name in kinds.names)
    for kind in kinds:
        out.write(f"{kind.name:<{width}}  {kind.description}\n")
    return 0


def _render(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    layers = None if args.layers is None else [name.strip() for name in args.layers.split(",") if name.strip()]
    task = load_task(args.task, kinds=kinds, root=args.root)
    prompt: Prompt = render(
        task,
        depth=args.depth,
        layers=layers,
        template=args.template,
        format=args.format,
        contract=args.contract,
        kinds=kinds,
    )
    if args.json:
        out.write(json.dumps(prompt.to_data(), indent=2, ensure_ascii=False) + "\n")
    else:
        text = str(prompt)
        out.write(text if text.endswith("\n") else text + "\n")
    return 0


_TABLE_ROWS = 20


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _table(made: Variants, out: TextIO) -> None:
    rows = [
        (
            v.id,
            str(v.provenance.depth),
            "+".join(v.provenance.layers) or "-",
            f"{v.provenance.target.language}/{v.provenance.target.framework}",
            v.provenance.format,
        )
        for v in made.items[:_TABLE_ROWS]
    ]
    header = ("id", "depth", "layers", "target", "format")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    if len(made) > _TABLE_ROWS:
        out.write(f"... {len(made) - _TABLE_ROWS} more\n")


def _write(path: str, text: str) -> None:
    """Write ``text`` as UTF-8, byte for byte (no newline translation)."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(text)


def _variants(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    if (
        args.out is not None
        and args.manifest is not None
        and os.path.abspath(args.out) == os.path.abspath(args.manifest)
    ):
        raise _UsageError("--out and --manifest name the same file")
    task = load_task(args.task, kinds=kinds, root=args.root)
    made = variants(task, args.plan, kinds=kinds)
    outputs: list[tuple[str, str]] = []
    if args.out is not None:
        outputs.append((args.out, dump_variants(made)))
    if args.manifest is not None:
        csv = args.manifest.lower().endswith(".csv")
        outputs.append((args.manifest, dump_manifest(made, format="csv" if csv else "jsonl")))
    for path, text in outputs:
        try:
            _write(path, text)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            err.write(f"{path}: cannot write: {getattr(exc, 'strerror', None) or exc}\n")
            return 1
    if args.out is None:  # the JSONL is the output: anything else goes to stderr
        out.write(dump_variants(made))
        report = err
    else:
        report = out
        out.write(
            f"{_plural(len(made), 'variant')} of task {task.id!r} (plan {args.plan!r}), "
            f"{_plural(len(made.skipped), 'combination')} skipped\n"
        )
        _table(made, out)
    if args.skipped:
        report.write(f"Skipped ({len(made.skipped)}):\n" if made.skipped else "Skipped: none\n")
        for skipped in made.skipped:
            report.write(f"  {skipped}\n")
    return 0


def _cases(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .cases import CASE_KINDS, generate_cases  # Hypothesis is loaded only for this command

    only = [kind.strip() for kind in args.only.split(",") if kind.strip()] if args.only else list(CASE_KINDS)
    unknown = [kind for kind in only if kind not in CASE_KINDS]
    if unknown:
        raise _UsageError(f"--only: unknown case kind {unknown[0]!r} (known: {', '.join(CASE_KINDS)})")
    if args.n is not None and args.n < 0:
        raise _UsageError("--n must not be negative")
    task = load_task(args.task, kinds=_kinds(args.kinds), root=args.root)
    if args.explain:
        from .cases._explain import explain

        out.write(explain(task, kinds=only))
        return 0
    made = generate_cases(task, n=args.n, seed=args.seed, kinds=only)
    text = dump_cases(made)
    if args.out is None:
        out.write(text)
        return 0
    try:
        _write(args.out, text)
    except (OSError, ValueError) as exc:
        err.write(f"{args.out}: cannot write: {getattr(exc, 'strerror', None) or exc}\n")
        return 1
    counts = ", ".join(f"{sum(c.kind == kind for c in made)} {kind}" for kind in CASE_KINDS if kind in only)
    assertions = sum(case.assertions for case in made)
    out.write(
        f"{_plural(len(made), 'case')} ({_plural(assertions, 'assertion')}) of task {task.id!r}, "
        f"seed {args.seed}: {counts}\n"
    )
    return 0


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = run_cases(
        load_cases(args.cases),
        base_url=args.base_url,
        request_timeout=args.request_timeout,
        case_timeout=args.case_timeout,
    )
    if args.json:
        out.write(json.dumps(report.to_data(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(report.summary() + "\n")
        for failure in report.failures()[:50]:
            out.write(f"  FAIL {failure.case_id} / {failure.step} [{failure.kind}]: {failure.reason}\n")
        if len(report.failures()) > 50:
            out.write(f"  ... {len(report.failures()) - 50} more failures (--json lists them all)\n")
    return 0 if report.passed == report.total else 1


def _read_diff(path: str) -> str:
    """The text of a diff file (UTF-8, at most 16 MiB); a LoadError naming it otherwise."""
    from pathlib import Path

    from ._source import MAX_FILE_BYTES, open_regular

    with open_regular(Path(path), path) as file:
        raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError([Problem(f"file is more than the {MAX_FILE_BYTES} bytes allowed", file=path)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError([Problem(f"not UTF-8 text (bad byte at offset {exc.start})", file=path)]) from None


def _verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    checks = _checks(args.checks)
    choices = _choices(args.choose or [])
    if args.diff is not None and args.baseline is not None:
        raise _UsageError("--diff and --baseline exclude each other: with --diff, PROJECT is the baseline")
    try:
        task = load_task(args.task, kinds=kinds, root=args.root)
        if choices:
            task = task.choose(choices)
        project: Project | str = args.project
        if args.diff is not None:
            text = _read_diff(args.diff)
            try:
                project = Project.from_diff(Project.from_directory(args.project), text)
            except DiffError as exc:  # name the file: "patch.diff:12: message"
                raise LoadError([Problem(exc.message, file=args.diff, line=exc.line)]) from None
        report = verify(task, project, depth=args.depth, baseline=args.baseline, checks=checks)
    except CdspecError as exc:  # bad input, not a failed constraint: exit 2
        err.write(f"{exc}\n")
        return 2
    if args.json:
        out.write(report.to_json() + "\n")
    else:
        out.write(report.to_text())
    return 0 if report.ok else 1


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .report import GROUP_KEYS, decay_report

    by = [key.strip() for key in args.by.split(",") if key.strip()]
    unknown = [key for key in by if key not in GROUP_KEYS]
    if unknown or not by:
        raise _UsageError(f"--by takes keys among {', '.join(GROUP_KEYS)}, comma-separated; got {args.by!r}")
    try:
        k = None if args.k is None else [int(size) for size in args.k.split(",") if size.strip()]
    except ValueError:
        raise _UsageError(f"--k takes sizes such as 1,5,10; got {args.k!r}") from None
    if k is not None and (not k or min(k) < 1):
        raise _UsageError(f"--k takes sizes from 1; got {args.k!r}")
    if args.plot is not None and not args.plot.lower().endswith((".png", ".svg")):
        raise _UsageError(f"--plot writes a .png or .svg file; got {args.plot!r}")
    report = decay_report(args.results, by=by, manifest=args.manifest, k=k)
    if args.plot is not None:  # before printing: a missing extra fails the command, not half of it
        report.plot(args.plot)
    out.write({"markdown": report.to_markdown, "csv": report.to_csv, "json": report.to_json}[args.format]())
    if args.plot is not None:
        err.write(f"plot written to {args.plot}\n")
    return 0


def _add_report(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: Callable[[argparse.ArgumentParser], None]
) -> None:
    report_cmd = commands.add_parser(
        "report", help="the decay table of a results JSONL file: A%%, strict A%%, pass@k by depth, layers, framework"
    )
    report_cmd.add_argument("results", metavar="RESULTS", help="a results JSONL file (cdspec evaluate --out)")
    report_cmd.add_argument("--manifest", metavar="FILE", help="a variants manifest to join by variant id")
    report_cmd.add_argument(
        "--by", default="depth", metavar="KEYS", help="group by these keys, e.g. depth,framework (default: depth)"
    )
    report_cmd.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown")
    report_cmd.add_argument("--k", metavar="K,...", help="pass@k sizes (default: 1, and the fewest per variant)")
    report_cmd.add_argument("--plot", metavar="FILE", help="also plot pass rate against depth (.png/.svg)")
    report_cmd.set_defaults(run=_report)


def _add_cases(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: Callable[[argparse.ArgumentParser], None]
) -> None:
    cases_cmd = commands.add_parser("cases", help="generate a task's behavioural test cases as JSONL")
    cases_cmd.add_argument("task", metavar="TASK")
    cases_cmd.add_argument(
        "--n", type=int, metavar="N", help="how many cases (default: one per case template of the task)"
    )
    cases_cmd.add_argument("--seed", type=int, default=0, metavar="SEED", help="the same seed gives the same cases")
    cases_cmd.add_argument("--only", metavar="KINDS", help="comma-separated case kinds, e.g. lifecycle,negative")
    cases_cmd.add_argument("--out", metavar="FILE", help="write the cases here (default: stdout)")
    cases_cmd.add_argument(
        "--explain",
        action="store_true",
        help="print what was inferred (accounts, scheme, resources, producers, lists) and what was left out, then exit",
    )
    common(cases_cmd)
    cases_cmd.set_defaults(run=_cases)


def _add_verify(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: Callable[[argparse.ArgumentParser], None]
) -> None:
    verify_cmd = commands.add_parser(
        "verify", help="check a project against a task's constraints; exit 1 if one fails, 2 on bad input"
    )
    verify_cmd.add_argument("task", metavar="TASK")
    verify_cmd.add_argument("project", metavar="PROJECT", help="the project directory (read, never run)")
    verify_cmd.add_argument("--depth", type=int, metavar="K", help="only the first K layers of the stack")
    verify_cmd.add_argument(
        "--choose", action="append", metavar="GROUP=LAYER", help="pick a group's member (repeatable)"
    )
    verify_cmd.add_argument(
        "--baseline", metavar="DIR", help="the project it started from (default: a feature task's baseline)"
    )
    verify_cmd.add_argument(
        "--diff", metavar="FILE", help="verify PROJECT with this unified diff applied (PROJECT is then the baseline)"
    )
    verify_cmd.add_argument("--checks", metavar="MODULE:ATTR", help="a CheckRegistry with your own checks")
    verify_cmd.add_argument("--json", action="store_true", help="print the report as JSON (schemas/report.schema.json)")
    common(verify_cmd)
    verify_cmd.set_defaults(run=_verify)


def _evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .evaluate import Job, append_results, evaluate_many

    if args.base_url is not None and len(args.projects) > 1:
        raise _UsageError("--base-url serves one project: give one PROJECT, or --start to start each")
    if args.cases is not None and args.n is not None:
        raise _UsageError("--cases and --n exclude each other")
    if args.workers < 1 or args.attempt < 1 or (args.n is not None and args.n < 0):
        raise _UsageError("--workers and --attempt must be at least 1, --n not negative")
    backend = args.start or args.base_url is not None
    try:
        task = load_task(args.task, kinds=_kinds(args.kinds), root=args.root)
        if args.depth is not None:
            task.at_depth(args.depth)  # a depth out of range is bad input, said before any work
        cases = None
        if backend and args.cases is not None:
            cases = load_cases(args.cases)
        elif backend:
            from .cases import generate_cases

            cases = generate_cases(task, n=args.n, seed=args.seed)
        jobs = [
            Job(
                task=task,
                project=project,
                depth=args.depth,
                base_url=args.base_url,
                start=args.start,
                cases=cases,
                variant_id=args.variant_id,
                attempt=args.attempt + i,
                seed=args.seed,
            )
            for i, project in enumerate(args.projects)
        ]
        status = 0
        for evaluation in evaluate_many(jobs, workers=args.workers):
            if args.out is not None:
                append_results(args.out, [evaluation])
            if args.json:
                out.write(json.dumps(evaluation.to_data(), ensure_ascii=False) + "\n")
            else:
                out.write(evaluation.summary() + "\n")
                for constraint in evaluation.failed_constraints:
                    out.write(f"  failed: {constraint}\n")
                if evaluation.error is not None:
                    out.write("  " + evaluation.error.replace("\n", "\n  ") + "\n")
            status = status or int(not evaluation.passed)
    except CdspecError as exc:  # bad input, not a failed attempt: exit 2
        err.write(f"{exc}\n")
        return 2
    return status


def _decay_text(evaluations: Sequence[Evaluation]) -> str:
    """The decay table of the demo's evaluations, by depth (cdspec.report)."""
    from .report import decay_report

    return decay_report(evaluations, by="depth").to_markdown()


def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .evaluate import demo

    if args.workers < 1:
        raise _UsageError("--workers must be at least 1")
    evaluations = demo(args.out, workers=args.workers, seed=args.seed, n=args.n)
    top = max(e.depth for e in evaluations)
    out.write(f"The library example, its reference backend and two broken variants, in {args.out}/:\n")
    for evaluation in (e for e in evaluations if e.depth == top):
        out.write(f"  {evaluation.summary()}\n")
    out.write(f"\nDecay by depth ({len(evaluations)} results in {os.path.join(args.out, 'results.jsonl')}):\n\n")
    text = _decay_text(evaluations)
    out.write(text if text.endswith("\n") else text + "\n")
    return 0


def _add_evaluate(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: Callable[[argparse.ArgumentParser], None]
) -> None:
    cmd = commands.add_parser(
        "evaluate", help="score projects: constraints at a depth and, with a backend, the cases; exit 1 if one fails"
    )
    cmd.add_argument("task", metavar="TASK")
    cmd.add_argument("projects", nargs="+", metavar="PROJECT", help="project directories (attempts N, N+1, ...)")
    cmd.add_argument("--depth", type=int, metavar="K", help="only the first K layers of the stack are in force")
    backend = cmd.add_mutually_exclusive_group()
    backend.add_argument("--start", action="store_true", help="start each project's server (the task's server:)")
    backend.add_argument("--base-url", metavar="URL", help="the running backend of the one PROJECT")
    cmd.add_argument("--cases", metavar="FILE", help="a cases JSONL file (default: generated from the task)")
    cmd.add_argument("--n", type=int, metavar="N", help="how many cases to generate (default: one per template)")
    cmd.add_argument("--seed", type=int, default=0, metavar="SEED", help="the seed of the generated cases")
    cmd.add_argument("--variant-id", metavar="ID", help="the variant the projects are attempts at")
    cmd.add_argument("--attempt", type=int, default=1, metavar="N", help="the first project's attempt number")
    cmd.add_argument("--workers", type=int, default=2, metavar="N", help="evaluations at a time (default: 2)")
    cmd.add_argument("--out", metavar="FILE", help="append the results to this JSONL file")
    cmd.add_argument("--json", action="store_true", help="print each result as a JSON line")
    common(cmd)
    cmd.set_defaults(run=_evaluate)


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = commands.add_parser(
        "demo", help="the bundled library example end to end: prompts, cases, 3 backends, the decay report"
    )
    cmd.add_argument("--out", default="cdspec-demo", metavar="DIR", help="where to write (default: cdspec-demo)")
    cmd.add_argument("--workers", type=int, default=2, metavar="N", help="backends at a time (default: 2)")
    cmd.add_argument("--seed", type=int, default=0, metavar="SEED", help="the seed of the generated cases")
    cmd.add_argument("--n", type=int, metavar="N", help="how many cases (default: one per template)")
    cmd.set_defaults(run=_demo)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdspec",
        description="Layered, executable task specifications for backend code generation.",
    )
    parser.add_argument("--version", action="version", version=f"cdspec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--kinds", metavar="MODULE:ATTR", help="a KindRegistry of your own constraint kinds")
        sub.add_argument("--root", metavar="DIR", help="directory that references may not leave (default: the file's)")

    validate = commands.add_parser("validate", help="check task, layer or contract files; exit 1 if any is invalid")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    common(validate)
    validate.set_defaults(run=_validate)

    show = commands.add_parser("show", help="operations, layers and constraints of a file at a glance")
    show.add_argument("path", metavar="PATH")
    common(show)
    show.set_defaults(run=_show)

    render_cmd = commands.add_parser("render", help="print a task's prompt at a depth or with chosen layers")
    render_cmd.add_argument("task", metavar="TASK")
    stack = render_cmd.add_mutually_exclusive_group()
    stack.add_argument("--depth", type=int, metavar="K", help="the first K layers of the stack (0: contract only)")
    stack.add_argument("--layers", metavar="A,B,...", help="exactly these layers, in this order")
    render_cmd.add_argument("--format", choices=FORMATS, default="markdown", help="default: markdown")
    render_cmd.add_argument("--contract", choices=("verbatim", "summary"), default="verbatim", help="default: verbatim")
    render_cmd.add_argument("--template", default="default", metavar="NAME", help="the task's or a built-in template")
    render_cmd.add_argument("--json", action="store_true", help="print the prompt and what it states as JSON")
    common(render_cmd)
    render_cmd.set_defaults(run=_render)

    variants_cmd = commands.add_parser("variants", help="make the prompt variants of one of a task's plans")
    variants_cmd.add_argument("task", metavar="TASK")
    variants_cmd.add_argument("--plan", required=True, metavar="NAME", help="one of the task's plans")
    variants_cmd.add_argument("--out", metavar="FILE", help="write the variants as JSONL here (default: stdout)")
    variants_cmd.add_argument("--manifest", metavar="FILE", help="write the manifest here (CSV if FILE ends in .csv)")
    variants_cmd.add_argument("--skipped", action="store_true", help="list the skipped combinations and why")
    common(variants_cmd)
    variants_cmd.set_defaults(run=_variants)

    _add_cases(commands, common)

    run_cmd = commands.add_parser(
        "run", help="run a cases JSONL file against a live backend; exit 1 if any assertion fails"
    )
    run_cmd.add_argument("cases", metavar="CASES")
    run_cmd.add_argument("--base-url", required=True, metavar="URL", help="the backend, e.g. http://127.0.0.1:8000")
    run_cmd.add_argument("--request-timeout", type=float, default=10.0, metavar="SECONDS")
    run_cmd.add_argument("--case-timeout", type=float, default=60.0, metavar="SECONDS")
    run_cmd.add_argument("--json", action="store_true", help="print the whole report as JSON")
    run_cmd.set_defaults(run=_run)

    _add_verify(commands, common)
    _add_evaluate(commands, common)
    _add_demo(commands)
    _add_report(commands, common)

    kinds = commands.add_parser("kinds", help="list the constraint kinds")
    kinds.add_argument("--kinds", metavar="MODULE:ATTR", help="a KindRegistry of your own constraint kinds")
    kinds.add_argument("--json", action="store_true", help="print names, descriptions and params schemas as JSON")
    kinds.set_defaults(run=_list_kinds)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args, out, err)
    except _UsageError as exc:
        err.write(f"cdspec: error: {exc}\n")
        return 2
    except CdspecError as exc:  # bad input: every problem on its own line, no traceback
        err.write(f"{exc}\n")
        return 1
    return status


def run() -> None:
    """The console script: :func:`main` with the process's arguments, then exit.

    A closed pipe (``cdspec show task.yaml | head``) or Ctrl-C ends quietly.
    """
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's recipe: point stdout at devnull so the exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)
