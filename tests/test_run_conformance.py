"""Behaviour and form: a response that breaks the contract in form only is a deviation, not a failure of behaviour."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdspec import CdspecError
from cdspec.cases.model import Case, Expectation, Request, Step
from cdspec.run import CONFORMANCE, Report, run_cases

PROFILE = {
    "type": "object",
    "required": ["profile"],
    "properties": {
        "profile": {
            "type": "object",
            "required": ["username", "bio"],
            "properties": {"username": {"type": "string"}, "bio": {"type": "string"}},
        }
    },
}
ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "object", "required": ["body"]}},
}
RESPONSES = {
    "201": {"media_type": "application/json", "schema": PROFILE},
    "401": {"media_type": "application/json", "schema": ERROR},
    "422": {"media_type": "application/json", "schema": ERROR},
}


def app_answering(status: str, body: Any, content_type: str = "application/json") -> Callable[..., Iterable[bytes]]:
    """A WSGI app that answers every request with ``status`` and ``body``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        start_response(status, [("Content-Type", content_type)])
        return [payload]

    return app


def one_step(*expect: Expectation) -> Case:
    return Case("c", "response", "one step", [Step("s", Request("POST", "/profiles", body={}, has_body=True), expect)])


def verdicts(report: Report) -> list[tuple[str, bool, bool]]:
    return [(a.kind, a.passed, a.deviation) for a in report.assertions]


STATUS_201 = Expectation("status", {"statuses": ["201"]})
DOCUMENTED = Expectation("documented", {"responses": RESPONSES})
GOOD = {"profile": {"username": "ann", "bio": "hi"}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # the contract's own answer: nothing to say
        ("201 Created", GOOD, [("status", True, False), ("documented", True, False)]),
        # 200 for 201: the status deviates, and 200 is not a documented status
        ("200 OK", GOOD, [("status", False, True), ("documented", False, True)]),
        # null for a string in a success body: form only
        (
            "201 Created",
            {"profile": {"username": "ann", "bio": None}},
            [("status", True, False), ("documented", False, True)],
        ),
        # a required property absent from a success body: a client cannot read it
        ("201 Created", {"profile": {"username": "ann"}}, [("status", True, False), ("documented", False, False)]),
        # another envelope: the documented object is not there at all
        ("201 Created", {"user": {"username": "ann"}}, [("status", True, False), ("documented", False, False)]),
        # a list where an object is due
        ("201 Created", [GOOD], [("status", True, False), ("documented", False, False)]),
        # a server error is never a deviation
        ("500 Internal Server Error", {"detail": "boom"}, [("status", False, False), ("documented", False, False)]),
        # a refusal where success is due: behaviour
        (
            "422 Unprocessable Entity",
            {"errors": {"body": ["x"]}},
            [("status", False, False), ("documented", True, False)],
        ),
    ],
)
def test_success_expected(status: str, body: Any, expected: list[tuple[str, bool, bool]]) -> None:
    report = run_cases([one_step(STATUS_201, DOCUMENTED)], app=app_answering(status, body))
    assert verdicts(report) == expected


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        ("401 Unauthorized", {"errors": {"body": ["no"]}}, [("status", True, False), ("documented", True, False)]),
        # 403 for 401, with another error body: both in form only
        ("403 Forbidden", {"detail": "Not authenticated"}, [("status", False, True), ("documented", False, True)]),
        # a documented 401 body of another shape
        ("401 Unauthorized", {"message": "Unauthorized"}, [("status", True, False), ("documented", False, True)]),
        # an error page that is not JSON, on a documented JSON error: form
        ("401 Unauthorized", b"<h1>no</h1>", [("status", True, False), ("documented", False, True)]),
        # accepted: the behaviour (refusing) does not hold
        ("201 Created", GOOD, [("status", False, False), ("documented", True, False)]),
    ],
)
def test_refusal_expected(status: str, body: Any, expected: list[tuple[str, bool, bool]]) -> None:
    report = run_cases(
        [one_step(Expectation("status", {"statuses": ["401"]}), DOCUMENTED)],
        app=app_answering(status, body),
    )
    assert verdicts(report) == expected


def test_declared_behaviour_statuses() -> None:
    """A wrong-typed value a server may coerce: accepting it deviates in form; a 5xx still fails."""
    lenient = Expectation("status", {"statuses": ["422"], "behaviour": ["2XX", "4XX"]})
    accepted = run_cases([one_step(lenient)], app=app_answering("200 OK", GOOD))
    assert verdicts(accepted) == [("status", False, True)]
    assert "the behaviour holds: 2XX, 4XX" in accepted.assertions[0].reason
    crashed = run_cases([one_step(lenient)], app=app_answering("500 Internal Server Error", {}))
    assert verdicts(crashed) == [("status", False, False)]


