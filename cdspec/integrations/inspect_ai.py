"""cdspec in Inspect AI: variants as a dataset, scored as ``cdspec evaluate`` scores an attempt.

Needs the ``inspect`` extra (``pip install 'cdspec[inspect]'``)::

    from inspect_ai import Task, task
    from inspect_ai.agent import react
    from inspect_ai.tool import bash, text_editor

    import cdspec
    from cdspec import plans
    from cdspec.integrations.inspect_ai import dataset, evaluation_scorer

    @task
    def library() -> Task:
        spec = cdspec.load_task("examples/library/task.yaml")
        return Task(
            dataset=dataset(cdspec.variants(spec, plans.depths())),
            solver=react(tools=[bash(), text_editor()]),
            scorer=evaluation_scorer(spec),
        )

Run it with any sandbox (``inspect eval ... --sandbox docker`` or
``--sandbox local``). :func:`dataset` makes one sample per variant (id =
variant id, input = the prompt, metadata = the provenance, the constraint
ids, the depth and the top layer). :func:`evaluation_scorer` reads the files
the agent left in its sandbox (they are never executed on this machine) and
runs the verifiers of the constraints the sample's prompt stated; when the
task has a ``server:`` section it also starts the agent's server *inside
the sandbox* and runs the behavioural cases against it. Each sample's score
holds the study's rates (A%, Raw A%, pass@1, adherence), with the mean and
standard error and the means by depth and by layer; its metadata holds the
result record (``schemas/result.schema.json``) that ``cdspec report`` reads
back from the Inspect log (:mod:`cdspec.integrations.inspect_log`).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import math
import os
import posixpath
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.from_thread
import anyio.to_thread
import attrs
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessage, ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import Metric, Score, Scorer, grouped, mean, metric, scorer, stderr
from inspect_ai.scorer import Target as InspectTarget
from inspect_ai.solver import TaskState
from inspect_ai.util import SandboxEnvironment
from inspect_ai.util import sandbox as current_sandbox

from cdspec.errors import CdspecError
from cdspec.evaluate import Evaluation, ServerError, _fill, _outcomes_of, _section
from cdspec.model import Target, Task
from cdspec.plans import Variant
from cdspec.verify import CheckRegistry, Status, VerifyReport, verify

if TYPE_CHECKING:
    from cdspec.cases.model import Case
    from cdspec.run import Report as RunReport

__all__ = ["SCORES", "SKIPPED_DIRECTORIES", "by_depth", "by_layer", "dataset", "evaluation_scorer", "task_for_sample"]

SKIPPED_DIRECTORIES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)
"""Directories of a sandbox that are not copied out for verification (tool caches, installed packages)."""


def dataset(
    variants: Iterable[Variant], *, input: Literal["messages", "text"] = "messages", name: str | None = None
) -> MemoryDataset:
    """One Inspect sample per variant, in order.

    ``input="messages"`` gives the prompt's chat messages (system, then
    user); ``"text"`` the prompt's text alone. A sample's ``id`` is the
    variant id; its ``metadata`` holds ``variant_id``, ``task_id``,
    ``provenance`` (as in the variants JSONL), ``constraint_ids``,
    ``layers``, ``depth``, ``layer`` (the top layer of the stack, the one
    its depth added; ``"none"`` at depth 0) and ``target``, which
    :func:`evaluation_scorer` reads back and groups its metrics by.
    """
    if input not in ("messages", "text"):
        raise CdspecError(f"input must be 'messages' or 'text', got {input!r}")
    samples = []
    task_ids = set()
    for variant in variants:
        prompt = variant.prompt
        provenance = variant.provenance
        task_ids.add(variant.task_id)
        messages: list[ChatMessage] = [
            ChatMessageSystem(content=str(m["content"]))
            if m["role"] == "system"
            else ChatMessageUser(content=str(m["content"]))
            for m in prompt.messages
        ]
        samples.append(
            Sample(
                input=messages if input == "messages" else prompt.text,
                id=variant.id,
                metadata={
                    "variant_id": variant.id,
                    "task_id": variant.task_id,
                    "provenance": provenance.to_data(),
                    "constraint_ids": list(prompt.constraint_ids),
                    "layers": list(provenance.layers),
                    "depth": provenance.depth,
                    "layer": provenance.layers[-1] if provenance.layers else "none",
                    "target": {"language": provenance.target.language, "framework": provenance.target.framework},
                },
            )
        )
    label = name if name is not None else ("cdspec-" + "-".join(sorted(task_ids)) if task_ids else "cdspec")
    return MemoryDataset(samples, name=label)


def task_for_sample(task: Task, metadata: Mapping[str, Any]) -> Task:
    """``task`` as the sample's prompt stated it: its layers (or depth) and its target.

    Reads the metadata :func:`dataset` writes; metadata with only a
    ``depth`` keeps the first ``depth`` layers; with neither, the whole
    stack. Raises :class:`~cdspec.CdspecError` when the sample belongs to
    another task.
    """
    task_id = metadata.get("task_id")
    if task_id is not None and task_id != task.id:
        raise CdspecError(f"the sample is a variant of task {task_id!r}, but the scorer verifies task {task.id!r}")
    if "layers" in metadata:
        chosen = task.select([str(name) for name in metadata["layers"]])
    elif "depth" in metadata:
        chosen = task.at_depth(int(metadata["depth"]))
    else:
        chosen = task
    target = metadata.get("target")
    if isinstance(target, Mapping):
        chosen = attrs.evolve(chosen, target=Target(str(target["language"]), str(target["framework"])))
    return chosen


SCORES: tuple[str, ...] = ("a_rate", "raw_a_rate", "passed", "adherence")
"""The keys of a sample's score, in the study's terms.

