"""Generated cases on correct servers that make the choices real ones make and the contract leaves open.

Three real RealWorld implementations showed them (docs/cases.md): one looks
the thing a path names up before the credential (404 before 401), one
coerces a number sent for a text and accepts it (a bad update then changes
the slug or the username its token holds), one wants an image to be a URL
where the contract says string. The Pinboard reference plays each in turn
(``server.behaviours``); the cases must not fail it for those choices.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import cdspec
from cdspec import cli
from cdspec.cases import generate_cases
from cdspec.cases._explain import explain
from cdspec.cases.model import Case, Expectation
from cdspec.load import dump_cases, load_cases
from cdspec.run import Report, run_cases

from .pinboard.server import BEHAVIOURS, PinboardServer, running

TASK = Path(__file__).resolve().parent / "pinboard" / "task.yaml"
URL = re.compile(r"^https://[a-z][a-z0-9]*\.(com|org|net|io)(/[a-z0-9_-]+)+$")


@pytest.fixture(scope="module")
def server() -> Iterator[PinboardServer]:
    """One reference for the module; each test turns its behaviours on and off."""
    with running() as started:
        yield started


@pytest.fixture(scope="module")
def task() -> cdspec.Task:
    return cdspec.load_task(TASK)


def _run(server: PinboardServer, cases: tuple[Case, ...], *behaviours: str) -> Report:
    assert set(behaviours) <= set(BEHAVIOURS)
    server.behaviours = frozenset(behaviours)
    try:
        return run_cases(cases, base_url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.behaviours = frozenset()


def _failures(report: Report) -> str:
    return "\n".join(f"{f.case_id} / {f.step} / {f.kind}: {f.reason}" for f in report.failures()[:10])


def _declared(tmp_path: Path, cases_yaml: str) -> cdspec.Task:
    """The Pinboard task with a ``cases:`` section."""
    (tmp_path / "openapi.yaml").write_text((TASK.parent / "openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    text = TASK.read_text(encoding="utf-8").replace("$schema: ../../schemas/task.schema.json\n", "")
    (tmp_path / "task.yaml").write_text(text + cases_yaml, encoding="utf-8")
    return cdspec.load_task(tmp_path / "task.yaml")


def _status(case: Case, step_name: str) -> Expectation:
    step = next(s for s in case.steps if s.name == step_name)
    return next(e for e in step.expect if e.kind == "status")


def _vars(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        if "$var" in value:
            return {str(value["$var"])}
        return set().union(*(_vars(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_vars(v) for v in value)) if value else set()
    return set()


# --------------------------------------------------------------------------- looked up before the credential


def test_every_case_passes_on_a_server_that_looks_things_up_before_the_credential(
    server: PinboardServer, task: cdspec.Task
) -> None:
    """Security cases call real boards, notes and people: a correct 404-first server passes them all."""
    cases = generate_cases(task, seed=0)
    report = _run(server, cases, "lookup-first")
    assert report.pass_rate == 1.0, _failures(report)
    secured_with_params = [
        step.request
        for case in cases
        if case.kind == "security"
        for step in case.steps
        if step.request.auth in ("none", "invalid") and step.request.path_params
    ]
    assert len(secured_with_params) >= 10
    assert all(set(_vars(r.path_params)) for r in secured_with_params)


def test_a_security_case_gets_real_things_even_when_the_response_case_is_skipped(
    server: PinboardServer, tmp_path: Path
) -> None:
    """``skip: [response]`` no longer sends a made-up slug or note id: the security cases still make real ones."""
    declared = _declared(tmp_path, "cases:\n  operations:\n    removeNote: {skip: [response]}\n")
    cases = [c for c in generate_cases(declared, seed=0, kinds=["security"]) if "removeNote" in c.id]
    assert {c.id.rsplit("-", 1)[0] for c in cases} == {"security-removeNote.none", "security-removeNote.invalid"}
    for case in cases:
        call = case.steps[-1].request
        assert set(call.path_params) == {"slug", "id"}
        assert all(isinstance(v, Mapping) and "$var" in v for v in call.path_params.values())
    report = _run(server, tuple(cases), "lookup-first")
    assert report.pass_rate == 1.0, _failures(report)


UNGROUNDED = """
id: widgets
title: Widgets
goal: Secured operations on a thing nothing makes.
target: {language: python, framework: fastapi}
contract:
  openapi: 3.0.3
  info: {title: Widgets, version: "1"}
  components:
    securitySchemes:
      bearer: {type: http, scheme: bearer}
  security: [{bearer: []}]
  paths:
    /widgets/{serial}:
      delete:
        operationId: scrapWidget
        parameters: [{name: serial, in: path, required: true, schema: {type: string}}]
        responses:
          "204": {description: Scrapped}
          "401": {description: No token}
          "404": {description: None such}
    /me:
      get:
        operationId: whoAmI
        responses:
          "200": {description: You, content: {application/json: {schema: {type: object}}}}
          "401": {description: No token}
