"""Route tables, models and data access as real projects of each framework write them.

Each test is one shape seen in public backends (FastAPI settings prefixes and
keyword ``include_router``, Django REST framework routers, Express routers
chained and exported, Hono ``basePath``, NestJS decorators, Prisma schemas and
injected clients, sequelize-cli models, Poetry manifests), written from
scratch in that shape.
"""

from __future__ import annotations

import textwrap

import cdspec
from cdspec.verify import Project, verify
from cdspec.verify._prisma import prisma_entities
from cdspec.verify.checks._common import entities, routes
from cdspec.verify.findings import Status

CONTRACT = """\
openapi: 3.0.3
info: {title: Notes, version: "1"}
servers: [{url: "https://example.test/api"}]
paths:
  /notes:
    get: {operationId: listNotes, responses: {"200": {description: ok}}}
  /notes/{id}:
    delete:
      operationId: deleteNote
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {"204": {description: gone}}
"""


def project(files: dict[str, str]) -> Project:
    return Project.from_files({path: textwrap.dedent(text) for path, text in files.items()})


def keys(files: dict[str, str]) -> set[tuple[str, str]]:
    return {r.key for r in routes(project(files))}


def task_with(tmp_path: object, constraint: str, framework: str = "fastapi") -> cdspec.Task:
    from pathlib import Path

    base = Path(str(tmp_path))
    (base / "openapi.yaml").write_text(CONTRACT, encoding="utf-8")
    (base / "task.yaml").write_text(
        "id: t\ntitle: T\ngoal: G.\n"
        f"target: {{language: python, framework: {framework}}}\ncontract: openapi.yaml\n"
        f"layers:\n  - name: l\n    constraints:\n      - {constraint}\n",
        encoding="utf-8",
    )
    return cdspec.load_task(base / "task.yaml")


def test_fastapi_keyword_include_router_and_settings_prefix() -> None:
    """``include_router(router=..., prefix=settings.api_prefix)`` reads the settings class default."""
    found = keys(
        {
            "app/config.py": 'class Settings:\n    api_prefix: str = "/api"\n\nsettings = Settings()\n',
            "app/notes.py": """
                from fastapi import APIRouter
                router = APIRouter()
                @router.get("")
                def index(): ...
            """,
            "app/main.py": """
                from fastapi import FastAPI
                from app import notes
                from app.config import settings
                NOTES = "/notes"
                app = FastAPI()
                app.include_router(router=notes.router, prefix=f"{settings.api_prefix}{NOTES}")
            """,
        }
    )
    assert found == {("GET", "/api/notes")}


def test_fastapi_mount_of_a_sub_application() -> None:
    """``app.mount("/api", api)`` puts the sub-application's routes under ``/api``."""
    found = keys(
        {
            "main.py": """
                from fastapi import APIRouter, FastAPI
                router = APIRouter()
                @router.delete("/notes/{id}")
                def drop(id: int): ...
                api = FastAPI()
                api.include_router(router)
                app = FastAPI()
                app.mount("/api", api)
            """
        }
    )
    assert found == {("DELETE", "/api/notes/{}")}


def test_unreadable_prefix_is_unchecked_with_its_line(tmp_path: object) -> None:
    """A prefix computed at run time makes the operations it may serve unchecked, naming the expression."""
    files = {
        "main.py": """
            import os
            from fastapi import APIRouter, FastAPI
            router = APIRouter()
            @router.get("/notes")
            def index(): ...
            @router.delete("/notes/{id}")
            def drop(id: int): ...
            app = FastAPI()
            app.include_router(router, prefix=os.environ["PREFIX"])
        """
    }
    task = task_with(tmp_path, "{id: r.routes, kind: routes-cover-contract}")
    result = verify(task, project(files)).result("r.routes")
    assert result.status is Status.UNCHECKED
    assert all(f.status is Status.UNCHECKED for f in result.findings)
    assert "`os.environ['PREFIX']` at main.py:10" in result.findings[0].message


def test_routes_are_required_under_the_contract_base_path(tmp_path: object) -> None:
    """A project serving ``/notes`` for a contract whose servers say ``/api`` misses the operations."""
    files = {
        "main.py": """
            from fastapi import FastAPI
            app = FastAPI()
            @app.get("/notes")
            def index(): ...
            @app.delete("/api/notes/{id}")
            def drop(id: int): ...
        """
    }
    task = task_with(tmp_path, "{id: r.routes, kind: routes-cover-contract}")
    result = verify(task, project(files)).result("r.routes")
    assert result.status is Status.FAILED
    assert [f.message for f in result.findings] == [
        "operation listNotes (GET /notes) has no route handler under the contract's base path /api"
    ]


