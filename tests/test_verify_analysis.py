"""The analysis helpers behind the checks: models, routes, SQL detection and spec matching.

Example tests for the frameworks each reader understands, and property tests
for the functions that see arbitrary text (they never crash, normalising is
a fixpoint, spec matching respects dotted boundaries).
"""

from __future__ import annotations

import ast
import textwrap

from hypothesis import assume, given
from hypothesis import strategies as st

from cdspec.verify._jsmodel import JsSource, js_entities, js_routes, js_sql_strings
from cdspec.verify._python import (
    Source,
    docstring_ids,
    import_bindings,
    looks_like_sql,
    normalise_path,
    python_entities,
    python_routes,
    python_strings,
    relation_kinds,
    sql_strings,
)
from cdspec.verify.checks._common import in_spec, is_test_file, layer_of, module_in, spec_path


def sources(files: dict[str, str]) -> list[Source]:
    """Parsed sources of ``files`` (path -> code), module names from the paths."""
    out = []
    for path, code in files.items():
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        out.append(Source(path, module, ast.parse(textwrap.dedent(code))))
    return out


def route_keys(files: dict[str, str]) -> set[tuple[str, str]]:
    """(method, normalised path) of every route declared in ``files``."""
    return {r.key for r in python_routes(sources(files))}


# --------------------------------------------------------------------------- SQL


def test_sql_statements_are_recognised() -> None:
    """Statements in any case, with placeholders or structure, are SQL."""
    for text in [
        "SELECT id FROM books",
        "select * from books",
        "select id, title from books where id = ?",
        "SELECT COUNT(*) FROM loans WHERE member_id = :member",
        "insert into books (isbn, title) values (?, ?)",
        "UPDATE loans SET status = 'returned' WHERE id = %s",
        "delete from slots where status = 'blocked'",
        "CREATE TABLE IF NOT EXISTS books (id integer primary key)",
        "drop table books",
    ]:
        assert looks_like_sql(text), text


def test_prose_is_not_sql() -> None:
    """Words like "select", "update" and "delete" in sentences are not SQL."""
    for text in [
        "Please select a book",
        "Please select a book from the list.",
        "Select one from the shelf",
        "update your profile settings",
        "To delete from the shelf, select one copy from the catalogue.",
        "Create a table of contents",
        "PRAGMA foreign_keys=ON",
        "",
    ]:
        assert not looks_like_sql(text), text


def test_sql_strings_skip_docstrings_and_comments() -> None:
    """Docstrings and comments never count; literals and f-strings do; text() takes any statement."""
    tree = ast.parse(
        textwrap.dedent(
            '''
            """Module: SELECT * FROM books WHERE id = ?"""

            def f(book_id):
                """SELECT * FROM loans WHERE id = ?"""
                # SELECT * FROM members WHERE id = ?
                a = "Please select a book"
                b = f"select * from books where id = {book_id}"
                c = text("select id from books")
                return a, b, c
            '''
        )
    )
    assert [(hit.line, hit.why) for hit in sql_strings(tree)] == [(8, "SQL string"), (9, "text() with SQL")]


@given(st.text())
def test_sql_detector_never_crashes(text: str) -> None:
    """Any text gets an answer."""
    assert looks_like_sql(text) in {True, False}


# --------------------------------------------------------------------------- paths and specs


def test_path_spellings_normalise_alike() -> None:
    """OpenAPI, Flask, Django, Express and regex parameters are one spelling; trailing slashes do not matter."""
    spellings = ["/books/{bookId}/", "/books/<int:book_id>", "books/<pk>", "/books/:bookId", "^books/(?P<pk>\\d+)/$"]
    assert {normalise_path(s) for s in spellings} == {"/books/{}"}
    assert normalise_path("") == "/"


@given(st.text())
def test_normalise_path_is_a_fixpoint(text: str) -> None:
    """Normalising twice is normalising once, for any text."""
    once = normalise_path(text)
    assert normalise_path(once) == once
    assert once.startswith("/")


identifiers = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)


