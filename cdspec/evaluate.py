"""Scoring attempts: static verification plus behavioural cases, one :class:`Evaluation` each.

:func:`evaluate` verifies a project against the constraints in force at a
depth and, when a backend is given (``base_url``, ``app``) or started from the
task's ``server:`` section (``start=True``), runs the behavioural cases
against it. The result holds the Constraint Decay study's two assertion
rates, A% (``a_rate``: enforced by the verifiers, 0 when an in-force
constraint failed) and Raw A% (``raw_a_rate``: not enforced), overall pass
and the per-layer and per-constraint outcomes; it is plain JSON data
(``schemas/result.schema.json``) that :func:`append_results` writes as a line
of a results JSONL file and :func:`load_results` reads back.

:func:`serve` starts a project's server as the task says (a free loopback
port, a fresh temporary directory, the command run without a shell, a health
check with a timeout) and always stops it. :func:`evaluate_many` runs many
evaluations on bounded worker threads, each backend on its own port and
temporary directory, and yields them in the order of the jobs.

This module imports the runner, the case generator (Hypothesis) and the
process machinery only when a function needs them: ``import cdspec`` stays
light.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from . import plans as _plans
from ._frozen import FrozenDict, freeze, thaw
from ._schemas import schema, schema_problems
from .errors import CdspecError, LoadError, Problem
from .model import Target, Task
from .verify import CheckRegistry, Project, Status, VerifyReport, verify

if TYPE_CHECKING:
    import subprocess

    from .cases.model import Case
    from .run import Report

__all__ = [
    "LABEL_NAME",
    "ConstraintOutcome",
    "Evaluation",
    "Job",
    "Server",
    "ServerError",
    "Sweep",
    "append_results",
    "evaluate",
    "evaluate_many",
    "load_results",
    "migrate_result",
    "serve",
    "sweep",
    "variant_task",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds a started server has to answer its health check, unless the task says otherwise."""

LOG_TAIL = 4000
"""Characters of a server's log quoted when it does not start."""

# Hypothesis runs one test at a time per thread but keeps state of its own
# (registered backends, caches): cases are generated one task at a time.
# Verification is safe on several threads (cdspec.verify parses one file at a
# time, for CPython 3.11's sake), and the servers and HTTP waits overlap.
_GENERATING = threading.Lock()

_LOG = logging.getLogger("cdspec")
"""Servers started and stopped, attempts skipped on resume (``cdspec --verbose`` shows them)."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z_]*)\}")
_PLACEHOLDERS = ("port", "tmp", "project", "python")


class ServerError(CdspecError):
    """A project's server could not be started or did not become healthy (the message quotes its log)."""


# --------------------------------------------------------------------------- the result


@attrs.frozen
class ConstraintOutcome:
    """One constraint in force and how its static check came out."""

    id: str
    layer: str
    kind: str
    status: Status

    def to_data(self) -> dict[str, Any]:
        """``{"id", "layer", "kind", "status"}`` as plain JSON data."""
        return {"id": self.id, "layer": self.layer, "kind": self.kind, "status": self.status.value}


def _outcomes(value: Iterable[ConstraintOutcome]) -> tuple[ConstraintOutcome, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
"""What a label's name may be (``model``, ``agent``, ``run.seed``): also a grouping key of a report."""


def _labels(value: Mapping[str, str] | None) -> FrozenDict:
    """Free labels, ``key -> string``, sorted by key (so results files are the same bytes)."""
    if value is None:
        return FrozenDict()
    if isinstance(value, FrozenDict) and list(value) == sorted(value):
        return value
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and LABEL_NAME.match(key) and isinstance(text, str) for key, text in value.items()
    ):
        raise CdspecError(
            f"labels must map names (letters, digits, '_', '.', '-', not first) to strings, got {value!r}"
        )
    return FrozenDict({key: value[key] for key in sorted(value)})


def migrate_result(data: Any) -> Any:
    """A result record of cdspec before 0.2 (``a_rate`` raw, ``strict_rate`` enforced) in today's terms.

    Old records called the unenforced rate ``a_rate`` and the enforced one
    ``strict_rate``; today ``a_rate`` is the study's A% (enforced) and
    ``raw_a_rate`` its Raw A%. A record with ``strict_rate`` and no
    ``raw_a_rate`` has its two rates renamed (values kept, so nothing is
    mislabelled); any other value is returned as it is (the schema then
    says what is wrong with it).
    """
    if not isinstance(data, Mapping) or "strict_rate" not in data or "raw_a_rate" in data:
        return data
    migrated: dict[str, Any] = {}
    for key, value in data.items():
        if key == "a_rate":
            migrated["a_rate"] = data["strict_rate"]
            migrated["raw_a_rate"] = value
        elif key != "strict_rate":
            migrated[key] = value
    migrated.setdefault("raw_a_rate", None)
    migrated.setdefault("a_rate", data["strict_rate"])
    return migrated


