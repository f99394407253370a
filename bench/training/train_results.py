"""``train.json``: what one ``slimbench train`` did (versioned schema, docs/results-schema.md).

Schema ``slimbench.train`` version 1:

- ``schema``, ``schema_version``, ``slimbench_version``, ``status`` ("running", "complete",
  "interrupted", "diverged", "failed", "failed-audit"), ``created``, ``updated``, ``command``
- ``dataset``: name, source, notes, train_stats, train_nnz, test_nnz, test_users, split{...}
- ``options``: tier, epochs, seed, threads, no_diagonal, l2, cutoff, eval_every, baselines,
  knn_k, knn_shrink, ease_lambda, call_steps, predict_budget_seconds, call_timeout_seconds,
  save_top_k, save_dense
- ``learning_rate``: value, rule, max_square_sum, overshoot_above, overshoot_share
- ``setup_seconds``; ``prediction``: slimbench.training.training.Prediction; ``audit``: the
  trained model's audited columns against the reference (slimbench.measure.timed_audit)
- ``epochs``: [slimbench.training.training.EpochRecord]; the last one ``partial`` where a
  stop signal ended it early
- ``quality``: [{model, kind, epoch, training_seconds, setup_seconds, options, metrics{...}}]:
  the SGD model's training_seconds are its epochs' calls, its setup_seconds apart (a file
  written before setup_seconds existed has none, and its training_seconds include the
  setup); a baseline's training_seconds are its whole fit, setup_seconds null
- ``model``: the files written; ``machine``; ``notes``: sentences; ``error``
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..output.results import _atomic_write_text, _jsonable, now_iso

#: what the quality table's two time columns hold (the console's table and train.html's)
QUALITY_SECONDS_NOTE = (
    "setup s: the SGD tier's conversions, allocation and first touch of S, before its first "
    "epoch; training s: its epochs' run calls (evaluation not included); a baseline's "
    "training s is its whole fit."
)

SCHEMA = "slimbench.train"
SCHEMA_VERSION = 1


def new_document(command: list[str]) -> dict:
    """The head of a train.json: schema, version, status "running", times, command."""
    from ..version import __version__

    now = now_iso()
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "slimbench_version": __version__,
        "status": "running",
        "created": now,
        "updated": now,
        "command": command,
    }


def _finite(value: object) -> object:
    """NaN and infinities as null (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def write_train_results(doc: dict, out_dir: Path) -> Path:
    """Write ``train.json`` into ``out_dir`` atomically."""
    doc["updated"] = now_iso()
    path = Path(out_dir) / "train.json"
    text = json.dumps(_finite(doc), indent=2, allow_nan=False, default=_jsonable)
    _atomic_write_text(path, text)
    return path
