"""The import direction between the folders, so the layering stays true as the code grows.

commands and notebook -> sessions -> training -> measure, output, quality -> data -> leaves
(figures/ and the modules directly in bench/) -> impls; impls imports nothing of bench.
Every import counts, the lazy ones inside functions too: a lazy import hides a dependency,
it does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LEAVES = {"leaf", "impls"}
#: what each room may import besides itself
MAY_IMPORT: dict[str, set[str]] = {
    "impls": set(),
    "leaf": {"impls"},
    "data": LEAVES,
    "quality": LEAVES | {"data"},
    "measure": LEAVES | {"data"},
    "output": LEAVES | {"data"},
    "training": LEAVES | {"data", "measure", "output", "quality"},
    "sessions": LEAVES | {"data", "measure", "output", "quality", "training"},
    "commands": LEAVES | {"data", "measure", "output", "quality", "training", "sessions"},
    "notebook": LEAVES | {"data", "measure", "output", "quality", "training", "sessions"},
    "cli": LEAVES | {"commands"},
}


def _modules() -> dict[str, Path]:
    """Installed module name -> file, for the package's two trees."""
    out = {}
    for tree, package in ((ROOT / "bench", "slimbench"), (ROOT / "impls", "slimbench.impls")):
        for path in tree.rglob("*.py"):
            parts = list(path.relative_to(tree).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package, *parts])] = path
    return out


MODULES = _modules()


def room(module: str) -> str:
    """The folder (room) a module lives in: impls, a bench sub-folder, cli or leaf."""
    parts = module.split(".")
    if module == "slimbench":
        return "root"
    if parts[1] == "impls":
        return "impls"
    if parts[1] == "figures":
        return "leaf"
    if parts[1] == "cli":
        return "cli"
    if (ROOT / "bench" / parts[1]).is_dir():
        return parts[1]
    return "leaf"  # a module directly in bench/


def imports(module: str) -> set[str]:
    """The project modules ``module`` imports, anywhere in its body."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        found |= {c for c in candidates if c in MODULES and c != module}
    return found


GRAPH = {m: imports(m) for m in MODULES}


def test_every_module_is_in_a_known_room():
    rooms = {room(m) for m in MODULES} - {"root"}
    assert rooms <= set(MAY_IMPORT), rooms - set(MAY_IMPORT)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_downwards(module):
    here = room(module)
    if here == "root":  # the package's front door: its only imports are lazy, on first use
        return
    wrong = sorted(
        f"{target} ({room(target)})"
        for target in GRAPH[module]
        if room(target) not in {here, "root"} | MAY_IMPORT[here]
        # a package's own __init__ (its docstring, its version) may be read from below
    )
    assert not wrong, f"{module} ({here}) imports upwards: {wrong}"


def test_impls_imports_nothing_of_bench():
    for module in (m for m in MODULES if room(m) == "impls"):
        assert all(room(t) == "impls" for t in GRAPH[module]), module


#: cycles that exist and are being taken apart; a new one fails the test
KNOWN_CYCLES: list[list[str]] = []


def test_no_cycle_between_modules():
    """Tarjan's strongly connected components; a component of more than one is a cycle."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    new = [c for c in cycles if c not in KNOWN_CYCLES]
    assert not new, new
