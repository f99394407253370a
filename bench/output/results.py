"""The result format: one JSON document per run (versioned schema) and a CSV beside it.

Schema ``slimbench.output.results`` version 2 (every key documented in
docs/results-schema.md; version 2 renamed the floors' exactness class "baseline" to "floor",
and files of version 1 are read with that name changed, see :func:`upgrade`):

- ``schema``, ``schema_version``, ``status`` ("running", "complete", "interrupted",
  "failed"), ``created``, ``updated`` (ISO 8601 UTC), ``command`` (argv)
- ``dataset``: ``name``, ``source``, ``stats`` (slimbench.data.stats), ``train_nnz``,
  ``test_nnz``, ``train_share``, ``split_seed``
- ``options``: seed, learning_rate, budget_seconds, rounds, warmup_seconds, epochs,
  threads, tiers, scheduling ("round-robin" or "sequential")
- ``protocol``: the timing protocol in words; ``machine``: slimbench.measure.machine metadata
- ``check``: one entry per tier of the cross-check (slimbench.measure.check.CheckResult)
- ``tiers``: one entry per tier, see :func:`new_tier_entry`
- ``caveats``: sentences the report shows

Files are written atomically (a temporary file in the same folder, then ``os.replace``),
so a reader never sees half a document and an interrupted run keeps its last write.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..bounded_json import JSONFileError, read_json
from ..figures.extrapolate import extrapolate_training_time
from ..figures.paired import paired_ratio, pass_speeds
from ..figures.summary import summarize
from ..impls import EXACTNESS_ALIASES, SlimBenchError
from .results_schema import RESULTS as RESULTS_SPEC
from .results_schema import first_problem

SCHEMA = "slimbench.output.results"
SCHEMA_VERSION = 2
#: the versions this slimbench reads: the older ones are upgraded as they load
READABLE_VERSIONS = (1, 2)
#: the tiers every measured tier is compared with, and the tier that bounds them all
SPEEDUP_BASELINES = ("python-naive", "cython-rand")
FLOOR = "floor"


class ResultsFileError(SlimBenchError, ValueError):
    """A results file that cannot be read: missing, not JSON, or of another schema."""


def now_iso() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def new_tier_entry(name: str, exactness: str, description: str) -> dict:
    """A tier's entry before it is measured (``status`` "pending").

    Filled by the runner: ``check`` (verdict, details), ``setup_seconds``,
    ``compile_seconds``, ``threads``, ``memory_bytes``, ``notes``, ``warmup`` and ``rounds``
    (lists of {steps, seconds, loss}), ``samples_per_second`` (slimbench.figures.summary.Summary
    as a dict), ``speedup`` ({"python-naive": x, "cython-rand": y}), ``percent_of_floor``,
    ``training_time`` (slimbench.figures.extrapolate.TrainingTime as a dict), ``yellow_lines``,
    ``error``, ``origin`` (where the tier comes from: {"kind": "built-in"}, or a user's
    "file" with its path and sha256, a "class" spec, a "plugin" entry point). ``status``
    ends as "measured", "failed-check", "diverged", "error", "unavailable" or "interrupted".
    """
    return {
        "name": name,
        "exactness": exactness,
        "description": description,
        "status": "pending",
        "check": None,
        "setup_seconds": None,
        "compile_seconds": None,
        "threads": None,
        "memory_bytes": None,
        "notes": [],
        "warmup": [],
        "rounds": [],
        "samples_per_second": None,
        "speedup": {},
        "percent_of_floor": None,
        "training_time": None,
        "yellow_lines": None,
        "error": None,
        "origin": {"kind": "built-in"},
    }


#: statuses whose rounds, if any, give no speed figure
NO_FIGURE_STATUSES = (
    "diverged",
    "error",
    "crashed",
    "exited",
    "timed-out",
    "failed-audit",
    "not-audited",
)


def summarize_entry(entry: dict, train_nnz: int, epochs: int) -> None:
    """Fill a tier entry's ``samples_per_second`` and ``training_time`` from its rounds.

    A tier that diverged or failed (its check, its audit, its worker) keeps no figure,
    whatever rounds it ran.
    """
    speeds = [r["steps"] / r["seconds"] for r in entry["rounds"] if r["seconds"] > 0]
    if not speeds or entry["status"] in NO_FIGURE_STATUSES:
        entry["samples_per_second"] = entry["training_time"] = None
        return
    s = summarize(speeds)
    entry["samples_per_second"] = s.to_dict()
    entry["training_time"] = extrapolate_training_time(
        s.median,
        train_nnz,
        epochs,
        setup_seconds=entry["setup_seconds"] or 0.0,
        interval=(s.ci_low, s.ci_high),
    ).to_dict()


def recorded_floor(entry: Mapping) -> str | None:
    """The floor a tier's "% floor" is against, as its results entry recorded it (``floor``,
    which the writer took from slimbench.impls.registry.floor_by_layout).

    Files written before the floors were per layout have no ``floor`` key: their one
    floor was "floor". A floor itself, and a tier whose entry says null, have none.
    """
    if "floor" not in entry:
        return None if entry.get("exactness") == "floor" else FLOOR
    return entry["floor"]


def comparison_tier(tiers: list[Mapping], vs: str | None = None) -> str | None:
    """The tier of the "vs TIER" ratio: ``vs`` (``--vs``) where given, else the first tier
    from outside the project (so two versions of a user's loop compare directly), else the
    run's first tier where neither fixed baseline was run and there is another tier to
    compare with it, else None (the fixed ones only).
    """
    if vs is not None:
        return vs
    names = [t["name"] for t in tiers]
    for t in tiers:
        if (t.get("origin") or {}).get("kind", "built-in") != "built-in":
            return t["name"]
    if len(names) > 1 and not any(b in names for b in SPEEDUP_BASELINES):
        return names[0]
    return None


def derive_ratios(tiers: list[dict], *, paired: bool = True, vs: str | None = None) -> None:
    """Speedups over the baselines and % of the floor, between tiers of one document.

    The baselines are SPEEDUP_BASELINES and the "vs TIER" tier (:func:`comparison_tier`);
    ``speedup`` is keyed by the baseline's name.

    ``paired`` (round-robin runs): each figure is the median of the per-pass ratios, with
    its interval in ``speedup_interval`` / ``percent_of_floor_interval`` (slimbench.figures.paired);
    the ratio of medians is kept in ``speedup_ratio_of_medians`` and
    ``percent_of_floor_ratio_of_medians``. Unpaired (tiers timed one after another): the
    ratio of medians is the figure, and no interval is given.
    """
    median = {
        t["name"]: t["samples_per_second"]["median"] for t in tiers if t["samples_per_second"]
    }
    speeds = {t["name"]: pass_speeds(t) for t in tiers if t["name"] in median}
    chosen = comparison_tier(tiers, vs)
    baselines = list(SPEEDUP_BASELINES)
    if chosen is not None and chosen not in baselines:
        baselines.append(chosen)
    for t in tiers:
        name = t["name"]
        if name not in median:
            continue
        targets = [(b, b, 1.0) for b in baselines if b in median]
        floor = recorded_floor(t)
        if floor in median and floor != name:
            targets.append(("% floor", floor, 100.0))  # a key no tier name has
        by_median, by_pass = {}, {}
        for key, base, scale in targets:
            by_median[key] = scale * median[name] / median[base]
            if paired:
                by_pass[key] = paired_ratio(speeds[name], speeds[base], scale=scale)
        figure = {
            k: (by_pass[k] or {}).get("median", v) if paired else v for k, v in by_median.items()
        }
        t["speedup"] = {b: figure[b] for b in baselines if b in figure}
        t["speedup_ratio_of_medians"] = {b: by_median[b] for b in baselines if b in figure}
        t["speedup_interval"] = {b: by_pass.get(b) for b in baselines if b in figure}
        t["percent_of_floor"] = figure.get("% floor")
        t["percent_of_floor_ratio_of_medians"] = by_median.get("% floor")
        t["percent_of_floor_interval"] = by_pass.get("% floor")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: mode of written files: what ``open`` gives (the PNGs), not mkstemp's private 0600
FILE_MODE = 0o666 & ~_umask()


def _atomic_write_text(path: Path, text: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        exc.filename = exc.filename or str(path)
        raise
    try:
        os.chmod(tmp, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:  # a full disk: name the file
            exc.filename = str(path)
        raise


def tiers_frame(results: Mapping) -> pd.DataFrame:
    """One row per tier: the figures of the console table, flat."""
    rows = []
    for t in results.get("tiers", []):
        sps = t.get("samples_per_second") or {}
        tt = t.get("training_time") or {}
        check = t.get("check") or {}
        rows.append(
            {
                "tier": t["name"],
                "exactness": t["exactness"],
                "check": check.get("verdict"),
                "status": t["status"],
                "rounds": len(t.get("rounds", [])),
                "samples_per_s_median": sps.get("median"),
                "samples_per_s_ci_low": sps.get("ci_low"),
                "samples_per_s_ci_high": sps.get("ci_high"),
                "ci_confidence": sps.get("confidence"),
                "samples_per_s_min": sps.get("minimum"),
                "samples_per_s_iqr": sps.get("iqr"),
                "speedup_vs_python_naive": t.get("speedup", {}).get("python-naive"),
                "speedup_vs_cython_rand": t.get("speedup", {}).get("cython-rand"),
                "percent_of_floor": t.get("percent_of_floor"),
                "setup_seconds": t.get("setup_seconds"),
                "threads": t.get("threads"),
                "training_seconds": tt.get("seconds"),
                "training_time": tt.get("human"),
                "yellow_lines": t.get("yellow_lines"),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("rounds", "threads", "yellow_lines"):  # counts stay integers in the CSV
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def _null_non_finite(node: object, path: str, found: list[str]) -> object:
    """``node`` with every NaN or infinite float replaced by None; their paths in ``found``."""
    if isinstance(node, float) and not math.isfinite(node):
        found.append(path)
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _null_non_finite(value, f"{path}.{key}" if path else str(key), found)
    elif isinstance(node, list):
        node[:] = [_null_non_finite(v, f"{path}[{i}]", found) for i, v in enumerate(node)]
    return node


def write_results(results: dict, out_dir: Path) -> Path:
    """Write ``results.json`` and ``results.csv`` into ``out_dir`` atomically.

    JSON has no inf or NaN: such a figure (an overflow somewhere upstream) is stored as
    null and named in a caveat, so the file stays readable and says what it lost.
    """
    found: list[str] = []
    _null_non_finite(results, "", found)
    if found:
        results.setdefault("caveats", []).append(
            f"not finite, stored as null: {', '.join(found[:5])}"
            + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        )
    results["updated"] = now_iso()
    path = out_dir / "results.json"
    _atomic_write_text(path, json.dumps(results, indent=2, allow_nan=False, default=_jsonable))
    _atomic_write_text(out_dir / "results.csv", tiers_frame(results).to_csv(index=False))
    return path


def _jsonable(value: object) -> object:
    """numpy scalars and paths into plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def load_results(path: str | os.PathLike) -> dict:
    """Read a results.json written by ``slimbench run``, checking its schema."""
    p = Path(path)
    try:
        doc = read_json(p)
    except JSONFileError as exc:
        raise ResultsFileError(f"results file {exc}") from None
    return check_results(doc, p)


def check_results(doc: object, p: Path) -> dict:
    """``doc`` (read from ``p``) where it is a valid results document; else ResultsFileError."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        kind = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        hint = ""
        if isinstance(doc, dict) and "benchmarks" in doc:
            hint = (
                " It looks like pytest-benchmark output: use `slimbench report --pytest-benchmark`."
            )
        raise ResultsFileError(
            f"{str(p)!r} is not a slimbench results file (schema {kind!r}, expected {SCHEMA!r})."
            + hint
        )
    version = doc.get("schema_version")
    if type(version) is not int or version not in READABLE_VERSIONS:  # true == 1 in Python
        raise ResultsFileError(
            f"{str(p)!r} has results schema version {version!r}; this slimbench reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}. Re-run `slimbench run` or use the "
            "slimbench that wrote it."
        )
    upgrade(doc)
    problem = first_problem(doc, RESULTS_SPEC)
    if problem:
        raise ResultsFileError(f"{str(p)!r} is not a valid results file: {problem}.")
    names = [t["name"] for t in doc["tiers"]]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ResultsFileError(f"{str(p)!r} lists tier(s) {', '.join(twice)} more than once.")
    return doc


def upgrade(doc: dict) -> dict:
    """``doc``, of a readable older version, in the terms of :data:`SCHEMA_VERSION`.

    Version 1 named the floors' exactness class "baseline": every ``exactness`` (of the
    tiers and of their checks) reads "floor" instead, so that a table, a plot or
    ``compare`` shows one name for old and new runs alike. A caveat says it was converted.
    """
    version = doc.get("schema_version")
    if version == SCHEMA_VERSION:
        return doc
    rename_old_exactness(doc)
    doc["schema_version"] = SCHEMA_VERSION
    if isinstance(doc.get("caveats"), list):
        doc["caveats"].append(
            f"Read from a results file of schema version {version}: its exactness class "
            "'baseline' is shown by its current name, 'floor'."
        )
    return doc


def rename_old_exactness(value: object) -> None:
    """Every ``exactness`` in ``value`` (nested dicts and lists) that holds an old name of a
    class (:data:`~slimbench.impls.base.EXACTNESS_ALIASES`) set to its current name."""
    if isinstance(value, dict):
        old = value.get("exactness")
        if isinstance(old, str) and old in EXACTNESS_ALIASES:
            value["exactness"] = EXACTNESS_ALIASES[old]
        for item in value.values():
            rename_old_exactness(item)
    elif isinstance(value, list):
        for item in value:
            rename_old_exactness(item)


def settle_abandoned(results: dict) -> bool:
    """Mark a 'running' document whose run is gone (killed, crashed) as interrupted.

    Its tiers' rounds were written after each round, so they keep their figures; only the
    states change, and a caveat says so. Returns True where the document was changed.
    """
    if results.get("status") != "running":
        return False
    results["status"] = "interrupted"
    for entry in results["tiers"]:
        if entry["status"] in ("pending", "measuring"):
            entry["status"] = "interrupted"
    results["caveats"].append(
        "The run stopped without finishing (killed or crashed): figures are from the rounds "
        "it wrote before; tiers marked 'interrupted' have fewer rounds."
    )
    return True
