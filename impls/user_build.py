"""Load a user's own step loop from a file: a ``.pyx`` compiled on the fly, or a ``.py``.

A ``.pyx`` is compiled with the built-in tiers' settings (:mod:`.build_settings`: -O3,
-ffp-contract=off, no fast-math, numpy's include, OpenMP where the compiler has it). The
build is cached in ``$SLIMBENCH_CACHE`` (default ``~/.cache/slimbench/build``) under a key
over every input (:mod:`.build_inputs`: the file, what it includes and cimports, the
compiler and its flags, the versions), so a second run does not recompile and a changed
input is always rebuilt; a broken cached binary is caught and rebuilt (:mod:`.build_cache`).
The compiler runs in a subprocess: its messages are captured and shown with the user's own
file name and line, never as a Python traceback.
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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from . import build_settings
from .build_cache import (
    BuildCacheError,
    cache_error,
    cache_root,
    cached_binary,
    discard,
    store,
    work_folder,
)
from .build_inputs import BuildInputs, HashedFile, build_inputs, file_sha256
from .errors import SlimBenchError

SUFFIXES = (".pyx", ".py")
__all__ = ["BuildCacheError", "LoadedSource", "TierFileError", "cache_root", "load_source"]


class TierFileError(SlimBenchError, ValueError):
    """A user's tier file cannot be used: missing, of the wrong kind, or not compilable."""


@dataclass(frozen=True)
class LoadedSource:
    """A user's module, where it came from, and what building it cost."""

    module: ModuleType
    path: Path  # the user's file, resolved
    sha256: str  # one hash over `files` (a .py: over the file alone)
    compile_seconds: float  # 0.0 for a .py or a cache hit
    cache_hit: bool
    files: tuple[HashedFile, ...] = ()  # the file and what it includes or cimports
    build_key: str | None = None  # a .pyx: the cache key (files, flags, compiler, versions)
    notes: tuple[str, ...] = ()  # e.g. a broken cached build that was discarded and rebuilt


@dataclass(frozen=True)
class BuildVariant:
    """How a .pyx is built: the normal build, or another (the bounds-checked one)."""

    name: str  # part of the cache key
    module_prefix: str
    directives: dict
    #: the build's copy of each of the user's source files, from the file's text
    rewrite: Callable[[str], str] | None = None
    rewrites_includes: bool = False
    #: make an exception Cython can only print ("Exception ignored in ...") name its line
    trace_unraisable: bool = False


NORMAL = BuildVariant("normal", "slimbench_user", build_settings.CYTHON_DIRECTIVES)
MODULE_PREFIXES = ("slimbench_user", "slimbench_checked")


def _module_name(path: Path, digest: str) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    return f"slimbench_user_{stem}_{digest[:12]}"


def load_source(path: str | os.PathLike) -> LoadedSource:
    """Import the user's ``.py`` or compile (or take from the cache) and import a ``.pyx``."""
    p = checked_path(path)
    if p.suffix == ".py":
        digest = file_sha256(p)
        files = (HashedFile(p, digest),)
        return LoadedSource(_import_py(p, digest), p, digest, 0.0, False, files)
    return load_pyx(p, NORMAL)


def checked_path(path: str | os.PathLike) -> Path:
    """The user's tier file, resolved; one line if it is missing or of the wrong kind."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise TierFileError(f"tier file {str(p)!r} does not exist (or is not a file).")
    if p.suffix not in SUFFIXES:
        raise TierFileError(
            f"tier file {str(p)!r} must be a .pyx (compiled on the fly) or a .py; "
            "`slimbench new-tier NAME` writes a starting file."
        )
    return p.resolve()


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


def inputs_of(path: Path, variant: BuildVariant = NORMAL) -> BuildInputs:
    """What building ``path`` (resolved) as ``variant`` depends on, and its cache key."""
    # the build script is an input too: a change to how files are built rebuilds them
    recipe = hashlib.sha256(_BUILD_SCRIPT.encode()).hexdigest()[:16]
    return build_inputs(path, directives=variant.directives, variant=f"{variant.name}/{recipe}")


def load_pyx(path: Path, variant: BuildVariant) -> LoadedSource:
    """Build ``path`` (resolved) as ``variant``, or take it from the cache, and import it.

    A cached binary that does not match its manifest is discarded and rebuilt before
    anything loads it; one that matches but fails to import is discarded and rebuilt once.
    Each is said in the result's ``notes``; a failure of the fresh build is one line.
    """
    inputs = inputs_of(path, variant)
    name = inputs.module_name(variant.module_prefix)
    if name in sys.modules:
        return _loaded(sys.modules[name], inputs, 0.0, True, ())
    notes: list[str] = []
    retried = False
    while True:
        built, problem = cached_binary(inputs, name)
        if problem is not None:
            notes.append(f"the cached build of {path.name} was discarded and rebuilt: {problem}")
            discard(inputs)
        seconds, fresh = 0.0, built is None
        if fresh:
            start = time.perf_counter()
            built = _build(inputs, name, variant)
            seconds = time.perf_counter() - start
        try:
            module = _import_extension(name, built)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if fresh or retried:  # a build just made does not import: again would not help
                raise TierFileError(
                    f"importing the compiled {path.name} failed: {error}".replace("\n", " ")
                ) from None
            notes.append(
                f"the cached build of {path.name} failed to import ({error}); discarded and rebuilt"
            )
            discard(inputs)
            retried = True
            continue
        return _loaded(module, inputs, seconds, not fresh, tuple(notes))


def _loaded(
    module: ModuleType, inputs: BuildInputs, seconds: float, hit: bool, notes: tuple[str, ...]
) -> LoadedSource:
    return LoadedSource(
        module, inputs.source, inputs.files_sha256, seconds, hit, inputs.files, inputs.key, notes
    )


def _import_extension(name: str, binary: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        name, binary, loader=importlib.machinery.ExtensionFileLoader(name, str(binary))
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


#: run in a subprocess so that the compiler's own output can be captured and rewritten
_BUILD_SCRIPT = """
import json, sys
from Cython.Build import cythonize
from setuptools import Distribution, Extension
from slimbench.impls import build_settings

