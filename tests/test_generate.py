"""generate_cases and cases.strategy: what is derived, that it is valid, and that it is reproducible."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import cdspec
from cdspec import CdspecError, LoadError
from cdspec._frozen import thaw
from cdspec.cases import CASE_KINDS, from_schema, generate_cases, schema_validator, strategy
from cdspec.cases._generate import _free_digits
from cdspec.cases.model import Case
from cdspec.cli import main
from cdspec.load import dump_cases, load_cases
from cdspec.run import run_cases

from .notes import NOTES_TASK, notes_app

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = cdspec.load_task(ROOT / "examples" / "library" / "task.yaml")
CLINIC = cdspec.load_task(ROOT / "examples" / "clinic" / "task.yaml")
STUDY = cdspec.load_task(ROOT / "examples" / "study" / "task.yaml")
TASKS = {"library": LIBRARY, "clinic": CLINIC, "study": STUDY}


@pytest.fixture(scope="module")
def library_cases() -> tuple[Case, ...]:
    return generate_cases(LIBRARY, seed=7)


# --------------------------------------------------------------------------- reproducible


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_data() -> None:
    first = dump_cases(generate_cases(LIBRARY, n=30, seed=1))
    assert first == dump_cases(generate_cases(LIBRARY, n=30, seed=1))
    other = dump_cases(generate_cases(LIBRARY, n=30, seed=2))
    assert other != first
    ids = [json.loads(line)["id"] for line in first.splitlines()]
    assert ids == [json.loads(line)["id"] for line in other.splitlines()]  # ids name templates, not data


def test_the_bytes_do_not_depend_on_the_hash_seed_or_the_test_profile(tmp_path: Path) -> None:
    """A fresh interpreter with another PYTHONHASHSEED (and no Hypothesis profile) writes the same file."""
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"cases-{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-m", "cdspec", "cases", "examples/library/task.yaml", "--n", "25", "--seed", "4"]
        subprocess.run([*command, "--out", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].decode() == dump_cases(generate_cases(LIBRARY, n=25, seed=4))


def test_n_counts_cases_and_defaults_to_one_per_template(library_cases: tuple[Case, ...]) -> None:
    templates = {case.id.rsplit("-", 1)[0] for case in library_cases}
    assert len(templates) == len(library_cases)  # by default each template once
    more = generate_cases(LIBRARY, n=len(library_cases) + 5, seed=7)
    assert [c.id.rsplit("-", 1)[0] for c in more[-5:]] == [c.id.rsplit("-", 1)[0] for c in library_cases[:5]]
    assert generate_cases(LIBRARY, n=0) == ()
    for bad in (-1, 1.5, True):
        with pytest.raises(CdspecError, match="n must be a non-negative integer"):
            generate_cases(LIBRARY, n=bad)  # type: ignore[arg-type]


def test_kinds_limit_what_is_generated() -> None:
    only = generate_cases(LIBRARY, kinds=["lifecycle", "scenario"])
    assert {case.kind for case in only} == {"lifecycle", "scenario"}
    assert [c.id for c in only][:2] == ["lifecycle-books-0000", "scenario-borrow-and-return-0001"]
    with pytest.raises(CdspecError, match="unknown case kind 'smoke'"):
        generate_cases(LIBRARY, kinds=["smoke"])


# --------------------------------------------------------------------------- valid data


def test_every_case_is_valid_case_data_and_round_trips(library_cases: tuple[Case, ...], tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(dump_cases(library_cases), encoding="utf-8")
    assert load_cases(path) == library_cases


def _symbol_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        if any(key.startswith("$") for key in value):
            yield path
            return
        for key, item in value.items():
            yield from _symbol_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _symbol_paths(item, (*path, index))


def _errors(task: cdspec.Task, operation: str, body: Any) -> list[str]:
    """Errors of a body against the operation's schema, except where a symbol stands (resolved at run time)."""
    op = task.contract.operation(operation)
    assert op.request_body is not None
    schema = op.request_body.schema(op.request_body.content[0].media_type)
    validator = schema_validator(schema, document=task.contract)
    symbols = list(_symbol_paths(body))
    return [
        error.message
        for error in validator.iter_errors(body)
        if not any(tuple(error.absolute_path)[: len(s)] == s and s for s in symbols)
    ]


