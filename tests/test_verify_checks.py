"""The truth of the built-in checks: conforming projects pass, each mutant fails exactly its constraints.

The corpus is ``tests/verify_corpus/mutants.yaml``: every mutant is a small
edit of a conforming project (the two reference backends, the library
baseline with the renewals feature, and a small Express + Sequelize project)
and names the constraint ids it must fail; all the other constraints of its
task must pass.
"""

from __future__ import annotations

import ast
import functools
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cdspec
from cdspec.verify import Project, verify
from cdspec.verify.checks import BUILTIN_CHECKS
from cdspec.verify.findings import Finding, Status
from cdspec.verify.registry import Context

ROOT = Path(__file__).resolve().parent.parent
CORPUS = yaml.safe_load((ROOT / "tests" / "verify_corpus" / "mutants.yaml").read_text(encoding="utf-8"))
SKIP_PARTS = {"__pycache__", ".pytest_cache", "instance"}


@functools.cache
def _read(directory: str) -> dict[str, str]:
    """The text files of a directory, relative path -> text (caches and run-time state skipped)."""
    base = ROOT / directory
    files = {}
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).as_posix()
        if path.is_file() and not SKIP_PARTS & set(rel.split("/")) and not rel.endswith(".pyc"):
            files[rel] = path.read_text(encoding="utf-8")
    return files


@functools.cache
def _task(path: str) -> cdspec.Task:
    return cdspec.load_task(ROOT / path)


def apply_edits(files: Mapping[str, str], edits: list[dict[str, Any]]) -> dict[str, str]:
    """``files`` with the corpus edits applied (see the header of mutants.yaml)."""
    out = dict(files)
    for edit in edits:
        if "rename_dir" in edit:
            old, new = edit["rename_dir"].rstrip("/") + "/", edit["to"].rstrip("/") + "/"
            moved = [p for p in out if p.startswith(old)]
            assert moved, f"nothing under {old}"
            for path in moved:
                out[new + path[len(old) :]] = out.pop(path)
        elif "substitute" in edit:
            hits = 0
            for path, text in out.items():
                if path.endswith((".py", ".js", ".ini", ".toml", ".txt")) and edit["substitute"] in text:
                    out[path] = text.replace(edit["substitute"], edit["with"])
                    hits += 1
            assert hits, f"{edit['substitute']!r} occurs nowhere"
        elif "remove" in edit:
            gone = [p for p in out if p == edit["remove"] or p.startswith(edit["remove"].rstrip("/") + "/")]
            assert gone, f"nothing to remove at {edit['remove']}"
            for path in gone:
                del out[path]
        elif "create" in edit:
            out[edit["file"]] = edit["create"]
        elif "append" in edit:
            out[edit["file"]] = out[edit["file"]] + edit["append"]
        else:
            text = out[edit["file"]]
            assert edit["replace"] in text, f"{edit['replace']!r} not in {edit['file']}"
            out[edit["file"]] = text.replace(edit["replace"], edit["with"], 1)
    return out


def base_project(name: str, edits: list[dict[str, Any]] = ()) -> tuple[cdspec.Task, Project]:  # type: ignore[assignment]
    """The task and project of a corpus base, with ``edits`` applied on top of the base's own."""
    base = CORPUS["bases"][name]
    files = apply_edits(_read(base["project"]), [*base.get("edits", ()), *edits])
    baseline = Project.from_files(_read(base["baseline"])) if base.get("baseline") else None
    return _task(base["task"]), Project.from_files(files, baseline=baseline)


def statuses(task: cdspec.Task, project: Project) -> dict[str, Status]:
    """Constraint id -> overall status."""
    return {result.id: result.status for result in verify(task, project).constraints}


def failures(task: cdspec.Task, project: Project) -> str:
    """The findings that did not pass, for assertion messages."""
    return "\n".join(
        str(finding) + "".join(f"\n    {e}" for e in finding.evidence)
        for result in verify(task, project).constraints
        for finding in result.findings
        if finding.status is not Status.PASSED
    )


# --------------------------------------------------------------------------- conforming projects


