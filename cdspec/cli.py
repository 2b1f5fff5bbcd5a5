"""The ``cdspec`` command: argument parsing and printing, nothing else.

Exit status: 0 when all went well, 1 when an input is invalid (each problem
printed on its own line, no traceback), 2 for a usage error. ``verify`` is
the exception: 1 means a constraint failed, so bad input there exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

import attrs

from ._source import Limits
from ._version import __version__
from ._write import check_output, replacing, write_text
from .contract import Contract
from .errors import CdspecError, DiffError, LoadError, Problem
from .evaluate import LABEL_NAME, Evaluation, Interrupted, interrupt
from .kinds import BUILTIN_KINDS, KindRegistry
from .load import dump_cases, dump_manifest, dump_variants, load_cases, load_file, load_task
from .model import Layer, Task
from .plans import Variants, variants
from .prompts import FORMATS, Prompt, render
from .run import CONFORMANCE, run_cases
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
            value = load_file(path, kinds=kinds, root=args.root, limits=_limits(args))
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
    _show_server(task, out)


def _show_server(task: Task, out: TextIO) -> None:
    """The task's server: section, which `cdspec evaluate --start` runs: the command, the variables' names."""
    if not task.server:
        return
    server = task.server
    out.write("\nServer (`cdspec evaluate --start` runs this command on your machine: read it first):\n")
    out.write(f"  command: {json.dumps(list(server['command']), ensure_ascii=False)}  (in the project directory)\n")
    names = ", ".join(sorted(server.get("env", {}))) or "none"
    out.write(f"  env: {names}; the port in {server.get('port_env', 'PORT')}\n")
    out.write("  from your environment: PATH, HOME, LANG, LC_*, TMPDIR")
    out.write("".join(f", {name}" for name in server.get("pass_env", [])) + "\n")
    if server.get("secrets"):
        out.write(f"  secrets (redacted from logs and results): {', '.join(server['secrets'])}\n")
    out.write(f"  health: GET {server.get('health', '/')} within {server.get('timeout', 30):g} s\n")


def _show_contract(contract: Contract, out: TextIO) -> None:
    out.write(f"\nContract: {contract.title} {contract.version} (OpenAPI {contract.openapi})\n")
    width = max((len(op.key) for op in contract.operations), default=0)
    for op in contract.operations:
        auth = "auth" if op.requires_auth else "    "
        statuses = ",".join(r.status for r in op.responses)
        out.write(f"  {op.key:<{width}}  {auth}  {op.operation_id or '-'}  [{statuses}]\n")


def _show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    value = load_file(args.path, kinds=kinds, root=args.root, limits=_limits(args))
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
    task = load_task(args.task, kinds=kinds, root=args.root, limits=_limits(args))
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


def _plan(task: Task, spec: str) -> str | dict[str, Any]:
    """``--plan``: the name of one of the task's plans, or a plan written inline in YAML or JSON."""
    if spec in task.plans:
        return spec
    text = spec.strip()
    if not text.startswith(("{", "[")) and ":" not in text:
        return spec  # a name: cdspec.variants says which plans the task has
    from ._source import parse_text

    data = parse_text(text, name="--plan", format="yaml").data
    if not isinstance(data, dict):
        raise _UsageError(f"--plan takes a plan's name or a plan mapping such as '{{depths: {{}}}}'; got {spec!r}")
    return data


def _labels(specs: Sequence[str] | None) -> dict[str, str]:
    """``--label KEY=VALUE`` options as a mapping (a key given twice is an error)."""
    labels: dict[str, str] = {}
    for spec in specs or ():
        key, sep, value = spec.partition("=")
        key = key.strip()
        if not sep or not LABEL_NAME.match(key):
            raise _UsageError(f"--label takes NAME=VALUE (a name of letters, digits, _ . -), got {spec!r}")
        if key in labels:
            raise _UsageError(f"--label {key} is given twice")
        labels[key] = value
    return labels


_W = TypeVar("_W")


