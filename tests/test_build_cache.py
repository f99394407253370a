"""A user build is what its inputs say, and a broken cached build is rebuilt, not loaded.

Compiling is the slow part here: one module-wide build of a small untyped .pyx (which
includes a .pxi) is shared, and each test that must rebuild works on a copy of its cache.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slimbench.impls import build_settings
from slimbench.impls import user_build as user_build_module
from slimbench.impls.build_cache import (
    MANIFEST,
    cached_binary,
    discard,
    entry_folder,
    store,
)
from slimbench.impls.build_inputs import build_inputs, dependency_files
from slimbench.impls.user_build import TierFileError, inputs_of, load_source

from helpers import reference_loop

SLIMBENCH = [sys.executable, "-m", "slimbench.cli"]

# Untyped (it compiles fast) and exact: the seed's loop, with the profile's end in a .pxi.
WITH_INCLUDE = reference_loop(
    "with-include",
    header='# cython: boundscheck=False\ninclude "profile.pxi"\n\n',
    end="profile_end(indptr, u)",
)
PROFILE_END = "def profile_end(indptr, u):\n    return indptr[u + 1]\n"
DROPS_LAST = "def profile_end(indptr, u):\n    return indptr[u + 1] - 1\n"


def _write_tier(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profile.pxi").write_text(PROFILE_END)
    path = folder / "with_include.pyx"
    path.write_text(WITH_INCLUDE)
    return path


def _env(cache: Path) -> dict:
    return {**os.environ, "SLIMBENCH_CACHE": str(cache)}


def _check(path: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SLIMBENCH, "check", "--tier-file", str(path), "--epochs", "1"],  # one shows a fault
        capture_output=True,
        text=True,
        env=_env(cache),
    )


_LOAD = (
    "import json, sys; from slimbench.impls.user_build import load_source; "
    "r = load_source(sys.argv[1]); "
    "print(json.dumps({'hit': r.cache_hit, 'notes': r.notes, 'key': r.build_key}))"
)


def _load_in_subprocess(path: Path, cache: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True, env=_env(cache)
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The tier file and a cache holding its build, which passed `slimbench check`."""
    root = tmp_path_factory.mktemp("built")
    path, cache = _write_tier(root / "src"), root / "cache"
    proc = _check(path, cache)
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    return path, cache


@pytest.fixture
def cache_copy(built, tmp_path) -> tuple[Path, Path]:
    """The same tier file with a private copy of its cache (tests may break it)."""
    path, cache = built
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy)
    return path, copy


def _inputs(path: Path):
    return inputs_of(path.resolve())


def _binary(cache: Path, path: Path) -> Path:
    """The cached binary of the tier file at ``path``."""
    folder = cache / _inputs(path).key[:24]
    return folder / json.loads((folder / MANIFEST).read_text())["binary"]


# -- what the key covers (no compiling) ----------------------------------------------------


def test_dependencies_are_found_by_cythons_own_tree(tmp_path):
    path = _write_tier(tmp_path)
    (tmp_path / "helpers.pxd").write_text("cdef double twice(double x)\n")
    path.write_text("from helpers cimport twice\n" + WITH_INCLUDE)
    files = dependency_files(path.resolve())
    assert files[0] == path.resolve()
    assert {(tmp_path / "profile.pxi").resolve(), (tmp_path / "helpers.pxd").resolve()} <= set(
        files
    )


def test_an_include_change_changes_key_module_and_origin_hash(tmp_path):
    path = _write_tier(tmp_path)
    before = _inputs(path)
    (tmp_path / "profile.pxi").write_text(DROPS_LAST)
    after = _inputs(path)
    assert after.key != before.key and after.module_name() != before.module_name()
    assert after.files_sha256 != before.files_sha256
    assert [f.path.name for f in after.files] == ["with_include.pyx", "profile.pxi"]


