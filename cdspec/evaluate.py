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
import contextvars
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from . import _process
from . import plans as _plans
from ._frozen import FrozenDict, freeze, thaw
from ._schemas import schema, schema_problems
from .errors import CdspecError, LoadError, Problem
from .model import Target, Task
from .verify import CheckRegistry, Project, Status, VerifyReport, verify

if TYPE_CHECKING:
    import socket
    import subprocess
    from concurrent.futures import Future

    from .cases.model import Case
    from .run import Report

__all__ = [
    "LABEL_NAME",
    "ConstraintOutcome",
    "Evaluation",
    "Interrupted",
    "Job",
    "Server",
    "ServerError",
    "Sweep",
    "append_results",
    "evaluate",
    "evaluate_many",
    "interrupt",
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

GRACE = 5.0
"""Seconds a server being stopped has between SIGTERM and SIGKILL (for it and everything it started)."""

WIND_DOWN = 10.0
"""Seconds an interrupted :func:`evaluate_many` waits for the evaluations in flight (then: recorded as interrupted)."""

_PROBE = 2.0  # seconds one health request may take in all: connecting, sending, reading the status line

# What a server inherits of cdspec's environment (docs/evaluate.md); LC_* too, and what pass_env names.
_INHERITED = frozenset({"PATH", "HOME", "LANG", "TMPDIR"})

_LOG = logging.getLogger(__name__)

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


class Interrupted(KeyboardInterrupt):
    """:func:`evaluate_many` was stopped by a signal; raised after it gave every evaluation that finished.

    ``signum`` is the signal (``signal.SIGINT`` for Ctrl-C). A subclass of
    :class:`KeyboardInterrupt`, so code that lets Ctrl-C through lets this
    through too.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {_signal_name(signum)}")
        self.signum = signum


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _interruption(signum: int) -> str:
    return f"interrupted by {_signal_name(signum)}: the server was stopped before this attempt finished"


class _Batch:
    """The servers of one :func:`evaluate_many` call, stopped together when it is interrupted.

    :meth:`interrupt` runs in signal handlers, so nothing here takes a lock:
    adding and removing are single list operations (atomic under the GIL),
    and a server added after an interruption stops itself (see ``serve``).
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.servers: list[_Supervised] = []

    def add(self, supervised: _Supervised) -> None:
        self.servers.append(supervised)
        if self.signum is not None:
            supervised.terminate()

    def discard(self, supervised: _Supervised) -> None:
        with contextlib.suppress(ValueError):
            self.servers.remove(supervised)

    def interrupt(self, signum: int) -> bool:
        """Stop every server of the batch; whether this is news (the batch was not interrupted before)."""
        if self.signum is not None:
            return False
        self.signum = signum
        for supervised in list(self.servers):
            supervised.terminate()
        return True


_BATCH: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("cdspec_evaluate_batch", default=None)
_BATCHES: list[_Batch] = []  # the evaluate_many calls running in this process, for interrupt()


def interrupt(signum: int = signal.SIGINT) -> bool:
    """Interrupt every :func:`evaluate_many` running in this process, as a signal handler would.

    Their servers are stopped at once; each then gives the evaluations that
    finished (those in flight end quickly or are recorded with an
    ``interrupted`` error) and raises :class:`Interrupted`. Returns whether
    there was one to interrupt (``False`` when all already were). Safe to
    call from a signal handler: ``cdspec`` installs it for SIGINT, SIGTERM
    and SIGHUP.
    """
    news = False
    for batch in list(_BATCHES):
        news = batch.interrupt(signum) or news
    return news


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
    ``assertions_deviated`` counts the failed assertions whose response broke
    the contract in form only, the behaviour holding (200 for 201, ``null``
    for a string; ``docs/running.md``): they count against A% as in the
    study, and this says how much of the loss they are (``None`` in results
    written before cdspec recorded it).
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
    assertions_deviated: int | None = None
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
        if assertions is not None and self.assertions_deviated is not None:
            assertions["deviated"] = self.assertions_deviated
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
            assertions_deviated=None if assertions is None else assertions.get("deviated"),
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
    failed = (evaluation.assertions_total or 0) - (evaluation.assertions_passed or 0)
    if evaluation.assertions_deviated is not None and evaluation.assertions_deviated > failed:
        problems.append(Problem("more assertions deviated than failed", pointer="/assertions/deviated"))
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
        "pass_env": list(section.get("pass_env", [])),
        "secrets": list(section.get("secrets", [])),
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


def _filled(section: Mapping[str, Any], values: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """The section's command and env with the placeholders replaced."""
    command = [_fill(arg, values, f"command[{i}]") for i, arg in enumerate(section["command"])]
    return command, {name: _fill(value, values, f"env.{name}") for name, value in section["env"].items()}


def _server_environment(
    section: Mapping[str, Any], filled: Mapping[str, str], port: int
) -> tuple[dict[str, str], dict[str, str]]:
    """The server's environment, and the values no log or result may quote (by variable name).

    The server gets only ``PATH``, ``HOME``, ``LANG``, ``LC_*`` and ``TMPDIR``
    of cdspec's environment, the variables the section's ``pass_env`` names,
    its ``env`` and the port variable. Values taken from cdspec's
    environment (of at least four characters: ``C`` or ``1`` would blank a
    log and are no secrets) and those of the variables ``secrets`` names are
    the ones to redact.
    """
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name in _INHERITED or name.startswith("LC_") or name in section["pass_env"]
    }
    env = {**inherited, **filled, section["port_env"]: str(port)}
    secret = {name: value for name, value in inherited.items() if env[name] == value and len(value) >= 4}
    secret.update({name: env[name] for name in section["secrets"] if env.get(name)})
    return env, secret


def _redact(text: str, secret: Mapping[str, str]) -> str:
    """``text`` with each secret value replaced by ``<NAME>`` (the longest first)."""
    for name, value in sorted(secret.items(), key=lambda item: -len(item[1])):
        text = text.replace(value, f"<{name}>")
    return text


def _log_tail(log: Path, secret: Mapping[str, str]) -> str:
    """The end of the server's log, secrets redacted (read with room for a secret cut by the tail's start)."""
    margin = max((len(value.encode("utf-8")) for value in secret.values()), default=0)
    try:
        with log.open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - LOG_TAIL - margin))
            data = file.read()
    except OSError:
        return "(no log)"
    text = _redact(data.decode("utf-8", "replace"), secret)[-LOG_TAIL:].strip()
    return ("..." if size > LOG_TAIL else "") + text if text else "(the log is empty)"


