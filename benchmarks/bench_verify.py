"""How long static verification takes on a generated project of 500 Python files, and one of 500 JS files.

Python: the library's reference backend (``examples/library/reference``,
31 Python files) plus generated resources, five modules each (a SQLAlchemy
model, a repository, a service, a marshmallow schema module and a Flask
blueprint, importing each other down the layers as the reference does),
up to ``--files`` Python files; verified against every constraint of
``examples/library/task.yaml`` (12 constraints, 7 layers).

JavaScript: an Express + Sequelize project of ``--files`` JS files under
``src/`` (routes, services, repositories and models, with ``require``
between them, comments and template literals), verified against the study
task (``examples/study/task.yaml``) retargeted to javascript/express, with
its architecture, sqlite and orm layers (6 constraints).

One run is ``Project.from_directory(root)`` plus ``cdspec.verify(task,
project)``: reading the tree, parsing, and every check. The best of
``--repeat`` runs counts, after one untimed warm-up (lazy imports); the
goal is under 1 s each. An audit hook counts, per file, the ``open`` and
``compile`` (``ast.parse``) events during a run, and a wrapper counts JS
tokenizations per text: the script checks that each file is read at most
once and parsed at most once per run, and exits 1 if one was not.

Run: ``python benchmarks/bench_verify.py [--files 500] [--repeat 5] [--profile] [--top 20] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import gc
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import _common
import attrs

import cdspec
from cdspec.verify import Project, _js

GOAL_SECONDS = 1.0
REPO = _common.REPO
LIBRARY = REPO / "examples" / "library"
STUDY = REPO / "examples" / "study" / "task.yaml"


# --------------------------------------------------------------------------- Python project


def _py_resource(i: int) -> dict[str, str]:
    name, table = f"Thing{i}", f"things_{i}"
    return {
        f"app/models/thing{i}.py": f'''"""{name}: a generated entity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import Base, utcnow


class {name}(Base):
    __tablename__ = "{table}"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
''',
        f"app/repositories/thing{i}.py": f'''"""Reading and writing {table}."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models.thing{i} import {name}
from app.repositories.database import paged, session


def page(*, member_id: int, offset: int, limit: int) -> tuple[list[{name}], int]:
    """The member's {table}, newest first, and how many there are."""
    stmt = select({name}).where({name}.member_id == member_id)
    total = session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session().scalars(paged(stmt.order_by({name}.created_at.desc()), offset, limit))
    return list(rows), total


def find(thing_id: int) -> {name} | None:
    return session().get({name}, thing_id)


def add(thing: {name}) -> {name}:
    session().add(thing)
    session().flush()
    return thing
''',
        f"app/services/thing{i}.py": f'''"""The rules of {table}: names are trimmed, notes optional, owners only."""

from __future__ import annotations

from typing import Any

from app.models import Member
from app.models.thing{i} import {name}
from app.repositories import thing{i} as repository
from app.services.errors import NotFound
from app.services.pages import Page, offset


def list_things(member: Member, *, page: int, page_size: int) -> Page[{name}]:
    rows, total = repository.page(member_id=member.id, offset=offset(page, page_size), limit=page_size)
    return Page(rows, page, page_size, total)


def create(member: Member, data: dict[str, Any]) -> {name}:
    # Select the trimmed name; an empty one was refused by the schema.
    thing = {name}(name=data["name"].strip(), note=data.get("note"), member_id=member.id)
    return repository.add(thing)


def get(member: Member, thing_id: int) -> {name}:
    thing = repository.find(thing_id)
    if thing is None or thing.member_id != member.id:
        raise NotFound(f"no {table} item {{thing_id}}")
    return thing