def _body_steps(cases: Iterable[Case], kinds: set[str]) -> Iterator[tuple[Case, Any, Any]]:
    for case in cases:
        for step in case.steps:
            if case.kind in kinds and step.request.has_body:
                yield case, step, thaw(step.request.body)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_bodies_meant_to_be_valid_are_valid_against_the_contract(name: str) -> None:
    task = TASKS[name]
    cases = generate_cases(task, seed=3)
    checked = 0
    for case, step, body in _body_steps(cases, {"lifecycle", "response", "security", "scenario"}):
        if case.kind == "scenario" and "(prerequisite)" not in step.name and "register" not in step.name:
            continue  # declared steps send what the task file says
        assert _errors(task, step.request.operation, body) == [], (case.id, step.name, body)
        checked += 1
    assert checked > 20


def test_negative_bodies_are_invalid_in_the_way_their_step_says(library_cases: tuple[Case, ...]) -> None:
    checked = 0
    for case in library_cases:
        if case.kind != "negative" or not case.id.split("-")[1].endswith((".missing", ".type", ".range")):
            continue
        for step in case.steps:
            if step.request.operation in {"login", "registerMember"} and "call" not in step.name:
                continue  # the account the negative call is made with
            if "(prerequisite)" in step.name:
                continue
            errors = _errors(LIBRARY, step.request.operation, thaw(step.request.body))
            assert errors, (case.id, step.name)
            assert step.expect[0].kind == "status"
            assert set(step.expect[0].args["statuses"]) <= {"400", "422", "4XX"}
            checked += 1
    assert checked > 20


@given(value=from_schema({"type": "string", "pattern": "^([0-9]{9}[0-9X]|97[89][0-9]{10})$"}), digits=st.data())
def test_free_digits_are_digits_that_any_value_keeps_valid(value: str, digits: st.DataObject) -> None:
    import re

    pattern = re.compile(r"^([0-9]{9}[0-9X]|97[89][0-9]{10})$")
    free = _free_digits(pattern.pattern, value)
    assert free >= (9 if value.startswith("97") and len(value) == 13 else 8)
    positions = [i for i in range(len(value) - 1, -1, -1) if value[i].isdigit()][:free]
    replaced = list(value)
    for position in positions:
        replaced[position] = digits.draw(st.sampled_from("0123456789"))
    assert pattern.match("".join(replaced))


def test_no_free_digits_where_a_pattern_constrains_them() -> None:
    assert _free_digits("^[1-5][0-9]$", "42") == 1
    assert _free_digits("^A[0-3]{6}$", "A012301") == 0
    assert _free_digits("^(?:1111|2222)$", "1111") == 0


# --------------------------------------------------------------------------- what is derived


def _ops(case: Case) -> list[str | None]:
    return [step.request.operation for step in case.steps]


def test_a_resource_lifecycle_creates_reads_lists_updates_deletes(library_cases: tuple[Case, ...]) -> None:
    case = next(c for c in library_cases if c.id.startswith("lifecycle-books-"))
    assert _ops(case) == [
        "login",
        "createBook",
        "getBook",
        "listBooks",
        "updateBook",
        "getBook",
        "deleteBook",
        "getBook",
        "listBooks",
    ]
    login, create, read, listing, update, reread, delete, gone, unlisted = case.steps
    assert thaw(login.request.body) == {
        "email": {"$env": "LIBRARIAN_EMAIL"},
        "password": {"$env": "LIBRARIAN_PASSWORD"},
    }
    assert create.request.auth == "librarian"
    assert thaw(create.capture) == {"bookId": "/id"}
    sent = thaw(create.request.body)
    equals = {e.args["pointer"]: thaw(e.args["value"]) for e in read.expect if e.kind == "equals"}
    assert equals == {f"/{k}": v for k, v in sent.items()}
    assert thaw(listing.request.pages) == {
        "style": "page",
        "param": "page",
        "items": "/items",
        "start": 1,
        "size_param": "pageSize",
        "size": 100,
    }
    assert [e.kind for e in listing.expect][-1] == "contains"
    assert thaw(gone.expect[0].args) == {"statuses": ["404"]}
    assert unlisted.expect[-1].kind == "not_contains"
    assert (update.request.method, reread.request.method, delete.request.method) == ("PATCH", "GET", "DELETE")