@given(identifiers, identifiers, identifiers)
def test_spec_matching_respects_dotted_boundaries(package: str, layer: str, module: str) -> None:
    """``pkg.layer`` holds ``pkg/layer/x.py`` and ``pkg/layer.py`` but not ``pkg/layer_x.py``; both spellings agree.

    (A dotted spec whose last part is a source suffix, ``pkg.py``, reads as a file.)
    """
    assume(layer not in {"py", "pyi", "js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"})
    for spec in (f"{package}.{layer}", f"{package}/{layer}/", f"./{package}/{layer}"):
        assert spec_path(spec) == f"{package}/{layer}"
        assert in_spec(f"{package}/{layer}/{module}.py", spec)
        assert in_spec(f"{package}/{layer}.py", spec)
        assert in_spec(f"src/{package}/{layer}/{module}.py", spec)
        assert not in_spec(f"{package}/{layer}_{module}.py", spec)
        assert not in_spec(f"{package}/{layer}{module}/x.py", spec)
    assert module_in(f"{package}.{module}", package)
    assert not module_in(f"{package}_{module}", package)


def test_most_specific_layer_wins() -> None:
    """A file in nested specs belongs to the longest one."""
    layers = [("app", ["app"]), ("routes", ["app/routes"])]
    assert layer_of("app/routes/books.py", layers) == 1
    assert layer_of("app/config.py", layers) == 0
    assert layer_of("scripts/x.py", layers) is None


def test_test_files() -> None:
    """Test modules and everything under a tests directory are test code."""
    assert is_test_file("tests/helpers.py")
    assert is_test_file("app/test_books.py")
    assert is_test_file("src/books.spec.ts")
    assert not is_test_file("app/services/testing_tools.py")


# --------------------------------------------------------------------------- models


def test_classic_sqlalchemy_models_with_backref_and_secondary() -> None:
    """Column(), relationship("X", backref=...), secondary tables and a mixin's columns."""
    found = python_entities(
        sources(
            {
                "models.py": """
                from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
                from sqlalchemy.orm import declarative_base, relationship
                Base = declarative_base()

                class Stamped:
                    __abstract__ = True
                    created = Column(String(20), nullable=False)

                tags = Table("book_tags", Base.metadata)

                class Author(Base, Stamped):
                    __tablename__ = "authors"
                    id = Column(Integer, primary_key=True)
                    name = Column("name", String(80), unique=True, nullable=False)
                    books = relationship("Book", backref="author")

                class Book(Base):
                    __tablename__ = "books"
                    id = Column(Integer, primary_key=True)
                    blurb = Column(Text)
                    author_id = Column(Integer, ForeignKey("authors.id"))
                    tags = relationship("Tag", secondary=tags)

                class Tag(Base):
                    __tablename__ = "tags"
                    id = Column(Integer, primary_key=True)
                """
            }
        )
    )
    by_name = {e.name: e for e in found}
    assert sorted(by_name) == ["Author", "Book", "Tag"]
    author = by_name["Author"]
    name = author.column("name")
    assert name is not None
    assert (name.type, name.unique, name.nullable) == ("string", True, False)
    assert author.column("created") is not None  # from the mixin
    blurb = by_name["Book"].column("blurb")
    assert blurb is not None
    assert (blurb.type, blurb.nullable) == ("text", True)
    kinds = relation_kinds(found)
    assert kinds[("Author", "books")] == "one-to-many"
    assert kinds[("Book", "author")] == "many-to-one"
    assert kinds[("Book", "tags")] == "many-to-many"


def test_sqlalchemy_one_to_one_and_enum_classes() -> None:
    """uselist=False makes a scalar side; enum classes and Literal give their values."""
    found = python_entities(
        sources(
            {
                "m.py": """
                import enum
                from typing import Literal, Optional
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
                from sqlalchemy import ForeignKey

                class Base(DeclarativeBase):
                    pass

                class Colour(enum.Enum):
                    RED = "red"
                    BLUE = "blue"

                class User(Base):
                    __tablename__ = "users"
                    id: Mapped[int] = mapped_column(primary_key=True)
                    colour: Mapped[Colour]
                    size: Mapped[Literal["s", "m"]]
                    nickname: Mapped[Optional[str]]
                    profile = relationship("Profile", uselist=False, back_populates="user")

                class Profile(Base):
                    __tablename__ = "profiles"
                    id: Mapped[int] = mapped_column(primary_key=True)
                    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
                    user: Mapped["User"] = relationship(back_populates="profile")
                """
            }
        )
    )
    user = next(e for e in found if e.name == "User")
    colour, size, nickname = user.column("colour"), user.column("size"), user.column("nickname")
    assert colour is not None
    assert size is not None
    assert nickname is not None
    assert (colour.type, colour.enum_values, colour.nullable) == ("enum", ("red", "blue"), False)
    assert size.enum_values == ("s", "m")
    assert nickname.nullable is True
    kinds = relation_kinds(found)
    assert kinds[("User", "profile")] == "one-to-one"
    assert kinds[("Profile", "user")] == "one-to-one"


