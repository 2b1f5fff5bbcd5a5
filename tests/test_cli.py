"""The command line: exit codes, one problem per line, no tracebacks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cdspec import cli
from cdspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "library" / "task.yaml"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_validate_ok() -> None:
    """Valid files print one 'ok' line each and exit 0."""
    status, out, err = run("validate", str(LIBRARY), str(LIBRARY.parent / "openapi.yaml"))
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{LIBRARY}: ok (task 'library':")
    assert "contract" in lines[1]


def test_validate_invalid_prints_problems_and_exits_1(tmp_path: Path) -> None:
    """Each problem is one line on stderr with file and line; the exit status is 1."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad Id\ntitle: 3\n", encoding="utf-8")
    status, out, err = run("validate", str(bad), str(LIBRARY))
    assert status == 1
    lines = err.splitlines()
    assert f"{bad}:1: /id: 'Bad Id' does not match the pattern ^[a-z0-9][a-z0-9_.-]*$" in lines
    assert all(line.startswith(str(bad)) for line in lines)
    assert "ok" in out  # the valid file is still checked


def test_show_lists_operations_layers_and_constraints() -> None:
    """show prints the contract's operations and each layer with its constraints."""
    status, out, _ = run("show", str(LIBRARY))
    assert status == 0
    assert "Contract:" in out
    assert "POST /auth/login" in out
    assert "(group database)" in out
    assert "(group database, alternative)" in out
    assert "[data-model]" in out


def test_kinds_lists_builtin_kinds() -> None:
    """kinds prints one line per kind; --json gives their params schemas."""
    status, out, _ = run("kinds")
    assert status == 0
    assert out.splitlines()[0].startswith("data-model")
    status, out, _ = run("kinds", "--json")
    assert '"single-data-path"' in out


def test_user_kinds_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--kinds MODULE:ATTR brings the user's own registry; a bad spec is a usage error."""
    (tmp_path / "mykinds.py").write_text(
        "import cdspec\nKINDS = cdspec.BUILTIN_KINDS.with_kinds(cdspec.Kind('no-print', template='No print.'))\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    status, out, _ = run("kinds", "--kinds", "mykinds:KINDS")
    assert status == 0
    assert "no-print" in out
    status, _, err = run("kinds", "--kinds", "mykinds")
    assert status == 2
    assert err == "cdspec: error: --kinds takes MODULE:ATTRIBUTE, got 'mykinds'\n"
    status, _, err = run("kinds", "--kinds", "mykinds:NOPE")
    assert status == 2
    assert "NOPE" in err


def test_module_entry_point_and_usage_errors(tmp_path: Path) -> None:
    """python -m cdspec works; a missing command exits 2; errors carry no traceback."""
    missing = tmp_path / "missing.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "cdspec", "validate", str(missing)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr == f"{missing}: no such file\n"
    result = subprocess.run([sys.executable, "-m", "cdspec"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(textwrap.dedent("id: x\n").encode() + b"\x00\xff")
    result = subprocess.run(
        [sys.executable, "-m", "cdspec", "show", str(binary)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr == f"{binary}: binary file (contains NUL bytes), expected YAML or JSON text\n"


class _ClosedPipe(io.StringIO):
    """A stdout whose reader has gone away."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self.fd


def test_closed_pipe_and_interrupt_end_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """`cdspec show ... | head -1` exits 1 and Ctrl-C exits 130, neither with a traceback."""
    read_end, write_end = os.pipe()
    try:
        monkeypatch.setattr(sys, "stdout", _ClosedPipe(write_end))
        monkeypatch.setattr(sys, "argv", ["cdspec", "show", str(LIBRARY)])
        with pytest.raises(SystemExit) as info:
            cli.run()
        assert info.value.code == 1
    finally:
        os.close(read_end)
        os.close(write_end)

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    with pytest.raises(SystemExit) as info:
        cli.run()
    assert info.value.code == 130