_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)? (\d{3})[ \r]")


def _answers(port: int, path: str, deadline: float) -> bool:
    """Whether ``GET path`` gets a status under 500 before ``deadline`` and within 2 s (not yet: ``False``).

    The time bound is on the whole request (connecting, sending, reading the
    status line), not on each read, so a server that trickles bytes cannot
    hold it.
    """
    import socket
    from urllib.parse import quote

    end = min(deadline, time.monotonic() + _PROBE)
    target = quote(path, safe="/?&=%:@!$'()*+,;~-._")
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode("ascii")
    data = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=max(end - time.monotonic(), 0.001)) as sock:
            sock.sendall(request)
            while b"\n" not in data and len(data) < 65536:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                sock.settimeout(left)
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return False
    match = _STATUS_LINE.match(data)
    return match is not None and int(match.group(1)) < 500


class _Supervised:
    """cdspec's side of a server's supervisor (``cdspec/_process.py`` run as a script)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.server_pid: int | None = None
        self.code: int | None = None
        self.empty = False
        self.stopped = False
        self.interrupted = False
        self._buffer = b""

    @classmethod
    def spawn(cls, log: Path, reservation: socket.socket) -> _Supervised:
        """Start a supervisor (``python -I -S _process.py``, a session of its own), handing it ``reservation``."""
        import subprocess

        try:
            with log.open("ab") as out:  # appended to, as the server's output is: neither overwrites the other
                process = subprocess.Popen(
                    [sys.executable, "-I", "-S", _process.__file__],
                    env={},
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=out,
                    start_new_session=True,
                    pass_fds=(reservation.fileno(),),
                )
        except OSError as exc:
            raise ServerError(f"cannot start the server's supervisor: {exc.strerror or exc}") from None
        return cls(process)

    def send(self, spec: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.write(json.dumps(spec).encode("utf-8") + b"\n")
            self.process.stdin.flush()

    def read(self, timeout: float) -> list[str]:
        """The lines the supervisor wrote, waiting at most ``timeout`` seconds for the first."""
        import select

        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        lines: list[str] = []
        wait = max(timeout, 0.0)
        while not self.stopped:
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                self.stopped = True
                break
            self._buffer += chunk
            *done, self._buffer = self._buffer.split(b"\n")
            lines.extend(line.decode("utf-8", "replace") for line in done)
            wait = 0.0
        for line in lines:
            word, _, rest = line.partition(" ")
            if word == "started":
                self.server_pid = int(rest)
            elif word == "exited":
                self.code = int(rest)
            elif word == "empty":
                self.empty = True
            elif word == "stopped":
                self.stopped = True
        return lines

    def start(self, timeout: float, command: Sequence[str], root: str) -> None:
        """Wait for the supervisor to have started the server; :class:`ServerError` when it could not."""
        deadline = time.monotonic() + timeout
        while self.server_pid is None:
            for line in self.read(deadline - time.monotonic()):
                if line.startswith("error "):
                    raise ServerError(f"cannot run {command[0]!r} in {root}: {line[6:]}")
            if self.server_pid is None and (self.stopped or time.monotonic() >= deadline):
                raise ServerError(f"cannot run {command[0]!r} in {root}: its supervisor did not start it")

    def terminate(self) -> None:
        """Stop the server now (from a signal handler too: takes no lock)."""
        self.interrupted = True
        if self.process.returncode is None:
            with contextlib.suppress(OSError):
                self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """Stop the server and everything it started, and wait until nothing of it is left."""
        import subprocess

        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()  # end of input: the supervisor stops the server's whole tree
        try:
            self.process.wait(timeout=GRACE + 10)
        except subprocess.TimeoutExpired:  # the supervisor itself hangs: do its job roughly
            pids = _process.descendants(self.process.pid)
            self.process.kill()
            if self.server_pid is not None:
                with contextlib.suppress(OSError):
                    os.killpg(self.server_pid, signal.SIGKILL)
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()
        finally:
            for stream in (self.process.stdout, self.process.stdin):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()


def _wait_healthy(
    supervised: _Supervised, port: int, health: str, *, timeout: float, log: Path, secret: Mapping[str, str]
) -> None:
    """Poll ``GET health`` until it answers below 500; :class:`ServerError` when the server ends or time is up."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        supervised.read(0)
        if supervised.empty or supervised.stopped:
            code = "?" if supervised.code is None else supervised.code
            raise ServerError(
                f"the server exited with status {code} before answering GET {health}; its log:\n"
                f"{_log_tail(log, secret)}"
            )
        if _answers(port, health, deadline):
            return
        if time.monotonic() >= deadline:
            raise ServerError(
                f"the server did not answer GET {health} on port {port} within {timeout:g} s; its log:\n"
                f"{_log_tail(log, secret)}"
            )
        time.sleep(max(min(pause, deadline - time.monotonic()), 0))
        pause = min(pause * 1.5, 0.5)


