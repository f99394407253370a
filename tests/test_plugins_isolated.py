"""Plugins cannot break the registry: a plugin that exits, hangs or crashes on import is
listed as broken, and every other command works without it.

Plugins are registered as a real installed package would be: a dist-info folder with an
``entry_points.txt`` on ``PYTHONPATH``. Everything that may kill an interpreter runs the CLI
in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slimbench.impls import Tier
from slimbench.impls.floor import Floor
from slimbench.impls.plugins import TierClassError, check_tier_class
from slimbench.impls.python_indptr import PythonIndptr

SLIMBENCH = [sys.executable, "-m", "slimbench.cli"]

GOOD = """
import os, sys
from pathlib import Path
from slimbench.impls.python_indptr import PythonIndptr

with open(Path(__file__).with_name("imported-by"), "a") as fh:  # who imported this module
    fh.write(f"{os.getpid()}\\n")


class GoodTier(PythonIndptr):
    name = "plugin-good"
    description = "python-indptr, from an installed package"
"""
OLD_FLOOR = """
from slimbench.impls.floor import Floor


class OldFloor(Floor):
    name = "plugin-old-floor"
    description = "the floor, its class under the name it had before 'floor'"
    exactness = "baseline"
"""
PLUGINS = {
    "good": GOOD,
    "old_floor": OLD_FLOOR,
    "exits": "import sys\nsys.exit(0)\n",
    "hard_exit": "import os\nos._exit(0)\n",
    "sleeps": "import time\ntime.sleep(120)\n",
    "crashes": "import ctypes\nctypes.string_at(0)\n",
    "raises": "raise RuntimeError('no config file')\n",
}

#: the plugins that load: their tier and class names
WORKING = {"good": ("plugin-good", "GoodTier"), "old_floor": ("plugin-old-floor", "OldFloor")}


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory) -> tuple[dict, Path]:
    """An environment in which seven plugins are installed, five of them broken."""
    root = tmp_path_factory.mktemp("plugins")
    lines = ["[slimbench.tiers]"]
    for name, source in PLUGINS.items():
        (root / f"plug_{name}.py").write_text(textwrap.dedent(source))
        tier, cls = WORKING.get(name, (name, "GoodTier"))
        lines.append(f"{tier} = plug_{name}:{cls}")
    dist = root / "slimplugs-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: slimplugs\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(root), "SLIMBENCH_PLUGIN_TIMEOUT": "2"}
    return env, root


def _run(args: list[str], env: dict) -> tuple[subprocess.CompletedProcess, int]:
    proc = subprocess.Popen(
        [*SLIMBENCH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid


def _importers(root: Path) -> set[int]:
    marker = root / "imported-by"
    return {int(p) for p in marker.read_text().split()} if marker.exists() else set()


def test_tiers_lists_broken_plugins_with_their_reason_and_imports_none(plugin_env):
    env, root = plugin_env
    proc, pid = _run(["tiers"], env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith("plugin-good "))
    row = " ".join(lines[at : at + 2])  # its origin on the next line where one does not fit
    assert "plugin slimplugs: plugin-good = plug_good:GoodTier" in row and "available" in row
    broken = {}  # each broken plugin's line and the indented lines of its reason below it
    for line in proc.stdout.splitlines():
        if line.startswith("plugin broken"):
            name = line.split("'")[1]
            broken[name] = line
        elif line.startswith("    ") and broken:
            broken[name] += " " + line.strip()
    assert "raised SystemExit: 0" in broken["exits"]
    assert "exited the interpreter with status 0" in broken["hard_exit"]
    assert "took longer than 2 s" in broken["sleeps"]
    assert "killed the interpreter (SIGSEGV)" in broken["crashes"]
    assert "raised RuntimeError: no config file" in broken["raises"]
    assert pid not in _importers(root)  # listed from the probe, not imported in the CLI


def test_other_commands_work_without_the_broken_plugins(plugin_env):
    env, root = plugin_env
    proc, _ = _run(["check", "--tiers", "python-naive"], env)
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    proc, pid = _run(["check", "--tiers", "plugin-good"], env)
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    # selected: imported in the worker processes that describe, check and run it, never in
    # the harness's own process
    assert _importers(root) and pid not in _importers(root)


def test_a_plugin_that_declares_the_old_class_baseline_is_listed_and_checked_as_floor(
    plugin_env,
):
    env, _ = plugin_env
    proc, _ = _run(["tiers"], env)
    row = next(line for line in proc.stdout.splitlines() if line.startswith("plugin-old-floor "))
    assert row.split()[1] == "floor", row
    proc, _ = _run(["check", "--tiers", "plugin-old-floor"], env)
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    assert "baseline" not in proc.stdout


def test_selecting_a_broken_plugin_is_one_line(plugin_env):
    env, _ = plugin_env
    proc, _ = _run(["check", "--tiers", "exits"], env)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "'exits' is a plugin that cannot be loaded" in proc.stderr
    assert "raised SystemExit: 0" in proc.stderr


# -- validation of a tier class (no import of plugin code needed) --------------------------


def _tier(**attrs) -> type[Tier]:
    return type("Candidate", (PythonIndptr,), {"description": "a candidate", **attrs})


@pytest.mark.parametrize(
    "attrs, expected",
    [
        ({"name": 3}, "the tier name is 3 (int); set name to a string"),
        ({"name": "a,b@c"}, "'a,b@c' cannot be selected with --tiers"),
        ({"name": "all"}, "'all' cannot be selected"),
        ({"name": "two words"}, "cannot be selected"),
        ({"name": "mod:cls"}, "cannot be selected"),
        ({"name": "f", "exactness": "floor"}, "exactness 'floor' is checked by the checksums"),
        # the class's old name is its alias, and as strict
        ({"name": "b", "exactness": "baseline"}, "has no expected_checksums"),
        ({"name": "r", "exactness": "replay"}, "needs a subclass of slimbench.impls.ReplayTier"),
        ({"name": "d", "description": None}, "the description is None, not a string"),
    ],
)
def test_an_unusable_tier_class_is_refused_in_one_line(attrs, expected):
    with pytest.raises(TierClassError) as info:
        check_tier_class(_tier(**attrs), "spec x:Y")
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_a_floor_subclass_is_a_valid_floor():
    floor = type("MyFloor", (Floor,), {"name": "my-floor", "description": "a floor"})
    assert check_tier_class(floor, "spec x:MyFloor") is floor
    assert floor.exactness == "floor"


def test_a_tier_class_of_the_old_class_name_baseline_is_a_floor():
    attrs = {"name": "my-old-floor", "description": "a floor", "exactness": "baseline"}
    floor = type("MyOldFloor", (Floor,), attrs)
    assert check_tier_class(floor, "spec x:MyOldFloor") is floor
    assert floor.exactness == "floor"


SPECS = """
import sys
from slimbench.impls.python_indptr import PythonIndptr


class InitRaises(PythonIndptr):
    name = "init-raises"
    description = "its constructor fails"

    def __init__(self, *args, **kwargs):
        raise ZeroDivisionError("no tier today")
"""


@pytest.mark.parametrize(
    "module, spec, code, expected",
    [
        (SPECS, "myspecs:InitRaises", 1, "creating it raised ZeroDivisionError: no tier today"),
        ("import sys\nsys.exit(3)\n", "myspecs:Any", 2, "raised SystemExit: 3"),
        ("raise KeyError('x')\n", "myspecs:Any", 2, "raised KeyError: 'x'"),
    ],
)
def test_a_class_spec_whose_code_fails_is_one_line(module, spec, code, expected, tmp_path):
    (tmp_path / "myspecs.py").write_text(textwrap.dedent(module))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc, _ = _run(["check", "--tiers", spec], env)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert expected in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
