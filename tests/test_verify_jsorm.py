"""TypeORM, Drizzle and Knex as real projects write them, and NestJS DTO validation.

Each test is one shape seen in public backends (TypeORM entities with join
columns and enums, Drizzle enums and SQLite modes, Knex migrations that
rename and re-reference columns, Objection on top of Knex, per-parameter
pipes), written from scratch in that shape. The corpus projects
(tests/verify_corpus/multi/nest-typeorm, express-drizzle, express-knex) and
their mutants cover the ordinary shapes.
"""

from __future__ import annotations

from pathlib import Path

from cdspec.verify import verify
from cdspec.verify._python import Column, Entity
from cdspec.verify.checks._common import entities
from cdspec.verify.findings import Status
from tests.test_verify_frameworks import project, task_with


def column(entity: Entity, name: str) -> Column:
    found = entity.column(name)
    assert found is not None, f"{entity.name}.{name} not read"
    return found


def test_typeorm_entity_columns_enums_and_join_columns() -> None:
    """Types come from the decorator or the annotation; a join column is the owning side's foreign key."""
    files = {
        "src/user.entity.ts": """\
            import { Column, Entity, JoinColumn, OneToOne, PrimaryGeneratedColumn } from 'typeorm';

            export enum Role { Admin = 'admin', Member = 'member' }

            @Entity()
            export class UserAccount {
              @PrimaryGeneratedColumn('uuid') id: string;
              @Column() email: string;
              @Column({ type: 'enum', enum: ['admin', 'member'] }) role: Role;
              @Column({ nullable: true }) age?: number;
              @OneToOne(() => Profile) @JoinColumn({ name: 'profile_ref' }) profile: Profile;
            }

            @Entity({ name: 'profiles' })
            export class Profile {
              @PrimaryGeneratedColumn() id: number;
              @Column('text') bio: string;
            }
        """
    }
    models = {e.name: e for e in entities(project(files))}
    user, profile = models["UserAccount"], models["Profile"]
    assert (user.table, profile.table) == ("user_account", "profiles")
    columns = {c.name: (c.type, c.nullable, c.primary_key) for c in user.columns}
    assert columns["id"] == ("uuid", False, True)
    assert columns["email"] == ("string", False, False)
    assert columns["age"] == ("integer", True, False)
    assert column(user, "role").enum_values == ("admin", "member")
    assert column(user, "profile_ref").foreign_key == "@Profile"
    assert [(r.name, r.target, r.kind) for r in user.relations] == [("profile", "Profile", "one-to-one")]
    assert column(profile, "bio").type == "text"


def test_drizzle_enums_modes_and_both_column_names() -> None:
    """A pgEnum column has its values, SQLite's integer modes their types; a column answers to both names."""
    files = {
        "src/schema.ts": """\
            import { pgEnum, pgTable, serial, text } from 'drizzle-orm/pg-core';
            import { integer, sqliteTable } from 'drizzle-orm/sqlite-core';

            export const status = pgEnum('status', ['draft', 'published']);
            export const posts = pgTable('posts', {
              id: serial('id').primaryKey(),
              state: status('state').notNull(),
              authorName: text('author_name'),
            });
            export const flags = sqliteTable('flags', {
              on: integer('on', { mode: 'boolean' }).notNull(),
              at: integer('at', { mode: 'timestamp' }),
            });
        """
    }
    models = {e.name: e for e in entities(project(files))}
    state = column(models["posts"], "state")
    assert (state.type, state.enum_values, state.nullable) == ("enum", ("draft", "published"), False)
    assert column(models["posts"], "authorName").line == column(models["posts"], "author_name").line
    assert [(c.name, c.type) for c in models["flags"].columns] == [("on", "boolean"), ("at", "datetime")]


def test_drizzle_callback_tables_and_knex_defaults() -> None:
    """``pgTable('t', (d) => ({...}))`` builders and Knex's unnamed ``increments()``/``timestamps(true, true)``."""
    files = {
        "src/db/schema.ts": """\
            import { pgTable } from 'drizzle-orm/pg-core';
            export const users = pgTable('users', (d) => ({
              id: d.uuid('uuid').defaultRandom().primaryKey(),
              email: d
                .text('email')
                .notNull(),
            }), (t) => [t.email]);
        """,
        "migrations/001.js": "exports.up = (knex) => knex.schema.createTable('tags', (t) => {\n"
        "  t.increments();\n  t.timestamps(true, true);\n});\n",
    }
    models = {e.name: e for e in entities(project(files))}
    assert [(c.name, c.type, c.nullable) for c in models["users"].columns] == [
        ("id", "uuid", False),
        ("uuid", "uuid", False),
        ("email", "text", False),
    ]
    assert [(c.name, c.primary_key, c.nullable) for c in models["tags"].columns] == [
        ("id", True, False),
        ("created_at", False, False),
        ("updated_at", False, False),
    ]


def test_exported_knex_instance_is_a_handle_and_its_helpers_are_not(tmp_path: Path) -> None:
    """``exports.knex = knex(...)`` imported and called is data access; a helper exported by default is not."""
    files = {
        "db/connection.js": "const knex = require('knex');\nexports.knex = global.TEST || knex({ client: 'pg' });\n",
        "db/wipe.js": "module.exports = async (knex) => knex('notes').del();\n",
        "lib/ok.js": "const wipe = require('../db/wipe');\nconst { knex } = require('../db/connection');\n"
        "module.exports = () => wipe(knex);\n",
        "lib/bad.js": "const { knex } = require('../db/connection');\nmodule.exports = () => knex('notes').select();\n",
    }
    task = task_with(tmp_path, "{id: t.d, kind: single-data-path, params: {modules: [db/]}}", framework="express")
    result = verify(task, project(files)).result("t.d")
    assert [(f.status, f.evidence[0].path) for f in result.findings] == [(Status.FAILED, "lib/bad.js")]