''',
        f"app/schemas/thing{i}.py": f"""from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.common import RequestBody, Text


class {name}CreateSchema(RequestBody):
    name = Text(required=True, validate=validate.Length(min=1, max=120))
    note = Text(validate=validate.Length(max=500))


class {name}Schema(Schema):
    id = fields.Integer()
    name = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime(data_key="createdAt")
""",
        f"app/routes/thing{i}.py": f"""from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from app.routes.security import login_required
from app.schemas.common import page_of
from app.schemas.thing{i} import {name}CreateSchema, {name}Schema
from app.services import thing{i} as service

bp = Blueprint("thing{i}", __name__, url_prefix="/things{i}")


@bp.get("")
@login_required
def list_things() -> Any:
    page = service.list_things(g.member, page=int(request.args.get("page", 1)), page_size=20)
    return page_of({name}Schema(), page)


@bp.post("")
@login_required
def create_thing() -> Any:
    data = {name}CreateSchema().load(request.get_json(silent=True))
    return {name}Schema().dump(service.create(g.member, data)), 201


@bp.get("/<int:thing_id>")
@login_required
def get_thing(thing_id: int) -> Any:
    return {name}Schema().dump(service.get(g.member, thing_id))
""",
    }


def make_python_project(root: Path, files: int) -> int:
    """The library reference plus generated resources: ``files`` Python files in all."""
    shutil.copytree(LIBRARY / "reference", root, ignore=shutil.ignore_patterns("__pycache__", "instance"))
    count = sum(1 for _ in root.rglob("*.py"))
    i = 0
    while count < files:
        for name, text in _py_resource(i).items():
            if count >= files:
                break
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            count += 1
        i += 1
    return count


# --------------------------------------------------------------------------- JavaScript project


def _js_resource(i: int) -> dict[str, str]:
    name = f"Thing{i}"
    return {
        f"src/models/thing{i}.js": f"""'use strict';
// {name}: a generated entity. require('./not-an-import') in a comment is ignored.
const {{ DataTypes }} = require('sequelize');

module.exports = (sequelize) => sequelize.define('{name}', {{
  id: {{ type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }},
  name: {{ type: DataTypes.STRING(120), allowNull: false }},
  note: {{ type: DataTypes.TEXT, allowNull: true }},
  userId: {{ type: DataTypes.INTEGER, allowNull: false }},
}}, {{ tableName: 'things_{i}' }});
""",
        f"src/repositories/thing{i}.js": f"""'use strict';
const {{ models }} = require('./database');

const {name} = () => models.{name};

/** The user's items, newest first, and how many there are. */
async function page(userId, offset, limit) {{
  const {{ rows, count }} = await {name}().findAndCountAll({{
    where: {{ userId }},
    order: [['id', 'DESC']],
    offset,
    limit,
  }});
  return {{ rows, total: count }};
}}

async function find(id) {{
  return {name}().findByPk(id);
}}

async function add(values) {{
  return {name}().create(values);
}}

module.exports = {{ page, find, add }};
""",
        f"src/services/thing{i}.js": f"""'use strict';
const repository = require('../repositories/thing{i}');
const {{ NotFound }} = require('./errors');

async function list(user, page, pageSize) {{
  const {{ rows, total }} = await repository.page(user.id, (page - 1) * pageSize, pageSize);
  return {{ items: rows, page, pageSize, total }};
}}

async function create(user, data) {{
  // select the trimmed name: the route already refused an empty one
  return repository.add({{ name: data.name.trim(), note: data.note ?? null, userId: user.id }});
}}

async function get(user, id) {{
  const thing = await repository.find(id);
  if (!thing || thing.userId !== user.id) {{
    throw new NotFound(`no thing{i} item ${{id}}`);
  }}
  return thing;
}}

module.exports = {{ list, create, get }};
""",
        f"src/routes/thing{i}.js": f"""'use strict';
const express = require('express');
const service = require('../services/thing{i}');
const {{ requireAuth }} = require('./auth');

const router = express.Router();

router.get('/things{i}', requireAuth, async (req, res) => {{
  const page = Number(req.query.page || 1);
  res.json(await service.list(req.user, page, 20));
}});

router.post('/things{i}', requireAuth, async (req, res) => {{
  if (typeof req.body?.name !== 'string' || !req.body.name.trim()) {{
    return res.status(400).json({{ error: 'name is required' }});
  }}
  return res.status(201).json(await service.create(req.user, req.body));
}});

router.get('/things{i}/:id', requireAuth, async (req, res) => {{
  res.json(await service.get(req.user, Number(req.params.id)));
}});

module.exports = router;
""",
    }


JS_FIXED = {
    "package.json": json.dumps(
        {
            "name": "linkshelf",
            "version": "1.0.0",
            "scripts": {"start": "node src/server.js"},
            "dependencies": {"express": "4.21.2", "sequelize": "6.37.5", "sqlite3": "5.1.7"},
        },
        indent=2,
    ),
    "src/server.js": """'use strict';
const app = require('./app');
const port = Number(process.env.PORT || 8000);
app.listen(port, '0.0.0.0', () => console.log(`listening on ${port}`));
""",
    "src/repositories/database.js": """'use strict';
// The only place that holds the connection: every model is defined on it here.
const fs = require('fs');
const path = require('path');
const { Sequelize } = require('sequelize');

const url = process.env.DATABASE_URL || 'sqlite:data/linkshelf.sqlite3';
const sequelize = new Sequelize(url, { dialect: 'sqlite', logging: false });
const models = {};
for (const file of fs.readdirSync(path.join(__dirname, '..', 'models'))) {
  const model = require(path.join(__dirname, '..', 'models', file))(sequelize);
  models[model.name] = model;
}
module.exports = { sequelize, models };
""",
    "src/services/errors.js": """'use strict';
class NotFound extends Error {}
module.exports = { NotFound };
""",
    "src/routes/auth.js": """'use strict';
function requireAuth(req, res, next) {
  if (!req.headers.authorization) return res.status(401).json({ error: 'unauthorized' });
  return next();
}
module.exports = { requireAuth };
""",
}


def make_js_project(root: Path, files: int) -> int:
    """An Express + Sequelize project of ``files`` JS files under src/."""
    count = 0
    for name, text in JS_FIXED.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        count += name.endswith(".js")
    routes = []
    i = 0
    while count < files - 1:  # src/app.js comes last
        for name, text in _js_resource(i).items():
            if count >= files - 1:
                break
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            count += 1
            if name.startswith("src/routes/"):
                routes.append(f"app.use(require('./routes/thing{i}'));")
        i += 1
    app = "'use strict';\nconst express = require('express');\nconst app = express();\napp.use(express.json());\n"
    (root / "src" / "app.js").write_text(app + "\n".join(routes) + "\nmodule.exports = app;\n", encoding="utf-8")
    return count + 1


def js_task() -> cdspec.Task:
    """The study task as an Express task: architecture, sqlite and orm layers."""
    study = cdspec.load_task(STUDY)
    task = attrs.evolve(study, target=cdspec.Target("javascript", "express"))
    return task.select(["architecture", "sqlite", "orm"])


# --------------------------------------------------------------------------- counting


class Counters:
    """Per-file opens and compiles (from an audit hook) and JS tokenizations, for one run at a time."""

    def __init__(self) -> None:
        self.root = ""
        self.opens: collections.Counter[str] = collections.Counter()
        self.compiles: collections.Counter[str] = collections.Counter()
        self.tokenized: collections.Counter[int] = collections.Counter()
        sys.addaudithook(self._hook)
        original = _js.tokenize

        def counting(text: str) -> Iterator[_js.Token]:
            self.tokenized[hash(text)] += 1
            return original(text)

        # Every module of cdspec.verify that holds the tokenizer (by `from ._js import tokenize`
        # or as _js.tokenize) gets the counting one, so that no tokenization goes uncounted.
        import cdspec.verify.checks  # noqa: F401  # the checks and their readers, loaded now

        for name, module in list(sys.modules.items()):
            if name.startswith("cdspec.verify") and getattr(module, "tokenize", None) is original:
                module.tokenize = counting  # type: ignore[attr-defined]

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.root:
            return
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            path = os.fsdecode(args[0])
            if path.startswith(self.root):
                self.opens[path] += 1
        elif event == "compile" and len(args) > 1 and isinstance(args[1], str) and not args[1].startswith("<"):
            self.compiles[args[1]] += 1

    def start(self, root: Path) -> None:
        self.root = str(root)
        self.opens.clear()
        self.compiles.clear()
        self.tokenized.clear()

    def stop(self) -> dict[str, int]:
        self.root = ""
        return {
            "files opened": len(self.opens),
            "most opens of one file": max(self.opens.values(), default=0),
            "files parsed (ast)": len(self.compiles),
            "most parses of one file": max(self.compiles.values(), default=0),
            "JS texts tokenized": len(self.tokenized),
            "most tokenizations of one text": max(self.tokenized.values(), default=0),
        }


def one_run(task: cdspec.Task, root: Path) -> tuple[float, cdspec.VerifyReport]:
    start = time.perf_counter()
    report = cdspec.verify(task, Project.from_directory(root))
    return time.perf_counter() - start, report


def phases(task: cdspec.Task, root: Path) -> dict[str, float]:
    """One run split in three: reading the tree, parsing every source (ASTs, JS imports), the checks."""
    start = time.perf_counter()
    project = Project.from_directory(root)
    read = time.perf_counter()
    for path in project.python_files:
        project.ast(path)
    for path in project.js_files:
        project.imports(path)
    parsed = time.perf_counter()
    cdspec.verify(task, project)
    done = time.perf_counter()
    return {"read": read - start, "parse": parsed - read, "checks": done - parsed}


def measure(
    label: str, task: cdspec.Task, root: Path, repeat: int, counters: Counters
) -> tuple[list[float], cdspec.VerifyReport, dict[str, int]]:
    one_run(task, root)  # warm-up: lazy imports, compiled regexes
    counters.start(root)
    _, report = one_run(task, root)
    counts = counters.stop()
    gc.collect()
    gc.freeze()
    times = []
    for _ in range(repeat):
        elapsed, _ = one_run(task, root)
        times.append(elapsed)
    gc.unfreeze()
    return times, report, counts


def profile(task: cdspec.Task, root: Path, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(one_run, task, root)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][3])  # type: ignore[attr-defined]
    print(f"  cProfile, {total * 1000:.0f} ms in all; top {top} by cumulative time:")
    for (filename, line, function), (_, calls, own, cumulative, _) in rows[:top]:
        place = _common.where(filename, line, function)
        print(f"    {cumulative * 1000:8.1f} ms cum {own * 1000:8.1f} ms own {calls:8d}x  {place}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500, help="source files per project (default 500)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one run of each")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--json", metavar="OUT", help="write every run's time and the environment here")
    args = parser.parse_args(argv)

    from cdspec.verify import BUILTIN_CHECKS

    counters = Counters()
    results: dict[str, Any] = {"environment": _common.environment(["attrs"]), "projects": {}}
    print(f"cdspec.verify: best of {args.repeat} runs (Project.from_directory + verify), goal < {GOAL_SECONDS:.0f} s")
    print(f"checks registered: {len(BUILTIN_CHECKS)} ({', '.join(BUILTIN_CHECKS.kinds) or 'none'})\n")
    with tempfile.TemporaryDirectory() as folder:
        python_root, js_root = Path(folder) / "py", Path(folder) / "js"
        n_py = make_python_project(python_root, args.files)
        n_js = make_js_project(js_root, args.files)
        cases: list[tuple[str, cdspec.Task, Path, int, Callable[[], str]]] = [
            ("python (library task)", cdspec.load_task(LIBRARY / "task.yaml"), python_root, n_py, lambda: "py"),
            ("javascript (study task, express)", js_task(), js_root, n_js, lambda: "js"),
        ]
        header = f"{'project':<34} {'files':>6} {'bytes':>9} {'constraints':>11} {'best':>9} {'median':>9}  goal"
        print(header)
        rows = []
        for label, task, root, n_files, _ in cases:
            size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
            times, report, counts = measure(label, task, root, args.repeat, counters)
            best, median = min(times), sorted(times)[len(times) // 2]
            verdict = "PASS" if best < GOAL_SECONDS else "MISS"
            print(
                f"{label:<34} {n_files:>6} {size:>9} {report.counts['total']:>11} "
                f"{best * 1000:>7.0f}ms {median * 1000:>7.0f}ms  {verdict}"
            )
            split = min((phases(task, root) for _ in range(args.repeat)), key=lambda p: sum(p.values()))
            counts = {**counts, **{f"{k} ms": round(v * 1000) for k, v in split.items()}}
            rows.append((label, report, counts))
            results["projects"][label] = {
                "files": n_files,
                "bytes": size,
                "times": times,
                "counts": report.counts,
                "reads": counts,
                "statuses": {c.id: c.status.value for c in report.constraints},
            }
        broken = []
        for label, report, counts in rows:
            print(f"\n{label}: {report.summary()}")
            for c in report.constraints:
                print(f"  {c.status.mark} {c.id}")
            print("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
            once = {
                "read": counts["most opens of one file"],
                "parsed": counts["most parses of one file"],
                "tokenized": counts["most tokenizations of one text"],
            }
            for what, most in once.items():
                verdict = "OK" if most <= 1 else f"FAIL (up to {most} times)"
                print(f"  each file {what} at most once: {verdict}")
                if most > 1:
                    broken.append(f"{label}: a file {what} {most} times")
        if args.profile:
            for label, task, root, _, _ in cases:
                print(f"\n{label}:")
                profile(task, root, args.top)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    if broken:  # the promise "each file is read once and parsed at most once" is checked here
        print("\nFAILED: " + "; ".join(broken))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