CONFORMING = ["library", "clinic", "renewals", "express", "hono", "fastapi", "flask", "django", "aiohttp",
              "nest-typeorm", "drizzle", "knex"]  # fmt: skip


@pytest.mark.parametrize("base", CONFORMING)
def test_conforming_project_passes_every_constraint(base: str) -> None:
    """The reference backends, the renewals feature done right and the Express fixture: zero false alarms."""
    task, project = base_project(base)
    result = statuses(task, project)
    assert result
    assert all(s is Status.PASSED for s in result.values()), failures(task, project)


def test_reference_backends_read_from_disk_pass() -> None:
    """The same verdict when the project is read from its directory (the CLI's way)."""
    for name in ("library", "clinic"):
        base = CORPUS["bases"][name]
        report = verify(_task(base["task"]), Project.from_directory(ROOT / base["project"]))
        assert all(c.status is Status.PASSED for c in report.constraints), name


def test_library_baseline_is_consistent_where_it_applies() -> None:
    """The baseline of the renewals feature passes task.yaml; against the feature only the new column is missing."""
    baseline = Project.from_files(_read("examples/library/baseline"))
    assert set(statuses(_task("examples/library/task.yaml"), baseline).values()) == {Status.PASSED}
    feature = _task("examples/library/feature-renewals.yaml")
    report = verify(feature, baseline.with_baseline(baseline))
    failed = [f for c in report.constraints for f in c.findings if f.status is Status.FAILED]
    assert [f.message for f in failed] == ["Loan.renewal_count is missing"]


def test_every_builtin_kind_has_a_check() -> None:
    """BUILTIN_CHECKS covers BUILTIN_KINDS exactly."""
    assert BUILTIN_CHECKS.kinds == cdspec.BUILTIN_KINDS.names


# --------------------------------------------------------------------------- the violating corpus

MUTANTS = CORPUS["mutants"]


def test_corpus_has_two_mutants_per_kind() -> None:
    """At least two mutants fail a constraint of each built-in kind."""
    kinds: dict[str, int] = {}
    for mutant in MUTANTS:
        task = _task(CORPUS["bases"][mutant["base"]]["task"])
        for constraint in task.constraints:
            if constraint.id in mutant["fails"]:
                kinds[constraint.kind] = kinds.get(constraint.kind, 0) + 1
    assert sorted(kinds) == sorted(cdspec.BUILTIN_KINDS.names)
    assert min(kinds.values()) >= 2, kinds


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["id"] for m in MUTANTS])
def test_mutant_fails_exactly_its_constraints(mutant: dict[str, Any]) -> None:
    """The intended constraints fail, with evidence and a hint; every other constraint passes."""
    task, project = base_project(mutant["base"], mutant["edits"])
    report = verify(task, project)
    result = {c.id: c.status for c in report.constraints}
    expected = set(mutant["fails"])
    assert expected <= set(result), "unknown constraint id in the corpus"
    assert {i for i, s in result.items() if s is Status.FAILED} == expected, failures(task, project)
    assert {i for i, s in result.items() if s is not Status.FAILED} == {
        i for i, s in result.items() if s is Status.PASSED
    }, failures(task, project)
    for constraint in report.constraints:
        for finding in constraint.findings:
            if finding.status is Status.FAILED:
                assert finding.message, finding
                assert finding.hint, finding
                assert finding.evidence, finding


# --------------------------------------------------------------------------- tricky conforming cases

