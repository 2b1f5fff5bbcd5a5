"""Running cases against a backend: over HTTP, or in process (WSGI or ASGI).

:func:`run_cases` sends each case's requests in order, resolves the symbols
(``$var``, ``$unique``), checks every expectation and returns a
:class:`Report` with each assertion's outcome and observed value, per-case
results and the assertion pass rate (the Constraint Decay study's metric).

A backend that is down, hangs, resets connections, answers garbage, sends a
huge body or crashes gives *failed assertions with a reason*, never an
exception out of :func:`run_cases`. Over HTTP every request has a timeout and
every case a time budget; in process, calls cannot be interrupted, so only
the budget between requests applies.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import http.client
import inspect
import io
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import attrs

from ._frozen import JSON, FrozenDict, freeze, thaw
from ._source import pointer_tokens, resolve_pointer
from .cases.model import Case, Expectation, Step
from .errors import CdspecError

__all__ = ["AssertionResult", "CaseResult", "Report", "run_cases"]

MAX_BODY = 8 * 1024 * 1024
"""Bytes of a response body read at most; a larger body fails its step."""


@attrs.frozen
class AssertionResult:
    """One expectation checked: did it pass, what was seen, and why it failed."""

    case_id: str
    step: str
    kind: str
    description: str
    passed: bool
    observed: JSON = attrs.field(converter=freeze, default=None)
    reason: str = ""

    def to_data(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "step": self.step,
            "kind": self.kind,
            "description": self.description,
            "passed": self.passed,
            "observed": thaw(self.observed),
            "reason": self.reason,
        }


@attrs.frozen
class CaseResult:
    """A case's assertions, whether all passed, and how long it took."""

    case_id: str
    kind: str
    title: str
    assertions: tuple[AssertionResult, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(a.passed for a in self.assertions)


@attrs.frozen
class Report:
    """The outcome of a run: every case's result and the assertion pass rate."""

    cases: tuple[CaseResult, ...]

    @property
    def assertions(self) -> tuple[AssertionResult, ...]:
        return tuple(a for case in self.cases for a in case.assertions)

    @property
    def passed(self) -> int:
        """Assertions that passed."""
        return sum(a.passed for a in self.assertions)

    @property
    def total(self) -> int:
        return len(self.assertions)

    @property
    def pass_rate(self) -> float:
        """Passed assertions over all assertions (1.0 for an empty run)."""
        return self.passed / self.total if self.total else 1.0

    def failures(self) -> tuple[AssertionResult, ...]:
        return tuple(a for a in self.assertions if not a.passed)

    def to_data(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "total": self.total,
            "pass_rate": self.pass_rate,
            "cases": [
                {
                    "case_id": c.case_id,
                    "kind": c.kind,
                    "title": c.title,
                    "passed": c.passed,
                    "seconds": round(c.seconds, 3),
                    "assertions": [a.to_data() for a in c.assertions],
                }
                for c in self.cases
            ],
        }

    def summary(self) -> str:
        """``212/220 assertions passed (96.4%); 3 of 40 cases failed``"""
        failed = sum(not c.passed for c in self.cases)
        return (
            f"{self.passed}/{self.total} assertions passed ({self.pass_rate:.1%}); "
            f"{failed} of {len(self.cases)} cases failed"
        )


# --------------------------------------------------------------------------- transports


@attrs.frozen
class _Response:
    status: int
    headers: FrozenDict  # lower-case names
    body: bytes
    set_cookies: tuple[str, ...] = ()  # every Set-Cookie header (the headers keep one)


class _TransportError(Exception):
    """The request got no usable response: the reason, in words."""


class _Http:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CdspecError(f"base_url must be http(s)://host[:port][/prefix], got {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> _Response:
        deadline = time.monotonic() + timeout
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        connection = cls(self.host, self.port, timeout=timeout)
        answered = False
        try:
            connection.request(method, self.prefix + target, body=body, headers=dict(headers))
            response = connection.getresponse()
            answered = True
            chunks, size = [], 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _TransportError(f"no complete response within {timeout:g} s")
                if connection.sock is not None:
                    connection.sock.settimeout(left)
                chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY:
                    raise _TransportError(f"the response body is larger than {MAX_BODY} bytes")
                chunks.append(chunk)
            headers_out = FrozenDict((k.lower(), v) for k, v in response.getheaders())
            cookies = tuple(v for k, v in response.getheaders() if k.lower() == "set-cookie")
            return _Response(response.status, headers_out, b"".join(chunks), cookies)
        except _TransportError:
            raise
        except ConnectionRefusedError:
            raise _TransportError(f"connection refused: is the server running at {self.host}:{self.port}?") from None
        except TimeoutError:
            what = "no complete response" if answered else "no response"
            raise _TransportError(f"{what} within {timeout:g} s") from None
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            raise _TransportError("the server closed the connection without a response") from None
        except http.client.HTTPException as exc:
            raise _TransportError(f"not a valid HTTP response ({type(exc).__name__}: {exc})") from None
        except OSError as exc:
            raise _TransportError(f"network error: {exc.strerror or exc}") from None
        finally:
            connection.close()


def _environ(method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, Any]:
    path, _, query = target.partition("?")
    from urllib.parse import unquote

    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path),
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body or b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body or b"")),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    return environ