def test_drf_router_and_generic_views() -> None:
    """A DRF router registers the viewset's actions; generic views answer their own methods."""
    found = keys(
        {
            "site/urls.py": """
                from django.urls import include, path
                urlpatterns = [path("api/", include("notes.urls"))]
            """,
            "notes/urls.py": """
                from django.urls import include, path, re_path
                from rest_framework.routers import DefaultRouter
                from notes.views import NoteViewSet, Tags
                router = DefaultRouter()
                router.register(r"notes", NoteViewSet)
                urlpatterns = [path("", include(router.urls)), re_path(r"^tags/?$", Tags.as_view())]
            """,
            "notes/views.py": """
                from rest_framework import generics, mixins, viewsets
                class NoteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
                    def destroy(self, request, pk=None): ...
                class Tags(generics.ListAPIView): ...
            """,
        }
    )
    assert found == {("GET", "/api/notes"), ("DELETE", "/api/notes/{}"), ("GET", "/api/tags")}


def test_express_chained_routers_and_default_export() -> None:
    """``export default Router().use('/api', Router().use(notes))`` and ``app.use(routes)`` without a prefix."""
    found = keys(
        {
            "src/notes.ts": """
                import { Router } from 'express';
                const router = Router();
                router.get('/notes', list);
                export default router;
            """,
            "src/routes.ts": """
                import { Router } from 'express';
                import notes from './notes';
                const api = Router().use(notes);
                export default Router().use('/api', api);
            """,
            "src/main.ts": """
                import express from 'express';
                import routes from './routes';
                const app = express();
                app.use(routes);
            """,
        }
    )
    assert found == {("GET", "/api/notes")}


def test_hono_route_and_base_path() -> None:
    """``new Hono().basePath('/api')`` with ``app.route('/notes', notes)``, and ``const v2 = app.basePath('/v2')``."""
    found = keys(
        {
            "src/notes.ts": """
                import { Hono } from 'hono';
                const notes = new Hono();
                notes.get('/', (c) => c.json([]));
                notes.delete('/:id', (c) => c.body(null, 204));
                export default notes;
            """,
            "src/index.ts": """
                import { Hono } from 'hono';
                import notes from './notes';
                const app = new Hono().basePath('/api');
                app.route('/notes', notes);
                const v2 = app.basePath('/v2');
                v2.get('/ping', (c) => c.text('pong'));
                export default app;
            """,
        }
    )
    assert found == {("GET", "/api/notes"), ("DELETE", "/api/notes/{}"), ("GET", "/api/v2/ping")}


def test_nestjs_controllers_under_the_global_prefix() -> None:
    """``@Controller('notes')`` with ``@Get()``/``@Delete(':id')`` under ``app.setGlobalPrefix('api')``."""
    found = keys(
        {
            "src/main.ts": "const app = await NestFactory.create(AppModule);\napp.setGlobalPrefix('api');\n",
            "src/notes.controller.ts": """
                @Controller('notes')
                export class NotesController {
                  @Get()
                  list() {}
                  @Delete(':id')
                  drop(@Param('id') id: string) {}
                }
            """,
        }
    )
    assert found == {("GET", "/api/notes"), ("DELETE", "/api/notes/{}")}


def test_prisma_models() -> None:
    """Prisma models: nullability, keys, ``@@map`` and relation kinds read the way Prisma defines them."""
    schema = textwrap.dedent(
        """
        model User {
          id       Int       @id @default(autoincrement())
          email    String    @unique
          bio      String?
          articles Article[]
          @@map("users")
        }
        model Article {
          id       Int    @id
          author   User   @relation(fields: [authorId], references: [id])
          authorId Int
          tags     Tag[]
        }
        model Tag {
          name     String @id
          articles Article[]
        }
        """
    )
    found = {e.name: e for e in prisma_entities("prisma/schema.prisma", schema)}
    user, article = found["User"], found["Article"]
    assert user.table == "users"
    email, bio = user.column("email"), user.column("bio")
    assert email is not None
    assert email.unique
    assert email.nullable is False
    assert bio is not None
    assert bio.nullable is True
    assert {(r.name, r.target, r.kind) for r in user.relations} == {("articles", "Article", "one-to-many")}
    assert {(r.name, r.target, r.kind) for r in article.relations} == {
        ("author", "User", "many-to-one"),
        ("tags", "Tag", "many-to-many"),
    }


