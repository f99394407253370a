"""Words for counts in messages: the tiers' own and, through slimbench.formatting, the
harness's. Here so that impls, which imports nothing of the harness, can say "1 epoch"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """A count and its noun, singular for exactly one: "1 epoch", "10 epochs", "2,000 calls".

    The plural adds "s" to the last word ("1 finished epoch", "3 finished epochs");
    ``many`` is given where that is wrong ("1 matrix", "3 matrices").
    """
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"
