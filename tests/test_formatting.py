"""How counts and lists are written for people: one plural helper, wraps between items."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from slimbench.formatting import item_segments, plural, wrap_segments

ROOT = Path(__file__).resolve().parent.parent


def test_plural_is_singular_for_exactly_one():
    assert plural(1, "epoch") == "1 epoch"
    assert plural(0, "epoch") == "0 epochs"
    assert plural(10, "epoch") == "10 epochs"
    assert plural(2000, "call") == "2,000 calls"
    assert plural(1, "finished epoch") == "1 finished epoch"
    assert plural(3, "entry", "entries") == "3 entries"


#: nouns of counts that can be 1: "{n} epochs" reads "1 epochs" when n is 1
COUNTED = re.compile(
    r"^ (epochs|rounds|calls|cores|tiers|checks|threads|workers|passes|repeats|columns"
    r"|elements|entries|files)\b"
)
#: "{n} call(s)": a count with a hedged plural, the helper's job
HEDGED = re.compile(r"^ [\w -]{0,30}?\w\(s\)")
#: (file, the text after the value) that are no hand plural: a count never 1 there, or no count
NOT_COUNTS = {
    ("impls/cython_parallel.py", "threads on"),  # only for more threads than cores
    ("impls/user_tier.py", "files (includes, cimports)"),  # only for more than one file
    ("bench/commands/run.py", "repeats: max/min - 1"),  # --repeat is at least 2 there
    ("bench/measure/diagnose.py", "elements of S differ at that step"),  # only for more than 1
    ("bench/commands/check.py", "passes"),  # "{tier} passes": a verb
    ("bench/figures/noise_record.py", "rounds spread more than"),  # after plural()'s "3 tiers'"
    ("bench/output/results.py", "lists tier(s)"),  # after a file name: a list follows
}


def _hand_plurals(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.JoinedStr):
            continue
        parts = node.values
        for value, after in zip(parts, parts[1:], strict=False):
            if not (isinstance(value, ast.FormattedValue) and isinstance(after, ast.Constant)):
                continue
            text = str(after.value)
            if not (COUNTED.match(text) or HEDGED.match(text)):
                continue
            if not any(rel == f and text.strip().startswith(s) for f, s in NOT_COUNTS):
                found.append(f"{rel}:{node.lineno}: {text.strip()[:40]!r}")
    return found


def test_no_count_is_pluralised_by_hand():
    """Every "{n} epochs" and "{n} call(s)" goes through plural() (the "1 epochs" family)."""
    found = []
    for folder in ("bench", "impls"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += _hand_plurals(path)
    assert not found, "\n".join(found)


def test_templates_pluralise_with_the_helper_too():
    for path in sorted((ROOT / "bench" / "templates").glob("*.html")):
        assert "(s)" not in path.read_text(encoding="utf-8"), path.name


def test_wrapping_keeps_each_item_whole():
    text = "noise: 3 tiers' rounds spread more than 10% of their median (IQR): " + ", ".join(
        f"cython-interleaved-f32-v{k} {10 + k}%" for k in range(6)
    )
    for width in range(40, 121):
        lines = wrap_segments(item_segments(text), width)
        assert max(map(len, lines)) <= width
        for k in range(6):
            assert any(f"cython-interleaved-f32-v{k} {10 + k}%" in line for line in lines)
        assert " ".join(line.strip() for line in lines) == text


@pytest.mark.parametrize("width", [20, 30])
def test_a_segment_wider_than_the_line_is_broken_at_its_words(width):
    lines = wrap_segments(["a very long segment that cannot fit on one line at all"], width)
    assert max(map(len, lines)) <= width and len(lines) > 1
