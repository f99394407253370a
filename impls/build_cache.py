"""The cache of compiled user modules: one folder per build key, a binary and its manifest.

A binary is loaded only if the manifest written beside it after its build (atomically, last)
names the same module and key and the same size and sha256 as the file now on disk: a
truncated, emptied or replaced binary is caught here, before ``dlopen`` maps it (a
truncated shared object may kill the process with SIGBUS when mapped). The binary's name
carries its own hash, so a rebuilt binary never shares a path with one this process
already tried to load (the dynamic loader hands back a library it loaded before by path).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .build_inputs import BuildInputs
from .errors import SlimBenchError

MANIFEST = "manifest.json"
CACHE_VARIABLE = "SLIMBENCH_CACHE"


class BuildCacheError(SlimBenchError, OSError):
    """The build cache's folder cannot be used (a file, not writable, or full)."""


def cache_root() -> Path:
    """Where compiled user modules are kept: ``$SLIMBENCH_CACHE`` or ~/.cache/slimbench/build."""
    env = os.environ.get(CACHE_VARIABLE)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "slimbench" / "build"


def entry_folder(inputs: BuildInputs) -> Path:
    """The cache folder of one build key."""
    return cache_root() / inputs.key[:24]


def cache_error(why: str) -> BuildCacheError:
    """One line naming the cache, what is wrong with it, and what to do."""
    return BuildCacheError(
        f"the build cache {cache_root()} ({CACHE_VARIABLE}) cannot be used: {why}; set "
        f"{CACHE_VARIABLE} to a writable folder with free space (unset, it is "
        "~/.cache/slimbench/build)."
    )


def os_error_text(exc: OSError) -> str:
    """An OSError in a few words: "no space left on device" rather than a traceback."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full (no space left on device)"
    return f"{exc.strerror or type(exc).__name__}{f' ({exc.filename})' if exc.filename else ''}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_binary(inputs: BuildInputs, module_name: str) -> tuple[Path | None, str | None]:
    """(the validated cached binary, None); (None, why) if what is cached is not usable;
    (None, None) if nothing is cached for this key."""
    folder = entry_folder(inputs)
    if not folder.exists():
        return None, None
    if not folder.is_dir():
        return None, f"{folder.name} is not a folder"
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        return None, "it has no manifest (an interrupted or foreign build)"
    try:
        manifest = json.loads(manifest_path.read_text())
        binary = folder / manifest["binary"]
        expected = (manifest["module"], manifest["key"])
        size, sha256 = int(manifest["size"]), str(manifest["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, "its manifest is unreadable"
    if expected != (module_name, inputs.key) or Path(manifest["binary"]).name != manifest["binary"]:
        return None, "its manifest names another build"
    if not binary.is_file():
        return None, f"{binary.name} is missing or not a file"
    actual = binary.stat().st_size
    if actual != size:
        return None, f"{binary.name} has {actual:,} bytes, {size:,} when built (truncated?)"
    if _sha256(binary) != sha256:
        return None, f"{binary.name} changed since it was built (sha256 differs)"
    return binary, None


def discard(inputs: BuildInputs) -> None:
    """Remove the cache entry of ``inputs``, whatever is there (a folder, a file)."""
    folder = entry_folder(inputs)
    try:
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        elif folder.exists() or folder.is_symlink():
            folder.unlink()
    except OSError as exc:
        why = f"the broken entry {folder.name} cannot be removed: {os_error_text(exc)}"
        raise cache_error(why) from None


@contextmanager
def work_folder() -> Iterator[Path]:
    """A fresh temporary folder inside the cache (same file system: the final move is atomic)."""
    root = cache_root()
    if root.exists() and not root.is_dir():
        raise cache_error("it is a file, not a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = tempfile.TemporaryDirectory(prefix="slimbench-build-", dir=root)
    except OSError as exc:
        raise cache_error(os_error_text(exc)) from None
    with tmp as name:
        yield Path(name)


def store(built: Path, inputs: BuildInputs, module_name: str) -> Path:
    """Move a freshly built binary into its cache entry, then write the manifest; return it."""
    folder = entry_folder(inputs)
    sha256 = _sha256(built)
    suffix = built.name[len(module_name) :]  # e.g. ".cpython-311-x86_64-linux-gnu.so"
    final = folder / f"{module_name}.{sha256[:8]}{suffix}"
    manifest = {
        "module": module_name,
        "key": inputs.key,
        "binary": final.name,
        "size": built.stat().st_size,
        "sha256": sha256,
        "files": [f.to_dict() for f in inputs.files],
    }
    try:
        if folder.exists() and not folder.is_dir():
            folder.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(built, final)  # atomic: a concurrent build of the same key is harmless
        partial = folder / f".{MANIFEST}.{os.getpid()}"
        partial.write_text(json.dumps(manifest, indent=1))
        os.replace(partial, folder / MANIFEST)  # written last: no manifest, no valid build
    except OSError as exc:
        raise cache_error(os_error_text(exc)) from None
    return final