TRICKY: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "sql-in-docstring-and-comment",
        "library",
        [
            {
                "file": "app/services/catalog.py",
                "append": '\n\ndef explain() -> str:\n    """Like SELECT * FROM books WHERE id = ?, but portable."""\n'
                "    # DELETE FROM loans WHERE status = 'returned' would be faster.\n"
                '    return "see the docs"\n',
            }
        ],
    ),
    (
        "word-select-in-prose",
        "library",
        [
            {
                "file": "app/services/errors.py",
                "append": '\n\nHELP = "Please select a book from the list, then update your loans."\n'
                'DELETE_HELP = "To delete from the shelf, select one copy from the catalogue."\n',
            }
        ],
    ),
    (
        "routes-helpers-module-in-service-layer",
        "library",
        [
            {"file": "app/services/routes_helpers.py", "create": '"""Not a route module."""\n\nPAGE = 20\n'},
            {"file": "app/routes_helpers.py", "create": '"""Not in the routes layer either."""\n\nLIMIT = 5\n'},
            {
                "file": "app/services/pages.py",
                "append": "\n\nfrom app.routes_helpers import LIMIT  # noqa: E402\n"
                "from app.services.routes_helpers import PAGE  # noqa: E402\n",
            },
        ],
    ),
    (
        "type-checking-only-import",
        "clinic",
        [
            {
                "file": "app/services/slots.py",
                "replace": "from . import clock\n",
                "with": "from typing import TYPE_CHECKING\n\nfrom . import clock\n\nif TYPE_CHECKING:\n"
                "    from app.routes.deps import SlotId\n",
            }
        ],
    ),
    (
        "js-comment-string-and-dynamic-import",
        "express",
        [
            {
                "file": "src/services/loans.js",
                "append": "/* const r = require('../routes/loans'); */\n"
                "const NOTE = 'import(\"../routes/books\") is how the app would load it';\n",
            }
        ],
    ),
    (
        "pragma-is-configuration",
        "clinic",
        [],
    ),
]


@pytest.mark.parametrize(("base", "edits"), [(b, e) for _, b, e in TRICKY], ids=[t[0] for t in TRICKY])
def test_tricky_conforming_case_passes(base: str, edits: list[dict[str, Any]]) -> None:
    """Cases a regular expression gets wrong pass every constraint."""
    task, project = base_project(base, edits)
    assert set(statuses(task, project).values()) == {Status.PASSED}, failures(task, project)


def _run(kind: str, project: Project, params: dict[str, Any], task: cdspec.Task | None = None) -> list[Finding]:
    task = task or _task("examples/clinic/task.yaml")
    constraint = cdspec.Constraint(id="t.case", kind=kind, params=params)
    return list(BUILTIN_CHECKS[kind].function(project, params, Context(constraint, task)))


def test_type_checking_imports_count_when_not_allowed() -> None:
    """``allow_type_checking: false`` makes a TYPE_CHECKING import from a higher layer a violation."""
    _, project = base_project("clinic", TRICKY[3][2])
    layers = [{"name": "routes", "modules": ["app.routes"]}, {"name": "services", "modules": ["app/services/"]}]
    assert {f.status for f in _run("import-layering", project, {"layers": layers})} == {Status.PASSED}
    found = _run("import-layering", project, {"layers": layers, "allow_type_checking": False})
    assert [f.status for f in found] == [Status.FAILED]
    assert found[0].evidence[0].path == "app/services/slots.py"
    assert found[0].evidence[0].text == "from app.routes.deps import SlotId"


def test_reexport_evidence_names_the_real_module() -> None:
    """A violation through a re-export points at the import line and names the re-exported module."""
    mutant = next(m for m in MUTANTS if m["id"] == "layering-through-reexport")
    task, project = base_project("library", mutant["edits"])
    (result,) = [c for c in verify(task, project).constraints if c.id == "architecture.import-layering"]
    (finding,) = result.findings
    assert finding.evidence[0].path == "app/services/lending.py"
    assert finding.evidence[0].text == "from app import routes_guard"
    assert "app/routes/security.py" in finding.message


def test_one_finding_per_import_statement() -> None:
    """`from app.routes import books` is one violation naming `app.routes.books`, not one per import record."""
    append = (
        "\nfrom app.routes import books  # noqa: E402\n"
        "from app.routes import auth, loans  # noqa: E402\n"
        "from app import routes  # noqa: E402\n"
    )
    task, project = base_project("library", [{"file": "app/services/catalog.py", "append": append}])
    report = verify(task, project)
    assert {c.id for c in report.constraints if c.status is Status.FAILED} == {"architecture.import-layering"}
    (result,) = [c for c in report.constraints if c.id == "architecture.import-layering"]
    lines = project.lines("app/services/catalog.py")
    first = lines.index("from app.routes import books  # noqa: E402") + 1
    assert [(f.evidence[0].path, f.evidence[0].line) for f in result.findings] == [
        ("app/services/catalog.py", first),
        ("app/services/catalog.py", first + 1),
        ("app/services/catalog.py", first + 2),
    ]
    assert [f.message for f in result.findings] == [
        "`app/services/catalog.py` (layer services) imports `app.routes.books`, which is in layer routes, above it",
        "`app/services/catalog.py` (layer services) imports `app.routes.auth`, `app.routes.loans`, "
        "which are in layer routes, above it",
        "`app/services/catalog.py` (layer services) imports `app.routes`, which is in layer routes, above it",
    ]
    assert all(f.hint.startswith("Layer services may import only itself") for f in result.findings)


