"""Run a task's behavioural cases as pytest tests: ``pytest --cdspec-task TASK --cdspec-base-url URL``.

Installing cdspec registers this module as a pytest plugin (entry point
``pytest11``, name ``cdspec``). Without ``--cdspec-task`` or
``--cdspec-cases`` it only adds its options: it imports nothing heavy
(no Hypothesis, no HTTP client) and collects nothing.

With them, each case becomes one test item, with the case id as its name
(``examples/library/task.yaml::lifecycle-books-0000``) and the marker
``cdspec``, so ``-k``, ``-m cdspec``, ``-x`` and ``--lf`` work as usual.
A failing case lists every failed assertion: the step, the kind of check,
the reason and what was observed.

Options:

- ``--cdspec-task TASK``: the task file whose cases are generated
  (:func:`cdspec.cases.generate_cases`);
- ``--cdspec-base-url URL``: the live backend the cases run against;
- ``--cdspec-start``: start the backend instead, as the task's ``server:``
  section says (:func:`cdspec.evaluate.serve`), from the project folder
  ``--cdspec-project DIR`` (default: the current folder), once for the
  session, stopped when it ends; the cases' ``$env`` symbols then read the
  section's variables;
- ``--cdspec-seed S`` and ``--cdspec-n N``: passed to the generator;
- ``--cdspec-cases FILE``: run the cases of a JSONL file (``cdspec cases
  --out``) instead of generating them.

``$env`` symbols (credentials) read the variables of the pytest process
that ``--cdspec-allow-env NAME`` (repeatable) allows and, with
``--cdspec-start``, the ``server:`` section's variables over them. A variable
the cases read that is not readable stops pytest before any case runs,
naming it: the cases would otherwise fail one by one.

With these options pytest runs the cases only: it collects no test files
(so the command works in any folder, a repository root included), unless
test paths are given on the command line, which are collected as usual.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .cases.model import Case
    from .model import Task
    from .run import CaseResult

__all__ = ["CaseFailed", "CaseItem", "CasesCollector"]

_OBSERVED_CHARS = 300
"""Characters of an observed value quoted in a failure message at most."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--cdspec-*`` options (in their own group of ``pytest --help``)."""
    group = parser.getgroup("cdspec", "cdspec behavioural cases")
    group.addoption("--cdspec-task", metavar="TASK", help="run the behavioural cases generated from this task file")
    group.addoption("--cdspec-base-url", metavar="URL", help="the live backend the cases run against")
    group.addoption("--cdspec-seed", metavar="S", type=int, default=0, help="seed of the case generator (default 0)")
    group.addoption(
        "--cdspec-n", metavar="N", type=int, default=None, help="number of cases (default: each template once)"
    )
    group.addoption("--cdspec-cases", metavar="FILE", help="run the cases of this JSONL file, not generated ones")
    group.addoption(
        "--cdspec-allow-env",
        metavar="NAME",
        action="append",
        default=[],
        help="an environment variable the cases' $env symbols may read (repeatable)",
    )
    group.addoption(
        "--cdspec-start",
        action="store_true",
        help="start the backend as the task's server: section says, once for the session (no --cdspec-base-url)",
    )
    group.addoption(
        "--cdspec-project", metavar="DIR", default=".", help="the project --cdspec-start starts (default: this folder)"
    )
    group.addoption(
        "--cdspec-conformance",
        choices=("enforce", "report"),
        default="enforce",
        help="a response that breaks the contract in form only: fail the case (enforce, default) or pass it (report)",
    )


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("cdspec_task") or config.getoption("cdspec_cases"))