def test_django_models() -> None:
    """Fields, choices, the implicit id, ForeignKey with related_name, OneToOne and ManyToMany."""
    found = python_entities(
        sources(
            {
                "library/models.py": """
                from django.db import models

                class Book(models.Model):
                    isbn = models.CharField(max_length=13, unique=True)
                    state = models.CharField(max_length=8, choices=[("new", "New"), ("old", "Old")])
                    published = models.DateField(null=True)
                    tags = models.ManyToManyField("Tag")

                    class Meta:
                        db_table = "books"

                class Tag(models.Model):
                    name = models.SlugField()

                class Loan(models.Model):
                    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="loans")
                    receipt = models.OneToOneField("Receipt", on_delete=models.CASCADE)

                class Receipt(models.Model):
                    number = models.IntegerField()
                """
            }
        )
    )
    by_name = {e.name: e for e in found}
    book = by_name["Book"]
    assert book.table == "books"
    ident, isbn, state, published = (book.column(n) for n in ("id", "isbn", "state", "published"))
    assert ident is not None
    assert ident.primary_key
    assert isbn is not None
    assert (isbn.type, isbn.unique, isbn.nullable) == ("string", True, False)
    assert state is not None
    assert state.enum_values == ("new", "old")
    assert published is not None
    assert published.nullable is True
    kinds = relation_kinds(found)
    assert kinds[("Loan", "book")] == "many-to-one"
    assert kinds[("Book", "loans")] == "one-to-many"
    assert kinds[("Book", "tags")] == "many-to-many"
    assert kinds[("Receipt", "loan")] == "one-to-one"
    assert by_name["Loan"].column("book_id") is not None


def test_sequelize_models_and_associations() -> None:
    """define() and init(), allowNull, ENUM values, implicit id and timestamps, associations by alias."""
    code = """
    const { DataTypes, Model } = require('sequelize');
    const Member = sequelize.define('Member', {
      email: { type: DataTypes.STRING, allowNull: false, unique: true },
      role: DataTypes.ENUM('member', 'librarian'),
    }, { underscored: true });
    class Loan extends Model {}
    Loan.init({ due: { type: DataTypes.DATEONLY } }, { sequelize, timestamps: false });
    Member.hasMany(Loan);
    Loan.belongsTo(Member, { as: 'borrower' });
    """
    found = js_entities([JsSource.of("models.js", textwrap.dedent(code))])
    by_name = {e.name: e for e in found}
    member = by_name["Member"]
    email, role, created = member.column("email"), member.column("role"), member.column("created_at")
    assert email is not None
    assert (email.type, email.nullable, email.unique) == ("string", False, True)
    assert role is not None
    assert role.enum_values == ("member", "librarian")
    assert created is not None
    assert member.column("id") is not None
    assert by_name["Loan"].column("createdAt") is None
    kinds = relation_kinds(found)
    assert kinds[("Member", "loans")] == "one-to-many"
    assert kinds[("Loan", "borrower")] == "many-to-one"


# --------------------------------------------------------------------------- routes


