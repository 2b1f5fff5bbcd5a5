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
from .load import load_file
from .model import Layer, Task

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
    try:
        value = load_file(args.path, kinds=kinds, root=args.root)
    except CdspecError as exc:
        err.write(f"{exc}\n")
        return 1
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