class _Wsgi:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> _Response:
        started: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, response_headers]
            return lambda data: None

        try:
            result = self.app(_environ(method, target, headers, body), start_response)
            try:
                chunks, size = [], 0
                for chunk in result:
                    size += len(chunk)
                    if size > MAX_BODY:
                        raise _TransportError(f"the response body is larger than {MAX_BODY} bytes")
                    chunks.append(chunk)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except _TransportError:
            raise
        except Exception as exc:
            raise _TransportError(f"the application raised {type(exc).__name__}: {exc}") from None
        if not started:
            raise _TransportError("the application never called start_response")
        status = int(str(started[0]).split(" ", 1)[0])
        cookies = tuple(v for k, v in started[1] if k.lower() == "set-cookie")
        return _Response(status, FrozenDict((k.lower(), v) for k, v in started[1]), b"".join(chunks), cookies)


class _Asgi:
    """An in-process ASGI client, with the lifespan protocol around the run."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.lifespan: asyncio.Task[Any] | None = None
        self.queue: asyncio.Queue[dict[str, Any]] | None = None

    def start(self) -> None:
        async def startup() -> None:
            self.queue = asyncio.Queue()
            replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            self.replies = replies
            queue = self.queue

            async def receive() -> dict[str, Any]:
                return await queue.get()

            async def send(message: dict[str, Any]) -> None:
                await replies.put(message)

            async def lifespan() -> None:
                try:
                    await self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
                except Exception:  # an app without lifespan support may raise: it just has none
                    await replies.put({"type": "lifespan.unsupported"})

            self.lifespan = asyncio.ensure_future(lifespan())
            await queue.put({"type": "lifespan.startup"})
            reply = await asyncio.wait_for(replies.get(), 30)
            if reply["type"] == "lifespan.startup.failed":
                raise CdspecError(f"the ASGI application failed to start: {reply.get('message', '')}")

        self.loop.run_until_complete(startup())

    def stop(self) -> None:
        async def shutdown() -> None:
            if self.queue is not None and self.lifespan is not None and not self.lifespan.done():
                await self.queue.put({"type": "lifespan.shutdown"})
                try:
                    await asyncio.wait_for(self.lifespan, 10)
                except (TimeoutError, Exception):  # shutdown is best effort
                    self.lifespan.cancel()

        try:
            self.loop.run_until_complete(shutdown())
        finally:
            self.loop.close()

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> _Response:
        path, _, query = target.partition("?")
        from urllib.parse import unquote

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        sent = [False]
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if not sent[0]:
                sent[0] = True
                return {"type": "http.request", "body": body or b"", "more_body": False}
            await asyncio.sleep(timeout)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if sum(map(len, chunks)) > MAX_BODY:
                    raise _TransportError(f"the response body is larger than {MAX_BODY} bytes")

        try:
            self.loop.run_until_complete(asyncio.wait_for(self.app(scope, receive, send), timeout))
        except _TransportError:
            raise
        except TimeoutError:
            raise _TransportError(f"no response within {timeout:g} s") from None
        except Exception as exc:
            raise _TransportError(f"the application raised {type(exc).__name__}: {exc}") from None
        if "status" not in start:
            raise _TransportError("the application sent no response")
        response_headers = FrozenDict((k.decode().lower(), v.decode()) for k, v in start.get("headers", []))
        cookies = tuple(v.decode() for k, v in start.get("headers", []) if k.decode().lower() == "set-cookie")
        return _Response(int(start["status"]), response_headers, b"".join(chunks), cookies)


# --------------------------------------------------------------------------- resolving symbols


class _Missing(Exception):
    """A value the run does not have: a $var that no earlier step captured, an unset $env."""


_DURATION = re.compile(r"^(-?)P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _offset(duration: str) -> datetime.timedelta:
    """An ISO 8601 duration of days, hours, minutes and seconds (``P2DT30M``, ``-PT1H``)."""
    match = _DURATION.match(duration)
    if match is None:
        raise _Missing(f"$now {duration!r} is not an ISO 8601 duration like P2DT30M")
    sign, days, hours, minutes, seconds = match.groups()
    delta = datetime.timedelta(
        days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0)
    )
    return -delta if sign else delta


class _Symbols:
    def __init__(self, run_id: str, case_index: int, env: Mapping[str, str]) -> None:
        self.vars: dict[str, JSON] = {}
        self.prefix = f"{run_id}{case_index:x}"
        self.run_number = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big")
        self.case_index = case_index
        self.counter = 0
        self.env = env
        self.now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)

    def unique(self, kind: str) -> str:
        self.counter += 1
        token = f"{self.prefix}x{self.counter}"
        return f"user-{token}@example.com" if kind == "email" else f"u{token}"

    def unique_digits(self, like: str, free: int) -> str:
        """``like`` with its last ``free`` digits replaced by a number unique to this run and case."""
        self.counter += 1
        modulus = 10**free
        number = (self.run_number + self.case_index * 1000 + self.counter) % modulus
        digits = list(f"{number:0{free}d}")
        out = list(like)
        for position in range(len(out) - 1, -1, -1):
            if not digits:
                break
            if out[position].isdigit():
                out[position] = digits.pop()
        return "".join(out)

    def resolve(self, value: JSON) -> JSON:
        if isinstance(value, Mapping):
            if value.get("$unique") == "digits" and set(value) == {"$unique", "like", "free"}:
                return self.unique_digits(str(value["like"]), int(value["free"]))
            if set(value) == {"$var"}:
                name = value["$var"]
                if name not in self.vars:
                    raise _Missing(f"variable {name!r} was not captured")
                return self.vars[name]
            if set(value) == {"$unique"}:
                return self.unique(str(value["$unique"]))
            if set(value) == {"$env"}:
                name = str(value["$env"])
                if name not in self.env:
                    raise _Missing(f"environment variable {name} is not set")
                return self.env[name]
            if set(value) == {"$now"}:
                return (self.now + _offset(str(value["$now"]))).isoformat().replace("+00:00", "Z")
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value


def _query_text(value: JSON) -> str:
    """A query value as text: strings as they are, other scalars as JSON writes them (``true``, ``5``)."""
    return value if isinstance(value, str) else json.dumps(value)


def _target(step: Step, symbols: _Symbols) -> tuple[str, dict[str, str], bytes | None]:
    request = step.request
    path = request.path
    for name, value in symbols.resolve(thaw(request.path_params)).items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    query = symbols.resolve(thaw(request.query))
    pairs: list[tuple[str, str]] = []
    for name, value in query.items():
        pairs.extend((name, _query_text(v)) for v in (value if isinstance(value, list) else [value]))
    target = path + ("?" + urlencode(pairs) if pairs else "")
    headers = {k: str(v) for k, v in symbols.resolve(thaw(request.headers)).items()}
    if request.auth != "none":
        credential = _credential(request.auth, request.scheme, symbols)
        target = _send_credential(credential, request.scheme, target, headers)
    body = None
    if request.has_body:
        headers.setdefault("Content-Type", request.content_type or "application/json")
        resolved = symbols.resolve(thaw(request.body))
        if (request.content_type or "").startswith("application/x-www-form-urlencoded") and isinstance(resolved, dict):
            body = urlencode([(k, _query_text(v)) for k, v in resolved.items()]).encode("utf-8")
        else:
            body = json.dumps(resolved, ensure_ascii=False).encode("utf-8")
    return target, headers, body


def _credential(auth: str, scheme: Mapping[str, Any], symbols: _Symbols) -> str:
    """The credential ``auth`` names: a captured token, or a wrong one of the same shape for ``invalid``.

    For ``basic`` the variables ``<auth>.username`` and ``<auth>.password``
    hold the account, and the credential is their base64 pair.
    """
    if scheme.get("type") == "basic":
        if auth == "invalid":
            pair = f"invalid-{secrets.token_hex(4)}:wrong-{secrets.token_hex(8)}"
        else:
            names = (f"{auth}.username", f"{auth}.password")
            missing = [name for name in names if name not in symbols.vars]
            if missing:
                raise _Missing(f"variable {missing[0]!r} (the credentials) was not captured")
            pair = f"{symbols.vars[names[0]]}:{symbols.vars[names[1]]}"
        return base64.b64encode(pair.encode("utf-8")).decode("ascii")
    if auth == "invalid":
        return "invalid-" + secrets.token_hex(16)
    if auth not in symbols.vars:
        raise _Missing(f"variable {auth!r} (the credentials) was not captured")
    return str(symbols.vars[auth])


def _send_credential(credential: str, scheme: Mapping[str, Any], target: str, headers: dict[str, str]) -> str:
    """Put the credential where the request's security scheme says (default: ``Authorization: Bearer``)."""
    where = str(scheme.get("in", "header"))
    name = str(scheme.get("name", "Authorization"))
    if scheme.get("type") == "basic":
        headers["Authorization"] = f"Basic {credential}"
    elif where == "query":
        target += ("&" if "?" in target else "?") + urlencode([(name, credential)])
    elif where == "cookie":
        headers["Cookie"] = f"{name}={credential}"
    else:
        headers[name] = str(scheme.get("format", "Bearer {token}")).replace("{token}", credential)
    return target


