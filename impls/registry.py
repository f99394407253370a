"""Tiers by name: ``register`` adds one, ``get_tier`` finds one, ``create`` prepares one."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterator
from contextlib import contextmanager

from .base import EXACTNESS_CLASSES, Tier, unsupported_slim_message
from .errors import InvalidInputError, TierUnavailableError, UnknownTierError
from .slim import SLIM_OPTION_NAMES, SlimOptions

_TIERS: dict[str, type[Tier]] = {}
_PLUGINS_LOADED = False


def _load_plugins() -> None:
    """Register the installed packages' tiers (entry points), once, on first demand."""
    global _PLUGINS_LOADED
    if not _PLUGINS_LOADED:
        _PLUGINS_LOADED = True
        from .plugins import load_entry_points

        load_entry_points()


def register(cls: type[Tier]) -> type[Tier]:
    """Class decorator: make ``cls`` selectable by ``cls.name``."""
    if cls.exactness not in EXACTNESS_CLASSES:
        raise ValueError(f"tier {cls.name!r} declares unknown exactness {cls.exactness!r}")
    if cls.name in _TIERS and _TIERS[cls.name] is not cls:
        raise ValueError(f"a tier named {cls.name!r} is already registered")
    _TIERS[cls.name] = cls
    return cls


#: where a tier defined during a session comes from (a file, a notebook cell, an object sent
#: by value): a new definition of the same name replaces it; a built-in, a plugin or a
#: ``module:Class`` spec is never replaced
SESSION_ORIGINS: tuple[str, ...] = ("file", "pickle", "session-object")


def _session_defined(cls: type[Tier]) -> bool:
    return cls.origin.get("kind") in SESSION_ORIGINS


def replace_session_tier(cls: type[Tier]) -> type[Tier]:
    """Register ``cls``, replacing a session-defined tier of the same name (keeps its place).

    A name held by a built-in, a plugin or a ``module:Class`` tier is refused.
    """
    existing = _TIERS.get(cls.name)
    if existing is not None and existing is not cls and not _session_defined(existing):
        kind = existing.origin.get("kind", "built-in")
        raise InvalidInputError(
            f"the tier name {cls.name!r} belongs to a {kind} tier, which cannot be replaced; "
            "choose another name."
        )
    if cls.exactness not in EXACTNESS_CLASSES:
        raise ValueError(f"tier {cls.name!r} declares unknown exactness {cls.exactness!r}")
    _TIERS[cls.name] = cls
    return cls


def drop_session_tier(name: str) -> bool:
    """Forget the session-defined tier ``name`` (a cell that no longer compiles).

    True where there was one; any other tier is left alone.
    """
    existing = _TIERS.get(name)
    if existing is None or not _session_defined(existing):
        return False
    del _TIERS[name]
    return True


def tier_names() -> list[str]:
    """Every registered tier name: built-ins slowest family first, then tiers from outside."""
    _load_plugins()
    return list(_TIERS)


def get_tier(name: str) -> type[Tier]:
    """The tier class registered as ``name``; an unknown name lists the known ones."""
    _load_plugins()
    try:
        return _TIERS[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(_TIERS), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownTierError(
            f"unknown tier {name!r}.{hint} Known tiers: {', '.join(_TIERS)}."
        ) from None


def floor_for(name: str) -> str | None:
    """The floor a tier's "% floor" is against: the baseline reading its profile layout.

    None for a floor itself, and where no registered floor reads the tier's layout.
    """
    cls = get_tier(name)
    if cls.exactness == "baseline":
        return None
    for floor, other in _TIERS.items():
        if other.exactness == "baseline" and other.profile_layout_name == cls.profile_layout_name:
            return floor
    return None


def accepts_option(name: str, option: str) -> bool:
    """True where tier ``name``'s constructor takes the keyword ``option`` (e.g. threads)."""
    return option in inspect.signature(get_tier(name)).parameters


def create(name: str, urm: object, **options: object) -> Tier:
    """Prepare tier ``name`` on ``urm`` (that is its setup); options go to the tier.

    SLIM options (``no_diagonal``, ``l2``) at their defaults are dropped for tiers that do
    not implement them; anything else is refused with one line before any setup.
    """
    cls = get_tier(name)
    slim = SlimOptions(**{k: options.pop(k) for k in SLIM_OPTION_NAMES if k in options})
    if cls.supports_slim_options:
        options.update(slim.to_dict())
    elif not slim.is_default:
        raise InvalidInputError(unsupported_slim_message(name, slim))
    reason = cls.unavailable_reason()
    if reason is not None:
        raise TierUnavailableError(f"tier {name!r} is unavailable here: {reason}")
    return cls(urm, **options)


@contextmanager
def registered(cls: type[Tier]) -> Iterator[type[Tier]]:
    """Register ``cls`` for the duration of a ``with`` block (tests, experiments)."""
    register(cls)
    try:
        yield cls
    finally:
        _TIERS.pop(cls.name, None)
