"""Where the runner puts a credential: each security scheme's place, a session cookie, a basic pair, a form body."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from cdspec.cases.model import Case, Expectation, Request, Step
from cdspec.run import run_cases

TOKEN = "t-123"
SEEN: list[dict[str, Any]] = []


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Logs in with a form (OAuth2 password flow) or sets a session cookie; echoes where a credential came."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    path = environ["PATH_INFO"]
    headers = [("Content-Type", "application/json")]
    if path == "/api/token":
        form = parse_qs(body.decode())
        ok = form.get("grant_type") == ["password"] and form.get("password") == ["pw"]
        start_response("200 OK" if ok else "400 Bad Request", headers)
        return [json.dumps({"access_token": TOKEN}).encode()]
    if path == "/api/session":
        headers += [("Set-Cookie", "other=x; Path=/"), ("Set-Cookie", f"sid={TOKEN}; HttpOnly; Path=/")]
        start_response("204 No Content", headers)
        return [b""]
    SEEN.append(
        {
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "authorization": environ.get("HTTP_AUTHORIZATION"),
            "x_key": environ.get("HTTP_X_KEY"),
            "cookie": environ.get("HTTP_COOKIE"),
        }
    )
    start_response("200 OK", headers)
    return [json.dumps({"tags": ["a", "b"]}).encode()]


def _get(auth: str, scheme: dict[str, str]) -> Step:
    return Step(
        "call", Request("GET", "/things", auth=auth, scheme=scheme), [Expectation("status", {"statuses": ["200"]})]
    )


def _run(*steps: Step, base_path: str = "/api") -> list[dict[str, Any]]:
    SEEN.clear()
    report = run_cases(
        [Case("c", "security", "t", steps, vars={"u.username": "ann", "u.password": "pw"}, base_path=base_path)],
        app=app,
    )
    assert report.pass_rate == 1.0, report.failures()
    return list(SEEN)


def test_a_token_goes_in_the_header_format_query_or_cookie_its_scheme_names() -> None:
    """``Token {token}`` in a named header, a query parameter, a cookie; the default stays Bearer."""
    login = Step(
        "log in",
        Request(
            "POST",
            "/token",
            body={"grant_type": "password", "username": "ann", "password": "pw"},
            has_body=True,
            content_type="application/x-www-form-urlencoded",
        ),
        [Expectation("status", {"statuses": ["200"]})],
        capture={"u": "/access_token"},
    )
    seen = _run(
        login,
        _get("u", {"in": "header", "name": "X-Key", "format": "Token {token}"}),
        _get("u", {"in": "query", "name": "api_key"}),
        _get("u", {"in": "cookie", "name": "sid"}),
        _get("u", {}),
    )
    assert seen[0]["x_key"] == f"Token {TOKEN}"
    assert seen[1]["query"] == f"api_key={TOKEN}"
    assert seen[2]["cookie"] == f"sid={TOKEN}"
    assert seen[3]["authorization"] == f"Bearer {TOKEN}"
    assert {s["path"] for s in seen} == {"/api/things"}


def test_a_session_cookie_is_captured_by_name_and_a_wrong_one_has_the_same_shape() -> None:
    """``cookie:sid`` takes the value of that cookie among several Set-Cookie headers."""
    session = Step(
        "session",
        Request("POST", "/session"),
        [Expectation("status", {"statuses": ["204"]})],
        capture={"u": "cookie:sid"},
    )
    seen = _run(session, _get("u", {"in": "cookie", "name": "sid"}), _get("invalid", {"in": "cookie", "name": "sid"}))
    assert seen[0]["cookie"] == f"sid={TOKEN}"
    assert seen[1]["cookie"].startswith("sid=invalid-")


def test_basic_sends_the_accounts_pair_and_a_wrong_pair_for_invalid() -> None:
    seen = _run(_get("u", {"type": "basic"}), _get("invalid", {"type": "basic"}))
    assert seen[0]["authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()
    wrong = base64.b64decode(seen[1]["authorization"].split(" ", 1)[1]).decode()
    assert wrong.startswith("invalid-")
    assert ":" in wrong


def test_contains_matches_a_scalar_item() -> None:
    """``contains`` with a scalar ``match`` finds an equal item of an array."""
    step = Step(
        "tags",
        Request("GET", "/things"),
        [
            Expectation("contains", {"pointer": "/tags", "match": "b"}),
            Expectation("not_contains", {"pointer": "/tags", "match": "c"}),
        ],
    )
    _run(step)
