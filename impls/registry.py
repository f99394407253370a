"""Tiers by name: ``register`` adds one, ``get_tier`` finds one, ``create`` prepares one."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .base import Tier, check_tier_class, set_slim_capable_lister, unsupported_slim_message
from .errors import (
    InvalidInputError,
    SlimBenchError,
    TierClassError,
    TierUnavailableError,
    UnknownTierError,
)
from .slim import SLIM_OPTION_NAMES, SlimOptions

_TIERS: dict[str, type[Tier]] = {}
#: the installed packages' tiers (entry points) that passed the probe, by tier name; each is
#: imported into this process (and so into _TIERS) only when a command selects it
_PLUGINS: dict[str, object] = {}
_PLUGINS_LOADED = False


def _load_plugins() -> None:
    """Probe the installed packages' tiers (in subprocesses), once, on first demand."""
    global _PLUGINS_LOADED
    if not _PLUGINS_LOADED:
        _PLUGINS_LOADED = True
        from .plugins import probe_entry_points

        _PLUGINS.update(probe_entry_points(set(_TIERS)))


def probed_plugin(name: str) -> object | None:
    """The probe's description (a ``PluginInfo``) of plugin tier ``name`` if it is not
    imported into this process yet; None otherwise."""
    _load_plugins()
    return _PLUGINS.get(name) if name not in _TIERS else None


#: how a selected plugin's class is obtained: None imports it into this process; the
#: harness sets one that describes it in a worker process and registers a stand-in
_PLUGIN_LOADER: Callable[[object], type[Tier]] | None = None


def set_plugin_loader(loader: Callable[[object], type[Tier]] | None) -> None:
    """Choose how a selected plugin tier is loaded (see ``_PLUGIN_LOADER``)."""
    global _PLUGIN_LOADER
    _PLUGIN_LOADER = loader


def register(cls: type[Tier], *, where: str | None = None) -> type[Tier]:
    """Class decorator: make ``cls`` selectable by ``cls.name``.

    The class passes base.check_tier_class first (a TierClassError, an InvalidInputError,
    in one line that starts with ``where``): a name that is not one printable, selectable
    word, an unknown exactness class, a "close" tolerance outside (0, 1) (a tolerance of 1
    would pass any S at all), a replay tier that cannot replay, a floor without checksums.
    """
    if where is None:
        where = f"tier class {cls.__qualname__}" if isinstance(cls, type) else "the object"
    return _add(check_tier_class(cls, where))


def _add(cls: type[Tier]) -> type[Tier]:
    if cls.name in _TIERS and _TIERS[cls.name] is not cls:
        raise ValueError(f"a tier named {cls.name!r} is already registered")
    _TIERS[cls.name] = cls
    return cls


def register_external(cls: object, origin: dict, where: str) -> str:
    """Check and register a tier class from outside the project (a spec, a plugin) with its
    origin; return its name. The same class twice is registered once; a name taken by
    another tier is refused."""
    cls = check_tier_class(cls, where)
    if cls.name in _TIERS:
        if _TIERS[cls.name] is cls:
            return cls.name
        raise TierClassError(f"{where}: the tier name {cls.name!r} is already taken.")
    cls.origin = origin
    _add(cls)
    return cls.name


def load_class_spec(spec: str) -> str:
    """Import ``package.module:ClassName``, register the class, return its tier name."""
    from .plugins import import_class_spec

    return register_external(import_class_spec(spec), {"kind": "class", "spec": spec}, spec)


