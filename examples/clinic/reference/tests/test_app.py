"""The application as a whole: configuration, start-up, routes, error bodies, the database."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from app.config import Settings
from app.main import create_app
from app.models import Slot
from app.repositories import ConstraintViolation, Database
from fastapi.testclient import TestClient


def test_settings_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///./clinic.sqlite3"
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)
    assert settings.token_ttl == timedelta(minutes=30)
    assert settings.secret_key
    assert (settings.staff_email, settings.staff_password) == (None, None)


def test_settings_from_the_environment() -> None:
    environ = {
        "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
        "SECRET_KEY": "s" * 40,
        "HOST": "127.0.0.1",
        "PORT": "9001",
        "STAFF_EMAIL": "boss@clinic.test",
        "STAFF_PASSWORD": "boss-password",
    }
    settings = Settings.from_env(environ)
    assert settings.database_url == "sqlite:////tmp/x.sqlite3"
    assert (settings.secret_key, settings.host, settings.port) == ("s" * 40, "127.0.0.1", 9001)
    assert (settings.staff_email, settings.staff_password) == ("boss@clinic.test", "boss-password")


def test_only_sqlite_is_accepted() -> None:
    with pytest.raises(ValueError, match="SQLite"):
        create_app(Settings(database_url="postgresql://localhost/clinic"))


def test_tables_are_created_at_start_up(settings: Settings) -> None:
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    app = create_app(settings)
    assert not path.exists()
    with TestClient(app):
        assert path.exists()


def test_no_staff_account_without_its_settings(tmp_path: Path, expect) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with TestClient(create_app(settings)) as client:
        body = {"email": "staff@clinic.test", "password": "staff-password-1"}
        expect(client.post("/auth/login", json=body), "login", 401)


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    database.create_tables()
    start = datetime.now(UTC) + timedelta(days=1)
    with database.unit_of_work() as uow:
        uow.slots.add(Slot(practitioner_id=uuid.uuid4(), starts_at=start, ends_at=start + timedelta(minutes=30)))
        with pytest.raises(ConstraintViolation):
            uow.commit()
    database.dispose()


def test_every_operation_has_its_route(client: TestClient, contract) -> None:
    """The application's own OpenAPI document has exactly the contract's operations."""
    generated = client.app.openapi()["paths"]
    routes = {(method, path, op["operationId"]) for path, item in generated.items() for method, op in item.items()}
    assert routes == {(op.method, op.path, op.operation_id) for op in contract.operations}


def test_every_documented_status_is_tested(contract) -> None:
    """Each (operation, status) the contract documents has an ``expect(response, operation, status)`` in these tests."""
    tested = set()
    for path in Path(__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect" and len(node.args) == 3:
                operation, status = node.args[1], node.args[2]
                if isinstance(operation, ast.Constant) and isinstance(status, ast.Constant):
                    tested.add((operation.value, status.value))
    documented = {(op.operation_id, int(response.status)) for op in contract.operations for response in op.responses}
    assert documented - tested == set(), "documented but not tested"
    assert tested - documented == set(), "tested but not documented"


def test_unknown_paths_get_the_error_body(client: TestClient) -> None:
    response = client.get("/api/practitioners")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not Found"}