def test_one_finding_per_statement_names_every_layer_it_reaches() -> None:
    """A statement reaching two higher layers is still one finding, naming both modules and both layers."""
    append = "\nfrom app import routes, schemas  # noqa: E402\n"
    _, project = base_project("library", [{"file": "app/repositories/books.py", "append": append}])
    layers = [
        {"name": "routes", "modules": ["app.routes"]},
        {"name": "schemas", "modules": ["app.schemas"]},
        {"name": "repositories", "modules": ["app.repositories"]},
    ]
    (finding,) = _run("import-layering", project, {"layers": layers})
    assert finding.status is Status.FAILED
    assert finding.message == (
        "`app/repositories/books.py` (layer repositories) imports `app.routes`, `app.schemas`, "
        "which are in layers routes and schemas, above it"
    )
    assert finding.evidence[0].text == "from app import routes, schemas  # noqa: E402"


# --------------------------------------------------------------------------- orm: framework-default

_DEFAULT_ORM = {"orm": "framework-default"}


def _on(framework: str, language: str = "python") -> cdspec.Task:
    """The clinic task retargeted (the orm check reads the target framework from the task)."""
    return attrs.evolve(_task("examples/clinic/task.yaml"), target=cdspec.Target(language, framework))


@pytest.mark.parametrize(
    ("base", "framework", "language", "orm"),
    [
        ("library", "flask", "python", "sqlalchemy"),
        ("library", "fastapi", "python", "sqlalchemy"),
        ("library", "aiohttp", "python", "sqlalchemy"),
        ("express", "express", "javascript", "sequelize"),
        ("express", "fastify", "javascript", "sequelize"),
        ("express", "koa", "javascript", "sequelize"),
        ("express", "hono", "typescript", "sequelize"),
    ],
)
def test_framework_default_orm_is_the_frameworks_orm(base: str, framework: str, language: str, orm: str) -> None:
    """`orm: framework-default` checks the target framework's standard ORM, and says which."""
    _, project = base_project(base)
    (finding,) = _run("orm", project, _DEFAULT_ORM, _on(framework, language))
    assert finding.status is Status.PASSED
    assert finding.message.startswith(f"{orm} (the default ORM of {framework}) is used")


def test_framework_default_orm_fails_with_another_orm() -> None:
    """A SQLAlchemy project on Django, and a Sequelize one on Flask, fail: no default ORM, another one used."""
    _, library = base_project("library")
    found = _run("orm", library, _DEFAULT_ORM, _on("django"))
    assert found[0].status is Status.FAILED
    assert found[0].message == "no source imports django (the default ORM of django) (django.db)"
    assert {f.status for f in found} == {Status.FAILED}
    assert any("uses another ORM, sqlalchemy" in f.message for f in found[1:])
    _, express = base_project("express")
    found = _run("orm", express, _DEFAULT_ORM, _on("flask"))
    assert found[0].message == (
        "no source imports sqlalchemy (the default ORM of flask) (sqlalchemy, flask_sqlalchemy, sqlmodel)"
    )
    assert [f.hint for f in found[1:2]] == ["Persist through sqlalchemy (the default ORM of flask) only."]


def test_framework_default_orm_of_an_unknown_framework_is_unchecked() -> None:
    """A framework without a known standard ORM cannot be checked, and the finding says how to fix the task."""
    _, library = base_project("library")
    (finding,) = _run("orm", library, _DEFAULT_ORM, _on("rails", "ruby"))
    assert finding.status is Status.UNCHECKED
    assert "no default ORM known for the target framework 'rails'" in finding.message
    assert "name the ORM" in finding.message


