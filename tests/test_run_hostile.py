"""The runner against hostile servers and hostile case files: failed assertions with reasons, never a raise or a hang.

One raw loopback server (module fixture) answers by path: it trickles
headers, sends bodies nested 200,000 levels deep, values that make a
backtracking pattern explode, rate limits, counts who fetched a schema from
it, and echoes what it was sent.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdspec.run
from cdspec.cases.model import Case, Expectation, Request, Step
from cdspec.cli import main
from cdspec.load import dump_cases
from cdspec.run import Report, run_cases

from .servers import raw_server, read_request


class Hostile:
    """What the hostile server saw: hits per path, connections it could not finish, requests it was sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.cut: list[str] = []
        self.requests: list[bytes] = []

    def hit(self, key: str) -> int:
        with self.lock:
            self.hits[key] = self.hits.get(key, 0) + 1
            return self.hits[key]


def _respond(conn: socket.socket, status: str, body: bytes, headers: tuple[str, ...] = ()) -> None:
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    head += [*headers, "Connection: close", "", ""]
    conn.sendall("\r\n".join(head).encode("latin-1") + body)


def _handle(conn: socket.socket, seen: Hostile) -> None:
    data = read_request(conn, timeout=5)
    if b"\r\n\r\n" not in data:
        return
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(rest) < length:
        rest += conn.recv(65536)
    seen.requests.append(data[: len(head)] + b"\r\n\r\n" + rest)
    target = head.split(b" ")[1].decode("ascii")
    path = urlsplit(target).path
    query = dict(parse_qsl(urlsplit(target).query))
    count = seen.hit(path + "?" + query.get("key", ""))
    if path == "/trickle":  # one header byte at a time, never a whole response in time
        response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n{}"
        for byte in response:
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                seen.cut.append(path)
                return
            threading.Event().wait(0.05)
        return
    if path == "/deep":
        _respond(conn, "200 OK", b"[" * 200_000)
    elif path == "/redos":
        _respond(conn, "200 OK", json.dumps({"name": "a" * 40 + "!"}).encode())
    elif path == "/limited":  # 429 for the first `times` requests of each key
        if count <= int(query.get("times", "0")):
            _respond(conn, "429 Too Many Requests", b"{}", (f"Retry-After: {query.get('after', '1')}",))
        else:
            _respond(conn, "200 OK", b"{}")
    elif path == "/schema-target":
        _respond(conn, "200 OK", b'{"type": "string"}')
    elif path == "/nasty":
        _respond(conn, "500 Internal Server Error", b'{"trace": "<script>alert(1)</script>\x00\x01 end"}')
    else:
        _respond(conn, "200 OK", json.dumps({"echo": rest.decode("utf-8", "replace"), "target": target}).encode())


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[str, Hostile]]:
    seen = Hostile()
    with raw_server(lambda conn: _handle(conn, seen)) as url:
        yield url, seen


def case(case_id: str, request: Request, *expect: Expectation, **fields: Any) -> Case:
    return Case(
        case_id,
        "response",
        case_id,
        [Step("s", request, expect or [Expectation("status", {"statuses": ["200"]})])],
        **fields,
    )


def only_reason(report: Report) -> str:
    (reason,) = {a.reason for a in report.failures()}
    return reason


# --------------------------------------------------------------------------- the server's side


def test_a_total_deadline_stops_a_server_that_trickles_its_headers(hostile: tuple[str, Hostile]) -> None:
    """A header byte every 50 ms resets no per-read timeout: the whole request has 0.3 s, then the runner hangs up."""
    url, seen = hostile
    report = run_cases([case("t", Request("GET", "/trickle"))], base_url=url, request_timeout=0.3)
    assert only_reason(report) == "no response within 0.3 s"
    for _ in range(100):  # the server notices the hang-up at its next byte
        if "/trickle" in seen.cut:
            break
        threading.Event().wait(0.05)
    assert seen.cut == ["/trickle"]


