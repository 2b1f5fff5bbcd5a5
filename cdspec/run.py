"""Running cases against a backend: over HTTP, or in process (WSGI or ASGI).

:func:`run_cases` sends each case's requests in order, resolves the symbols
(``$var``, ``$unique``), checks every expectation and returns a
:class:`Report` with each assertion's outcome and observed value, per-case
results and the assertion pass rate (the Constraint Decay study's metric).

A backend that is down, hangs, trickles, resets connections, answers
garbage, sends a huge or deeply nested body or crashes gives *failed
assertions with a reason*, never an exception out of :func:`run_cases`; so
does a case that cannot be sent (a header with a line break, a schema that
is not one). Over HTTP every request has one total deadline and every case a
time budget; in process, calls cannot be interrupted, so only the budget
between requests applies. Response checks never fetch a reference and match
patterns with a time bound (:mod:`cdspec._bounded`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import email.utils
import functools
import hashlib
import http.client
import inspect
import io
import json
import math
import os
import re
import secrets
import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import attrs

from ._bounded import JsonError, check_schema, parse_json, schema_problem
from ._frozen import JSON, FrozenDict, freeze, thaw
from ._source import pointer_tokens, resolve_pointer
from .cases.model import Case, Expectation, Step
from .errors import CdspecError

__all__ = ["CONFORMANCE", "AssertionResult", "CaseResult", "Conformance", "Report", "run_cases"]

Conformance = Literal["enforce", "report"]
CONFORMANCE: tuple[Conformance, ...] = ("enforce", "report")
"""What a deviation in form does: fail (``enforce``, the default) or pass and be listed (``report``)."""

MAX_BODY = 8 * 1024 * 1024
"""Bytes of a response body read at most; a larger body fails its step."""


@attrs.frozen
class AssertionResult:
    """One expectation checked: did it pass, what was seen, and why it failed.

    A failed assertion also carries its step's ``request`` as a curl command
    line and the ``response`` (``status``, ``headers``, ``body`` cut to a
    screen); both are empty when the step got no response or passed. A
    passed assertion's ``reason`` is empty, or says what was left unchecked
    (``unchecked: ...``), or how the response deviated (see below).

    ``deviation`` is true when the response broke the contract in form only
    while the behaviour the assertion checks held: ``200`` where the contract
    says ``201``, ``403`` for ``401``, another documented or undocumented
    4xx, ``null`` for a string, an error body of another shape. Under
    ``conformance="enforce"`` (the default) a deviation fails; under
    ``"report"`` it passes, its ``reason`` saying ``deviation: ...``.
    """

    case_id: str
    step: str
    kind: str
    description: str
    passed: bool
    observed: JSON = attrs.field(converter=freeze, default=None)
    reason: str = ""
    request: str = ""
    response: JSON = attrs.field(converter=freeze, default=None, repr=False)
    deviation: bool = False

    def to_data(self) -> dict[str, Any]:
        data = {
            "case_id": self.case_id,
            "step": self.step,
            "kind": self.kind,
            "description": self.description,
            "passed": self.passed,
            "deviation": self.deviation,
            "observed": thaw(self.observed),
            "reason": self.reason,
        }
        if self.request:
            data["request"] = self.request
        if self.response is not None:
            data["response"] = thaw(self.response)
        return data


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


@attrs.frozen(repr=False)
class Report:
    """The outcome of a run: every case's result and the assertion pass rate.

    ``conformance`` is how deviations in form were judged (``"enforce"``:
    they failed; ``"report"``: they passed); :meth:`deviations` lists them
    either way, :meth:`failures` lists what failed.

    In a notebook it shows as a table of cases and of failures (at most 20
    rows each); :meth:`to_junit` and :meth:`to_html`
    give the JUnit XML and the self-contained HTML page of
    ``cdspec run --junit/--html``.
    """

    cases: tuple[CaseResult, ...]
    conformance: str = "enforce"

    def __repr__(self) -> str:
        return f"<Report {self.summary()}>"

    def _repr_markdown_(self) -> str:
        from ._run_display import markdown

        return markdown(self)

    def _repr_html_(self) -> str:
        from ._run_display import html_table

        return html_table(self)

    def to_html(self) -> str:
        """The whole report as one self-contained HTML page (no script, no external resource; all text escaped)."""
        from ._run_display import html_page

        return html_page(self)

    def to_junit(self) -> str:
        """The report as JUnit XML: one ``testcase`` per case, a ``failure`` listing each failed assertion."""
        from ._run_display import junit

        return junit(self)

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
        """The assertions that failed (deviations among them under ``conformance="enforce"``)."""
        return tuple(a for a in self.assertions if not a.passed)

    def deviations(self) -> tuple[AssertionResult, ...]:
        """The assertions whose response broke the contract in form only, the behaviour holding (passed or not)."""
        return tuple(a for a in self.assertions if a.deviation)

    def to_data(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "total": self.total,
            "pass_rate": self.pass_rate,
            "conformance": self.conformance,
            "deviations": len(self.deviations()),
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
        """``212/220 assertions passed (96.4%); 3 of 40 cases failed``, and what deviated in form only.

        With deviations: ``...; 5 of the 8 failures deviate in form only`` (enforced)
        or ``...; 5 passed deviating in form only`` (reported).
        """
        failed = sum(not c.passed for c in self.cases)
        text = (
            f"{self.passed}/{self.total} assertions passed ({self.pass_rate:.1%}); "
            f"{failed} of {len(self.cases)} cases failed"
        )
        deviated = len(self.deviations())
        if not deviated:
            return text
        if self.conformance == "report":
            return f"{text}; {deviated} passed deviating from the contract in form only"
        failures = self.total - self.passed
        return f"{text}; {deviated} of the {failures} failures deviate from the contract in form only"


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
        # The socket timeout bounds each read; the watchdog bounds the whole
        # exchange (a server trickling a header byte a second cannot hold it).
        watchdog = _Watchdog(connection, timeout)
        try:
            connection.request(method, self.prefix + target, body=body, headers=dict(headers))
            response = connection.getresponse()
            answered = True
            chunks, size = [], 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or watchdog.expired:
                    raise TimeoutError
                if connection.sock is not None:
                    connection.sock.settimeout(left)
                chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY:
                    raise _TransportError(f"the response body is larger than {MAX_BODY} bytes")
                chunks.append(chunk)
            if watchdog.expired:
                raise TimeoutError
            headers_out = FrozenDict((k.lower(), v) for k, v in response.getheaders())
            cookies = tuple(v for k, v in response.getheaders() if k.lower() == "set-cookie")
            return _Response(response.status, headers_out, b"".join(chunks), cookies)
        except _TransportError:
            raise
        except Exception as exc:
            if watchdog.expired or isinstance(exc, TimeoutError):
                what = "no complete response" if answered else "no response"
                raise _TransportError(f"{what} within {timeout:g} s") from None
            raise _TransportError(self._reason(exc)) from None
        finally:
            watchdog.cancel()
            connection.close()

    def _reason(self, exc: Exception) -> str:
        """Why a request failed, in words (anything but a timeout)."""
        if isinstance(exc, ConnectionRefusedError):
            return f"connection refused: is the server running at {self.host}:{self.port}?"
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
            return "the server closed the connection without a response"
        if isinstance(exc, http.client.HTTPException):
            return f"not a valid HTTP response ({type(exc).__name__}: {exc})"
        if isinstance(exc, OSError):
            return f"network error: {exc.strerror or exc}"
        if isinstance(exc, (ValueError, UnicodeError)):  # http.client's checks of what is sent
            return f"the request cannot be sent: {exc}"
        return f"the exchange failed ({type(exc).__name__}: {exc})"


class _Watchdog:
    """Shuts a connection's socket down once ``seconds`` have passed: a total deadline, not one per read."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.expired = False
        self.timer = threading.Timer(max(seconds, 0.0), self._expire)
        self.timer.daemon = True
        self.timer.start()

    def _expire(self) -> None:
        self.expired = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self.timer.cancel()


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
        try:
            status = int(str(started[0]).split(" ", 1)[0])
            cookies = tuple(str(v) for k, v in started[1] if str(k).lower() == "set-cookie")
            return _Response(
                status, FrozenDict((str(k).lower(), str(v)) for k, v in started[1]), b"".join(chunks), cookies
            )
        except (TypeError, ValueError) as exc:
            raise _TransportError(f"the application sent an invalid response ({type(exc).__name__}: {exc})") from None


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
        try:
            pairs = [(bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in start.get("headers", [])]
            response_headers = FrozenDict((k.lower(), v) for k, v in pairs)
            cookies = tuple(v for k, v in pairs if k.lower() == "set-cookie")
            return _Response(int(start["status"]), response_headers, b"".join(chunks), cookies)
        except (TypeError, ValueError) as exc:
            raise _TransportError(f"the application sent an invalid response ({type(exc).__name__}: {exc})") from None


# --------------------------------------------------------------------------- resolving symbols


class _Missing(Exception):
    """A value the run does not have: a $var that no earlier step captured, an unset $env."""


class _Invalid(_Missing):
    """A value the case may not have: an ``$env`` not allowed, a ``$now`` out of range (no earlier step to blame)."""


_DURATION = re.compile(r"^(-?)P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _offset(duration: str) -> datetime.timedelta:
    """An ISO 8601 duration of days, hours, minutes and seconds (``P2DT30M``, ``-PT1H``)."""
    match = _DURATION.match(duration)
    if match is None:
        raise _Missing(f"$now {duration!r} is not an ISO 8601 duration like P2DT30M")
    sign, days, hours, minutes, seconds = match.groups()
    try:
        delta = datetime.timedelta(
            days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0)
        )
    except (OverflowError, ValueError):
        raise _Invalid(f"$now {duration!r} is out of range (at most {_MAX_DAYS} days)") from None
    return -delta if sign else delta


_MAX_DAYS = datetime.timedelta.max.days


@attrs.frozen
class _Env:
    """The variables ``$env`` may read: the allowed names of a source mapping."""

    values: Mapping[str, str] = attrs.field(repr=False)
    allowed: frozenset[str] | None
    """The names that may be read; ``None``: any name of ``values`` (an explicit mapping)."""
    seen: set[str] = attrs.field(factory=set, eq=False, repr=False)
    """The values read so far in the run: kept out of every report (see :func:`_scrub`)."""

    @classmethod
    def of(cls, env: Mapping[str, str] | None, allow_env: Iterable[str] | None) -> _Env:
        """``env`` (default: the process environment) seen through the allow-list.

        Without ``allow_env`` an explicit ``env`` mapping is readable as a
        whole (the caller chose what it holds) and the process environment
        not at all; with it, only the names it lists are.
        """
        if isinstance(allow_env, str):
            raise CdspecError(f"allow_env must be a collection of names, not the string {allow_env!r}")
        if allow_env is None:
            return cls(
                {} if env is None else {str(k): str(v) for k, v in env.items()},
                None if env is not None else frozenset(),
            )
        source = os.environ if env is None else env
        allowed = frozenset(str(name) for name in allow_env)
        return cls({name: str(source[name]) for name in allowed if name in source}, allowed)

    def read(self, name: str) -> str:
        if self.allowed is not None and name not in self.allowed:
            raise _Invalid(
                f"environment variable {name} is not allowed to be read "
                f"(allow it with --allow-env {name} or run_cases(..., allow_env=[{name!r}]))"
            )
        if name not in self.values:
            raise _Missing(f"environment variable {name} is not set")
        self.seen.add(self.values[name])
        return self.values[name]


class _Symbols:
    def __init__(self, run_id: str, case_index: int, env: _Env) -> None:
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
                return self.env.read(name)
            if set(value) == {"$now"}:
                duration = str(value["$now"])
                try:
                    moment = self.now + _offset(duration)
                except OverflowError:
                    raise _Invalid(f"$now {duration!r} is out of range (past the year 9999)") from None
                return moment.isoformat().replace("+00:00", "Z")
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value


_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")
_PATH_SAFE = "/!$&'()*+,;=:@"
"""What RFC 3986 allows in a path besides letters, digits and ``-._~`` (which ``quote`` keeps)."""


def _encode_path(path: str) -> str:
    """``path`` with every character a URL path may not hold percent-encoded as UTF-8; ``%XX`` escapes kept."""
    parts = _ESCAPE.split(path)
    return "".join(part if index % 2 else quote(part, safe=_PATH_SAFE) for index, part in enumerate(parts))


_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _header_problem(name: str, value: str) -> str | None:
    """Why a header cannot be sent as it is (without quoting its value, which may be a secret); ``None`` if it can."""
    if not _TOKEN.match(name):
        return f"header name {name!r} is not an HTTP token"
    for position, char in enumerate(value):
        if char in "\r\n\0":
            return f"header {name}: its value has a line break or NUL at position {position}"
        if ord(char) > 0xFF:
            return f"header {name}: its value has a character outside Latin-1 at position {position}"
    return None


def _query_text(value: JSON) -> str:
    """A query value as text: strings as they are, other scalars as JSON writes them (``true``, ``5``)."""
    return value if isinstance(value, str) else json.dumps(value)


def _target(step: Step, symbols: _Symbols) -> tuple[str, dict[str, str], bytes | None]:
    request = step.request
    path = request.path
    for name, value in symbols.resolve(thaw(request.path_params)).items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    path = _encode_path(path)
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
        return parse_json(response.body)
    except JsonError as exc:
        raise _NotJson(str(exc)) from None


class _NotJson(Exception):
    pass


def _matches_status(status: int, expected: Sequence[str]) -> bool:
    code = str(status)
    return any(e.upper() in (code, f"{code[0]}XX") for e in expected)


def _behaviour_statuses(args: Mapping[str, Any]) -> list[str]:
    """Statuses that show a status expectation's behaviour holds: its ``behaviour``, or its statuses' classes."""
    declared = args.get("behaviour")
    if declared:
        return [str(s).upper() for s in declared]
    return sorted({f"{str(s)[0]}XX" for s in args["statuses"]})


@attrs.frozen
class _Verdict:
    """One expectation checked: passed, what was seen, why not, and whether it failed in form only."""

    passed: bool
    observed: JSON
    reason: str = ""
    deviation: bool = False


def _form(observed: JSON, reason: str) -> _Verdict:
    """A failure in form only: the behaviour the expectation checks held."""
    return _Verdict(False, observed, reason, deviation=True)


def _schema_check(schema: JSON, body: JSON, *, success: bool = True) -> _Verdict:
    """Every error of ``body`` against ``schema``, in one reason; patterns too slow to match are noted as unchecked.

    Errors in a success body that change what a client reads (a required
    property absent, no object or array where one is due) fail; the others,
    and any error in an error body, deviate in form.
    """
    checked = check_schema(thaw(schema), body)
    if not checked.errors:
        return _Verdict(True, None, ("unchecked: " + "; ".join(checked.unchecked)) if checked.unchecked else "")
    if checked.total == 1:
        reason = f"body does not match the documented schema {checked.errors[0]}"
    else:
        more = checked.total - len(checked.errors)
        listed = "; ".join(checked.errors) + (f"; and {more} more" if more else "")
        reason = f"body does not match the documented schema ({checked.total} errors): {listed}"
    return _Verdict(False, _short(body), reason, deviation=not success or not checked.structural)


def _documented(responses: Mapping[str, Any], response: _Response) -> _Verdict:
    """Is the response one the contract documents: its status, then its media type and body?

    A 5xx the contract does not document fails; another undocumented status,
    another media type, or an error body of another shape deviates in form.
    """
    code = str(response.status)
    success = code.startswith("2")
    key = next((k for k in (code, f"{code[0]}XX", "default") if k in responses), None)
    if key is None:
        documented = ", ".join(responses)
        reason = f"status {response.status} is not documented (documented: {documented})"
        return _Verdict(False, response.status, reason) if code.startswith("5") else _form(response.status, reason)
    entry = responses[key]
    media = entry.get("media_type")
    if media is None:
        return _Verdict(True, response.status)
    observed = _media_type(response)
    if observed != media:
        return _form(observed or None, f"status {code}: content type {observed or '(none)'}, expected {media}")
    if "schema" not in entry:
        return _Verdict(True, response.status)
    try:
        body = _json_body(response)
    except _NotJson as exc:
        text = _short(response.body.decode("utf-8", "replace"))
        return _Verdict(False, text, f"status {code}: {exc}", deviation=not success)
    checked = _schema_check(entry["schema"], body, success=success)
    if checked.passed:
        return attrs.evolve(
            checked, observed=response.status, reason=f"status {code}: {checked.reason}" if checked.reason else ""
        )
    return attrs.evolve(checked, reason=f"status {code}: {checked.reason}")


def _check(expectation: Expectation, response: _Response, symbols: _Symbols) -> _Verdict:
    """One expectation against a response."""
    args = expectation.args
    kind = expectation.kind
    if kind == "status":
        expected = list(args["statuses"])
        if _matches_status(response.status, expected):
            return _Verdict(True, response.status)
        reason = f"status {response.status}, expected one of {', '.join(expected)}"
        behaviour = _behaviour_statuses(args)
        if _matches_status(response.status, behaviour):
            return _form(response.status, f"{reason} (the behaviour holds: {', '.join(behaviour)})")
        return _Verdict(False, response.status, reason)
    if kind == "content_type":
        observed = _media_type(response)
        if observed == args["media_type"]:
            return _Verdict(True, observed)
        return _form(observed, f"content type {observed or '(none)'}, expected {args['media_type']}")
    if kind == "documented":
        return _documented(args["responses"], response)
    try:
        body = _json_body(response)
    except _NotJson as exc:
        return _Verdict(False, _short(response.body.decode("utf-8", "replace")), str(exc))
    if kind == "schema":
        return _schema_check(args["schema"], body, success=str(response.status).startswith("2"))
    pointer = str(args.get("pointer", ""))
    try:
        value = resolve_pointer(body, pointer)
    except KeyError:
        return _Verdict(False, _short(body), f"the body has nothing at {pointer or '/'}")
    try:
        if kind == "equals":
            expected_value = symbols.resolve(thaw(args["value"]))
            ok = value == expected_value
            return _Verdict(
                ok,
                _short(value),
                "" if ok else f"{pointer or '/'} is {_short(value)!r}, expected {expected_value!r}",
            )
        match = symbols.resolve(thaw(args["match"]))
    except _Missing as missing:
        return _Verdict(False, None, f"nothing to compare with: {missing}")
    if not isinstance(value, list):
        return _Verdict(False, _short(value), f"{pointer or '/'} is not an array")
    if isinstance(match, Mapping):
        found = any(isinstance(item, Mapping) and all(item.get(k) == v for k, v in match.items()) for item in value)
    else:  # a scalar: an item equal to it
        found = match in value
    if kind == "contains":
        return _Verdict(found, len(value), "" if found else f"no item of {pointer or '/'} has {match}")
    return _Verdict(not found, len(value), "" if not found else f"an item of {pointer or '/'} still has {match}")


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


@attrs.frozen
class _Options:
    """How a run treats time (per-request and per-case limits, pacing, retries on 429) and deviations in form."""

    request_timeout: float
    case_timeout: float
    pace: float = 0.0
    retries: int = 3
    max_retry_wait: float = 10.0
    base: str = ""
    conformance: str = "enforce"


class _Polite:
    """A transport that keeps ``pace`` seconds between requests and retries a 429 after its ``Retry-After``.

    At most ``retries`` retries and ``max_retry_wait`` seconds of waiting per
    request, and never past the case's deadline: a longer ``Retry-After``
    gives the 429 back, to be checked as it is.
    """

    def __init__(self, transport: Any, options: _Options) -> None:
        self.transport = transport
        self.options = options
        self.last = -math.inf
        self.prefix: str = getattr(transport, "prefix", "")
        """The path of ``--base-url`` (HTTP only): when there is one, it replaces the contract's base path."""

    def _wait_turn(self) -> None:
        pause = self.last + self.options.pace - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.last = time.monotonic()

    def send(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        *,
        deadline: float = math.inf,
        retry: bool = True,
    ) -> _Response:
        waited = 0.0
        attempt = 0
        while True:
            self._wait_turn()
            response: _Response = self.transport.send(method, target, headers, body, timeout)
            if response.status != 429 or not retry or attempt >= self.options.retries:
                return response
            pause = _retry_after(response.headers.get("retry-after"))
            if pause > self.options.max_retry_wait - waited or time.monotonic() + pause + timeout > deadline:
                return response
            time.sleep(pause)
            waited += pause
            attempt += 1


def _retry_after(value: object) -> float:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date); 1 s when absent or unreadable."""
    if not isinstance(value, str):
        return 1.0
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(min(int(text[:12]), 10**9))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return 1.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def _expects_429(step: Step) -> bool:
    """Whether a step's status expectation accepts 429 (a rate limit under test is not retried)."""
    return any(e.kind == "status" and _matches_status(429, list(e.args["statuses"])) for e in step.expect)