job = json.loads(sys.argv[1])
name = job["name"]
ext = Extension(name, [name + ".pyx"], **build_settings.extension_kwargs(openmp=True))
modules = cythonize(
    [ext], compiler_directives=job["directives"], include_path=job["include_path"], quiet=True
)
if job["trace_unraisable"]:
    # Cython's __Pyx_WriteUnraisable is handed the .pyx file and line of the error but does
    # not use them; adding the traceback entry first makes the printed traceback name them.
    c_file = name + ".c"
    with open(c_file) as fh:
        text = fh.read()
    definition = text.rfind("static void __Pyx_WriteUnraisable(const char *name")  # not the proto
    marker = text.find("CYTHON_UNUSED_VAR(filename);", definition)
    declared = text.find("static void __Pyx_AddTraceback(")
    if -1 < declared < definition < marker:
        patch = "if (filename) __Pyx_AddTraceback(name, clineno, lineno, filename);"
        text = text[:marker] + patch + text[marker:]
        with open(c_file, "w") as fh:
            fh.write(text)
dist = Distribution({"ext_modules": modules, "script_name": "setup.py"})
cmd = dist.get_command_obj("build_ext")
cmd.inplace = True
cmd.build_temp = "build"
dist.run_command("build_ext")
"""


def _build(inputs: BuildInputs, name: str, variant: BuildVariant) -> Path:
    """Compile ``inputs.source`` as module ``name`` into its cache entry; return the binary."""
    path = inputs.source
    with work_folder() as work:
        _write_sources(work, inputs, name, variant)
        # the copies of the included files first: the binary names them relative to `work`,
        # the same from any folder (the key holds them by content, build_inputs.key_path)
        include_path = [str(work), str(path.parent)]
        job = {
            "name": name,
            "directives": variant.directives,
            "include_path": include_path,
            "trace_unraisable": variant.trace_unraisable,
        }
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            [sys.executable, "-c", _BUILD_SCRIPT, json.dumps(job)],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
        )
        output = proc.stdout + proc.stderr
        built = _find_built(work, name)
        if proc.returncode != 0 or built is None:
            if "No space left on device" in output:
                raise cache_error("the disk is full (no space left on device)")
            raise TierFileError(compile_error_message(path, name, output))
        changed = [f.path.name for f in inputs.files if file_sha256(f.path) != f.sha256]
        if changed:  # the binary is not what the key says: never cache it under that key
            raise TierFileError(
                f"{', '.join(changed)} changed while {path.name} was compiled; run again."
            )
        return store(built, inputs, name)


def _write_sources(work: Path, inputs: BuildInputs, name: str, variant: BuildVariant) -> None:
    """The build's copy of the source (rewritten for a variant), and of the files it
    includes or cimports from its folder, laid out as there (included .pxi files rewritten
    too where the variant says so)."""
    path = inputs.source
    copy = work / f"{name}.pyx"
    if variant.rewrite is None:
        copy.write_bytes(path.read_bytes())
    else:
        copy.write_text(variant.rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    for extra in path.parent.glob("*.pxd"):  # a .pxd beside the file may be cimported
        shutil.copy2(extra, work)
    rewrite = variant.rewrite if variant.rewrites_includes else None
    for dependency in inputs.files[1:]:  # included and cimported files below the user's folder
        if not dependency.path.is_relative_to(path.parent):
            continue
        included = work / dependency.path.relative_to(path.parent)
        included.parent.mkdir(parents=True, exist_ok=True)
        if rewrite is not None and dependency.path.suffix == ".pxi":
            included.write_text(rewrite(dependency.path.read_text(encoding="utf-8")))
        else:
            included.write_bytes(dependency.path.read_bytes())


def _find_built(folder: Path, name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


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
        if Path(filename) == path or any(
            base.startswith(f"{prefix}_{stem}_") for prefix in MODULE_PREFIXES
        ):
            found = f"{path.name}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return found