def _milliseconds(value: float) -> float:
    """Seconds kept to the millisecond, as results files store them (so a round trip is exact)."""
    return round(float(value), 3)


@attrs.frozen(kw_only=True)
class Evaluation:
    """One attempt scored: a line of a results file (``schemas/result.schema.json``).

    ``assertions_passed``/``assertions_total`` are ``None`` when no backend
    was run (or it could not start: then ``error`` says why). The rates
    are the study's (arXiv 2605.06445, section 3, evaluation): ``a_rate``
    is **A%**, the assertion pass rate enforced by the verifiers (0 when
    any in-force constraint FAILED; an unchecked one does not zero it),
    ``raw_a_rate`` is **Raw A%**, assertions passed over assertions run
    whatever the constraints. ``passed`` (what pass@k counts) means no
    error, every assertion passed and no in-force constraint failed.
    ``labels`` are free ``key -> string`` tags (``model``, ``agent``,
    ``scaffold``, ``run``, ...) that reports can group by.
    """

    task_id: str
    variant_id: str | None = None
    attempt: int = 1
    depth: int
    layers: tuple[str, ...] = attrs.field(converter=_strings)
    target: Target
    project: str
    constraints: tuple[ConstraintOutcome, ...] = attrs.field(converter=_outcomes)
    assertions_passed: int | None = None
    assertions_total: int | None = None
    seconds: float = attrs.field(default=0.0, converter=_milliseconds)
    error: str | None = None
    labels: FrozenDict = attrs.field(factory=FrozenDict, converter=_labels)

    @property
    def failed_constraints(self) -> tuple[str, ...]:
        """The ids of the in-force constraints that FAILED, in stack order."""
        return tuple(c.id for c in self.constraints if c.status is Status.FAILED)

    @property
    def layers_outcome(self) -> dict[str, dict[str, int]]:
        """Per layer in force (stack order): how many constraints passed, failed, were unchecked."""
        outcome = {name: {status.value: 0 for status in Status} for name in self.layers}
        for constraint in self.constraints:
            outcome.setdefault(constraint.layer, {status.value: 0 for status in Status})
            outcome[constraint.layer][constraint.status.value] += 1
        return outcome

    @property
    def raw_a_rate(self) -> float | None:
        """Raw A%: assertions passed over assertions run (1.0 for none run); ``None`` when no backend ran."""
        if self.assertions_total is None or self.assertions_passed is None:
            return None
        return self.assertions_passed / self.assertions_total if self.assertions_total else 1.0

    @property
    def a_rate(self) -> float | None:
        """A%: :attr:`raw_a_rate`, or 0.0 when an in-force constraint failed; ``None`` when no backend ran."""
        rate = self.raw_a_rate
        if rate is None:
            return None
        return 0.0 if self.failed_constraints else rate

    @property
    def passed(self) -> bool:
        """No error, every assertion passed and no in-force constraint failed."""
        return (
            self.error is None
            and not self.failed_constraints
            and (self.assertions_total is None or self.assertions_passed == self.assertions_total)
        )

    def summary(self) -> str:
        """One line: ``library d7 -#1 ref: A% 100.0%, Raw A% 100.0% (459/459), 12/12 constraints kept: PASSED``."""
        kept = sum(c.status is Status.PASSED for c in self.constraints)
        failed = len(self.failed_constraints)
        label = f"{self.task_id} d{self.depth} {self.variant_id or '-'}#{self.attempt} {self.project}"
        if self.labels:
            label += " [" + " ".join(f"{key}={value}" for key, value in self.labels.items()) + "]"
        if self.a_rate is None:
            behaviour = "no backend run" if self.error is None else "not evaluated"
        else:
            behaviour = (
                f"A% {self.a_rate:.1%}, Raw A% {self.raw_a_rate:.1%} ({self.assertions_passed}/{self.assertions_total})"
            )
        constraints = f"{kept}/{len(self.constraints)} constraints kept" + (f", {failed} failed" if failed else "")
        verdict = "ERROR" if self.error is not None else "PASSED" if self.passed else "FAILED"
        return f"{label}: {behaviour}, {constraints}: {verdict}"

    def __repr__(self) -> str:
        """One line: ``<Evaluation library d7 ...: A% 100.0%, ...: PASSED>`` (see :meth:`summary`)."""
        return f"<Evaluation {self.summary()}>"

    def _repr_html_(self) -> str:
        """A notebook view: the summary and one row per constraint in force."""
        from ._html import table

        rows = ((c.layer, c.id, c.kind, c.status.value) for c in self.constraints)
        caption = self.summary() + (f" Error: {self.error}" if self.error else "")
        return table(caption, ("layer", "constraint", "kind", "status"), rows)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data, valid against ``schemas/result.schema.json``; key order is fixed."""
        assertions = (
            None
            if self.assertions_total is None
            else {"passed": self.assertions_passed, "total": self.assertions_total}
        )
        return {
            "task_id": self.task_id,
            "variant_id": self.variant_id,
            "attempt": self.attempt,
            "depth": self.depth,
            "layers": list(self.layers),
            "target": {"language": self.target.language, "framework": self.target.framework},
            "project": self.project,
            "constraints": [c.to_data() for c in self.constraints],
            "layers_outcome": self.layers_outcome,
            "assertions": assertions,
            "a_rate": self.a_rate,
            "raw_a_rate": self.raw_a_rate,
            "passed": self.passed,
            "seconds": self.seconds,
            "error": self.error,
            "labels": dict(self.labels),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Evaluation:
        """The evaluation of :meth:`to_data` output (the derived fields are recomputed, not read)."""
        assertions = data.get("assertions")
        return cls(
            task_id=data["task_id"],
            variant_id=data.get("variant_id"),
            attempt=data.get("attempt", 1),
            depth=data["depth"],
            layers=data["layers"],
            target=Target(data["target"]["language"], data["target"]["framework"]),
            project=data["project"],
            constraints=[
                ConstraintOutcome(c["id"], c["layer"], c["kind"], Status(c["status"])) for c in data["constraints"]
            ],
            assertions_passed=None if assertions is None else assertions["passed"],
            assertions_total=None if assertions is None else assertions["total"],
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
            labels=data.get("labels", {}),
        )


def _derived_problems(evaluation: Evaluation, data: Mapping[str, Any]) -> list[Problem]:
    """Stored derived fields that disagree with what the line's own data gives."""
    problems = []
    fresh = evaluation.to_data()
    for key in ("layers_outcome", "a_rate", "raw_a_rate", "passed"):
        stored, expected = data[key], fresh[key]
        same = (
            abs(stored - expected) < 1e-9
            if isinstance(stored, float | int) and isinstance(expected, float) and not isinstance(stored, bool)
            else stored == expected
        )
        if not same:
            problems.append(Problem(f"{key} is {stored!r}, but the line's data gives {expected!r}", pointer=f"/{key}"))
    if evaluation.assertions_total is not None and (evaluation.assertions_passed or 0) > evaluation.assertions_total:
        problems.append(Problem("more assertions passed than were run", pointer="/assertions/passed"))
    return problems