def test_a_live_process_follows_an_include_added_later(tmp_path):
    """Cython caches parsed files by name for the life of a process: the scan must not."""
    path = _write_tier(tmp_path)
    assert len(_inputs(path).files) == 2
    (tmp_path / "extra.pxi").write_text("EXTRA = 1\n")
    path.write_text('include "extra.pxi"\n' + WITH_INCLUDE)
    first = _inputs(path)
    assert [f.path.name for f in first.files] == ["with_include.pyx", "extra.pxi", "profile.pxi"]
    (tmp_path / "extra.pxi").write_text("EXTRA = 2\n")
    assert _inputs(path).key != first.key


@pytest.mark.parametrize("variable", ["CFLAGS", "CC", "LDFLAGS", "CPPFLAGS", "LDSHARED"])
def test_compiler_settings_from_the_environment_change_the_key(variable, tmp_path, monkeypatch):
    path = _write_tier(tmp_path)
    monkeypatch.delenv(variable, raising=False)
    before = _inputs(path).key
    monkeypatch.setenv(variable, "gcc -O1" if variable == "CC" else "-O1")
    assert _inputs(path).key != before


def test_the_checked_build_has_its_own_key(tmp_path):
    path = _write_tier(tmp_path).resolve()
    normal = build_inputs(path, directives=build_settings.CYTHON_DIRECTIVES)
    checked = build_inputs(path, directives=build_settings.CYTHON_DIRECTIVES, variant="checked")
    assert normal.key != checked.key


def test_the_key_holds_the_files_by_content_not_by_folder(tmp_path):
    here, there = _inputs(_write_tier(tmp_path / "a")), _inputs(_write_tier(tmp_path / "b"))
    assert here.key == there.key and here.module_name() == there.module_name()
    assert here.files_sha256 != there.files_sha256  # the origin still names the file's path
    (tmp_path / "b" / "profile.pxi").write_text(DROPS_LAST)
    assert _inputs(tmp_path / "b" / "with_include.pyx").key != here.key
    (tmp_path / "b" / "profile.pxi").write_text(PROFILE_END)
    (tmp_path / "b" / "with_include.pyx").rename(tmp_path / "b" / "other_name.pyx")
    assert _inputs(tmp_path / "b" / "other_name.pyx").key != here.key  # the module's name


def test_the_same_files_in_another_folder_load_the_cached_build(cache_copy, tmp_path):
    path, cache = cache_copy
    binary = _binary(cache, path).read_bytes()
    assert b"profile.pxi" in binary  # the include's name, for tracebacks...
    assert f"{path.parent.name}/profile.pxi".encode() not in binary  # ...not its folder
    moved = tmp_path / "elsewhere" / "with_include.pyx"
    shutil.copytree(path.parent, moved.parent)
    assert _load_in_subprocess(moved, cache) == {
        "hit": True,
        "notes": [],
        "key": _inputs(path).key,
    }


# -- stale and broken builds (subprocesses: a broken binary must not reach this process) ----


def test_an_include_changed_after_a_pass_fails(cache_copy):
    path, cache = cache_copy
    include = path.parent / "profile.pxi"
    assert "PASS" in _check(path, cache).stdout  # the module's build, from the cache
    include.write_text(DROPS_LAST)
    try:
        proc = _check(path, cache)
    finally:
        include.write_text(PROFILE_END)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL" in proc.stdout and "Traceback" not in proc.stderr