def test_injected_prisma_service_is_data_access(tmp_path: object) -> None:
    """A NestJS controller using an injected ``PrismaService`` (a ``PrismaClient``) talks to the database."""
    files = {
        "src/prisma.service.ts": "export class PrismaService extends PrismaClient {}\n",
        "src/notes.service.ts": "export class S { constructor(private prisma: PrismaService) {}\n"
        "  all() { return this.prisma.note.findMany(); } }\n",
        "src/notes.controller.ts": "export class C { constructor(private db: PrismaService) {}\n"
        "  list() { return this.db.note.findMany(); } }\n",
    }
    task = task_with(
        tmp_path,
        "{id: d.path, kind: single-data-path, params: {modules: [src/prisma.service.ts, src/notes.service.ts]}}",
    )
    result = verify(task, project(files)).result("d.path")
    assert [(f.status, f.evidence[0].path) for f in result.findings] == [(Status.FAILED, "src/notes.controller.ts")]


def test_sequelize_cli_associations_on_this() -> None:
    """sequelize-cli models declare associations as ``this.belongsTo(User, {as})`` in ``static associate``."""
    found = entities(
        project(
            {
                "models/article.js": """
                    const { Model } = require('sequelize');
                    module.exports = (sequelize, DataTypes) => {
                      class Article extends Model {
                        static associate({ User }) {
                          this.belongsTo(User, { foreignKey: 'userId', as: 'author' });
                        }
                      }
                      Article.init({ title: DataTypes.STRING }, { sequelize, modelName: 'Article' });
                      return Article;
                    };
                """,
                "models/user.js": """
                    const { Model } = require('sequelize');
                    module.exports = (sequelize, DataTypes) => {
                      class User extends Model {}
                      User.init({ email: DataTypes.STRING }, { sequelize, modelName: 'User' });
                      return User;
                    };
                """,
            }
        )
    )
    article = next(e for e in found if e.name == "Article")
    assert [(r.name, r.target, r.kind) for r in article.relations] == [("author", "User", "many-to-one")]


def test_poetry_dependency_table_names_the_engine(tmp_path: object) -> None:
    """``asyncpg = "^0.29"`` under ``[tool.poetry.dependencies]`` is evidence of PostgreSQL."""
    files = {
        "pyproject.toml": '[tool.poetry]\nname = "x"\n\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nasyncpg = "^0.29"\n',
        "app/main.py": "import os\nURL = os.environ['DATABASE_URL']\n",
    }
    task = task_with(tmp_path, "{id: e.sqlite, kind: database-engine, params: {engine: sqlite}}")
    result = verify(task, project(files)).result("e.sqlite")
    assert result.status is Status.FAILED
    assert any("dependency `asyncpg`" in f.message for f in result.findings)


