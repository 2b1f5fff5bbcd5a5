"""Shared test configuration: Hypothesis profiles.

The ``ci`` profile derandomizes every property test, so a green CI run is
reproducible; it is the default when ``CI`` is set (as CI runners do).
``dev``, the default elsewhere, explores with fresh randomness each run.
``HYPOTHESIS_PROFILE`` picks one explicitly.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
