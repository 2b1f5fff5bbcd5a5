"""Generated cases on contracts that log in with an OAuth2 password flow or a session cookie (tests/pantry).

The Pantry fixtures are original contracts in the shapes real applications
take: ``oauth.yaml`` that of FastAPI's OAuth2 password-flow tutorial apps
(a form posted to the ``tokenUrl``, a JSON ``access_token``, ``Authorization:
Bearer``, flat bodies, FastAPI's error bodies), ``session.yaml`` that of
Express and Flask apps with cookie sessions (the login response sets an
HttpOnly ``sid`` cookie among others, a global ``security`` with ``security:
[]`` on public operations, ``{"error": ...}`` bodies). Both have an account
operation, recipes with ingredients under them, and a star/unstar pair.
Their task files declare nothing under ``cases:``. One reference server per
flavour runs as a real HTTP server for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import cdspec
from cdspec.cases import generate_cases
from cdspec.cases.model import Case
from cdspec.errors import LoadError
from cdspec.run import run_cases

from .pantry.server import MUTANTS, SCENARIO_MUTANTS, PantryServer, serve
from .test_cases_shapes import _failures, _reached

HERE = Path(__file__).resolve().parent / "pantry"
MODES = ("oauth", "session")
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, PantryServer]]:
    running = {mode: serve(mode) for mode in MODES}
    try:
        yield running
    finally:
        for server in running.values():
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def tasks() -> dict[str, cdspec.Task]:
    return {mode: cdspec.load_task(HERE / f"{mode}-task.yaml") for mode in MODES}


@pytest.fixture(scope="module")
def seed0(tasks: dict[str, cdspec.Task]) -> dict[str, tuple[Case, ...]]:
    """The default cases of seed 0, made once: every mutant is played against them."""
    return {mode: generate_cases(task, seed=0) for mode, task in tasks.items()}


def _url(server: PantryServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode", MODES)
def test_every_assertion_passes_and_every_operation_is_reached(
    servers: dict[str, PantryServer], tasks: dict[str, cdspec.Task], mode: str, seed: int
) -> None:
    """With nothing declared, the reference passes every assertion and every operation succeeds somewhere."""
    server, task = servers[mode], tasks[mode]
    server.mutant = ""
    cases = generate_cases(task, seed=seed)
    report = run_cases(cases, base_url=_url(server))
    assert report.total > 300
    assert report.pass_rate == 1.0, _failures(report)
    assert _reached(cases, report) == {op.operation_id for op in task.contract.operations}


def test_the_password_flow_posts_a_form_to_the_token_url_and_sends_a_bearer_token(
    tasks: dict[str, cdspec.Task],
) -> None:
    """The token operation is found by the scheme's tokenUrl; its form carries the registered account."""
    cases = {case.id.rsplit("-", 1)[0]: case for case in generate_cases(tasks["oauth"], seed=0)}
    register, login, create = cases["lifecycle-recipes"].steps[:3]
    assert register.request.operation == "create_user"
    assert register.request.auth == "none"
    assert login.request.operation == "login_for_access_token"
    assert login.request.path == "/auth/token"
    assert login.request.content_type == "application/x-www-form-urlencoded"
    assert login.request.body == {
        "grant_type": "password",
        "username": {"$var": "user.username"},
        "password": {"$var": "user.password"},
    }
    assert register.request.body["password"] == {"$var": "user.password"}
    assert login.capture == {"user": "/access_token"}
    assert create.request.auth == "user"
    assert dict(create.request.scheme) == {}  # Authorization: Bearer <token>
    wrong = cases["security-login_for_access_token.wrong-password"].steps[-1].request
    assert wrong.content_type == "application/x-www-form-urlencoded"
    assert wrong.body["password"] == "Wrong-password-123"
    assert wrong.body["username"] == {"$var": "user.username"}


def test_a_cookie_session_is_captured_from_the_login_and_sent_back_as_a_cookie(
    tasks: dict[str, cdspec.Task],
) -> None:
    """The login is found by its body (no token in its answer: the cookie scheme's cookie is the credential)."""
    cases = {case.id.rsplit("-", 1)[0]: case for case in generate_cases(tasks["session"], seed=0)}
    register, login, create = cases["lifecycle-recipes"].steps[:3]
    assert (register.request.operation, login.request.operation) == ("create_user", "log_in")
    assert login.request.body == {"username": {"$var": "user.username"}, "password": {"$var": "user.password"}}
    assert login.capture == {"user": "cookie:sid"}
    assert dict(create.request.scheme) == {"in": "cookie", "name": "sid"}
    listing = next(s for s in cases["response-list_recipes"].steps if s.request.operation == "list_recipes")
    assert listing.request.auth == "none"  # security: [] under the global default
    invalid = cases["security-current_user.invalid"].steps[-1].request
    assert (invalid.auth, dict(invalid.scheme)) == ("invalid", {"in": "cookie", "name": "sid"})


