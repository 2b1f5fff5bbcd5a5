"""Bridges from cdspec to evaluation harnesses, each behind an optional extra.

- :mod:`cdspec.integrations.inspect_ai` (``pip install 'cdspec[inspect]'``):
  variants as an Inspect AI dataset, and a scorer that runs cdspec's
  verifiers on the files an agent wrote in its sandbox.

The pytest plugin (:mod:`cdspec.pytest_plugin`) needs no extra. Nothing here
is imported by ``import cdspec``.
"""