# --------------------------------------------------------------------------- results files


def append_results(path: str | os.PathLike[str], evaluations: Iterable[Evaluation]) -> int:
    """Append ``evaluations`` to the results JSONL file ``path`` (created if missing); how many were written.

    Each evaluation is one line (:meth:`Evaluation.to_data`), written and
    flushed as it comes, so an interrupted run keeps what it finished.
    Raises :class:`~cdspec.CdspecError` when the file cannot be written.
    """
    from .load import _jsonl_line

    count = 0
    try:
        with open(path, "a", encoding="utf-8", newline="") as file:
            for evaluation in evaluations:
                file.write(_jsonl_line(evaluation.to_data()) + "\n")
                file.flush()
                count += 1
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise CdspecError(f"{os.fspath(path)}: cannot write: {getattr(exc, 'strerror', None) or exc}") from None
    return count


def load_results(path: str | os.PathLike[str]) -> tuple[Evaluation, ...]:
    """Read a results JSONL file back, in file order.

    Each line is checked against ``schemas/result.schema.json`` and for
    consistency (the stored rates and outcomes must be those its data
    gives). Raises :class:`~cdspec.LoadError` listing every problem as
    ``file:line: pointer: message``; nothing else escapes. Blank lines are
    ignored; an empty file gives no results. Lines written before the
    rename of the rates (with ``strict_rate``) are read with
    :func:`migrate_result`.
    """
    from .load import _display, _jsonl_records, _safely

    file = Path(path).absolute()
    name = _display(file)

    def load() -> tuple[Evaluation, ...]:
        records, problems = _jsonl_records(file, name, "result", upgrade=migrate_result)
        results = []
        for number, data in records:
            evaluation = Evaluation.from_data(data)
            problems.extend(attrs.evolve(p, file=name, line=number) for p in _derived_problems(evaluation, data))
            results.append(evaluation)
        if problems:
            raise LoadError(sorted(problems, key=lambda p: p.line or 0))
        return tuple(results)

    return _safely(name, load)


