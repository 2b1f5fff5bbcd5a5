"""The public surface and the promise that importing cdspec does nothing."""

from __future__ import annotations

import subprocess
import sys
import types

import cdspec


def test_all_is_sorted_and_complete() -> None:
    """__all__ lists every public name of the package, sorted, and nothing else."""
    public = {
        name
        for name, value in vars(cdspec).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(cdspec.__all__) == public | {"__version__"}
    assert list(cdspec.__all__) == sorted(cdspec.__all__)


def test_errors_share_one_root() -> None:
    """Every exception cdspec exports derives from CdspecError."""
    errors = [v for v in vars(cdspec).values() if isinstance(v, type) and issubclass(v, BaseException)]
    assert len(errors) >= 6
    assert all(issubclass(e, cdspec.CdspecError) for e in errors)


IMPORT_PROBE = r"""
import sys
events = []
def hook(event, args):
    if event == "open":
        path = str(args[0])
        if not path.endswith((".py", ".pyc", ".so", ".pth")) and "__pycache__" not in path:
            events.append((event, path))
    elif event.startswith(("socket.", "subprocess.", "os.system", "os.exec", "os.spawn")):
        events.append((event, str(args)[:80]))
sys.addaudithook(hook)
import cdspec
print(repr(events))
heavy = ("hypothesis", "jsonschema", "openapi_spec_validator", "referencing", "cattrs")
print(sorted(m for m in heavy if m in sys.modules))
"""


def test_import_does_no_io_and_loads_no_heavy_modules() -> None:
    """`import cdspec` opens no data file, starts nothing, and leaves heavy modules unloaded."""
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True)
    events, heavy = result.stdout.splitlines()
    assert events == "[]"
    assert heavy == "[]"