def pytest_configure(config: pytest.Config) -> None:
    """Check the options and register the ``cdspec`` marker, only when cases are asked for."""
    if not _active(config):
        return
    start, base_url = config.getoption("cdspec_start"), config.getoption("cdspec_base_url")
    if start and base_url:
        raise pytest.UsageError("give --cdspec-base-url URL or --cdspec-start, not both")
    if start and not config.getoption("cdspec_task"):
        raise pytest.UsageError("--cdspec-start needs --cdspec-task TASK (its server: section says how to start)")
    if not (base_url or start):
        raise pytest.UsageError(
            "--cdspec-base-url URL is required with --cdspec-task or --cdspec-cases (or --cdspec-start with a task)"
        )
    n = config.getoption("cdspec_n")
    if n is not None and n < 0:
        raise pytest.UsageError(f"--cdspec-n must be a non-negative integer, got {n}")
    config.addinivalue_line("markers", "cdspec: a behavioural case generated by cdspec")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With cases asked for and no test paths on the command line, collect no test files: the cases only."""
    if _active(config) and config.args_source is not pytest.Config.ArgsSource.ARGS:
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Append the cases to the collected items, before ``-k``/``-m`` deselect and others reorder."""
    if not _active(config):
        return
    collector = CasesCollector.from_config(session, config)
    # Through the collection hooks, as the session collects a file: the terminal counts the items,
    # an error becomes a collection error, and other plugins see the items.
    ihook = session.ihook
    ihook.pytest_collectstart(collector=collector)
    report = ihook.pytest_make_collect_report(collector=collector)
    ihook.pytest_collectreport(report=report)
    for item in report.result:
        if isinstance(item, pytest.Item):
            ihook.pytest_itemcollected(item=item)
            items.append(item)


