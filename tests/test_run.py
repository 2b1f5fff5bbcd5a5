"""The runner: assertions over HTTP and in process, and misbehaving servers."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from cdspec import CdspecError
from cdspec.cases.model import Case, Expectation, Request, Step
from cdspec.run import MAX_BODY, run_cases

from .servers import raw_server as server
from .servers import read_request

BOOK = {
    "type": "object",
    "required": ["id", "title"],
    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
}


def lifecycle() -> Case:
    """Create a book, read it back, find it in the list, then check a missing one is 404."""
    return Case(
        id="c1",
        kind="lifecycle",
        title="books lifecycle",
        steps=[
            Step(
                "login",
                Request("POST", "/login", body={"email": {"$unique": "email"}}, has_body=True),
                [Expectation("status", {"statuses": ["200"]})],
                capture={"token": "/token"},
            ),
            Step(
                "create",
                Request("POST", "/books", body={"title": "Dune"}, has_body=True, auth="token"),
                [
                    Expectation("status", {"statuses": ["201"]}),
                    Expectation("content_type", {"media_type": "application/json"}),
                    Expectation("schema", {"schema": BOOK}),
                    Expectation("equals", {"pointer": "/title", "value": "Dune"}),
                ],
                capture={"book": "/id"},
            ),
            Step(
                "read",
                Request("GET", "/books/{id}", path_params={"id": {"$var": "book"}}, auth="token"),
                [
                    Expectation("status", {"statuses": ["2XX"]}),
                    Expectation("equals", {"pointer": "/id", "value": {"$var": "book"}}),
                ],
            ),
            Step(
                "list",
                Request("GET", "/books", query={"tag": ["a", "b"]}, auth="token"),
                [Expectation("contains", {"pointer": "/items", "match": {"id": {"$var": "book"}}})],
            ),
            Step(
                "missing",
                Request("GET", "/books/{id}", path_params={"id": 999}, auth="invalid"),
                [Expectation("status", {"statuses": ["401", "404"]})],
            ),
        ],
    )


def books_app(*, crash_on: str | None = None) -> Callable[..., Any]:
    """A small WSGI books API that behaves as the lifecycle case expects."""
    books: dict[int, dict[str, Any]] = {}
    seen_queries: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        if crash_on == path:
            raise RuntimeError("boom")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"null")
        auth = environ.get("HTTP_AUTHORIZATION", "")

        def reply(status: str, data: Any) -> list[bytes]:
            start_response(status, [("Content-Type", "application/json; charset=utf-8")])
            return [json.dumps(data).encode()]

        if path == "/login":
            assert body["email"].endswith("@example.com")
            return reply("200 OK", {"token": "secret"})
        if auth != "Bearer secret":
            return reply("401 Unauthorized", {"error": "unauthorized"})
        if method == "POST" and path == "/books":
            book = {"id": len(books) + 1, "title": body["title"]}
            books[book["id"]] = book
            return reply("201 Created", book)
        if path == "/books":
            seen_queries.append(environ["QUERY_STRING"])
            return reply("200 OK", {"items": list(books.values())})
        book_id = int(path.rsplit("/", 1)[1])
        if book_id in books:
            return reply("200 OK", books[book_id])
        return reply("404 Not Found", {"error": "not found"})

    app.seen_queries = seen_queries  # type: ignore[attr-defined]
    return app


def test_wsgi_run_passes_every_assertion_and_resolves_symbols() -> None:
    """A conforming app passes every assertion; captured values and unique emails flow through."""
    app = books_app()
    report = run_cases([lifecycle()], app=app)
    assert report.total == 9
    assert report.pass_rate == 1.0, report.failures()
    assert report.summary() == "9/9 assertions passed (100.0%); 0 of 1 cases failed"
    assert app.seen_queries == ["tag=a&tag=b"]  # type: ignore[attr-defined]
    data = report.to_data()
    assert data["cases"][0]["assertions"][1]["observed"] == 201


def test_failures_say_what_was_seen() -> None:
    """A wrong status, a missing field and a failed capture are failed assertions with reasons."""
    case = Case(
        "c2",
        "negative",
        "wrong things",
        [
            Step(
                "a",
                Request("POST", "/login", body={"email": "x@example.com"}, has_body=True),
                [Expectation("status", {"statuses": ["201"]}), Expectation("equals", {"pointer": "/nope", "value": 1})],
                capture={"token": "/missing"},
            ),
            Step("b", Request("GET", "/books", auth="token"), [Expectation("status", {"statuses": ["200"]})]),
        ],
    )
    report = run_cases([case], app=books_app())
    reasons = [a.reason for a in report.failures()]
    assert reasons == [
        "status 200, expected one of 201 (the behaviour holds: 2XX)",
        "the body has nothing at /nope",
        "variable 'token' (the credentials) was not captured (did an earlier step fail?)",
    ]
    assert report.failures()[0].observed == 200
    assert not report.cases[0].passed


def test_a_crashing_wsgi_app_fails_assertions_not_the_run() -> None:
    """An exception inside the app fails that step's assertions, with the exception named."""
    report = run_cases([lifecycle()], app=books_app(crash_on="/books"))
    failed = report.failures()
    assert failed
    assert all("the application raised RuntimeError: boom" in a.reason or "not captured" in a.reason for a in failed)
    assert [a.step for a in report.assertions if a.passed] == ["login", "missing"]  # not under /books


