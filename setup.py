"""Build the Cython tiers.

The compiler flags (``-O3 -ffp-contract=off``, no fast-math, OpenMP where the compiler
has it) live in impls/build_settings.py, shared with the on-the-fly build of a user's
own .pyx, so that a user's loop is compiled exactly like the built-in tiers.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _load_build_settings() -> ModuleType:
    """impls/build_settings.py by file path: importing the package would need scipy."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "impls", "build_settings.py")
    spec = importlib.util.spec_from_file_location("slimbench_build_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SETTINGS = _load_build_settings()


def extension(name: str, *, openmp: bool = False) -> Extension:
    """One tier module ``impls/<name>.pyx`` built as ``slimbench.impls.<name>``."""
    return Extension(
        f"slimbench.impls.{name}", [f"impls/{name}.pyx"], **SETTINGS.extension_kwargs(openmp=openmp)
    )


EXTENSIONS = [
    extension("_cython_untyped"),
    extension("_cython_typed"),
    extension("_cython_rand"),
    extension("_cython_transposed"),
    extension("_cython_bucketed"),
    extension("_cython_parallel", openmp=True),
    extension("_cython_interleaved", openmp=True),
    extension("_cython_interleaved_simd", openmp=True),  # AVX2 kernel: function target
    extension("_bandwidth", openmp=True),
    extension("_step_bound"),  # python -m slimbench.measure.step_bound: the SIMD step in parts
    extension("_audit_reference", openmp=True),
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
        compiler_directives=SETTINGS.CYTHON_DIRECTIVES,
        nthreads=0 if sys.platform == "win32" else (os.cpu_count() or 1),
    ),
    cmdclass={"build_ext": ParallelBuildExt},
)
