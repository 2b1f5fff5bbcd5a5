"""Fixtures: the app on a temporary SQLite file per test, a movable clock, and
``expect``, which checks a response against the contract (documented status,
JSON body valid against the response schema, Draft 2020-12 with formats).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from app.config import Settings
from app.main import create_app
from app.services import clock as service_clock
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

import cdspec

CONTRACT = cdspec.load_contract(Path(__file__).resolve().parents[2] / "openapi.yaml")
FORMATS = Draft202012Validator.FORMAT_CHECKER
assert {"date-time", "date", "uuid", "email"} <= set(FORMATS.checkers), "pip install rfc3339-validator"

STAFF_EMAIL = "staff@clinic.test"
STAFF_PASSWORD = "staff-password-1"
PASSWORD = "correct-horse-battery"

Expect = Callable[[Any, str, int], Any]


def inline(schema: Any) -> Any:
    """``schema`` with every ``$ref`` into the contract replaced by what it points to."""
    if isinstance(schema, Mapping):
        if "$ref" in schema:
            return inline(CONTRACT.resolve(schema["$ref"]))
        return {key: inline(value) for key, value in schema.items()}
    if isinstance(schema, list | tuple):
        return [inline(item) for item in schema]
    return schema


def _instants(body: Any) -> Iterator[tuple[str, str]]:
    if isinstance(body, dict):
        for key, value in body.items():
            if key.endswith("At") and isinstance(value, str):
                yield key, value
            yield from _instants(value)
    elif isinstance(body, list):
        for item in body:
            yield from _instants(item)


def expect(response: Any, operation_id: str, status: int) -> Any:
    """Assert that ``response`` has ``status``, documented for the operation, and its body's schema; return the body."""
    assert response.status_code == status, f"{operation_id}: {response.status_code} {response.text}"
    documented = CONTRACT.operation(operation_id).response(status)
    assert documented is not None, f"{operation_id} documents no {status}"
    assert documented.status == str(status), f"{operation_id} documents no {status}, only {documented.status}"
    schema = documented.schema()
    if schema is None:
        assert response.content == b""
        return None
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    errors = [error.message for error in Draft202012Validator(inline(schema), format_checker=FORMATS).iter_errors(body)]
    assert not errors, f"{operation_id} {status}: {errors} in {body}"
    for key, value in _instants(body):  # "All date-times are UTC (RFC 3339 with Z)"
        assert value.endswith("Z"), f"{key}: {value}"
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    return body


@pytest.fixture(name="expect")
def expect_fixture() -> Expect:
    return expect


@pytest.fixture
def contract() -> cdspec.Contract:
    return CONTRACT


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'clinic.sqlite3'}",
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        staff_email=STAFF_EMAIL,
        staff_password=STAFF_PASSWORD,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


class Clock:
    """The services' clock, offset from the real one."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(service_clock, "now", fake.now)
    return fake


@dataclass
class Caller:
    id: str
    email: str
    headers: dict[str, str]


class Api:
    """Shortcuts for setting the scene; each checks its response against the contract."""

    password = PASSWORD
    staff_email = STAFF_EMAIL
    staff_password = STAFF_PASSWORD

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._numbers = itertools.count(1)
        self._staff: dict[str, str] | None = None

    @staticmethod
    def at(delta: timedelta) -> str:
        """An RFC 3339 instant ``delta`` from now, in whole minutes."""
        return (datetime.now(UTC) + delta).replace(second=0, microsecond=0).isoformat().replace("+00:00", "Z")

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        token = expect(self.client.post("/auth/login", json={"email": email, "password": password}), "login", 200)
        return self.bearer(token["accessToken"])

    @property
    def staff(self) -> dict[str, str]:
        if self._staff is None:
            self._staff = self.login(STAFF_EMAIL, STAFF_PASSWORD)
        return self._staff

    def patient(self, full_name: str = "Ann Patient") -> Caller:
        email = f"patient{next(self._numbers)}@example.com"
        body = {"email": email, "password": PASSWORD, "fullName": full_name, "dateOfBirth": "1990-04-01"}
        patient = expect(self.client.post("/auth/register", json=body), "registerPatient", 201)
        return Caller(id=patient["id"], email=email, headers=self.login(email))

    def practitioner(self, full_name: str = "Dr Grace Hopper", **fields: Any) -> dict[str, Any]:
        body = {
            "fullName": full_name,
            "specialty": "general_practice",
            "licenseNumber": f"GM-{next(self._numbers):06d}",
            **fields,
        }
        return expect(self.client.post("/practitioners", json=body, headers=self.staff), "createPractitioner", 201)

    def slot(self, practitioner_id: str, starts_in: timedelta = timedelta(days=2), minutes: int = 30) -> dict[str, Any]:
        body = {"startsAt": self.at(starts_in), "endsAt": self.at(starts_in + timedelta(minutes=minutes))}
        response = self.client.post(f"/practitioners/{practitioner_id}/slots", json=body, headers=self.staff)
        return expect(response, "createSlot", 201)

    def book(self, caller: Caller, slot_id: str, reason: str = "Persistent cough") -> dict[str, Any]:
        response = self.client.post("/bookings", json={"slotId": slot_id, "reason": reason}, headers=caller.headers)
        return expect(response, "createBooking", 201)


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
