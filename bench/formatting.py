"""How figures are written for people: rates, durations, pairs of seconds."""

from __future__ import annotations

import math
import re
import textwrap

from .impls.wording import plural as plural  # the one plural, shared with the tiers


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
    """Two durations in seconds with as many decimals as it takes to show how they differ.

    "measured 0.6 s; predicted 0.6 s: error -12.5 %" reads as a contradiction, and so does
    "0.4 s; 0.5 s: +32.1 %" (the shown figures say +25 %): decimals are added until the
    difference the shown figures imply, (a - b) / b, is within 10 % of the true one (or half
    a percentage point). Equal values keep one decimal.
    """
    true = (a - b) / b if b else 0.0
    for decimals in range(1, most + 1):
        x, y = f"{a:.{decimals}f}", f"{b:.{decimals}f}"
        if a == b or not b:  # nothing to show apart, or no difference to keep true
            return f"{x} s", f"{y} s"
        shown = (float(x) - float(y)) / float(y) if float(y) else None
        if shown is not None and abs(shown - true) <= max(0.005, 0.1 * abs(true)):
            return f"{x} s", f"{y} s"
    return f"{a:.{most}f} s", f"{b:.{most}f} s"


_ITEM_BREAK = re.compile(r"(?<=[,;:]) ")


def item_segments(text: str) -> list[str]:
    """``text`` cut after each ", ", "; " and ": ": the places a list of "name figure" items
    may break ("cython-rand 12%, numba 11%" -> ["cython-rand 12%,", "numba 11%"])."""
    return _ITEM_BREAK.split(text)


def wrap_segments(segments: list[str], width: int, indent: str = "  ", lead: str = "") -> list[str]:
    """Lines of at most ``width`` characters, breaking only between ``segments``.

    A terminal's own wrap breaks at any space, between a tier's name and its figure; here a
    segment ("cython-rand 137k") stays whole on one line, continued lines are indented
    (the first one by ``lead``), and only a segment longer than a whole line is broken at
    its spaces.
    """
    lines: list[str] = []
    line = lead
    for segment in segments:
        joined = f"{line} {segment}" if line.strip() else f"{line}{segment}"
        if len(joined) <= width or not line.strip():
            line = joined
        else:
            lines.append(line)
            line = indent + segment
    lines.append(line)
    out = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
        else:  # one segment wider than the line: its words, as a terminal would
            out += textwrap.wrap(
                line.strip(),
                width,
                initial_indent=indent if out else lead,
                subsequent_indent=indent,
                break_on_hyphens=False,
            )
    return out