# --------------------------------------------------------------------------- checking


def _short(value: JSON, limit: int = 300) -> JSON:
    """An observed value kept small enough for a report."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return value if len(text) <= limit else text[:limit] + "..."


def _media_type(response: _Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _json_body(response: _Response) -> JSON:
    try:
        return json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _NotJson(f"the body is not JSON ({type(exc).__name__}): {response.body[:80]!r}") from None


class _NotJson(Exception):
    pass


def _matches_status(status: int, expected: Sequence[str]) -> bool:
    code = str(status)
    return any(e.upper() in (code, f"{code[0]}XX") for e in expected)


def _schema_check(schema: JSON, body: JSON) -> tuple[bool, JSON, str]:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(thaw(schema), format_checker=FormatChecker())
    error = best_match(validator.iter_errors(body))
    if error is None:
        return True, None, ""
    where = "".join(f"/{p}" for p in error.absolute_path) or "/"
    return False, _short(body), f"body does not match the documented schema at {where}: {error.message}"


def _documented(responses: Mapping[str, Any], response: _Response) -> tuple[bool, JSON, str]:
    """Is the response one the contract documents: its status, then its media type and body?"""
    code = str(response.status)
    key = next((k for k in (code, f"{code[0]}XX", "default") if k in responses), None)
    if key is None:
        documented = ", ".join(responses)
        return False, response.status, f"status {response.status} is not documented (documented: {documented})"
    entry = responses[key]
    media = entry.get("media_type")
    if media is None:
        return True, response.status, ""
    observed = _media_type(response)
    if observed != media:
        return False, observed or None, f"status {code}: content type {observed or '(none)'}, expected {media}"
    if "schema" not in entry:
        return True, response.status, ""
    try:
        body = _json_body(response)
    except _NotJson as exc:
        return False, _short(response.body.decode("utf-8", "replace")), f"status {code}: {exc}"
    ok, observed_body, reason = _schema_check(entry["schema"], body)
    return ok, observed_body if not ok else response.status, f"status {code}: {reason}" if reason else ""


def _check(expectation: Expectation, response: _Response, symbols: _Symbols) -> tuple[bool, JSON, str]:
    """(passed, observed, reason) of one expectation against a response."""
    args = expectation.args
    kind = expectation.kind
    if kind == "status":
        expected = list(args["statuses"])
        ok = _matches_status(response.status, expected)
        return ok, response.status, "" if ok else f"status {response.status}, expected one of {', '.join(expected)}"
    if kind == "content_type":
        observed = _media_type(response)
        ok = observed == args["media_type"]
        return ok, observed, "" if ok else f"content type {observed or '(none)'}, expected {args['media_type']}"
    if kind == "documented":
        return _documented(args["responses"], response)
    try:
        body = _json_body(response)
    except _NotJson as exc:
        return False, _short(response.body.decode("utf-8", "replace")), str(exc)
    if kind == "schema":
        return _schema_check(args["schema"], body)
    pointer = str(args.get("pointer", ""))
    try:
        value = resolve_pointer(body, pointer)
    except KeyError:
        return False, _short(body), f"the body has nothing at {pointer or '/'}"
    try:
        if kind == "equals":
            expected_value = symbols.resolve(thaw(args["value"]))
            ok = value == expected_value
            return (
                ok,
                _short(value),
                "" if ok else f"{pointer or '/'} is {_short(value)!r}, expected {expected_value!r}",
            )
        match = symbols.resolve(thaw(args["match"]))
    except _Missing as missing:
        return False, None, f"nothing to compare with: {missing}"
    if not isinstance(value, list):
        return False, _short(value), f"{pointer or '/'} is not an array"
    if isinstance(match, Mapping):
        found = any(isinstance(item, Mapping) and all(item.get(k) == v for k, v in match.items()) for item in value)
    else:  # a scalar: an item equal to it
        found = match in value
    if kind == "contains":
        return found, len(value), "" if found else f"no item of {pointer or '/'} has {match}"
    return not found, len(value), "" if not found else f"an item of {pointer or '/'} still has {match}"


def _capture(step: Step, response: _Response, symbols: _Symbols) -> None:
    body: JSON = None
    for name, where in step.capture.items():
        if str(where).startswith("header:"):
            header = response.headers.get(str(where)[7:].lower())
            if header is not None:
                symbols.vars[name] = header
            continue
        if str(where).startswith("cookie:"):
            cookie = _set_cookie(response, str(where)[7:])
            if cookie is not None:
                symbols.vars[name] = cookie
            continue
        try:
            if body is None:
                body = _json_body(response)
            symbols.vars[name] = resolve_pointer(body, str(where))
        except (_NotJson, KeyError):
            continue


def _set_cookie(response: _Response, name: str) -> str | None:
    """The value a response's ``Set-Cookie`` gives cookie ``name`` (``None`` when it sets none)."""
    from http.cookies import CookieError, SimpleCookie

    for header in response.set_cookies:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        if name in jar:
            return jar[name].value
    return None