def test_flask_blueprints_and_prefixes() -> None:
    """url_prefix on the blueprint, overridden at registration; nested blueprints; methods=[...]."""
    keys = route_keys(
        {
            "app/__init__.py": """
            from flask import Flask
            from app.api import api
            from app.books import bp as books
            app = Flask(__name__)
            api.register_blueprint(books)
            app.register_blueprint(api, url_prefix="/v1")
            """,
            "app/api.py": """
            from flask import Blueprint
            api = Blueprint("api", __name__, url_prefix="/ignored")
            @api.route("/ping")
            def ping(): ...
            """,
            "app/books.py": """
            from flask import Blueprint
            bp = Blueprint("books", __name__, url_prefix="/books")
            @bp.route("/<int:book_id>", methods=["GET", "DELETE"])
            def one(book_id): ...
            @bp.post("")
            def create(): ...
            """,
        }
    )
    assert keys == {
        ("GET", "/v1/ping"),
        ("GET", "/v1/books/{}"),
        ("DELETE", "/v1/books/{}"),
        ("POST", "/v1/books"),
    }


def test_fastapi_routers_and_prefixes() -> None:
    """APIRouter(prefix=...) plus include_router(prefix=...), api_route and add_api_route."""
    keys = route_keys(
        {
            "main.py": """
            from fastapi import FastAPI
            from routers import books
            app = FastAPI()
            app.include_router(books.router, prefix="/api")
            @app.get("/health")
            def health(): ...
            """,
            "routers/books.py": """
            from fastapi import APIRouter
            router = APIRouter(prefix="/books")
            @router.get("/{book_id}")
            async def get_book(book_id: int): ...
            @router.api_route("/{book_id}", methods=["PUT", "PATCH"])
            def change(book_id: int): ...
            def remove(book_id: int): ...
            router.add_api_route("/{book_id}", remove, methods=["DELETE"])
            """,
        }
    )
    assert keys == {
        ("GET", "/health"),
        ("GET", "/api/books/{}"),
        ("PUT", "/api/books/{}"),
        ("PATCH", "/api/books/{}"),
        ("DELETE", "/api/books/{}"),
    }


def test_django_urls_with_include_and_view_methods() -> None:
    """path() under include() prefixes; decorated function views and class views give their methods."""
    keys = route_keys(
        {
            "site/urls.py": """
            from django.urls import include, path
            urlpatterns = [path("api/", include("books.urls"))]
            """,
            "books/urls.py": """
            from django.urls import path, re_path
            from books import views
            urlpatterns = [
                path("books/", views.books),
                re_path(r"^books/(?P<pk>\\d+)/$", views.BookView.as_view()),
                path("stats/", views.stats),
            ]
            """,
            "books/views.py": """
            from django.views import View
            from django.views.decorators.http import require_http_methods
            @require_http_methods(["GET", "POST"])
            def books(request): ...
            class BookView(View):
                def get(self, request, pk): ...
                def delete(self, request, pk): ...
            def stats(request): ...
            """,
        }
    )
    assert keys == {
        ("GET", "/api/books"),
        ("POST", "/api/books"),
        ("GET", "/api/books/{}"),
        ("DELETE", "/api/books/{}"),
        ("*", "/api/stats"),
    }


def test_aiohttp_routes() -> None:
    """router.add_get, add_route, web.post in add_routes, and RouteTableDef decorators."""
    keys = route_keys(
        {
            "server.py": """
            from aiohttp import web
            routes = web.RouteTableDef()
            @routes.get("/books/{id}")
            async def one(request): ...
            async def many(request): ...
            app = web.Application()
            app.router.add_get("/books", many)
            app.router.add_route("DELETE", "/books/{id}", one)
            app.add_routes([web.post("/books", many)])
            """
        }
    )
    assert keys == {("GET", "/books/{}"), ("GET", "/books"), ("DELETE", "/books/{}"), ("POST", "/books")}


def test_express_routes_and_mounts() -> None:
    """Routers required or imported from other files, mounted with a prefix; route() chains; all()."""
    files = {
        "src/app.js": """
            const express = require('express');
            const api = require('./api');
            const app = express();
            app.use('/api', api);
            app.all('/ping', (req, res) => res.end());
        """,
        "src/api.js": """
            import { Router } from 'express';
            import books from './books.js';
            const api = Router();
            api.use('/books', books);
            export default api;
        """,
        "src/books.js": """
            const router = require('express').Router();
            router.get('/', list);
            router.route('/:id').get(one).delete(drop);
            module.exports = router;
        """,
    }
    js = [JsSource.of(path, textwrap.dedent(code)) for path, code in files.items()]

    def resolve(path: str, spec: str) -> str | None:
        target = {"./api": "src/api.js", "./books.js": "src/books.js"}.get(spec)
        return target if target in files else None

    keys = {r.key for r in js_routes(js, resolve)}
    assert keys == {("*", "/ping"), ("GET", "/api/books"), ("GET", "/api/books/{}"), ("DELETE", "/api/books/{}")}


