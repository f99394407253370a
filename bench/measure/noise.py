"""Noise diagnostics, in the spirit of pyperf's: what else the machine was doing.

A run records, before timing and after it: the load average; the CPU seconds other
processes used in between (psutil: the machine's busy time less this process's and its
children's, so a LocalCluster's workers are not "other"), and of them the seconds the
hypervisor gave this virtual machine's cores to others (Linux's steal time: no process
here shows them, and on a shared host they are often most of the noise); the CPU
frequency governor and turbo state where the OS exposes them (Linux sysfs; a VM often
does not). A tier whose rounds' IQR exceeds NOISY_IQR_SHARE of their median is flagged.
Warnings go to results.json (``noise``, and ``noise`` in each flagged tier), the console
and the report.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil

from ..figures.noise_record import BUSY_SHARE, NOISY_IQR_SHARE
from ..formatting import plural

_CPUFREQ = Path("/sys/devices/system/cpu")


def _own_family() -> set[int]:
    me = psutil.Process()
    try:
        return {me.pid, *(c.pid for c in me.children(recursive=True))}
    except psutil.Error:
        return {me.pid}


def own_cpu_seconds() -> float:
    """CPU seconds used so far by this process, its finished children and its live ones."""
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for pid in _own_family() - {me.pid}:
        try:
            c = psutil.Process(pid).cpu_times()
            total += c.user + c.system
        except psutil.Error:
            pass  # ended between the listing and the reading
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (every core, every process)."""
    t = psutil.cpu_times()
    return sum(
        v for k, v in t._asdict().items() if k not in ("idle", "iowait", "guest", "guest_nice")
    )


def steal_seconds() -> float | None:
    """CPU seconds stolen from this virtual machine's cores so far, None where not counted."""
    return getattr(psutil.cpu_times(), "steal", None)


def frequency_settings() -> dict:
    """The CPU frequency governor(s) and turbo state, None where not exposed."""
    governors = sorted(
        {
            p.read_text().strip()
            for p in _CPUFREQ.glob("cpu[0-9]*/cpufreq/scaling_governor")
            if p.is_file()
        }
    )
    turbo = None
    no_turbo = _CPUFREQ / "intel_pstate" / "no_turbo"
    boost = _CPUFREQ / "cpufreq" / "boost"
    if no_turbo.is_file():
        turbo = no_turbo.read_text().strip() == "0"
    elif boost.is_file():
        turbo = boost.read_text().strip() == "1"
    return {"governors": governors or None, "turbo": turbo}


def snapshot() -> dict:
    """The state to record before and after timing."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "time": time.time(),
        "load_average": list(load) if load else None,
        # other processes' CPU = the machine's busy time less this run's own; summing the
        # other processes' own counters would lose those that end during the run
        "machine_busy_seconds": machine_busy_seconds(),
        "own_cpu_seconds": own_cpu_seconds(),
        "steal_seconds": steal_seconds(),
        **frequency_settings(),
    }


def noisy_tiers(tiers: list[dict]) -> dict[str, float]:
    """Tier name -> IQR / median of its samples/s, for tiers above NOISY_IQR_SHARE."""
    out = {}
    for t in tiers:
        sps = t.get("samples_per_second")
        if sps and sps.get("n", 0) >= 4 and sps["median"] > 0:
            share = sps["iqr"] / sps["median"]
            if share > NOISY_IQR_SHARE:
                out[t["name"]] = share
    return out


def diagnose(before: dict, after: dict, tiers: list[dict], cores: int) -> dict:
    """The run's noise record and its warnings (sentences)."""
    warnings = []
    seconds = max(after["time"] - before["time"], 1e-9)
    other = max(
        (after["machine_busy_seconds"] - before["machine_busy_seconds"])
        - (after["own_cpu_seconds"] - before["own_cpu_seconds"]),
        0.0,
    )
    busy = other / (seconds * max(cores, 1))
    stolen = None  # counted in the machine's busy time, so in ``other`` too
    if before.get("steal_seconds") is not None and after.get("steal_seconds") is not None:
        stolen = max(after["steal_seconds"] - before["steal_seconds"], 0.0)
    if busy > BUSY_SHARE:
        of_which = ""
        if stolen:
            of_which = (
                f" ({stolen:.0f} of them stolen by the hypervisor for other virtual machines, "
                f"{stolen / (seconds * max(cores, 1)):.0%})"
            )
        warnings.append(
            f"other processes used {other:.0f} CPU seconds{of_which} during the "
            f"{seconds:.0f} s of timing, {busy:.0%} of the machine's {plural(cores, 'core')}: "
            "figures may be low and noisy"
        )
    load = after.get("load_average")
    if load and load[0] > cores:
        warnings.append(
            f"the load average was {load[0]:.2f} on {plural(cores, 'core')} after timing"
        )
    governors = after.get("governors") or []
    if any(g != "performance" for g in governors):
        warnings.append(
            f"CPU frequency governor {', '.join(governors)} (not 'performance'): clock "
            "speed may change during the run"
        )
    if after.get("turbo"):
        warnings.append("turbo boost is on: the clock depends on temperature and load")
    noisy = noisy_tiers(tiers)
    for name, share in noisy.items():
        warnings.append(
            f"{name}: its rounds' IQR is {share:.0%} of the median (above "
            f"{NOISY_IQR_SHARE:.0%}): a noisy figure"
        )
    return {
        "before": before,
        "after": after,
        "other_cpu_seconds": other,
        "other_cpu_share": busy,
        "steal_seconds": stolen,
        "steal_share": None if stolen is None else stolen / (seconds * max(cores, 1)),
        "noisy_tiers": noisy,
        "warnings": warnings,
    }


