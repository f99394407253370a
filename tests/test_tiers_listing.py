"""`slimbench tiers` fits the terminal: $COLUMNS (80 and up), or 100 columns when piped."""

from __future__ import annotations

import pytest

from slimbench.cli import main
from slimbench.commands.tiers import tier_lines
from slimbench.impls import get_tier, tier_names


@pytest.mark.parametrize("width", [80, 100, None])
def test_the_listing_fits_and_keeps_every_name_whole(width, capsys, monkeypatch):
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(width))
    assert main(["tiers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= (width or 100), max(lines, key=len)
    for name in tier_names():
        row = next(line for line in lines if line.startswith(f"{name} "))
        cls = get_tier(name)
        assert cls.exactness in row and "available" in row  # class and availability with it
        python_class = f"{cls.__module__}.{cls.__qualname__}"
        assert any(python_class in line for line in lines)  # a dotted name is never cut


def test_a_wide_terminal_gets_one_line_per_tier():
    rows = [("python-naive", "bitwise", "built-in", "slimbench.impls.A", "available")]
    rows += [("floor", "floor", "built-in", "slimbench.impls.B", "available")]
    lines = tier_lines(rows, 200)
    assert len(lines) == 3 and lines[1].endswith("built-in; slimbench.impls.A")
    narrow = tier_lines(rows, 60)  # each tier's origin and class on an indented second line
    assert len(narrow) == 6 and narrow[2:4] == [
        "python-naive  bitwise   available",
        "    built-in; slimbench.impls.A",
    ]