def test_study_task_orm_layer_is_checked_on_express() -> None:
    """The study task's own orm constraint, retargeted to Express, passes on the Express fixture."""
    study = attrs.evolve(
        cdspec.load_task(ROOT / "examples" / "study" / "task.yaml"), target=cdspec.Target("javascript", "express")
    )
    _, project = base_project("express")
    (constraint,) = [c for c in study.constraints if c.id == "orm.framework-default"]
    found = list(BUILTIN_CHECKS["orm"].function(project, constraint.params, Context(constraint, study)))
    assert [(f.status, f.message.split(" is used")[0]) for f in found] == [
        (Status.PASSED, "sequelize (the default ORM of express)")
    ]


# --------------------------------------------------------------------------- each file analysed once


def test_checks_tokenize_each_js_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check reads JS through the project's tokens: one tokenization per file per project."""
    from cdspec.verify import _js, _jsmodel

    original = _js.tokenize
    counts: dict[str, int] = {}

    def counting(text: str) -> Any:
        counts[text] = counts.get(text, 0) + 1
        return original(text)

    monkeypatch.setattr(_js, "tokenize", counting)
    monkeypatch.setattr(_jsmodel, "tokenize", counting)
    task, project = base_project("express")
    assert set(statuses(task, project).values()) == {Status.PASSED}
    assert len(counts) == len(project.js_files)
    assert set(counts.values()) == {1}