``a_rate`` is A% (assertions passed over assertions run, 0 when the project
breaks an in-force constraint), ``raw_a_rate`` Raw A% (not enforced),
``passed`` pass@1 (1 when no error, every assertion passed and no in-force
constraint failed), ``adherence`` the in-force constraints that passed over
those checked. A key that does not apply to a sample is NaN (Inspect counts
it as unscored): the rates when no backend ran or no assertion did, the
adherence when no constraint was checked (at depth 0, say).
"""


@metric
def by_depth() -> Metric:
    """The mean by sample depth (Inspect's ``grouped``): ``cdspec/by_depth_0``, ``cdspec/by_depth_1``, ..."""
    return grouped(mean(), "depth", all=False)


@metric
def by_layer() -> Metric:
    """The mean by the sample's top layer (Inspect's ``grouped``): ``cdspec/by_layer_none``, ``cdspec/by_layer_orm``."""
    # Its own name: Inspect keeps one metric per name in a scorer's list, so two `grouped` would be one.
    return grouped(mean(), "layer", all=False)


def _metrics() -> list[Metric]:
    return [mean(), stderr(), by_depth(), by_layer()]


_GENERATING = threading.Lock()
_SCORING = threading.Lock()


@scorer(metrics={key: _metrics() for key in SCORES})
def evaluation_scorer(
    task: Task,
    *,
    project_dir: str = ".",
    cases: Sequence[Case] | None = None,
    seed: int = 0,
    n: int | None = None,
    python: str | None = None,
    connect: Literal["auto", "loopback", "exec"] = "auto",
    request_timeout: float = 10.0,
    checks: CheckRegistry | None = None,
    max_files: int = 5000,
    max_file_bytes: int = 1_000_000,
) -> Scorer:
    """Score a sample as ``cdspec evaluate`` scores an attempt: constraints, and cases when the task has a server.

    The project is the directory ``project_dir`` of the sample's default
    sandbox (relative paths start at the sandbox's working directory). Its
    regular files, except those under :data:`SKIPPED_DIRECTORIES`, up to
    ``max_files`` files of at most ``max_file_bytes`` each, are read out
    into a temporary directory and verified against the constraints of
    ``task`` as the sample stated them (see :func:`task_for_sample`);
    nothing of the agent's runs on this machine.

    When ``task`` has a ``server:`` section, the project's server is
    started *in the sandbox* as that section says (with the sandbox's
    ``python``: this interpreter in Inspect's ``local`` sandbox, else
    ``python3``; a free port and a fresh ``{tmp}`` there), and the
    behavioural ``cases`` (default: ``generate_cases(task, n=n,
    seed=seed)``, made once) run against it; their ``$env`` symbols read
    the section's variables over this process's environment. The requests
    reach the server over this machine's loopback (``connect="loopback"``,
    the ``local`` sandbox's default) or through ``sandbox().exec``, one
    command per request, which works in any sandbox with a Python
    (``"exec"``, the default elsewhere). A server that does not start
    scores 0 on A% and Raw A%, its log in the explanation.

    The score's value maps each key of :data:`SCORES` to a float; its
    metadata holds the result record (:meth:`cdspec.evaluate.Evaluation.to_data`,
    under ``"result"``). The explanation lists each failed or unchecked
    constraint with its findings and the failed assertions.
    """
    if connect not in ("auto", "loopback", "exec"):
        raise CdspecError(f"connect must be 'auto', 'loopback' or 'exec', got {connect!r}")
    made: list[tuple[Case, ...]] = [] if cases is None else [tuple(cases)]

    def cases_once() -> tuple[Case, ...]:
        with _GENERATING:
            if not made:
                from cdspec.cases import generate_cases

                made.append(generate_cases(task, n=n, seed=seed))
            return made[0]

    def run_sample(chosen: Task, scratch: str, base_url: str | None, env: Mapping[str, str]) -> tuple[Any, Any]:
        # Off the event loop, so the other samples' sandboxes and models keep going meanwhile; one sample at a
        # time, as CPython 3.11 cannot build ASTs on two threads at once (gh-106905) and the checks parse.
        with _SCORING:
            report = verify(chosen, scratch, checks=checks)
            if base_url is None:
                return report, None
            from cdspec.run import run_cases

            return report, run_cases(cases_once(), base_url=base_url, env=env, request_timeout=request_timeout)

    async def score(state: TaskState, target: InspectTarget) -> Score:
        chosen = task_for_sample(task, state.metadata)
        began = time.monotonic()
        box = current_sandbox()
        interpreter = python or (sys.executable if _is_local(box) else "python3")
        direct = connect == "loopback" or (connect == "auto" and _is_local(box))
        error = None
        ran = None
        if task.server:
            # First, before any sample verifies: Hypothesis and the verifiers both parse Python, which
            # CPython 3.11 cannot do on two threads at once (gh-106905).
            await anyio.to_thread.run_sync(cases_once)
        with tempfile.TemporaryDirectory(prefix="cdspec-inspect-") as scratch:
            copied, skipped = await _copy_out(project_dir, Path(scratch), max_files, max_file_bytes)
            if task.server:
                try:
                    async with _served(box, task, project_dir, interpreter) as (port, server_env):
                        env = {**os.environ, **server_env}
                        if direct:
                            report, ran = await anyio.to_thread.run_sync(
                                run_sample, chosen, scratch, f"http://127.0.0.1:{port}", env
                            )
                        else:
                            async with _bridge(box, interpreter, port, request_timeout) as url:
                                report, ran = await anyio.to_thread.run_sync(run_sample, chosen, scratch, url, env)
                except ServerError as exc:
                    error = str(exc)
                    report, _ = await anyio.to_thread.run_sync(run_sample, chosen, scratch, None, {})
            else:
                report, _ = await anyio.to_thread.run_sync(run_sample, chosen, scratch, None, {})
        evaluation = Evaluation(
            task_id=task.id,
            variant_id=state.metadata.get("variant_id"),
            attempt=state.epoch,
            depth=chosen.depth,
            layers=[layer.name for layer in chosen.stack],
            target=chosen.target,
            project=f"sandbox:{posixpath.normpath(project_dir)}",
            constraints=_outcomes_of(report),
            assertions_passed=None if ran is None else ran.passed,
            assertions_total=None if ran is None else ran.total,
            seconds=time.monotonic() - began,
            error=error,
        )
        return _score(evaluation, report, ran, copied, skipped)

    return score


def _is_local(box: SandboxEnvironment) -> bool:
    """Whether ``box`` is Inspect's ``local`` sandbox (a directory of this machine, on its loopback)."""
    try:  # Inspect exports no name for it; its module is the one place the class is defined
        from inspect_ai.util._sandbox.local import LocalSandboxEnvironment
    except ImportError:  # pragma: no cover - a later Inspect moved it: take the portable path
        return False
    try:
        box.as_type(LocalSandboxEnvironment)  # sees through Inspect's proxy of the sample's sandbox
    except TypeError:
        return False
    return True


@functools.cache
def _helper_text() -> str:
    return Path(__file__).with_name("_in_sandbox.py").read_text(encoding="utf-8")


async def _helper(
    box: SandboxEnvironment, python: str, action: str, args: Mapping[str, Any], *, timeout: float = 60
) -> dict[str, Any]:
    """Run an action of ``_in_sandbox.py`` in the sandbox: its JSON answer."""
    try:
        result = await box.exec(
            [python, "-I", "-c", _helper_text(), action], input=json.dumps(args), timeout=math.ceil(timeout)
        )
    except TimeoutError:
        raise CdspecError(f"the sandbox did not finish cdspec's {action!r} step within {timeout:g} s") from None
    if result.success:
        try:
            answer = json.loads(result.stdout)
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            return answer
    raise CdspecError(
        f"cdspec's {action!r} step failed in the sandbox (with {python!r}; set the scorer's python= to a "
        f"Python 3 of the sandbox): {(result.stderr or result.stdout).strip()[-2000:]}"
    )


@contextlib.asynccontextmanager
async def _served(
    box: SandboxEnvironment, task: Task, project_dir: str, python: str
) -> AsyncIterator[tuple[int, dict[str, str]]]:
    """Start the project's server in the sandbox as ``task``'s ``server:`` section says: its port and variables.

    The same rules as :func:`cdspec.evaluate.serve`, applied in the sandbox:
    a free loopback port, a fresh ``{tmp}`` directory, the command run
    without a shell in the project directory and its own session, ``GET
    health`` polled until it answers below 500; the server's process group
    is always stopped and ``{tmp}`` removed. Raises :class:`ServerError`
    with the end of its log when it exits or does not answer in time.
    """
    section = _section(task)
    prepared = await _helper(box, python, "prepare", {"project": project_dir})
    port, scratch = int(prepared["port"]), str(prepared["tmp"])
    values = {"port": str(port), "tmp": scratch, "project": str(prepared["project"]), "python": python}
    command = [_fill(arg, values, f"command[{i}]") for i, arg in enumerate(section["command"])]
    env = {name: _fill(value, values, f"env.{name}") for name, value in section["env"].items()}
    env[section["port_env"]] = str(port)
    log = posixpath.join(scratch, "server.log")
    launch = {"command": command, "cwd": values["project"], "env": env, "log": log}
    launched = await _helper(box, python, "launch", launch)
    pid = launched.get("pid")
    stop = {"pid": pid, "tmp": scratch, "log": log}
    if pid is None:
        await _helper(box, python, "stop", stop)
        raise ServerError(str(launched.get("error", "the server did not start")))
    stopped = False
    try:
        problem = await _wait_healthy(box, python, port, pid, health=section["health"], timeout=section["timeout"])
        if problem is not None:
            stopped = True
            tail = (await _helper(box, python, "stop", stop))["log"]
            raise ServerError(f"{problem}; its log:\n{tail}")
        yield port, env
    finally:
        if not stopped:
            with anyio.CancelScope(shield=True):
                await _helper(box, python, "stop", stop)


async def _wait_healthy(
    box: SandboxEnvironment, python: str, port: int, pid: int, *, health: str, timeout: float
) -> str | None:
    """``None`` once ``GET health`` answers below 500; else why not (exited, or no answer in time)."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    probe = {"port": port, "method": "GET", "target": health, "headers": {}, "body": None, "timeout": 2}
    while True:
        answer = await _helper(box, python, "request", probe)
        if "status" in answer and int(answer["status"]) < 500:
            return None
        if not (await _helper(box, python, "alive", {"pid": pid}))["alive"]:
            return f"the server exited before answering GET {health}"
        if time.monotonic() >= deadline:
            return f"the server did not answer GET {health} on port {port} within {timeout:g} s"
        await anyio.sleep(pause)
        pause = min(pause * 1.5, 0.5)


_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"}
)


class _Relay(http.server.ThreadingHTTPServer):
    """A loopback HTTP server of this machine that sends each request to the server in the sandbox."""

    daemon_threads = True

    def __init__(self, forward: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _RelayHandler)
        self.forward = forward


class _RelayHandler(http.server.BaseHTTPRequestHandler):
    server: _Relay

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
        request = {
            "method": self.command,
            "target": self.path,  # as sent, not decoded: the server in the sandbox sees the same bytes
            "headers": headers,
            "body": None if body is None else base64.b64encode(body).decode("ascii"),
        }
        try:
            answer = self.server.forward(request)
        except Exception as exc:  # the sandbox failed: the case fails with the reason, the relay stays up
            answer = {"error": str(exc)}
        if "error" in answer:
            data = json.dumps({"error": f"cdspec could not reach the server in the sandbox: {answer['error']}"})
            status, reason, pairs, payload = 502, "Bad Gateway", [("Content-Type", "application/json")], data.encode()
        else:
            status, reason, pairs = int(answer["status"]), str(answer["reason"]), answer["headers"]
            payload = base64.b64decode(answer["body"])
        self.send_response_only(status, reason)
        for name, value in pairs:
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _relay


@contextlib.asynccontextmanager
async def _bridge(box: SandboxEnvironment, python: str, port: int, timeout: float) -> AsyncIterator[str]:
    """The base URL of a :class:`_Relay` to ``port`` in the sandbox, through ``sandbox().exec``, for the block."""
    async with anyio.from_thread.BlockingPortal() as portal:

        def forward(request: dict[str, Any]) -> dict[str, Any]:
            args = {**request, "port": port, "timeout": timeout}
            return portal.call(functools.partial(_helper, box, python, "request", args, timeout=timeout + 30))

        relay = _Relay(forward)
        thread = threading.Thread(target=relay.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{relay.server_port}"
        finally:
            await anyio.to_thread.run_sync(relay.shutdown)
            relay.server_close()


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


def _score(
    evaluation: Evaluation, report: VerifyReport, ran: RunReport | None, copied: int, skipped: list[str]
) -> Score:
    """The sample's score: the study's rates (see :data:`SCORES`), the record, and why it lost points."""
    counts = report.counts
    checked = counts["passed"] + counts["failed"]
    raw: float | None
    enforced: float | None
    if evaluation.error is not None:
        raw = enforced = 0.0  # a server that does not start passes no assertion
    else:  # the study's rates as cdspec evaluate defines them
        raw, enforced = evaluation.raw_a_rate, evaluation.a_rate
    value = {
        "a_rate": _nan_if_none(enforced),
        "raw_a_rate": _nan_if_none(raw),
        "passed": float(evaluation.passed),
        "adherence": counts["passed"] / checked if checked else math.nan,
    }
    lines = [f"{evaluation.summary()} ({copied} files read)"]
    if evaluation.error is not None:
        lines.append(f"ERROR {evaluation.error}")
    for result in report.constraints:
        if result.status is Status.PASSED:
            continue
        lines.append(f"{result.status.value.upper()} {result.id} ({result.kind})")
        lines.extend(f"  {finding}" for finding in result.findings if finding.status is not Status.PASSED)
    failures = ran.failures() if ran is not None else ()
    for failure in failures[:_FAILURES_SHOWN]:
        lines.append(f"FAILED case {failure.case_id}, step {failure.step!r}, {failure.kind}: {failure.reason}")
    if len(failures) > _FAILURES_SHOWN:
        lines.append(f"... {len(failures) - _FAILURES_SHOWN} more failed assertions")
    if skipped:
        lines.append(f"not read ({len(skipped)}): " + ", ".join(skipped[:10]) + (", ..." if len(skipped) > 10 else ""))
    behaviour = "no cases run" if raw is None else f"A% {enforced:.1%}, Raw A% {raw:.1%}"
    return Score(
        value=value,
        answer=f"{behaviour}, {counts['passed']}/{counts['total']} constraints kept",
        explanation="\n".join(lines),
        metadata={"result": evaluation.to_data(), "files": copied},
    )


_FAILURES_SHOWN = 20
"""Failed assertions listed in a score's explanation at most."""


async def _copy_out(root: str, destination: Path, max_files: int, max_file_bytes: int) -> tuple[int, list[str]]:
    """Copy the regular files under ``root`` in the sandbox to ``destination``: how many, and what was left out."""
    box = current_sandbox()
    prune: list[str] = []
    for name in SKIPPED_DIRECTORIES:
        prune += [*(["-o"] if prune else []), "-name", name]
    listing = await box.exec(
        ["find", root, "(", *prune, ")", "-prune", "-o", "-type", "f", "-print0"],
        timeout=60,
    )
    if not listing.success:
        raise CdspecError(f"cannot list the files of {root!r} in the sandbox: {listing.stderr.strip()}")
    skipped: list[str] = []
    copied = 0
    for found in sorted(p for p in listing.stdout.split("\0") if p):
        relative = PurePosixPath(posixpath.relpath(posixpath.normpath(found), posixpath.normpath(root)))
        if relative.is_absolute() or ".." in relative.parts:
            skipped.append(f"{found} (outside the project)")
            continue
        if copied >= max_files:
            skipped.append(f"{relative} (more than {max_files} files)")
            continue
        data = await box.read_file(found, text=False)
        if len(data) > max_file_bytes:
            skipped.append(f"{relative} (larger than {max_file_bytes} bytes)")
            continue
        target = destination.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        copied += 1
    return copied, skipped
