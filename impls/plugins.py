"""Tiers from outside the project: a ``module:Class`` spec, or an installed package's
entry point in the group ``slimbench.tiers``.

A package announces its tiers in its own metadata, e.g. in pyproject.toml::

    [project.entry-points."slimbench.tiers"]
    my-tier = "my_package.my_module:MyTier"

Each entry point names a :class:`~slimbench.impls.Tier` subclass. Listing the tiers never
imports a plugin in this process: each entry point is imported in a probe subprocess with a
time limit, which validates the class and answers with its description (JSON). A plugin
whose import raises (``SystemExit`` included), hangs, or kills the interpreter is kept in
:data:`PLUGIN_ERRORS` with the reason and shown by ``slimbench tiers``; every command works
without it. A plugin that passed the probe is imported in this process only when a command
selects it.

This module discovers and imports; the registry (impls/registry.py) registers, and the one
check of a tier class is base.check_tier_class.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from .base import check_tier_class
from .errors import TierClassError

__all__ = [  # the class check and its error live in base and errors; named here as before
    "ENTRY_POINT_GROUP",
    "PLUGIN_ERRORS",
    "PluginInfo",
    "TierClassError",
    "check_tier_class",
    "describe_entry_point",
    "import_class_spec",
    "load_plugin_class",
    "probe_entry_points",
]

ENTRY_POINT_GROUP = "slimbench.tiers"
#: seconds a plugin's import may take in the probe (``SLIMBENCH_PLUGIN_TIMEOUT`` sets it)
PROBE_TIMEOUT = 5.0
#: seconds the probe's interpreter may take to start and import the project, on top
STARTUP_ALLOWANCE = 60.0
#: "entry point -> why it could not be loaded", for `slimbench tiers`
PLUGIN_ERRORS: dict[str, str] = {}
_ANSWER = "slimbench-probe-answer:"


@dataclass(frozen=True)
class PluginInfo:
    """An entry point that passed the probe: what ``slimbench tiers`` shows without
    importing it, and what importing it in this process needs."""

    tier: str
    exactness: str
    description: str
    python_class: str
    unavailable: str | None
    entry_point: str  # its name
    value: str  # "package.module:Class"
    distribution: str | None

    @property
    def where(self) -> str:
        return f"entry point {self.entry_point!r} ({self.value})"

    @property
    def origin(self) -> dict:
        return {
            "kind": "plugin",
            "distribution": self.distribution,
            "entry_point": f"{self.entry_point} = {self.value}",
        }


def import_class_spec(spec: str) -> object:
    """Import ``package.module:ClassName`` and return what it names (the registry's
    load_class_spec checks and registers it)."""
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
    except (Exception, SystemExit) as exc:  # the module's own code failed: one line
        raise TierClassError(
            f"importing {module_name!r} for tier {spec!r} raised {_one_line(exc)}"
        ) from None
    if not hasattr(module, class_name):
        raise TierClassError(f"module {module_name!r} has no class {class_name!r} ({spec!r}).")
    return getattr(module, class_name)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the probe: in a subprocess, each entry point -------------------------------------------


def describe_entry_point(name: str, value: str) -> dict:
    """Import one entry point, validate its class, and describe it (run in the probe)."""
    ep = EntryPoint(name, value, ENTRY_POINT_GROUP)
    where = f"entry point {name!r} ({value})"
    cls = check_tier_class(ep.load(), where)
    reason = cls.unavailable_reason()
    return {
        "tier": cls.name,
        "exactness": cls.exactness,
        "description": cls.description,
        "python_class": f"{cls.__module__}.{cls.__qualname__}",
        "unavailable": None if reason is None else str(reason),
    }


#: the probe's program: the plugin's own output goes to stderr, the answer alone to stdout.
#: The time limit starts once the project is imported (a loaded machine may take seconds to
#: start Python): SIGALRM, left at its default action, ends even a loop that holds the GIL.
_PROBE_SCRIPT = f"""
import json, os, signal, sys
answer_fd = os.dup(1)
os.dup2(2, 1)
try:
    from slimbench.impls.plugins import describe_entry_point
    if hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, float(sys.argv[3]))
    answer = describe_entry_point(sys.argv[1], sys.argv[2])
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)
except BaseException as exc:  # SystemExit and KeyboardInterrupt are a plugin's fault too
    text = " ".join(str(exc).split())
    answer = {{"error": type(exc).__name__ + (": " + text if text else "")}}