def test_knex_migrations_fold_in_file_order_and_skip_down() -> None:
    """Renames, drops and foreign keys apply in file-name order; ``down`` (which drops the table) is not the schema."""
    files = {
        "db/migrations/002_rename.js": """\
            exports.down = (knex) => knex.schema.dropTable('books');
            exports.up = (knex) => knex.schema.table('books', (t) => {
              t.renameColumn('name', 'title');
              t.integer('shelf').notNullable();
              t.foreign('shelf').references('id').inTable('shelves');
            });
        """,
        "db/migrations/001_books.js": """\
            export async function up(knex) {
              await knex.schema.createTable('books', (t) => {
                t.increments('id');
                t.string('name').notNullable();
                t.enu('format', ['paper', 'ebook']);
              });
            }
            export async function down(knex) { await knex.schema.dropTable('books'); }
        """,
        "src/not_a_migration.js": "knex.schema.createTable('ghost', (t) => { t.string('x'); });\n",
    }
    models = {e.name: e for e in entities(project(files))}
    assert set(models) == {"books"}
    books = models["books"]
    assert [c.name for c in books.columns] == ["id", "title", "format", "shelf"]
    assert column(books, "title").nullable is False
    assert column(books, "format").enum_values == ("paper", "ebook")
    assert column(books, "shelf").foreign_key == "shelves"


def test_knex_relations_are_unchecked_with_the_foreign_keys(tmp_path: Path) -> None:
    """Knex declares no relations: a relation in the spec is unchecked, naming the foreign keys it saw."""
    files = {
        "migrations/001.js": """\
            exports.up = (knex) => knex.schema
              .createTable('authors', (t) => { t.increments('id'); })
              .createTable('books', (t) => { t.increments('id'); t.integer('author_id').references('authors.id'); });
        """,
    }
    task = task_with(
        tmp_path,
        "{id: t.m, kind: data-model, params: {entities: [{name: Book, fields: [{name: author_id, type: integer}], "
        "relations: [{name: author, target: Author, kind: many-to-one}]}]}}",
        framework="express",
    )
    result = verify(task, project(files)).result("t.m")
    assert result.status is Status.UNCHECKED
    assert "author_id -> authors" in result.findings[0].message


def test_objection_over_knex_is_one_orm_and_typeorm_for_raw_sql_only_fails(tmp_path: Path) -> None:
    """Objection's own Knex is not a second ORM; TypeORM imported with no entity and SQL strings fails."""
    objection = {
        "src/db.js": "const Knex = require('knex');\nconst { Model } = require('objection');\n"
        "Model.knex(Knex({ client: 'pg' }));\n",
    }
    task = task_with(tmp_path, "{id: t.o, kind: orm, params: {orm: objection}}", framework="express")
    assert verify(task, project(objection)).result("t.o").status is Status.PASSED
    raw = {
        "src/db.ts": "import { DataSource } from 'typeorm';\nexport const ds = new DataSource({ type: 'postgres' });\n",
        "src/notes.ts": "import { ds } from './db';\nexport const all = () => ds.query('SELECT * FROM notes');\n",
    }
    task = task_with(tmp_path, "{id: t.o, kind: orm, params: {orm: typeorm}}")
    result = verify(task, project(raw)).result("t.o")
    assert result.status is Status.FAILED
    assert "hand-written SQL" in result.findings[0].message


def test_data_source_handle_imported_by_a_controller_is_data_access(tmp_path: Path) -> None:
    """A DataSource created in one file and used in another is data access there; its entity file is not."""
    files = {
        "src/data-source.ts": "import { DataSource } from 'typeorm';\n"
        "export const AppDataSource = new DataSource({ type: 'sqlite', database: 'x' });\n",
        "src/note.entity.ts": "import { Column, Entity } from 'typeorm';\n"
        "@Entity() export class Note { @Column() t: string; }\n",
        "src/notes.controller.ts": "import { AppDataSource } from './data-source';\n"
        "import { Note } from './note.entity';\n"
        "export const list = () => AppDataSource.getRepository(Note).find();\n",
    }
    task = task_with(tmp_path, "{id: t.d, kind: single-data-path, params: {modules: [src/data-source.ts]}}")
    result = verify(task, project(files)).result("t.d")
    assert [(f.status, f.evidence[0].path) for f in result.findings] == [(Status.FAILED, "src/notes.controller.ts")]


def test_nest_body_pipe_in_the_parameter_counts(tmp_path: Path) -> None:
    """``@Body(new ValidationPipe())`` validates that parameter; without any pipe the same DTO fails."""
    dto = "import { IsString } from 'class-validator';\nexport class NoteDto { @IsString() title: string; }\n"
    controller = """\
        import { Body, Controller, Post, ValidationPipe } from '@nestjs/common';
        import { NoteDto } from './note.dto';
        @Controller('notes')
        export class NotesController {
          @Post() add(@Body(new ValidationPipe()) input: NoteDto) { return input; }
        }
    """
    task = task_with(tmp_path, "{id: t.v, kind: validation-pattern, params: {library: class-validator}}")
    files = {"src/note.dto.ts": dto, "src/notes.controller.ts": controller}
    assert verify(task, project(files)).result("t.v").status is Status.PASSED
    files["src/notes.controller.ts"] = controller.replace("@Body(new ValidationPipe())", "@Body()")
    result = verify(task, project(files)).result("t.v")
    assert result.status is Status.FAILED
    assert "no ValidationPipe" in result.findings[0].message
