"""The notebook path: the Python API, the magics, tiers sent by value, the worked notebook.

The magics run in an in-process IPython shell; the worked notebook
(examples/your_own_loop.ipynb) is executed by nbclient in a real kernel on a small dataset.
Cython cells are built into a build cache kept in pytest's cache folder, so only the first
run of the suite compiles them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import slimbench
from slimbench.impls import InvalidInputError, registry
from slimbench.impls.user_build import TierFileError
from slimbench.impls.user_tier import load_tier_file
from slimbench.notebook.results_view import RunResults

nbformat = pytest.importorskip("nbformat")
IPython = pytest.importorskip("IPython")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "your_own_loop.ipynb"
TEMPLATE_PY = (ROOT / "impls" / "templates" / "new_tier.py").read_text()


def _py_loop(update: str = "item_item_S[profile_item_id, item_id]") -> str:
    """The `slimbench new-tier --py` template's loop, with its update target replaced."""
    body = TEMPLATE_PY.split('"""', 2)[2]  # past the module docstring
    body = re.sub(r"^(NAME|DESCRIPTION|EXACTNESS) = .*$", "", body, flags=re.M)
    return body.replace("item_item_S[profile_item_id, item_id] +=", f"{update} +=")


@pytest.fixture
def unregister():
    """Forget the tiers a test registers, so names can be reused."""
    before = set(registry._TIERS)
    yield
    for name in set(registry._TIERS) - before:
        registry._TIERS.pop(name)


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """An in-process IPython shell with `%load_ext slimbench` (its history in a tmp folder)."""
    from IPython.core.interactiveshell import InteractiveShell

    old = os.environ.get("IPYTHONDIR")
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "slimbench")
    yield ip
    InteractiveShell.clear_instance()
    if old is None:
        os.environ.pop("IPYTHONDIR", None)
    else:
        os.environ["IPYTHONDIR"] = old


def test_import_slimbench_loads_neither_ipython_nor_the_tiers():
    code = (
        "import sys, slimbench\n"
        "assert callable(slimbench.run) and callable(slimbench.check)\n"
        "print('IPython' in sys.modules, 'cloudpickle' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_cell_rerun_replaces_its_tier_but_never_a_builtin(tmp_path, unregister):
    first = tmp_path / "mine.py"
    first.write_text(_py_loop() + "\nNAME = 'mine'\n")
    assert load_tier_file(first, replace=True) == "mine"
    old = registry.get_tier("mine")
    first.write_text(_py_loop() + "\n# edited\nNAME = 'mine'\n")
    assert load_tier_file(first, replace=True) == "mine"
    assert registry.get_tier("mine") is not old
    with pytest.raises(TierFileError, match="the tier name 'mine' is taken"):
        other = tmp_path / "other.py"
        other.write_text(_py_loop() + "\n# other\nNAME = 'mine'\n")
        load_tier_file(other)  # without replace: refused as before
    builtin = tmp_path / "rand.py"
    builtin.write_text(_py_loop() + "\nNAME = 'cython-rand'\n")
    with pytest.raises(TierFileError, match="belongs to a built-in tier, which cannot be replaced"):
        load_tier_file(builtin, replace=True)
    assert registry.get_tier("cython-rand").origin == {"kind": "built-in"}


def test_a_function_from_main_reaches_another_process_by_value(tmp_path):
    """Written by a script's __main__, loaded by a process that never saw its source."""
    pickled = tmp_path / "loop.pkl"
    writer = _py_loop().replace("def train_steps(", "def my_main_loop(") + textwrap.dedent(
        f"""
        from pathlib import Path
        from slimbench.impls.pickled_tier import write_pickled_tier
        write_pickled_tier(my_main_loop, Path({str(pickled)!r}))
        """
    )
    subprocess.run([sys.executable, "-c", writer], check=True)
    reader = textwrap.dedent(
        f"""
        from slimbench.impls import get_tier
        from slimbench.impls.pickled_tier import load_pickled_tier
        from slimbench.measure.check import check_tiers
        name = load_pickled_tier({str(pickled)!r})
        print(name, get_tier(name).origin["kind"], check_tiers([name])[0].verdict)
        """
    )
    out = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True)
    assert out.stdout.split() == ["my-main-loop", "pickle", "pass"], out.stderr