def _bring_up(
    supervised: _Supervised,
    port: int,
    health: str,
    *,
    timeout: float,
    spec: Mapping[str, Any],
    secret: Mapping[str, str],
    batch: _Batch | None,
) -> None:
    """Wait for the server to start, answer its health check and hold its port; :class:`ServerError` otherwise."""
    try:
        supervised.start(max(timeout, 10.0), spec["command"], spec["cwd"])
        _wait_healthy(supervised, port, health, timeout=timeout, log=Path(spec["log"]), secret=secret)
        problem = _foreign_listener(port, supervised.process.pid)
        if problem is not None:
            raise ServerError(problem)
    except ServerError:  # stopped by an interruption meanwhile: that is what happened
        if supervised.interrupted and batch is not None and batch.signum is not None:
            raise ServerError(_interruption(batch.signum)) from None
        raise


def _foreign_listener(port: int, supervisor: int) -> str | None:
    """Why the process listening on ``port`` is not the server's (``None`` when it is, or cannot be known).

    Linux only: the listening socket's inode (``/proc/net/tcp*``) must be
    open in a process below the server's supervisor (``/proc/PID/fd``).
    Elsewhere this is logged as unchecked.
    """
    foreign: set[int] = set()
    for attempt in range(5):  # a server reloading or forking right then is looked at again, not failed
        time.sleep(0.1 * attempt)
        inodes = _process.listening_inodes(port)
        if inodes is None:
            _LOG.warning("cannot confirm that port %d is held by the server's processes: no /proc/net/tcp", port)
            return None
        tree = _process.descendants(supervisor)
        foreign = inodes - {inode for held in _process.socket_holders(inodes, tree).values() for inode in held}
        if inodes and not foreign:
            return None
    if not foreign:
        return f"nothing listens on 127.0.0.1:{port} any more, though GET was answered there"
    holders = _process.socket_holders(foreign, sorted(_all_pids()))
    who = (
        ", ".join(f"pid {pid} ({_process.command_line(pid)[:200]})" for pid in sorted(holders))
        or "a process cdspec cannot see"
    )
    return (
        f"port {port} is answered by {who}, not by the server's processes: another program took the port "
        "before the server could bind it, so this attempt was not scored"
    )