def test_prisma_provider_is_engine_evidence(tmp_path: object) -> None:
    """The ``provider`` of the ``datasource`` block names the engine; the generator's provider does not."""
    files = {
        "prisma/schema.prisma": 'generator client {\n  provider = "prisma-client-js"\n}\n'
        'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
        "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    }
    task = task_with(tmp_path, "{id: e.pg, kind: database-engine, params: {engine: postgresql, url_env: DATABASE_URL}}")
    result = verify(task, project(files)).result("e.pg")
    assert result.status is Status.PASSED, [f.message for f in result.findings]


def test_validation_modules_hold_request_schemas_only(tmp_path: object) -> None:
    """Settings classes and domain models used only through ``Depends`` are not request schemas; a body
    model imported from outside ``modules`` is, and ``modules`` may be written as a file path."""
    files = {
        "app/config.py": "from pydantic_settings import BaseSettings\n\n"
        "class Settings(BaseSettings):\n    debug: bool = False\n",
        "app/domain.py": "from pydantic import BaseModel\n\nclass Note(BaseModel):\n    id: int\n",
        "app/schemas.py": "from pydantic import BaseModel\n\nclass NoteIn(BaseModel):\n    title: str\n",
        "app/extra.py": "from pydantic import BaseModel\n\nclass Tagging(BaseModel):\n    tag: str\n",
        "app/routes.py": """
            from fastapi import APIRouter, Depends
            from app.domain import Note
            from app.extra import Tagging
            from app.schemas import NoteIn
            router = APIRouter()
            def current(note_id: int) -> Note: ...
            @router.post("/notes")
            def create(body: NoteIn, note: Note = Depends(current)): ...
            @router.post("/notes/{id}/tags")
            def tag(id: int, body: Tagging): ...
        """,
    }
    constraint = "{id: v.pydantic, kind: validation-pattern, params: {library: pydantic, modules: [app/schemas.py]}}"
    result = verify(task_with(tmp_path, constraint), project(files)).result("v.pydantic")
    assert [(f.status, f.evidence[0].path) for f in result.findings] == [(Status.FAILED, "app/extra.py")]
    del files["app/extra.py"]
    files["app/routes.py"] = files["app/routes.py"].replace(
        "from app.extra import Tagging", "from app.schemas import NoteIn as Tagging"
    )
    result = verify(task_with(tmp_path, constraint), project(files)).result("v.pydantic")
    assert result.status is Status.PASSED, [f.message for f in result.findings]


MODELS = """
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Model(DeclarativeBase):
    pass


class Shelf(Model):
    __tablename__ = "shelves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
"""
TAGS = """

class Tag(Model):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
"""
INITIAL = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

def upgrade():
    op.create_table("shelves", sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(80)))
    op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
"""


def test_readded_model_whose_table_a_migration_creates_needs_no_migration(tmp_path: object) -> None:
    """A feature re-adds ``Tag``; the baseline's migration already creates ``tags``: nothing new is needed.
    A column no migration creates fails, with the column's declaration as evidence."""
    constraint = "{id: m.kept, kind: migrations-preserved, params: {directory: migrations, tool: alembic}}"
    task = task_with(tmp_path, constraint)
    baseline = project({"app/models.py": MODELS, "migrations/0001_initial.py": INITIAL})
    readded = Project.from_files(
        {"app/models.py": MODELS + TAGS, "migrations/0001_initial.py": INITIAL}, baseline=baseline
    )
    assert verify(task, readded).status("m.kept") is Status.PASSED
    extra = MODELS + TAGS + "    colour: Mapped[str] = mapped_column(String(7))\n"
    coloured = Project.from_files({"app/models.py": extra, "migrations/0001_initial.py": INITIAL}, baseline=baseline)
    finding = verify(task, coloured).result("m.kept").findings[0]
    assert finding.status is Status.FAILED
    assert finding.message == "the models add column `tags.colour`, which no migration under `migrations/` creates"
    assert (finding.evidence[0].path, finding.evidence[0].text) == (
        "app/models.py",
        "colour: Mapped[str] = mapped_column(String(7))",
    )


def test_no_migrations_folder_is_unchecked(tmp_path: object) -> None:
    """Without migrations in the baseline or the project there is nothing to compare: unchecked, not passed."""
    task = task_with(tmp_path, "{id: m.kept, kind: migrations-preserved, params: {directory: migrations}}")
    baseline = project({"app/models.py": MODELS})
    changed = Project.from_files({"app/models.py": MODELS + TAGS}, baseline=baseline)
    result = verify(task, changed).result("m.kept")
    assert result.status is Status.UNCHECKED
    assert "no migrations under `migrations/`" in result.findings[0].message


def test_diff_that_empties_a_directory_removes_it(tmp_path: object) -> None:
    """``--diff`` deleting the last file of ``tests/`` leaves no ``tests`` directory, as the checked-out tree."""
    from pathlib import Path

    root = Path(str(tmp_path)) / "p"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("def test_a():\n    pass\n", encoding="utf-8")
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text("x = 1\n", encoding="utf-8")
    (root / "empty").mkdir()
    diff = "--- a/tests/test_a.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-def test_a():\n-    pass\n"
    changed = Project.from_diff(Project.from_directory(root), diff)
    assert changed.dirs == {"app", "empty"}
    assert not changed.has("tests")


