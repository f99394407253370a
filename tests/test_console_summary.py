"""The console summary: it fits the terminal, shows every figure whole, names the answer."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from slimbench.formatting import human_rate
from slimbench.output.console import print_noise, print_table
from slimbench.output.results import derive_ratios, new_tier_entry, summarize_entry
from slimbench.output.summary_table import (
    choose_columns,
    first_columns,
    headline,
    ratio_text,
    summary_rows,
)

#: the 17 tiers of a default run with speeds like the README's (samples/s)
TIERS = [
    ("python-naive", "bitwise", 8.1e3),
    ("python-indptr", "bitwise", 11e3),
    ("cython-untyped", "bitwise", 11.5e3),
    ("cython-typed", "bitwise", 88e3),
    ("numba", "bitwise", 122e3),
    ("cython-rand", "replay", 137e3),
    ("cython-transposed", "bitwise", 494e3),
    ("cython-bucketed", "bitwise", 742e3),
    ("dask-bucketed", "bitwise", 1.29e6),
    ("dask-bucketed-f32", "close", 1.45e6),
    ("cython-parallel", "bitwise", 1.47e6),
    ("cython-parallel-f32", "close", 1.62e6),
    ("cython-interleaved", "bitwise", 2.92e6),
    ("cython-interleaved-f32", "close", 3.34e6),
    ("floor", "floor", 4.45e6),
    ("floor-f32", "floor", 5.39e6),
    ("floor-compact", "floor", 7.75e6),
]
NNZ = 8_001_696


def make_results(tiers=TIERS, *, origin: dict | None = None, failed: str | None = None) -> dict:
    """A complete round-robin run: nine passes, the same drift in every tier's pass k."""
    entries = []
    for name, exactness, speed in tiers:
        e = new_tier_entry(name, exactness, "")
        e["status"] = "failed-check" if name == failed else "measured"
        e["check"] = {"verdict": "fail" if name == failed else "pass"}
        e["threads"] = 2 if speed > 1e6 else 1
        e["yellow_lines"] = 0 if name.startswith("cython") else None
        e["profile_layout"] = "compact" if "interleaved" in name or name == "floor-compact" else (
            "8 B" if name.endswith("f32") else "12 B"
        )
        e["floor"] = {"12 B": "floor", "8 B": "floor-f32", "compact": "floor-compact"}[
            e["profile_layout"]
        ] if exactness != "floor" else None
        if name != failed:
            steps = 100_000
            e["rounds"] = [
                {"steps": steps, "seconds": steps / (speed * (1 - 0.01 * (k % 3))), "loss": 1.0}
                for k in range(9)
            ]
        if origin and name == origin["name"]:
            e["origin"] = {"kind": origin["kind"]}
        summarize_entry(e, NNZ, 10)
        entries.append(e)
    derive_ratios(entries, paired=True)
    return {
        "dataset": {"name": "synthetic-ml10m", "train_nnz": NNZ},
        "options": {"epochs": 10, "seed": 0, "scheduling": "round-robin"},
        "tiers": entries,
    }


def render(results: dict, width: int, monkeypatch, *, terminal: bool = False, **kw) -> str:
    monkeypatch.delenv("COLUMNS", raising=False)
    buffer = io.StringIO()
    # a piped console as the CLI makes it (wide_console: 200 columns) or a terminal
    console = Console(file=buffer, width=width if terminal else 200, force_terminal=terminal)
    if not terminal:
        monkeypatch.setenv("COLUMNS", str(width))
    print_table(results, console, **kw)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 100, 120])
def test_the_summary_fits_its_width_and_shows_every_figure_whole(width, monkeypatch):
    results = make_results()
    text = render(results, width, monkeypatch)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, max(lines, key=len)
    rows = summary_rows(results)
    for row in rows:  # no figure cut to "3.…"
        assert f" {row['samples/s']} " in text
        assert f" {row['10 epochs']} " in text
        assert f" {row['vs rand']} " in text
    assert "…" not in text
    for col in first_columns(results):
        assert col in text