def _all_pids() -> list[int]:
    try:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


@contextlib.contextmanager
def serve(task: Task, project: str | os.PathLike[str], *, timeout: float | None = None) -> Iterator[Server]:
    """Start ``project``'s server as ``task``'s ``server:`` section says; stopped when the block ends.

    The command runs in the project directory without a shell, in a session
    of its own under a small supervisor process, with a minimal environment:
    ``PATH``, ``HOME``, ``LANG``, ``LC_*`` and ``TMPDIR`` of this process,
    the variables the section's ``pass_env`` names, its ``env``, and the
    port variable (``port_env``, default ``PORT``) set to a loopback port
    that no other server of this process holds (reserved until just before
    the start). ``{port}``, ``{tmp}`` (a fresh directory, removed
    afterwards), ``{project}`` and ``{python}`` (this interpreter) are
    replaced in the command and the env values. ``GET health`` is polled
    until it answers below 500, for ``timeout`` seconds in all (default: the
    section's, else 30); then the process listening on the port must be one
    of the server's (Linux).

    The server is always stopped with everything it started, also what
    called ``setsid`` or daemonized (on Linux the supervisor is a child
    subreaper): SIGTERM, then SIGKILL after :data:`GRACE` seconds; also on
    an exception, Ctrl-C, or when cdspec itself is killed. Raises
    :class:`ServerError`, quoting the end of its log with the values of
    inherited and ``secrets`` variables redacted, when it cannot be run,
    exits or does not answer in time, and :class:`~cdspec.CdspecError` when
    the task has no ``server:`` section.
    """
    section = _section(task)
    root = Path(project).absolute()
    if not root.is_dir():
        raise CdspecError(f"{os.fspath(project)}: not a directory")
    if os.name != "posix":  # pragma: no cover - the supervisor needs POSIX sessions and pipes
        raise CdspecError("starting a server needs a POSIX system; start it yourself and give its base_url")
    limit = section["timeout"] if timeout is None else timeout
    batch = _BATCH.get()
    if batch is not None and batch.signum is not None:
        raise ServerError(_interruption(batch.signum))
    scratch = tempfile.mkdtemp(prefix="cdspec-server-")
    port: int | None = None
    try:
        try:
            reservation = _process.reserve_port()
        except OSError as exc:
            raise ServerError(f"no free loopback port: {exc.strerror or exc}") from None
        port = int(reservation.getsockname()[1])
        with reservation:
            values = {"port": str(port), "tmp": scratch, "project": str(root), "python": sys.executable}
            command, filled = _filled(section, values)
            env, secret = _server_environment(section, filled, port)
            log = Path(scratch, "server.log")
            supervised = _Supervised.spawn(log, reservation)
            spec: dict[str, Any] = {
                "command": command,
                "cwd": str(root),
                "env": env,
                "log": str(log),
                "scratch": scratch,
            }
            spec.update(grace=GRACE, reservation=reservation.fileno())  # its number in the supervisor too
        try:
            if batch is not None:
                batch.add(supervised)
            supervised.send(spec)
            _bring_up(supervised, port, section["health"], timeout=limit, spec=spec, secret=secret, batch=batch)
            yield Server(
                f"http://127.0.0.1:{port}",
                {**filled, section["port_env"]: str(port)},
                supervised.server_pid or 0,
                str(log),
            )
            if supervised.interrupted and batch is not None and batch.signum is not None:
                raise ServerError(_interruption(batch.signum))
        finally:
            if batch is not None:
                batch.discard(supervised)
            supervised.stop()
    finally:
        if port is not None:
            _process.release_port(port)
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
            except ServerError as exc:  # it did not start, or was interrupted: no assertions to count
                _LOG.info("server failed for %s: %s", root, str(exc).splitlines()[0])
                ran, error = None, str(exc)
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
        assertions_deviated=None if ran is None else sum(not a.passed for a in ran.deviations()),
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

    When :func:`interrupt` is called (``cdspec`` does on SIGINT, SIGTERM
    and SIGHUP), the running servers are stopped at once and no further job
    starts; the evaluations that finished still come, in order, those in
    flight too (the interrupted ones with an ``error`` saying so, after at
    most :data:`WIND_DOWN` seconds), and then :class:`Interrupted` is
    raised. Ctrl-C in the consuming thread (a ``KeyboardInterrupt`` raised
    here) stops the running servers as well.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise CdspecError(f"workers must be a positive integer, got {workers!r}")
    from concurrent.futures import ThreadPoolExecutor

    made: dict[tuple[int, int], tuple[Task, tuple[Case, ...]]] = {}
    pending: collections.deque[tuple[Job, Future[Evaluation]]] = collections.deque()
    window = 2 * workers
    batch = _Batch()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cdspec-evaluate")
    _BATCHES.append(batch)
    try:
        for job in jobs:
            if batch.signum is not None:
                break
            ready = _with_cases(job, made)
            context = contextvars.copy_context()  # the job's servers join this batch
            context.run(_BATCH.set, batch)
            pending.append((ready, pool.submit(context.run, ready.run, checks=checks)))
            while len(pending) >= window and batch.signum is None:
                evaluation = _next(pending, batch)
                if evaluation is not None:
                    yield evaluation
        while pending and batch.signum is None:
            evaluation = _next(pending, batch)
            if evaluation is not None:
                yield evaluation
        if batch.signum is not None:
            yield from _wind_down(pending, batch.signum)
            raise Interrupted(batch.signum)
    except BaseException:
        batch.interrupt(signal.SIGINT)  # Ctrl-C, an error, or the consumer stopped: no server outlives the call
        raise
    finally:
        _BATCHES.remove(batch)
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=batch.signum is None, cancel_futures=True)


