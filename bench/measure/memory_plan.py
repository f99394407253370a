"""Whether the chosen tiers fit in memory together, one at a time, or not at all."""

from __future__ import annotations

from collections.abc import Sequence

from ..impls import InvalidInputError, TrainingData, get_tier
from .tier_selection import split_width

MEMORY_HEADROOM = 0.85  # share of the available memory the tiers may take together


def tier_memory_bytes(name: str, data: TrainingData, options: dict | None = None) -> int:
    """Memory a prepared tier holds on this machine beyond the shared URM (its S, copies)."""
    base, _ = split_width(name)
    return get_tier(base).memory_bytes(data, **(options or {}))


def memory_plan(
    names: Sequence[str], data: TrainingData, available: int, options: dict | None = None
) -> str:
    """'round-robin' where every tier fits at once, 'sequential' where one at a time does.

    Raises InvalidInputError, before anything is allocated, where even one tier's S does
    not fit, with the bytes it would need.
    """
    options = options or {}
    needs = {name: tier_memory_bytes(name, data, options.get(name)) for name in names}
    biggest = max(needs, key=needs.get)
    if needs[biggest] > MEMORY_HEADROOM * available:
        itemsize = get_tier(split_width(biggest)[0]).similarity_itemsize
        raise InvalidInputError(
            f"the dataset has {data.n_items:,} items: tier {biggest!r} needs a dense S of "
            f"{data.n_items:,}^2 x {itemsize} bytes, about "
            f"{needs[biggest] / 2**30:.2f} GiB with its copies, but only "
            f"{available / 2**30:.2f} GiB is available. Use a smaller dataset "
            "(e.g. synthetic-ml10m:scale=0.3) or a machine with more memory."
        )
    return "round-robin" if sum(needs.values()) <= MEMORY_HEADROOM * available else "sequential"