MAX_PAGES = 200
"""Pages of a paginated list walked at most for one contains / not_contains check."""


def _walk_pages(
    step: Step,
    *,
    target: str,
    headers: Mapping[str, str],
    transport: Any,
    first: _Response,
    deadline: float,
    request_timeout: float,
) -> _Response | None:
    """The first page with the items of all pages, for a step whose request says how to page.

    Pages are fetched until one is short or empty, ``max_pages`` (at most
    :data:`MAX_PAGES`) is reached, or the time runs out; a page that fails
    ends the walk with what was gathered.
    """
    pages = step.request.pages
    if not pages or not any(e.kind in ("contains", "not_contains") for e in step.expect):
        return None
    pointer = str(pages["items"])
    try:
        body = _json_body(first)
        items = list(resolve_pointer(body, pointer))
    except (_NotJson, KeyError, TypeError):
        return None
    size = pages.get("size")
    param = str(pages["param"])
    position = int(pages.get("start", 1 if pages["style"] == "page" else 0))
    limit = min(int(pages.get("max_pages", MAX_PAGES)), MAX_PAGES)
    count = len(items)
    path, _, query = target.partition("?")
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != param]
    for _ in range(limit - 1):
        if count == 0 or (isinstance(size, int) and count < size):
            break
        position += 1 if pages["style"] == "page" else count
        left = deadline - time.monotonic()
        if left <= 0:
            break
        page_target = path + "?" + urlencode([*pairs, (param, str(position))])
        try:
            page = transport.send(step.request.method, page_target, headers, None, min(request_timeout, left))
            more = list(resolve_pointer(_json_body(page), pointer)) if page.status < 300 else []
        except (_TransportError, _NotJson, KeyError, TypeError):
            break
        count = len(more)
        items.extend(more)
    merged = _set_pointer(body, pointer_tokens(pointer), items)
    return attrs.evolve(first, body=json.dumps(merged).encode("utf-8"))


