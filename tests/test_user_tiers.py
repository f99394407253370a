"""A user's own tier: the function contract (.pyx and .py), the class form, plugins.

Every verdict the check can give a user's loop is produced here by a real file: the
template passes as written, and each broken copy fails with its own clear message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slimbench.cli import main
from slimbench.impls import registry
from slimbench.impls.user_tier import load_tier_file
from slimbench.measure.check import check_tiers
from slimbench.measure.tier_selection import fastest_exact_builtin, select_tiers

SLIMBENCH = [sys.executable, "-m", "slimbench.cli"]


@pytest.fixture(scope="module")
def templates(tmp_path_factory, build_cache) -> dict[str, Path]:
    """`slimbench new-tier` in both forms, written once."""
    folder = tmp_path_factory.mktemp("templates")
    paths = {}
    for suffix in (".pyx", ".py"):
        path = folder / f"tmpl{suffix.replace('.', '_')}{suffix}"
        name = f"tmpl-{suffix[1:]}"
        assert main(["new-tier", name, f"--{suffix[1:]}", "--out", str(path)]) == 0
        paths[suffix] = path
    return paths


@pytest.fixture
def unregister():
    """Forget the tiers a test registers, so names can be reused."""
    before = set(registry._TIERS)
    yield
    for name in set(registry._TIERS) - before:
        registry._TIERS.pop(name)


def _variant(source: Path, folder: Path, name: str, *edits: tuple[str, str]) -> Path:
    """A copy of a template with text replaced (each edit must apply) and its own NAME."""
    text = source.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace(f'NAME = "tmpl-{source.suffix[1:]}"', f'NAME = "{name}"')
    path = folder / f"{name.replace('-', '_')}{source.suffix}"
    path.write_text(text)
    return path


def _check(path: Path, check_urm) -> object:
    name = load_tier_file(path)
    (result,) = check_tiers([name], data=check_urm)
    return result


@pytest.mark.parametrize("suffix", [".pyx", ".py"])
def test_template_passes_as_written(suffix, templates, check_urm, unregister):
    result = _check(templates[suffix], check_urm)
    assert result.verdict == "pass", result.detail
    assert result.max_abs_diff == 0.0


DROP_LAST = (
    "end_profile = URM_train_indptr[user_id",
    "end_profile = -1 + URM_train_indptr[user_id",
)


@pytest.mark.parametrize("suffix", [".pyx", ".py"])
def test_dropped_last_item_names_the_last_profile_entry(
    suffix, templates, tmp_path, check_urm, unregister
):
    path = _variant(templates[suffix], tmp_path, f"drops-last-{suffix[1:]}", DROP_LAST)
    result = _check(path, check_urm)
    assert result.verdict == "fail"
    first = result.first_difference
    assert first["kind"] == "S" and first["step"] >= 1
    assert first["profile_position"] == first["profile_length"]
    assert "is the last entry" in result.detail
    assert f"first differs at step {first['step']:,}" in result.detail
    # the element named is the one the bug skipped: the reference moved it, the loop did not
    assert first["value"] != first["reference"]


def test_a_subtle_fault_is_located_at_its_step(templates, tmp_path, check_urm, unregister):
    # a reversed prediction sum moves only the last bits, and only on profiles of 3+ items
    path = _variant(
        templates[".py"],
        tmp_path,
        "reversed-sum",
        (
            "for index in range(start_profile, end_profile):\n            profile_item_id",
            "for index in range(end_profile - 1, start_profile - 1, -1):\n"
            "            profile_item_id",
        ),
    )
    result = _check(path, check_urm)
    assert result.verdict == "fail"
    first = result.first_difference
    assert first["step"] > 1 and first["profile_length"] >= 3
    assert first["differing_elements"] >= 1
    # rounding, not a wrong step: the verdict says so and names the class that accepts it
    assert first["relative_difference"] <= 1e-4
    assert "precision-only difference" in result.detail and '"close"' in result.detail


def test_a_transposed_write_is_told_where_the_write_went(
    templates, tmp_path, check_urm, unregister
):
    path = _variant(
        templates[".py"],
        tmp_path,
        "transposed-write",
        (
            "item_item_S[profile_item_id, item_id] += learning_rate",
            "item_item_S[item_id, profile_item_id] += learning_rate",
        ),
    )
    result = _check(path, check_urm)
    assert result.verdict == "fail"
    first = result.first_difference
    j, i = first["row"], first["column"]
    assert f"S[{i}, {j}] received that write" in result.detail
    assert "transposed" in result.detail and "precision-only" not in result.detail


def test_exception_in_user_code_names_file_and_line(templates, tmp_path, check_urm, unregister):
    path = _variant(
        templates[".py"],
        tmp_path,
        "raises",
        (
            "        user_id = URM_train_coo_row[index]\n",
            "        user_id = URM_train_coo_row[index]\n        assert sample_num < 5, 'boom'\n",
        ),
    )
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if "boom" in t)
    result = _check(path, check_urm)
    assert result.verdict == "error"
    assert "raised AssertionError: boom" in result.detail
    assert f"({path.name}, line {line})" in result.detail


def test_exception_in_compiled_user_code_names_the_pyx_line(
    templates, tmp_path, check_urm, unregister
):
    path = _variant(
        templates[".pyx"],
        tmp_path,
        "out-of-bounds",
        (
            "end_profile = URM_train_indptr[user_id+1]",
            "end_profile = URM_train_indptr[user_id+9999]",
        ),
    )
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if "9999" in t)
    result = _check(path, check_urm)
    assert result.verdict == "error"
    assert "IndexError" in result.detail and f"({path.name}, line {line})" in result.detail


@pytest.mark.parametrize(
    "returned, expected",
    [
        ("float('nan')", "loss became non-finite at step 1 (train_steps returned nan)"),
        ("None", "returned None (NoneType); it must return the summed squared error"),
        ("[loss]", "it must return the summed squared error as a float"),
    ],
)
def test_bad_return_value(returned, expected, templates, tmp_path, check_urm, unregister):
    path = _variant(
        templates[".py"], tmp_path, "bad-return", ("return float(loss)", f"return {returned}")
    )
    result = _check(path, check_urm)
    assert result.failed and expected in result.detail


@pytest.mark.parametrize(
    "edit, expected",
    [
        ("item_item_S.shape = (-1,)", "changed S: it is now float64 with shape (40000,)"),
        ("item_item_S.dtype = 'int64'", "changed S: it is now int64"),
        ("URM_train_coo_data[0] = 9.0", "wrote into its input array(s) coo_data"),
        ("URM_train_indices[3] = 0", "wrote into its input array(s) indices"),
        ("samples[0] = 0", "wrote into its input array(s) samples"),
    ],
)
def test_contract_violations(edit, expected, templates, tmp_path, check_urm, unregister):
    path = _variant(
        templates[".py"],
        tmp_path,
        "violates",
        ("    return float(loss)", f"    {edit}\n    return float(loss)"),
    )
    result = _check(path, check_urm)
    assert result.failed and expected in result.detail, result.detail


def test_second_build_is_a_cache_hit(templates, tmp_path):
    source = _variant(templates[".pyx"], tmp_path, "cached", ("my loop", "my cached loop"))
    env = {**os.environ, "SLIMBENCH_CACHE": str(tmp_path / "cache")}
    code = (
        "import sys; from slimbench.impls.user_build import load_source; "
        "r = load_source(sys.argv[1]); print(r.cache_hit, r.compile_seconds > 0)"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code, str(source)], capture_output=True, text=True, env=env
        ).stdout.split()
        for _ in range(2)
    ]
    assert outs == [["False", "True"], ["True", "False"]]


def test_compile_error_shows_the_users_file_and_line(templates, tmp_path):
    path = _variant(
        templates[".pyx"],
        tmp_path,
        "no-compile",
        ("cdef double loss = 0.0", "cdef double loss = 0.0 +"),
    )
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if "0.0 +" in t)
    proc = subprocess.run(
        [*SLIMBENCH, "check", "--tier-file", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert f"{path}:{line}:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "content, args, expected",
    [
        (None, ["--tier-file", "missing.pyx"], "tier file 'missing.pyx' does not exist"),
        ("x = 1\n", ["--tier-file", "{path}"], "defines no function train_steps("),
        (
            "def train_steps(samples, S, learning_rate):\n    return 0.0\n",
            ["--tier-file", "{path}"],
            "train_steps takes 3 arguments (samples, S, learning_rate); the contract passes 9",
        ),
        ("def train_steps(:\n", ["--tier-file", "{path}"], ":1:"),
        (None, ["--tiers", "no_such_pkg.mod:Tier"], "cannot import 'no_such_pkg.mod'"),
        (None, ["--tiers", "slimbench.impls:NoSuchTier"], "has no class 'NoSuchTier'"),
        (None, ["--tiers", "slimbench.impls:RunResult"], "not a subclass of slimbench.impls.Tier"),
        (None, ["--tier-file", "notes.txt"], "must be a .pyx (compiled on the fly) or a .py"),
    ],
)
def test_bad_tier_inputs_give_one_clear_line(content, args, expected, tmp_path):
    path = tmp_path / "user_loop.py"
    if content is not None:
        path.write_text(content)
    (tmp_path / "notes.txt").write_text("hello")
    argv = [a.format(path=path) for a in args]
    proc = subprocess.run(
        [*SLIMBENCH, "check", *argv], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def _fastest_exact() -> str:
    from slimbench.impls import get_tier

    simd = get_tier("cython-interleaved-simd").unavailable_reason() is None  # AVX2 here?
    return "cython-interleaved-simd" if simd else "cython-interleaved"


#: the last bitwise built-in the registry lists that this CPU runs
_FASTEST_EXACT = _fastest_exact()


def test_default_selection_places_a_user_tier_on_the_seeds_scale(templates, unregister):
    fastest = fastest_exact_builtin()
    assert fastest == _FASTEST_EXACT
    names = select_tiers(None, [str(templates[".py"])])
    assert names == ["python-naive", "cython-rand", fastest, "tmpl-py"]
    assert "cython-typed" in select_tiers(["all"], [str(templates[".py"])])
    assert select_tiers(["floor"], [str(templates[".py"])]) == ["floor", "tmpl-py"]
    assert select_tiers(None, [str(templates[".py"])], companions=False) == ["tmpl-py"]


def test_a_name_taken_by_another_tier_is_refused(templates, tmp_path, unregister):
    path = _variant(templates[".py"], tmp_path, "cython-rand")
    with pytest.raises(Exception, match="the tier name 'cython-rand' is taken"):
        load_tier_file(path)


def test_new_tier_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "mine.pyx"
    assert main(["new-tier", "mine", "--out", str(path)]) == 0
    assert main(["new-tier", "mine", "--out", str(path)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["new-tier", "bad name!"]) == 2


def test_annotate_counts_the_user_loops_yellow_lines(templates, tmp_path, capsys, unregister):
    assert main(["annotate", "--tier-file", str(templates[".pyx"]), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("tmpl-pyx"))
    yellow, loop_lines = (int(v) for v in row.split()[1:3])
    assert loop_lines > 10 and 0 < yellow < loop_lines  # bounds checks are on, as in the seed


def test_run_times_a_user_tier_beside_the_builtins_and_fails_a_broken_one(
    templates, tmp_path, unregister, capsys
):
    broken = _variant(templates[".py"], tmp_path, "broken-py", DROP_LAST)
    out = tmp_path / "run"
    code = main(
        [
            "run",
            "--dataset",
            "synthetic-tiny",
            "--budget",
            "0.5",
            "--rounds",
            "2",
            "--tier-file",
            str(templates[".pyx"]),
            "--tier-file",
            str(broken),
            "--out",
            str(out),
        ]
    )
    assert code == 1  # the broken tier failed its check; the others were still timed
    doc = json.loads((out / "results.json").read_text())
    tiers = {t["name"]: t for t in doc["tiers"]}
    assert list(tiers) == [
        "python-naive",
        "cython-rand",
        _FASTEST_EXACT,
        "tmpl-pyx",
        "broken-py",
    ]
    mine = tiers["tmpl-pyx"]
    assert mine["status"] == "measured" and mine["samples_per_second"]["median"] > 0
    assert mine["origin"]["kind"] == "file" and len(mine["origin"]["sha256"]) == 64
    assert mine["origin"]["path"] == str(templates[".pyx"].resolve())
    assert mine["yellow_lines"] is not None
    bad = tiers["broken-py"]
    assert bad["status"] == "failed-check" and bad["samples_per_second"] is None
    assert "is the last entry" in bad["error"]
    html = (out / "report.html").read_text()
    assert "Your tiers" in html and "is the last entry" in html
    assert tiers["cython-rand"]["status"] == "measured"


PLUGIN = """
from slimbench.impls.python_indptr import PythonIndptr


