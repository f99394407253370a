"""The worker process a tier runs in: ``python -m slimbench.measure.tier_worker FD``.

pyperf's model: whatever a tier does (a segfault in a user's .pyx, ``os._exit(0)``, a loop
that never returns) happens in this process, never in the harness. The parent speaks to it
over the connection on file descriptor FD; each message is one method of the Tier contract
(impls/base.py) and each reply is ``(status, payload)``:

- ``("ok", value)``: the method returned;
- ``("diverged", {...})``: TrainingDiverged, with the step;
- ``("error", {...})``: an exception, with its type and one-line message;
- ``("exited", {...})``: the code called ``sys.exit`` or raised KeyboardInterrupt (the
  parent never sends SIGINT: this process ignores it, and a KeyboardInterrupt here is the
  tier's own doing); the worker then ends.

The clock is read here, around the tier's own call, so that the pipe's latency is never
timed. The training arrays come as ``.npy`` files mapped copy-on-write: every worker shares
the parent's pages until it writes, and a write stays private to the worker that made it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the parent dies (no orphaned worker spins on)."""
    if not sys.platform.startswith("linux"):  # elsewhere the parent's cleanup kills it
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's cleanup still kills it
        pass


def load_training_data(folder: str, private: bool = True):
    """The parent's training arrays from ``folder``, mapped copy-on-write (see module doc)."""
    import json

    import scipy.sparse as sp

    from ..impls.urm import trusted_training_data

    root = Path(folder)
    meta = json.loads((root / "shape.json").read_text())
    arrays = {
        name: np.load(root / f"{name}.npy", mmap_mode="c" if private else "r")
        for name in ("indptr", "indices", "ratings", "rows")
    }
    csr = sp.csr_matrix(
        (arrays["ratings"], arrays["indices"], arrays["indptr"]),
        shape=tuple(meta["shape"]),
        copy=False,
    )
    return trusted_training_data(csr, arrays["rows"])


def load_tier_class(name: str, origin: dict):
    """The tier class ``name`` in this process, loaded from where ``origin`` says."""
    from .. import impls
    from ..impls import get_tier

    kind = origin.get("kind", "built-in")
    if kind == "file":
        from ..impls.user_tier import load_tier_file

        if origin.get("checked"):  # the bounds-checked build that locates a crash
            from ..impls.user_tier import load_checked_tier_file

            return get_tier(load_checked_tier_file(origin["path"]))
        return get_tier(load_tier_file(origin["path"]))
    if kind == "class":
        from ..impls.registry import load_class_spec

        return get_tier(load_class_spec(origin["spec"]))
    if kind == "plugin":
        return get_tier(_load_entry_point(origin["entry_point"]))
    if kind == "pickled-class":
        import pickle

        from ..impls.registry import adopt

        return adopt(pickle.loads(origin["payload"]))
    if kind == "pickle":
        from ..impls.pickled_tier import load_pickled_tier

        return get_tier(load_pickled_tier(origin["path"]))
    del impls
    return get_tier(name)


def _load_entry_point(spec: str) -> str:
    """Register the one plugin tier ``spec`` ("name = module:Class") names; not the others."""
    from importlib.metadata import entry_points

    from ..impls.plugins import ENTRY_POINT_GROUP
    from ..impls.registry import register_external

    name = spec.partition("=")[0].strip()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            where = f"entry point {ep.name!r} ({ep.value})"
            dist = getattr(ep, "dist", None)
            origin = {
                "kind": "plugin",
                "distribution": dist.name if dist is not None else None,
                "entry_point": f"{ep.name} = {ep.value}",
            }
            return register_external(ep.load(), origin, where)
    raise LookupError(f"no entry point {name!r} in the group {ENTRY_POINT_GROUP!r}")