def test_sqlalchemy_core_tables_are_a_data_model(tmp_path: object) -> None:
    """``Table("notes", metadata, Column(...))`` declares the entity ``Note`` (table ``notes``) with its columns and
    its foreign keys as many-to-one relations; an association table of a ``relationship`` is not an entity."""
    files = {
        "app/tables.py": """
            from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text
            metadata = MetaData()
            users = Table("users", metadata, Column("id", Integer, primary_key=True))
            notes = Table(
                "notes", metadata, Column("id", Integer, primary_key=True), Column("author_id", ForeignKey("users.id")),
                Column("title", String(200), nullable=False), Column("body", Text),
            )
        """
    }
    constraint = (
        "{id: d.model, kind: data-model, params: {entities: [{name: Note, fields: ["
        "{name: title, type: string, required: true}, {name: body, type: text, required: false}],"
        " relations: [{name: author, target: users, kind: many-to-one}]}]}}"
    )
    task = task_with(tmp_path, constraint)
    assert verify(task, project(files)).status("d.model") is Status.PASSED
    files["app/tables.py"] = files["app/tables.py"].replace("String(200), nullable=False", "String(200)")
    result = verify(task, project(files)).result("d.model")
    assert [f.message for f in result.findings] == ["Note.title is nullable, expected required (NOT NULL)"]


def test_aiohttp_handler_factory_and_helper_one_call_deep(tmp_path: object) -> None:
    """A handler made by a factory is read (not skipped), and a body validated by a helper it calls counts."""
    files = {
        "app/schemas.py": "from marshmallow import Schema, fields\n\nclass NoteIn(Schema):\n    title = fields.Str()\n",
        "app/parse.py": "from app.schemas import NoteIn\n\ndef note_in(data):\n    return NoteIn().load(data)\n",
        "app/main.py": """
            from aiohttp import web
            from app.parse import note_in

            def make_create(store):
                async def create(request):
                    data = note_in(await request.json())
                    return web.json_response(store.add(data), status=201)
                return create

            def make_raw(store):
                async def raw(request):
                    return web.json_response(store.add(await request.json()))
                return raw

            app = web.Application()
            app.router.add_post("/api/notes", make_create({}))
            app.router.add_post("/api/raw", make_raw({}))
        """,
    }
    constraint = "{id: v.m, kind: validation-pattern, params: {library: marshmallow, modules: [app/schemas.py]}}"
    result = verify(task_with(tmp_path, constraint, framework="aiohttp"), project(files)).result("v.m")
    assert [(f.status, f.message) for f in result.findings] == [
        (Status.FAILED, "handler raw in `app/main.py` reads the request body without a marshmallow schema")
    ]


def test_sql_migrations_and_alembic_downgrade(tmp_path: object) -> None:
    """A Prisma ``migration.sql`` creating the table covers a re-added model; an Alembic ``downgrade()``
    dropping a table does not undo what ``upgrade()`` creates."""
    schema = 'datasource db {\n  provider = "sqlite"\n}\nmodel Note {\n  id Int @id\n  title String\n}\n'
    comment = "model Comment {\n  id Int @id\n  body String\n}\n"
    sql = (
        '-- CreateTable\nCREATE TABLE "Note" (\n  "id" INTEGER NOT NULL,\n  "title" TEXT NOT NULL,\n'
        '  PRIMARY KEY ("id")\n);\n\nCREATE TABLE "Comment" ("id" INTEGER NOT NULL, "body" TEXT NOT NULL);\n'
    )
    constraint = "{id: m.kept, kind: migrations-preserved, params: {directory: prisma/migrations}}"
    task = task_with(tmp_path, constraint)
    migration = "prisma/migrations/20240101_init/migration.sql"
    baseline = project({"prisma/schema.prisma": schema, migration: sql})
    readded = Project.from_files({"prisma/schema.prisma": schema + comment, migration: sql}, baseline=baseline)
    assert verify(task, readded).status("m.kept") is Status.PASSED
    extra = schema + "model Tag {\n  id Int @id\n}\n"
    tagged = Project.from_files({"prisma/schema.prisma": extra, migration: sql}, baseline=baseline)
    assert [f.message for f in verify(task, tagged).result("m.kept").findings] == [
        "the models add table `tag`, which no migration under `prisma/migrations/` creates"
    ]
    downgrade = INITIAL + '\ndef downgrade():\n    op.drop_table("tags")\n    op.drop_table("shelves")\n'
    constraint = "{id: m.kept, kind: migrations-preserved, params: {directory: migrations, tool: alembic}}"
    task = task_with(tmp_path, constraint)
    base = project({"app/models.py": MODELS, "migrations/0001_initial.py": downgrade})
    again = Project.from_files({"app/models.py": MODELS + TAGS, "migrations/0001_initial.py": downgrade}, baseline=base)
    assert verify(task, again).status("m.kept") is Status.PASSED


