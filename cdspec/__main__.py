"""``python -m cdspec``: the same as the ``cdspec`` command."""

from .cli import run

run()
