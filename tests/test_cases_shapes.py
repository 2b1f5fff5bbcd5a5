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
from cdspec._frozen import thaw
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


def _list_cases(cases: tuple[Case, ...]) -> dict[str, Case]:
    """The filter and page cases, by template (``response-listBoards.filter.owner``)."""
    return {c.id.rsplit("-", 1)[0]: c for c in cases if ".filter." in c.id or c.id.rsplit("-", 1)[0].endswith(".pages")}


def test_filters_on_arrays_and_on_the_creating_account_and_pages_are_inferred(task: cdspec.Task) -> None:
    """?label= matches the labels array, ?owner= the owner's handle; the pages of offset/limit are compared."""
    cases = _list_cases(generate_cases(task, seed=0))
    assert sorted(cases) == [
        "response-listBoards.filter.label",
        "response-listBoards.filter.owner",
        "response-listBoards.pages",
    ]
    owner = cases["response-listBoards.filter.owner"].steps
    creates = [s for s in owner if s.request.operation == "createBoard"]
    assert [s.request.auth for s in creates] == ["user", "user.other"]
    assert creates[0].capture == {"filter.one": "/board/slug", "filter.value": "/board/owner/handle"}
    assert dict(owner[-1].request.query) == {"owner": {"$var": "filter.value"}, "limit": "50"}  # pages walked
    label = cases["response-listBoards.filter.label"].steps
    first, second = (thaw(s.request.body)["board"]["labels"] for s in label if s.request.operation == "createBoard")
    assert len(first) == len(second) == 1
    assert first != second
    assert dict(label[-1].request.query) == {"label": first[0], "limit": "50"}
    assert [e.kind for e in label[-1].expect][-2:] == ["contains", "not_contains"]
    pages = [s for s in cases["response-listBoards.pages"].steps if s.request.operation == "listBoards"]
    assert [dict(s.request.query) for s in pages] == [
        {"limit": "50"},
        {"offset": 0, "limit": 3},
        {"offset": 1, "limit": 2},
    ]
    assert pages[1].capture == {f"pages.{i}": f"/boards/{i}/slug" for i in range(3)}
    equals = [(e.args["pointer"], e.args["value"]) for e in pages[2].expect if e.kind == "equals"]
    assert equals == [("/boards/0/slug", {"$var": "pages.1"}), ("/boards/1/slug", {"$var": "pages.2"})]


LIST_BUGS = {
    "owner-filter-ignored": "response-listBoards.filter.owner",
    "label-filter-ignored": "response-listBoards.filter.label",
    "offset-as-page": "response-listBoards.pages",
    "offset-off-by-one": "response-listBoards.pages",
}


@pytest.mark.parametrize("mutant", sorted(LIST_BUGS))
def test_each_list_bug_is_caught_by_its_own_case(server: PinboardServer, task: cdspec.Task, mutant: str) -> None:
    """The filter and page cases pass on the reference and fail on the bug each is meant for."""
    cases = tuple(_list_cases(generate_cases(task, seed=0)).values())
    server.mutant = ""
    assert run_cases(cases, base_url=_url(server)).pass_rate == 1.0
    server.mutant = mutant
    try:
        report = run_cases(cases, base_url=_url(server))
    finally:
        server.mutant = ""
    assert LIST_BUGS[mutant] in {f.case_id.rsplit("-", 1)[0] for f in report.failures()}, MUTANTS[mutant]


