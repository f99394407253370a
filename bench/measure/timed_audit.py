"""The audit of the timed work, for a session: which columns, whose calls, which verdict.

The check proves a tier on the small check dataset; the audit proves the work that was
timed (slimbench.measure.audit has the rule and the reference kernel). During a run the
parent keeps its own record of every call it made to each tier (RemoteTier.calls: the
warm-up chunks, the re-warm chunks and the rounds, counted by the parent, never by the
worker); after a tier's last round its audited columns are taken from its worker before
it is closed. Once every tier is done, the stream is regenerated and replayed once, with a
snapshot at each audited tier's step count, and each tier's columns are compared:
bitwise classes to the bit, "close" within its tolerance relative to the largest |S_ref|
of the audited columns. A floor's checksums are recomputed from the regenerated stream.
A tier that fails loses its speed figure (status ``failed-audit``), with the first
differing step of the failing column where the bisection can find it within its bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..impls import Tier, TrainingData
from ..impls.slim import SlimOptions
from . import audit

#: the stream a replay tier draws, by name (impls: ReplayTier.audit_stream)
LIBC_RAND = "libc-rand"


@dataclass
class AuditSubject:
    """One tier's timed work, as the parent recorded it."""

    name: str
    exactness: str
    tolerance: float
    calls: list[int]  # steps asked of each call, in order (the parent's own count)
    stream: str | None = "pcg64"  # None: a replay tier that offers no stream
    columns: np.ndarray | None = None  # S[:, items] taken from the worker before close
    checksums: tuple[float, int, int] | None = None  # a floor's (ratings, ids, entries)
    dtype: type = np.float64  # a floor's rating type, for its expected checksums
    #: ``rerun(n, items)``: S[:, items] of a fresh tier after its call pattern cut at n steps
    rerun: Callable[[int, np.ndarray], np.ndarray] | None = None

    @property
    def steps(self) -> int:
        return int(sum(self.calls))


def subject_for(
    name: str,
    cls: type[Tier],
    tier: object,
    calls: Sequence[int],
    items: np.ndarray,
    rerun: Callable[[int, np.ndarray], np.ndarray] | None = None,
) -> AuditSubject:
    """What is audited of one tier's timed work: the class's exactness, tolerance and stream,
    the ``calls`` the caller had it make, and from the live ``tier`` (a RemoteTier, or a Tier
    in this process) a floor's checksums or S's ``items`` columns, with ``rerun`` for the
    bisection of a failing column."""
    subject = AuditSubject(
        name=name,
        exactness=cls.exactness,
        tolerance=cls.tolerance,
        calls=list(calls),
        stream=cls.audit_stream if cls.exactness == "replay" else "pcg64",
    )
    if cls.exactness == "floor":
        subject.checksums = (
            float(tier.report("rating_checksum")),
            int(tier.report("index_checksum")),
            int(tier.report("entries_read")),
        )
        subject.dtype = cls.dtype
    else:
        subject.columns = tier.columns(items)
        subject.rerun = rerun
    return subject


@dataclass
class AuditResult:
    """The verdict on one tier's timed work (plain JSON with ``to_dict``)."""

    verdict: str  # "pass", "fail", "not audited"
    steps: int
    detail: str = ""
    max_abs_diff: float | None = None
    scale: float | None = None
    tolerance: float = 0.0
    first_difference: dict | None = None
    items: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON: a non-finite difference becomes null (the detail says it)."""

        def finite(x: float | None) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None

        return {
            "verdict": self.verdict,
            "steps": self.steps,
            "detail": self.detail,
            "max_abs_diff": finite(self.max_abs_diff),
            "scale": finite(self.scale),
            "tolerance": self.tolerance,
            "first_difference": self.first_difference,
            "items": self.items,
        }


def _floor_verdicts(
    floors: list[AuditSubject], data: TrainingData, seed: int
) -> dict[str, AuditResult]:
    """Each floor's checksums against those recomputed from the regenerated stream (one
    pass for every floor: the per-user draw counts at each floor's step count)."""
    counts = audit.user_draw_counts(data, seed, sorted({s.steps for s in floors}))
    out = {}
    for s in floors:
        expected = audit.checksums_from_counts(data, counts[s.steps], s.dtype)
        verdict = audit.compare_floor(audit.FloorChecksums(*s.checksums), expected)
        out[s.name] = AuditResult(
            verdict="pass" if verdict.passed else "fail",
            steps=s.steps,
            detail=verdict.detail + " over the timed steps",
        )
    return out


def audit_subjects(
    subjects: list[AuditSubject],
    data: TrainingData,
    *,
    seed: int,
    learning_rate: float,
    slim: SlimOptions,
    items: np.ndarray,
    bisect: bool = True,
) -> tuple[dict[str, AuditResult], float]:
    """Every subject's verdict, and the seconds the audit took (reported apart)."""
    start = time.perf_counter()
    out: dict[str, AuditResult] = {}
    by_stream: dict[str, list[AuditSubject]] = {}
    floors = [s for s in subjects if s.exactness == "floor"]
    if floors:
        out.update(_floor_verdicts(floors, data, seed))
    for s in subjects:
        if s.exactness == "floor":
            continue
        if s.stream is None:
            out[s.name] = AuditResult(
                "not audited",
                s.steps,
                "its sampler offers no stream the audit can regenerate (ReplayTier.audit_stream)",
            )
        else:
            by_stream.setdefault(s.stream, []).append(s)
    for stream, group in by_stream.items():
        counts = sorted({s.steps for s in group})
        reference = audit.reference_columns(
            data, seed, learning_rate, slim, items, counts, stream=stream
        )
        for s in group:
            tolerance = s.tolerance if s.exactness == "close" else 0.0
            verdict = audit.compare_columns(
                s.columns, reference[s.steps], s.exactness, tolerance, items
            )
            result = AuditResult(
                verdict="pass" if verdict.passed else "fail",
                steps=s.steps,
                detail=verdict.detail,
                max_abs_diff=verdict.max_abs_diff,
                scale=verdict.scale,
                tolerance=tolerance,
                items=[int(i) for i in items],
            )
            if not verdict.passed and bisect and s.rerun is not None:
                item = int(verdict.first_failing_item)
                result.first_difference = audit.first_differing_step(
                    data,
                    seed,
                    learning_rate,
                    slim,
                    item,
                    s.calls,
                    lambda n, s=s, item=item: s.rerun(n, np.array([item]))[:, 0],
                    stream=stream,
                    bound=verdict.bound,
                )
                sentence = (result.first_difference or {}).get("sentence")
                if sentence:
                    result.detail += f"; {sentence}"
            out[s.name] = result
    return out, time.perf_counter() - start
