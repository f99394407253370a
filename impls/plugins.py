"""Tiers from outside the project: a ``module:Class`` spec, or an installed package's
entry point in the group ``slimbench.tiers``.

A package announces its tiers in its own metadata, e.g. in pyproject.toml::

    [project.entry-points."slimbench.tiers"]
    my-tier = "my_package.my_module:MyTier"

Each entry point names a :class:`~slimbench.impls.Tier` subclass; it is registered the
first time the registry is asked for its tiers and then appears in every command like a
built-in tier. A plugin that fails to load does not break the others: its error is kept in
:data:`PLUGIN_ERRORS` and shown by ``slimbench tiers``.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points

from .base import EXACTNESS_CLASSES, Tier
from .errors import SlimBenchError
from .registry import get_tier, register, tier_names

ENTRY_POINT_GROUP = "slimbench.tiers"
#: "entry point -> why it could not be loaded", for `slimbench tiers`
PLUGIN_ERRORS: dict[str, str] = {}


class TierClassError(SlimBenchError, ValueError):
    """A ``module:Class`` spec or an entry point that does not name a usable Tier."""


def check_tier_class(cls: object, where: str) -> type[Tier]:
    """``cls`` if it is a concrete Tier subclass with a name, an exactness and a description."""
    if not (isinstance(cls, type) and issubclass(cls, Tier)):
        raise TierClassError(
            f"{where} is {cls!r}, not a subclass of slimbench.impls.Tier; see the README, "
            "'Your own tier'."
        )
    missing = [a for a in ("name", "exactness", "description") if not hasattr(cls, a)]
    if missing:
        raise TierClassError(f"{where}: the class sets no {', '.join(missing)}.")
    if cls.exactness not in EXACTNESS_CLASSES:
        raise TierClassError(
            f"{where}: exactness {cls.exactness!r} is not one of {', '.join(EXACTNESS_CLASSES)}."
        )
    if inspect.isabstract(cls):
        methods = ", ".join(sorted(cls.__abstractmethods__))
        raise TierClassError(f"{where}: the class does not implement {methods}.")
    return cls


def _register_external(cls: type[Tier], origin: dict, where: str) -> str:
    if cls.name in tier_names():
        if get_tier(cls.name) is cls:
            return cls.name
        raise TierClassError(f"{where}: the tier name {cls.name!r} is already taken.")
    cls.origin = origin
    register(cls)
    return cls.name


def load_class_spec(spec: str) -> str:
    """Import ``package.module:ClassName``, register the class, return its tier name."""
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise TierClassError(f"{spec!r} is not of the form package.module:ClassName.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TierClassError(
            f"cannot import {module_name!r} for tier {spec!r}: {exc}. Is the package "
            "installed, or its folder on PYTHONPATH?"
        ) from None
    if not hasattr(module, class_name):
        raise TierClassError(f"module {module_name!r} has no class {class_name!r} ({spec!r}).")
    cls = check_tier_class(getattr(module, class_name), spec)
    return _register_external(cls, {"kind": "class", "spec": spec}, spec)


def load_entry_points() -> list[str]:
    """Register every tier announced in the ``slimbench.tiers`` group; return their names."""
    names = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name!r} ({ep.value})"
        try:
            cls = check_tier_class(ep.load(), where)
            dist = getattr(ep, "dist", None)
            origin = {
                "kind": "plugin",
                "distribution": dist.name if dist is not None else None,
                "entry_point": f"{ep.name} = {ep.value}",
            }
            names.append(_register_external(cls, origin, where))
        except Exception as exc:  # a broken plugin must not break the built-in tiers
            PLUGIN_ERRORS[where] = f"{type(exc).__name__}: {exc}"
    return names