def _tqdm(args: argparse.Namespace, err: TextIO) -> Any:
    """tqdm's bar class when ``err`` is a terminal, not ``--quiet``, and the ``progress`` extra is there; else None."""
    if getattr(args, "quiet", False) or not getattr(err, "isatty", lambda: False)():
        return None
    try:
        return importlib.import_module("tqdm").tqdm
    except ImportError:  # the progress extra is not installed: run silently
        return None


@contextlib.contextmanager
def _counter(args: argparse.Namespace, err: TextIO, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar on ``err`` (see :func:`_tqdm`), or ``None``."""
    tqdm = _tqdm(args, err)
    if tqdm is None:
        yield None
        return
    with tqdm(desc=what, unit="case", file=err, leave=False, dynamic_ncols=True) as bar:

        def step(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield step


def _progress(items: Iterable[_W], *, total: int, what: str, args: argparse.Namespace, err: TextIO) -> Iterable[_W]:
    """``items`` with a progress bar of ``total`` on ``err`` (see :func:`_tqdm`)."""
    tqdm = _tqdm(args, err)
    if tqdm is None:
        return items
    bar: Iterable[_W] = tqdm(items, total=total, desc=what, unit="attempt", file=err, leave=False, dynamic_ncols=True)
    return bar


def _variants(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kinds = _kinds(args.kinds)
    if (
        args.out is not None
        and args.manifest is not None
        and os.path.abspath(args.out) == os.path.abspath(args.manifest)
    ):
        raise _UsageError("--out and --manifest name the same file")
    task = load_task(args.task, kinds=kinds, root=args.root, limits=_limits(args))
    made = variants(task, _plan(task, args.plan), kinds=kinds)
    outputs: list[tuple[str, str]] = []
    if args.out is not None:
        outputs.append((args.out, dump_variants(made)))
    if args.manifest is not None:
        csv = args.manifest.lower().endswith(".csv")
        outputs.append((args.manifest, dump_manifest(made, format="csv" if csv else "jsonl")))
    for path, _ in outputs:  # both checked before either is written
        check_output(path, force=args.force, inputs=[args.task])
    for path, text in outputs:
        write_text(path, text, force=args.force, inputs=[args.task])
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
    if args.out is not None:
        check_output(args.out, force=args.force, inputs=[args.task])
    task = load_task(args.task, kinds=_kinds(args.kinds), root=args.root, limits=_limits(args))
    if args.explain:
        from .cases._explain import explain

        out.write(explain(task, kinds=only))
        return 0
    with _hypothesis_home(), _counter(args, err, "cases") as step:
        made = generate_cases(task, n=args.n, seed=args.seed, kinds=only, progress=step)
    text = dump_cases(made)
    if args.out is None:
        out.write(text)
        return 0
    write_text(args.out, text, force=args.force, inputs=[args.task])
    counts = ", ".join(f"{sum(c.kind == kind for c in made)} {kind}" for kind in CASE_KINDS if kind in only)
    assertions = sum(case.assertions for case in made)
    out.write(
        f"{_plural(len(made), 'case')} ({_plural(assertions, 'assertion')}) of task {task.id!r}, "
        f"seed {args.seed}: {counts}\n"
    )
    return 0


def _seconds(option: str, text: str, *, zero: bool = False) -> float:
    """A finite number of seconds from an option (positive, or at least 0 with ``zero``)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise _UsageError(f"{option} takes a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise _UsageError(f"{option} must be a finite number of seconds {'>= 0' if zero else '> 0'}, got {text!r}")
    return value


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ._run_display import text as report_text

    request_timeout = _seconds("--request-timeout", args.request_timeout)
    case_timeout = _seconds("--case-timeout", args.case_timeout)
    pace = _seconds("--pace", args.pace, zero=True)
    max_retry_wait = _seconds("--max-retry-wait", args.max_retry_wait, zero=True)
    if args.retries < 0:
        raise _UsageError(f"--retries must be at least 0, got {args.retries}")
    outputs = [path for path in (args.junit, args.html) if path is not None]
    if len(outputs) == 2 and os.path.abspath(outputs[0]) == os.path.abspath(outputs[1]):
        raise _UsageError("--junit and --html name the same file")
    for path in outputs:  # refused before the run, not after it
        check_output(path, force=args.force, inputs=[args.cases])
    with _counter(args, err, "run") as step:
        report = run_cases(
            load_cases(args.cases, limits=_limits(args)),
            base_url=args.base_url,
            request_timeout=request_timeout,
            case_timeout=case_timeout,
            allow_env=args.allow_env,
            pace=pace,
            retries=args.retries,
            max_retry_wait=max_retry_wait,
            progress=step,
            conformance=args.conformance,
        )
    for path, text in ((args.junit, report.to_junit), (args.html, report.to_html)):
        if path is None:
            continue
        write_text(path, text(), force=args.force, inputs=[args.cases])
    if args.json:
        out.write(json.dumps(report.to_data(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(report_text(report))
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
        task = load_task(args.task, kinds=kinds, root=args.root, limits=_limits(args))
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
    if not report.ok:
        return 1
    if args.strict and report.counts["unchecked"]:
        err.write(f"--strict: {report.counts['unchecked']} constraint(s) could not be checked\n")
        return 1
    return 0


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .report import ReportError, Table, decay_report

    by = [key.strip() for key in args.by.split(",") if key.strip()]
    if not by:
        raise _UsageError(f"--by takes grouping keys or label names, comma-separated; got {args.by!r}")
    try:
        k = None if args.k is None else [int(size) for size in args.k.split(",") if size.strip()]
    except ValueError:
        raise _UsageError(f"--k takes sizes such as 1,5,10; got {args.k!r}") from None
    if k is not None and (not k or min(k) < 1):
        raise _UsageError(f"--k takes sizes from 1; got {args.k!r}")
    if args.plot is not None and not args.plot.lower().endswith((".png", ".svg")):
        raise _UsageError(f"--plot writes a .png or .svg file; got {args.plot!r}")
    inputs = [args.results, args.manifest]
    if args.plot is not None:
        check_output(args.plot, force=args.force, inputs=inputs)
    from .integrations.inspect_log import is_inspect_log, results_from_log  # no Inspect import unless it is a log

    results = results_from_log(args.results) if is_inspect_log(args.results) else args.results
    delta = None
    if args.delta is not None:
        start, sep, end = args.delta.partition(":")
        if not sep or not start.strip().isdigit() or not end.strip().isdigit():
            raise _UsageError(f"--delta takes FROM:TO depths such as 0:3; got {args.delta!r}")
        delta = (int(start), int(end))
    others = [key for key in by if key not in ("depth", "layers")]
    try:
        report = decay_report(results, by=by, manifest=args.manifest, k=k)
        table: Table | None = None
        if args.effects:
            table = report.effects(args.rate, by=others)
        elif args.ranking is not None:
            table = report.ranking(args.ranking, args.rate)
        elif delta is not None:
            table = report.delta(*delta, rate=args.rate, by=others)
    except ReportError as exc:  # a key, rate or depth the results do not have: a usage error
        raise _UsageError(str(exc)) from None
    if args.plot is not None:  # before printing: a missing extra fails the command, not half of it
        with replacing(args.plot, force=args.force, inputs=inputs) as temporary:
            report.plot(temporary)
    shown = report if table is None else table
    formats = {"markdown": shown.to_markdown, "csv": shown.to_csv, "json": shown.to_json, "latex": shown.to_latex}
    out.write(formats[args.format]())
    if args.plot is not None:
        err.write(f"plot written to {args.plot}\n")
    return 0


def _add_report(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: Callable[[argparse.ArgumentParser], None]
) -> None:
    report_cmd = commands.add_parser(
        "report",
        help="the decay table of a results JSONL file: A%%, Raw A%%, pass@k by depth, layers, framework, labels",
    )
    report_cmd.add_argument(
        "results", metavar="RESULTS", help="a results JSONL file (cdspec evaluate --out) or an Inspect log (.eval)"
    )
    report_cmd.add_argument("--manifest", metavar="FILE", help="a variants manifest to join by variant id")
    report_cmd.add_argument(
        "--by",
        default="depth",
        metavar="KEYS",
        help="group by these keys or labels, e.g. depth,framework or depth,model (default: depth)",
    )
    report_cmd.add_argument("--format", choices=("markdown", "csv", "json", "latex"), default="markdown")
    report_cmd.add_argument("--k", metavar="K,...", help="pass@k sizes (default: 1, and the fewest per variant)")
    table = report_cmd.add_mutually_exclusive_group()
    table.add_argument(
        "--effects", action="store_true", help="the marginal effect of each layer from matched pairs (Table 2a)"
    )
    table.add_argument("--ranking", metavar="KEY", help="rank the groups of KEY (framework, model, ...) by --rate")
    table.add_argument("--delta", metavar="FROM:TO", help="the change of --rate between two depths, e.g. 0:3")
    report_cmd.add_argument(
        "--rate",
        choices=("a_rate", "raw_a_rate", "pass@1", "adherence"),
        default="a_rate",
        help="the rate --effects, --ranking and --delta compare (default: a_rate, the study's A%%)",
    )
    report_cmd.add_argument(
        "--plot", metavar="FILE", help="also plot A%% and Raw A%% against depth per --by group (.png/.svg)"
    )
    report_cmd.add_argument("--force", action="store_true", help="replace the --plot file if it exists")
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
    cases_cmd.add_argument("--quiet", action="store_true", help="no progress bar on a terminal")
    cases_cmd.add_argument("--force", action="store_true", help="replace the --out file if it exists")
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
    verify_cmd.add_argument("--strict", action="store_true", help="exit 1 also when a constraint could not be checked")
    common(verify_cmd)
    verify_cmd.set_defaults(run=_verify)


def _evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .evaluate import Job, append_results, evaluate_many

    labels = _labels(args.label)
    if args.plan is not None or args.attempts is not None:
        return _evaluate_plan(args, labels, out, err)
    if not args.projects:
        raise _UsageError("give PROJECT directories, or --plan PLAN --attempts DIR")
    if args.base_url is not None and len(args.projects) > 1:
        raise _UsageError("--base-url serves one project: give one PROJECT, or --start to start each")
    if args.cases is not None and args.n is not None:
        raise _UsageError("--cases and --n exclude each other")
    if args.workers < 1 or args.attempt < 1 or (args.n is not None and args.n < 0):
        raise _UsageError("--workers and --attempt must be at least 1, --n not negative")
    backend = args.start or args.base_url is not None
    try:
        if args.out is not None:  # results files are appended to, never replaced: only inputs are refused
            check_output(args.out, force=True, inputs=[args.task, args.cases])
        task = load_task(args.task, kinds=_kinds(args.kinds), root=args.root, limits=_limits(args))
        if args.depth is not None:
            task.at_depth(args.depth)  # a depth out of range is bad input, said before any work
        cases = None
        if backend and args.cases is not None:
            cases = load_cases(args.cases, limits=_limits(args))
        elif backend:
            from .cases import generate_cases

            with _hypothesis_home():
                cases = generate_cases(task, n=args.n, seed=args.seed)
        allowed = {name: os.environ[name] for name in args.allow_env if name in os.environ} if args.allow_env else None
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
                env=allowed,
                labels=labels,
            )
            for i, project in enumerate(args.projects)
        ]
        evaluations = _progress(
            evaluate_many(jobs, workers=args.workers), total=len(jobs), what="evaluate", args=args, err=err
        )
        return _print_evaluations(evaluations, args, out, lambda e: append_results(args.out, [e]))
    except CdspecError as exc:  # bad input, not a failed attempt: exit 2
        err.write(f"{exc}\n")
        return 2


def _print_evaluations(
    evaluations: Iterable[Evaluation], args: argparse.Namespace, out: TextIO, append: Callable[[Evaluation], object]
) -> int:
    """Print (and with ``--out``, append) each evaluation as it comes; 1 when one did not pass."""
    status = 0
    for evaluation in evaluations:
        if args.out is not None:
            append(evaluation)
        if args.json:
            out.write(json.dumps(evaluation.to_data(), ensure_ascii=False) + "\n")
        elif not args.quiet or not evaluation.passed:
            out.write(evaluation.summary() + "\n")
            for constraint in evaluation.failed_constraints:
                out.write(f"  failed: {constraint}\n")
            if evaluation.error is not None:
                out.write("  " + evaluation.error.replace("\n", "\n  ") + "\n")
        status = status or int(not evaluation.passed)
    return status


def _evaluate_plan(args: argparse.Namespace, labels: dict[str, str], out: TextIO, err: TextIO) -> int:
    """``cdspec evaluate TASK --plan PLAN --attempts DIR``: every attempt of every variant, resumable."""
    from .evaluate import sweep

    if args.plan is None or args.attempts is None:
        raise _UsageError("--plan and --attempts go together: the attempts folder holds one folder per variant id")
    if args.projects:
        raise _UsageError("with --plan, the projects are those of --attempts: give no PROJECT")
    for option in ("depth", "base_url", "variant_id"):
        if getattr(args, option) is not None:
            raise _UsageError(f"--{option.replace('_', '-')} does not go with --plan (each variant has its own)")
    if args.cases is not None and args.n is not None:
        raise _UsageError("--cases and --n exclude each other")
    if args.workers < 1 or (args.n is not None and args.n < 0):
        raise _UsageError("--workers must be at least 1, --n not negative")
    try:
        task = load_task(args.task, kinds=_kinds(args.kinds), root=args.root, limits=_limits(args))
        cases = load_cases(args.cases, limits=_limits(args)) if args.start and args.cases is not None else None
        with _hypothesis_home():
            found = sweep(
                task,
                _plan(task, args.plan),
                args.attempts,
                start=args.start,
                cases=cases,
                n=args.n,
                seed=args.seed,
                labels=labels,
                out=args.out,
            )
        if not args.quiet and not args.json:
            skipped = f", {found.done} already in {args.out} (skipped)" if found.done else ""
            empty = f"; {_plural(len(found.empty), 'variant')} without attempts" if found.empty else ""
            err.write(
                f"{_plural(len(found.jobs), 'attempt')} to score of {_plural(found.variants, 'variant')}"
                f"{skipped}{empty}\n"
            )
        evaluations = _progress(
            found.run(workers=args.workers), total=len(found.jobs), what="evaluate", args=args, err=err
        )
        return _print_evaluations(evaluations, args, out, lambda e: None)
    except CdspecError as exc:  # bad input, not a failed attempt: exit 2
        err.write(f"{exc}\n")
        return 2


def _decay_text(evaluations: Sequence[Evaluation]) -> str:
    """The decay table of the demo's evaluations, by depth (cdspec.report)."""
    from .report import decay_report

    return decay_report(evaluations, by="depth").to_markdown()


def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .evaluate import demo

    if args.workers < 1:
        raise _UsageError("--workers must be at least 1")
    with _hypothesis_home():
        evaluations = demo(
            args.out,
            workers=args.workers,
            seed=args.seed,
            n=args.n,
            progress=lambda items, total: _progress(items, total=total, what="demo", args=args, err=err),
            force=args.force,
        )
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
    cmd.add_argument("projects", nargs="*", metavar="PROJECT", help="project directories (attempts N, N+1, ...)")
    cmd.add_argument("--plan", metavar="PLAN", help="score every variant of this plan (a name or inline YAML)")
    cmd.add_argument(
        "--attempts", metavar="DIR", help="with --plan: DIR/<variant-id>/<attempt>/ holds each attempt's project"
    )
    cmd.add_argument(
        "--label", action="append", metavar="NAME=VALUE", help="a label on every result, e.g. model=gpt-x (repeatable)"
    )
    cmd.add_argument("--depth", type=int, metavar="K", help="only the first K layers of the stack are in force")
    backend = cmd.add_mutually_exclusive_group()
    backend.add_argument("--start", action="store_true", help="start each project's server (the task's server:)")
    backend.add_argument("--base-url", metavar="URL", help="the running backend of the one PROJECT")
    cmd.add_argument(
        "--allow-env",
        action="append",
        default=[],
        metavar="NAME",
        help="an environment variable the cases' $env symbols may read (repeatable; with --start the server's env too)",
    )
    cmd.add_argument("--cases", metavar="FILE", help="a cases JSONL file (default: generated from the task)")
    cmd.add_argument("--n", type=int, metavar="N", help="how many cases to generate (default: one per template)")
    cmd.add_argument("--seed", type=int, default=0, metavar="SEED", help="the seed of the generated cases")
    cmd.add_argument("--variant-id", metavar="ID", help="the variant the projects are attempts at")
    cmd.add_argument("--attempt", type=int, default=1, metavar="N", help="the first project's attempt number")
    cmd.add_argument("--workers", type=int, default=2, metavar="N", help="evaluations at a time (default: 2)")
    cmd.add_argument(
        "--out", metavar="FILE", help="append the results to this JSONL file (with --plan: skip those already in it)"
    )
    cmd.add_argument("--json", action="store_true", help="print each result as a JSON line")
    _add_chatter(cmd)
    common(cmd)
    cmd.set_defaults(run=_evaluate)


def _add_chatter(cmd: argparse.ArgumentParser) -> None:
    """``--quiet`` and ``--verbose`` for the long-running commands."""
    chatter = cmd.add_mutually_exclusive_group()
    chatter.add_argument(
        "--quiet", action="store_true", help="no progress bar, print only what failed (and the final table)"
    )
    chatter.add_argument(
        "--verbose", action="store_true", help="log each server started and stopped to stderr (logger 'cdspec')"
    )


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = commands.add_parser(
        "demo", help="the bundled library example end to end: prompts, cases, 3 backends, the decay report"
    )
    cmd.add_argument("--out", default="cdspec-demo", metavar="DIR", help="where to write (default: cdspec-demo)")
    cmd.add_argument("--workers", type=int, default=2, metavar="N", help="backends at a time (default: 2)")
    cmd.add_argument("--seed", type=int, default=0, metavar="SEED", help="the seed of the generated cases")
    cmd.add_argument("--n", type=int, metavar="N", help="how many cases (default: one per template)")
    _add_chatter(cmd)
    cmd.add_argument("--force", action="store_true", help="replace the demo's files and folders in DIR if they exist")
    cmd.set_defaults(run=_demo)


def _add_limit(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=N",
        help="raise a load limit for trusted input, e.g. max_nodes=5000000 (repeatable; see cdspec.Limits)",
    )


def _limits(args: argparse.Namespace) -> Limits:
    """``--limit NAME=N`` options as :class:`cdspec.Limits` (the defaults for the rest)."""
    fields = {field.name for field in attrs.fields(Limits)}
    given: dict[str, int] = {}
    for spec in getattr(args, "limit", None) or ():
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or name not in fields or not value.strip().isdigit() or int(value) < 1:
            raise _UsageError(
                f"--limit takes NAME=N with N >= 1 and NAME one of {', '.join(sorted(fields))}; got {spec!r}"
            )
        given[name] = int(value)
    return Limits(**given)


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``run`` command and its options."""
    run_cmd = commands.add_parser(
        "run", help="run a cases JSONL file against a live backend; exit 1 if any assertion fails"
    )
    run_cmd.add_argument("cases", metavar="CASES")
    run_cmd.add_argument("--base-url", required=True, metavar="URL", help="the backend, e.g. http://127.0.0.1:8000")
    run_cmd.add_argument(
        "--request-timeout", default="10", metavar="SECONDS", help="all the time one request may take (default 10)"
    )
    run_cmd.add_argument("--case-timeout", default="60", metavar="SECONDS", help="time budget of a case (default 60)")
    run_cmd.add_argument(
        "--allow-env",
        action="append",
        default=[],
        metavar="NAME",
        help="an environment variable the cases' $env symbols may read (repeatable; none by default)",
    )
    run_cmd.add_argument("--pace", default="0", metavar="SECONDS", help="wait between two requests (default 0)")
    run_cmd.add_argument("--retries", type=int, default=3, metavar="N", help="retries of a 429 (default 3)")
    run_cmd.add_argument(
        "--max-retry-wait", default="10", metavar="SECONDS", help="Retry-After waited at most per request (default 10)"
    )
    run_cmd.add_argument(
        "--conformance",
        choices=CONFORMANCE,
        default="enforce",
        help="a response that breaks the contract in form only (200 for 201, 403 for 401, null for a string): "
        "fail it (enforce, the default) or pass it and list it (report)",
    )
    run_cmd.add_argument("--json", action="store_true", help="print the whole report as JSON")
    run_cmd.add_argument("--quiet", action="store_true", help="no progress bar on a terminal")
    run_cmd.add_argument("--junit", metavar="FILE", help="also write the report as JUnit XML")
    run_cmd.add_argument("--html", metavar="FILE", help="also write the report as one self-contained HTML page")
    run_cmd.add_argument("--force", action="store_true", help="replace existing --junit/--html files")
    _add_limit(run_cmd)
    run_cmd.set_defaults(run=_run)


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
        _add_limit(sub)

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
    variants_cmd.add_argument(
        "--plan", required=True, metavar="PLAN", help="one of the task's plans, or a plan inline: '{depths: {}}'"
    )
    variants_cmd.add_argument("--out", metavar="FILE", help="write the variants as JSONL here (default: stdout)")
    variants_cmd.add_argument("--manifest", metavar="FILE", help="write the manifest here (CSV if FILE ends in .csv)")
    variants_cmd.add_argument("--skipped", action="store_true", help="list the skipped combinations and why")
    variants_cmd.add_argument("--force", action="store_true", help="replace the --out and --manifest files")
    common(variants_cmd)
    variants_cmd.set_defaults(run=_variants)

    _add_cases(commands, common)

    _add_run(commands)

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
    handler = None
    if getattr(args, "verbose", False):
        handler = logging.StreamHandler(err)
        handler.setFormatter(logging.Formatter("cdspec: %(message)s"))
        logger = logging.getLogger("cdspec")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        status: int = args.run(args, out, err)
    except _UsageError as exc:
        err.write(f"cdspec: error: {exc}\n")
        return 2
    except CdspecError as exc:  # bad input: every problem on its own line, no traceback
        err.write(f"{exc}\n")
        return 1
    finally:
        if handler is not None:
            logging.getLogger("cdspec").removeHandler(handler)
            logging.getLogger("cdspec").setLevel(logging.NOTSET)
    return status


def _on_signal(signum: int, frame: object) -> None:
    """SIGINT, SIGTERM, SIGHUP: a running evaluation batch winds down (it gives what finished); else stop now."""
    if not interrupt(signum):
        raise Interrupted(signum)


@contextlib.contextmanager
def _hypothesis_home() -> Iterator[None]:
    """Hypothesis keeps its files (a Unicode table cache) in a temporary folder, not in the working folder."""
    import tempfile

    from hypothesis import configuration

    before = getattr(configuration, "__hypothesis_home_directory", None)
    with tempfile.TemporaryDirectory(prefix="cdspec-hypothesis-") as folder:
        configuration.set_hypothesis_home_dir(folder)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(before)


def _still_working() -> bool:
    """Whether a thread other than this one would hold the interpreter's exit."""
    import threading

    return any(t.is_alive() and not t.daemon and t is not threading.current_thread() for t in threading.enumerate())


def run() -> None:
    """The console script: :func:`main` with the process's arguments, then exit.

    A closed pipe (``cdspec show task.yaml | head``) ends quietly. SIGINT
    (Ctrl-C), SIGTERM and SIGHUP stop every server cdspec started, keep the
    results that finished, and exit with 128 + the signal's number (130,
    143, 129).
    """
    handled = [signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    before = {signum: signal.signal(signum, _on_signal) for signum in handled}
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's recipe: point stdout at devnull so the exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    except KeyboardInterrupt as exc:
        status = 128 + getattr(exc, "signum", signal.SIGINT)
        with contextlib.suppress(Exception):
            sys.stderr.write(f"cdspec: {exc or 'interrupted by SIGINT'}\n")
            sys.stdout.flush()
            sys.stderr.flush()
        if _still_working():
            # A job against a --base-url may still wait for its server: it must not hold the exit. Every
            # server cdspec started is stopped and every result that finished is written by now.
            os._exit(status)
    finally:
        for signum, handler in before.items():
            if handler is not None:  # None: not set from Python, so nothing to restore
                signal.signal(signum, handler)
    sys.exit(status)