def _set_pointer(document: JSON, tokens: Sequence[str], value: JSON) -> JSON:
    """A copy of ``document`` with ``value`` at the pointer's ``tokens`` (through objects only)."""
    if not tokens:
        return value
    if not isinstance(document, Mapping):
        return document
    return {**document, tokens[0]: _set_pointer(document.get(tokens[0]), tokens[1:], value)}


def _run_case(case: Case, transport: Any, symbols: _Symbols, request_timeout: float, case_timeout: float) -> CaseResult:
    started = time.monotonic()
    deadline = started + case_timeout
    results: list[AssertionResult] = []

    def fail_all(step: Step, reason: str) -> None:
        results.extend(
            AssertionResult(case.id, step.name, e.kind, e.description, False, None, reason) for e in step.expect
        )

    try:
        for name, value in case.vars.items():
            symbols.vars[name] = symbols.resolve(thaw(value))
    except _Missing as missing:
        for step in case.steps:
            fail_all(step, f"the case's variables cannot be bound: {missing}")
        return CaseResult(case.id, case.kind, case.title, tuple(results), time.monotonic() - started)
    for step in case.steps:
        left = deadline - time.monotonic()
        if left <= 0:
            fail_all(step, f"the case ran out of time ({case_timeout:g} s)")
            continue
        try:
            target, headers, body = _target(step, symbols)
            if not getattr(transport, "prefix", ""):  # a --base-url path wins over the contract's
                target = case.base_path + target
        except _Missing as missing:
            fail_all(step, f"{missing} (did an earlier step fail?)")
            continue
        try:
            response = transport.send(step.request.method, target, headers, body, min(request_timeout, left))
        except _TransportError as error:
            fail_all(step, str(error))
            continue
        listing = _walk_pages(
            step,
            target=target,
            headers=headers,
            transport=transport,
            first=response,
            deadline=deadline,
            request_timeout=request_timeout,
        )
        for expectation in step.expect:
            seen = listing if listing is not None and expectation.kind in ("contains", "not_contains") else response
            passed, observed, reason = _check(expectation, seen, symbols)
            results.append(
                AssertionResult(case.id, step.name, expectation.kind, expectation.description, passed, observed, reason)
            )
        _capture(step, response, symbols)
    return CaseResult(case.id, case.kind, case.title, tuple(results), time.monotonic() - started)