def test_prerequisites_are_created_with_their_own_roles(library_cases: tuple[Case, ...]) -> None:
    case = next(c for c in library_cases if c.id.startswith("lifecycle-loans-"))
    assert _ops(case)[:5] == ["login", "createBook", "registerMember", "login", "createLoan"]
    librarian_login, book, register, member_login, loan = case.steps[:5]
    assert librarian_login.capture["librarian"] == "/accessToken"
    assert (member_login.capture["member"], book.request.auth, loan.request.auth) == (
        "/accessToken",
        "librarian",
        "member",
    )
    assert thaw(loan.request.body) == {"bookId": {"$var": "bookId"}}  # memberId: nothing makes members, so left out
    assert thaw(register.request.body)["email"] == {"$var": "member.email"}
    assert thaw(case.vars)["member.email"] == {"$unique": "email"}


def test_security_cases_cover_missing_and_wrong_credentials_and_roles(library_cases: tuple[Case, ...]) -> None:
    by_id = {c.id.rsplit("-", 1)[0]: c for c in library_cases}
    none = by_id["security-createBook.none"].steps[-1]
    invalid = by_id["security-createBook.invalid"].steps[-1]
    role = by_id["security-createBook.role"].steps[-1]
    assert (none.request.auth, invalid.request.auth, role.request.auth) == ("none", "invalid", "member")
    assert [thaw(s.expect[0].args) for s in (none, invalid, role)] == [
        {"statuses": ["401", "403"]},
        {"statuses": ["401", "403"]},
        {"statuses": ["403"]},
    ]
    secured = {op.operation_id for op in LIBRARY.contract.operations if op.requires_auth}
    # a reservation is made only by createReservation, whose drawn request the task skips: no made-up id is sent
    assert {k.split("-", 1)[1].split(".")[0] for k in by_id if k.endswith(".none")} == secured - {"cancelReservation"}


def test_unique_pattern_values_become_unique_digit_symbols(library_cases: tuple[Case, ...]) -> None:
    case = next(c for c in library_cases if c.id.startswith("lifecycle-books-"))
    isbn = thaw(case.steps[1].request.body)["isbn"]
    assert isbn["$var"].startswith("isbn")
    bound = thaw(case.vars)[isbn["$var"]]
    assert bound["$unique"] == "digits"
    assert bound["free"] >= 9


def test_the_auth_of_a_task_without_cases_settings_is_inferred_from_its_paths() -> None:
    cases = generate_cases(STUDY, seed=0)
    lifecycle = next(c for c in cases if c.kind == "lifecycle")
    assert _ops(lifecycle)[:3] == ["registerUser", "login", "createBookmark"]
    assert lifecycle.steps[2].request.auth == "user"
    assert {c.kind for c in cases} == set(CASE_KINDS) - {"scenario"}


def test_declared_scenarios_become_cases(library_cases: tuple[Case, ...]) -> None:
    case = next(c for c in library_cases if c.id.startswith("scenario-reserve-when-all-on-loan-"))
    ops = [op for op in _ops(case) if op not in {"login", "registerMember"}]
    assert ops == [
        "createBook",
        "createReservation",
        "createLoan",
        "createReservation",
        "listReservations",
        "cancelReservation",
    ]
    book = next(s for s in case.steps if s.request.operation == "createBook")
    assert thaw(book.request.body)["copiesTotal"] == 1  # $generate with an override
    assert {e.kind for e in case.steps[-2].expect} >= {"contains", "documented"}


def _task_with_cases(cases: str) -> str:
    text = (ROOT / "examples" / "library" / "task.yaml").read_text(encoding="utf-8")
    return text.split("\ncases:\n")[0] + "\ncases:\n" + cases


