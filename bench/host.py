"""The memory a new allocation may still take: the smallest of what the machine has free,
what the process's address-space limit leaves, and what its cgroup's memory limit leaves.

psutil's "available" is the machine's; a process under ``ulimit -v`` (RLIMIT_AS) or in a
container (a cgroup memory limit) fails far earlier, so every memory guard (input reads,
dense S, baselines) uses :func:`memory_left`. Each limit is read only where the platform
has it (``resource`` on POSIX, ``/proc`` and ``/sys/fs/cgroup`` on Linux).
"""

from __future__ import annotations

from pathlib import Path

import psutil

from .impls.cython_parallel import available_cores

#: a cgroup v1 limit at or above this means "no limit" (the kernel writes 2^63 - 4096)
UNLIMITED = 1 << 60
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def address_space_left() -> int | None:
    """Bytes RLIMIT_AS (``ulimit -v``) still allows this process; None where unlimited."""
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    return max(0, soft - psutil.Process().memory_info().vms)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None  # cgroup v2 writes "max" for no limit


def cgroup_memory_left(
    proc_cgroup: Path = PROC_CGROUP, root: Path = CGROUP_ROOT
) -> int | None:
    """Bytes the cgroup memory limits of this process (its group and the groups above it,
    v2 or v1) still allow; None where no limit is set or readable."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    left: list[int] = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # v2: 0::/path
            base, limit_name, usage_name = root, "memory.max", "memory.current"
            if not (root / "cgroup.controllers").exists():
                base = root / "unified"
        elif "memory" in controllers.split(","):  # v1: N:memory:/path
            base, limit_name, usage_name = root / "memory", "memory.limit_in_bytes", (
                "memory.usage_in_bytes"
            )
        else:
            continue
        group = base / path.lstrip("/")
        for folder in [group, *group.parents]:  # a parent's limit binds its children too
            if not folder.is_relative_to(base):
                break
            limit = _read_int(folder / limit_name)
            if limit is not None and limit < UNLIMITED:
                usage = _read_int(folder / usage_name) or 0
                left.append(max(0, limit - usage))
    return min(left) if left else None


def memory_left() -> int:
    """Bytes available to new allocations: the smallest of the three limits."""
    limits = [int(psutil.virtual_memory().available)]
    for read in (address_space_left, cgroup_memory_left):
        value = read()
        if value is not None:
            limits.append(value)
    return min(limits)


def usable_cores() -> int:
    """Cores this process may run on (affinity where the OS has it)."""
    return available_cores()


def available_memory() -> int:
    """Bytes of memory available to new allocations without swapping: the smallest of the
    machine's, the address-space limit's and the cgroup limit's (see memory_left)."""
    return memory_left()
