"""Which tiers a command works on: names, ``module:Class`` specs, ``all``, user files.

Without ``--tiers``, every tier; with a user's tier (``--tier-file``, or a
``module:Class`` spec) and no ``--tiers``, the user's tiers beside python-naive (the
reference), cython-rand (the seed's best) and the fastest exact built-in tier, so the
user's loop is placed on the seed's scale without timing everything. ``--tiers all`` keeps
every tier.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..impls import SlimBenchError, accepts_option, get_tier, tier_names
from .outside_tiers import register_class_spec, register_tier_file

#: the built-in tiers a user's tier is shown beside by default (plus the fastest exact one)
USER_COMPANIONS = ("python-naive", "cython-rand")


def fastest_exact_builtin() -> str | None:
    """The fastest available built-in bitwise tier (the registry lists built-ins slowest first)."""
    exact = [
        name
        for name in tier_names(plugins=False)  # an installed plugin is not imported for this
        if get_tier(name).origin.get("kind") == "built-in"
        and get_tier(name).exactness == "bitwise"
        and get_tier(name).unavailable_reason() is None
    ]
    return exact[-1] if exact else None


def resolve_tier(name: str) -> str:
    """A registry name for ``name``: a ``module:Class`` spec is described in a worker and
    registered (its code never runs in the harness's process)."""
    if ":" in name:
        return register_class_spec(name)
    get_tier(name.partition("@")[0])  # an unknown name fails here, with a suggestion
    return name


def select_tiers(
    tiers: Sequence[str] | None, tier_files: Sequence[str] = (), *, companions: bool = True
) -> list[str]:
    """The tiers to work on, in order, without duplicates.

    ``tiers`` is what ``--tiers`` gave (None: the default), ``tier_files`` what
    ``--tier-file`` gave. ``companions`` False (``slimbench check``) keeps a user's tiers
    alone by default, since the reference is always run.
    """
    user = [register_tier_file(path) for path in tier_files]
    if tiers is not None and list(tiers) == ["all"]:
        chosen = tier_names()
    elif tiers is not None:
        chosen = [resolve_tier(t) for t in tiers]
        user = [u for u in user if u not in chosen]
        chosen += user
    else:
        if not user:
            chosen = tier_names()
        elif companions:
            fastest = fastest_exact_builtin()
            builtins = [*USER_COMPANIONS, *([fastest] if fastest else [])]
            chosen = [b for b in builtins if b in tier_names()] + user
        else:
            chosen = user
    return list(dict.fromkeys(chosen))


def split_width(name: str) -> tuple[str, dict]:
    """``"cython-parallel@3"`` -> ("cython-parallel", {"threads": 3}); ``"dask-bucketed@2"``
    -> ("dask-bucketed", {"workers": 2}): N sets the tier's ``parallel_option``."""
    if "@" not in name:
        return name, {}
    base, _, width = name.partition("@")
    option = get_tier(base).parallel_option
    if option is None or not width.isdigit() or int(width) < 1:
        raise SlimBenchError(
            f"{name!r}: expected TIER@N with a positive N, for a tier that runs in parallel "
            "(cython-parallel@2 for 2 threads, dask-bucketed@2 for 2 workers)"
        )
    return base, {option: int(width)}


def tier_options(name: str, threads: int | None, extra: dict | None = None) -> dict:
    """Keyword arguments for ``create`` that tier ``name`` (maybe ``tier@N``) understands.

    ``threads`` goes to the tiers that take threads; ``extra`` (e.g. the Dask options
    ``workers``, ``threads_per_worker``, ``scheduler``) to those that take each key;
    ``@N`` in the name wins over both.
    """
    base, width = split_width(name)
    given = {"threads": threads, **(extra or {})}
    options = {k: v for k, v in given.items() if v is not None and accepts_option(base, k)}
    return {**options, **width}