def test_a_truncated_cached_binary_is_rebuilt_with_a_note_and_passes(cache_copy):
    path, cache = cache_copy
    binary = _binary(cache, path)
    binary.write_bytes(binary.read_bytes()[: binary.stat().st_size // 3])
    proc = _check(path, cache)  # the note reaches the user, not only the loader
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    header = next(line for line in proc.stdout.splitlines() if line.startswith("with-include:"))
    assert "compiled in" in header and "discarded and rebuilt" in header, header
    assert "truncated" in header, header
    proc = _check(path, cache)
    assert proc.returncode == 0 and "build cache hit" in proc.stdout, proc.stdout + proc.stderr


def _damage(kind: str, binary: Path) -> None:
    folder = binary.parent
    if kind == "truncated":
        binary.write_bytes(binary.read_bytes()[:4096])
    elif kind == "emptied":
        binary.write_bytes(b"")
    elif kind == "replaced":
        binary.write_bytes(bytes(reversed(binary.read_bytes())))
    elif kind == "not a file":
        binary.unlink()
        binary.mkdir()
    elif kind == "no manifest":
        (folder / MANIFEST).unlink()
    elif kind == "another build's manifest":
        manifest = json.loads((folder / MANIFEST).read_text())
        (folder / MANIFEST).write_text(json.dumps({**manifest, "key": "0" * 64}))
    elif kind == "entry is a file":
        shutil.rmtree(folder)
        folder.write_text("")


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("truncated", "truncated?"),
        ("emptied", "has 0 bytes"),
        ("replaced", "sha256 differs"),
        ("not a file", "not a file"),
        ("no manifest", "no manifest"),
        ("another build's manifest", "names another build"),
        ("entry is a file", "is not a folder"),
    ],
)
def test_a_damaged_cache_entry_is_refused_before_anything_loads_it(
    kind, reason, cache_copy, monkeypatch
):
    path, cache = cache_copy
    monkeypatch.setenv("SLIMBENCH_CACHE", str(cache))
    inputs = _inputs(path)
    assert cached_binary(inputs, inputs.module_name())[0] == _binary(cache, path)
    _damage(kind, _binary(cache, path))
    binary, why = cached_binary(inputs, inputs.module_name())
    assert binary is None and reason in why
    discard(inputs)
    assert not entry_folder(inputs).exists()


@pytest.fixture
def wrong_then(cache_copy, tmp_path, monkeypatch):
    """A cache entry whose manifest is valid for a binary of another module (it passes the
    manifest check and fails to import); returns (tier file, place(binary) for the key)."""
    path, cache = cache_copy
    monkeypatch.setenv("SLIMBENCH_CACHE", str(cache))
    inputs = _inputs(path)
    name = inputs.module_name()
    good = tmp_path / "good.so"
    shutil.copy(_binary(cache, path), good)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]

    def place(binary: Path) -> Path:
        shutil.rmtree(entry_folder(inputs), ignore_errors=True)
        staged = tmp_path / f"{name}{suffix}"
        shutil.copy(binary, staged)
        return store(staged, inputs, name)

    foreign = Path(importlib.util.find_spec("slimbench.impls._cython_typed").origin)
    place(foreign)
    yield path, place, good, foreign
    sys.modules.pop(name, None)


def test_a_cached_binary_that_fails_to_import_is_rebuilt_once(wrong_then, monkeypatch):
    path, place, good, _ = wrong_then
    builds = []

    def rebuild(inputs, name, variant):  # the good binary, without compiling again
        builds.append(name)
        return place(good)

    monkeypatch.setattr(user_build_module, "_build", rebuild)
    loaded = load_source(path)
    assert len(builds) == 1 and not loaded.cache_hit and hasattr(loaded.module, "train_steps")
    assert len(loaded.notes) == 1 and "failed to import" in loaded.notes[0]


def test_a_rebuild_that_fails_to_import_again_is_one_line(wrong_then, monkeypatch):
    path, place, _, foreign = wrong_then
    monkeypatch.setattr(user_build_module, "_build", lambda *args: place(foreign))
    with pytest.raises(TierFileError) as info:
        load_source(path)
    message = str(info.value)
    assert "importing the compiled with_include.pyx failed" in message and "\n" not in message


def test_a_cache_location_that_is_a_file_is_one_line(built, tmp_path):
    path, _ = built
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    proc = _check(path, blocker)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "SLIMBENCH_CACHE" in proc.stderr and "it is a file" in proc.stderr
