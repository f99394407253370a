"""The documented result schema (docs/results-schema.md) lists exactly the keys a real
results.json has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slimbench.cli import main

SCHEMA_DOC = Path(__file__).resolve().parents[1] / "docs" / "results-schema.md"


def _top_level_names(text: str) -> list[str]:
    """Key names at nesting depth 0 of a schema line: 'a, b{x, y}, c (note)' -> a, b, c."""
    depth, flat = 0, []
    for ch in text:
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif depth == 0:
            flat.append(ch)
    return [m.group(0) for m in re.finditer(r"[A-Za-z_][\w-]*\??", "".join(flat))]


def documented_schema() -> dict[str, list[str]]:
    """Section -> listed keys, from the documented results.json block."""
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    start = text.index("`results.json`, schema `slimbench.output.results`")
    block = text[text.index("```", start) + 3 : text.index("```", text.index("```", start) + 3)]
    sections: dict[str, str] = {}
    current = None
    for line in block.strip().splitlines():
        head = re.match(r"^(\w+):\s+(.*)$", line)
        if head:
            current = head.group(1)
            sections[current] = head.group(2)
        elif current:
            sections[current] += " " + line.strip()
    return {name: _top_level_names(body) for name, body in sections.items()}


def _compare(listed: list[str], actual: dict, where: str) -> None:
    required = {k for k in listed if not k.endswith("?")}
    optional = {k.rstrip("?") for k in listed if k.endswith("?")}
    assert required <= set(actual), (
        f"{where}: in {SCHEMA_DOC.name}, not in results.json: {required - set(actual)}"
    )
    assert set(actual) <= required | optional, (
        f"{where}: in results.json, not in {SCHEMA_DOC.name}: {set(actual) - required - optional}"
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("schema-run")
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", "cython-rand,dask-bucketed,floor"]
    assert main([*argv, "--budget", "0.3", "--rounds", "2", "--out", str(out)]) == 0
    doc = json.loads((out / "results.json").read_text())
    doc["_csv"] = (out / "results.csv").read_text()
    return doc


def test_readme_schema_matches_a_real_results_file(results):
    schema = documented_schema()
    _compare(schema["top"], {k: v for k, v in results.items() if k != "_csv"}, "top level")
    for section in ("dataset", "options", "machine", "bandwidth", "noise"):
        _compare(schema[section], results[section], section)
    _compare(schema["check"], results["check"][0], "check")
    for tier in results["tiers"]:
        _compare(schema["tiers"], tier, f"tiers ({tier['name']})")


def test_options_hold_resolved_numbers(results):
    options = results["options"]
    assert isinstance(options["threads"], int) and options["threads"] >= 1
    assert options["warmup_seconds"] == round(options["warmup_seconds"], 6)
    rows = [line.split(",") for line in results["_csv"].splitlines()]
    header, rand = rows[0], next(r for r in rows if r[0] == "cython-rand")
    assert rand[header.index("yellow_lines")].isdigit()  # 14, not 14.0
    # a loaded machine may spend the 0.3 s budget in one round: the count is whatever ran,
    # written as an integer and equal to the rounds recorded in results.json
    rand_doc = next(t for t in results["tiers"] if t["name"] == "cython-rand")
    ran = len(rand_doc["rounds"])
    assert rand[header.index("rounds")] == str(ran) and ran in (1, 2)
    assert rand[header.index("threads")] == "1"
