"""What a run's noise record says, in sentences: read by the console, the report and compare."""

from __future__ import annotations

from ..formatting import plural

#: a tier whose interquartile range of samples/s exceeds this share of its median is noisy
NOISY_IQR_SHARE = 0.10


#: other processes' CPU use during the run above this share of the machine is reported
BUSY_SHARE = 0.10


def grouped_warnings(record: dict, most: int | None = None) -> list[str]:
    """The record's warnings with one sentence per kind: the noisy tiers in one line.

    A run on a busy machine flags most of its tiers; one sentence each says the same thing
    17 times and hides the machine-wide warnings between them. ``most``: name only the
    noisiest that many tiers (a console line), the others by count.
    """
    noisy = record.get("noisy_tiers") or {}
    prefixes = tuple(f"{name}: " for name in noisy)
    out = [w for w in record.get("warnings", []) if not (prefixes and w.startswith(prefixes))]
    if noisy:
        shown = list(noisy.items())
        if most is not None and len(shown) > most:
            shown = sorted(shown, key=lambda kv: -kv[1])[:most]
        shares = ", ".join(f"{name} {share:.0%}" for name, share in shown)
        if len(shown) < len(noisy):
            shares = f"the most {shares} (all in the report)"
        tiers = plural(len(noisy), "tier's", "tiers'")
        out.append(
            f"{tiers} rounds spread more than {NOISY_IQR_SHARE:.0%} of their median (IQR): "
            f"{shares}"
        )
    return out


def run_noise(doc: dict) -> str | None:
    """What made a whole saved run noisy, in a few words, or None (a quiet or unrecorded run).

    Read from its noise record: other processes' share of the machine above BUSY_SHARE, or
    a load average above its cores after timing.
    """
    record = doc.get("noise") or {}
    parts = []
    share = record.get("other_cpu_share")
    if share is not None and share > BUSY_SHARE:
        stolen = record.get("steal_share")
        host = f" ({stolen:.0%} taken by the host)" if stolen else ""
        parts.append(f"others used {share:.0%} of the machine{host}")
    load = ((record.get("after") or {}).get("load_average") or [None])[0]
    cores = (doc.get("machine") or {}).get("usable_cores")
    if load is not None and cores and load > cores:
        parts.append(f"load {load:.1f} on {plural(cores, 'core')}")
    return "; ".join(parts) or None


def tier_noise(doc: dict, name: str) -> str | None:
    """A tier flagged noisy in a saved run's record ("IQR 14%"), or None."""
    share = ((doc.get("noise") or {}).get("noisy_tiers") or {}).get(name)
    return None if share is None else f"IQR {share:.0%}"
