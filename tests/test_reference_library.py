"""The library example's reference implementation works and keeps its task's constraints.

``examples/library/reference`` is a separate Flask project: its own test suite
runs in a subprocess, and it is started as a real server (``python -m app``)
that answers HTTP requests as ``examples/library/openapi.yaml`` says. Its
source is also checked against the constraints of ``examples/library/task.yaml``
(with the SQLite database), the way a static verifier reads them.
"""

from __future__ import annotations

import ast
import contextlib
import http.client
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import cdspec
from cdspec.cases import schema_validator

from .servers import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "library"
REFERENCE = LIBRARY / "reference"
CONTRACT = cdspec.load_contract(LIBRARY / "openapi.yaml")
TASK = cdspec.load_task(LIBRARY / "task.yaml").choose({"database": "sqlite"})
LIBRARIAN = {"email": "librarian@example.org", "password": "shelve-it-123"}


@pytest.fixture(autouse=True)
def _reference_dependencies() -> None:
    missing = [name for name in ("flask", "sqlalchemy", "marshmallow") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            f"the library reference needs {', '.join(missing)}: pip install -e '.[dev]'",
            pytrace=False,
        )


def _env(**extra: str) -> dict[str, str]:
    """The environment for a reference process: no stray configuration, no bytecode files."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "PORT", "HOST"}}
    env = {k: v for k, v in env.items() if not k.startswith(("LIBRARIAN_", "PYTEST_"))}
    path = os.pathsep.join(p for p in (str(REFERENCE), env.get("PYTHONPATH")) if p)
    return {**env, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def test_the_reference_test_suite_passes() -> None:
    command = [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        command, cwd=REFERENCE, env=_env(), capture_output=True, text=True, timeout=600, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = output.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in .*", summary), summary


# -- a real server


class Client:
    """HTTP/1.1 to the server; each response is checked against the contract."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __call__(
        self, operation_id: str, expect: int, *, body: Any = None, token: str | None = None, **path: Any
    ) -> Any:
        operation = CONTRACT.operation(operation_id)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(operation.method.upper(), operation.path.format(**path), body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        assert response.status == expect, f"{operation_id}: {response.status} {raw!r}"
        documented = operation.response(expect)
        assert documented is not None
        assert documented.status == str(expect)
        schema = documented.schema()
        if schema is None:
            assert raw == b""
            return None
        assert response.getheader("Content-Type", "").startswith("application/json")
        data = json.loads(raw)
        errors = [e.message for e in schema_validator(schema, document=CONTRACT, purpose="response").iter_errors(data)]
        assert not errors, f"{operation_id} {expect}: {errors} in {data}"
        return data


@contextlib.contextmanager
def _serving(database: Path, log: Path) -> Iterator[Client]:
    """``python -m app`` on a free loopback port until the block ends; never left running."""
    port = free_port()
    env = _env(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="server-test-secret",
        LIBRARIAN_EMAIL=LIBRARIAN["email"],
        LIBRARIAN_PASSWORD=LIBRARIAN["password"],
    )
    client = Client(port)
    with serving(REFERENCE, env, log, lambda: client("listBooks", 200)):
        yield client


def test_the_reference_serves_the_contract_over_http(tmp_path: Path) -> None:
    database, log = tmp_path / "library.sqlite3", tmp_path / "server.log"
    with _serving(database, log) as api:
        member = {"email": "ada@example.org", "password": "correct-horse", "fullName": "Ada Reader"}
        created = api("registerMember", 201, body=member)
        assert (created["email"], created["role"]) == (member["email"], "member")
        assert api("registerMember", 409, body=member)["code"] == "conflict"
        assert api("registerMember", 400, body={"email": "ada"})["code"] == "validation_error"
        token = api("login", 200, body={"email": member["email"], "password": member["password"]})
        assert (token["tokenType"], token["expiresIn"]) == ("Bearer", 3600)
        api("login", 401, body={"email": member["email"], "password": "wrong-password"})

        librarian = api("login", 200, body=LIBRARIAN)["accessToken"]
        book = {"isbn": "9780140449136", "title": "Crime and Punishment", "author": "F. Dostoevsky", "copiesTotal": 2}
        api("createBook", 403, body=book, token=token["accessToken"])
        api("createBook", 401, body=book)
        added = api("createBook", 201, body=book, token=librarian)
        loan = api("createLoan", 201, body={"bookId": added["id"]}, token=token["accessToken"])
        assert loan["status"] == "active"
        listed = api("listBooks", 200)
        assert (listed["total"], listed["items"][0]["availableCopies"]) == (1, 1)
        api("listLoans", 401)
    assert database.is_file()

    with _serving(database, log) as api:  # a restart keeps the data and the one librarian account
        assert api("getBook", 200, bookId=added["id"])["availableCopies"] == 1
        api("login", 200, body=LIBRARIAN)


# -- the task's constraints, read statically


def _modules() -> dict[str, Path]:
    """Every module of the reference's ``app`` package, by dotted name."""
    found = {}
    for path in sorted((REFERENCE / "app").rglob("*.py")):
        parts = path.relative_to(REFERENCE).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """The modules ``name`` imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            imported |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return imported


def _within(module: str, prefixes: Any) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def _params(constraint_id: str) -> Mapping[str, Any]:
    return next(c.params for c in TASK.constraints if c.id == constraint_id)


SQL = re.compile(r"\b(select\s.*\sfrom|insert\s+into|update\s.*\sset|delete\s+from)\b", re.IGNORECASE | re.DOTALL)
SESSIONS = ("sqlalchemy.create_engine", "sqlalchemy.orm.Session", "sqlalchemy.orm.sessionmaker", "sqlalchemy.select")


def test_the_reference_keeps_the_import_and_persistence_constraints() -> None:
    layers = [layer["modules"] for layer in _params("architecture.import-layering")["layers"]]
    flask = _params("architecture.no-flask-below-routes")

    def layer(module: str) -> int | None:
        return next((i for i, prefixes in enumerate(layers) if _within(module, prefixes)), None)

    problems = []
    for name, path in _modules().items():
        for imported in sorted(_imports(name, path)):
            own, target = layer(name), layer(imported)
            if own is not None and target is not None and target < own:
                problems.append(f"{name} imports {imported}, from a layer above it")
            if _within(name, flask["in"]) and _within(imported, flask["modules"]):
                problems.append(f"{name} imports {imported}")
            # One data path: sessions and engines in the repositories, the models only declare tables.
            if _within(imported, ["sqlalchemy", "sqlite3"]) and not _within(name, ["app.repositories", "app.models"]):
                problems.append(f"{name} imports {imported}")
            if imported in SESSIONS and not _within(name, ["app.repositories"]):
                problems.append(f"{name} imports {imported}")
            if imported in {"sqlalchemy.text", "sqlalchemy.sql.text", "sqlite3"}:
                problems.append(f"{name} imports {imported}")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                problems.append(f"{name} has SQL in a string: {node.value!r}")
            if isinstance(node, ast.Attribute) and node.attr == "exec_driver_sql":
                problems.append(f"{name} calls exec_driver_sql")
    assert not problems


def test_the_reference_keeps_the_layout_constraints() -> None:
    for alternatives in _params("architecture.layer-dirs")["layer_dirs"].values():
        assert any((REFERENCE / d).is_dir() for d in alternatives), alternatives
    for path in _params("layout.required-files")["required"]:
        assert (REFERENCE / path).exists(), path
    for pattern in _params("layout.no-committed-state")["forbidden"]:
        assert not list(REFERENCE.glob(pattern)), pattern
    tests = _params("tests.location")
    assert [p.name for p in (REFERENCE / tests["directory"]).glob(tests["pattern"])] == ["test_api.py"]
    lines = (REFERENCE / "requirements.txt").read_text().splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    assert {pin.partition("==")[0] for pin in pins} >= {"Flask", "SQLAlchemy", "marshmallow"}
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*", pin) for pin in pins), pins


def test_the_reference_models_are_the_task_data_model() -> None:
    # The models are imported in a subprocess: `app` is not a name to put in this process's sys.modules.
    describe = """
import json
from sqlalchemy import inspect
from app.models import Base
out = {}
for mapper in Base.registry.mappers:
    table = mapper.local_table
    out[mapper.class_.__name__] = {
        "table": table.name,
        "columns": {c.name: [type(c.type).__name__, c.primary_key, c.nullable, bool(c.unique),
                             list(getattr(c.type, "enums", []))] for c in table.columns},
        "relations": {r.key: [r.mapper.class_.__name__, r.direction.name] for r in mapper.relationships},
    }
print(json.dumps(out))
"""
    result = subprocess.run(
        [sys.executable, "-c", describe], cwd=REFERENCE, env=_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)
    types = {"integer": "Integer", "string": "String", "datetime": "DateTime", "date": "Date"}
    directions = {"one-to-many": "ONETOMANY", "many-to-one": "MANYTOONE"}
    entities = _params("data-model.entities")["entities"]
    assert set(models) == {entity["name"] for entity in entities}
    for entity in entities:
        model = models[entity["name"]]
        assert model["table"] == entity["table"]
        expected = {}
        for field in entity["fields"]:
            kind, _, values = field["type"].partition("(")
            expected[field["name"]] = [
                types.get(kind, "Enum"),
                field.get("primary_key", False),
                not (field.get("required") or field.get("primary_key")),
                field.get("unique", False),
                values.rstrip(")").split("|") if values else [],
            ]
        for relation in entity["relations"]:
            if relation["kind"] == "many-to-one":  # its foreign key, as the data model layer implies
                expected[f"{relation['name']}_id"] = ["Integer", False, False, False, []]
        assert model["columns"] == expected, entity["name"]
        relations = {r["name"]: [r["target"], directions[r["kind"]]] for r in entity["relations"]}
        assert model["relations"] == relations, entity["name"]