def adopt(cls: type[Tier]) -> type[Tier]:
    """Register ``cls`` under its name in this process, in place of any class of that name.

    For the harness's worker process only: the class was registered and validated in the
    parent, which sent it here; a module import may have registered an equal copy first.
    """
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
    check_tier_class(cls, f"tier class {cls.__qualname__!r}")
    _TIERS[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Forget tier ``name`` (a user's file registered again after an edit)."""
    _TIERS.pop(name, None)


def drop_session_tier(name: str) -> bool:
    """Forget the session-defined tier ``name`` (a cell that no longer compiles).

    True where there was one; any other tier is left alone.
    """
    existing = _TIERS.get(name)
    if existing is None or not _session_defined(existing):
        return False
    del _TIERS[name]
    return True


def tier_names(*, plugins: bool = True) -> list[str]:
    """Every tier name: built-ins slowest family first, then tiers from outside.

    ``plugins`` False leaves out the installed packages' tiers not imported yet (and does
    not probe them).
    """
    if not plugins:
        return list(_TIERS)
    _load_plugins()
    return list(_TIERS) + [name for name in _PLUGINS if name not in _TIERS]


def get_tier(name: str) -> type[Tier]:
    """The tier class registered as ``name``; an unknown name lists the known ones.

    A plugin's tier is imported into this process here, the first time it is asked for.
    """
    if isinstance(name, str) and name in _TIERS:
        return _TIERS[name]
    _load_plugins()
    if isinstance(name, str) and name in _PLUGINS:
        if _PLUGIN_LOADER is not None:  # the harness: described in a worker, never here
            return _PLUGIN_LOADER(_PLUGINS[name])
        from .plugins import load_plugin_class

        info = _PLUGINS[name]
        cls = check_tier_class(load_plugin_class(info), info.where)
        if cls.name != info.tier:
            raise TierClassError(
                f"{info.where}: the class is named {cls.name!r} now, {info.tier!r} when probed."
            )
        cls.origin = info.origin
        return _add(cls)
    known = tier_names()
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    broken = _broken_plugin(name)
    raise UnknownTierError(
        broken or f"unknown tier {name!r}.{hint} Known tiers: {', '.join(known)}."
    )


def _broken_plugin(name: object) -> str | None:
    """The reason a plugin announced as ``name`` could not be loaded, if one was."""
    from .plugins import PLUGIN_ERRORS

    for where, error in PLUGIN_ERRORS.items():
        if where.startswith(f"entry point {name!r} "):
            return f"tier {name!r} is a plugin that cannot be loaded: {where}: {error}."
    return None


def floor_by_layout(name: str) -> str | None:
    """The floor a tier's "% floor" is against, found in the registry: the registered floor
    reading the same profile layout as the class of ``name``.

    A run and a pytest-benchmark import record it in each tier's entry; the figures of a
    saved document read that record (slimbench.output.results.recorded_floor), never this,
    as the registry of the reader may differ from the writer's. None for a floor itself,
    and where no registered floor reads the tier's layout.
    """
    cls = get_tier(name)
    if cls.exactness == "floor":
        return None
    for floor, other in _TIERS.items():
        if other.exactness == "floor" and other.profile_layout_name == cls.profile_layout_name:
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
    if cls.origin.get("kind", "built-in") in ("class", "plugin"):
        return _create_external(cls, name, urm, options)
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


def _create_external(cls: type[Tier], name: str, urm: object, options: dict) -> Tier:
    """``create`` for a tier from outside: its own code failing is one line, not a traceback."""
    try:
        reason = cls.unavailable_reason()
    except Exception as exc:
        raise TierClassError(
            f"tier {name!r}: its unavailable_reason() raised {type(exc).__name__}: {exc}"
        ) from None
    if reason is not None:
        raise TierUnavailableError(f"tier {name!r} is unavailable here: {reason}")
    try:
        return cls(urm, **options)
    except SlimBenchError:  # the project's own checks of the data and options
        raise
    except Exception as exc:
        where = cls.origin.get("spec") or cls.origin.get("entry_point") or name
        raise TierClassError(
            f"tier {name!r} ({where}): creating it raised {type(exc).__name__}: {exc}"
        ) from None


@contextmanager
def registered(cls: type[Tier]) -> Iterator[type[Tier]]:
    """Register ``cls`` for the duration of a ``with`` block (tests, experiments)."""
    register(cls)
    try:
        yield cls
    finally:
        _TIERS.pop(cls.name, None)


def kernel_code(name: str) -> frozenset[str]:
    """The code a tier's steps run: its compiled modules and the modules of its classes.

    Two tiers whose sets meet share kernel code (floor-compact is a cython-interleaved
    subclass, cython-parallel uses cython-bucketed's module): a slowdown of that code
    moves both, so one cannot be the other's control in ``slimbench compare``. The
    interface module (base) is shared by every tier and is not counted.
    """
    cls = get_tier(name)
    modules = {
        klass.__module__
        for klass in cls.__mro__
        if klass.__module__.startswith(__package__ or "") and klass.__module__ != Tier.__module__
    }
    return frozenset(modules | set(cls.compiled_modules))


def slim_capable_tiers() -> list[str]:
    """The registered tiers that implement SLIM's options (no_diagonal, l2), in order."""
    return [name for name, cls in _TIERS.items() if cls.supports_slim_options]


set_slim_capable_lister(slim_capable_tiers)  # base's refusal lists them; base cannot import us