def _next(pending: collections.deque[tuple[Job, Future[Evaluation]]], batch: _Batch) -> Evaluation | None:
    """The first pending job's evaluation; ``None`` when the batch is interrupted before it is there."""
    _, future = pending[0]
    while True:
        try:
            evaluation = future.result(timeout=0.25)
        except TimeoutError:
            if batch.signum is not None:
                return None
            continue
        except BaseException:
            if future.done():
                pending.popleft()
            raise
        pending.popleft()
        return evaluation


def _wind_down(pending: collections.deque[tuple[Job, Future[Evaluation]]], signum: int) -> Iterator[Evaluation]:
    """After an interruption: what finishes within :data:`WIND_DOWN` seconds, the rest recorded as interrupted."""
    deadline = time.monotonic() + WIND_DOWN
    while pending:
        job, future = pending[0]
        if future.cancel():  # not started, nor is any job after it
            return
        try:
            evaluation = future.result(timeout=max(deadline - time.monotonic(), 0))
        except TimeoutError:
            evaluation = _interrupted(job, signum)
        except Exception:  # bad input of a job: the interruption is what is reported now
            pending.popleft()
            continue
        pending.popleft()
        yield evaluation


def _interrupted(job: Job, signum: int) -> Evaluation:
    """A job that was still running when the wind-down ended: recorded, with no outcome, as interrupted."""
    active = job.task if job.depth is None else job.task.at_depth(job.depth)
    return Evaluation(
        task_id=job.task.id,
        variant_id=job.variant_id,
        attempt=job.attempt,
        depth=active.depth,
        layers=[layer.name for layer in active.stack],
        target=job.task.target,
        project=job.project,
        constraints=(),
        error=f"interrupted by {_signal_name(signum)} before this attempt finished",
    )


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
    force: bool = False,
) -> tuple[Evaluation, ...]:
    """The bundled library example end to end; the evaluations it wrote to ``out/results.jsonl``.

    Writes the prompt at every depth (``out/prompts/depth-K.md``) and the
    generated cases (``out/cases.jsonl``), makes the two broken variants of
    the reference backend (``examples/library/broken/*.patch`` applied to
    copies under ``out/projects/``), starts each backend on loopback with
    its own SQLite file and runs the cases (``workers`` at a time), and
    scores each project at every depth: the prompt of depth K is one variant
    (its id), the three projects are its attempts 1 to 3.
    ``progress(evaluations, total)`` may wrap the backends' evaluations as
    they come (a progress bar). Raises :class:`~cdspec.CdspecError` when the
    examples or the reference backend's packages are missing, and before
    writing anything when one of those files or folders exists in ``out``
    already, unless ``force`` (then they are replaced, each atomically;
    nothing else in ``out`` is touched). Interrupted (:class:`Interrupted`),
    it writes the results of the attempts that finished and raises.
    """
    import importlib.util

    from ._write import check_output, replacing_folder, write_text
    from .cases import generate_cases
    from .load import _jsonl_line, dump_cases, load_task
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
    hint = "--force (force=True)"
    patches = sorted((examples / "broken").glob("*.patch"))
    prompts = [folder / "prompts" / f"depth-{depth}.md" for depth in range(task.depth + 1)]
    copies = [folder / "projects" / patch.stem for patch in patches]
    results = folder / "results.jsonl"
    for path in (*prompts, folder / "cases.jsonl", *copies, results):
        check_output(path, force=force, hint=hint)  # all checked before anything is written
    try:
        (folder / "prompts").mkdir(parents=True, exist_ok=True)
        (folder / "projects").mkdir(exist_ok=True)
    except OSError as exc:
        raise CdspecError(f"{folder}: cannot write the demo's files: {exc.strerror or exc}") from None
    for depth, prompt in enumerate(prompts):
        write_text(prompt, str(render(task, depth=depth)), force=force, hint=hint)
    cases = generate_cases(task, n=n, seed=seed)
    write_text(folder / "cases.jsonl", dump_cases(cases), force=force, hint=hint)
    projects = [str(examples / "reference")]
    for patch, copy in zip(patches, copies, strict=True):
        with replacing_folder(copy, force=force, hint=hint) as building:
            patched_copy(examples / "reference", patch.read_text(encoding="utf-8"), building)
        projects.append(str(copy))
    jobs = [
        Job(task=task, project=project, start=True, cases=cases, attempt=i) for i, project in enumerate(projects, 1)
    ]
    whole: list[Evaluation] = []
    stopped: Interrupted | None = None
    running = evaluate_many(jobs, workers=workers)
    try:
        whole.extend(running if progress is None else progress(running, len(jobs)))
    except Interrupted as exc:  # whole holds what finished: those are written, then the interruption goes on
        stopped = exc
    evaluations = []
    views = {project: Project.from_directory(project) for project in projects}
    for depth in range(task.depth + 1):
        layers = [layer.name for layer in task.at_depth(depth).stack]
        variant = variant_id(task.id, layers, task.target, template="default", format="markdown", contract="verbatim")
        for evaluation in whole:
            scored = _at_depth(evaluation, task, views[evaluation.project], depth)
            evaluations.append(attrs.evolve(scored, variant_id=variant))
    write_text(results, "".join(_jsonl_line(e.to_data()) + "\n" for e in evaluations), force=True)
    if stopped is not None:
        raise stopped
    return tuple(evaluations)