def test_check_takes_functions_and_classes_defined_in_main(unregister):
    from slimbench.impls.python_indptr import PythonIndptr

    namespace: dict = {"__name__": "__main__"}
    exec(_py_loop().replace("def train_steps(", "def cell_loop("), namespace)  # a cell's def
    bad: dict = {"__name__": "__main__"}
    exec(
        _py_loop("item_item_S[item_id, profile_item_id]").replace(
            "def train_steps(", "def swapped_loop("
        ),
        bad,
    )
    cell_class = type(
        "CellTier", (PythonIndptr,), {"name": "cell-class", "__module__": "__main__"}
    )
    result = slimbench.check(tiers=[namespace["cell_loop"], bad["swapped_loop"], cell_class])
    assert not result.passed
    assert result["cell-loop"].passed and result["cell-class"].passed
    assert "first differs at step 1 " in result["swapped-loop"].detail
    assert "sent by value (cloudpickle)" in result.notes["cell-loop"]
    assert registry.get_tier("cell-class").origin["kind"] == "pickle"
    html = result._repr_html_()
    assert "swapped-loop" in html and "FAIL" in html and "<table" in html
    with pytest.raises(InvalidInputError, match="expected tier names"):
        slimbench.check(tiers=[3])


def test_an_object_cloudpickle_cannot_pickle_is_checked_here_and_says_so(unregister):
    import threading

    lock = threading.Lock()
    namespace: dict = {"__name__": "__main__", "LOCK": lock}
    source = _py_loop().replace("def train_steps(", "def locked_loop(")
    source = source.replace("    loss = 0.0\n", "    loss = 0.0\n    with LOCK:\n        pass\n", 1)
    exec(source, namespace)
    result = slimbench.check(tiers=[namespace["locked_loop"]])
    # checked in this process while tiers run in-process; where every tier from outside
    # runs in a worker, the worker cannot load it: either way the verdict says why
    assert result["locked-loop"].verdict in ("pass", "error")
    assert "not sent to a worker" in result.notes["locked-loop"]
    assert "cannot be pickled by value" in result.notes["locked-loop"]


def test_run_returns_a_results_object_and_writes_nothing_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = slimbench.run(
        tiers=["python-naive", "cython-typed"],
        dataset="synthetic-tiny",
        budget=0.4,
        rounds=2,
        annotate=False,
        progress=False,
    )
    assert list(tmp_path.iterdir()) == []  # no reports/ folder
    frame = results.to_frame()
    assert list(frame["tier"]) == ["python-naive", "cython-typed"]
    for column in (
        "exactness",
        "check",
        "status",
        "samples_per_second",
        "samples_per_second_ci_low",
        "samples_per_second_ci_high",
        "speedup_vs_python_naive",
        "training_time_seconds",
    ):
        assert column in frame
    assert (frame["samples_per_second"] > 0).all()
    html = results._repr_html_()
    header = re.findall(r"<th>(.*?)</th>", html)
    assert header[:5] == ["tier", "check", "samples/s", "vs naive", "10 epochs"]
    assert results.plot().axes
    report = results.save(tmp_path / "kept")
    assert {p.name for p in report.parent.iterdir()} >= {
        "results.json",
        "results.csv",
        "report.html",
        "speed.png",
    }


def test_summary_lists_why_a_tier_has_no_figure(tiny_results):
    entry = tiny_results["tiers"][0]
    entry.update(status="failed-check", error="cross-check fail: S differs")
    entry["samples_per_second"] = None
    text = repr(RunResults(tiny_results))
    assert f"{entry['name']}: cross-check fail: S differs" in text


@pytest.fixture
def tiny_results() -> dict:
    """A results document with two measured tiers (no run needed)."""
    rounds = [{"steps": 1000, "seconds": 0.5, "loss": 1.0}] * 3
    tiers = []
    for name, speed in (("python-naive", 1.0), ("cython-rand", 50.0)):
        tiers.append(
            {
                "name": name,
                "exactness": "bitwise",
                "status": "measured",
                "check": {"verdict": "pass"},
                "rounds": [dict(r, seconds=r["seconds"] / speed) for r in rounds],
                "samples_per_second": {"median": 2000 * speed, "n": 1},
                "speedup": {"python-naive": speed},
                "training_time": {"human": "1 s", "seconds": 1.0},
                "origin": {"kind": "built-in"},
            }
        )
    return {
        "options": {"epochs": 10, "seed": 0},
        "dataset": {"name": "tiny", "train_nnz": 1000},
        "status": "complete",
        "tiers": tiers,
    }


