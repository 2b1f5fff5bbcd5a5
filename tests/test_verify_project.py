"""The project view of cdspec.verify: files, globs, Python and JS/TS import graphs, baselines and diffs."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdspec import DiffError, ProjectError
from cdspec.verify import Import, Project
from cdspec.verify._js import scan_imports, tokenize
from cdspec.verify.project import glob_regex


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def modules(imports: tuple[Import, ...]) -> list[str]:
    return [i.module for i in imports]


# --------------------------------------------------------------------------- reading a directory


def test_reads_files_and_directories_sorted(tmp_path: Path) -> None:
    """Paths are sorted relative POSIX paths of files; dirs include empty ones and parents of files."""
    write(tmp_path, {"b.txt": "b\n", "app/z.py": "x = 1\n", "app/a/b.py": "", "README.md": "# hi\n"})
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    project = Project.from_directory(tmp_path)
    assert project.paths == ("README.md", "app/a/b.py", "app/z.py", "b.txt")
    assert project.dirs == {"app", "app/a", "empty", "empty/deeper"}
    assert project.root == tmp_path
    assert project.text("b.txt") == "b\n"
    assert project.lines("app/z.py") == ["x = 1"]
    assert project.text("missing") is None
    assert project.lines("missing") == []
    assert project.has("app")
    assert project.has("app/")
    assert project.has("./app/z.py")
    assert project.has("empty/deeper")
    assert not project.has("ap")
    assert not project.has("app/zz.py")


def test_junk_directories_are_skipped_and_configurable(tmp_path: Path) -> None:
    """.git, node_modules, __pycache__, virtualenvs and build output are not entered, unless asked."""
    write(
        tmp_path,
        {
            "app/main.py": "",
            ".git/config": "x",
            "node_modules/left-pad/index.js": "",
            "app/__pycache__/main.cpython-311.pyc": b"\x00\x01",
            ".venv/lib/x.py": "",
            "dist/app.js": "",
        },
    )
    assert Project.from_directory(tmp_path).paths == ("app/main.py",)
    assert not Project.from_directory(tmp_path).has("node_modules")
    kept = Project.from_directory(tmp_path, skip_dirs={".git"})
    assert "node_modules/left-pad/index.js" in kept.paths
    assert "dist/app.js" in kept.paths


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_root_that_is_not_a_directory_is_an_error(tmp_path: Path, kind: str) -> None:
    """A missing root and a file as root raise ProjectError, saying which."""
    root = tmp_path / "nope"
    if kind == "file":
        root.write_text("x")
    with pytest.raises(ProjectError, match="no such directory" if kind == "missing" else "not a directory"):
        Project.from_directory(root)


def test_bad_files_become_notes(tmp_path: Path) -> None:
    """Binary, non-UTF-8 and oversized files are skipped with a note each, sorted by path."""
    write(tmp_path, {"a.bin": b"ab\x00cd", "b.txt": b"caf\xe9", "c.txt": "x" * 500, "d.txt": "fine"})
    project = Project.from_directory(tmp_path, max_file_bytes=100)
    assert project.paths == ("d.txt",)
    assert [(n.path, n.message.split(" (")[0].split(",")[0]) for n in project.notes] == [
        ("a.bin", "binary file"),
        ("b.txt", "not UTF-8 text"),
        ("c.txt", "file is 500 bytes"),
    ]


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    """A UTF-8 BOM does not reach the text (or the parser)."""
    write(tmp_path, {"a.py": b"\xef\xbb\xbfimport os\n"})
    project = Project.from_directory(tmp_path)
    assert project.text("a.py") == "import os\n"
    assert modules(project.imports("a.py")) == ["os"]


def test_from_files_refuses_paths_leaving_the_root() -> None:
    """In-memory projects refuse absolute paths and '..' segments."""
    for bad in ["../x.py", "/etc/passwd", "a/../../b", ""]:
        with pytest.raises(ProjectError, match="not a relative path"):
            Project.from_files({bad: "x"})
    project = Project.from_files({"./a//b.py": "x", "c.bin": b"\x00"})
    assert project.paths == ("a/b.py",)
    assert [n.path for n in project.notes] == ["c.bin"]


# --------------------------------------------------------------------------- globs


def test_glob_examples() -> None:
    """'*' stays in a segment, '**' spans directories (none included), a trailing '/' wants directories."""
    project = Project.from_files(
        {
            "app/routes/books.py": "",
            "app/routes/auth.py": "",
            "app/services/books.py": "",
            "tests/test_books.py": "",
            "requirements.txt": "",
            "sub/requirements.txt": "",
        }
    )
    assert project.glob("app/*/books.py") == ("app/routes/books.py", "app/services/books.py")
    assert project.glob("app/*") == ("app/routes", "app/services")
    assert project.glob("**/books.py") == ("app/routes/books.py", "app/services/books.py")
    assert project.glob("app/**") == (
        "app/routes",
        "app/routes/auth.py",
        "app/routes/books.py",
        "app/services",
        "app/services/books.py",
    )
    assert project.glob("requirements.txt") == ("requirements.txt",)
    assert project.glob("**/requirements.txt") == ("requirements.txt", "sub/requirements.txt")
    assert project.glob("app/*/") == ("app/routes", "app/services")
    assert project.glob("tests/test_*.py") == ("tests/test_books.py",)
    assert project.glob("tests/test_?ooks.py") == ("tests/test_books.py",)
    assert project.glob("app/[rs]*") == ("app/routes", "app/services")
    assert project.glob("app/[!r]*") == ("app/services",)
    assert project.glob("./app/routes/") == ("app/routes",)
    assert project.glob("nothing/**") == ()


def _reference_match(pattern: list[str], path: list[str]) -> bool:
    """Segment by segment: fnmatch per segment; '**' any number of segments (at least one when last)."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        if not rest:
            return bool(path)
        return any(_reference_match(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _reference_match(rest, path[1:])


segments = st.text(alphabet="ab.", min_size=1, max_size=3).filter(lambda s: s not in (".", ".."))
pattern_segments = st.one_of(segments, st.sampled_from(["*", "**", "a*", "*.b", "?", "[ab]", "[!a]*"]))


@given(st.lists(pattern_segments, min_size=1, max_size=4), st.lists(segments, min_size=1, max_size=4))
def test_glob_matches_like_a_segment_by_segment_reference(pattern: list[str], path: list[str]) -> None:
    """glob_regex agrees with fnmatch applied per segment, '**' standing for any number of directories."""
    expected = _reference_match(pattern, path)
    assert bool(glob_regex("/".join(pattern)).fullmatch("/".join(path))) == expected


# --------------------------------------------------------------------------- Python


PY_PROJECT = {
    "app/__init__.py": "from . import routes\nfrom .services import books as svc\n",
    "app/routes/__init__.py": "",
    "app/routes/books.py": """\
        from __future__ import annotations
        import json, os.path
        from typing import TYPE_CHECKING
        from ..services import books
        from ..services.books import BookService
        from app.repositories import database, missing_name
        from . import helpers

        if TYPE_CHECKING:
            from app.models import Book
        else:
            import app.models

        def handler():
            import app.services.lazy
        """,
    "app/routes/helpers.py": "from .. import outside\nfrom ... import further\n",
    "app/services/__init__.py": "",
    "app/services/books.py": "import typing\nif typing.TYPE_CHECKING:\n    import app.routes\n",
    "app/services/lazy.py": "",
    "app/repositories/__init__.py": "",
    "app/repositories/database.py": "",
    "app/models.py": "",
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "from .util import f\n",
    "src/pkg/util.py": "",
    "migrations/versions/0001_initial.py": "import alembic\n",
}


def py_project() -> Project:
    return Project.from_files({name: textwrap.dedent(text) for name, text in PY_PROJECT.items()})


def test_module_names_and_their_paths() -> None:
    """Paths map to dotted names (packages by __init__, src/ dropped) and back; odd names map to None."""
    project = py_project()
    assert project.module_name("app/routes/books.py") == "app.routes.books"
    assert project.module_name("app/__init__.py") == "app"
    assert project.module_name("src/pkg/core.py") == "pkg.core"
    assert project.module_name("migrations/versions/0001_initial.py") is None
    assert project.module_name("README.md") is None
    assert project.path_of_module("app.routes") == "app/routes/__init__.py"
    assert project.path_of_module("pkg.util") == "src/pkg/util.py"
    assert project.path_of_module("os") is None


def test_python_imports_absolute_relative_and_submodules() -> None:
    """Relative imports resolve; `from x import y` also records x.y when it is a module; TYPE_CHECKING is flagged."""
    project = py_project()
    found = [
        (i.line, i.module, i.names, i.type_checking, i.kind, i.target) for i in project.imports("app/routes/books.py")
    ]
    assert found == [
        (1, "__future__", ("annotations",), False, "from", None),
        (2, "json", (), False, "import", None),
        (2, "os.path", (), False, "import", None),
        (3, "typing", ("TYPE_CHECKING",), False, "from", None),
        (4, "app.services", ("books",), False, "from", "app/services/__init__.py"),
        (4, "app.services.books", (), False, "from", "app/services/books.py"),
        (5, "app.services.books", ("BookService",), False, "from", "app/services/books.py"),
        (6, "app.repositories", ("database", "missing_name"), False, "from", "app/repositories/__init__.py"),
        (6, "app.repositories.database", (), False, "from", "app/repositories/database.py"),
        (7, "app.routes", ("helpers",), False, "from", "app/routes/__init__.py"),
        (7, "app.routes.helpers", (), False, "from", "app/routes/helpers.py"),
        (10, "app.models", ("Book",), True, "from", "app/models.py"),
        (12, "app.models", (), False, "import", "app/models.py"),
        (15, "app.services.lazy", (), False, "import", "app/services/lazy.py"),
    ]
    first = project.imports("app/routes/books.py")[4]
    assert first.text == "from ..services import books"
    assert first.path == "app/routes/books.py"


def test_relative_imports_in_packages_src_layout_and_beyond_the_top() -> None:
    """__init__ is its own package; src/ packages resolve; imports past the top keep their dots."""
    project = py_project()
    assert modules(project.imports("app/__init__.py")) == ["app", "app.routes", "app.services", "app.services.books"]
    assert modules(project.imports("src/pkg/core.py")) == ["pkg.util"]
    assert project.imports("src/pkg/core.py")[0].target == "src/pkg/util.py"
    assert modules(project.imports("app/routes/helpers.py")) == ["app", "..."]
    assert [i.type_checking for i in project.imports("app/services/books.py")] == [False, True]


def test_import_graph_lists_project_targets() -> None:
    """The graph maps every source to the project files it imports, sorted."""
    graph = py_project().import_graph()
    assert graph["app/services/books.py"] == ("app/routes/__init__.py",)
    assert graph["app/routes/helpers.py"] == ("app/__init__.py",)
    assert graph["app/models.py"] == ()


def test_unparsable_python_is_a_note_and_has_no_imports() -> None:
    """A syntax error gives no AST, no imports and a note naming the line; other files still work."""
    project = Project.from_files({"bad.py": "import os\ndef f(:\n", "good.py": "import os\n"})
    assert project.ast("bad.py") is None
    assert project.imports("bad.py") == ()
    assert modules(project.imports("good.py")) == ["os"]
    assert [(n.path, "line 2" in n.message) for n in project.notes] == [("bad.py", True)]


def test_asts_are_parsed_once_and_cached() -> None:
    """The same tree object comes back; non-Python files have none."""
    project = Project.from_files({"a.py": "x = 1\n", "a.txt": "x"})
    tree = project.ast("a.py")
    assert tree is not None
    assert project.ast("a.py") is tree
    assert project.ast("a.txt") is None
    assert project.ast("nope.py") is None


# --------------------------------------------------------------------------- JavaScript


JS_SOURCE = """\
// const x = require('commented-out');
/* import y from 'block-comment'; */
import express from 'express';
import { Router as R, json } from "express";
import * as books from './services/books';
import './polyfill.js';
import type { Book } from '../types';
export { default as db } from './db/index.js';
export * from './models';
export type { T } from './types-only';
const s = "require('in-a-string')";
const t = `import('${name}') and require('in-template')`;
const u = `${require('./inside-substitution')}`;
const lazy = await import('./lazy');
const { a, b } = require('./repositories/books');
const ratio = total / count; const re = /require\\('in-regex'\\)/g;
obj.require('method-call');
require.resolve('not-an-import');
const meta = import.meta.url;
export const value = 1;
"""


def test_js_imports_ignore_comments_strings_templates_and_regexes() -> None:
    """Only real imports are found, with their kinds, names and lines."""
    found = [(i.specifier, i.line, i.kind, i.names, i.type_only) for i in scan_imports(JS_SOURCE)]
    assert found == [
        ("express", 3, "es-import", ("express",), False),
        ("express", 4, "es-import", ("Router", "json"), False),
        ("./services/books", 5, "es-import", ("*",), False),
        ("./polyfill.js", 6, "es-import", (), False),
        ("../types", 7, "es-import", ("Book",), True),
        ("./db/index.js", 8, "export-from", ("default",), False),
        ("./models", 9, "export-from", ("*",), False),
        ("./types-only", 10, "export-from", ("T",), True),
        ("./inside-substitution", 13, "require", (), False),
        ("./lazy", 14, "dynamic", (), False),
        ("./repositories/books", 15, "require", (), False),
    ]


def test_js_exports_without_from_do_not_swallow_the_next_import() -> None:
    """`export { a }` followed by an import is not an export-from."""
    found = [
        (i.specifier, i.kind) for i in scan_imports("export { a }\nimport b from './b'\nexport * as ns from './c'")
    ]
    assert found == [("./b", "es-import"), ("./c", "export-from")]


def test_js_specifiers_resolve_to_project_files() -> None:
    """Suffixes, index files and ESM '.js' for '.ts' sources resolve; packages and escapes do not."""
    project = Project.from_files(
        {
            "src/app.ts": (
                "import a from './services/books.js';\nimport b from './db';\nimport c from '../../outside';\n"
                "import d from 'express';\nconst e = require('./util');\nimport f from './data.json';\n"
            ),
            "src/services/books.ts": "",
            "src/db/index.ts": "",
            "src/util.js": "",
            "src/data.json": "{}",
            "src/types.d.ts": "",
        }
    )
    assert [(i.module, i.target) for i in project.imports("src/app.ts")] == [
        ("./services/books.js", "src/services/books.ts"),
        ("./db", "src/db/index.ts"),
        ("../../outside", None),
        ("express", None),
        ("./util", "src/util.js"),
        ("./data.json", "src/data.json"),
    ]
    assert project.js_files == (
        "src/app.ts",
        "src/db/index.ts",
        "src/services/books.ts",
        "src/types.d.ts",
        "src/util.js",
    )
    assert project.imports("src/data.json") == ()


@given(st.text(max_size=300))
def test_the_tokenizer_never_raises(text: str) -> None:
    """Any text at all tokenizes and scans without an exception."""
    list(tokenize(text))
    scan_imports(text)


@given(st.text(alphabet="!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \nab/*`'", max_size=200))
def test_the_tokenizer_never_raises_on_punctuation_soup(text: str) -> None:
    """Unbalanced quotes, comments, templates and regexes never raise either."""
    list(tokenize(text))
    scan_imports(text)


specifiers = st.from_regex(r"(\./|\.\./|@)?[a-z][a-z0-9_/-]{0,12}", fullmatch=True)


@given(specifiers, st.sampled_from(["'", '"', "`"]), st.sampled_from(["", "x = 1;\n", "/* c */ ", "// c\n"]))
def test_a_real_require_is_found_and_a_hidden_one_is_not(spec: str, quote: str, prefix: str) -> None:
    """`require(spec)` in code is found; the same text in a comment or a string is not."""
    code = f"{prefix}const m = require({quote}{spec}{quote});\n"
    assert [(i.specifier, i.kind) for i in scan_imports(code)] == [(spec, "require")]
    flat = code.replace("\n", " ")
    hidden = [f"// {flat}", f"const s = {flat!r};", f"const s = `{code}`;"]
    if "*/" not in code:  # block comments do not nest
        hidden.append(f"/* {code} */")
    for text in hidden:
        if quote == "`" and text.startswith("const s = `"):
            continue  # a template inside a template is a substitution-free nesting we do not model
        assert scan_imports(text) == [], text


# --------------------------------------------------------------------------- baselines and diffs


BASE = {
    "app/a.py": "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n",
    "app/b.py": "bee\n",
    "app/c.py": "sea\n",
}


def test_baseline_directory_changes(tmp_path: Path) -> None:
    """Added, removed and changed paths compare the project with its baseline."""
    base = write(tmp_path / "base", BASE)
    current = write(tmp_path / "current", {**BASE, "app/b.py": "bee!\n", "app/d.py": "new\n"})
    (current / "app" / "c.py").unlink()
    project = Project.from_directory(current, baseline=base)
    assert project.added_paths == ("app/d.py",)
    assert project.removed_paths == ("app/c.py",)
    assert project.changed_paths == ("app/b.py",)
    assert project.baseline is not None
    assert project.baseline.paths == ("app/a.py", "app/b.py", "app/c.py")
    plain = Project.from_directory(current)
    assert (plain.added_paths, plain.removed_paths, plain.changed_paths) == ((), (), ())
    again = plain.with_baseline(base)
    assert again.changed_paths == ("app/b.py",)


DIFF = """\
diff --git a/app/a.py b/app/a.py
index 1111111..2222222 100644
--- a/app/a.py
+++ b/app/a.py
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
@@ -8,3 +8,4 @@
 eight
 nine
 ten
+eleven
diff --git a/app/new.py b/app/new.py
new file mode 100644
--- /dev/null
+++ b/app/new.py
@@ -0,0 +1,2 @@
+import os
+print(os.sep)
diff --git a/app/c.py b/app/c.py
deleted file mode 100644
--- a/app/c.py
+++ /dev/null
@@ -1 +0,0 @@
-sea
diff --git a/app/b.py b/app/bee.py
similarity index 100%
rename from app/b.py
rename to app/bee.py
"""


def test_a_unified_diff_applies_to_the_baseline() -> None:
    """Modified (two hunks), new, deleted and renamed files; the result's baseline is the original."""
    base = Project.from_files(BASE)
    project = Project.from_diff(base, DIFF)
    assert project.baseline is base
    assert project.paths == ("app/a.py", "app/bee.py", "app/new.py")
    assert project.lines("app/a.py") == ["one", "TWO", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                         "eleven"]  # fmt: skip
    assert project.text("app/new.py") == "import os\nprint(os.sep)\n"
    assert project.text("app/bee.py") == "bee\n"
    assert project.added_paths == ("app/bee.py", "app/new.py")
    assert project.removed_paths == ("app/b.py", "app/c.py")
    assert project.changed_paths == ("app/a.py",)
    assert modules(project.imports("app/new.py")) == ["os"]


def test_a_plain_diff_u_without_prefixes_and_missing_newlines() -> None:
    """`diff -u` headers with timestamps work; '\\ No newline at end of file' is honoured."""
    base = Project.from_files({"x.txt": "a\nb"})
    diff = (
        "--- x.txt\t2026-01-01 00:00:00\n+++ x.txt\t2026-01-02 00:00:00\n@@ -1,2 +1,2 @@\n a\n-b\n"
        "\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    )
    assert Project.from_diff(base, diff).text("x.txt") == "a\nc"


@pytest.mark.parametrize(
    ("diff", "line", "message"),
    [
        ("hello\n", None, "no file changes"),
        ("--- a/app/b.py\nnot a header\n", 1, "not followed by '\\+\\+\\+'"),
        ("--- a/app/b.py\n+++ b/app/b.py\n@@ nonsense @@\n", 3, "malformed hunk header"),
        ("--- a/app/b.py\n+++ b/app/b.py\n@@ -1,2 +1,2 @@\n bee\n", 3, "hunk ended early"),
        ("--- a/app/b.py\n+++ b/app/b.py\n@@ -1 +1 @@\n-wasp\n+bee\n", 4, "does not apply to 'app/b.py'"),
        ("--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n", 1, "not a file of the baseline"),
        ("--- /dev/null\n+++ b/app/b.py\n@@ -0,0 +1 @@\n+x\n", 1, "already exists"),
        ("--- /dev/null\n+++ b/../evil.py\n@@ -0,0 +1 @@\n+x\n", 2, "leaves the project"),
        ("--- /dev/null\n+++ /etc/passwd\n@@ -0,0 +1 @@\n+x\n", 2, "leaves the project"),
        ("@@ -1 +1 @@\n-a\n+b\n", 1, "before any file header"),
        ("--- /dev/null\n+++ /dev/null\n", 1, "both sides"),
    ],
)
def test_bad_diffs_raise_naming_the_line(diff: str, line: int | None, message: str) -> None:
    """Malformed or non-applying diffs raise DiffError with the diff's line number."""
    with pytest.raises(DiffError, match=message) as info:
        Project.from_diff(Project.from_files(BASE), diff)
    assert info.value.line == line
    assert isinstance(info.value, ProjectError)


def test_a_hunk_a_few_lines_off_still_applies() -> None:
    """Like patch, a hunk whose context sits a little away from its header's line is found."""
    diff = "--- a/app/a.py\n+++ b/app/a.py\n@@ -3,2 +3,2 @@\n five\n-six\n+SIX\n"
    assert Project.from_diff(Project.from_files(BASE), diff).lines("app/a.py")[5] == "SIX"


def test_binary_patches_become_notes() -> None:
    """A 'Binary files differ' entry cannot be applied: a note, the rest applies."""
    diff = "diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n" + DIFF
    project = Project.from_diff(Project.from_files(BASE), diff)
    assert [n.path for n in project.notes] == ["logo.png"]
    assert "app/new.py" in project.paths


def test_walk_and_nodes_share_one_traversal() -> None:
    """walk() is ast.walk's order, computed once; nodes() filters it by type."""
    import ast

    source = "import os\n\ndef f(x):\n    return g(x) + h(1)\n"
    project = Project.from_files({"a.py": source, "b.txt": "x"})
    tree = project.ast("a.py")
    assert tree is not None
    assert [type(n) for n in project.walk("a.py")] == [type(n) for n in ast.walk(tree)]
    assert project.walk("a.py") is project.walk("a.py")
    calls = project.nodes("a.py", ast.Call)
    assert [c.func.id for c in calls if isinstance(c.func, ast.Name)] == ["g", "h"]
    assert project.nodes("a.py", (ast.Import, ast.FunctionDef))[0].lineno == 1
    assert project.walk("b.txt") == ()
    assert project.nodes("missing.py", ast.Call) == ()


lines_of_text = st.lists(st.sampled_from(["a", "b", "c", "", "  x", "def f():", "-", "+", " ", "@@"]), max_size=25)


@given(lines_of_text, lines_of_text, st.integers(0, 4))
def test_a_difflib_diff_applies_back_to_the_new_text(old: list[str], new: list[str], context: int) -> None:
    """For any two texts, the unified diff made by difflib turns the first into the second."""
    import difflib

    old_text = "".join(f"{line}\n" for line in old)
    new_text = "".join(f"{line}\n" for line in new)
    diff = "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True), new_text.splitlines(keepends=True), "a/f.txt", "b/f.txt", n=context
        )
    )
    base = Project.from_files({"f.txt": old_text, "other.txt": "x\n"})
    if not diff:
        assert old_text == new_text
        return
    patched = Project.from_diff(base, diff)
    assert patched.text("f.txt") == new_text
    assert patched.text("other.txt") == "x\n"


def test_git_headers_alone_create_and_delete_empty_files() -> None:
    """`git diff` writes no ---/+++ lines for an empty file created or deleted; format-patch's signature is fine."""
    diff = (
        "From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] empty files\n---\n"
        "diff --git a/app/py.typed b/app/py.typed\nnew file mode 100644\nindex 0000000..e69de29\n"
        "diff --git a/empty.txt b/empty.txt\ndeleted file mode 100644\nindex e69de29..0000000\n"
        "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
        "-- \n2.39.2\n"
    )
    base = Project.from_files({"empty.txt": "", "run.sh": "echo\n"})
    project = Project.from_diff(base, diff)
    assert project.paths == ("app/py.typed", "run.sh")
    assert project.text("app/py.typed") == ""


def test_renames_cannot_leave_the_project() -> None:
    """A git rename to '../x' is refused like any other path leaving the root."""
    diff = "diff --git a/a.py b/a.py\nsimilarity index 100%\nrename from a.py\nrename to ../escaped.py\n"
    with pytest.raises(DiffError, match="leaves the project") as info:
        Project.from_diff(Project.from_files({"a.py": "x\n"}), diff)
    assert info.value.line == 4


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_real_git_diff_output_applies(tmp_path: Path) -> None:
    """`git diff` of a baseline and a changed tree turns the baseline project into the changed one."""

    def git(*args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
        done = subprocess.run(["git", "-C", str(tmp_path), *args], capture_output=True, text=True, check=True, env=env)
        return done.stdout

    write(tmp_path, {**BASE, "empty.txt": "", "docs/a b.md": "spaces\n", "logo.bin": b"\x00\x01"})
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    baseline = Project.from_directory(tmp_path)
    write(tmp_path, {"app/a.py": BASE["app/a.py"].replace("five", "FIVE") + "eleven", "app/new.py": "x = 1\n"})
    (tmp_path / "app" / "c.py").rename(tmp_path / "app" / "sea.py")
    (tmp_path / "empty.txt").unlink()
    (tmp_path / "docs" / "a b.md").write_text("spaces!\n")
    (tmp_path / "logo.bin").write_bytes(b"\x00\x02")
    git("add", "-A")
    patched = Project.from_diff(baseline, git("diff", "--cached", "-M"))
    current = Project.from_directory(tmp_path)
    assert patched.paths == current.paths
    assert all(patched.text(p) == current.text(p) for p in current.paths)
    assert [n.path for n in patched.notes] == ["logo.bin", "logo.bin"]  # binary in the baseline, binary change


def test_js_tokens_are_made_once_and_shared() -> None:
    """js_tokens() is cached; imports come from the same tokens; non-JS files have none."""
    project = Project.from_files({"a.js": "const x = require('./b'); // c\n", "b.js": "", "c.txt": "x"})
    tokens = project.js_tokens("a.js")
    assert tokens is project.js_tokens("a.js")
    assert [t.value for t in tokens] == ["const", "x", "=", "require", "(", "./b", ")", ";"]
    assert project.imports("a.js")[0].target == "b.js"
    assert project.js_tokens("c.txt") == ()
    assert project.js_tokens("missing.js") == ()


STATEMENTS = {
    "default": (["import", "X", "from", "{q}"], "es-import"),
    "named": (["import", "{{", "a", ",", "b", "as", "c", "}}", "from", "{q}"], "es-import"),
    "namespace": (["import", "*", "as", "ns", "from", "{q}"], "es-import"),
    "bare": (["import", "{q}"], "es-import"),
    "star": (["export", "*", "from", "{q}"], "export-from"),
    "reexport": (["export", "{{", "a", "}}", "from", "{q}"], "export-from"),
    "require": (["const", "x", "=", "require", "(", "{q}", ")"], "require"),
    "dynamic": (["await", "import", "(", "{q}", ")"], "dynamic"),
}
separators = st.sampled_from([" ", "\n", "\t", " /* import('no') */ ", " // require('no')\n", "\n\n"])


@given(
    st.lists(st.tuples(st.sampled_from(sorted(STATEMENTS)), specifiers, st.sampled_from(["'", '"'])), max_size=6),
    st.data(),
)
def test_imports_survive_any_comments_and_whitespace_between_tokens(
    statements: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    """Whatever whitespace and comments separate the tokens, the same imports come out, in order."""
    parts = []
    for shape, spec, quote in statements:
        words, _ = STATEMENTS[shape]
        for word in words:
            parts.append(word.format(q=f"{quote}{spec}{quote}"))
            parts.append(data.draw(separators))
        parts.append(";" + data.draw(separators))
    found = [(i.specifier, i.kind) for i in scan_imports("".join(parts))]
    assert found == [(spec, STATEMENTS[shape][1]) for shape, spec, _ in statements]
