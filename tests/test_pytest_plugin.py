"""The pytest plugin: ``pytest --cdspec-task TASK --cdspec-base-url URL`` runs each case as a test.

A tiny notes API (WSGI, in a thread on loopback) implements the contract of
a two-operation task except one rule: it accepts a note longer than the
contract's ``maxLength``. Pytest, run in process by ``pytester``, must
report exactly that case as failed, with the step, the check, the reason
and the observed status.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import attrs
import pytest

import cdspec
from cdspec.cases import generate_cases
from cdspec.cases.model import Case, Expectation, Request, Step
from cdspec.load import dump_cases

from .notes import NOTES_TASK, notes_app

pytest_plugins = ["pytester"]

RANGE_CASE = "negative-createNote.range-0005"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""


@pytest.fixture(scope="module")
def notes() -> dict[int, dict[str, Any]]:
    """What the notes API stores, by id."""
    return {}


@pytest.fixture(scope="module")
def base_url(notes: dict[int, dict[str, Any]]) -> Iterator[str]:
    """The notes API served on a free loopback port for the module's tests."""
    server: WSGIServer = make_server("127.0.0.1", 0, notes_app(notes, check_max_length=False), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def task_file(pytester: pytest.Pytester) -> Path:
    """The notes task, written into pytester's directory (which holds no tests)."""
    return pytester.makefile(".yaml", task=NOTES_TASK)


def test_each_case_is_a_test_and_the_broken_rule_fails(
    pytester: pytest.Pytester, task_file: Path, base_url: str
) -> None:
    """Seven generated cases, seven tests: six pass, the out-of-range note fails."""
    result = pytester.runpytest("--cdspec-task", str(task_file), "--cdspec-base-url", base_url, "-rf")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["collected 7 items", f"FAILED task.yaml::{RANGE_CASE} - 1 of 2 assertions failed*"])


