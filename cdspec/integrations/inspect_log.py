"""Inspect AI logs as cdspec results: ``cdspec report logs/FILE.eval`` reads them directly.

:func:`is_inspect_log` tells an Inspect log (``.eval``, or ``.json`` written
with ``--log-format json``) from a results JSONL file without importing
Inspect; :func:`results_from_log` reads one (Inspect, the ``inspect``
extra, is imported then) and gives one result record per sample and epoch,
shaped like ``schemas/result.schema.json``: the record
:func:`cdspec.integrations.inspect_ai.evaluation_scorer` stored in the
sample's score, with ``attempt`` set to the epoch and the label ``model``
set to the log's model. A sample that errored before it was scored is a
record with its ``error``, so it is counted, not lost.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

from cdspec.errors import CdspecError
from cdspec.evaluate import Evaluation
from cdspec.model import Target

__all__ = ["is_inspect_log", "results_from_log"]


def is_inspect_log(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an Inspect log: a ``.eval`` archive, or a ``.json`` object with ``eval`` and ``results``."""
    file = Path(path)
    if file.suffix == ".eval":
        return zipfile.is_zipfile(file)
    if file.suffix != ".json" or not file.is_file():
        return False
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("eval"), dict) and "version" in data


def results_from_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The result records of an Inspect log's samples (see the module's doc), in the log's order.

    Raises :class:`~cdspec.CdspecError` when Inspect is not installed, the
    log cannot be read, or no sample of it was scored by cdspec.
    """
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise CdspecError(
            f"{os.fspath(path)}: reading an Inspect log needs Inspect AI: pip install 'cdspec[inspect]'"
        ) from None
    try:
        log = read_eval_log(os.fspath(path))
    except Exception as exc:  # Inspect raises its own and pydantic's errors for a damaged log
        raise CdspecError(f"{os.fspath(path)}: not a readable Inspect log: {exc}") from None
    labels = {"model": str(log.eval.model)}
    records: list[dict[str, Any]] = []
    for sample in log.samples or ():
        scored = [s.metadata["result"] for s in (sample.scores or {}).values() if s.metadata and "result" in s.metadata]
        metadata = sample.metadata or {}
        if scored:
            record = dict(scored[0])
        elif sample.error is not None and "depth" in metadata and "task_id" in metadata:
            target = metadata.get("target") or {}
            record = Evaluation(
                task_id=str(metadata["task_id"]),
                variant_id=metadata.get("variant_id"),
                depth=int(metadata["depth"]),
                layers=[str(name) for name in metadata.get("layers", ())],
                target=Target(str(target.get("language", "")), str(target.get("framework", ""))),
                project=f"sandbox:{sample.id}",
                constraints=(),
                error=f"the sample errored in Inspect: {sample.error.message}",
            ).to_data()
        else:
            continue
        record["attempt"] = sample.epoch
        record["labels"] = {**record.get("labels", {}), **labels}
        records.append(record)
    if not records:
        raise CdspecError(
            f"{os.fspath(path)}: no sample of this Inspect log was scored by cdspec's evaluation_scorer "
            "(cdspec.integrations.inspect_ai)"
        )
    return records