class PluginTier(PythonIndptr):
    name = "plugin-indptr"
    description = "python-indptr, announced by an installed package"
"""


def test_entry_point_plugin_appears_in_tiers_and_is_checked(tmp_path):
    (tmp_path / "slimplug").mkdir()
    (tmp_path / "slimplug" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    dist = tmp_path / "slimplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: slimplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[slimbench.tiers]\nplugin-indptr = slimplug:PluginTier\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    listing = subprocess.run([*SLIMBENCH, "tiers"], capture_output=True, text=True, env=env)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith("plugin-indptr"))
    row = " ".join(lines[at : at + 2])  # its origin on the next line where one does not fit
    assert "plugin slimplug: plugin-indptr = slimplug:PluginTier" in row and "bitwise" in row
    check = subprocess.run(
        [*SLIMBENCH, "check", "--tiers", "plugin-indptr"], capture_output=True, text=True, env=env
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "plugin-indptr" in check.stdout and "PASS" in check.stdout


def test_class_spec_is_loaded_and_checked(tmp_path):
    (tmp_path / "mytiers.py").write_text(
        textwrap.dedent(PLUGIN).replace("plugin-indptr", "spec-indptr")
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [*SLIMBENCH, "check", "--tiers", "mytiers:PluginTier"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "spec-indptr" in proc.stdout and "PASS" in proc.stdout
