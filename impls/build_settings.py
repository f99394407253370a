"""The compiler settings of every Cython tier: the built-in ones and a user's own .pyx.

One definition, read by ``setup.py`` at install time (by file path: this module imports
nothing of the package) and by :mod:`slimbench.impls.user_build` when it compiles a
user's file on the fly, so both are built alike.

``-ffp-contract=off`` and no fast-math: gcc contracts ``a + b*c`` into a fused multiply-add
by default where the target has one, which rounds once instead of twice and so breaks
bitwise equality with numpy's arithmetic, on which the exactness classes rest. OpenMP is
added only where the compiler builds and links a trivial OpenMP program.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache

EXACT_FLAGS = ["-O3", "-ffp-contract=off", "-fno-fast-math"]
MSVC_FLAGS = ["/O2", "/fp:precise"]
DEFINE_MACROS = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
OPENMP_MACRO = ("SLIMBENCH_OPENMP", "1")
CYTHON_DIRECTIVES = {"embedsignature": True, "language_level": 3}


def c_compiler() -> list[str]:
    """The C compiler command setuptools uses by default ($CC, else ``cc``)."""
    return os.environ.get("CC", "cc").split()


@cache
def compiler_has_openmp() -> bool:
    """True where the default C compiler builds and links a trivial OpenMP program."""
    if os.environ.get("SLIMBENCH_NO_OPENMP"):
        return False
    if sys.platform == "win32":
        return True  # MSVC ships /openmp
    cc = c_compiler()
    if shutil.which(cc[0]) is None:
        return False
    src = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "omp_probe.c")
        with open(path, "w") as fh:
            fh.write(src)
        cmd = [*cc, "-fopenmp", path, "-o", os.path.join(tmp, "omp_probe")]
        return subprocess.run(cmd, capture_output=True).returncode == 0


@cache
def compiler_version() -> str:
    """The first line of ``cc --version`` (part of the user build cache key)."""
    try:
        proc = subprocess.run([*c_compiler(), "--version"], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else "?"


def extension_kwargs(*, openmp: bool) -> dict:
    """``setuptools.Extension`` keyword arguments (flags, macros, numpy include)."""
    import numpy

    compile_args = list(MSVC_FLAGS if sys.platform == "win32" else EXACT_FLAGS)
    link_args: list[str] = []
    macros = list(DEFINE_MACROS)
    if openmp and compiler_has_openmp():
        compile_args.append("/openmp" if sys.platform == "win32" else "-fopenmp")
        if sys.platform != "win32":
            link_args.append("-fopenmp")
        macros.append(OPENMP_MACRO)
    return {
        "include_dirs": [numpy.get_include()],
        "extra_compile_args": compile_args,
        "extra_link_args": link_args,
        "define_macros": macros,
    }
