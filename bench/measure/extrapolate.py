"""From samples per second to the time a whole training would take (seed In [28]/[39])."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TrainingTime:
    """Extrapolated seconds for ``epochs`` epochs of ``nnz`` steps, plus setup."""

    epochs: int
    nnz: int
    seconds: float  # at the median speed
    seconds_low: float  # at the upper end of the speed's interval
    seconds_high: float  # at the lower end

    def to_dict(self) -> dict:
        out = asdict(self)
        out["human"] = human_duration(self.seconds)
        return out


def extrapolate_training_time(
    samples_per_second: float,
    nnz: int,
    epochs: int,
    *,
    setup_seconds: float = 0.0,
    interval: tuple[float, float] | None = None,
) -> TrainingTime:
    """Full training time = epochs * nnz / samples-per-second + setup, with its interval.

    ``interval`` is the (low, high) bound of the speed; the time interval swaps them.
    """
    if not samples_per_second > 0:
        raise ValueError(f"samples_per_second must be positive, got {samples_per_second}")
    work = float(epochs) * float(nnz)
    low_speed, high_speed = interval if interval else (samples_per_second, samples_per_second)
    return TrainingTime(
        epochs=int(epochs),
        nnz=int(nnz),
        seconds=work / samples_per_second + setup_seconds,
        seconds_low=work / high_speed + setup_seconds,
        seconds_high=work / low_speed + setup_seconds,
    )


def human_duration(seconds: float) -> str:
    """Seconds in the unit a person would say: '41 s', '13 minutes', '9.8 hours', '3.2 days'."""
    if not math.isfinite(seconds):
        return "n/a"
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} minutes" if minutes >= 10 else f"{minutes:.1f} minutes"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def human_rate(samples_per_second: float) -> str:
    """'2.1k', '108k', '1.35M' samples/s."""
    if samples_per_second >= 1e6:
        return f"{samples_per_second / 1e6:.2f}M"
    if samples_per_second >= 1e4:
        return f"{samples_per_second / 1e3:.0f}k"
    if samples_per_second >= 1e3:
        return f"{samples_per_second / 1e3:.1f}k"
    return f"{samples_per_second:.0f}"


def seconds_pair(a: float, b: float, most: int = 4) -> tuple[str, str]:
    """Two durations in seconds with as many decimals as it takes to tell them apart.

    "measured 0.6 s; predicted 0.6 s: error -12.5 %" reads as a contradiction; with one
    more decimal it is "0.64 s; 0.56 s". Equal values keep one decimal.
    """
    for decimals in range(1, most + 1):
        x, y = f"{a:.{decimals}f}", f"{b:.{decimals}f}"
        if x != y or a == b:
            return f"{x} s", f"{y} s"
    return f"{a:.{most}f} s", f"{b:.{most}f} s"