def test_piped_output_without_columns_is_a_fixed_100(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    buffer = io.StringIO()
    print_table(make_results(), Console(file=buffer, width=200), wide=False)
    assert max(len(line) for line in buffer.getvalue().splitlines()) <= 100


def test_wide_prints_every_column(monkeypatch):
    text = render(make_results(), 100, monkeypatch, wide=True)
    for col in ("interval (coverage)", "% floor (layout)", "yellow", "threads"):
        assert col in text
    assert "more columns" not in text


def test_a_narrow_table_says_where_the_other_columns_are(monkeypatch):
    text = render(make_results(), 80, monkeypatch)
    assert "more columns (" in text and "--wide" in text


def test_the_floors_are_shown_apart_below_the_tiers_that_train(monkeypatch):
    text = render(make_results(), 100, monkeypatch)
    lines = text.splitlines()
    last_trainer = max(i for i, line in enumerate(lines) if "cython-interleaved-f32 " in line)
    first_floor = min(i for i, line in enumerate(lines) if line.startswith("│ floor"))
    assert first_floor > last_trainer + 1  # a section line between them
    assert "━" in lines[last_trainer + 1] or "─" in lines[last_trainer + 1]


def test_the_headline_names_the_fastest_passing_tier_of_each_class(monkeypatch):
    results = make_results(failed="cython-interleaved")
    items = headline(results)
    best = {h["class"]: h["tier"] for h in items if not h["floor"]}
    assert best == {
        "bitwise": "cython-parallel",  # cython-interleaved failed its check
        "close": "cython-interleaved-f32",
        "replay": "cython-rand",
    }
    assert [h["tier"] for h in items if h["floor"]] == ["floor", "floor-f32", "floor-compact"]
    f32 = next(h for h in items if h["tier"] == "cython-interleaved-f32")
    assert f32["vs_rand"] == pytest.approx(3.34e6 / 137e3, rel=0.02)
    text = render(results, 100, monkeypatch)
    assert "fastest close: cython-interleaved-f32, 3.31M samples/s, 24.4x cython-rand" in text
    assert "fastest bitwise: cython-parallel" in text
    assert "floors (train nothing" in "".join(text.rstrip().splitlines()[-2:])
    assert "failed-check" in text  # the failed tier shows its status where its figure would be


def test_a_user_tier_is_the_default_vs_column():
    tiers = [("python-naive", "bitwise", 8e3), ("mine-v1", "bitwise", 50e3)]
    tiers += [("mine-v2", "bitwise", 80e3), ("cython-rand", "replay", 137e3)]
    results = make_results(tiers, origin={"name": "mine-v1", "kind": "file"})
    assert first_columns(results)[3] == "vs mine-v1"
    rows = {r["tier"]: r for r in summary_rows(results)}
    assert rows["mine-v2"]["vs mine-v1"] == "1.6x"
    assert rows["mine-v1 (user)"]["vs mine-v1"] == "1.0x"


def test_vs_names_a_tier_where_neither_baseline_ran():
    # `--tiers cython-bucketed,dask-bucketed@2`: the README's 1.69x without working it out
    results = make_results([("cython-bucketed", "bitwise", 742e3), ("dask-bucketed@2", "bitwise",
                                                                     1.254e6)])
    label = first_columns(results)[3]
    assert label == "vs cython-bucketed"
    rows = {r["tier"]: r for r in summary_rows(results)}
    assert rows["dask-bucketed@2"][label] == "1.7x"


def test_explicit_vs_is_paired_like_the_other_ratios():
    results = make_results()
    derive_ratios(results["tiers"], paired=True, vs="cython-parallel")
    interleaved = next(t for t in results["tiers"] if t["name"] == "cython-interleaved")
    assert interleaved["speedup_interval"]["cython-parallel"]["passes"] == 9
    rows = summary_rows(results, vs="cython-parallel")
    assert first_columns(results, vs="cython-parallel")[3] == "vs cython-parallel"
    assert {r["tier"]: r for r in rows}["cython-interleaved"]["vs cython-parallel"] == "2.0x"


def test_columns_are_chosen_first_things_first():
    results = make_results()
    rows = summary_rows(results)
    first = first_columns(results)
    narrow = choose_columns(rows, first, 80)
    assert narrow[:5] == ["tier", "check", "samples/s", "vs rand", "10 epochs"]
    assert set(choose_columns(rows, first, None)) >= {"yellow", "threads", "class"}


def test_an_interrupted_figure_says_so_and_one_tier_has_no_vs_itself(monkeypatch):
    results = make_results([("cython-typed", "bitwise", 88e3)])
    results["tiers"][0]["status"] = "interrupted"
    assert first_columns(results) == [
        "tier", "check", "samples/s", "vs rand", "10 epochs", "status"
    ]
    text = render(results, 100, monkeypatch)
    assert "vs cython-typed" not in text
    row = next(line for line in text.splitlines() if line.startswith("│ cython-typed"))
    assert "interrupted" in row


@pytest.mark.parametrize("width", range(80, 121, 2))
def test_the_command_for_the_other_columns_is_never_split_by_a_wrap(monkeypatch, width):
    text = render(make_results(), width, monkeypatch)
    assert any("`slimbench report RESULTS.json --wide`" in line for line in text.splitlines())


@pytest.mark.parametrize("width", range(80, 121))
def test_headline_and_noise_lines_keep_each_tier_with_its_figure(monkeypatch, width):
    results = make_results()
    results["noise"] = {
        "noisy_tiers": {"cython-interleaved-f32": 0.14, "dask-bucketed-f32": 0.12,
                        "cython-parallel-f32": 0.11, "numba": 0.105},
        "warnings": ["other processes used 42% of the machine during the 103 s of timing, "
                     "49% of the machine's 2 cores: figures may be low and their intervals wide"],
    }
    monkeypatch.setenv("COLUMNS", str(width))
    buffer = io.StringIO()
    console = Console(file=buffer, width=200)
    print_table(results, console)
    print_noise(results, console)
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width, max(lines, key=len)
    pairs = []
    for h in headline(results):
        rate = human_rate(h["samples_per_second"])
        pairs.append(f"{h['tier']} {rate}" if h["floor"] else f"{h['tier']}, {rate} samples/s")
        if h["vs_rand"] is not None and not h["floor"]:
            pairs.append(f"{ratio_text(h['vs_rand'])} cython-rand")
    # the three noisiest tiers are named, each with its spread
    pairs += ["cython-interleaved-f32 14%", "dask-bucketed-f32 12%", "cython-parallel-f32 11%"]
    for pair in pairs:
        assert any(pair in line for line in lines), (pair, lines)
    noise = [line for line in lines if "noise:" in line]
    assert len(noise) == 2 and all(line.startswith("noise: ") for line in noise)
