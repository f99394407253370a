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
    """Class decorator: make ``cls`` selectable by ``cls.name``.

    Raises InvalidInputError (a ValueError) for a name that is not one printable word, an
    unknown exactness class, or a "close" tolerance outside (0, 1): a tolerance of 1 would
    pass any S at all.
    """
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or not name.isprintable() or name != name.strip():
        raise InvalidInputError(
            f"tier class {cls.__qualname__} has name {name!r}: a tier's name must be printable "
            "text without control characters or surrounding spaces."
        )
    if cls.exactness not in EXACTNESS_CLASSES:
        raise ValueError(f"tier {cls.name!r} declares unknown exactness {cls.exactness!r}")
    tolerance = cls.tolerance
    if cls.exactness == "close" and (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not 0 < tolerance < 1
    ):
        raise InvalidInputError(
            f"tier {cls.name!r} is of class close with tolerance {tolerance!r}; it must be a "
            "number in (0, 1) (max|S - S_ref| <= tolerance * max|S_ref|)."
        )
    if cls.name in _TIERS and _TIERS[cls.name] is not cls:
        raise ValueError(f"a tier named {cls.name!r} is already registered")
    _TIERS[cls.name] = cls
    return cls


def adopt(cls: type[Tier]) -> type[Tier]:
    """Register ``cls`` under its name in this process, in place of any class of that name.

    For the harness's worker process only: the class was registered and validated in the
    parent, which sent it here; a module import may have registered an equal copy first.
    """
    _TIERS[cls.name] = cls
    return cls


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
    _refuse_unknown_options(name, cls, options)
    reason = cls.unavailable_reason()
    if reason is not None:
        raise TierUnavailableError(f"tier {name!r} is unavailable here: {reason}")
    return cls(urm, **options)


def _refuse_unknown_options(name: str, cls: type[Tier], options: dict) -> None:
    """An option the tier's constructor does not take is refused naming those it takes."""
    parameters = list(inspect.signature(cls).parameters.values())
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return  # the tier takes any keyword: it judges them itself
    takes = [
        p.name
        for p in parameters[1:]  # the first is the URM
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    unknown = sorted(set(options) - set(takes))
    if unknown:
        close = difflib.get_close_matches(unknown[0], takes, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInputError(
            f"tier {name!r} takes no option {', '.join(map(repr, unknown))}.{hint} Its options: "
            f"{', '.join(takes) or 'none'}."
        )


@contextmanager
def registered(cls: type[Tier]) -> Iterator[type[Tier]]:
    """Register ``cls`` for the duration of a ``with`` block (tests, experiments)."""
    register(cls)
    try:
        yield cls
    finally:
        _TIERS.pop(cls.name, None)