def test_a_body_nested_200000_levels_deep_fails_its_assertions(hostile: tuple[str, Hostile]) -> None:
    """`[` * 200,000 is not a RecursionError out of run_cases: each body check fails with the reason."""
    url, _ = hostile
    steps = Request("GET", "/deep")
    report = run_cases(
        [
            case(
                "deep",
                steps,
                Expectation("status", {"statuses": ["200"]}),
                Expectation("schema", {"schema": {"type": "array"}}),
                Expectation("equals", {"pointer": "/0", "value": 1}),
            )
        ],
        base_url=url,
    )
    assert [a.passed for a in report.assertions] == [True, False, False]
    assert {a.reason for a in report.failures()} == {
        "the body is not JSON cdspec checks: nested more than 64 levels deep"
    }


def test_a_pattern_that_backtracks_forever_is_unchecked_not_hung(hostile: tuple[str, Hostile]) -> None:
    """`^(a|a)*$` against 40 a's and a '!' is left unchecked after its time bound, and says so."""
    url, _ = hostile
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a|a)*$"}}}
    report = run_cases(
        [case("redos", Request("GET", "/redos"), Expectation("schema", {"schema": schema}))], base_url=url
    )
    (assertion,) = report.assertions
    assert assertion.passed
    assert assertion.reason.startswith("unchecked: 'aaaa")
    assert "against pattern '^(a|a)*$'" in assertion.reason


def test_patterns_still_fail_values_that_do_not_match(hostile: tuple[str, Hostile]) -> None:
    """The bounded engine is still an engine: a plain mismatch fails, with the pointer."""
    url, _ = hostile
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^b+$"}}}
    report = run_cases([case("p", Request("GET", "/redos"), Expectation("schema", {"schema": schema}))], base_url=url)
    assert only_reason(report).startswith("body does not match the documented schema at /name: 'aaaa")


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "{url}/schema-target"},
        {"$id": "{url}/", "$ref": "schema-target"},
        {"$dynamicRef": "{url}/schema-target#meta"},
        {"type": "object", "properties": {"echo": {"$ref": "{url}/schema-target"}}},
    ],
    ids=["ref", "relative-to-id", "dynamic-ref", "nested-ref"],
)
def test_response_schemas_never_fetch_a_reference(hostile: tuple[str, Hostile], schema: dict[str, Any]) -> None:
    """A reference outside the schema fails the case; the server it names is never asked."""
    url, seen = hostile
    filled = json.loads(json.dumps(schema).replace("{url}", url))
    before = seen.hits.get("/schema-target?", 0)
    for expectation in (
        Expectation("schema", {"schema": filled}),
        Expectation("documented", {"responses": {"200": {"media_type": "application/json", "schema": filled}}}),
    ):
        report = run_cases([case("r", Request("GET", "/echo"), expectation)], base_url=url)
        assert report.pass_rate == 0.0
        assert "outside itself" in only_reason(report)
    assert seen.hits.get("/schema-target?", 0) == before


def test_response_schemas_never_read_a_file(hostile: tuple[str, Hostile], tmp_path: Path) -> None:
    """A `file://` reference is refused like any other: the file's schema (which would pass) is not used."""
    url, _ = hostile
    target = tmp_path / "schema.json"
    target.write_text('{"type": "object"}', encoding="utf-8")
    for schema in ({"$ref": target.as_uri()}, {"$id": tmp_path.as_uri() + "/", "$ref": "schema.json"}):
        report = run_cases(
            [case("f", Request("GET", "/echo"), Expectation("schema", {"schema": schema}))], base_url=url
        )
        assert "outside itself" in only_reason(report)


def test_every_schema_error_is_reported_not_the_first(hostile: tuple[str, Hostile]) -> None:
    """A null where a string belongs does not hide a dropped required field."""
    url, _ = hostile
    schema = {
        "type": "object",
        "required": ["echo", "target", "id"],
        "properties": {"echo": {"type": "integer"}, "target": {"type": "string", "maxLength": 2}},
    }
    report = run_cases([case("all", Request("GET", "/echo"), Expectation("schema", {"schema": schema}))], base_url=url)
    reason = only_reason(report)
    assert reason.startswith("body does not match the documented schema (3 errors): at /: 'id' is a required property")
    assert "at /echo: '' is not of type 'integer'" in reason
    assert "at /target: '/echo' is too long" in reason


