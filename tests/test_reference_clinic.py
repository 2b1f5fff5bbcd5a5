"""The clinic example's reference implementation passes its own tests and serves the contract over real HTTP.

``examples/clinic/reference`` is a complete FastAPI implementation of the
clinic task; it is the conforming corpus for cdspec's checks. Its own suite
(``reference/tests``) covers every operation and status of the contract; here
it runs in a subprocess, and the application runs as a real server
(``python -m app``, the task's entry point) that a few requests must find
conforming.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cdspec
from cdspec.cases import schema_validator

from .servers import free_port, serving

CLINIC = Path(__file__).resolve().parent.parent / "examples" / "clinic"
REFERENCE = CLINIC / "reference"
CONTRACT = cdspec.load_contract(CLINIC / "openapi.yaml")
STAFF = {"email": "staff@clinic.test", "password": "staff-password-1"}


@pytest.fixture(autouse=True)
def _reference_dependencies() -> None:
    """Fail, never skip, when the reference's dependencies are missing."""
    missing = [name for name in ("fastapi", "uvicorn", "sqlalchemy", "jwt") if importlib.util.find_spec(name) is None]
    if importlib.util.find_spec("httpx2") is None and importlib.util.find_spec("httpx") is None:
        missing.append("httpx2")
    if missing:
        pytest.fail(
            f"the clinic reference implementation needs {', '.join(missing)}: pip install -e '.[dev]'", pytrace=False
        )


def _environment(**variables: str) -> dict[str, str]:
    env = {**os.environ, **variables, "PYTHONDONTWRITEBYTECODE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REFERENCE), os.environ.get("PYTHONPATH")]))
    return env


def test_reference_tests_pass() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(REFERENCE / "tests"), "-q", "-p", "no:cacheprovider"],
        cwd=REFERENCE,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert " passed" in output
    assert " failed" not in output
    assert " skipped" not in output


def _conforms(operation_id: str, status: int, body: Any) -> None:
    response = CONTRACT.operation(operation_id).response(status)
    assert response is not None, f"{operation_id} documents no {status}"
    assert response.status == str(status)
    validator = schema_validator(response.schema(), document=CONTRACT, purpose="response")
    errors = [error.message for error in validator.iter_errors(body)]
    assert not errors, f"{operation_id} {status}: {errors} in {body}"


class Server:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                status, raw = error.code, error.read()
        return status, json.loads(raw) if raw else None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``python -m app`` on a free loopback port and a fresh SQLite file."""
    port = free_port()
    database = tmp_path / "clinic.sqlite3"
    env = _environment(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="reference-test-secret-key-long-enough-for-hs256",
        STAFF_EMAIL=STAFF["email"],
        STAFF_PASSWORD=STAFF["password"],
    )
    url = f"http://127.0.0.1:{port}"
    with serving(
        REFERENCE,
        env,
        tmp_path / "server.log",
        lambda: urllib.request.urlopen(url + "/practitioners", timeout=2).close(),
    ):
        assert database.exists(), "the tables are created at start-up"
        yield Server(url)


def test_reference_serves_the_contract(server: Server) -> None:
    patient = {
        "email": "ann@example.com",
        "password": "correct-horse-battery",
        "fullName": "Ann",
        "dateOfBirth": "1990-04-01",
    }

    status, body = server.call("POST", "/auth/register", patient)
    assert status == 201, body
    _conforms("registerPatient", 201, body)
    assert (body["email"], body["phone"]) == ("ann@example.com", None)

    status, body = server.call("POST", "/auth/register", patient)
    assert status == 409, body
    _conforms("registerPatient", 409, body)

    status, body = server.call("POST", "/auth/register", {**patient, "phone": "555"})
    assert status == 400, body  # never FastAPI's 422
    _conforms("registerPatient", 400, body)
    assert body["details"][0]["field"] == "body.phone"

    status, body = server.call("POST", "/auth/login", {"email": patient["email"], "password": patient["password"]})
    assert status == 200, body
    _conforms("login", 200, body)
    assert (body["tokenType"], body["role"], body["expiresIn"]) == ("Bearer", "patient", 1800)
    token = body["accessToken"]

    status, body = server.call("GET", "/bookings", token=token)
    assert status == 200, body
    _conforms("listBookings", 200, body)
    assert (body["items"], body["total"]) == ([], 0)

    status, body = server.call("GET", "/bookings")
    assert status == 401, body
    _conforms("listBookings", 401, body)

    status, body = server.call("POST", "/auth/login", STAFF)
    assert status == 200, body
    assert body["role"] == "staff"
    staff_token = body["accessToken"]
    practitioner = {"fullName": "Dr Grace Hopper", "specialty": "cardiology", "licenseNumber": "GM-104233"}
    status, body = server.call("POST", "/practitioners", practitioner, token=staff_token)
    assert status == 201, body
    _conforms("createPractitioner", 201, body)

    status, body = server.call("GET", "/practitioners?specialty=cardiology&limit=5")
    assert status == 200, body
    _conforms("listPractitioners", 200, body)
    assert [item["fullName"] for item in body["items"]] == ["Dr Grace Hopper"]
    assert (body["total"], body["limit"], body["offset"]) == (1, 5, 0)
