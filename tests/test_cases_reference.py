"""Generated cases against the reference backends, and against broken copies of one (mutants).

Each reference is started as a real server (``python -m app``) on a free
loopback port with its own SQLite file; the cases generated from its task run
over HTTP. Every assertion passes, for several seeds, and again when a seed is
rerun against the same database (cases isolate their data). Then sixteen
mutants of the library reference, each a small patch applied to a copy, must
each be caught by the default cases (at least one failed assertion), and the
assertions that catch them are the ones meant to.
"""

from __future__ import annotations

import http.client
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import cdspec
from cdspec.cases import generate_cases
from cdspec.cases.model import Case
from cdspec.run import Report, run_cases

from .servers import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CREDENTIALS = {
    "library": {"LIBRARIAN_EMAIL": "librarian@example.org", "LIBRARIAN_PASSWORD": "shelve-it-123"},
    "clinic": {"STAFF_EMAIL": "staff@example.org", "STAFF_PASSWORD": "staff-password-123"},
}
SEEDS = (0, 1, 2)


def _environment(project: Path, database: Path, port: int, credentials: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LIBRARIAN_", "STAFF_"))}
    env = {k: v for k, v in env.items() if k not in {"DATABASE_URL", "SECRET_KEY", "PORT", "HOST"}}
    return {
        **env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "cases-test-secret",
        "PYTHONPATH": str(project),
        "PYTHONDONTWRITEBYTECODE": "1",
        **credentials,
    }


def _ready(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both references running, each on its own port and database, for the whole module."""
    library_dir, clinic_dir = tmp_path_factory.mktemp("library"), tmp_path_factory.mktemp("clinic")
    with (
        _running("library", EXAMPLES / "library" / "reference", library_dir) as library,
        _running("clinic", EXAMPLES / "clinic" / "reference", clinic_dir) as clinic,
    ):
        yield {"library": library, "clinic": clinic}


class _running:
    """``python -m app`` for ``project`` until the block ends; the base URL while it runs."""

    def __init__(self, example: str, project: Path, scratch: Path) -> None:
        self.example, self.project, self.scratch = example, project, scratch
        self.port = free_port()

    def __enter__(self) -> str:
        env = _environment(self.project, self.scratch / "db.sqlite3", self.port, CREDENTIALS[self.example])
        self._context = serving(self.project, env, self.scratch / "server.log", lambda: _ready(self.port))
        self._context.__enter__()
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(None, None, None)


def _task(example: str) -> cdspec.Task:
    return cdspec.load_task(EXAMPLES / example / "task.yaml")


def _failures(report: Report) -> str:
    return "\n".join(f"{a.case_id} / {a.step} / {a.kind}: {a.reason}" for a in report.failures()[:20])


@pytest.mark.parametrize("example", ["library", "clinic"])
@pytest.mark.parametrize("seed", SEEDS)
def test_every_generated_assertion_passes_on_the_reference(live: dict[str, str], example: str, seed: int) -> None:
    cases = generate_cases(_task(example), seed=seed)
    report = run_cases(cases, base_url=live[example], env=CREDENTIALS[example])
    assert report.total > 300
    assert report.pass_rate == 1.0, _failures(report)


@pytest.mark.parametrize("example", ["library", "clinic"])
def test_a_rerun_against_the_same_database_passes_too(live: dict[str, str], example: str) -> None:
    """Unique values are drawn per run, so repeating the same cases does not collide with the first run."""
    cases = generate_cases(_task(example), n=40, seed=0)
    for _ in range(2):
        report = run_cases(cases, base_url=live[example], env=CREDENTIALS[example])
        assert report.pass_rate == 1.0, _failures(report)


def test_every_operation_of_both_contracts_is_exercised() -> None:
    for example in ("library", "clinic"):
        task = _task(example)
        exercised = {op for case in generate_cases(task) for op in case.operations}
        assert exercised == {op.operation_id for op in task.contract.operations}, example


# --------------------------------------------------------------------------- mutants

LIBRARY = EXAMPLES / "library" / "reference"

# name -> (file, text in the reference, replacement, the case templates expected to catch it)
MUTANTS: dict[str, tuple[str, str, str, set[str]]] = {
    "create answers 200 instead of 201": (
        "app/routes/books.py",
        "return BookSchema().dump(view), 201,",
        "return BookSchema().dump(view), 200,",
        {"lifecycle-books", "response-createBook"},
    ),
    "a response misses a required field": (
        "app/schemas/books.py",
        '    author = fields.String(attribute="book.author")\n',
        "",
        {"lifecycle-books", "response-getBook"},
    ),
    "an update does not persist": (
        "app/repositories/books.py",
        "        setattr(book, name, value)\n",
        "        del name, value\n",
        {"lifecycle-books"},
    ),
    "the list ignores the author filter": (
        "app/repositories/books.py",
        "        stmt = stmt.where(Book.author == author)\n",
        "        pass\n",
        {"response-listBooks.filter.author"},
    ),
    "members may do what only librarians may": (
        "app/services/auth.py",
        '    if actor.role != "librarian":\n',
        '    if actor.role != "librarian" and False:\n',
        {"security-createBook.role", "security-updateBook.role", "security-deleteBook.role"},
    ),
    "an unknown book is a 409, not a 404": (
        "app/services/catalog.py",
        '        raise NotFound(f"No book {book_id}.")',
        '        raise Conflict(f"No book {book_id}.")',
        {"negative-getBook.unknown", "lifecycle-books"},
    ),
    "copiesTotal is not range-checked": (
        "app/schemas/books.py",
        'copies_total = StrictInteger(data_key="copiesTotal", required=True, validate=COPIES)',
        'copies_total = StrictInteger(data_key="copiesTotal", required=True)',
        {"negative-createBook.range"},
    ),
    "the largest page size crashes": (
        "app/services/pages.py",
        "    return (page - 1) * page_size\n",
        "    return (page - 1) * page_size // (100 - page_size)\n",
        {"lifecycle-books", "lifecycle-loans"},
    ),
    "delete does not delete": (
        "app/repositories/books.py",
        "    session().delete(book)\n",
        "",
        {"lifecycle-books"},
    ),
    "any token is accepted": (
        "app/services/auth.py",
        '        raise Unauthorized("The token is invalid or expired.") from None',
        "        return members.get(1)  # type: ignore[return-value]",
        {"security-createBook.invalid", "security-listLoans.invalid"},
    ),
    "any password logs in": (
        "app/services/auth.py",
        "if member is None or not check_password_hash(member.password_hash, password):",
        "if member is None:",
        {"security-login.wrong-password"},
    ),
    "an email can register twice": (
        "app/services/auth.py",
        "    if members.by_email(email) is not None:\n"
        '        raise Conflict("An account with this email already exists.")\n',
        "",
        {"negative-registerMember.twice"},
    ),
    "availability ignores loans": (
        "app/services/catalog.py",
        "    return BookView(book, book.copies_total - loans.count_active(book_id=book.id))",
        "    return BookView(book, book.copies_total)",
        {"scenario-borrow-and-return"},
    ),
    "a book on the shelf can be reserved": (
        "app/services/reservations.py",
        '        raise Conflict("A copy of this book is on the shelf: borrow it instead.")',
        "        pass",
        {"scenario-reserve-when-all-on-loan"},
    ),
    "validation errors have an undocumented code": (
        "app/routes/__init__.py",
        'error_response(400, "validation_error", "The request is invalid."',
        'error_response(400, "invalid", "The request is invalid."',
        {"negative-createBook.missing", "negative-registerMember.type"},
    ),
    "errors are plain text": (
        "app/routes/__init__.py",
        "    response = jsonify(body)\n",
        "    response = Response(str(body), mimetype='text/plain')\n",
        {"negative-getBook.unknown", "security-createBook.none"},
    ),
}


@pytest.fixture(scope="module")
def default_cases() -> tuple[Case, ...]:
    return generate_cases(_task("library"), seed=0)


def _template(case_id: str) -> str:
    return case_id.rsplit("-", 1)[0]


def test_there_are_at_least_twelve_mutants_and_each_patch_applies() -> None:
    assert len(MUTANTS) >= 12
    for name, (file, old, _, _) in MUTANTS.items():
        assert (LIBRARY / file).read_text(encoding="utf-8").count(old) == 1, name


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_default_cases_catch_the_mutant(name: str, default_cases: tuple[Case, ...], tmp_path: Path) -> None:
    file, old, new, catchers = MUTANTS[name]
    project = tmp_path / "reference"
    shutil.copytree(LIBRARY, project, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.sqlite3"))
    target = project / file
    target.write_text(target.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with _running("library", project, tmp_path) as base_url:
        report = run_cases(default_cases, base_url=base_url, env=CREDENTIALS["library"])
    caught_by = {_template(a.case_id) for a in report.failures()}
    assert report.pass_rate < 1.0, f"the mutant {name!r} survived"
    assert catchers <= caught_by, f"{name!r} was caught by {sorted(caught_by)}"