@pytest.mark.parametrize(
    ("settings_text", "message"),
    [
        ("  operations:\n    createBok: {role: member}\n", "/cases/operations/createBok: no operation 'createBok'"),
        (
            "  auth: {login: login}\n  roles: {member: {}}\n  operations:\n    createBook: {role: boss}\n",
            "/cases/operations/createBook/role: role 'boss' is not declared under cases.roles (declared: member)",
        ),
        (
            "  auth: {login: login}\n"
            "  scenarios:\n    - {id: x, title: X, steps: [{operation: getBook, auth: ghost}]}\n",
            "/cases/scenarios/0/steps/0/auth: auth 'ghost' is neither 'none', 'invalid' nor a declared role",
        ),
    ],
)
def test_settings_that_name_unknown_things_are_reported_with_their_pointer(settings_text: str, message: str) -> None:
    task = cdspec.parse_task(_task_with_cases(settings_text), name="task.yaml", root=ROOT / "examples" / "library")
    with pytest.raises(LoadError) as info:
        generate_cases(task)
    assert message in str(info.value)


def test_malformed_settings_fail_when_the_task_loads() -> None:
    with pytest.raises(LoadError, match=r"/cases/operations/createBook/skip"):
        cdspec.parse_task(
            _task_with_cases("  operations:\n    createBook: {skip: [smoke]}\n"),
            name="task.yaml",
            root=ROOT / "examples" / "library",
        )


# --------------------------------------------------------------------------- strategy and links


@settings(max_examples=15, deadline=None)
@given(case=strategy(LIBRARY))
def test_the_strategy_draws_valid_cases(case: Case) -> None:
    assert Case.from_data(json.loads(json.dumps(case.to_data()))) == case
    assert case.id.endswith("-0000")
    assert case.steps


def test_the_strategy_shrinks_to_a_simple_case_of_the_asked_kind() -> None:
    found = find(strategy(LIBRARY, kinds=["lifecycle"]).map(lambda case: case.id), lambda case_id: True)
    assert found == "lifecycle-books-0000"  # the first template (books, not loans)
    loans = find(
        strategy(LIBRARY, kinds=["lifecycle"]).map(lambda case: (case.id, len(case.steps))),
        lambda seen: "loans" in seen[0],
    )
    assert loans == ("lifecycle-loans-0000", 7)


# The notes task with a link from a new note to reading it back.
LINKED = NOTES_TASK.replace(
    """                schema: {$ref: "#/components/schemas/Note"}
          "400":""",
    """                schema: {$ref: "#/components/schemas/Note"}
            links:
              readIt:
                operationId: getNote
                parameters: {noteId: $response.body#/id}
          "400":""",
    1,
)


def test_openapi_links_become_scenarios_that_run() -> None:
    assert LINKED != NOTES_TASK
    task = cdspec.parse_task(LINKED)
    cases = generate_cases(task, seed=0)
    linked = next(c for c in cases if c.id.startswith("scenario-link.createNote.readIt"))
    create, follow = linked.steps
    assert (create.request.operation, follow.request.operation) == ("createNote", "getNote")
    assert thaw(create.capture) == {"link.noteId": "/id"}
    assert thaw(follow.request.path_params) == {"noteId": {"$var": "link.noteId"}}
    report = run_cases(cases, app=notes_app({}))
    assert report.pass_rate == 1.0, [a.reason for a in report.failures()]


# --------------------------------------------------------------------------- the command


def test_the_cases_command_writes_jsonl_and_says_what_it_made(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "cases.jsonl"
    task = str(ROOT / "examples" / "library" / "task.yaml")
    assert main(["cases", task, "--n", "12", "--seed", "5", "--out", str(target)], out=out, err=err) == 0
    assert target.read_text(encoding="utf-8") == dump_cases(generate_cases(LIBRARY, n=12, seed=5))
    assert out.getvalue().startswith("12 cases (")
    assert "of task 'library', seed 5: 2 lifecycle, 3 response, 3 negative, 2 security, 2 scenario" in out.getvalue()
    stdout = io.StringIO()
    assert main(["cases", task, "--n", "2", "--only", "negative"], out=stdout, err=err) == 0
    assert [json.loads(line)["kind"] for line in stdout.getvalue().splitlines()] == ["negative", "negative"]
    assert main(["cases", task, "--only", "smoke"], out=out, err=err) == 2
    assert "unknown case kind 'smoke'" in err.getvalue()
