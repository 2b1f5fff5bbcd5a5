"""Stand-in attempts of two "models" at every variant of a manifest, for the tutorial.

    python examples/library/mock_attempts.py MANIFEST.csv ATTEMPTS

lays out ``ATTEMPTS/<model>/<variant-id>/1/`` as ``cdspec evaluate --plan
--attempts`` reads it: model ``alpha`` answers every prompt with the
library's reference backend, model ``beta`` with a copy of it broken by
``broken/create-200-services-import-routes.patch`` (a service imports the
routes; ``POST /books`` answers 200). A real study puts its agents' projects
there instead. Existing attempt folders are left as they are.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

from cdspec.evaluate import patched_copy

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken" / "create-200-services-import-routes.patch"
SKIP = shutil.ignore_patterns("__pycache__", "instance", "*.sqlite3", ".venv")


def main(manifest: str, attempts: str) -> None:
    with open(manifest, encoding="utf-8", newline="") as file:
        ids = [row["id"] for row in csv.DictReader(file)]
    patch = BROKEN.read_text(encoding="utf-8")
    for variant in ids:
        alpha = Path(attempts, "alpha", variant, "1")
        if not alpha.exists():
            alpha.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(HERE / "reference", alpha, ignore=SKIP)
        beta = Path(attempts, "beta", variant, "1")
        if not beta.exists():
            beta.parent.mkdir(parents=True, exist_ok=True)
            patched_copy(HERE / "reference", patch, beta)
    print(f"{len(ids)} variants x 2 models in {attempts}/")


if __name__ == "__main__":
    main(*sys.argv[1:])
