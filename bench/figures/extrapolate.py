"""From samples per second to the time a whole training would take (seed In [28]/[39])."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..formatting import human_duration


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


