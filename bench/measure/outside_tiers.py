"""Tiers from outside the project, known to the harness by their description only.

A user's file, a ``module:Class`` spec or a plugin is code the harness has not read: it is
imported in a throw-away worker (tier_process.describe_in_worker), which reports the
class's name, exactness and the rest of the contract's class attributes (impls/base.py). The parent
registers a stand-in class carrying them, so that every command selects, checks, times
and reports the tier by name as it does a built-in one, while the tier's code runs only
in worker processes (tier_process.RemoteTier).
"""

from __future__ import annotations

import inspect
import re
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..impls import ReplayTier, Tier, get_tier, register, tier_names
from ..impls.errors import SlimBenchError, TierUnavailableError
from ..impls.registry import set_plugin_loader
from .tier_process import SETUP_TIMEOUT, describe_in_worker


class OutsideTierError(SlimBenchError, ValueError):
    """A tier from outside cannot be registered (its name is taken by another tier)."""


class OutsideTier(Tier):
    """The parent's stand-in for a tier that lives only in worker processes."""

    #: what the worker reported (tier_worker.describe)
    described: ClassVar[dict]

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return cls.described.get("unavailable_reason")

    def _setup(self) -> None:
        raise TierUnavailableError(
            f"tier {self.name!r} comes from outside the project and runs only in a worker "
            "process (slimbench.measure.tier_process.RemoteTier)"
        )

    def _run(self, n_steps: int) -> tuple[float, int]:  # pragma: no cover - never set up
        raise NotImplementedError

    def similarity(self):  # pragma: no cover - never set up
        raise NotImplementedError


class OutsideReplayTier(OutsideTier, ReplayTier):
    """The stand-in of a replay tier: a ReplayTier, as the registry's class check asks."""

    def _replay(self, indices):  # pragma: no cover - never set up
        raise NotImplementedError


class OutsideFloor(OutsideTier):
    """The stand-in of a floor: it declares the checksums the worker's floor keeps."""

    rating_checksum: float
    index_checksum: int
    entries_read: int

    def expected_checksums(self, draws):  # pragma: no cover - never set up
        raise NotImplementedError


_STAND_IN_BASES = {"replay": OutsideReplayTier, "floor": OutsideFloor}


def _signature(parameters: list[str]) -> inspect.Signature:
    params = [inspect.Parameter("urm", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [
        inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, default=None)
        for p in parameters
        if p != "urm" and p.isidentifier()
    ]
    return inspect.Signature(params)


def stand_in(described: dict) -> type[OutsideTier]:
    """A registrable class with the class attributes a worker reported."""
    attrs = {
        "name": described["name"],
        "exactness": described["exactness"],
        "description": described["description"],
        "tolerance": described["tolerance"],
        "similarity_itemsize": described["similarity_itemsize"],
        "origin": described["origin"],
        "bytes_per_entry": described["bytes_per_entry"],
        "profile_layout_name": described["profile_layout_name"],
        "parallel_option": described["parallel_option"],
        "supports_slim_options": described["supports_slim_options"],
        "similarity_is_distributed": described.get("similarity_is_distributed", False),
        "compile_seconds": described.get("compile_seconds"),
        "build_cache_hit": described.get("build_cache_hit", False),
        "build_notes": tuple(described.get("build_notes", ())),
        "audit_stream": described.get("audit_stream"),
        "dtype": np.dtype(described.get("dtype", "<f8")).type,
        "described": described,
        "__signature__": _signature(described["parameters"]),
        "__module__": __name__,
        "__doc__": f"Stand-in for the tier {described['name']!r} from outside the project.",
    }
    if described.get("cython_source_path"):
        attrs["cython_source_path"] = Path(described["cython_source_path"])
    base = _STAND_IN_BASES.get(described["exactness"], OutsideTier)
    return type("Outside_" + re.sub(r"\W", "_", described["name"]), (base,), attrs)


def _same_origin(a: dict, b: dict) -> bool:
    keys = ("kind", "path", "sha256", "spec", "entry_point")
    return all(a.get(k) == b.get(k) for k in keys)


def register_outside(origin: dict, label: str, timeout: float = SETUP_TIMEOUT) -> str:
    """Describe the tier ``origin`` names in a worker, register its stand-in, return its name.

    The same file or spec registered twice is registered once; a name taken by another
    tier is refused in one line.
    """
    with tempfile.TemporaryDirectory(prefix="slimbench-describe-") as tmp:
        described = describe_in_worker(label, origin, Path(tmp), timeout)
    name = described["name"]
    if name in tier_names(plugins=False):  # registered here (a probed plugin is not yet)
        existing = get_tier(name)
        if _same_origin(existing.origin, described["origin"]):
            return name
        where = existing.origin.get("path") or existing.origin.get("spec")
        where = where or existing.origin.get("kind", "built-in")
        raise OutsideTierError(
            f"{label}: the tier name {name!r} is taken ({where}); give the tier another name "
            "(NAME = '...' in a tier file)."
        )
    register(stand_in(described))
    return name


def _plugin_in_worker(info) -> type:
    """A probed plugin, described in a worker: its code never runs in the harness."""
    return get_tier(register_outside(info.origin, info.where))


set_plugin_loader(_plugin_in_worker)


def register_tier_file(path: str | Path) -> str:
    """A user's ``.pyx``/``.py`` tier file: compiled and imported in a worker, never here."""
    from ..impls.user_build import checked_path

    resolved = checked_path(path)
    return register_outside({"kind": "file", "path": str(resolved)}, resolved.name)


def register_class_spec(spec: str) -> str:
    """A ``package.module:Class`` tier, imported in a worker, never here."""
    from ..impls.plugins import TierClassError

    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise TierClassError(f"{spec!r} is not of the form package.module:ClassName.")
    return register_outside({"kind": "class", "spec": spec}, spec)