os.write(answer_fd, ({_ANSWER!r} + json.dumps(answer) + "\\n").encode())
os._exit(0)  # a plugin's threads or atexit hooks must not hold the probe
"""


def probe_timeout() -> float:
    """The probe's time limit: ``SLIMBENCH_PLUGIN_TIMEOUT`` seconds, else the default."""
    try:
        value = float(os.environ.get("SLIMBENCH_PLUGIN_TIMEOUT", PROBE_TIMEOUT))
    except ValueError:
        return PROBE_TIMEOUT
    return value if value > 0 else PROBE_TIMEOUT


def probe_entry_points(taken: set[str]) -> dict[str, PluginInfo]:
    """Probe every entry point of the group at once; the usable ones by tier name.

    ``taken`` holds the names already registered (built-in tiers). Broken entry points are
    recorded in :data:`PLUGIN_ERRORS`.
    """
    found = list(entry_points(group=ENTRY_POINT_GROUP))
    if not found:
        return {}
    timeout = probe_timeout()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    probes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROBE_SCRIPT, ep.name, ep.value, str(timeout)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # a plugin cannot signal this process's group
        )
        for ep in found
    ]
    # the probes' own timers stop a slow import; this deadline, one that ignores its timer
    deadline = time.monotonic() + timeout + STARTUP_ALLOWANCE
    plugins: dict[str, PluginInfo] = {}
    for ep, probe in zip(found, probes, strict=True):
        where = f"entry point {ep.name!r} ({ep.value})"
        answer, error = _answer(probe, deadline, timeout)
        if answer is not None and "error" not in answer:
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                entry_point=ep.name,
                value=ep.value,
                distribution=dist.name if dist is not None else None,
                **answer,
            )
            if info.tier in taken or info.tier in plugins:
                error = f"the tier name {info.tier!r} is already taken"
            else:
                plugins[info.tier] = info
                continue
        elif answer is not None:
            error = answer["error"]
            if error.startswith("TierClassError: "):  # the class failed its validation
                error = error.removeprefix("TierClassError: ").removeprefix(where)
                error = error.removeprefix(": ") if error.startswith(": ") else "it" + error
            else:
                error = f"importing it raised {error}"
        PLUGIN_ERRORS[where] = error
    return plugins


def _answer(probe: subprocess.Popen, deadline: float, timeout: float) -> tuple[dict | None, str]:
    """The probe's JSON answer, or (None, why there is none)."""
    try:
        out, err = probe.communicate(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        probe.kill()
        probe.communicate()
        return None, f"importing it took longer than {timeout:g} s (killed)"
    for line in out.decode(errors="replace").splitlines():
        if line.startswith(_ANSWER):
            try:
                return json.loads(line[len(_ANSWER) :]), ""
            except ValueError:
                break
    last = next((s for s in reversed(err.decode(errors="replace").splitlines()) if s.strip()), "")
    if probe.returncode == -getattr(signal, "SIGALRM", 0):  # the probe's own timer
        return None, f"importing it took longer than {timeout:g} s (stopped)"
    if probe.returncode < 0:
        try:
            signame = signal.Signals(-probe.returncode).name
        except ValueError:
            signame = f"signal {-probe.returncode}"
        why = f"importing it killed the interpreter ({signame})"
    else:
        why = f"importing it exited the interpreter with status {probe.returncode}"
    return None, why + (f": {last.strip()}" if last else "")


def load_plugin_class(info: PluginInfo) -> object:
    """Import a probed plugin in this process (it was selected) and return what its entry
    point names (the registry checks and registers it)."""
    try:
        return EntryPoint(info.entry_point, info.value, ENTRY_POINT_GROUP).load()
    except (Exception, SystemExit) as exc:
        raise TierClassError(f"{info.where}: importing it raised {_one_line(exc)}") from None
