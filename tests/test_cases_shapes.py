"""Generated cases on a contract in the shapes real ones take (tests/pinboard), against its reference and its mutants.

The Pinboard fixture has what public contracts have and the bundled
examples lack: bodies in envelopes (``{"board": {...}}``), boards keyed by
``slug`` and people by ``handle``, notes under boards, watch and pin
actions, a base path (``/api``) in its servers URL, and an ``apiKey`` in
the ``Authorization`` header whose value is ``Token <jwt>`` (said only in
the scheme's description). Its task file declares nothing under ``cases:``.
The reference runs as a real HTTP server once for the module.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import cdspec
from cdspec import cli
from cdspec.cases import generate_cases
from cdspec.cases.model import Case
from cdspec.load import dump_cases
from cdspec.run import Report, run_cases

from .pinboard.server import MUTANTS, PinboardServer, serve

TASK = Path(__file__).resolve().parent / "pinboard" / "task.yaml"
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def server() -> Iterator[PinboardServer]:
    running = serve()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()


@pytest.fixture(scope="module")
def task() -> cdspec.Task:
    return cdspec.load_task(TASK)


def _url(server: PinboardServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def _reached(cases: tuple[Case, ...], report: Report) -> set[str]:
    """Operations called by a step that expects success and whose every assertion passed."""
    outcome: dict[tuple[str, str], bool] = {}
    for result in report.assertions:
        key = (result.case_id, result.step)
        outcome[key] = outcome.get(key, True) and result.passed
    reached = set()
    for case in cases:
        for step in case.steps:
            statuses = [s for e in step.expect if e.kind == "status" for s in e.args["statuses"]]
            if statuses and all(s.startswith("2") for s in statuses) and outcome.get((case.id, step.name)):
                reached.add(str(step.request.operation))
    return reached


def _failures(report: Report) -> str:
    return "\n".join(f"{f.case_id} / {f.step} / {f.kind}: {f.reason}" for f in report.failures()[:10])


@pytest.mark.parametrize("seed", SEEDS)
def test_every_assertion_passes_and_every_operation_is_reached(
    server: PinboardServer, task: cdspec.Task, seed: int
) -> None:
    """With nothing declared, a correct server passes every assertion and every operation succeeds somewhere."""
    server.mutant = ""
    cases = generate_cases(task, seed=seed)
    report = run_cases(cases, base_url=_url(server))
    assert report.total > 300
    assert report.pass_rate == 1.0, _failures(report)
    operations = {op.operation_id for op in task.contract.operations}
    assert _reached(cases, report) == operations


def test_the_inferred_pieces(task: cdspec.Task) -> None:
    """Accounts, the Token format, the slug key through the envelope, the handle from the register response."""
    cases = {case.id.rsplit("-", 1)[0]: case for case in generate_cases(task, seed=0)}
    lifecycle = cases["lifecycle-boards"]
    assert [s.request.operation for s in lifecycle.steps][:3] == ["join", "openSession", "createBoard"]
    assert lifecycle.steps[1].capture == {"user": "/member/token"}
    create = lifecycle.steps[2]
    assert dict(create.request.scheme) == {"in": "header", "name": "Authorization", "format": "Token {token}"}
    assert create.capture == {"slug": "/board/slug"}
    assert lifecycle.base_path == "/api"
    register, login = lifecycle.steps[0].request.body, lifecycle.steps[1].request.body
    assert register["member"]["email"] == login["member"]["email"] == {"$var": "user.email"}
    assert register["member"]["password"] == login["member"]["password"] == {"$var": "user.password"}
    watch = cases["response-watchPerson"]
    producer = next(step for step in watch.steps if "handle" in step.capture)
    assert producer.request.operation == "join"
    assert producer.capture == {"handle": "/member/handle"}
    assert watch.steps[-1].request.path_params == {"handle": {"$var": "handle"}}
    invalid = cases["security-createBoard.invalid"].steps[-1].request
    assert invalid.auth == "invalid"
    assert invalid.scheme["format"] == "Token {token}"
    missing = [s.name for s in cases["negative-createBoard.missing"].steps if "without" in s.name]
    assert any("'board/title'" in name for name in missing)
    assert any("'board'" in name for name in missing)


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_every_seeded_bug_is_caught(server: PinboardServer, task: cdspec.Task, mutant: str) -> None:
    """Each seeded bug fails at least one assertion of the default cases (seed 0)."""
    assert len(MUTANTS) == 21
    server.mutant = mutant
    try:
        report = run_cases(generate_cases(task, seed=0), base_url=_url(server))
    finally:
        server.mutant = ""
    assert report.failures(), f"{mutant} ({MUTANTS[mutant]}) was not caught"


def test_a_base_url_path_wins_over_the_contract_base_path(server: PinboardServer, task: cdspec.Task) -> None:
    """Cases request under /api by default; a --base-url with its own path is used as given."""
    cases = [c for c in generate_cases(task, seed=0) if c.id.startswith("response-listLabels")]
    assert run_cases(cases, base_url=_url(server)).pass_rate == 1.0
    assert run_cases(cases, base_url=_url(server) + "/api").pass_rate == 1.0
    assert run_cases(cases, base_url=_url(server) + "/elsewhere").pass_rate < 1.0


def test_the_same_cases_in_another_process(task: cdspec.Task) -> None:
    """Byte-identical cases for a seed in a fresh interpreter with another hash seed."""
    here = dump_cases(generate_cases(task, seed=1))
    code = (
        "import sys, cdspec; from cdspec.cases import generate_cases; from cdspec.load import dump_cases; "
        f"sys.stdout.write(dump_cases(generate_cases(cdspec.load_task({str(TASK)!r}), seed=1)))"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "7"}
    ).stdout
    assert there == here


UNGROUNDED = """
id: widgets
title: Widgets
goal: A contract with one thing nothing makes.
target: {language: python, framework: fastapi}
contract:
  openapi: 3.0.3
  info: {title: Widgets, version: "1"}
  paths:
    /widgets/{serial}:
      get:
        operationId: getWidget
        parameters: [{name: serial, in: path, required: true, schema: {type: string}}]
        responses:
          "200": {description: A widget, content: {application/json: {schema: {type: object}}}}
          "404": {description: None such}
    /health:
      get:
        operationId: health
        responses: {"200": {description: Up}}