def test_content_type_is_form_and_state_is_behaviour() -> None:
    case = one_step(
        Expectation("content_type", {"media_type": "application/json"}),
        Expectation("equals", {"pointer": "/profile/bio", "value": "hello"}),
    )
    report = run_cases([case], app=app_answering("201 Created", GOOD, "text/json"))
    assert verdicts(report) == [("content_type", False, True), ("equals", False, False)]


def test_report_mode_passes_deviations_and_still_lists_them() -> None:
    app = app_answering("200 OK", {"profile": {"username": "ann", "bio": None}})
    enforced = run_cases([one_step(STATUS_201, DOCUMENTED)], app=app)
    reported = run_cases([one_step(STATUS_201, DOCUMENTED)], app=app, conformance="report")
    assert [a.passed for a in enforced.assertions] == [False, False]
    assert [a.passed for a in reported.assertions] == [True, True]
    assert len(enforced.deviations()) == len(reported.deviations()) == 2
    assert reported.failures() == ()
    assert all(a.reason.startswith("deviation: ") for a in reported.assertions)
    assert enforced.summary().endswith("2 of the 2 failures deviate from the contract in form only")
    assert reported.summary() == (
        "2/2 assertions passed (100.0%); 0 of 1 cases failed; 2 passed deviating from the contract in form only"
    )
    data = reported.to_data()
    assert data["conformance"] == "report"
    assert data["deviations"] == 2
    assert [a["deviation"] for a in data["cases"][0]["assertions"]] == [True, True]


def test_unknown_conformance_is_an_error() -> None:
    with pytest.raises(CdspecError, match="conformance must be one of enforce, report"):
        run_cases([], app=app_answering("200 OK", {}), conformance="lenient")  # type: ignore[arg-type]


@given(
    code=st.integers(min_value=200, max_value=599),
    expected=st.lists(st.integers(min_value=200, max_value=599).map(str), min_size=1, max_size=3),
    mode=st.sampled_from(CONFORMANCE),
)
def test_status_verdict_rules(code: int, expected: list[str], mode: str) -> None:
    """Exact match passes; the same class deviates; another class or an unexpected 5xx fails."""
    report = run_cases(
        [one_step(Expectation("status", {"statuses": expected}))],
        app=app_answering(f"{code} X", {}),
        conformance=mode,  # type: ignore[arg-type]
    )
    (result,) = report.assertions
    exact = str(code) in expected
    same_class = any(e[0] == str(code)[0] for e in expected)
    assert result.deviation == (not exact and same_class)
    assert result.passed == (exact or (same_class and mode == "report"))


@pytest.mark.parametrize("mode", CONFORMANCE)
def test_reports_match_the_run_schema(mode: str) -> None:
    """``cdspec run --json`` writes what schemas/run.schema.json describes, failures with their exchange included."""
    from cdspec._schemas import schema, schema_problems

    case = one_step(STATUS_201, DOCUMENTED, Expectation("equals", {"pointer": "/profile/bio", "value": "x"}))
    report = run_cases([case], app=app_answering("200 OK", GOOD), conformance=mode)  # type: ignore[arg-type]
    data = report.to_data()
    assert any("response" in a for a in data["cases"][0]["assertions"])
    assert schema_problems(schema("run"), data) == []
    data["conformance"] = "lenient"
    assert schema_problems(schema("run"), data) != []


def test_run_command_marks_form_and_reports_it_on_request(tmp_path: Any) -> None:
    """`cdspec run` marks a deviation FORM and exits 1; with --conformance report it exits 0 and says so."""
    import io
    import socket

    from cdspec.cli import main
    from cdspec.load import dump_cases

    from .servers import raw_server, read_request

    def created_as_ok(conn: socket.socket) -> None:
        read_request(conn)
        body = json.dumps(GOOD).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)

    path = tmp_path / "cases.jsonl"
    path.write_text(dump_cases([one_step(STATUS_201)]), encoding="utf-8")
    with raw_server(created_as_ok) as url:
        out = io.StringIO()
        assert main(["run", str(path), "--base-url", url], out=out, err=io.StringIO()) == 1
        assert "FORM c / s [status]: status 200, expected one of 201 (the behaviour holds: 2XX)" in out.getvalue()
        out = io.StringIO()
        assert main(["run", str(path), "--base-url", url, "--conformance", "report"], out=out, err=io.StringIO()) == 0
        assert out.getvalue() == (
            "1/1 assertions passed (100.0%); 0 of 1 cases failed; 1 passed deviating from the contract in form only\n"
        )
