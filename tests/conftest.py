"""Shared test configuration: Hypothesis profiles.

The ``ci`` profile derandomizes every property test, so a green CI run is
reproducible; it is the default when ``CI`` is set (as CI runners do).
``dev``, the default elsewhere, explores with fresh randomness each run.
``stress`` searches much longer. ``HYPOTHESIS_PROFILE`` picks one explicitly.
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
# For a deeper search before a release: HYPOTHESIS_PROFILE=stress pytest -k "random or near_valid"
settings.register_profile("stress", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