@pytest.mark.parametrize(("mode", "mutant"), [(mode, mutant) for mode in MODES for mutant in sorted(MUTANTS[mode])])
def test_every_seeded_bug_is_caught(
    servers: dict[str, PantryServer], seed0: dict[str, tuple[Case, ...]], mode: str, mutant: str
) -> None:
    """Each seeded bug fails at least one assertion of the default cases (seed 0), which the reference passes."""
    assert len(MUTANTS[mode]) == {"oauth": 10, "session": 9}[mode]
    server = servers[mode]
    server.mutant = mutant
    try:
        report = run_cases(seed0[mode], base_url=_url(server))
    finally:
        server.mutant = ""
    assert report.failures(), f"{mutant} ({MUTANTS[mode][mutant]}) was not caught"


@pytest.mark.parametrize(
    ("mode", "file", "scenario", "mutant"),
    [
        ("session", "scenario-task.yaml", "log-out-ends-the-session", "logout-keeps-session"),
        ("oauth", "oauth-scenario-task.yaml", "a-new-account-logs-in", "any-password"),
    ],
)
def test_a_scenario_logs_in_as_the_account_it_made(
    servers: dict[str, PantryServer], mode: str, file: str, scenario: str, mutant: str
) -> None:
    """Register, log in with the scenario's own values, send the captured credential with ``auth: <variable>``.

    The scenario's last step is the one its bug fails (a session still valid
    after logging out; a wrong password accepted by the token URL).
    """
    assert mutant in SCENARIO_MUTANTS or mutant in MUTANTS[mode]
    task = cdspec.load_task(HERE / file)
    (case,) = [c for c in generate_cases(task, seed=0, kinds=["scenario"]) if c.id.startswith(f"scenario-{scenario}-")]
    steps = case.steps
    assert steps[0].request.operation == "create_user"  # no account made for a role first
    assert steps[2].request.auth == "me"
    if mode == "oauth":
        assert steps[1].request.content_type == "application/x-www-form-urlencoded"
    server = servers[mode]
    server.mutant = ""
    report = run_cases([case], base_url=_url(server))
    assert report.total > 8
    assert report.pass_rate == 1.0, _failures(report)
    server.mutant = mutant
    try:
        caught = run_cases([case], base_url=_url(server))
    finally:
        server.mutant = ""
    assert {f.step for f in caught.failures()} == {steps[-1].name}


def _copy(tmp_path: Path, task: str, contract: str, edit: tuple[str, str], *, of: str = "task") -> Path:
    """A copy of a Pantry task and its contract in ``tmp_path``, with one text ``edit`` of the task or the contract."""
    texts = {
        "task": (HERE / task).read_text(encoding="utf-8").replace("$schema: ../../schemas/task.schema.json\n", ""),
        "contract": (HERE / contract).read_text(encoding="utf-8"),
    }
    assert edit[0] in texts[of]
    texts[of] = texts[of].replace(edit[0], edit[1], 1)
    (tmp_path / contract).write_text(texts["contract"], encoding="utf-8")
    (tmp_path / "task.yaml").write_text(texts["task"], encoding="utf-8")
    return tmp_path / "task.yaml"


def test_a_credential_must_be_captured_before_a_step_sends_it(tmp_path: Path) -> None:
    """``auth`` naming a variable no earlier step captured is refused at generation, with its pointer."""
    first_use = "        - operation: current_user\n          auth: me\n"
    task = _copy(tmp_path, "scenario-task.yaml", "session.yaml", (first_use, first_use.replace("me", "mine")))
    with pytest.raises(LoadError) as caught:
        generate_cases(cdspec.load_task(task), seed=0)
    message = str(caught.value)
    assert "/cases/scenarios/0/steps/2/auth" in message
    assert "'mine'" in message
    assert "captured" in message


@pytest.mark.parametrize("token_url", ["auth/token", "/api/v1/auth/token", "http://localhost:8000/api/v1/auth/token"])
def test_the_token_url_is_found_whether_relative_or_absolute(tmp_path: Path, token_url: str) -> None:
    """A relative ``tokenUrl`` is under the server URL; an absolute one already holds its path (``/api/v1``)."""
    edit = ("tokenUrl: auth/token\n", f"tokenUrl: {token_url}\n")
    task = _copy(tmp_path, "oauth-task.yaml", "oauth.yaml", edit, of="contract")
    (case,) = generate_cases(cdspec.load_task(task), seed=0, kinds=["lifecycle"])[:1]
    login = case.steps[1].request
    assert (login.operation, login.path, case.base_path) == ("login_for_access_token", "/auth/token", "/api/v1")