def test_a_failure_lists_step_kind_reason_and_observed(
    pytester: pytest.Pytester, task_file: Path, base_url: str
) -> None:
    """The failure report names the case and, per failed assertion, the step, the check, why and what was seen."""
    result = pytester.runpytest("--cdspec-task", str(task_file), "--cdspec-base-url", base_url)
    result.stdout.fnmatch_lines(
        [
            f"*_ cdspec case {RANGE_CASE} _*",
            "1 of 2 assertions failed: createNote: a value out of range is rejected",
            f"case {RANGE_CASE} (negative)",
            "- step \"1. call createNote with text='x*x' (out of range)\", status: createNote answers 400",
            "    reason:   status 201, expected one of 400",
            "    observed: 201",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_ids_are_case_ids_and_select_with_k_and_m(pytester: pytest.Pytester, task_file: Path, base_url: str) -> None:
    """Test ids are ``TASKFILE::CASE_ID``; ``-k`` and ``-m cdspec`` select cases like any test."""
    task = cdspec.load_task(task_file)
    expected = [f"task.yaml::{case.id}" for case in generate_cases(task)]
    listed = pytester.runpytest("--cdspec-task", str(task_file), "--cdspec-base-url", base_url, "--collect-only", "-q")
    assert [line for line in listed.outlines if "::" in line] == expected

    chosen = pytester.runpytest(
        "--cdspec-task", str(task_file), "--cdspec-base-url", base_url, "-m", "cdspec", "-k", "negative and not range"
    )
    chosen.assert_outcomes(passed=3, deselected=4)


def test_seed_and_n_reach_the_generator(pytester: pytest.Pytester, task_file: Path, base_url: str) -> None:
    """``--cdspec-n`` and ``--cdspec-seed`` give the generator's cases for that n and seed."""
    task = cdspec.load_task(task_file)
    expected = [f"task.yaml::{case.id}" for case in generate_cases(task, n=10, seed=3)]
    result = pytester.runpytest(
        *("--cdspec-task", str(task_file), "--cdspec-base-url", base_url),
        *("--cdspec-n", "10", "--cdspec-seed", "3", "--collect-only", "-q"),
    )
    assert [line for line in result.outlines if "::" in line] == expected


def test_a_cases_file_runs_instead_of_generating(pytester: pytest.Pytester, task_file: Path, base_url: str) -> None:
    """``--cdspec-cases FILE`` runs exactly the cases of a JSONL file (here: the failing one and one more)."""
    cases = [c for c in generate_cases(cdspec.load_task(task_file)) if c.id in {RANGE_CASE, "lifecycle-notes-0000"}]
    cases_file = pytester.path / "cases.jsonl"
    cases_file.write_text(dump_cases(cases), encoding="utf-8")
    result = pytester.runpytest("--cdspec-cases", str(cases_file), "--cdspec-base-url", base_url)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["cases.jsonl .F*"])


def test_unique_values_are_those_of_one_run_of_all_the_cases(
    pytester: pytest.Pytester, base_url: str, notes: dict[int, dict[str, Any]]
) -> None:
    """Each case is run on its own, yet its $unique values are those of its position in one run: never shared."""
    step = Step(
        "create",
        Request("POST", "/notes", body={"text": {"$unique": "string"}}, has_body=True),
        [Expectation("status", {"statuses": ["201"]})],
    )
    cases = [Case(id=f"unique-{i}", kind="lifecycle", title=f"note {i}", steps=[step]) for i in range(3)]
    cases_file = pytester.path / "unique.jsonl"
    cases_file.write_text(dump_cases(cases), encoding="utf-8")
    before = set(notes)
    result = pytester.runpytest("--cdspec-cases", str(cases_file), "--cdspec-base-url", base_url, "-k", "not unique-1")
    result.assert_outcomes(passed=2, deselected=1)
    texts = [note["text"] for key, note in sorted(notes.items()) if key not in before]
    assert len(texts) == 2
    first, third = (re.fullmatch(r"u([0-9a-f]{6})([0-9a-f]+)x1", text) for text in texts)
    assert first is not None
    assert third is not None
    assert first[1] == third[1]  # one run id for the session
    assert (first[2], third[2]) == ("0", "2")  # each case at its own position, as in `cdspec run`


def test_a_backend_that_is_down_fails_every_case_with_a_reason(pytester: pytest.Pytester, task_file: Path) -> None:
    """No server at the base URL: each case fails, saying the connection was refused; pytest itself does not crash."""
    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = pytester.runpytest("--cdspec-task", str(task_file), "--cdspec-base-url", url, "--cdspec-n", "2")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*reason:   connection refused: is the server running at 127.0.0.1:*"])


def test_usage_errors_are_reported_without_a_traceback(pytester: pytest.Pytester, task_file: Path) -> None:
    """A missing base URL, a missing task and an invalid task stop pytest with a usage error saying what is wrong."""
    no_url = pytester.runpytest("--cdspec-task", str(task_file))
    assert no_url.ret == pytest.ExitCode.USAGE_ERROR
    no_url.stderr.fnmatch_lines(["ERROR: --cdspec-base-url URL is required with --cdspec-task or --cdspec-cases*"])
    both = pytester.runpytest("--cdspec-task", str(task_file), "--cdspec-start", "--cdspec-base-url", "http://x")
    both.stderr.fnmatch_lines(["ERROR: give --cdspec-base-url URL or --cdspec-start, not both"])
    no_server = pytester.runpytest("--cdspec-task", str(task_file), "--cdspec-start")
    assert no_server.ret == pytest.ExitCode.USAGE_ERROR
    no_server.stderr.fnmatch_lines(["ERROR: --cdspec-task *task.yaml:", "task 'notes' has no server: section*"])
    cases_only = pytester.runpytest("--cdspec-cases", "cases.jsonl", "--cdspec-start")
    cases_only.stderr.fnmatch_lines(["ERROR: --cdspec-start needs --cdspec-task TASK*"])

    missing = pytester.runpytest("--cdspec-task", "nothere.yaml", "--cdspec-base-url", "http://127.0.0.1:9")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["ERROR: --cdspec-task *nothere.yaml:", "nothere.yaml: no such file"])

    broken = pytester.makefile(".yaml", broken=NOTES_TASK.replace("goal: Keep short notes.\n", ""))
    invalid = pytester.runpytest("--cdspec-task", str(broken), "--cdspec-base-url", "http://127.0.0.1:9")
    assert invalid.ret == pytest.ExitCode.USAGE_ERROR
    invalid.stderr.fnmatch_lines(["ERROR: --cdspec-task *broken.yaml:", "broken.yaml*goal*"])
    assert "Traceback" not in invalid.stderr.str()