def test_asgi_apps_run_in_process_with_lifespan() -> None:
    """An ASGI app is driven in process; its lifespan startup runs before the cases."""
    state: dict[str, Any] = {"started": False}

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    state["started"] = True
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await receive()
        body = json.dumps({"started": state["started"], "path": scope["path"]}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    case = Case(
        "c3",
        "response",
        "asgi",
        [
            Step(
                "get",
                Request("GET", "/ping"),
                [
                    Expectation("status", {"statuses": ["200"]}),
                    Expectation("equals", {"pointer": "/started", "value": True}),
                    Expectation("equals", {"pointer": "/path", "value": "/ping"}),
                ],
            )
        ],
    )
    assert run_cases([case], app=app).pass_rate == 1.0


# --------------------------------------------------------------------------- misbehaving servers


def simple_case() -> Case:
    return Case(
        "m",
        "response",
        "one request",
        [
            Step(
                "get",
                Request("GET", "/x"),
                [
                    Expectation("status", {"statuses": ["200"]}),
                    Expectation("schema", {"schema": {"type": "object"}}),
                ],
            )
        ],
    )


def reasons(report: Any) -> set[str]:
    return {a.reason for a in report.failures()}


def test_server_down() -> None:
    """A closed port: every assertion fails with 'connection refused'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = run_cases([simple_case()], base_url=f"http://127.0.0.1:{port}", request_timeout=2)
    assert report.pass_rate == 0.0
    assert reasons(report) == {f"connection refused: is the server running at 127.0.0.1:{port}?"}


def test_server_hangs() -> None:
    """A server that accepts and never answers hits the request timeout."""

    def hang(conn: socket.socket) -> None:
        read_request(conn)
        time.sleep(3)

    with server(hang) as url:
        started = time.monotonic()
        report = run_cases([simple_case()], base_url=url, request_timeout=0.5)
    assert time.monotonic() - started < 3
    assert reasons(report) == {"no response within 0.5 s"}


def test_server_trickles_past_the_request_timeout() -> None:
    """A server that sends a byte at a time cannot hold a request past its timeout."""

    def trickle(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            try:
                conn.sendall(b" ")
            except OSError:
                return
            time.sleep(0.1)

    with server(trickle) as url:
        started = time.monotonic()
        report = run_cases([simple_case()], base_url=url, request_timeout=0.6, case_timeout=5)
    assert time.monotonic() - started < 3
    assert reasons(report) == {"no complete response within 0.6 s"}


def test_case_budget_stops_later_steps() -> None:
    """Once a case's time budget is spent, its remaining steps fail without being sent."""

    def hang(conn: socket.socket) -> None:
        read_request(conn)
        time.sleep(2)

    case = Case("slow", "response", "three slow steps", [simple_case().steps[0]] * 3)
    with server(hang) as url:
        report = run_cases([case], base_url=url, request_timeout=0.4, case_timeout=0.6)
    by_step = [a.reason for a in report.assertions]
    assert by_step[:2] == ["no response within 0.4 s"] * 2
    assert by_step[-1] == "the case ran out of time (0.6 s)"


def test_server_resets_the_connection() -> None:
    """A server that closes without answering fails with a clear reason."""

    def reset(conn: socket.socket) -> None:
        read_request(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    with server(reset) as url:
        report = run_cases([simple_case()], base_url=url, request_timeout=2)
    assert reasons(report) == {"the server closed the connection without a response"}


def test_server_answers_garbage() -> None:
    """Bytes that are not HTTP are reported as such."""

    def garbage(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"hello, this is not http\r\n\r\n")

    with server(garbage) as url:
        report = run_cases([simple_case()], base_url=url, request_timeout=2)
    (reason,) = reasons(report)
    assert reason.startswith("not a valid HTTP response")


@pytest.mark.parametrize(
    ("body", "status_ok", "reason"),
    [
        (b"<html>oops</html>", True, "the body is not JSON (JSONDecodeError): b'<html>oops</html>'"),
        (b"[]", True, "body does not match the documented schema at /: [] is not of type 'object'"),
    ],
)
def test_non_json_and_wrong_shape(body: bytes, status_ok: bool, reason: str) -> None:
    """A 200 with HTML or the wrong JSON shape passes the status check and fails the schema check."""

    def answer(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))

    with server(answer) as url:
        report = run_cases([simple_case()], base_url=url, request_timeout=2)
    assert [a.passed for a in report.assertions] == [status_ok, False]
    assert report.failures()[0].reason == reason


def test_huge_body_is_cut_off() -> None:
    """A body past MAX_BODY fails the step instead of filling memory."""

    def huge(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        chunk = b"x" * 65536
        try:
            for _ in range(MAX_BODY // len(chunk) + 10):
                conn.sendall(chunk)
        except OSError:
            return

    with server(huge) as url:
        report = run_cases([simple_case()], base_url=url, request_timeout=10)
    assert reasons(report) == {f"the response body is larger than {MAX_BODY} bytes"}


def test_base_url_and_app_are_exclusive() -> None:
    """Exactly one of base_url and app is given; a bad URL is refused by name."""
    with pytest.raises(CdspecError, match="not both"):
        run_cases([], base_url="http://127.0.0.1:1", app=books_app())
    with pytest.raises(CdspecError, match="base_url must be"):
        run_cases([], base_url="ftp://x")
    assert run_cases([], app=books_app()).pass_rate == 1.0


def test_cases_round_trip_as_data() -> None:
    """A case survives to_data/from_data unchanged."""
    case = lifecycle()
    assert Case.from_data(json.loads(json.dumps(case.to_data()))) == case


def test_cases_files_and_the_run_command(tmp_path: Any) -> None:
    """`cdspec run` reads a cases JSONL file, runs it over HTTP and exits 1 on failures."""
    import io as _io

    from cdspec import LoadError
    from cdspec.cli import main
    from cdspec.load import dump_cases, load_cases

    path = tmp_path / "cases.jsonl"
    path.write_text(dump_cases([simple_case(), lifecycle()]), encoding="utf-8")
    assert load_cases(path) == (simple_case(), lifecycle())

    def ok(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )

    path.write_text(dump_cases([simple_case()]), encoding="utf-8")
    with server(ok) as url:
        out = _io.StringIO()
        assert main(["run", str(path), "--base-url", url], out=out, err=_io.StringIO()) == 0
        assert out.getvalue() == "2/2 assertions passed (100.0%); 0 of 1 cases failed\n"
    out, err = _io.StringIO(), _io.StringIO()
    assert main(["run", str(path), "--base-url", "http://127.0.0.1:9"], out=out, err=err) == 1
    assert "FAIL m / get [status]: connection refused" in out.getvalue()

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "kind": "weird", "title": "t", "steps": []}\nnot json\n', encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_cases(bad)
    lines = [(p.line, p.pointer) for p in info.value.problems]
    assert lines[0] == (1, "/kind")
    assert (2, "") in lines
    err = _io.StringIO()
    assert main(["run", str(bad), "--base-url", "http://127.0.0.1:9"], out=_io.StringIO(), err=err) == 1
    assert err.getvalue().startswith(f"{bad}:1: /kind: expected one of")


def test_progress_is_told_each_case_as_it_finishes() -> None:
    """``run_cases(progress=)`` is called with (done, total) after each case, in order, and the report is unchanged."""
    calls: list[tuple[int, int]] = []
    cases = [lifecycle(), lifecycle()]
    report = run_cases(cases, app=books_app(), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    assert report.passed == run_cases(cases, app=books_app()).passed