def test_js_sql_strings() -> None:
    """SQL in JS strings and templates counts; comments and prose do not."""
    code = """
    // SELECT * FROM books WHERE id = ?
    const a = 'Please select a book from the list';
    const b = `SELECT * FROM books WHERE isbn = '${isbn}'`;
    const c = "insert into books (isbn) values (?)";
    """
    hits = js_sql_strings(JsSource.of("x.js", textwrap.dedent(code)))
    assert [h.line for h in hits] == [4, 5]


@given(st.text(alphabet="{}[]()'\"`,.:;=/*\\$ abcdefghDataTypes\n", max_size=200))
def test_js_readers_never_crash(text: str) -> None:
    """Any token soup gets an answer from the Sequelize, Express and SQL readers."""
    source = JsSource.of("x.js", text + "\nsequelize.define('X', " + text)
    js_entities([source])
    js_routes([source], lambda path, spec: None)
    js_sql_strings(source)


# --------------------------------------------------------------------------- shared per-file work

_SHARED = '''
"""Module docstring: SELECT * FROM books WHERE id = ?"""
import sqlite3
from app.models import Book as B


class Repo:
    """Class docstring."""

    def find(self, db, isbn):
        """Function docstring: DELETE FROM books."""
        return db.execute("SELECT * FROM books WHERE isbn = ?", (isbn,))

    async def count(self, db):
        return await db.execute(f"SELECT COUNT(*) FROM {self.table} WHERE a = 1")


def helper():
    return [x for x in "ab" if x], "plain text"
'''


def test_source_nodes_match_a_filtered_walk() -> None:
    """``Source.nodes`` gives exactly ``ast.walk`` filtered by isinstance, in order, for classes, bases and tuples."""
    tree = ast.parse(_SHARED)
    source = Source("app/repo.py", "app.repo", tree)
    kinds: list[type[ast.AST] | tuple[type[ast.AST], ...]] = [
        ast.Call,
        ast.Constant,
        ast.expr,  # an abstract base: every expression type gathered, still in walk order
        ast.stmt,
        (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef),
        (ast.Call, ast.Constant, ast.JoinedStr),
        ast.Global,  # absent: empty
    ]
    for kind in kinds:
        expected = [node for node in ast.walk(tree) if isinstance(node, kind)]
        assert list(source.nodes(kind)) == expected, kind
        assert source.nodes(kind) is source.nodes(kind)  # computed once
    assert list(source.walk()) == list(ast.walk(tree))


def test_source_reuses_a_given_walk_and_memoizes() -> None:
    """A source built with the project's node list never walks the tree again; memo computes once per key."""
    tree = ast.parse(_SHARED)
    walked = tuple(ast.walk(tree))
    source = Source("app/repo.py", "app.repo", tree, walked)
    assert source.walk() is walked
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [1, 2]

    assert source.memo("k", compute) is source.memo("k", compute)
    assert calls == [1]
    assert source == Source("app/repo.py", "app.repo", tree)  # the caches take no part in equality


def test_per_source_analyses_equal_the_tree_ones() -> None:
    """docstring ids, SQL strings and import bindings are the same from a Source (cached) as from the tree."""
    tree = ast.parse(_SHARED)
    source = Source("app/repo.py", "app.repo", tree)
    assert docstring_ids(source) == docstring_ids(tree)
    assert len(docstring_ids(tree)) == 3
    assert sql_strings(source) == sql_strings(tree)
    assert [(h.line, h.why) for h in sql_strings(source)] == [(12, "execute() with SQL"), (15, "execute() with SQL")]
    strings = python_strings(source)
    assert "plain text" in [value for _, value in strings]
    assert not any("docstring" in value for _, value in strings)
    assert import_bindings(source) == {"sqlite3": "sqlite3", "B": "app.models.Book"}
    assert import_bindings(source) is import_bindings(source)