def _is_asgi(app: Any) -> bool:
    """ASGI apps are coroutine functions (or objects whose ``__call__`` is one)."""
    call = type(app).__call__ if callable(app) and not inspect.isfunction(app) else None
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call)


def run_cases(
    cases: Iterable[Case],
    *,
    base_url: str | None = None,
    app: Any = None,
    asgi: bool | None = None,
    request_timeout: float = 10.0,
    case_timeout: float = 60.0,
    run_id: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Report:
    """Run ``cases`` against ``base_url`` (a live server) or ``app`` (a WSGI or ASGI app).

    ``asgi`` says which kind ``app`` is; by default an app whose call is a
    coroutine function is ASGI. ``run_id`` makes ``$unique`` values
    reproducible (default: random, so repeated runs against one database do
    not collide). ``env`` is where ``$env`` symbols are read (default:
    the process environment).
    """
    if (base_url is None) == (app is None):
        raise CdspecError("give base_url (a live server) or app (a WSGI or ASGI application), not both")
    run = run_id if run_id is not None else secrets.token_hex(3)
    environment = dict(os.environ if env is None else env)
    transport: Any
    if base_url is not None:
        transport = _Http(base_url)
    else:
        is_asgi = asgi if asgi is not None else _is_asgi(app)
        transport = _Asgi(app) if is_asgi else _Wsgi(app)
    if isinstance(transport, _Asgi):
        transport.start()
    try:
        results = tuple(
            _run_case(case, transport, _Symbols(run, index, environment), request_timeout, case_timeout)
            for index, case in enumerate(cases)
        )
    finally:
        if isinstance(transport, _Asgi):
            transport.stop()
    return Report(results)
