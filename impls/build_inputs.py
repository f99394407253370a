"""Everything a user's ``.pyx`` build depends on, hashed into one key.

A build is what its inputs say: the ``.pyx`` and every file it includes or cimports,
recursively (found by Cython's own dependency tracking, as ``cythonize`` finds them), the
compiler command and flags (including ``CC``, ``CFLAGS``, ``LDFLAGS``... taken from the
environment, as setuptools does), the compiler's version, the project's build settings, and
the Python, Cython and numpy versions. The key names the cache folder and the module, so a
process that stays alive (a notebook) gets a new module when any of these changes.

The key holds the files by content, not by where they are: the source by its name, what it
includes or cimports from its own folder (or below) by the path relative to that folder, and
anything else (numpy's ``.pxd``) by its absolute path. The build compiles copies of the
folder's files in a folder of its own (:mod:`.user_build`), so the binary is the same
wherever the folder is: a notebook's cells, written to a new temporary folder in each
session, reuse the builds of the same cells.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from . import build_settings

#: the environment variables setuptools' ``customize_compiler`` reads on Unix
ENV_COMPILER_VARIABLES = (
    "CC",
    "CXX",
    "CPP",
    "LDSHARED",
    "CFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "CCSHARED",
    "AR",
    "ARFLAGS",
)
#: the interpreter's own build configuration that setuptools starts from
CONFIG_COMPILER_VARIABLES = (
    "CC",
    "CXX",
    "LDSHARED",
    "LDCXXSHARED",
    "CFLAGS",
    "CCSHARED",
    "LDFLAGS",
    "CPPFLAGS",
    "AR",
    "ARFLAGS",
    "EXT_SUFFIX",
)
#: bumped whenever the meaning of the key changes, so old cache entries are not reused
KEY_VERSION = 3


@dataclass(frozen=True)
class HashedFile:
    """One input file of a build and the sha256 of its bytes."""

    path: Path
    sha256: str

    def to_dict(self) -> dict:
        return {"path": str(self.path), "sha256": self.sha256}


@dataclass(frozen=True)
class BuildInputs:
    """The files and settings a build of ``source`` depends on, and their combined key."""

    source: Path
    files: tuple[HashedFile, ...]  # the .pyx first, then what it includes and cimports
    key: str  # sha256 over the files and every setting

    @property
    def files_sha256(self) -> str:
        """One sha256 over every input file (path and content): the tier's ``origin`` hash."""
        return combined_sha256(self.files)

    def module_name(self, prefix: str = "slimbench_user") -> str:
        """A module name unique to this key, readable by the file's stem."""
        return f"{prefix}_{safe_stem(self.source)}_{self.key[:12]}"


def safe_stem(path: Path) -> str:
    """The file's stem as a Python identifier fragment."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in path.stem)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def combined_sha256(files: tuple[HashedFile, ...] | list[HashedFile]) -> str:
    """One hash over several files: each one's path and content hash, in order."""
    text = "\n".join(f"{f.sha256}  {f.path}" for f in files)
    return hashlib.sha256(text.encode()).hexdigest()


def dependency_files(source: Path) -> list[Path]:
    """``source`` and every file it includes or cimports, recursively, the source first.

    Cython's own dependency tree, searched as the build searches (the file's folder on the
    include path, then ``sys.path`` for ``.pxd`` files). Cython caches parsed files by name
    for the life of a process; the caches are cleared first so an edited file is re-read.
    """
    from Cython import Utils
    from Cython.Build.Dependencies import DependencyTree
    from Cython.Compiler.Main import Context
    from Cython.Compiler.Options import (
        CompilationOptions,
        default_options,
        get_directive_defaults,
    )

    clear = getattr(Utils, "clear_function_caches", None)
    if clear is not None:
        clear()
    context = Context(
        [str(source.parent)], get_directive_defaults(), options=CompilationOptions(default_options)
    )
    tree = DependencyTree(context, quiet=True)
    try:
        found = {Path(p).resolve() for p in tree.all_dependencies(str(source))}
    except Exception:  # Cython could not follow the file: assume it uses all its neighbours
        found = {p.resolve() for ext in ("*.pxi", "*.pxd") for p in source.parent.glob(ext)}
    found.discard(source)
    return [source, *sorted(found)]


def compiler_command() -> list[str]:
    """The C compiler command setuptools runs: ``$CC``, else the interpreter's configured one."""
    configured = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(configured)


_VERSIONS: dict[tuple, str] = {}


def compiler_version(command: list[str]) -> str:
    """The first line of ``<compiler> --version`` (remembered per executable and its mtime)."""
    exe = shutil.which(command[0]) if command else None
    if exe is None:
        return "not found"
    stamp = (tuple(command), exe, os.stat(exe).st_mtime_ns)
    if stamp not in _VERSIONS:
        try:
            proc = subprocess.run(
                [*command, "--version"], capture_output=True, text=True, timeout=30
            )
            lines = (proc.stdout or proc.stderr).strip().splitlines()
            _VERSIONS[stamp] = lines[0] if proc.returncode == 0 and lines else "unknown"
        except (OSError, subprocess.SubprocessError):
            _VERSIONS[stamp] = "unknown"
    return _VERSIONS[stamp]


def compiler_settings() -> dict:
    """The compiler's identity and every flag setuptools takes from the environment."""
    command = compiler_command()
    return {
        "command": command,
        "version": compiler_version(command),
        "environment": {v: os.environ[v] for v in ENV_COMPILER_VARIABLES if v in os.environ},
        "config": {v: sysconfig.get_config_var(v) for v in CONFIG_COMPILER_VARIABLES},
    }


def key_path(path: Path, folder: Path) -> str:
    """How the key names an input file: relative to the source's ``folder`` if below it (the
    build compiles copies laid out the same way), else its absolute path."""
    if path.is_relative_to(folder):
        return path.relative_to(folder).as_posix()
    return str(path)


def build_inputs(
    source: Path,
    *,
    directives: dict,
    openmp: bool = True,
    variant: str = "normal",
    files: list[Path] | None = None,
) -> BuildInputs:
    """The inputs of building ``source`` (resolved) and their key.

    ``variant`` tells builds of the same file apart ("normal", "checked"); ``files`` the
    dependencies, when the caller found them already.
    """
    import Cython
    import numpy

    hashed = tuple(HashedFile(p, file_sha256(p)) for p in (files or dependency_files(source)))
    parts = {
        "key_version": KEY_VERSION,
        "variant": variant,
        "files": [
            {"path": key_path(f.path, source.parent), "sha256": f.sha256} for f in hashed
        ],
        "python": sys.version,
        "executable": sys.executable,
        "implementation": platform.python_implementation(),
        "platform": sysconfig.get_platform(),
        "cython": Cython.__version__,
        "numpy": numpy.__version__,
        "compiler": compiler_settings(),
        "settings": build_settings.extension_kwargs(openmp=openmp),
        "directives": directives,
    }
    key = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return BuildInputs(source=source, files=hashed, key=key)