# --------------------------------------------------------------------------- starting a server


@attrs.frozen
class Server:
    """A running server: where it answers, the variables set for it, its process id and log file."""

    base_url: str
    env: FrozenDict = attrs.field(converter=freeze)
    pid: int
    log: str


def _section(task: Task) -> dict[str, Any]:
    """The task's ``server:`` section with the defaults filled in."""
    if not task.server:
        raise CdspecError(
            f"task {task.id!r} has no server: section, so cdspec cannot start its projects "
            "(add one, see docs/evaluate.md, or give a running backend's base_url)"
        )
    section = thaw(task.server)
    problems = schema_problems(schema("task")["$defs"]["server"], section, pointer="/server")
    if problems:
        raise LoadError(attrs.evolve(problem, file=task.origin) for problem in problems)
    return {
        "command": list(section["command"]),
        "port_env": section.get("port_env", "PORT"),
        "env": dict(section.get("env", {})),
        "health": section.get("health", "/"),
        "timeout": float(section.get("timeout", DEFAULT_TIMEOUT)),
    }


def _fill(text: str, values: Mapping[str, str], where: str) -> str:
    """``text`` with ``{port}``, ``{tmp}``, ``{project}`` and ``{python}`` replaced (``{{``/``}}`` are not special)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise CdspecError(
                f"server: {where}: unknown placeholder {{{name}}} (known: {', '.join(f'{{{n}}}' for n in values)})"
            )
        return values[name]

    return _PLACEHOLDER.sub(replace, text)


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(log: Path) -> str:
    try:
        data = log.read_bytes()
    except OSError:
        return "(no log)"
    text = data[-LOG_TAIL:].decode("utf-8", "replace").strip()
    return ("..." if len(data) > LOG_TAIL else "") + text if text else "(the log is empty)"


def _answers(port: int, path: str) -> bool:
    """Whether the server answers ``GET path`` with a status under 500 (not yet: ``False``)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read(65536)
        return response.status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _signal_group(process: subprocess.Popen[bytes], *, kill: bool) -> None:
    """Terminate (or kill) the server's whole process group on POSIX, the process itself elsewhere."""
    if os.name == "posix":
        import signal

        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    elif process.poll() is None:  # pragma: no cover - Windows has no process groups to signal
        process.kill() if kill else process.terminate()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server (and what it started), kill what lingers, and reap it; also on Ctrl-C."""
    import subprocess

    try:
        if process.poll() is None:
            _signal_group(process, kill=False)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
    finally:
        # Whatever is left of the group (the server of a wrapper script, say) is killed.
        _signal_group(process, kill=True)
        process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], port: int, health: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        code = process.poll()
        if code is not None:
            raise ServerError(
                f"the server exited with status {code} before answering GET {health}; its log:\n{_log_tail(log)}"
            )
        if _answers(port, health):
            return
        if time.monotonic() >= deadline:
            raise ServerError(
                f"the server did not answer GET {health} on port {port} within {timeout:g} s; its log:\n"
                f"{_log_tail(log)}"
            )
        time.sleep(pause)
        pause = min(pause * 1.5, 0.5)


@contextlib.contextmanager
def serve(task: Task, project: str | os.PathLike[str], *, timeout: float | None = None) -> Iterator[Server]:
    """Start ``project``'s server as ``task``'s ``server:`` section says; stopped when the block ends.

    The command runs in the project directory without a shell, with the
    process environment plus the section's ``env`` and the port variable
    (``port_env``, default ``PORT``) set to a free loopback port.
    ``{port}``, ``{tmp}`` (a fresh directory, removed afterwards),
    ``{project}`` and ``{python}`` (this interpreter) are replaced in the
    command and the env values. ``GET health`` is polled until it answers
    below 500, for ``timeout`` seconds (default: the section's, else 30).

    The server is always stopped (its process group terminated, then killed
    if it lingers), also on an exception or Ctrl-C. Raises
    :class:`ServerError`, quoting the end of its log, when it exits or does
    not answer in time, and :class:`~cdspec.CdspecError` when the task has no
    ``server:`` section.
    """
    import subprocess

    section = _section(task)
    root = Path(project).absolute()
    if not root.is_dir():
        raise CdspecError(f"{os.fspath(project)}: not a directory")
    limit = section["timeout"] if timeout is None else timeout
    scratch = tempfile.mkdtemp(prefix="cdspec-server-")
    try:
        port = _free_port()
        values = {"port": str(port), "tmp": scratch, "project": str(root), "python": sys.executable}
        command = [_fill(arg, values, f"command[{i}]") for i, arg in enumerate(section["command"])]
        env = {name: _fill(value, values, f"env.{name}") for name, value in section["env"].items()}
        env[section["port_env"]] = str(port)
        log = Path(scratch, "server.log")
        try:
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    cwd=root,
                    env={**os.environ, **env},
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=os.name == "posix",
                )
        except OSError as exc:
            raise ServerError(f"cannot run {command[0]!r} in {root}: {exc.strerror or exc}") from None
        try:
            _wait_healthy(process, port, section["health"], limit, log)
            yield Server(f"http://127.0.0.1:{port}", env, process.pid, str(log))
        finally:
            _stop(process)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --------------------------------------------------------------------------- evaluating


def _outcomes_of(report: VerifyReport) -> list[ConstraintOutcome]:
    return [
        ConstraintOutcome(result.id, layer.name, result.kind, result.status)
        for layer in report.layers
        for result in layer.constraints
    ]


def _label(project: Project | str | os.PathLike[str]) -> str:
    if isinstance(project, Project):
        return "(in memory)" if project.root is None else str(project.root)
    return os.fspath(project)


def evaluate(
    task: Task,
    project: Project | str | os.PathLike[str],
    *,
    depth: int | None = None,
    base_url: str | None = None,
    app: Any = None,
    cases: Sequence[Case] | None = None,
    start: bool = False,
    variant_id: str | None = None,
    attempt: int = 1,
    baseline: Project | str | os.PathLike[str] | None = None,
    seed: int = 0,
    checks: CheckRegistry | None = None,
    env: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Evaluation:
    """Score one attempt: ``project`` against ``task`` at ``depth`` (``None``: the whole stack).

    Runs the verifiers for the constraints in force (:func:`cdspec.verify`,
    with ``baseline`` and ``checks``) and, when a backend is given
    (``base_url`` of a running server, or a WSGI/ASGI ``app``) or
    ``start=True`` (the project's server started as the task's ``server:``
    section says, see :func:`serve`), the behavioural ``cases`` (default:
    ``generate_cases(task, seed=seed)``). The cases' ``$env`` symbols read
    only ``env`` (never the rest of the process environment), and with
    ``start`` the server's variables over it. Without a backend only the
    constraints are scored and the rates are ``None``. ``labels``
    (``{"model": "gpt-x"}``) are stored on the result for reports to group by.

    A server that does not start gives an :class:`Evaluation` whose ``error``
    quotes its log, not an exception. Bad input does raise: a depth out of
    range (:class:`~cdspec.SelectionError`), a project that is no directory
    (:class:`~cdspec.ProjectError`), more than one backend, a task without a
    ``server:`` section with ``start=True`` (:class:`~cdspec.CdspecError`).
    """
    if sum((base_url is not None, app is not None, bool(start))) > 1:
        raise CdspecError("give at most one backend: base_url, app or start=True")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise CdspecError(f"attempt must be a positive integer, got {attempt!r}")
    tags = _labels(labels)
    if start:
        _section(task)  # a missing or invalid section is bad input, found before any work
        if isinstance(project, Project) and project.root is None:
            raise CdspecError("start=True needs a project directory, not a project built in memory")
    began = time.monotonic()
    active = task if depth is None else task.at_depth(depth)
    report = verify(task, project, depth=depth, baseline=baseline, checks=checks)
    ran: Report | None = None
    error = None
    if start or base_url is not None or app is not None:
        from .run import run_cases

        if cases is None:
            from .cases import generate_cases

            with _GENERATING:
                cases = generate_cases(task, seed=seed)
        if start:
            root = project.root if isinstance(project, Project) else project
            try:
                with serve(task, root or ".") as server:
                    _LOG.info("server started: pid %d at %s for %s", server.pid, server.base_url, root)
                    try:
                        ran = run_cases(
                            cases, base_url=server.base_url, env={**({} if env is None else env), **server.env}
                        )
                    finally:
                        _LOG.info("server stopping: pid %d for %s", server.pid, root)
            except ServerError as exc:
                _LOG.info("server failed for %s: %s", root, str(exc).splitlines()[0])
                error = str(exc)
        else:
            ran = run_cases(cases, base_url=base_url, app=app, env=env)
    return Evaluation(
        task_id=task.id,
        variant_id=variant_id,
        attempt=attempt,
        depth=active.depth,
        layers=[layer.name for layer in active.stack],
        target=task.target,
        project=_label(project),
        constraints=_outcomes_of(report),
        assertions_passed=None if ran is None else ran.passed,
        assertions_total=None if ran is None else ran.total,
        seconds=time.monotonic() - began,
        error=error,
        labels=tags,
    )


def _case_tuple(value: Iterable[Case] | None) -> tuple[Case, ...] | None:
    return None if value is None else tuple(value)


def _env_dict(value: Mapping[str, str] | None) -> FrozenDict | None:
    return None if value is None else FrozenDict((str(k), str(v)) for k, v in value.items())


@attrs.frozen(kw_only=True)
class Job:
    """The arguments of one :func:`evaluate` call, for :func:`evaluate_many`."""

    task: Task = attrs.field(repr=False)
    project: str = attrs.field(converter=os.fspath)
    depth: int | None = None
    base_url: str | None = None
    start: bool = False
    cases: tuple[Case, ...] | None = attrs.field(default=None, converter=_case_tuple, repr=False)
    variant_id: str | None = None
    attempt: int = 1
    baseline: str | None = None
    seed: int = 0
    env: FrozenDict | None = attrs.field(default=None, converter=_env_dict, repr=False)
    """The variables the cases' ``$env`` may read (see :func:`evaluate`); kept out of the repr."""
    labels: FrozenDict = attrs.field(factory=FrozenDict, converter=_labels)

    def run(self, *, checks: CheckRegistry | None = None) -> Evaluation:
        """:func:`evaluate` with this job's arguments."""
        return evaluate(
            self.task,
            self.project,
            depth=self.depth,
            base_url=self.base_url,
            cases=self.cases,
            start=self.start,
            variant_id=self.variant_id,
            attempt=self.attempt,
            baseline=self.baseline,
            seed=self.seed,
            checks=checks,
            env=None if self.env is None else dict(self.env),
            labels=self.labels,
        )


def _with_cases(job: Job, made: dict[tuple[int, int], tuple[Task, tuple[Case, ...]]]) -> Job:
    """The job with its cases generated (once per task and seed), so workers only run them."""
    if job.cases is not None or not (job.start or job.base_url is not None):
        return job
    key = (id(job.task), job.seed)
    if key not in made:
        from .cases import generate_cases

        with _GENERATING:
            made[key] = (job.task, generate_cases(job.task, seed=job.seed))
    return attrs.evolve(job, cases=made[key][1])


def evaluate_many(
    jobs: Iterable[Job], *, workers: int = 2, checks: CheckRegistry | None = None
) -> Iterator[Evaluation]:
    """Evaluate ``jobs`` on ``workers`` threads; the evaluations come in the order of the jobs.

    Each started backend gets its own port and temporary directory (so its
    own SQLite file when the task's ``server:`` env points there). Cases
    are generated once per task and seed, before the jobs that need them
    run, so the output is the same whatever ``workers`` is. At most
    ``2 * workers`` jobs are in flight: a long iterable of jobs is consumed
    as results are taken. An exception of a job (bad input) is raised when
    its evaluation is reached; the jobs not yet started are cancelled.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise CdspecError(f"workers must be a positive integer, got {workers!r}")
    from concurrent.futures import Future, ThreadPoolExecutor

    made: dict[tuple[int, int], tuple[Task, tuple[Case, ...]]] = {}
    pending: collections.deque[Future[Evaluation]] = collections.deque()
    window = 2 * workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cdspec-evaluate") as pool:
        try:
            for job in jobs:
                pending.append(pool.submit(_with_cases(job, made).run, checks=checks))
                while len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


# --------------------------------------------------------------------------- a plan's attempts


@attrs.frozen
class Sweep:
    """Every attempt at every variant of a plan, as :func:`sweep` found them in an attempts folder.

    ``jobs`` are the attempts still to score (in variant order, then attempt
    order); ``done`` counts those the results file already holds (skipped);
    ``variants`` is how many variants the plan made and ``empty`` the ids of
    those with no attempt folder. :meth:`run` scores the jobs.
    """

    jobs: tuple[Job, ...] = attrs.field(repr=False)
    done: int
    variants: int
    empty: tuple[str, ...]
    out: str | None

    def run(self, *, workers: int = 2, checks: CheckRegistry | None = None) -> Iterator[Evaluation]:
        """Score the jobs (:func:`evaluate_many`), appending each result to ``out`` as it comes, and yield them."""
        for evaluation in evaluate_many(self.jobs, workers=workers, checks=checks):
            if self.out is not None:
                append_results(self.out, [evaluation])
            yield evaluation


def _natural(name: str) -> tuple[Any, ...]:
    """Sort key: ``2`` before ``10``, then by name."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _folders(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise CdspecError(f"{folder}: cannot read the attempts folder: {exc.strerror or exc}") from None
    return sorted(
        (entry for entry in entries if entry.is_dir() and not entry.name.startswith(".")),
        key=lambda entry: _natural(entry.name),
    )


def variant_task(task: Task, variant: _plans.Variant) -> Task:
    """The task as ``variant`` states it: exactly its layers, bottom first, and its target."""
    return attrs.evolve(task.select(variant.provenance.layers), target=variant.provenance.target)


def sweep(
    task: Task,
    plan: _plans.Plan | str | Mapping[str, Any],
    attempts: str | os.PathLike[str],
    *,
    start: bool = False,
    cases: Sequence[Case] | None = None,
    n: int | None = None,
    seed: int = 0,
    labels: Mapping[str, str] | None = None,
    out: str | os.PathLike[str] | None = None,
) -> Sweep:
    """The attempts at every variant of ``plan`` in the folder ``attempts``, ready to score.

    ``attempts`` holds one folder per variant, named by its id (as
    :func:`cdspec.variants` and ``cdspec variants --manifest`` give them), and
    in it one folder per attempt (any names: attempt numbers follow their
    natural order, ``2`` before ``10``). Each attempt is scored against the
    variant's layers and target (:func:`variant_task`); with ``start`` its
    server is started, once per attempt, and the behavioural cases run:
    ``cases``, or generated once for the task (``n``, ``seed``) and shared by
    every variant, whose contract is the task's. ``labels`` go on every
    result. With ``out`` (a results JSONL file), the attempts it already
    holds with these labels are skipped, so a run that stopped resumes, and
    :meth:`Sweep.run` appends to it.

    Raises :class:`~cdspec.CdspecError` for a folder in ``attempts`` that is
    no variant of the plan (a typo would silently drop its attempts) and for
    a results file whose attempt of a variant is another project than the
    folder now holds; :class:`~cdspec.PlanError` for a bad plan.
    """
    tags = _labels(labels)
    made = _plans.variants(task, plan)
    root = Path(attempts)
    if not root.is_dir():
        raise CdspecError(f"{os.fspath(attempts)}: not a directory (expected ATTEMPTS/<variant-id>/<attempt>/)")
    by_id = {variant.id: variant for variant in made}
    folders = {folder.name: folder for folder in _folders(root)}
    strangers = sorted(set(folders) - set(by_id))
    if strangers:
        raise CdspecError(
            f"{root}: {', '.join(strangers[:5])}{' ...' if len(strangers) > 5 else ''} "
            f"is no variant id of the plan ({len(made)} variants; list them with cdspec variants)"
        )
    recorded: dict[tuple[str, int], str] = {}
    if out is not None and Path(out).exists():
        for result in load_results(out):
            if result.labels == tags and result.variant_id is not None:
                recorded[(result.variant_id, result.attempt)] = result.project
    if start and cases is None:
        from .cases import generate_cases

        with _GENERATING:
            cases = generate_cases(task, n=n, seed=seed)
    jobs: list[Job] = []
    done = 0
    empty = []
    for variant in made:
        folder = folders.get(variant.id)
        tries = _folders(folder) if folder is not None else []
        if not tries:
            empty.append(variant.id)
            continue
        chosen = variant_task(task, variant)
        for number, project in enumerate(tries, 1):
            earlier = recorded.get((variant.id, number))
            if earlier is not None:
                if os.path.normpath(earlier) != os.path.normpath(project):
                    where = os.fspath(out) if out is not None else ""
                    raise CdspecError(
                        f"{where}: attempt {number} of variant {variant.id} is {earlier}, "
                        f"but the attempts folder now has {project} there: use a new results file"
                    )
                _LOG.info("already scored, skipped: %s", project)
                done += 1
                continue
            jobs.append(
                Job(
                    task=chosen,
                    project=str(project),
                    start=start,
                    cases=cases,
                    variant_id=variant.id,
                    attempt=number,
                    labels=tags,
                )
            )
    return Sweep(tuple(jobs), done, len(made), tuple(empty), None if out is None else os.fspath(out))


# --------------------------------------------------------------------------- the demo


_REFERENCE_NEEDS = ("flask", "sqlalchemy", "marshmallow", "jwt")


def examples_directory() -> Path:
    """The ``examples/`` folder of the source checkout cdspec runs from.

    Raises :class:`~cdspec.CdspecError` when cdspec is installed without its
    examples (from a wheel, say).
    """
    folder = Path(__file__).resolve().parent.parent / "examples"
    if not (folder / "library" / "task.yaml").is_file() or not (folder / "library" / "reference").is_dir():
        raise CdspecError(
            f"the bundled examples are not next to this cdspec ({folder} has no library/task.yaml): "
            "the demo runs from a clone of the repository: git clone the cdspec repository, then "
            "pip install -e '.[reference]' and cdspec demo"
        )
    return folder


def patched_copy(source: str | os.PathLike[str], diff: str, destination: str | os.PathLike[str]) -> Path:
    """Copy the project ``source`` to ``destination`` (which must not exist) and apply the unified ``diff``.

    Caches, ``instance/`` folders and SQLite files are left out of the copy.
    Raises :class:`~cdspec.DiffError` when the diff is malformed or does not
    apply (the copy is removed then).
    """
    target = Path(destination)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.sqlite3", ".venv"))
    try:
        patched = Project.from_diff(Project.from_directory(target), diff)
        for path in (*patched.changed_paths, *patched.added_paths):
            file = target / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(patched.text(path) or "", encoding="utf-8", newline="")
        for path in patched.removed_paths:
            (target / path).unlink()
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _at_depth(evaluation: Evaluation, task: Task, project: Project, depth: int) -> Evaluation:
    """``evaluation`` (of the whole stack) re-scored at ``depth``: the same behaviour, the constraints then in force."""
    active = task.at_depth(depth)
    report = verify(task, project, depth=depth)
    return attrs.evolve(
        evaluation, depth=depth, layers=[layer.name for layer in active.stack], constraints=_outcomes_of(report)
    )


def demo(
    out: str | os.PathLike[str],
    *,
    workers: int = 2,
    seed: int = 0,
    n: int | None = None,
    progress: Callable[[Iterator[Evaluation], int], Iterable[Evaluation]] | None = None,
) -> tuple[Evaluation, ...]:
    """The bundled library example end to end; the evaluations it wrote to ``out/results.jsonl``.

    Writes the prompt at every depth (``out/prompts/depth-K.md``) and the
    generated cases (``out/cases.jsonl``), makes the two broken variants of
    the reference backend (``examples/library/broken/*.patch`` applied to
    copies under ``out/projects/``), starts each backend on loopback with
    its own SQLite file and runs the cases (``workers`` at a time), and
    scores each project at every depth: the prompt of depth K is one variant
    (its id), the three projects are its attempts 1 to 3. ``results.jsonl``
    is written afresh. ``progress(evaluations, total)`` may wrap the
    backends' evaluations as they come (a progress bar). Raises
    :class:`~cdspec.CdspecError` when the examples or the reference
    backend's packages are missing.
    """
    import importlib.util

    from .cases import generate_cases
    from .load import dump_cases, load_task
    from .plans import variant_id
    from .prompts import render

    examples = examples_directory() / "library"
    missing = [name for name in _REFERENCE_NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise CdspecError(
            f"the reference backend needs {', '.join(missing)}: pip install -e '.[reference]' (from the clone)"
        )
    task = load_task(examples / "task.yaml")
    folder = Path(out)
    try:
        (folder / "prompts").mkdir(parents=True, exist_ok=True)
        for depth in range(task.depth + 1):
            (folder / "prompts" / f"depth-{depth}.md").write_text(
                str(render(task, depth=depth)), encoding="utf-8", newline=""
            )
        cases = generate_cases(task, n=n, seed=seed)
        (folder / "cases.jsonl").write_text(dump_cases(cases), encoding="utf-8", newline="")
        projects = [str(examples / "reference")]
        broken = folder / "projects"
        for patch in sorted((examples / "broken").glob("*.patch")):
            copy = broken / patch.stem
            if copy.exists():
                shutil.rmtree(copy)
            projects.append(str(patched_copy(examples / "reference", patch.read_text(encoding="utf-8"), copy)))
        results = folder / "results.jsonl"
        results.unlink(missing_ok=True)
    except OSError as exc:
        raise CdspecError(f"{folder}: cannot write the demo's files: {exc.strerror or exc}") from None
    jobs = [
        Job(task=task, project=project, start=True, cases=cases, attempt=i) for i, project in enumerate(projects, 1)
    ]
    running = evaluate_many(jobs, workers=workers)
    whole = list(running if progress is None else progress(running, len(jobs)))
    evaluations = []
    views = [Project.from_directory(project) for project in projects]
    for depth in range(task.depth + 1):
        layers = [layer.name for layer in task.at_depth(depth).stack]
        variant = variant_id(task.id, layers, task.target, template="default", format="markdown", contract="verbatim")
        for evaluation, view in zip(whole, views, strict=True):
            scored = _at_depth(evaluation, task, view, depth)
            evaluations.append(attrs.evolve(scored, variant_id=variant))
    append_results(results, evaluations)
    return tuple(evaluations)
