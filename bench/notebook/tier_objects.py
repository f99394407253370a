"""What the Python API accepts as a tier, turned into registry names.

A name (built-in, plugin, or registered in the session) and a ``module:Class`` spec are
used as ``--tiers`` uses them. A ``Tier`` subclass importable by its module is registered as
the spec ``module:Class``; one defined in ``__main__`` (a notebook cell), and any plain
``train_steps`` function, is written by value with cloudpickle and loaded from that file,
exactly as a tier's worker process loads it. Where cloudpickle cannot pickle it, the object
is registered in this process only, and :data:`REACHED` says so for the verdict.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from ..impls import InvalidInputError, Tier
from ..impls.pickled_tier import (
    PickledTierError,
    function_tier_class,
    load_pickled_tier,
    tier_name_of,
    write_pickled_tier,
)
from ..impls.registry import replace_session_tier
from .session_files import pickle_path

#: tier name -> how the session's object reaches a worker (shown beside its verdict)
REACHED: dict[str, str] = {}


def _importable_spec(cls: type) -> str | None:
    """``module:Class`` where another process can import ``cls`` under that name."""
    module, qualname = cls.__module__, cls.__qualname__
    if module == "__main__" or "." in qualname or "<" in qualname:
        return None
    try:
        found = getattr(importlib.import_module(module), qualname, None)
    except ImportError:
        return None
    return f"{module}:{qualname}" if found is cls else None


def _by_value(obj: object) -> str:
    """Pickle ``obj`` to the session's folder and load it back: the worker's own path."""
    name = tier_name_of(obj)
    try:
        path = write_pickled_tier(obj, pickle_path(name))
    except PickledTierError as exc:  # kept in this process only; the verdict says why
        return _in_process(obj, str(exc))
    registered = load_pickled_tier(path)
    REACHED[registered] = f"sent by value (cloudpickle) through the file {path.name}"
    return registered


def _in_process(obj: object, reason: str) -> str:
    origin = {"kind": "session-object", "reason": reason}
    if isinstance(obj, type):
        from ..impls.plugins import check_tier_class

        cls = check_tier_class(obj, f"class {tier_name_of(obj)!r}")
        cls.origin = origin
    else:
        cls = function_tier_class(obj, origin)
    replace_session_tier(cls)
    REACHED[cls.name] = f"not sent to a worker: {reason}; it runs in this process"
    return cls.name


def tier_reference(item: object) -> str:
    """A registry name (or spec) for one item of ``tiers=``: a name, a class or a function."""
    if isinstance(item, str):
        return item
    if isinstance(item, type) and issubclass(item, Tier):
        spec = _importable_spec(item)
        return spec if spec is not None else _by_value(item)
    if callable(item) and not isinstance(item, type):
        return _by_value(item)
    raise InvalidInputError(
        f"tiers: expected tier names, 'module:Class' specs, Tier subclasses or train_steps "
        f"functions, got {item!r} ({type(item).__name__})."
    )


def tier_references(items: Sequence[object] | str | None) -> list[str] | None:
    """:func:`tier_reference` for each item; a single name or object is a list of one."""
    if items is None:
        return None
    if isinstance(items, str) or not isinstance(items, Sequence):
        items = [items]
    return [tier_reference(item) for item in items]