def test_tier_magic_passes_replaces_and_reports_errors_at_the_cells_line(shell, unregister):
    verdict = shell.run_cell_magic("slimbench_tier", "magic-py --py", _py_loop())
    assert verdict.passed and verdict["magic-py"].verdict == "pass"
    first = registry.get_tier("magic-py")
    verdict = shell.run_cell_magic(
        "slimbench_tier", "magic-py --py", _py_loop("item_item_S[item_id, profile_item_id]")
    )
    assert not verdict.passed and registry.get_tier("magic-py") is not first
    assert "first differs at step" in verdict["magic-py"].detail
    broken = _py_loop().replace("loss = 0.0", "loss = (0.0", 1)
    line = 1 + broken.splitlines().index("    loss = (0.0")
    verdict = shell.run_cell_magic("slimbench_tier", "magic-py --py", broken)
    assert verdict["magic-py"].verdict == "error"
    assert f"line {line}" in verdict["magic-py"].detail
    assert "magic-py" not in registry.tier_names()  # the last good version is not timed
    refused = shell.run_cell_magic("slimbench_tier", "cython-rand --py", _py_loop())
    assert "cannot be replaced" in refused["cython-rand"].detail


def _shown(capsys) -> str:
    out = capsys.readouterr()
    return re.sub(r"\x1b\[[0-9;]*m", "", out.out + out.err)  # the shell's colours


def test_magics_refuse_bad_lines_with_one_line(shell, capsys):
    result = shell.run_cell("%slimbench_run no-such-tier --budget 1")
    assert isinstance(result.error_in_exec, slimbench.impls.UnknownTierError)
    text = _shown(capsys)
    assert "UnknownTierError: unknown tier 'no-such-tier'" in text
    assert "Traceback" not in text
    shell.run_cell("%slimbench_run python-naive --budget -1")
    assert "MagicArgumentError: %slimbench_run: argument --budget" in _shown(capsys)


def _texts(cell) -> str:
    """Every text a cell output holds (streams, text/plain, HTML)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        for key in ("text/plain", "text/html"):
            value = out.get("data", {}).get(key)
            if value:
                parts.append(value if isinstance(value, str) else "".join(value))
        if out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


def _cell(nb, starting: str):
    return next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(starting))


def _tier_cell(nb, name: str):
    """The `%%slimbench_tier NAME ...` cell of tier NAME."""
    return next(
        c
        for c in nb.cells
        if c.cell_type == "code"
        and c.source.split("\n", 1)[0].split()[:2] == ["%%slimbench_tier", name]
    )


def test_the_worked_notebook_executes_with_its_verdicts(build_cache, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "the notebook is committed with its outputs cleared"
    )
    env = {
        "SLIMBENCH_NOTEBOOK_DATASET": "synthetic-tiny",
        "SLIMBENCH_NOTEBOOK_BUDGET": "0.5",
        "SLIMBENCH_NOTEBOOK_ROUNDS": "3",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
        ).execute()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    for cell in nb.cells:  # nothing a terminal would interpret ends up in a cell's output
        text = _texts(cell)
        assert "\x1b" not in text and "\r" not in text, cell.source[:60]
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", []))
    for name in ("my-loop", "my-loop-fast", "my-loop-py"):
        assert re.search(rf"{name} +bitwise +PASS", _texts(_tier_cell(nb, name))), name
    bug = _texts(_tier_cell(nb, "my-loop-bug"))
    assert "FAIL" in bug and "first differs at step 1 " in bug and "last entry" in bug
    swapped = _texts(_tier_cell(nb, "my-loop-swapped"))
    assert "FAIL" in swapped and "first differs at step" in swapped
    assert " in its step loop of " in _texts(_tier_cell(nb, "my-loop-fast"))
    plot = _cell(nb, "seed_run.plot()")["outputs"]
    assert any("image/png" in o.get("data", {}) for o in plot), "the Figure shows as a PNG"
    yours = _texts(_cell(nb, "yours = %slimbench_run"))
    for name in ("python-naive", "cython-rand", "my-loop (user)", "my-loop-fast (user)"):
        assert name in yours
    api = _texts(_cell(nb, "api_run = slimbench.run("))
    ratio = float(re.search(r"my-loop is (\d+)x my-loop-py", api)[1])
    assert ratio >= 10  # compiled against pure Python is ~50x and more
    for name in ("cython-rand", "my-loop", "my-loop-py"):
        assert re.search(rf"^{re.escape(name)} +pass +\d", api, flags=re.M), name
    assert _texts(_cell(nb, "bug_check = ")).startswith("False")
    assert "sent by value (cloudpickle)" in _texts(_cell(nb, "def my_function_loop("))