class CasesCollector(pytest.Collector):
    """The cases of one task (or cases file), collected once per session."""

    def __init__(
        self, *, cases: tuple[Case, ...], base_url: str | None, task: Task | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.cases = cases
        self.task = task
        self._base_url = base_url
        self._env: dict[str, str] = {}
        self._failed_start: str | None = None
        # One run id per session, as `cdspec run` uses one per run of all the cases.
        self.run_id = secrets.token_hex(3)

    def backend(self) -> tuple[str, dict[str, str]]:
        """The base URL and ``$env`` variables of the cases; ``--cdspec-start``'s server is started on first use."""
        if self._base_url is None and self._failed_start is None:
            from .evaluate import ServerError, serve

            assert self.task is not None
            stack = contextlib.ExitStack()
            self.config.add_cleanup(stack.close)  # stopped when the session ends
            try:
                server = stack.enter_context(serve(self.task, self.config.getoption("cdspec_project")))
            except ServerError as exc:
                self._failed_start = f"--cdspec-start: {exc}"
            else:
                self._base_url, self._env = server.base_url, dict(server.env)
        if self._failed_start is not None:
            pytest.fail(self._failed_start, pytrace=False)
        assert self._base_url is not None
        allowed = self.config.getoption("cdspec_allow_env")
        return self._base_url, {**{name: os.environ[name] for name in allowed if name in os.environ}, **self._env}

    @classmethod
    def from_config(cls, session: pytest.Session, config: pytest.Config) -> CasesCollector:
        """Load or generate the cases the options ask for; bad input is a usage error, not a traceback."""
        from .errors import CdspecError

        task_option: str | None = config.getoption("cdspec_task")
        cases_option: str | None = config.getoption("cdspec_cases")
        source = Path(cases_option or task_option or "").absolute()
        task = None
        try:
            if cases_option:
                from .load import load_cases

                cases = load_cases(cases_option)
            else:
                from .cases import generate_cases
                from .load import load_task

                task = load_task(str(task_option))
                cases = generate_cases(task, n=config.getoption("cdspec_n"), seed=config.getoption("cdspec_seed"))
            start = bool(config.getoption("cdspec_start"))
            if start:
                from .evaluate import _section

                assert task is not None
                project = Path(config.getoption("cdspec_project"))
                if not project.is_dir():
                    raise CdspecError(f"--cdspec-project {project}: not a directory")
                given = set(_section(task)["env"])
            else:
                given = set()
            _check_env(cases, given, task, config.getoption("cdspec_allow_env"))
        except CdspecError as exc:
            option = "--cdspec-cases" if cases_option else "--cdspec-task"
            raise pytest.UsageError(f"{option} {source}:\n{exc}") from None
        try:
            nodeid = source.relative_to(config.rootpath).as_posix()
        except ValueError:
            nodeid = source.as_posix()
        return cls.from_parent(
            session,
            name=source.name,
            path=source,
            nodeid=nodeid,
            cases=cases,
            base_url=None if start else str(config.getoption("cdspec_base_url")),
            task=task,
        )

    def collect(self) -> list[pytest.Item]:
        """One :class:`CaseItem` per case, in the generator's order."""
        return [CaseItem.from_parent(self, name=case.id, case=case, index=i) for i, case in enumerate(self.cases)]


class CaseFailed(Exception):
    """A case had failed assertions; :meth:`CaseItem.repr_failure` lists them."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(f"{sum(not a.passed for a in result.assertions)} assertion(s) failed")
        self.result = result


class CaseItem(pytest.Item):
    """One behavioural case, run against the base URL when the test runs."""

    def __init__(self, *, case: Case, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.index = index
        self.add_marker("cdspec")

    @property
    def collection(self) -> CasesCollector:
        parent = self.parent
        assert isinstance(parent, CasesCollector)
        return parent

    def runtest(self) -> None:
        """Run the case; raise :class:`CaseFailed` when any assertion fails."""
        from .cases.model import Case
        from .run import run_cases

        # The runner makes $unique values from the run id and the case's position in the run. Empty cases
        # (no steps: nothing is sent) put this one at its position among all the cases, so it sends exactly
        # what it would in `cdspec run` of them all, and no two cases of the session collide.
        padding = [Case(id="-", kind="lifecycle", title="", steps=())] * self.index
        base_url, env = self.collection.backend()
        report = run_cases(
            [*padding, self.case],
            base_url=base_url,
            run_id=self.collection.run_id,
            env=env,
            conformance=self.config.getoption("cdspec_conformance"),
        )
        result = report.cases[-1]
        self.user_properties.append(
            ("cdspec_assertions", f"{sum(a.passed for a in result.assertions)}/{len(result.assertions)}")
        )
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        """For a failed case, its title and each failed assertion; otherwise pytest's usual report."""
        if isinstance(excinfo.value, CaseFailed):
            return _describe(excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the case comes from (the task or cases file) and its name in reports."""
        return self.path, None, f"cdspec case {self.case.id}"


def _env_names(value: Any) -> set[str]:
    """The names of the ``{"$env": NAME}`` symbols in a case's data."""
    if isinstance(value, dict):
        if set(value) == {"$env"}:
            return {str(value["$env"])}
        return set().union(*(_env_names(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_env_names(item) for item in value))
    return set()


def _check_env(cases: tuple[Case, ...], given: set[str], task: Task | None, allowed: list[str]) -> None:
    """Raise when the cases read ``$env`` variables that neither an allowed variable nor the started server sets."""
    from .errors import CdspecError

    needed = set().union(*(_env_names(case.to_data()) for case in cases))
    missing = sorted(needed - given - {name for name in allowed if name in os.environ})
    if not missing:
        return
    unallowed = [name for name in missing if name in os.environ]
    if unallowed:
        raise CdspecError(
            f"the cases read the environment variables {', '.join(unallowed)} ($env): allow them with "
            + " ".join(f"--cdspec-allow-env {name}" for name in unallowed)
        )
    hint = ""
    section = dict(task.server.get("env", {})) if task is not None and task.server else {}
    if any(name in section for name in missing):
        hint = (
            " (the task's server: section sets "
            + ", ".join(f"{name}={section[name]}" for name in missing if name in section)
            + ": export them for a server started that way, or use --cdspec-start)"
        )
    raise CdspecError(
        f"the cases read the environment variables {', '.join(missing)} ($env), which are not set: "
        f"set them to the values your server was started with{hint}"
    )


def _describe(result: CaseResult) -> str:
    failed = [a for a in result.assertions if not a.passed]
    lines = [
        f"{len(failed)} of {len(result.assertions)} assertions failed: {result.title}",
        f"case {result.case_id} ({result.kind})",
    ]
    for assertion in failed:
        form = " (in form only: the behaviour holds)" if assertion.deviation else ""
        lines.append(f"- step {assertion.step!r}, {assertion.kind}: {assertion.description or assertion.kind}{form}")
        if assertion.reason:
            lines.append(f"    reason:   {assertion.reason}")
        if assertion.observed is not None:
            from ._frozen import thaw

            observed = json.dumps(thaw(assertion.observed), ensure_ascii=False, sort_keys=True)
            if len(observed) > _OBSERVED_CHARS:
                observed = observed[:_OBSERVED_CHARS] + f"... ({len(observed)} characters)"
            lines.append(f"    observed: {observed}")
    return "\n".join(lines)