"""


def test_an_operation_whose_parameter_nothing_makes_gets_no_case_and_is_explained() -> None:
    """No request with a made-up serial is emitted (a correct server would answer 404); --explain says why and how."""
    task = cdspec.parse_task(UNGROUNDED)
    ids = [case.id for case in generate_cases(task, seed=0)]
    assert not any("getWidget" in case_id for case_id in ids)
    assert any("health" in case_id for case_id in ids)
    out = io.StringIO()
    assert cli.main(["cases", "--explain", str(TASK)], out=out, err=io.StringIO()) == 0
    assert "producer {handle} of /people/{handle}: join at /member/handle" in out.getvalue()
    from cdspec.cases._explain import explain

    text = explain(task)
    assert (
        "left out getWidget (response, negative): nothing in the contract makes a serial for /widgets/{serial}" in text
    )
    assert "path_params" in text


def test_a_declared_format_overrides_the_description_and_the_rest_is_still_inferred(tmp_path: Path) -> None:
    """``cases: {auth: {format: ...}}`` changes only the header's value; accounts are still inferred."""
    (tmp_path / "openapi.yaml").write_text((TASK.parent / "openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    text = TASK.read_text(encoding="utf-8").replace("$schema: ../../schemas/task.schema.json\n", "")
    declared = tmp_path / "task.yaml"
    declared.write_text(text + "cases:\n  auth: {format: 'JWT {token}'}\n", encoding="utf-8")
    cases = generate_cases(cdspec.load_task(declared), seed=0, kinds=["lifecycle"])
    create = next(step for step in cases[0].steps if step.request.operation == "createBoard")
    assert dict(create.request.scheme) == {"in": "header", "name": "Authorization", "format": "JWT {token}"}
    assert cases[0].steps[1].request.operation == "openSession"