def test_a_null_does_not_hide_a_dropped_field() -> None:
    """A body with `title: null` and no `id` fails for both, in pointer order, with the count."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"title": null}']

    schema = {"type": "object", "required": ["id", "title"], "properties": {"title": {"type": "string"}}}
    documented = {"200": {"media_type": "application/json", "schema": schema}}
    report = run_cases(
        [case("null", Request("GET", "/b"), Expectation("documented", {"responses": documented}))], app=app
    )
    assert only_reason(report) == (
        "status 200: body does not match the documented schema (2 errors): "
        "at /: 'id' is a required property; at /title: None is not of type 'string'"
    )


# --------------------------------------------------------------------------- the case file's side


HOSTILE_CASES = {
    "crlf-header": (
        Request("GET", "/echo", headers={"X-Note": "a\r\nInjected: yes"}),
        "the request cannot be sent: header X-Note: its value has a line break or NUL at position 1",
    ),
    "non-latin-1-header": (
        Request("GET", "/echo", headers={"X-Note": "price in €"}),
        "the request cannot be sent: header X-Note: its value has a character outside Latin-1 at position 9",
    ),
    "bad-header-name": (
        Request("GET", "/echo", headers={"X Note": "x"}),
        "the case is invalid: step 's': header name 'X Note' is not an HTTP token",
    ),
    "huge-now": (
        Request("POST", "/echo", body={"at": {"$now": "P999999999999D"}}, has_body=True),
        "$now 'P999999999999D' is out of range (at most 999999999 days)",
    ),
    "now-past-9999": (
        Request("POST", "/echo", body={"at": {"$now": "P999999999D"}}, has_body=True),
        "$now 'P999999999D' is out of range (past the year 9999)",
    ),
}

INVALID_SCHEMAS = {
    "invalid-pattern": (
        {"type": "string", "pattern": "("},
        "the case is invalid: step 's', schema expectation: the schema is invalid at /pattern: '(' is not a 'regex'",
    ),
    "non-string-type": (
        {"type": 5},
        "the case is invalid: step 's', schema expectation: the schema is invalid at /type: "
        "5 is not valid under any of the given schemas",
    ),
    "file-ref": (
        {"$ref": "file:///etc/passwd"},
        "the case is invalid: step 's', schema expectation: the schema refers to 'file:///etc/passwd', "
        "outside itself (cdspec resolves references only inside a schema)",
    ),
}


def hostile_cases() -> list[Case]:
    made = [case(name, request) for name, (request, _) in HOSTILE_CASES.items()]
    made += [
        case(name, Request("GET", "/echo"), Expectation("schema", {"schema": schema}))
        for name, (schema, _) in INVALID_SCHEMAS.items()
    ]
    made.append(case("good", Request("GET", "/echo")))
    return made


def test_a_bad_case_fails_with_its_reason_and_the_others_still_run(hostile: tuple[str, Hostile]) -> None:
    """Header injection, non-Latin-1 values, bad names, absurd durations and unusable schemas fail their own case."""
    url, _ = hostile
    report = run_cases(hostile_cases(), base_url=url)
    reasons = {c.case_id: {a.reason for a in c.assertions} for c in report.cases}
    expected = {name: {reason} for name, (_, reason) in {**HOSTILE_CASES, **INVALID_SCHEMAS}.items()}
    assert reasons == {**expected, "good": {""}}


def test_a_case_cdspec_cannot_run_fails_alone(hostile: tuple[str, Hostile]) -> None:
    """A case built in Python past what the schema allows (`free: "abc"`) fails by itself; the next case runs."""
    url, _ = hostile
    broken = case("broken", Request("GET", "/echo"), vars={"n": {"$unique": "digits", "like": "123", "free": "abc"}})
    report = run_cases([broken, case("good", Request("GET", "/echo"))], base_url=url)
    assert [c.passed for c in report.cases] == [False, True]
    assert only_reason(report).startswith("cdspec could not run this case (ValueError: ")


def test_a_non_ascii_path_is_percent_encoded_as_utf8(hostile: tuple[str, Hostile]) -> None:
    """`/café/{name}` goes out as `/caf%C3%A9/...`; existing escapes and reserved characters stay as they are."""
    url, _ = hostile
    request = Request("GET", "/café/{name}/a%20b/x y", path_params={"name": "ü/ß"})
    report = run_cases(
        [
            case(
                "path",
                request,
                Expectation("equals", {"pointer": "/target", "value": "/caf%C3%A9/%C3%BC%2F%C3%9F/a%20b/x%20y"}),
            )
        ],
        base_url=url,
    )
    assert report.pass_rate == 1.0


def test_the_run_command_survives_a_file_of_hostile_cases(hostile: tuple[str, Hostile], tmp_path: Path) -> None:
    """`cdspec run` on a file of hostile cases prints each failure and exits 1: no traceback, the good case passes.

    A case file whose schema refers outside itself (``file://``) is refused when it is loaded, naming the line
    and pointer (the loader's rule); built in Python, the same case fails alone (test above).
    """
    url, _ = hostile
    path = tmp_path / "cases.jsonl"
    path.write_text(dump_cases([c for c in hostile_cases() if c.id != "file-ref"]), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(path), "--base-url", url], out=out, err=err) == 1
    assert err.getvalue() == ""
    assert out.getvalue().startswith("1/8 assertions passed (12.5%); 7 of 8 cases failed\n")
    assert "FAIL crlf-header / s [status]: the request cannot be sent" in out.getvalue()
    path.write_text(dump_cases(hostile_cases()), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(path), "--base-url", url], out=out, err=err) == 1
    assert out.getvalue() == ""
    assert "cases.jsonl:8: /steps/0/expect/0/schema/$ref: $ref 'file:///etc/passwd' points outside" in err.getvalue()


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "0", "soon"])
def test_bad_timeouts_are_usage_errors(tmp_path: Path, value: str) -> None:
    """`--request-timeout -1` or `nan` is a one-line error (exit 2), not a traceback."""
    path = tmp_path / "cases.jsonl"
    path.write_text(dump_cases([case("c", Request("GET", "/"))]), encoding="utf-8")
    for option in ("--request-timeout", "--case-timeout"):
        err = io.StringIO()
        assert (
            main(["run", str(path), "--base-url", "http://127.0.0.1:9", option, value], out=io.StringIO(), err=err) == 2
        )
        assert err.getvalue().startswith(f"cdspec: error: {option} ")
        assert err.getvalue().count("\n") == 1


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), 0])
def test_bad_timeouts_are_cdspec_errors_in_the_api(value: float) -> None:
    from cdspec import CdspecError

    with pytest.raises(CdspecError, match="request_timeout must be"):
        run_cases([], base_url="http://127.0.0.1:9", request_timeout=value)


# --------------------------------------------------------------------------- $env


SECRET = "correct-horse-battery"


def env_case(case_id: str, *expect: Expectation) -> Case:
    """A case that posts `$env: CDSPEC_TEST_SECRET` to the echo path."""
    body = {"password": {"$env": "CDSPEC_TEST_SECRET"}}
    return case(case_id, Request("POST", "/echo", body=body, has_body=True), *expect)


def test_env_reads_only_allowed_variables(hostile: tuple[str, Hostile], monkeypatch: pytest.MonkeyPatch) -> None:
    """The process environment is closed to `$env` unless a name is allowed; the refusal says how to allow it."""
    url, _ = hostile
    monkeypatch.setenv("CDSPEC_TEST_SECRET", SECRET)
    steps = env_case("env", Expectation("status", {"statuses": ["200"]}))
    refused = run_cases([steps], base_url=url)
    assert only_reason(refused) == (
        "environment variable CDSPEC_TEST_SECRET is not allowed to be read "
        "(allow it with --allow-env CDSPEC_TEST_SECRET or run_cases(..., allow_env=['CDSPEC_TEST_SECRET']))"
    )
    assert run_cases([steps], base_url=url, allow_env=["CDSPEC_TEST_SECRET"]).pass_rate == 1.0
    assert run_cases([steps], base_url=url, env={"CDSPEC_TEST_SECRET": "x"}).pass_rate == 1.0
    assert run_cases([steps], base_url=url, env={"CDSPEC_TEST_SECRET": "x"}, allow_env=[]).pass_rate == 0.0


def test_reports_never_carry_environment_values(
    hostile: tuple[str, Hostile], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server that echoes a secret, and an expectation that quotes it, still leave it out of every output."""
    url, _ = hostile
    monkeypatch.setenv("CDSPEC_TEST_SECRET", SECRET)
    echoed = env_case(
        "leak",
        Expectation("status", {"statuses": ["201"]}),
        Expectation("equals", {"pointer": "/echo", "value": {"$env": "CDSPEC_TEST_SECRET"}}),
    )
    report = run_cases([echoed], base_url=url, allow_env=["CDSPEC_TEST_SECRET"])
    assert report.passed == 0
    outputs = [json.dumps(report.to_data()), report.to_junit(), report.to_html(), report._repr_html_()]
    assert all(SECRET not in text for text in outputs)
    assert "***" in report.failures()[0].request
    path = tmp_path / "cases.jsonl"
    path.write_text(dump_cases([echoed]), encoding="utf-8")
    out = io.StringIO()
    assert (
        main(["run", str(path), "--base-url", url, "--allow-env", "CDSPEC_TEST_SECRET"], out=out, err=io.StringIO())
        == 1
    )
    assert "expected '***'" in out.getvalue()
    assert SECRET not in out.getvalue()


# --------------------------------------------------------------------------- pacing and 429


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The runner's sleeps, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(cdspec.run.time, "sleep", recorded.append)
    return recorded


def test_pace_spaces_requests(hostile: tuple[str, Hostile], sleeps: list[float]) -> None:
    """With a pace, the runner waits before each request after the first."""
    url, _ = hostile
    cases = [case(f"p{i}", Request("GET", "/echo")) for i in range(3)]
    assert run_cases(cases, base_url=url, pace=0.25).pass_rate == 1.0
    assert len(sleeps) == 2
    assert all(0 < pause <= 0.25 for pause in sleeps)
    sleeps.clear()
    run_cases(cases, base_url=url)
    assert sleeps == []


def test_429_is_retried_after_its_retry_after(hostile: tuple[str, Hostile], sleeps: list[float]) -> None:
    """Two 429s with `Retry-After: 2`, then 200: the step passes after two waits of 2 s."""
    url, seen = hostile
    request = Request("GET", "/limited", query={"key": "twice", "times": "2", "after": "2"})
    assert run_cases([case("r", request)], base_url=url).pass_rate == 1.0
    assert sleeps == [2.0, 2.0]
    assert seen.hits["/limited?twice"] == 3
    sleeps.clear()
    dated = Request("GET", "/limited", query={"key": "dated", "times": "1", "after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert run_cases([case("d", dated)], base_url=url).pass_rate == 1.0
    assert sleeps == [0.0]  # an HTTP date in the past: retry at once


def test_429_retries_are_bounded(hostile: tuple[str, Hostile], sleeps: list[float]) -> None:
    """At most `retries` retries; a Retry-After past `max_retry_wait` is not waited; an expected 429 is not retried."""
    url, seen = hostile
    forever = Request("GET", "/limited", query={"key": "forever", "times": "100", "after": "0"})
    report = run_cases([case("f", forever)], base_url=url, retries=2)
    assert only_reason(report) == "status 429, expected one of 200"
    assert seen.hits["/limited?forever"] == 3
    long = Request("GET", "/limited", query={"key": "long", "times": "1", "after": "3600"})
    assert run_cases([case("l", long)], base_url=url).pass_rate == 0.0
    assert seen.hits["/limited?long"] == 1
    expected = Request("GET", "/limited", query={"key": "expected", "times": "5", "after": "0"})
    limited = case("e", expected, Expectation("status", {"statuses": ["429"]}))
    assert run_cases([limited], base_url=url).pass_rate == 1.0
    assert seen.hits["/limited?expected"] == 1
    assert sleeps == [0.0, 0.0]


# --------------------------------------------------------------------------- what a failure shows


def nasty_report(url: str) -> Report:
    return run_cases(
        [
            case(
                "nasty",
                Request("POST", "/nasty", body={"q": "it's"}, has_body=True),
                Expectation("status", {"statuses": ["200"]}),
                Expectation("schema", {"schema": {"type": "array"}}),
            ),
            case("fine", Request("GET", "/echo")),
        ],
        base_url=url,
    )


def test_a_failed_step_shows_the_request_as_curl_and_the_response(hostile: tuple[str, Hostile]) -> None:
    """The request as a runnable curl line, the response's status, headers and body, in the report and its JSON."""
    url, _ = hostile
    report = nasty_report(url)
    failure = report.failures()[0]
    assert failure.request == (
        f"curl -i -X POST {url}/nasty -H 'Content-Type: application/json' --data-raw '{{\"q\": \"it'\"'\"'s\"}}'"
    )
    assert failure.response["status"] == 500
    assert failure.response["headers"]["content-type"] == "application/json"
    assert failure.response["body"].startswith('{"trace": "<script>')
    data = report.to_data()["cases"][0]["assertions"][0]
    assert data["request"] == failure.request
    assert data["response"]["status"] == 500
    assert "request" not in report.to_data()["cases"][1]["assertions"][0]


def test_junit_and_html_escape_what_the_server_sent(hostile: tuple[str, Hostile]) -> None:
    """JUnit XML parses (control characters written as \\xNN) and the HTML page holds no markup of the server's."""
    url, _ = hostile
    report = nasty_report(url)
    root = ET.fromstring(report.to_junit())
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["nasty", "fine"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "s [status]: status 500, expected one of 200"
    assert "\\x00\\x01 end" in (failure.text or "")
    assert cases[1].find("failure") is None
    page = report.to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page.replace(url, "")


def test_the_run_command_writes_junit_and_html_and_never_over_a_file(
    hostile: tuple[str, Hostile], tmp_path: Path
) -> None:
    """--junit and --html write their files; an existing one is kept unless --force; the cases file never."""
    url, _ = hostile
    cases = tmp_path / "cases.jsonl"
    text = dump_cases([case("fine", Request("GET", "/echo"))])
    cases.write_text(text, encoding="utf-8")
    junit, page = tmp_path / "run.xml", tmp_path / "run.html"
    args = ["run", str(cases), "--base-url", url, "--junit", str(junit), "--html", str(page)]
    assert main(args, out=io.StringIO(), err=io.StringIO()) == 0
    assert ET.fromstring(junit.read_text(encoding="utf-8")).find("testsuite") is not None
    assert "fine" in page.read_text(encoding="utf-8")
    junit.write_text("mine", encoding="utf-8")
    err = io.StringIO()
    assert main(args, out=io.StringIO(), err=err) == 1
    assert err.getvalue() == f"{junit}: exists; give --force to replace it, or write somewhere else\n"
    assert junit.read_text(encoding="utf-8") == "mine"
    assert main([*args, "--force"], out=io.StringIO(), err=io.StringIO()) == 0
    assert junit.read_text(encoding="utf-8").startswith("<?xml")
    err = io.StringIO()
    assert (
        main(["run", str(cases), "--base-url", url, "--junit", str(cases), "--force"], out=io.StringIO(), err=err) == 1
    )
    assert "is an input" in err.getvalue()
    assert cases.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl", "run.html", "run.xml"]


def test_the_text_report_shows_the_exchange_of_a_failed_step(hostile: tuple[str, Hostile], tmp_path: Path) -> None:
    url, _ = hostile
    cases = tmp_path / "cases.jsonl"
    cases.write_text(dump_cases([case("nasty", Request("GET", "/nasty"))]), encoding="utf-8")
    out = io.StringIO()
    assert main(["run", str(cases), "--base-url", url], out=out, err=io.StringIO()) == 1
    lines = out.getvalue().splitlines()
    assert lines[1] == "  FAIL nasty / s [status]: status 500, expected one of 200"
    assert lines[2] == f"    $ curl -i -X GET {url}/nasty"
    assert lines[3] == "    HTTP 500"


def test_report_displays_stay_short() -> None:
    """A 500-case report has a one-line repr and notebook tables of at most 20 rows each."""
    from cdspec.run import AssertionResult, CaseResult

    results = tuple(
        CaseResult(
            f"c{i}",
            "response",
            "t" * 500,
            (AssertionResult(f"c{i}", "s", "status", "", i % 2 == 0, 500, "x" * 500),),
            0.1,
        )
        for i in range(500)
    )
    report = Report(results)
    assert repr(report) == "<Report 250/500 assertions passed (50.0%); 250 of 500 cases failed>"
    assert report._repr_html_().count("<tr>") == 2 * (1 + 20 + 1)
    assert len(report._repr_html_()) < 20_000
    assert len(re.findall(r"^\| c\d", report._repr_markdown_(), re.MULTILINE)) == 40
    assert len(report._repr_markdown_()) < 20_000


# --------------------------------------------------------------------------- anything at all


def _nested(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children) | st.dictionaries(st.text(max_size=3), children)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


@given(
    status=st.one_of(st.integers(100, 599).map(lambda code: f"{code} X"), st.text(max_size=4)),
    headers=st.lists(
        st.tuples(st.text("abcXYZ-", min_size=1), st.text(st.characters(min_codepoint=32, max_codepoint=255))),
        max_size=4,
    ),
    body=st.one_of(
        st.binary(max_size=300),
        st.recursive(st.none() | st.integers() | st.text(max_size=5), _nested, max_leaves=20).map(_json_bytes),
    ),
    depth=st.integers(0, 300),
)
def test_no_response_makes_run_cases_raise(
    status: str, headers: list[tuple[str, str]], body: bytes, depth: int
) -> None:
    """Whatever status line, headers and body an app sends (nested at any depth), run_cases returns a report."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json"), *headers])
        return [b"[" * depth + body + b"]" * depth]

    schema = {"type": "object", "properties": {"a": {"pattern": "^(a|a)*$"}}, "required": ["id"]}
    report = run_cases(
        [
            case(
                "any",
                Request("GET", "/x"),
                Expectation("status", {"statuses": ["2XX"]}),
                Expectation("schema", {"schema": schema}),
                Expectation(
                    "documented", {"responses": {"default": {"media_type": "application/json", "schema": schema}}}
                ),
                Expectation("equals", {"pointer": "/a/0", "value": 1}),
                Expectation("contains", {"pointer": "", "match": {"a": 1}}),
            )
        ],
        app=app,
    )
    assert report.total == 5
    assert all(a.reason == "" or not a.reason.startswith("cdspec could not check") for a in report.assertions)


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/json")])
    echoed = {"path": environ["PATH_INFO"], "body": body.decode("utf-8", "replace"), "items": [1, {"a": "b"}]}
    return [json.dumps(echoed).encode()]


def _case_data() -> st.SearchStrategy[Any]:
    from cdspec._schemas import schema as cdspec_schema
    from cdspec.cases._schema import from_schema

    document = {k: v for k, v in cdspec_schema("case").items() if k != "$id"}
    return from_schema(document, dialect="3.1")


# A slice in CI; the stress profile (HYPOTHESIS_PROFILE=stress) runs its 2,000 examples.
@settings(max_examples=25 if settings.default.max_examples < 1000 else settings.default.max_examples)
@given(data=st.data())
def test_no_case_file_makes_run_cases_raise(data: st.DataObject) -> None:
    """Any case valid against schemas/case.schema.json runs to a report (a longer run: docs/running.md)."""
    drawn = data.draw(_case_data())
    report = run_cases([Case.from_data(drawn)], app=_echo, env={"A": "b"}, case_timeout=5)
    assert report.total == Case.from_data(drawn).assertions
    assert not any(a.reason.startswith("cdspec could not") for a in report.assertions)