def describe(cls) -> dict:
    """What the parent needs to know of a tier class without importing it: the contract's
    class attributes (impls/base.py, Tier)."""
    import inspect

    from ..impls import ReplayTier

    try:
        parameters = list(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        parameters = []
    return {
        "name": cls.name,
        "exactness": cls.exactness,
        "description": cls.description,
        "tolerance": float(cls.tolerance),
        "similarity_itemsize": int(cls.similarity_itemsize),
        "origin": dict(cls.origin),
        "bytes_per_entry": cls.bytes_per_entry,
        "profile_layout_name": cls.profile_layout_name,
        "parallel_option": cls.parallel_option,
        "supports_slim_options": bool(cls.supports_slim_options),
        "similarity_is_distributed": bool(cls.similarity_is_distributed),
        "unavailable_reason": cls.unavailable_reason(),
        "parameters": parameters,
        "cython_source_path": str(cls.cython_source_path or "") or None,
        "compile_seconds": cls.compile_seconds,
        "build_cache_hit": bool(cls.build_cache_hit),
        "build_notes": [str(note) for note in cls.build_notes],
        "audit_stream": cls.audit_stream if issubclass(cls, ReplayTier) else None,
        "dtype": np.dtype(cls.dtype).str,
    }


class Worker:
    """The tier of this process and the handlers of the parent's messages."""

    def __init__(self) -> None:
        self.tier = None
        self.cls = None
        self.start_bytes = 0

    def op_describe(self, name: str, origin: dict) -> dict:
        self.cls = load_tier_class(name, origin)
        return describe(self.cls)

    def op_create(
        self, name: str, origin: dict, data_dir: str, options: dict, private: bool = True
    ) -> dict:
        from ..impls import create

        self.cls = load_tier_class(name, origin)
        data = load_training_data(data_dir, private=private)
        self.start_bytes = _resident_bytes()
        start = time.perf_counter()
        self.tier = create(self.cls.name, data, **options)
        setup = time.perf_counter() - start
        tier = self.tier
        return {
            "setup_seconds": setup,
            "threads": int(tier.threads),
            "bytes_per_entry": tier.bytes_per_entry,  # the layout it chose on this data
            "instruction_set": tier.instruction_set,  # the kernel it chose for this CPU
            "compile_seconds": tier.first_compile_seconds or tier.compile_seconds,
            "notes": list(tier.notes),
            "pid": os.getpid(),
        }

    def op_memory_usage(self) -> dict:
        """Resident bytes before the tier's setup and the peak since (its own cost)."""
        return {"start_bytes": self.start_bytes, "peak_bytes": _peak_resident_bytes()}

    def op_run(self, n_steps: int) -> dict:
        start = time.perf_counter()
        result = self.tier.run(n_steps)
        seconds = time.perf_counter() - start
        return {"steps": result.steps, "loss": result.loss, "seconds": seconds}

    def op_replay(self, indices: np.ndarray) -> dict:
        start = time.perf_counter()
        result = self.tier.replay(indices)
        seconds = time.perf_counter() - start
        return {"steps": result.steps, "loss": result.loss, "seconds": seconds}

    def op_similarity(self) -> np.ndarray:
        return np.array(self.tier.similarity(), dtype=np.float64, copy=True)

    def op_save_similarity(self, path: str) -> None:
        """S written to ``path`` (.npy): a large S goes through a file, not the pipe."""
        np.save(path, np.asarray(self.tier.similarity(), dtype=np.float64))

    def op_columns(self, items: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.tier.columns(np.asarray(items, dtype=np.int64)))

    # the contract's hooks by name: only those it declares (a misspelling is an error)

    def op_report(self, attribute: str) -> object:
        return self.tier.report(attribute)

    def op_configure(self, attribute: str, value: object) -> None:
        self.tier.configure(attribute, value)

    def op_call_hook(self, method: str, *args: object) -> object:
        return self.tier.call_hook(method, *args)

    def op_check_sampler(self, nnz: int) -> tuple[bool, str]:
        return self.cls.check_sampler(nnz)

    def op_close(self) -> None:
        if self.tier is not None:
            self.tier.close()
            self.tier = None


def _resident_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _peak_resident_bytes() -> int:
    """The process's peak resident set (Linux and macOS count it; elsewhere: now)."""
    try:
        import resource  # POSIX only: imported where used
    except ImportError:
        return _resident_bytes()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _error_payload(exc: BaseException) -> dict:
    from ..impls import SlimBenchError

    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "project_error": isinstance(exc, SlimBenchError),
    }


def _operation(worker: Worker, op: object) -> Callable[..., object]:
    """The worker's handler of message ``op``; a name it does not know is the protocol's
    error, said as such (not an AttributeError that would read as the tier's failure)."""
    from ..impls.base import ContractError

    handler = getattr(worker, f"op_{op}", None) if isinstance(op, str) else None
    if handler is None:
        raise ContractError(
            f"the tier worker has no operation {op!r}: the harness and its worker speak "
            "different protocols (a stale installation? reinstall the package)"
        )
    return handler


def serve(conn: Connection, worker: Worker) -> None:
    """Answer the parent's messages until it sends ``close`` or goes away."""
    from ..impls import TrainingDiverged

    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            value = _operation(worker, op)(*args)
            conn.send(("ok", value))
        except TrainingDiverged as exc:
            conn.send(
                (
                    "diverged",
                    {
                        "step": exc.step,
                        "message": str(exc),
                        "last_returned_loss": (
                            worker.tier.last_returned_loss if worker.tier is not None else None
                        ),
                    },
                )
            )
        except SystemExit as exc:
            conn.send(("exited", {"status": exc.code, "how": "SystemExit"}))
            os._exit(0)
        except KeyboardInterrupt:
            conn.send(("exited", {"status": None, "how": "KeyboardInterrupt"}))
            os._exit(0)
        except BaseException as exc:  # the tier's own failure: the parent decides
            conn.send(("error", _error_payload(exc)))
        if op == "close":
            return


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; Ctrl-C is its
    _die_with_parent()
    conn = Connection(int(argv[0]))
    worker = Worker()
    try:
        serve(conn, worker)
    finally:
        try:
            worker.op_close()  # a cluster the tier started never outlives it
        except Exception:
            pass
    conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # skip interpreter teardown: a user's module may hang or crash in its finalizers
    os._exit(0)


if __name__ == "__main__":
    main()
