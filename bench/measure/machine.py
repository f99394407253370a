"""Machine and software metadata recorded with every result, and the memory available."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import psutil

from ..host import usable_cores

_PACKAGES = ("numpy", "scipy", "Cython", "numba", "pandas", "matplotlib", "slim-mse-bench")
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OMP_PROC_BIND",  # thread placement: measured, no effect on a 2-vCPU VM (docs/tiers.md)
    "OMP_PLACES",
    "GOMP_CPU_AFFINITY",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "OPENBLAS_CORETYPE",
)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _compiler() -> str | None:
    cc = sysconfig.get_config_var("CC") or os.environ.get("CC")
    if not cc:
        return None
    try:
        out = subprocess.run(
            cc.split()[:1] + ["--version"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return cc
    first = out.stdout.splitlines()[0] if out.stdout else cc
    return first.strip()


def _git_commit() -> str | None:
    """The checkout's commit where the package runs from one (editable installs)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _cpu_model() -> str:
    try:
        import cpuinfo

        info = cpuinfo.get_cpu_info()
        return str(info.get("brand_raw") or info.get("arch_string_raw") or platform.processor())
    except Exception:  # cpuinfo probes the OS in many ways; a missing name is not fatal
        return platform.processor() or platform.machine()


def _blas_threads() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: pool.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for pool in threadpool_info()
        ]
    except Exception:  # threadpoolctl inspects loaded libraries; never fail a run on it
        return []


def machine_metadata() -> dict:
    """CPU, cores, memory, OS, Python, package versions, compiler, threads, git commit."""
    vm = psutil.virtual_memory()
    return {
        "cpu_model": _cpu_model(),
        "machine": platform.machine(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": usable_cores(),
        "memory_total_bytes": int(vm.total),
        "memory_available_bytes": int(vm.available),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "compiler": _compiler(),
        "thread_env": {k: os.environ[k] for k in _THREAD_VARS if k in os.environ},
        "thread_pools": _blas_threads(),
        "git_commit": _git_commit(),
    }
