"""Build the Cython tiers.

Every extension is compiled with ``-O3 -ffp-contract=off`` and without fast-math:
gcc contracts ``a + b*c`` into a fused multiply-add by default where the target has
one, which rounds once instead of twice and so breaks bitwise equality with numpy's
arithmetic, on which the exactness classes rest.

Extensions that ask for OpenMP get ``-fopenmp`` only where the compiler accepts it;
elsewhere they build as plain serial code and report that at run time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

EXACT_FLAGS = ["-O3", "-ffp-contract=off", "-fno-fast-math"]
MSVC_FLAGS = ["/O2", "/fp:precise"]


def _compiler_has_openmp() -> bool:
    """True where the default C compiler builds and links a trivial OpenMP program."""
    if os.environ.get("SLIMBENCH_NO_OPENMP"):
        return False
    if sys.platform == "win32":
        return True  # MSVC ships /openmp
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc.split()[0]) is None:
        return False
    src = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "omp_probe.c")
        with open(path, "w") as fh:
            fh.write(src)
        cmd = cc.split() + ["-fopenmp", path, "-o", os.path.join(tmp, "omp_probe")]
        return subprocess.run(cmd, capture_output=True).returncode == 0


HAS_OPENMP = _compiler_has_openmp()


def extension(name: str, *, openmp: bool = False) -> Extension:
    """One tier module ``impls/<name>.pyx`` built as ``slimbench.impls.<name>``."""
    compile_args = list(MSVC_FLAGS if sys.platform == "win32" else EXACT_FLAGS)
    link_args: list[str] = []
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    if openmp and HAS_OPENMP:
        compile_args.append("/openmp" if sys.platform == "win32" else "-fopenmp")
        if sys.platform != "win32":
            link_args.append("-fopenmp")
        macros.append(("SLIMBENCH_OPENMP", "1"))
    return Extension(
        f"slimbench.impls.{name}",
        [f"impls/{name}.pyx"],
        include_dirs=[numpy.get_include()],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        define_macros=macros,
    )


EXTENSIONS = [
    extension("_cython_untyped"),
    extension("_cython_typed"),
    extension("_cython_rand"),
    extension("_cython_transposed"),
    extension("_cython_bucketed"),
    extension("_cython_parallel", openmp=True),
]

class ParallelBuildExt(build_ext):
    """Compile the extensions on every core: a fresh `make test` builds all of them."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1


setup(
    ext_modules=cythonize(
        EXTENSIONS,
        language_level=3,
        compiler_directives={"embedsignature": True},
        nthreads=0 if sys.platform == "win32" else (os.cpu_count() or 1),
    ),
    cmdclass={"build_ext": ParallelBuildExt},
)