def test_without_options_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    """Without --cdspec-* options an ordinary test suite runs as before, and --help lists the options."""
    pytester.makepyfile("def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=1)
    assert "cdspec" not in "\n".join(line for line in result.outlines if "::" in line)
    pytester.runpytest("--help").stdout.fnmatch_lines(
        ["cdspec behavioural cases:", "*--cdspec-task=TASK*", "*--cdspec-base-url=URL*", "*--cdspec-cases=FILE*"]
    )


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    """Every pytest run imports the plugin: it must not pull in Hypothesis, an HTTP client or the runner."""
    probe = (
        "import sys, pytest\n"
        "before = set(sys.modules)\n"
        "import cdspec.pytest_plugin\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] in {'hypothesis', 'http', 'jsonschema', 'inspect_ai'}"
        " or m in {'cdspec.run', 'cdspec.cases._generate'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


ROOT = Path(__file__).resolve().parent.parent
LIBRARY_TASK = ROOT / "examples" / "library" / "task.yaml"
REFERENCE = ROOT / "examples" / "library" / "reference"


def test_start_runs_the_cases_against_the_tasks_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--cdspec-start serves the project as the task's server: section says; its credentials reach the cases."""
    monkeypatch.delenv("LIBRARIAN_EMAIL", raising=False)
    monkeypatch.delenv("LIBRARIAN_PASSWORD", raising=False)
    result = pytester.runpytest(
        *("--cdspec-task", str(LIBRARY_TASK), "--cdspec-start", "--cdspec-project", str(REFERENCE)),
        *("--cdspec-n", "4", "-p", "no:cacheprovider"),
    )
    result.assert_outcomes(passed=4)


def test_start_reports_a_server_that_does_not_start(pytester: pytest.Pytester) -> None:
    """A project whose server exits fails the cases with the server's log, without a traceback."""
    empty = pytester.mkdir("empty")
    result = pytester.runpytest(
        *("--cdspec-task", str(LIBRARY_TASK), "--cdspec-start", "--cdspec-project", str(empty), "--cdspec-n", "2")
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "--cdspec-start: the server exited with status 1 before answering GET /books; its log:",
            "*No module named app",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_missing_credential_variable_stops_pytest_up_front(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library cases read LIBRARIAN_EMAIL/PASSWORD: unset or not allowed, pytest stops naming them."""
    monkeypatch.delenv("LIBRARIAN_EMAIL", raising=False)
    monkeypatch.setenv("LIBRARIAN_PASSWORD", "shelve-it-123")
    allow = ("--cdspec-allow-env", "LIBRARIAN_EMAIL", "--cdspec-allow-env", "LIBRARIAN_PASSWORD")
    result = pytester.runpytest("--cdspec-task", str(LIBRARY_TASK), "--cdspec-base-url", "http://127.0.0.1:9", *allow)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*the cases read the environment variables LIBRARIAN_EMAIL ($env), which are not set: set them*"
            "*server: section sets LIBRARIAN_EMAIL=librarian@example.org*"
        ]
    )
    monkeypatch.setenv("LIBRARIAN_EMAIL", "librarian@example.org")
    unallowed = pytester.runpytest("--cdspec-task", str(LIBRARY_TASK), "--cdspec-base-url", "http://127.0.0.1:9")
    assert unallowed.ret == pytest.ExitCode.USAGE_ERROR
    unallowed.stderr.fnmatch_lines(
        ["*LIBRARIAN_EMAIL, LIBRARIAN_PASSWORD ($env): allow them with --cdspec-allow-env LIBRARIAN_EMAIL*"]
    )
    listed = pytester.runpytest(
        "--cdspec-task", str(LIBRARY_TASK), "--cdspec-base-url", "http://127.0.0.1:9", *allow, "--collect-only", "-q"
    )
    assert listed.ret == pytest.ExitCode.OK


def _readme_pytest_line() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"`(pytest --cdspec-task [^`]+)`", readme)
    assert match is not None
    return match.group(1).split()


@pytest.mark.parametrize("where", ["root", "elsewhere"])
def test_the_readme_line_runs_the_cases_only_from_any_folder(where: str, tmp_path: Path) -> None:
    """The README's pytest line, from the repository root or another folder, runs the cases and collects no tests."""
    words = _readme_pytest_line()
    if where == "elsewhere":  # the same files, named from another folder
        words = [str(ROOT / word) if (ROOT / word).exists() and "/" in word else word for word in words]
    cwd = ROOT if where == "root" else tmp_path
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIBRARIAN_")}
    result = subprocess.run(
        [sys.executable, "-m", *words, "--cdspec-n", "3", "-p", "no:cacheprovider", "-q"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert "test_" not in result.stdout  # none of cdspec's own tests was collected


def test_test_paths_given_are_collected_with_the_cases(
    pytester: pytest.Pytester, task_file: Path, base_url: str
) -> None:
    """Test files named on the command line run along with the cases; unnamed ones are not collected."""
    pytester.makepyfile(test_mine="def test_one():\n    assert True\n")
    alone = pytester.runpytest("--cdspec-task", str(task_file), "--cdspec-base-url", base_url, "--cdspec-n", "2")
    alone.assert_outcomes(passed=2)
    named = pytester.runpytest(
        "test_mine.py", "--cdspec-task", str(task_file), "--cdspec-base-url", base_url, "--cdspec-n", "2"
    )
    named.assert_outcomes(passed=3)


def test_conformance_report_passes_a_case_that_deviates_in_form_only(
    pytester: pytest.Pytester, task_file: Path, base_url: str
) -> None:
    """A case expecting 200 where the server answers 201 fails, marked as form only; ``report`` passes it."""
    (case,) = [c for c in generate_cases(cdspec.load_task(task_file)) if c.id == "lifecycle-notes-0000"]
    create = case.steps[0]
    expect = [attrs.evolve(e, args={**e.args, "statuses": ["200"]}) if e.kind == "status" else e for e in create.expect]
    strict = attrs.evolve(case, steps=[attrs.evolve(create, expect=expect), *case.steps[1:]])
    cases_file = pytester.path / "form.jsonl"
    cases_file.write_text(dump_cases([strict]), encoding="utf-8")
    enforced = pytester.runpytest("--cdspec-cases", str(cases_file), "--cdspec-base-url", base_url)
    enforced.assert_outcomes(failed=1)
    enforced.stdout.fnmatch_lines(["*status: *(in form only: the behaviour holds)", "    reason:   status 201, *"])
    reported = pytester.runpytest(
        "--cdspec-cases", str(cases_file), "--cdspec-base-url", base_url, "--cdspec-conformance", "report"
    )
    reported.assert_outcomes(passed=1)