def test_tortoise_models_are_read_and_not_taken_for_django() -> None:
    """Tortoise's ``models.Model`` with ``fields.*`` is a Tortoise model (``pk=True``, ``null=True``,
    ``ForeignKeyField("models.User")``, ``Meta.table``), not a Django one."""
    found = entities(
        project(
            {
                "app/models.py": """
                    from tortoise import fields, models

                    class Base(models.Model):
                        id = fields.IntField(pk=True)

                        class Meta:
                            abstract = True

                    class User(Base):
                        email = fields.CharField(max_length=255, unique=True)
                        bio = fields.TextField(null=True)

                        class Meta:
                            table = "users"

                    class Note(Base):
                        author = fields.ForeignKeyField("models.User", related_name="notes")
                """
            }
        )
    )
    by_name = {e.name: e for e in found}
    assert sorted(by_name) == ["Note", "User"]
    user = by_name["User"]
    assert (user.framework, user.table) == ("tortoise", "users")
    assert [(c.name, c.type, c.nullable, c.unique, c.primary_key) for c in user.columns] == [
        ("id", "integer", False, True, True),
        ("email", "string", False, True, False),
        ("bio", "text", True, False, False),
    ]
    assert [(r.name, r.target, r.kind) for r in by_name["Note"].relations] == [("author", "User", "many-to-one")]
    assert [(r.name, r.target, r.kind) for r in user.relations] == [("notes", "Note", "one-to-many")]


def test_koa_router_prefix_and_fastify_plugins() -> None:
    """koa-router's ``new Router({ prefix })`` and nested ``router.use(path, other.routes())``; Fastify
    ``register(plugin, { prefix })`` with the plugin's routes on its first parameter and ``route({ method, url })``."""
    koa = keys(
        {
            "src/notes.js": """
                const Router = require('@koa/router');
                const notes = new Router();
                notes.get('/', list);
                notes.del = notes.delete;
                notes.delete('/:id', drop);
                module.exports = notes;
            """,
            "src/app.js": """
                const Koa = require('koa');
                const Router = require('@koa/router');
                const notes = require('./notes');
                const api = new Router({ prefix: '/api' });
                api.use('/notes', notes.routes());
                const app = new Koa();
                app.use(api.routes());
            """,
        }
    )
    assert koa == {("GET", "/api/notes"), ("DELETE", "/api/notes/{}")}
    fastify = keys(
        {
            "src/routes/notes.ts": """
                export default async function notes(app, opts) {
                  app.get('/', async () => []);
                  app.route({ method: ['DELETE'], url: '/:id', handler: drop });
                }
            """,
            "src/server.ts": """
                import Fastify from 'fastify';
                import notes from './routes/notes';
                const server = Fastify({ logger: true });
                server.register(notes, { prefix: '/api/notes' });
                server.get('/health', async () => ({ ok: true }));
            """,
        }
    )
    assert fastify == {("GET", "/api/notes"), ("DELETE", "/api/notes/{}"), ("GET", "/health")}


def test_express_prefix_from_a_constant_or_unreadable(tmp_path: object) -> None:
    """``app.use(API_PREFIX, router)`` reads the constant; ``app.use(config.base, router)`` leaves the operations
    unchecked with the expression's line; a middleware name before the router is not a prefix."""
    files = {
        "src/notes.js": "const router = require('express').Router();\nrouter.get('/notes', list);\n"
        "router.delete('/notes/:id', drop);\nmodule.exports = router;\n",
        "src/app.js": "const express = require('express');\nconst API_PREFIX = '/api';\nconst app = express();\n"
        "app.use(API_PREFIX, auth, require('./notes'));\n",
    }
    assert keys(files) == {("GET", "/api/notes"), ("DELETE", "/api/notes/{}")}
    files["src/app.js"] = files["src/app.js"].replace("app.use(API_PREFIX, auth,", "app.use(config.base, auth,")
    task = task_with(tmp_path, "{id: r.routes, kind: routes-cover-contract}", framework="express")
    result = verify(task, project(files)).result("r.routes")
    assert result.status is Status.UNCHECKED
    assert "(`config.base` at src/app.js:4)" in result.findings[0].message
