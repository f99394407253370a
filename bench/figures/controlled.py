"""Controlled regression verdicts: each tier judged against a control tier of its own passes.

A machine that drifts between two runs (another job, a frequency step, a neighbour on the
host) slows every tier of the second run alike, and the raw verdict (verdict.py) calls each
of them "slower". Within one round-robin pass every tier shares the machine's state, so the
per-pass ratio tier / control cancels it: the controlled verdict is Mann-Whitney U on those
ratios, old run against new, with Holm's correction across the tiers of one comparison.

The control must share no kernel code with the tier it judges (slimbench.impls.registry
.kernel_code): a control built on the tier's own kernel (floor-compact runs
cython-interleaved's) would slow down with it and cancel the very change looked for.
The rule, stated in :func:`choose_control`: among the tiers measured in both runs, in
round-robin passes, that share no kernel code with the tier, the one with the tier's
thread count if there is one, then compiled like the tier (or interpreted like it), then
the least noisy (its rounds' IQR / median, the worse of its two runs), then by name.
``--control TIER`` overrides it wherever that tier qualifies.

The control itself is judged against the machine's drift (the median raw ratio new/old
of every tier in both runs): a control that slowed more than the drift has a change of
its own, which would make every tier it controls look faster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..impls import SlimBenchError, get_tier
from ..impls.registry import kernel_code
from .paired import pass_speeds
from .verdict import ALPHA, Verdict, compare_rounds

#: schedulings whose k-th round of every tier ran in the same pass
PAIRED_SCHEDULINGS = ("round-robin",)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input's order (family-wise error)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def paired_passes(doc: Mapping) -> bool:
    """True where the run's rounds were taken in passes over all its tiers."""
    return (doc.get("options") or {}).get("scheduling") in PAIRED_SCHEDULINGS


def _kernel(name: str) -> frozenset[str]:
    try:
        return kernel_code(name.split("@")[0])
    except SlimBenchError:  # a tier this slimbench does not know: it shares only its name
        return frozenset({name})


def _compiled(name: str) -> bool:
    """True for a tier whose steps run compiled code (its kernel has a compiled module):
    a drift of the memory system moves such tiers more than an interpreter's loop."""
    try:
        return bool(get_tier(name.split("@")[0]).compiled_modules)
    except SlimBenchError:
        return False


def _noisiness(entries: Sequence[Mapping]) -> float:
    worst = 0.0
    for e in entries:
        sps = e.get("samples_per_second") or {}
        if sps.get("median"):
            worst = max(worst, (sps.get("iqr") or 0.0) / sps["median"])
    return worst


def choose_control(
    tier: str, old: Mapping[str, Mapping], new: Mapping[str, Mapping], forced: str | None = None
) -> str | None:
    """The control of ``tier``: see the module docstring for the rule; None where none fits.

    ``old`` and ``new`` map tier names to the entries measured in each run.
    """
    code = _kernel(tier)
    candidates = [
        n for n in old if n in new and n != tier and not (_kernel(n) & code)
    ]
    if forced is not None:
        return forced if forced in candidates else None
    if not candidates:
        return None
    threads = old[tier].get("threads")
    compiled = _compiled(tier)

    def key(n: str) -> tuple[bool, bool, float, str]:
        return (
            old[n].get("threads") != threads,
            _compiled(n) != compiled,
            _noisiness([old[n], new[n]]),
            n,
        )

    return min(candidates, key=key)


@dataclass(frozen=True)
class Controlled:
    """A tier's controlled verdict: its per-pass ratio to ``control``, old run against new."""

    control: str
    ratio: float  # median new ratio / median old ratio: the change beyond the control's
    p_value: float  # Holm-adjusted across the comparison's tiers
    verdict: str  # "faster", "slower" or "no detectable change"
    passes: tuple[int, int]

    def slower_by_more_than(self, percent: float) -> bool:
        """A significant controlled slowdown of more than ``percent`` %."""
        return self.verdict == "slower" and self.ratio < 1.0 - percent / 100.0


def _ratios(tier: Mapping, control: Mapping) -> list[float]:
    return [a / b for a, b in zip(pass_speeds(tier), pass_speeds(control), strict=False) if b]


def measured(doc: Mapping) -> dict[str, Mapping]:
    """A run's tiers that have a figure, by name."""
    return {
        t["name"]: t
        for t in doc.get("tiers", [])
        if t.get("samples_per_second") and t.get("status") in ("measured", "interrupted")
    }


def controlled_verdicts(
    old: Mapping, new: Mapping, forced: str | None = None
) -> tuple[dict[str, Controlled], str | None]:
    """Per tier, its controlled verdict; and why there are none, where there are none.

    The reason is a sentence ("the old run timed its tiers one after another: no paired
    passes"); then the raw verdicts stand alone.
    """
    for label, doc in (("old", old), ("new", new)):
        if not paired_passes(doc):
            how = (doc.get("options") or {}).get("scheduling") or "unknown"
            return {}, (
                f"the {label} run has no paired passes (scheduling {how!r}): raw verdicts only"
            )
    a, b = measured(old), measured(new)
    if forced is not None and not (forced in a and forced in b):
        raise SlimBenchError(f"--control {forced!r} was not measured in both runs.")
    tests: dict[str, tuple[str, Verdict]] = {}
    for name in a:
        if name not in b:
            continue
        control = choose_control(name, a, b, forced)
        if control is None:
            continue
        old_r, new_r = _ratios(a[name], a[control]), _ratios(b[name], b[control])
        if old_r and new_r:
            tests[name] = (control, compare_rounds(old_r, new_r))
    if not tests:
        return {}, "the two runs share no tier that can control another: raw verdicts only"
    adjusted = holm([v.p_value for _, v in tests.values()])
    out = {}
    for (name, (control, v)), p in zip(tests.items(), adjusted, strict=True):
        verdict = ("faster" if v.ratio > 1.0 else "slower") if p < ALPHA else (
            "no detectable change"
        )
        out[name] = Controlled(control, v.ratio, p, verdict, (v.old_rounds, v.new_rounds))
    return out, None


def drift(raw: Mapping[str, Verdict]) -> float | None:
    """The machine's change between the runs: the median raw ratio new/old of all tiers."""
    ratios = sorted(v.ratio for v in raw.values())
    if not ratios:
        return None
    mid = len(ratios) // 2
    return ratios[mid] if len(ratios) % 2 else 0.5 * (ratios[mid - 1] + ratios[mid])


def control_slowed(
    control: str, raw: Mapping[str, Verdict], percent: float
) -> float | None:
    """The control's raw ratio over the drift, where it slowed by more than ``percent`` %
    beyond it with significance (its own change, not the machine's); else None."""
    d = drift(raw)
    v = raw.get(control)
    if d is None or v is None or v.verdict != "slower":
        return None
    beyond = v.ratio / d
    return beyond if beyond < 1.0 - percent / 100.0 else None

