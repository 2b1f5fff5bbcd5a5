"""A hostile project tree: nothing escapes the root, nothing executes, every problem is a note or a cdspec error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cdspec
from cdspec._schemas import schema, schema_problems
from cdspec.verify import Project
from cdspec.verify.project import MAX_AST_DEPTH

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "library" / "task.yaml"

# Each of these would leave a marker file (and kill the interpreter) if it were ever imported or run.
DAMAGE = """\
import os, pathlib
pathlib.Path({marker!r}).write_text("ran")
os._exit(17)
"""
DAMAGE_JS = """\
const fs = require('fs');
fs.writeFileSync({marker!r}, 'ran');
require('child_process').execSync('touch {marker}');
process.exit(17);
"""


def hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A project full of traps, its root and the marker file that must never appear."""
    root = tmp_path / "project"
    marker = tmp_path / "MARKER"
    damage = DAMAGE.format(marker=str(marker))
    files: dict[str, str | bytes] = {
        "app/__init__.py": damage,
        "app/routes/__init__.py": "from app.services import books\n",
        "app/services/books.py": "from ..repositories import database\n",
        "app/repositories/database.py": "import sqlalchemy\n",
        "setup.py": damage,
        "conftest.py": damage,
        "sitecustomize.py": damage,
        "evil.pth": f"import os; open({str(marker)!r}, 'w').write('ran')\n",
        "app/__main__.py": damage,
        "server.js": DAMAGE_JS.format(marker=str(marker)),
        "package.json": json.dumps({"scripts": {"preinstall": f"touch {marker}"}}),
        "binary.dat": b"GIF89a\x00\x01\x02",
        "latin1.py": b"# caf\xe9\nx = 1\n",
        "nul.py": b"import os\x00\n",
        "deep_parens.py": "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n",
        "deep_sum.py": "x = 1" + " + 1" * 200_000 + "\n",
        "deep_unary.py": "x = " + "-" * 100_000 + "1\n",
        "deep_attrs.py": "x = y" + ".a" * (MAX_AST_DEPTH * 3) + "\n",
        "deep.js": "const x = " + "(" * 100_000 + "require('./a')" + ")" * 100_000 + ";\n" + "`${" * 20_000,
        "syntax_error.py": "def broken(:\n",
        "ok.py": "import json\n",
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    with open(root / "huge.py", "wb") as file:  # 50 MB, sparse: nothing is written
        file.truncate(50 * 1024 * 1024)
    (tmp_path / "secret.txt").write_text("outside the root")
    os.symlink("/etc", root / "etc_link")
    os.symlink("/etc/passwd", root / "passwd_link")
    os.symlink("..", root / "parent_link")
    os.symlink(tmp_path / "secret.txt", root / "secret_link.txt")
    os.symlink(".", root / "self_link")
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    os.symlink("dangling_target", root / "dangling")
    os.symlink("ok.py", root / "inside_link.py")
    os.symlink("app", root / "app_link")
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo.py")
    return root, marker


def note_for(project: Project, path: str) -> str:
    found = [n.message for n in project.notes if n.path == path]
    assert len(found) == 1, (path, project.notes)
    return found[0]


def test_the_hostile_tree_is_read_without_escaping(tmp_path: Path) -> None:
    """Links out of the root, loops and links to directories are refused; bad files are notes."""
    root, marker = hostile_tree(tmp_path)
    project = Project.from_directory(root)
    assert "refused" in note_for(project, "etc_link")
    assert "outside the project" in note_for(project, "passwd_link")
    assert "outside the project" in note_for(project, "parent_link")
    assert "outside the project" in note_for(project, "secret_link.txt")
    assert "to a directory" in note_for(project, "self_link")
    assert "to a directory" in note_for(project, "app_link")
    assert "loop" in note_for(project, "loop_a")
    assert "loop" in note_for(project, "loop_b")
    assert "dangling" in note_for(project, "dangling")
    assert "52428800 bytes" in note_for(project, "huge.py")
    assert "binary" in note_for(project, "binary.dat")
    assert "binary" in note_for(project, "nul.py")
    assert "not UTF-8" in note_for(project, "latin1.py")
    if hasattr(os, "mkfifo"):
        assert "not a regular file" in note_for(project, "fifo.py")
    # A link to a file inside the root is kept, with the target's text.
    assert project.text("inside_link.py") == "import json\n"
    # Nothing from outside the root made it in.
    assert not any("root:" in (project.text(p) or "") or "outside the root" in (project.text(p) or "")
                   for p in project.paths)  # fmt: skip
    assert not any(p.startswith(("etc_link", "parent_link", "self_link", "app_link")) for p in project.paths)
    assert not marker.exists()


def test_sources_that_blow_the_parser_are_notes(tmp_path: Path) -> None:
    """Nesting that exhausts the parser (recursion, memory, paren limit) or MAX_AST_DEPTH gives no AST and a note."""
    root, _ = hostile_tree(tmp_path)
    project = Project.from_directory(root)
    for path in ["deep_parens.py", "deep_sum.py", "deep_unary.py", "deep_attrs.py", "syntax_error.py"]:
        assert project.ast(path) is None, path
        assert project.imports(path) == ()
        assert note_for(project, path)
    assert "nested more than" in note_for(project, "deep_attrs.py")
    assert project.ast("ok.py") is not None
    assert [i.module for i in project.imports("deep.js")] == ["./a"]


def test_verifying_the_hostile_tree_with_the_builtin_checks_never_crashes(tmp_path: Path) -> None:
    """The built-in checks over the whole library task give a valid report; nothing ran."""
    root, marker = hostile_tree(tmp_path)
    task = cdspec.load_task(LIBRARY)
    report = cdspec.verify(task, root)
    assert schema_problems(schema("report"), report.to_data()) == []
    assert report.counts["total"] == len(task.constraints)
    assert report.to_text()
    assert not marker.exists()


AUDIT = r"""
import json, os, sys
root, task = sys.argv[1], sys.argv[2]
events = []
def hook(event, args):
    if event == "exec":
        filename = getattr(args[0], "co_filename", "")
        if filename.startswith(root):
            events.append(("exec", filename))
    elif event == "open":
        path, mode, flags = args
        path = str(path)
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        )
        if writes:
            events.append(("write", path))
    elif event == "import" and str(args[0]) in ("sitecustomize_evil", "setup", "conftest", "app", "server"):
        events.append(("import", str(args[0])))
    elif event.startswith(("subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "socket.")):
        events.append((event, repr(args)[:100]))
import cdspec
loaded = cdspec.load_task(task)  # before the hook: loading imports urllib3, which probes for IPv6 with a socket
sys.addaudithook(hook)
report = cdspec.verify(loaded, root)
if len(sys.argv) > 3:  # the control: the hook does see project code that runs
    path = os.path.join(root, "ok.py")
    exec(compile(open(path).read(), path, "exec"), {})
print(json.dumps({"events": events, "total": report.counts["total"]}))
"""


def test_an_audit_hook_sees_no_execution_no_write_and_no_process(tmp_path: Path) -> None:
    """In a fresh interpreter under an audit hook: no project code executes, nothing is written or spawned."""
    root, marker = hostile_tree(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", AUDIT, str(root), str(LIBRARY)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.splitlines()[-1])
    assert data["events"] == []
    assert data["total"] == 12
    assert not marker.exists()
    control = subprocess.run(
        [sys.executable, "-c", AUDIT, str(root), str(LIBRARY), "control"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert json.loads(control.stdout.splitlines()[-1])["events"] == [["exec", str(root / "ok.py")]]


def test_thousands_of_files_are_read_quickly(tmp_path: Path) -> None:
    """3000 small files in 30 packages: all read, imports resolved, well within seconds."""
    root = tmp_path / "many"
    for package in range(30):
        directory = root / "app" / f"pkg{package}"
        directory.mkdir(parents=True)
        (directory / "__init__.py").write_text("")
        for module in range(99):
            (directory / f"m{module}.py").write_text(
                f"from app.pkg{(package + 1) % 30} import m{module}\nX = {module}\n"
            )
    start = time.perf_counter()
    project = Project.from_directory(root)
    graph = project.import_graph()
    elapsed = time.perf_counter() - start
    assert len(project.paths) == 3000
    assert graph["app/pkg0/m5.py"] == ("app/pkg1/__init__.py", "app/pkg1/m5.py")
    assert project.notes == ()
    assert elapsed < 10


def test_a_file_limit_stops_reading_with_a_note(tmp_path: Path) -> None:
    """More files than max_files: the rest are skipped, and one note says so."""
    for i in range(20):
        (tmp_path / f"f{i:02}.txt").write_text("x")
    project = Project.from_directory(tmp_path, max_files=5)
    assert len(project.paths) == 5
    assert [n.message for n in project.notes] == ["more than 5 files: only the first 5 were read"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_undecodable_file_names_are_notes(tmp_path: Path) -> None:
    """A file name that is not UTF-8 is skipped with a note whose path is printable."""
    name = os.fsencode(tmp_path) + b"/caf\xe9.py"
    with open(name, "wb") as file:
        file.write(b"x = 1\n")
    project = Project.from_directory(tmp_path)
    assert project.paths == ()
    assert [n.path for n in project.notes] == ["caf\\udce9.py"]
    json.dumps([n.path for n in project.notes]).encode("utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "x = (/[" * 50_000,  # every '/' could start a regex that never ends
        "import { " * 40_000,  # import clauses that never reach `from`
        "export { a, " * 30_000,
        "'" * 100_000 + "\n" + '"\\' * 100_000,  # unterminated strings and escapes
        "`${" * 50_000 + "}`" * 50_000,  # deeply nested templates
        "/*" + "*" * 1_000_000,  # an unterminated comment
    ],
    ids=["regexes", "imports", "exports", "strings", "templates", "comment"],
)
def test_pathological_js_scans_in_linear_time(text: str) -> None:
    """Hundreds of kilobytes of adversarial JS scan in about a second; a quadratic scan would take hours."""
    project = Project.from_files({"evil.js": text})
    start = time.perf_counter()
    project.imports("evil.js")
    assert time.perf_counter() - start < 15  # generous: a shared, loaded machine; linear takes about 0.5 s
