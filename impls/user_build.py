"""Load a user's own step loop from a file: a ``.pyx`` compiled on the fly, or a ``.py``.

A ``.pyx`` is compiled with the built-in tiers' settings (:mod:`.build_settings`: -O3,
-ffp-contract=off, no fast-math, numpy's include, OpenMP where the compiler has it). The
build is cached by the hash of the source and of everything that changes the binary (Python,
Cython, numpy, compiler, flags) in ``$SLIMBENCH_CACHE`` (default ``~/.cache/slimbench/build``),
so a second run does not recompile. The compiler runs in a subprocess: its messages are
captured and shown with the user's own file name and line, never as a Python traceback.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from . import build_settings
from .errors import SlimBenchError

SUFFIXES = (".pyx", ".py")


class TierFileError(SlimBenchError, ValueError):
    """A user's tier file cannot be used: missing, of the wrong kind, or not compilable."""


@dataclass(frozen=True)
class LoadedSource:
    """A user's module, where it came from, and what building it cost."""

    module: ModuleType
    path: Path  # the user's file, resolved
    sha256: str  # of the file's bytes
    compile_seconds: float  # 0.0 for a .py or a cache hit
    cache_hit: bool


def cache_root() -> Path:
    """Where compiled user modules are kept: ``$SLIMBENCH_CACHE`` or ~/.cache/slimbench/build."""
    env = os.environ.get("SLIMBENCH_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "slimbench" / "build"


def _module_name(path: Path, digest: str) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    return f"slimbench_user_{stem}_{digest[:12]}"


def build_key(source: bytes, *, openmp: bool = True) -> str:
    """The cache key of a .pyx: its bytes plus everything that changes the binary."""
    import Cython
    import numpy

    parts = {
        "source": hashlib.sha256(source).hexdigest(),
        "python": sys.version,
        "platform": sysconfig.get_platform(),
        "cython": Cython.__version__,
        "numpy": numpy.__version__,
        "compiler": build_settings.compiler_version(),
        "settings": build_settings.extension_kwargs(openmp=openmp),
        "directives": build_settings.CYTHON_DIRECTIVES,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def load_source(path: str | os.PathLike) -> LoadedSource:
    """Import the user's ``.py`` or compile (or take from the cache) and import a ``.pyx``."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise TierFileError(f"tier file {str(p)!r} does not exist (or is not a file).")
    if p.suffix not in SUFFIXES:
        raise TierFileError(
            f"tier file {str(p)!r} must be a .pyx (compiled on the fly) or a .py; "
            "`slimbench new-tier NAME` writes a starting file."
        )
    p = p.resolve()
    source = p.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    if p.suffix == ".py":
        return LoadedSource(_import_py(p, digest), p, digest, 0.0, False)
    return _load_pyx(p, source, digest)


def _import_py(path: Path, digest: str) -> ModuleType:
    name = _module_name(path, digest)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise TierFileError(
            f"{exc.filename}:{exc.lineno}:{exc.offset or 0}: syntax error: {exc.msg}"
        ) from None
    except Exception as exc:  # the user's module-level code: say where it failed
        raise TierFileError(
            f"importing {path.name} failed: {type(exc).__name__}: {exc} "
            f"({user_frame(exc, path) or path.name})"
        ) from None
    sys.modules[name] = module
    return module


def _load_pyx(path: Path, source: bytes, digest: str) -> LoadedSource:
    name = _module_name(path, digest)
    if name in sys.modules:
        return LoadedSource(sys.modules[name], path, digest, 0.0, True)
    target = cache_root() / build_key(source)[:24]
    built = _find_built(target, name)
    cache_hit = built is not None
    seconds = 0.0
    if built is None:
        start = time.perf_counter()
        built = _compile(path, source, name, target)
        seconds = time.perf_counter() - start
    spec = importlib.util.spec_from_file_location(
        name, built, loader=importlib.machinery.ExtensionFileLoader(name, str(built))
    )
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise TierFileError(
            f"importing the compiled {path.name} failed: {type(exc).__name__}: {exc}"
        ) from None
    sys.modules[name] = module
    return LoadedSource(module, path, digest, seconds, cache_hit)


def _find_built(folder: Path, name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


#: run in a subprocess so that the compiler's own output can be captured and rewritten
_BUILD_SCRIPT = """
import sys
from Cython.Build import cythonize
from setuptools import Distribution, Extension
from slimbench.impls import build_settings

name, include = sys.argv[1], sys.argv[2]
ext = Extension(name, [name + ".pyx"], **build_settings.extension_kwargs(openmp=True))
modules = cythonize(
    [ext], compiler_directives=build_settings.CYTHON_DIRECTIVES, include_path=[include], quiet=True
)
dist = Distribution({"ext_modules": modules, "script_name": "setup.py"})
cmd = dist.get_command_obj("build_ext")
cmd.inplace = True
cmd.build_temp = "build"
dist.run_command("build_ext")
"""


def _compile(path: Path, source: bytes, name: str, target: Path) -> Path:
    """Compile ``source`` as module ``name``; move the binary into ``target``; return it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="slimbench-build-", dir=target.parent) as tmp:
        work = Path(tmp)
        (work / f"{name}.pyx").write_bytes(source)
        for extra in path.parent.glob("*.pxd"):  # a .pxd beside the file may be cimported
            shutil.copy2(extra, work)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(  # the user's folder is on the include path (.pxi files)
            [sys.executable, "-c", _BUILD_SCRIPT, name, str(path.parent)],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
        )
        built = _find_built(work, name)
        if proc.returncode != 0 or built is None:
            raise TierFileError(compile_error_message(path, name, proc.stdout + proc.stderr))
        target.mkdir(parents=True, exist_ok=True)
        final = target / built.name
        os.replace(built, final)  # atomic: a concurrent build of the same key is harmless
    return final


_CYTHON_ERROR = re.compile(r"^(?P<file>[^\s:]+\.pyx):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$")


def compile_error_message(path: Path, name: str, output: str) -> str:
    """The compiler's complaint, in terms of the user's file: Cython first, then the C compiler.

    Cython names the copy it compiled (``<name>.pyx``); the message names the user's path.
    """
    lines = output.replace(f"{name}.pyx", str(path)).splitlines()
    cython_errors = []
    for i, line in enumerate(lines):
        m = _CYTHON_ERROR.match(line.strip())
        if m and "warning" not in m["msg"].lower():
            context = _context_before(lines, i)
            cython_errors.append(f"{path}:{m['line']}:{m['col']}: {m['msg']}" + context)
    if cython_errors:
        return f"Cython cannot compile {path.name}:\n" + "\n".join(cython_errors[:5])
    c_errors = [line.strip() for line in lines if " error:" in line or "fatal error" in line]
    if c_errors:
        return (
            f"the C compiler failed on the code Cython generated from {path.name}:\n"
            + "\n".join(c_errors[:5])
        )
    tail = "\n".join(line for line in lines[-8:] if line.strip())
    return f"building {path.name} failed:\n{tail}"


def _context_before(lines: list[str], i: int) -> str:
    """Cython prints the offending source between two dashed rules above the location."""
    rules = [k for k in range(i - 1, -1, -1) if lines[k].startswith("-----")][:2]
    if len(rules) < 2:
        return ""
    snippet = [line for line in lines[rules[1] + 1 : rules[0]] if line.strip() and line != "..."]
    return ("\n" + "\n".join("    " + s for s in snippet[-3:])) if snippet else ""


def user_frame(exc: BaseException, path: Path) -> str | None:
    """``file:line`` of the innermost traceback frame in the user's file, if any.

    A compiled .pyx records its own source lines in tracebacks; the copy compiled in the
    build folder has another name, so frames are matched by the module name's stem too.
    """
    tb = exc.__traceback__
    found = None
    stem = re.sub(r"\W", "_", path.stem)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        base = os.path.basename(filename)
        if Path(filename) == path or base.startswith(f"slimbench_user_{stem}_"):
            found = f"{path.name}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return found


def check_tier_file_path(path: str | os.PathLike) -> Path:
    """``path`` resolved, if it names an existing ``.pyx`` or ``.py``; else one line."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise TierFileError(f"tier file {str(p)!r} does not exist (or is not a file).")
    if p.suffix not in SUFFIXES:
        raise TierFileError(
            f"tier file {str(p)!r} must be a .pyx (compiled on the fly) or a .py; "
            "`slimbench new-tier NAME` writes a starting file."
        )
    return p.resolve()