def test_checks_never_walk_a_whole_module_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks use the project's node lists: ``ast.walk`` is never called on a module's tree."""
    task, project = base_project("clinic")
    for path in project.python_files:
        project.ast(path)  # parsed (and walked once) by the project, before counting
    original = ast.walk
    walked: list[ast.AST] = []

    def counting(node: ast.AST) -> Any:
        walked.append(node)
        return original(node)

    monkeypatch.setattr(ast, "walk", counting)
    assert set(statuses(task, project).values()) == {Status.PASSED}
    assert walked  # the handlers' bodies are still walked (the patch is in effect)
    assert not [node for node in walked if isinstance(node, ast.Module)]


# --------------------------------------------------------------------------- could not check


def test_checks_that_cannot_decide_say_why() -> None:
    """No sources, an unknown ORM, no baseline: UNCHECKED with a reason, never a silent pass."""
    empty = Project.from_files({"README.md": "nothing here\n"})
    cases: list[tuple[str, dict[str, Any]]] = [
        ("orm", {"orm": "sqlalchemy"}),
        ("single-data-path", {"modules": ["app/repositories"]}),
        ("no-raw-sql", {}),
        ("data-model", {"entities": [{"name": "Book", "fields": [{"name": "id", "type": "integer"}]}]}),
        ("validation-pattern", {"library": "pydantic"}),
        ("routes-cover-contract", {}),
        ("import-layering", {"layers": [{"name": "a", "modules": ["a"]}, {"name": "b", "modules": ["b"]}]}),
        ("forbidden-imports", {"modules": ["flask"]}),
    ]
    for kind, params in cases:
        (finding,) = _run(kind, empty, params)
        assert finding.status is Status.UNCHECKED, kind
        assert finding.message, kind
    _, clinic = base_project("clinic")
    (finding,) = _run("orm", clinic, {"orm": "hibernate"})
    assert finding.status is Status.UNCHECKED
    assert "hibernate" in finding.message
    (finding,) = _run("migrations-preserved", clinic, {"directory": "migrations/"})
    assert finding.status is Status.UNCHECKED
    assert "baseline" in finding.message


def test_findings_are_deterministic() -> None:
    """Two runs over the same mutant give the same findings in the same order."""
    mutant = next(m for m in MUTANTS if m["id"] == "engine-url-env-renamed")
    task, project = base_project(mutant["base"], mutant["edits"])
    _, again = base_project(mutant["base"], mutant["edits"])
    assert verify(task, project).to_data() == verify(task, again).to_data()


def test_messages_read_well() -> None:
    """A failed finding says what, where, and how to fix it."""
    mutant = next(m for m in MUTANTS if m["id"] == "forbidden-flask-in-service")
    task, project = base_project(mutant["base"], mutant["edits"])
    (result,) = [c for c in verify(task, project).constraints if c.id == "architecture.no-flask-below-routes"]
    (finding,) = result.findings
    assert finding.message == "`app/services/catalog.py` imports `flask` (forbidden: `flask`)"
    assert str(finding.evidence[0]) == "app/services/catalog.py:8: from flask import abort"
    assert finding.hint.startswith("Remove the import of `flask`")


def test_corpus_paths_exist() -> None:
    """Every base directory of the corpus exists (guards against moved examples)."""
    for base in CORPUS["bases"].values():
        assert (ROOT / base["project"]).is_dir()
        assert posixpath.basename(base["task"]).endswith(".yaml")


# --------------------------------------------------------------------------- robustness

_FRAGMENTS = [
    "class {n}(Base):\n    __tablename__ = {s}\n    id: Mapped[{n}] = mapped_column(primary_key={n})\n",
    "{n} = relationship({s}, backref={s}, uselist={n}, secondary={n})\n",
    "{n} = Column({n}, ForeignKey({s}), nullable={n})\n",
    "@{n}.route({s}, methods=[{s}, {n}])\ndef {n}(): return request.get_json()\n",
    "{n}.include_router({n}.{n}, prefix={s})\n{n}.register_blueprint({n}, url_prefix={n})\n",
    "urlpatterns = [path({s}, include({s})), re_path({s}, {n}.as_view())]\n",
    "from {n} import {n} as {n}\nfrom .{n} import {n}\nimport {n}.{n}\n",
    "x = text({s})\ny = f{s}\nz = {s} + {s}\n",
    "class {n}(models.Model):\n    {n} = models.ForeignKey({s}, related_name={s})\n",
    "if TYPE_CHECKING:\n    from {n} import {n}\n",
]
_JS_FRAGMENTS = [
    "const {n} = sequelize.define({s}, {{ {n}: {{ type: DataTypes.{n}, allowNull: {n} }} }}, {{ tableName: {s} }});\n",
    "{n}.hasMany({n}, {{ as: {s} }}); {n}.init({{}}, {{ modelName: {s} }});\n",
    "const {n} = require({s}); app.use({s}, {n}); router.route({s}).get({n});\n",
    "module.exports = {n}; export default {n}; const q = `select * from t where a = ${{{n}}}`;\n",
]
_names = st.sampled_from(["Base", "app", "bp", "router", "Book", "String", "True", "None", "x", "models", "db"])
_strings = st.sampled_from(['""', '"books.id"', '"/x/<int:id>"', '"SELECT * FROM t WHERE a = ?"', "'{'", '"GET"'])


@st.composite
def _snippet(draw: st.DrawFn, templates: list[str]) -> str:
    template = draw(st.sampled_from(templates))
    while "{n}" in template or "{s}" in template:
        template = template.replace("{n}", draw(_names), 1).replace("{s}", draw(_strings), 1)
    return template.replace("{{", "{").replace("}}", "}")


@given(
    st.lists(_snippet(_FRAGMENTS), max_size=6),
    st.lists(_snippet(_JS_FRAGMENTS), max_size=4),
    st.text(max_size=60),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_checks_never_raise(python: list[str], js: list[str], noise: str) -> None:
    """Odd but parseable code and arbitrary text make findings, never a check that raises."""
    files = {
        "app/models/__init__.py": "\n".join(python),
        "app/routes/__init__.py": "\n".join(reversed(python)) + f"\n# {noise!r}\n",
        "src/models/index.js": "\n".join(js) + noise,
        "src/app.js": noise + "\n".join(js),
        "requirements.txt": noise,
        "package.json": "{" + noise,
        ".env": noise,
    }
    project = Project.from_files(files)
    for base in ("clinic", "express"):
        for result in verify(_task(CORPUS["bases"][base]["task"]), project).constraints:
            for finding in result.findings:
                assert "raised" not in finding.message, finding
