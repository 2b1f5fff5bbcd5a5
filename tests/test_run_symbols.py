"""The runner's symbols ($env, $now, $unique digits, case vars), documented responses and page walking."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from hypothesis import given
from hypothesis import strategies as st

from cdspec.cases.model import Case, Expectation, Request, Step
from cdspec.run import run_cases

ITEMS = [{"id": i, "name": f"item-{i}"} for i in range(1, 24)]  # 23 items: three pages of 10


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Echoes the request as JSON; GET /items pages through ITEMS (?page=, ?size=, or ?offset=&limit=)."""
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if environ["PATH_INFO"] == "/items":
        if "offset" in query:
            start, size = int(query["offset"]), int(query.get("limit", "10"))
        else:
            size = int(query.get("size", "10"))
            start = (int(query.get("page", "1")) - 1) * size
        body: Any = {"items": ITEMS[start : start + size], "total": len(ITEMS)}
    elif environ["PATH_INFO"] == "/text":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"plain"]
    else:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        sent = json.loads(environ["wsgi.input"].read(length) or b"null")
        body = {"body": sent, "query": query, "auth": environ.get("HTTP_AUTHORIZATION")}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def run_one(step: Step, *, vars: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Any:
    case = Case("c", "scenario", "t", [step], vars=vars or {})
    return run_cases([case], app=echo_app, env=env or {}, run_id="r1")


def test_env_symbols_read_the_given_environment_and_fail_clearly_when_unset() -> None:
    step = Step(
        "s",
        Request("POST", "/echo", body={"password": {"$env": "SECRET"}}, has_body=True),
        [Expectation("equals", {"pointer": "/body/password", "value": "hunter22"})],
    )
    assert run_one(step, env={"SECRET": "hunter22"}).pass_rate == 1.0
    failed = run_one(step, env={})
    assert failed.pass_rate == 0.0
    assert failed.failures()[0].reason == "environment variable SECRET is not set (did an earlier step fail?)"


@given(days=st.integers(0, 400), minutes=st.integers(0, 59), negative=st.booleans())
def test_now_symbols_are_the_case_start_plus_a_duration(days: int, minutes: int, negative: bool) -> None:
    duration = ("-" if negative else "") + f"P{days}DT{minutes}M"
    step = Step("s", Request("POST", "/echo", body={"at": {"$now": duration}}, has_body=True), [])
    case = Case("c", "scenario", "t", [step, step], vars={"at": {"$now": duration}})
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    report = run_cases(
        [
            Case(
                "c",
                "scenario",
                "t",
                [
                    Step(
                        "s",
                        Request("POST", "/echo", body={"at": {"$var": "at"}}, has_body=True),
                        [Expectation("equals", {"pointer": "/body/at", "value": {"$var": "at"}})],
                        capture={"seen": "/body/at"},
                    ),
                    Step(
                        "again",
                        Request("POST", "/echo", body={"at": {"$now": duration}}, has_body=True),
                        [Expectation("equals", {"pointer": "/body/at", "value": {"$var": "seen"}})],
                    ),
                ],
                vars=case.vars,
            )
        ],
        app=echo_app,
        env={},
    )
    after = datetime.datetime.now(datetime.UTC)
    assert report.pass_rate == 1.0  # one "now" per case: both steps resolve to the same instant
    seen = report.cases[0].assertions[0].observed
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", seen)
    moment = datetime.datetime.fromisoformat(seen.replace("Z", "+00:00"))
    offset = datetime.timedelta(days=days, minutes=minutes) * (-1 if negative else 1)
    assert before + offset <= moment <= after + offset


@given(
    like=st.from_regex(r"\A97[89][0-9]{10}\Z"),
    free=st.integers(1, 10),
    runs=st.lists(st.text(min_size=1), min_size=2, max_size=2, unique=True),
)
def test_unique_digits_keep_the_shape_and_differ_between_runs(like: str, free: int, runs: list[str]) -> None:
    """The last ``free`` digits change; within a run each use differs, and two runs differ too."""
    symbol = {"$unique": "digits", "like": like, "free": free}
    sent: list[str] = []
    for run in runs:
        step = Step(
            "s",
            Request("POST", "/echo", body={"a": symbol, "b": symbol}, has_body=True),
            [
                Expectation("equals", {"pointer": "/body/a", "value": None}),
                Expectation("equals", {"pointer": "/body/b", "value": None}),
            ],
        )
        report = run_cases([Case("c", "scenario", "t", [step])], app=echo_app, env={}, run_id=run)
        first, second = (a.observed for a in report.cases[0].assertions)
        for value in (first, second):
            assert (len(value), value[:-free]) == (len(like), like[:-free])
            assert value[-free:].isdigit()
        assert first != second
        sent.append(first)
    assert sent[0] != sent[1] or free <= 4  # runs are told apart by a hash of their id


def test_case_vars_bind_once_so_two_steps_share_a_unique_email() -> None:
    steps = [
        Step(
            f"s{i}",
            Request("POST", "/echo", body={"email": {"$var": "email"}}, has_body=True),
            [Expectation("equals", {"pointer": "/body/email", "value": {"$var": "email"}})],
            capture={f"seen{i}": "/body/email"},
        )
        for i in range(2)
    ]
    check = Step(
        "compare",
        Request("POST", "/echo", body={"x": {"$var": "seen0"}}, has_body=True),
        [Expectation("equals", {"pointer": "/body/x", "value": {"$var": "seen1"}})],
    )
    report = run_cases(
        [Case("c", "scenario", "t", [*steps, check], vars={"email": {"$unique": "email"}})], app=echo_app, env={}
    )
    assert report.pass_rate == 1.0
    assert re.fullmatch(r"user-\w+@example\.com", report.cases[0].assertions[0].observed)


def test_booleans_in_the_query_are_sent_as_json_writes_them() -> None:
    step = Step(
        "s",
        Request("POST", "/echo", query={"available": True, "n": 5, "q": "x y"}, body={}, has_body=True),
        [Expectation("equals", {"pointer": "/query", "value": {"available": "true", "n": "5", "q": "x y"}})],
    )
    assert run_one(step).pass_rate == 1.0


DOCUMENTED = {
    "200": {"media_type": "application/json", "schema": {"type": "object", "required": ["items"]}},
    "4XX": {"media_type": "application/json"},
}


def test_documented_accepts_a_documented_status_media_type_and_body() -> None:
    ok = Step("s", Request("GET", "/items"), [Expectation("documented", {"responses": DOCUMENTED})])
    assert run_one(ok).pass_rate == 1.0


def test_documented_names_what_differs() -> None:
    wrong_body = {"200": {"media_type": "application/json", "schema": {"type": "array"}}}
    cases = {
        "undocumented status": ({"201": {}}, "status 200 is not documented (documented: 201)"),
        "media type": (
            {"200": {"media_type": "application/xml"}},
            "status 200: content type application/json, expected application/xml",
        ),
        "body": (wrong_body, "status 200: body does not match the documented schema at /: "),
    }
    for name, (responses, reason) in cases.items():
        report = run_one(Step("s", Request("GET", "/items"), [Expectation("documented", {"responses": responses})]))
        assert report.failures()[0].reason.startswith(reason), name
    text = run_one(Step("s", Request("GET", "/text"), [Expectation("documented", {"responses": DOCUMENTED})]))
    assert text.failures()[0].reason == "status 200: content type text/plain, expected application/json"
    default = run_one(Step("s", Request("GET", "/text"), [Expectation("documented", {"responses": {"default": {}}})]))
    assert default.pass_rate == 1.0


def listing(kind: str, match: dict[str, Any], pages: dict[str, Any]) -> Step:
    return Step(
        "list",
        Request("GET", "/items", pages=pages),
        [Expectation("status", {"statuses": ["200"]}), Expectation(kind, {"pointer": "/items", "match": match})],
    )


def test_contains_walks_the_pages_of_a_list() -> None:
    by_page = {"style": "page", "param": "page", "start": 1, "size_param": "size", "size": 10, "items": "/items"}
    by_offset = {"style": "offset", "param": "offset", "start": 0, "size_param": "limit", "size": 10, "items": "/items"}
    for pages in (by_page, by_offset):
        assert run_one(listing("contains", {"id": 23}, pages)).pass_rate == 1.0
        assert run_one(listing("not_contains", {"id": 24}, pages)).pass_rate == 1.0
        missing = run_one(listing("contains", {"id": 24}, pages))
        assert missing.failures()[0].observed == 23  # every item of the three pages was seen
    single = run_one(listing("contains", {"id": 23}, {**by_page, "max_pages": 1}))
    assert single.failures()[0].observed == 10
    without_paging = Step(
        "list", Request("GET", "/items"), [Expectation("contains", {"pointer": "/items", "match": {"id": 23}})]
    )
    assert run_one(without_paging).pass_rate == 0.0
