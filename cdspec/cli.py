"""The ``cdspec`` command: argument parsing and printing, nothing else.

Exit status: 0 when all went well, 1 when an input is invalid (each problem
printed on its own line, no traceback), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from ._version import __version__
from .contract import Contract
from .errors import CdspecError
from .kinds import BUILTIN_KINDS, KindRegistry
from .load import dump_manifest, dump_variants, load_cases, load_file, load_task
from .model import Layer, Task
from .plans import Variants, variants
from .prompts import FORMATS, Prompt, render
from .run import run_cases

__all__ = ["main", "run"]


def _kinds(spec: str | None) -> KindRegistry:
    """The registry named by ``--kinds module:attribute`` (the user's own code)."""
    if spec is None:
        return BUILTIN_KINDS
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise _UsageError(f"--kinds takes MODULE:ATTRIBUTE, got {spec!r}")
    try:
        registry = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise _UsageError(f"--kinds {spec}: {exc}") from None
    if not isinstance(registry, KindRegistry):
        raise _UsageError(f"--kinds {spec}: expected a cdspec.KindRegistry, got {type(registry).__name__}")
    return registry


class _UsageError(Exception):
    pass


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

    run_cmd = commands.add_parser(
        "run", help="run a cases JSONL file against a live backend; exit 1 if any assertion fails"
    )
    run_cmd.add_argument("cases", metavar="CASES")
    run_cmd.add_argument("--base-url", required=True, metavar="URL", help="the backend, e.g. http://127.0.0.1:8000")
    run_cmd.add_argument("--request-timeout", type=float, default=10.0, metavar="SECONDS")
    run_cmd.add_argument("--case-timeout", type=float, default=60.0, metavar="SECONDS")
    run_cmd.add_argument("--json", action="store_true", help="print the whole report as JSON")
    run_cmd.set_defaults(run=_run)

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
