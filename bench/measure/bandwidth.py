"""The machine's memory bandwidth, measured in the same run as the tiers.

STREAM-style (McCalpin): copy (c = a, 16 bytes an element) and triad (a = b + s c, 24
bytes), on 1 thread and on all threads, best of a few repetitions. Two sizes:

* memory: three arrays of at least 4 x the last-level cache each (STREAM's rule), so every
  byte comes from DRAM;
* the profile data's working set: three arrays totalling the bytes of the training
  profiles (ids and ratings). Where that fits the last-level cache this is the cache's
  bandwidth, which is what a step that reads its profile can reach at best.

Each tier declares the bytes a step moves per profile entry beyond the caches under its own
layout (``Tier.bytes_per_entry``, a model); samples/s x expected profile length x that
gives the tier's bytes/s, shown as a share of the bandwidth at the profile's size for the
tier's thread count.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..impls._compiled import require_compiled

MIN_MEMORY_ARRAY = 64 << 20
MAX_ARRAY = 1 << 30
REPEATS = 5
MIN_TIMED_BYTES = 1 << 30  # per timing: ~30 ms at 30 GB/s


def last_level_cache_bytes() -> int:
    """The last-level cache of this machine (Linux sysfs, else py-cpuinfo, else 32 MiB)."""
    sizes = []
    for index in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            text = (index / "size").read_text().strip()
            level = int((index / "level").read_text())
        except (OSError, ValueError):
            continue
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        sizes.append((level, int(text[:-1]) * units.get(text[-1], 1)))
    if sizes:
        return max(sizes)[1]
    try:
        import cpuinfo

        value = cpuinfo.get_cpu_info().get("l3_cache_size")
        if value:
            return int(value)
    except Exception:
        pass
    return 32 << 20


def stream(array_bytes: int, threads: int, repeats: int = REPEATS) -> dict:
    """Best copy and triad bandwidth (bytes/s) over three arrays of ``array_bytes`` each.

    Each timing runs the kernel enough times to move at least MIN_TIMED_BYTES, so that
    arrays small enough to stay in cache are not timed at the clock's and OpenMP's grain.
    """
    kernel = require_compiled("_bandwidth")
    n = max(array_bytes // 8, 1024)
    a, b, c = (np.empty(n) for _ in range(3))
    for array, value in ((a, 1.0), (b, 2.0), (c, 0.0)):
        kernel.first_touch(array, value, threads)
    inner = max(1, -(-MIN_TIMED_BYTES // (16 * n)))
    best = {"copy": 0.0, "triad": 0.0}
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            kernel.copy(a, c, threads)
        best["copy"] = max(best["copy"], inner * 16 * n / (time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(inner):
            kernel.triad(a, b, c, 3.0, threads)
        best["triad"] = max(best["triad"], inner * 24 * n / (time.perf_counter() - start))
    return {**best, "array_bytes": 8 * n, "threads": threads}


def measure(profile_bytes: int, cores: int) -> dict:
    """Memory and profile-size bandwidth on 1 thread and ``cores`` threads."""
    llc = last_level_cache_bytes()
    memory_array = min(max(4 * llc, MIN_MEMORY_ARRAY), MAX_ARRAY)
    profile_array = min(max(profile_bytes // 3, 1 << 20), MAX_ARRAY)
    widths = sorted({1, max(cores, 1)})
    return {
        "last_level_cache_bytes": llc,
        "profile_bytes": profile_bytes,
        "profile_fits_last_level_cache": profile_bytes <= llc,
        "memory": {str(t): stream(memory_array, t) for t in widths},
        "profile": {str(t): stream(profile_array, t) for t in widths},
    }


def best_rate(level: dict) -> float:
    """The higher of copy and triad: the most this level delivered."""
    return max(level["copy"], level["triad"])


def tier_traffic(entry: dict, expected_profile_length: float, bandwidth: dict) -> None:
    """Fill a tier entry's ``bytes_per_second`` and ``percent_of_bandwidth`` (profile level)."""
    sps = entry.get("samples_per_second")
    per_entry = entry.get("bytes_per_entry")
    if not sps or per_entry is None or not bandwidth:
        entry["bytes_per_second"] = entry["percent_of_bandwidth"] = None
        return
    rate = sps["median"] * expected_profile_length * per_entry
    levels = bandwidth["profile"]
    threads = str(entry.get("threads") or 1)
    level = levels.get(threads) or levels[max(levels, key=int)]
    entry["bytes_per_second"] = rate
    entry["percent_of_bandwidth"] = 100.0 * rate / best_rate(level)