"""


def test_a_security_case_whose_path_parameter_nothing_makes_is_left_out_and_explained() -> None:
    """No 'without credentials' on a made-up serial; --explain names security among what is left out."""
    task = cdspec.parse_task(UNGROUNDED)
    ids = {case.id.rsplit("-", 1)[0] for case in generate_cases(task, seed=0)}
    assert not any("scrapWidget" in case_id for case_id in ids)
    # no account can be made, yet a request without credentials needs none: those cases stay
    assert {"security-whoAmI.none", "security-whoAmI.invalid"} <= ids
    text = explain(task)
    assert (
        "left out scrapWidget (response, negative, security): nothing in the contract makes a serial"
        " for /widgets/{serial}" in text
    )
    assert "left out whoAmI (response, negative): " in text


# --------------------------------------------------------------------------- a lenient server


def test_negative_steps_are_independent_on_a_server_that_coerces(server: PinboardServer, task: cdspec.Task) -> None:
    """An accepted bad body changes nothing a later step uses: its only failures are the accepted steps themselves.

    The lenient server takes ``12345`` as the text ``"12345"``: a board
    update then gets a new slug, a member update a new handle (and the old
    token stops working). Each later step has its own board or account, so
    every failure is a 2xx that the step's ``behaviour`` allows, never a 401
    or 404 caused by an earlier step.
    """
    for seed in (0, 1):
        cases = generate_cases(task, seed=seed, kinds=["negative"])
        by_id = {case.id: case for case in cases}
        report = _run(server, cases, "lenient")
        accepted = [f for f in report.failures() if f.kind == "status"]
        assert {f.case_id.rsplit("-", 1)[0] for f in accepted} >= {
            "negative-editBoard.type",
            "negative-editMe.type",
            "negative-createBoard.type",
        }
        for failure in report.failures():
            assert failure.kind == "status", _failures(report)
            assert str(failure.observed).startswith("2"), _failures(report)
            assert "2XX" in _status(by_id[failure.case_id], failure.step).args["behaviour"]
            assert failure.deviation, _failures(report)


def test_each_negative_step_has_its_own_values_and_updates_its_own_thing(task: cdspec.Task) -> None:
    """No unique value is sent by two steps; each update step after the first has a new board or account."""
    cases = {c.id.rsplit("-", 1)[0]: c for c in generate_cases(task, seed=2, kinds=["negative"])}
    for case in cases.values():
        calls = [s for s in case.steps if s.name.split(". ", 1)[1].startswith("call ")]
        sent = [_vars(s.request.body) for s in calls]
        for i, first in enumerate(sent):
            for second in sent[i + 1 :]:
                assert not first & second, case.id
    boards = [s.request.path_params["slug"] for s in cases["negative-editBoard.type"].steps if "call " in s.name]
    creates = [s for s in cases["negative-editBoard.type"].steps if s.request.operation == "createBoard"]
    assert len(boards) == len(creates) >= 2
    accounts = [s.request.auth for s in cases["negative-editMe.type"].steps if "call " in s.name]
    assert len(accounts) == len(set(accounts)) >= 2
    assert accounts[:2] == ["user", "user2"]


def test_a_wrong_type_may_be_accepted_a_value_out_of_range_or_a_missing_property_may_not(
    task: cdspec.Task, tmp_path: Path
) -> None:
    """``behaviour: [2XX, 4XX]`` on wrong-typed steps, the default elsewhere; kept in case files."""
    cases = generate_cases(task, seed=0)
    seen = {"type": 0, "range": 0, "missing": 0}
    for case in cases:
        how = case.id.rsplit("-", 1)[0].rsplit(".", 1)[-1]
        for step in case.steps:
            for expectation in step.expect:
                if expectation.kind != "status":
                    continue
                if case.kind == "negative" and how == "type" and "call " in step.name:
                    seen[how] += 1
                    assert list(expectation.args["behaviour"]) == ["2XX", "4XX"]
                else:
                    seen["missing"] += how == "missing"
                    seen["range"] += how == "range"
                    assert "behaviour" not in expectation.args, (case.id, step.name)
    assert min(seen.values()) > 0
    (tmp_path / "cases.jsonl").write_text(dump_cases(cases), encoding="utf-8")
    assert load_cases(tmp_path / "cases.jsonl") == cases  # valid against case.schema.json, and the same


# --------------------------------------------------------------------------- strings named like URLs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_avatar_is_a_url_for_a_server_that_wants_one(server: PinboardServer, task: cdspec.Task, seed: int) -> None:
    """The drawn avatar is an https URL: a server that refuses other strings still passes every case."""
    cases = generate_cases(task, seed=seed, kinds=["lifecycle", "response"])
    avatars = [
        step.request.body["member"]["avatar"]
        for case in cases
        for step in case.steps
        if step.request.operation == "editMe"
    ]
    assert avatars
    assert all(isinstance(a, str) and URL.match(a) for a in avatars), avatars
    report = _run(server, cases, "url-avatar")
    assert report.pass_rate == 1.0, _failures(report)


def test_a_dropped_bio_is_still_caught_on_a_server_that_wants_a_url(server: PinboardServer, task: cdspec.Task) -> None:
    """The update is accepted, so its read-back finds the bio the seeded bug drops (it was masked by a 422)."""
    cases = tuple(c for c in generate_cases(task, seed=0, kinds=["lifecycle"]) if "editMe" in c.id)
    server.mutant = "bio-dropped"
    try:
        report = _run(server, cases, "url-avatar")
    finally:
        server.mutant = ""
    assert [f.kind for f in report.failures()] == ["equals"]
    assert "bio" in report.failures()[0].description


URLS = """
id: urls
title: URLs
goal: Strings named like URLs.
target: {language: python, framework: fastapi}
contract:
  openapi: 3.0.3
  info: {title: URLs, version: "1"}
  paths:
    /pages:
      post:
        operationId: makePage
        requestBody:
          required: true
          content:
            application/json:
              schema:
                type: object
                required: [page]
                properties:
                  page:
                    type: object
                    required: [title, avatar_url, photoUrl, image, website, link, picture, homepage, tiny, homepageURL]
                    properties:
                      title: {type: string}
                      avatar_url: {type: string}
                      photoUrl: {type: string, maxLength: 40}
                      image: {type: string, pattern: "^https://"}
                      website: {type: string, pattern: "^[a-z]+$"}
                      link: {type: string, format: uri}
                      picture: {type: string, maxLength: 10}
                      homepage: {type: string, nullable: true}
                      homepageURL: {type: string}
                      tiny: {type: string}
        responses:
          "201": {description: Made}
