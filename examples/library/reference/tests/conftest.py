"""Fixtures, and a test client that checks every response against the contract.

``api("getBook", 200, bookId=1)`` sends the request of that operation (its
method and path come from ``openapi.yaml``), asserts the status code, and
validates the body against the schema the contract documents for that status.
The check is stricter than the contract: objects must not carry properties it
does not declare.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import cdspec
import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from app import create_app
from app.services import auth

CONTRACT = cdspec.load_contract(Path(__file__).resolve().parents[2] / "openapi.yaml")
LIBRARIAN = {"email": "librarian@example.org", "password": "shelve-it-123"}
PASSWORD = "correct-horse-battery"
PASSED = pytest.StashKey[bool]()


def covers(*responses: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the documented responses a test exercises: ``@covers("getBook 200", "getBook 404")``."""

    def mark(test: Callable[..., Any]) -> Callable[..., Any]:
        test.covers = frozenset(responses)  # type: ignore[attr-defined]
        return test

    return mark


def documented_responses() -> set[str]:
    return {f"{op.operation_id} {response.status}" for op in CONTRACT.operations for response in op.responses}


# -- the contract's schemas as JSON Schema (draft 4, as OpenAPI 3.0 is based on it)

FORMATS = jsonschema.FormatChecker(formats=())
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or (RFC3339.fullmatch(value) is not None and bool(datetime.fromisoformat(value)))


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or (len(value) == 10 and bool(date.fromisoformat(value)))


@FORMATS.checks("email")
def _email(value: object) -> bool:
    return not isinstance(value, str) or "@" in value


def json_schema(node: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as JSON Schema: references inlined, ``nullable`` as a
    null type, ``allOf`` merged, and no undeclared properties allowed."""
    if "$ref" in node:
        return json_schema(CONTRACT.resolve(node["$ref"]))
    if "allOf" in node:
        parts = [json_schema(part) for part in node["allOf"]]
        return {
            "type": "object",
            "required": sorted({name for part in parts for name in part.get("required", [])}),
            "properties": {name: schema for part in parts for name, schema in part["properties"].items()},
            "additionalProperties": False,
        }
    schema = dict(node)
    if "properties" in node:
        schema["properties"] = {name: json_schema(value) for name, value in node["properties"].items()}
        schema.setdefault("additionalProperties", False)
    if "items" in node:
        schema["items"] = json_schema(node["items"])
    if schema.pop("nullable", False):
        schema["type"] = [schema["type"], "null"]
    return schema


def check_response(operation_id: str, status: int, response: Any) -> Any:
    """The JSON body of ``response`` after checking it against the contract; None for no content."""
    operation = CONTRACT.operation(operation_id)
    documented = {r.status: r for r in operation.responses}
    assert str(status) in documented, f"{operation_id} does not document {status}"
    schema = documented[str(status)].schema()
    if schema is None:
        assert response.get_data() == b"", f"{operation_id} {status} must have no body"
        return None
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    validator = jsonschema.Draft4Validator(json_schema(schema), format_checker=FORMATS)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{operation_id} {status}: {errors} in {body}"
    return body


# -- fixtures


class Api:
    """Calls operations by id and checks each response against the contract."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.exercised: set[str] = set()
        self.last: Any = None

    def __call__(
        self,
        operation_id: str,
        expect: int,
        *,
        token: str | None = None,
        json: Any = None,
        data: str | None = None,
        content_type: str | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **path: Any,
    ) -> Any:
        operation = CONTRACT.operation(operation_id)
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        self.last = response = self.client.open(
            operation.path.format(**path),
            method=operation.method.upper(),
            json=json,
            data=data,
            content_type=content_type,
            query_string=query,
            headers=sent,
        )
        assert response.status_code == expect, f"{operation_id}: {response.status_code} {response.get_data(True)}"
        self.exercised.add(f"{operation_id} {expect}")
        return check_response(operation_id, expect, response)


@dataclass(frozen=True)
class Account:
    id: int
    token: str


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[PASSED] = report.passed
    return report


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default hash (scrypt) is slow on purpose; the tests need no such strength."""
    monkeypatch.setattr(
        auth, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    )


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """A fresh application on a fresh SQLite file, configured through the environment."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'library.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.setenv("LIBRARIAN_EMAIL", LIBRARIAN["email"])
    monkeypatch.setenv("LIBRARIAN_PASSWORD", LIBRARIAN["password"])
    return create_app({"TESTING": True})


@pytest.fixture
def api(app: Flask, request: pytest.FixtureRequest) -> Iterator[Api]:
    api = Api(app.test_client())
    yield api
    missing = getattr(request.function, "covers", frozenset()) - api.exercised
    assert not (request.node.stash.get(PASSED, False) and missing), (
        f"declared with @covers but not exercised: {sorted(missing)}"
    )


@pytest.fixture
def signup(api: Api) -> Callable[..., Account]:
    """Register a member and sign them in."""

    def signup(name: str = "ada") -> Account:
        email = f"{name}@example.org"
        member = api("registerMember", 201, json={"email": email, "password": PASSWORD, "fullName": name.title()})
        token = api("login", 200, json={"email": email, "password": PASSWORD})["accessToken"]
        return Account(member["id"], token)

    return signup


@pytest.fixture
def librarian(api: Api) -> Account:
    token = api("login", 200, json=LIBRARIAN)["accessToken"]
    return Account(1, token)  # created at start-up, before anyone registers


@pytest.fixture
def member(signup: Callable[..., Account]) -> Account:
    return signup("ada")


@pytest.fixture
def other(signup: Callable[..., Account]) -> Account:
    return signup("bob")


@pytest.fixture
def add_book(api: Api, librarian: Account) -> Callable[..., dict[str, Any]]:
    """Add a book to the catalogue (one copy unless told)."""
    isbns = iter(f"978{n:010d}" for n in range(1, 10_000))

    def add_book(title: str = "Crime and Punishment", **fields: Any) -> dict[str, Any]:
        body = {"isbn": next(isbns), "title": title, "author": "Fyodor Dostoevsky", "copiesTotal": 1, **fields}
        return api("createBook", 201, token=librarian.token, json=body)

    return add_book


@pytest.fixture
def book(add_book: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return add_book()