SHELF = """
id: shelf
title: Shelf
goal: Lists with filters that name an array, an account and a relation.
target: {language: python, framework: fastapi}
contract:
  openapi: 3.0.3
  info: {title: Shelf, version: "1"}
  components:
    securitySchemes:
      key: {type: http, scheme: bearer}
    schemas:
      Profile:
        type: object
        properties: {username: {type: string}, following: {type: boolean}}
      Entry:
        type: object
        properties:
          slug: {type: string}
          title: {type: string}
          topicList: {type: array, items: {type: string}}
          starred: {type: boolean}
          writer: {$ref: '#/components/schemas/Profile'}
  paths:
    /accounts:
      post:
        operationId: signUp
        requestBody:
          content:
            application/json:
              schema:
                type: object
                properties:
                  account:
                    type: object
                    required: [username, email, password]
                    properties: {username: {type: string}, email: {type: string}, password: {type: string}}
        responses:
          "201":
            description: made
            content:
              application/json:
                schema: {type: object, properties: {account: {type: object, properties: {username: {type: string}}}}}
    /accounts/login:
      post:
        operationId: signIn
        requestBody:
          content:
            application/json:
              schema:
                type: object
                properties: {email: {type: string}, password: {type: string}}
        responses:
          "200":
            description: in
            content: {application/json: {schema: {type: object, properties: {token: {type: string}}}}}
    /profiles/{username}:
      get:
        operationId: getProfile
        parameters: [{name: username, in: path, required: true, schema: {type: string}}]
        responses:
          "200": {description: one, content: {application/json: {schema: {$ref: '#/components/schemas/Profile'}}}}
    /entries:
      get:
        operationId: listEntries
        parameters:
          - {name: topic, in: query, schema: {type: string}}
          - {name: writer, in: query, schema: {type: string}}
          - {name: starred, in: query, schema: {type: string}}
          - {name: offset, in: query, schema: {type: integer, minimum: 0}}
          - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 2}}
        responses:
          "200":
            description: some
            content:
              application/json:
                schema:
                  type: object
                  properties: {entries: {type: array, items: {$ref: '#/components/schemas/Entry'}}}
      post:
        operationId: addEntry
        security: [{key: []}]
        requestBody:
          content:
            application/json:
              schema:
                type: object
                properties:
                  entry:
                    type: object
                    required: [title]
                    properties: {title: {type: string}, topicList: {type: array, items: {type: string}}}
        responses:
          "201":
            description: made
            content:
              application/json:
                schema: {type: object, properties: {entry: {$ref: '#/components/schemas/Entry'}}}
    /entries/{slug}:
      get:
        operationId: getEntry
        parameters: [{name: slug, in: path, required: true, schema: {type: string}}]
        responses:
          "200":
            description: one
            content:
              application/json:
                schema: {type: object, properties: {entry: {$ref: '#/components/schemas/Entry'}}}
"""


def test_filters_are_inferred_only_when_the_case_can_ground_their_value() -> None:
    """topic -> topicList and writer -> writer.username become cases; starred (a boolean an action sets) is explained.

    Without credentials on the create, nothing says whose entry it is, so the
    writer filter is left out too; a limit whose maximum is under 3 gives no
    page check (three items would not fit one page).
    """
    from cdspec.cases._explain import explain

    text = explain(cdspec.parse_task(SHELF))
    assert "filter: listEntries: the topic filter" in text
    assert "filter: listEntries: the writer filter" in text
    starred = "left out listEntries (response, the starred filter): the items' starred is a boolean"
    assert f"{starred} the create body does not set" in text
    assert "?starred=" in text
    assert "pages checked to agree" not in text
    writer = next(c for c in generate_cases(cdspec.parse_task(SHELF), seed=0) if ".filter.writer" in c.id)
    made = [s for s in writer.steps if s.request.operation == "addEntry"]
    assert made[0].capture["filter.value"] == "/entry/writer/username"
    assert made[1].request.auth == "user.other"
    unsecured = cdspec.parse_task(SHELF.replace("security: [{key: []}]", "security: []"))
    assert "left out listEntries (response, the writer filter): addEntry needs no account" in explain(unsecured)
    roomy = explain(cdspec.parse_task(SHELF.replace("maximum: 2", "maximum: 20")))
    assert "list listEntries: offset pages of /entries; pages checked to agree" in roomy


def test_a_list_that_needs_another_query_parameter_gets_no_filter_or_page_case() -> None:
    """A required ?topic= could leave the new items out of any other request, so only the topic filter is made."""
    from cdspec.cases._explain import explain

    text = SHELF.replace("maximum: 2", "maximum: 20").replace(
        "{name: topic, in: query, schema", "{name: topic, in: query, required: true, schema"
    )
    shown = explain(cdspec.parse_task(text))
    assert "filter: listEntries: the topic filter" in shown
    assert "left out listEntries (response, the writer filter): the list also needs ?topic=" in shown
    assert "left out listEntries (response, pages that agree): the list also needs ?topic=" in shown


def test_a_list_paged_by_skip_and_limit_is_walked_and_its_pages_compared() -> None:
    """FastAPI's ``skip``/``limit`` is an offset: walked for ``contains``, and the window skip 1, limit 2 compared."""
    from cdspec.cases._explain import explain

    text = SHELF.replace("maximum: 2", "maximum: 20").replace("{name: offset, in: query", "{name: skip, in: query")
    assert "list listEntries: offset pages of /entries; pages checked to agree" in explain(cdspec.parse_task(text))
    cases = generate_cases(cdspec.parse_task(text), seed=0)
    paged = next(c for c in cases if ".pages" in c.id)
    queries = [dict(s.request.query) for s in paged.steps if s.request.operation == "listEntries"]
    assert {"skip": 0, "limit": 3} in queries
    assert {"skip": 1, "limit": 2} in queries
    walked = [s.request.pages for s in paged.steps if s.request.pages]
    assert walked
    assert all(p["param"] == "skip" for p in walked)