"""


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_strings_named_like_urls_are_urls_within_the_schema(seed: int) -> None:
    """An https URL for URL names without a format, within maxLength and pattern; as before when none fits."""
    task = cdspec.parse_task(URLS)
    case = next(c for c in generate_cases(task, seed=seed) if c.id.startswith("response-makePage"))
    page = case.steps[-1].request.body["page"]
    for name in ("avatar_url", "photoUrl", "image", "homepageURL"):
        assert URL.match(page[name]), (name, page[name])
    assert page["homepage"] is None or URL.match(page["homepage"])  # nullable: null stays a valid choice
    assert len(page["photoUrl"]) <= 40
    assert re.fullmatch("[a-z]+", page["website"])  # a pattern no URL matches: drawn as before
    assert not str(page["picture"]).startswith("https://")  # 10 characters hold no URL
    assert len(page["picture"]) <= 10
    assert "://" in page["link"]  # format: uri is drawn by its format
    assert page["title"] == {"$var": "title1"} or "$var" in page["title"]  # other text stays a unique value
    assert page["tiny"] != page["title"]
    assert dump_cases(generate_cases(task, seed=seed)) == dump_cases(generate_cases(task, seed=seed))


def test_explain_lists_the_left_out_security_cases_on_the_command_line(tmp_path: Path) -> None:
    """``cdspec cases --explain`` prints the same line a notebook gets."""
    (tmp_path / "task.yaml").write_text(UNGROUNDED, encoding="utf-8")
    out = io.StringIO()
    assert cli.main(["cases", "--explain", str(tmp_path / "task.yaml")], out=out, err=io.StringIO()) == 0
    assert "left out scrapWidget (response, negative, security)" in out.getvalue()


def test_a_parameter_whose_only_producer_is_skipped_is_not_made_up() -> None:
    """The library skips createReservation (its drawn request would fail): cancelReservation's cases are left out."""
    library = cdspec.load_task(TASK.parent.parent.parent / "examples" / "library" / "task.yaml")
    ids = [case.id for case in generate_cases(library, seed=0, kinds=["security"])]
    assert ids
    assert not any("cancelReservation" in case_id for case_id in ids)
    assert (
        "left out cancelReservation (response, negative, security): only createReservation makes a reservationId"
        " for /reservations/{reservationId}, and it is skipped (skip: response)" in explain(library)
    )