# --------------------------------------------------------------------------- what a failure shows

SCREEN_CHARS = 2000
"""Characters of a response body (and of a request body in a curl line) a failure shows at most."""

SCREEN_LINES = 40
"""Lines of a response body a failure shows at most."""


def _screen(text: str) -> str:
    """``text`` cut to a screen: :data:`SCREEN_LINES` lines and :data:`SCREEN_CHARS` characters."""
    lines = text.splitlines()
    cut = "\n".join(lines[:SCREEN_LINES])
    if len(cut) > SCREEN_CHARS:
        cut = cut[:SCREEN_CHARS]
    return cut if cut == text else cut + f"\n... ({len(text)} characters in all)"


def _curl(base: str, method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> str:
    """The request as a curl command line (a body longer than a screen is cut, and then says so)."""
    words = ["curl", "-i", "-X", method, shlex.quote(base + target)]
    for name, value in headers.items():
        words += ["-H", shlex.quote(f"{name}: {value}")]
    if body is not None:
        text = body.decode("utf-8", "replace")
        words += ["--data-raw", shlex.quote(text if len(text) <= SCREEN_CHARS else text[:SCREEN_CHARS] + "...")]
    return " ".join(words)


def _snapshot(response: _Response) -> dict[str, Any]:
    """A response as a report shows it: status, headers, and the body cut to a screen."""
    return {
        "status": response.status,
        "headers": dict(response.headers),
        "body": _screen(response.body.decode("utf-8", "replace")),
    }


_SECRET_CHARS = 4
"""Environment values this long or longer are hidden in reports (shorter ones would garble every number)."""


def _scrub(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with each of ``secrets`` in its strings (keys too) replaced by ``***``, longest first."""
    hidden = sorted(secrets, key=len, reverse=True)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            for secret in hidden:
                node = node.replace(secret, "***")
            return node
        if isinstance(node, Mapping):
            return {walk(k): walk(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [walk(v) for v in node]
        return node

    return walk(value)


# --------------------------------------------------------------------------- running a case


@functools.lru_cache(maxsize=1024)
def _schema_problem(text: str) -> str | None:
    """:func:`schema_problem` of a schema given as JSON text (cases share schemas: each is checked once)."""
    return schema_problem(json.loads(text))


def _case_problem(case: Case) -> str | None:
    """Why a case cannot be run as written (checked before anything is sent); ``None`` when it can."""
    for step in case.steps:
        for name in step.request.headers:
            if not _TOKEN.match(str(name)):
                return f"step {step.name!r}: header name {name!r} is not an HTTP token"
        for expectation in step.expect:
            schemas: list[JSON] = []
            if expectation.kind == "schema":
                schemas.append(expectation.args.get("schema"))
            elif expectation.kind == "documented":
                entries = expectation.args.get("responses", {})
                schemas.extend(e["schema"] for e in entries.values() if isinstance(e, Mapping) and "schema" in e)
            for schema in schemas:
                problem = _schema_problem(json.dumps(thaw(schema), sort_keys=True, default=str))
                if problem is not None:
                    return f"step {step.name!r}, {expectation.kind} expectation: {problem}"
    return None


def _judged(expectation: Expectation, response: _Response, symbols: _Symbols, conformance: str) -> _Verdict:
    """:func:`_check`; a deviation passes under ``conformance="report"``; a bug of cdspec's costs one assertion."""
    try:
        verdict = _check(expectation, response, symbols)
    except Exception as exc:
        reason = f"cdspec could not check the response ({type(exc).__name__}: {exc}); please report this"
        return _Verdict(False, None, reason)
    if verdict.deviation and conformance == "report":
        return attrs.evolve(verdict, passed=True, reason=f"deviation: {verdict.reason}")
    return verdict


def _run_case(case: Case, transport: _Polite, symbols: _Symbols, options: _Options) -> CaseResult:
    started = time.monotonic()
    deadline = started + options.case_timeout
    results: list[AssertionResult] = []

    def fail_all(step: Step, reason: str, request: str = "") -> None:
        results.extend(
            AssertionResult(case.id, step.name, e.kind, e.description, False, None, reason, request)
            for e in step.expect
        )

    def finish() -> CaseResult:
        return CaseResult(case.id, case.kind, case.title, tuple(results), time.monotonic() - started)

    problem = _case_problem(case)
    if problem is not None:
        for step in case.steps:
            fail_all(step, f"the case is invalid: {problem}")
        return finish()
    try:
        for name, value in case.vars.items():
            symbols.vars[name] = symbols.resolve(thaw(value))
    except _Missing as missing:
        for step in case.steps:
            fail_all(step, f"the case's variables cannot be bound: {missing}")
        return finish()
    for step in case.steps:
        left = deadline - time.monotonic()
        if left <= 0:
            fail_all(step, f"the case ran out of time ({options.case_timeout:g} s)")
            continue
        try:
            target, headers, body = _target(step, symbols)
            if not getattr(transport, "prefix", ""):  # a --base-url path wins over the contract's
                target = case.base_path + target
        except _Missing as missing:
            fail_all(step, str(missing) if isinstance(missing, _Invalid) else f"{missing} (did an earlier step fail?)")
            continue
        unsendable = next(filter(None, (_header_problem(k, v) for k, v in headers.items())), None)
        if unsendable is not None:
            fail_all(step, f"the request cannot be sent: {unsendable}")
            continue
        curl = _curl(options.base, step.request.method, target, headers, body)
        try:
            response = transport.send(
                step.request.method,
                target,
                headers,
                body,
                min(options.request_timeout, left),
                deadline=deadline,
                retry=not _expects_429(step),
            )
        except _TransportError as error:
            fail_all(step, str(error), curl)
            continue
        listing = _walk_pages(
            step,
            target=target,
            headers=headers,
            transport=transport,
            first=response,
            deadline=deadline,
            request_timeout=options.request_timeout,
        )
        snapshot: dict[str, Any] | None = None
        for expectation in step.expect:
            seen = listing if listing is not None and expectation.kind in ("contains", "not_contains") else response
            verdict = _judged(expectation, seen, symbols, options.conformance)
            passed, reason = verdict.passed, verdict.reason
            shown = ""
            if not passed:
                shown = curl
                snapshot = snapshot or _snapshot(response)
            results.append(
                AssertionResult(
                    case.id,
                    step.name,
                    expectation.kind,
                    expectation.description,
                    passed,
                    verdict.observed,
                    reason,
                    shown,
                    snapshot if not passed else None,
                    verdict.deviation,
                )
            )
        _capture(step, response, symbols)
    return finish()


def _run_case_safely(case: Case, transport: _Polite, symbols: _Symbols, options: _Options) -> CaseResult:
    """:func:`_run_case`; anything it did not foresee (a case nested past the recursion limit) fails that case only."""
    started = time.monotonic()
    try:
        return _run_case(case, transport, symbols, options)
    except Exception as exc:
        reason = f"cdspec could not run this case ({type(exc).__name__}: {str(exc)[:200]})"
        failed = tuple(
            AssertionResult(case.id, step.name, e.kind, e.description, False, None, reason)
            for step in case.steps
            for e in step.expect
        )
        return CaseResult(case.id, case.kind, case.title, failed, time.monotonic() - started)


def _is_asgi(app: Any) -> bool:
    """ASGI apps are coroutine functions (or objects whose ``__call__`` is one)."""
    call = type(app).__call__ if callable(app) and not inspect.isfunction(app) else None
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call)


def _seconds(name: str, value: float, *, zero: bool = False) -> float:
    """``value`` checked as a finite number of seconds (positive, or not negative with ``zero``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CdspecError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not zero):
        raise CdspecError(f"{name} must be {'at least 0' if zero else 'more than 0'} seconds, got {value!r}")
    return float(value)


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
    allow_env: Iterable[str] | None = None,
    pace: float = 0.0,
    retries: int = 3,
    max_retry_wait: float = 10.0,
    progress: Callable[[int, int], object] | None = None,
    conformance: Conformance = "enforce",
) -> Report:
    """Run ``cases`` against ``base_url`` (a live server) or ``app`` (a WSGI or ASGI app).

    ``asgi`` says which kind ``app`` is; by default an app whose call is a
    coroutine function is ASGI. ``run_id`` makes ``$unique`` values
    reproducible (default: random, so repeated runs against one database do
    not collide).

    ``$env`` symbols read only allowed variables: the names in
    ``allow_env``, from ``env`` (default: the process environment). Without
    ``allow_env``, an explicit ``env`` mapping is readable as a whole and the
    process environment not at all. Values read this way never appear in the
    report.

    Every request has ``request_timeout`` seconds in all (connecting, sending,
    the status line, headers and body), every case ``case_timeout``. ``pace``
    seconds pass between any two requests; a ``429`` is retried after its
    ``Retry-After`` (at most ``retries`` times and ``max_retry_wait`` seconds
    of waiting per request) unless the step expects a 429.
    ``progress(done, total)`` is called after each case (a progress bar).

    ``conformance`` says what a response that breaks the contract in form
    only does (the behaviour the assertion checks holding): ``"enforce"``
    fails it, as the study counts assertions; ``"report"`` passes it and
    still lists it (:attr:`AssertionResult.deviation`,
    :meth:`Report.deviations`). Which failures are of form is listed in
    ``docs/running.md``.
    """
    if (base_url is None) == (app is None):
        raise CdspecError("give base_url (a live server) or app (a WSGI or ASGI application), not both")
    if conformance not in CONFORMANCE:
        raise CdspecError(f"conformance must be one of {', '.join(CONFORMANCE)}, got {conformance!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise CdspecError(f"retries must be a whole number, at least 0, got {retries!r}")
    options = _Options(
        request_timeout=_seconds("request_timeout", request_timeout),
        case_timeout=_seconds("case_timeout", case_timeout),
        pace=_seconds("pace", pace, zero=True),
        retries=retries,
        max_retry_wait=_seconds("max_retry_wait", max_retry_wait, zero=True),
        base=base_url.rstrip("/") if base_url is not None else "http://127.0.0.1",
        conformance=conformance,
    )
    run = run_id if run_id is not None else secrets.token_hex(3)
    environment = _Env.of(env, allow_env)
    transport: Any
    if base_url is not None:
        transport = _Http(base_url)
    else:
        is_asgi = asgi if asgi is not None else _is_asgi(app)
        transport = _Asgi(app) if is_asgi else _Wsgi(app)
    if isinstance(transport, _Asgi):
        transport.start()
    polite = _Polite(transport, options)
    todo = tuple(cases)
    done: list[CaseResult] = []
    try:
        for index, case in enumerate(todo):
            done.append(_run_case_safely(case, polite, _Symbols(run, index, environment), options))
            if progress is not None:
                progress(index + 1, len(todo))
    finally:
        if isinstance(transport, _Asgi):
            transport.stop()
    return Report(tuple(_scrubbed(result, environment.seen) for result in done), conformance)


def _scrubbed(result: CaseResult, secrets: Iterable[str]) -> CaseResult:
    """``result`` with the environment values the run read replaced by ``***`` wherever a server or a case put them."""
    hidden = [secret for secret in secrets if len(secret) >= _SECRET_CHARS]
    if not hidden:
        return result
    kept = tuple(
        attrs.evolve(
            a,
            observed=_scrub(thaw(a.observed), hidden),
            reason=_scrub(a.reason, hidden),
            request=_scrub(a.request, hidden),
            response=_scrub(thaw(a.response), hidden),
        )
        for a in result.assertions
    )
    return attrs.evolve(result, assertions=kept)