ADMIN_AND_SIGNUP = """
id: signup
title: Signup
goal: A contract where an admin creates users and anyone signs up, with FastAPI's trailing-slash collections.
target: {language: python, framework: fastapi}
contract:
  openapi: 3.1.0
  info: {title: Signup, version: "1"}
  components:
    securitySchemes:
      OAuth2PasswordBearer: {type: oauth2, flows: {password: {tokenUrl: /api/v1/login/access-token, scopes: {}}}}
    schemas:
      NewUser:
        type: object
        required: [email, password]
        properties:
          email: {type: string, format: email}
          password: {type: string, minLength: 8}
          full_name: {type: string}
          is_superuser: {type: boolean}
      User:
        type: object
        required: [id, email]
        properties: {id: {type: string, format: uuid}, email: {type: string}}
      Item:
        type: object
        required: [id, title]
        properties: {id: {type: string, format: uuid}, title: {type: string}}
  paths:
    /api/v1/login/access-token:
      post:
        operationId: login
        requestBody:
          content:
            application/x-www-form-urlencoded:
              schema:
                type: object
                required: [username, password]
                properties: {username: {type: string}, password: {type: string}}
        responses:
          "200": {description: A token, content: {application/json: {schema: {type: object}}}}
    /api/v1/users/:
      post:
        operationId: create_user
        security: [{OAuth2PasswordBearer: []}]
        requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/NewUser'}}}}
        responses:
          "200": {description: A user, content: {application/json: {schema: {$ref: '#/components/schemas/User'}}}}
    /api/v1/users/signup:
      post:
        operationId: register_user
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [email, password]
                properties: {email: {type: string, format: email}, password: {type: string, minLength: 8}}
        responses:
          "200": {description: A user, content: {application/json: {schema: {$ref: '#/components/schemas/User'}}}}
    /api/v1/items/:
      post:
        operationId: create_item
        security: [{OAuth2PasswordBearer: []}]
        requestBody:
          content:
            application/json:
              schema: {type: object, required: [title], properties: {title: {type: string}}}
        responses:
          "200": {description: An item, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
    /api/v1/items/{id}:
      parameters: [{name: id, in: path, required: true, schema: {type: string, format: uuid}}]
      get:
        operationId: read_item
        security: [{OAuth2PasswordBearer: []}]
        responses:
          "200": {description: An item, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
      delete:
        operationId: delete_item
        security: [{OAuth2PasswordBearer: []}]
        responses:
          "200": {description: Deleted}
"""


def test_the_register_is_the_operation_anyone_may_call_and_a_trailing_slash_collection_is_a_resource() -> None:
    """An admin's ``POST /users/`` has more properties, but an account is made with the public signup.

    FastAPI writes collections as ``/items/`` and items as ``/items/{id}``:
    that is one resource, with a lifecycle, made by the collection's ``POST``.
    """
    task = cdspec.parse_task(ADMIN_AND_SIGNUP)
    (lifecycle,) = [c for c in generate_cases(task, seed=0, kinds=["lifecycle"]) if c.id.startswith("lifecycle-items")]
    register, login, create, read = lifecycle.steps[:4]
    assert (register.request.operation, register.request.auth) == ("register_user", "none")
    assert (login.request.operation, login.request.path) == ("login", "/api/v1/login/access-token")
    assert create.request.operation == "create_item"
    assert create.capture == {"id": "/id"}
    assert (read.request.operation, read.request.path_params) == ("read_item", {"id": {"$var": "id"}})
    assert "delete_item" in lifecycle.operations


COOKIE_FORM_LOGIN = """
id: cookie-form
title: Cookie form
goal: A session cookie set by a form login (fastapi-users' CookieTransport, passport-local), with a decoy.
target: {language: python, framework: fastapi}
contract:
  openapi: 3.1.0
  info: {title: Cookie form, version: "1"}
  components:
    securitySchemes:
      APIKeyCookie: {type: apiKey, in: cookie, name: appauth}
  paths:
    /auth/login:
      post:
        operationId: login
        requestBody:
          content:
            application/x-www-form-urlencoded:
              schema:
                type: object
                required: [username, password]
                properties: {grant_type: {type: string}, username: {type: string}, password: {type: string}}
        responses:
          "200": {description: Logged in, content: {application/json: {schema: {}}}}
          "204": {description: Logged in and the cookie set}
    /auth/reset-password:
      post:
        operationId: reset_password
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [token, password]
                properties: {token: {type: string}, password: {type: string}}
        responses:
          "200": {description: Reset}
    /auth/register:
      post:
        operationId: register
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [email, password]
                properties: {email: {type: string, format: email}, password: {type: string}}
        responses:
          "201":
            description: A user
            content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}
    /users/me:
      get:
        operationId: me
        security: [{APIKeyCookie: []}]
        responses:
          "200": {description: The user}
"""


def test_a_form_login_that_sets_a_cookie_is_the_login_and_any_documented_success_passes() -> None:
    """A form body holding a password is a login candidate; the login word beats a JSON reset that holds one too."""
    task = cdspec.parse_task(COOKIE_FORM_LOGIN)
    (case,) = [c for c in generate_cases(task, seed=0) if c.id.startswith("response-me-")]
    register, login, me = case.steps
    assert register.request.operation == "register"
    assert (login.request.operation, login.request.content_type) == ("login", "application/x-www-form-urlencoded")
    assert login.request.body["username"] == {"$var": "user.email"}
    assert login.capture == {"user": "cookie:appauth"}
    assert login.expect[0].args["statuses"] == ["200", "204"]
    assert (me.request.auth, dict(me.request.scheme)) == ("user", {"in": "cookie", "name": "appauth"})
