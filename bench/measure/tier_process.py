"""Every tier in its own worker process: the parent's side (the child is tier_worker.py).

The harness must survive anything a tier does. A :class:`TierProcess` starts
``python -m slimbench.measure.tier_worker`` in a session of its own (so the terminal's
Ctrl-C reaches only the parent, which then kills its workers), sends it the contract's
methods one at a time, and waits for each reply at most a time limit. When the worker
dies or does not answer, the call raises :class:`WorkerFailure` with the verdict:

- killed by a signal: ``crashed (SIGSEGV) in train_steps during steps 1,200,001-1,400,000``;
- exited (any status, ``sys.exit``, ``os._exit``, a KeyboardInterrupt the parent did not
  send): ``exited with status 0 inside train_steps``;
- no answer in time: the worker is killed, ``did not return within 30 s``.

:class:`RemoteTier` is the Tier contract seen from the parent; :class:`SharedData` writes
the training arrays once to files that every worker maps copy-on-write.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import weakref
from multiprocessing import Pipe
from pathlib import Path

import numpy as np

from ..impls import RunResult, SlimBenchError, TrainingData, TrainingDiverged
from ..impls.base import CALLED_HOOKS, REPORTED_ATTRIBUTES, SETTABLE_ATTRIBUTES, contract_name

#: the least time a call may take before its worker is killed, whatever the plan says
DEFAULT_CALL_TIMEOUT = 60.0
#: a call may take this many times what the tier's measured rate predicts for it
TIMEOUT_FACTOR = 20.0
#: creating a tier may compile a user's .pyx or JIT a Numba loop
SETUP_TIMEOUT = 600.0
WORKER_STATUSES = ("crashed", "exited", "timed-out")
#: an S at most this large comes back through the pipe, a larger one through a file
SMALL_SIMILARITY_BYTES = 64 * 2**20

_LIVE: weakref.WeakSet[TierProcess] = weakref.WeakSet()


class WorkerFailure(SlimBenchError):
    """A tier's worker crashed, exited or did not answer in time: the tier's verdict.

    ``status`` is one of :data:`WORKER_STATUSES`; the message is the verdict's sentence.
    """

    def __init__(self, status: str, message: str, log: str = "") -> None:
        self.status = status
        self.log = log
        super().__init__(message)


class RemoteError(SlimBenchError):
    """An exception the tier raised in its worker, carried back as one line.

    ``type_name`` is the original exception's class name; ``project_error`` is True where
    it was one of this project's own (which already say what to do).
    """

    def __init__(self, type_name: str, message: str, project_error: bool) -> None:
        self.type_name = type_name
        self.project_error = project_error
        super().__init__(message if project_error else f"{type_name}: {message}")


def kill_all_workers() -> None:
    """Kill and reap every live worker (Ctrl-C, SIGTERM, or the end of a session)."""
    for proc in list(_LIVE):
        proc.kill()


def kill_process_tree(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and, where the OS has process groups, the children it started.

    A worker is started in a session of its own (POSIX), so its group is its tree; on
    Windows, which has neither ``os.killpg`` nor SIGKILL, the worker alone is killed.
    """
    if proc.poll() is not None:
        return
    killpg = getattr(os, "killpg", None)
    if killpg is not None:
        try:
            killpg(proc.pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass
    proc.kill()


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


class TierProcess:
    """One worker process and its connection (see the module docstring)."""

    def __init__(self, label: str, log_dir: Path) -> None:
        self.label = label
        parent, child = Pipe(duplex=True)
        self.conn = parent
        log_dir.mkdir(parents=True, exist_ok=True)
        fd, log_name = tempfile.mkstemp(prefix="worker-", suffix=".log", dir=log_dir)
        self.log_path = Path(log_name)
        # the parent's sys.path, so that a tier class pickled by reference imports there too
        path = os.pathsep.join(p for p in sys.path if p)
        env = {
            **os.environ,
            "PYTHONPATH": path,
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",
        }
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "slimbench.measure.tier_worker", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                start_new_session=True,  # Ctrl-C in the terminal reaches the parent only
                env=env,
            )
        finally:
            os.close(fd)
            child.close()
        _LIVE.add(self)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the worker printed (its stdout and stderr)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def request(self, op: str, *args: object, timeout: float, where: str) -> object:
        """Send ``op(*args)`` and return its value; raise the tier's verdict otherwise.

        ``where`` completes the verdict's sentence: "in train_steps during steps 1-10".
        """
        if not self.alive:
            raise self._death(where)
        try:
            self.conn.send((op, args))
            ready = self.conn.poll(timeout)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            raise self._death(where) from None
        if not ready:
            self.kill()
            raise WorkerFailure(
                "timed-out",
                f"did not return within {timeout:g} s {where} (the worker was killed; "
                "--call-timeout sets the limit)",
                self.log_tail(),
            )
        try:
            status, payload = self.conn.recv()
        except (EOFError, ConnectionResetError, OSError):
            raise self._death(where) from None
        if status == "ok":
            return payload
        if status == "diverged":
            exc = TrainingDiverged(self.label, int(payload["step"]))
            exc.last_returned_loss = payload.get("last_returned_loss")
            raise exc
        if status == "exited":
            self.kill()
            how = payload.get("how")
            code = payload.get("status")
            said = f"status {code}" if how == "SystemExit" else f"a {how}"
            raise WorkerFailure("exited", f"exited with {said} {where}", self.log_tail())
        raise RemoteError(payload["type"], payload["message"], payload["project_error"])

    def _death(self, where: str) -> WorkerFailure:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        _LIVE.discard(self)
        log = self.log_tail()
        if code is not None and code < 0:
            return WorkerFailure("crashed", f"crashed ({_signal_name(code)}) {where}", log)
        return WorkerFailure("exited", f"exited with status {code} {where}", log)

    def kill(self) -> None:
        """Kill the worker and its children (a Dask cluster it started), and reap it."""
        _LIVE.discard(self)
        kill_process_tree(self.proc)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()

    def close(self, timeout: float = 60.0) -> None:
        """Ask the tier to close (it may shut a cluster down), then make sure it is gone."""
        if self.alive:
            try:
                self.request("close", timeout=timeout, where="while closing")
            except SlimBenchError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        try:
            self.log_path.unlink()
        except OSError:
            pass


class SharedData:
    """The training arrays written once to a private folder, for the workers to map.

    Built-in and user tiers alike map them copy-on-write (``mmap_mode="c"``): the pages are
    shared until a tier writes, and a write (a user's loop that writes into ``indices``)
    stays private to its worker, so no tier can corrupt another's data.
    """

    def __init__(self, data: TrainingData, root: Path | None = None) -> None:
        self.data = data
        self.folder = Path(tempfile.mkdtemp(prefix="slimbench-data-", dir=root))
        arrays = {
            "indptr": data.indptr,
            "indices": data.indices,
            "ratings": data.ratings,
            "rows": data.rows,
        }
        try:
            for name, array in arrays.items():
                np.save(self.folder / f"{name}.npy", np.ascontiguousarray(array))
            (self.folder / "shape.json").write_text(json.dumps({"shape": list(data.csr.shape)}))
        except BaseException:
            self.cleanup()
            raise

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SharedData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def worker_origin(cls: type) -> dict:
    """How a worker finds the tier class ``cls``: where it came from, or ``cls`` itself.

    The project's own tiers and tiers from outside (a file, a spec, a plugin) are loaded by
    their origin. Any other registered class (one defined in a test, a notebook cell or a
    script) travels pickled with cloudpickle: by reference where its module is importable
    (the worker gets the parent's sys.path), by value where it is not (``__main__``).
    """
    origin = dict(cls.origin)
    if origin.get("kind", "built-in") != "built-in":
        return origin
    if cls.__module__.startswith("slimbench.impls."):
        return origin
    import cloudpickle

    return {"kind": "pickled-class", "payload": cloudpickle.dumps(cls)}


def _code_name(origin: dict) -> str:
    """How a verdict names the tier's code: the user's function, or the tier's run."""
    return "train_steps" if origin.get("kind") in ("file", "pickle") else "the tier's run"


class RemoteTier:
    """A tier living in its own worker: the parts of the Tier contract the harness uses.

    ``run`` returns the RunResult with ``seconds`` read in the worker around the call.
    Every call is bounded by a time limit: ``call_timeout`` at least, or TIMEOUT_FACTOR
    times what the tier's own measured rate predicts for the call.
    """

    def __init__(
        self,
        name: str,
        cls: type,
        shared: SharedData,
        *,
        options: dict,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        log_dir: Path | None = None,
        origin: dict | None = None,
    ) -> None:
        self.name = name
        self.cls = cls
        self.origin = dict(origin or worker_origin(cls))
        self.exactness = cls.exactness
        self.tolerance = cls.tolerance
        self.data = shared.data
        self.shared = shared
        self.call_timeout = float(call_timeout)
        self.steps_done = 0
        #: the steps asked of every run/replay call, in order: the parent's own record of
        #: the work it had the tier do (the audit replays exactly this), never the worker's
        self.calls: list[int] = []
        self.diverged_at: int | None = None
        self._rate: float | None = None  # steps per second of the last timed call
        self.process = TierProcess(name, log_dir or shared.folder)
        self.code = _code_name(self.origin)
        try:
            info = self.process.request(
                "create",
                name.partition("@")[0],
                self.origin,
                str(shared.folder),
                options,
                timeout=max(SETUP_TIMEOUT, self.call_timeout),
                where="while setting the tier up",
            )
        except BaseException:
            self.process.kill()
            raise
        self.setup_seconds = float(info["setup_seconds"])
        self.threads = int(info["threads"])
        self.bytes_per_entry = info["bytes_per_entry"]
        self.instruction_set = info["instruction_set"]
        self.compile_seconds = info["compile_seconds"]
        self.notes = list(info["notes"])
        self.last_returned_loss = None

    def _limit(self, steps: int) -> float:
        if self._rate and self._rate > 0 and math.isfinite(self._rate):
            return max(self.call_timeout, TIMEOUT_FACTOR * steps / self._rate)
        return self.call_timeout

    def _steps_span(self, steps: int) -> str:
        first, last = self.steps_done + 1, self.steps_done + steps
        span = f"step {first:,}" if steps == 1 else f"steps {first:,}-{last:,}"
        return f"in {self.code} during {span}"

    def _stepping(self, op: str, payload: object, steps: int) -> RunResult:
        self.calls.append(steps)
        try:
            value = self.process.request(
                op, payload, timeout=self._limit(steps), where=self._steps_span(steps)
            )
        except TrainingDiverged as exc:
            self.diverged_at = exc.step
            self.last_returned_loss = exc.last_returned_loss
            raise TrainingDiverged(self.name, exc.step) from None
        self.steps_done += int(value["steps"])
        if value["seconds"] > 0:
            self._rate = value["steps"] / value["seconds"]
        return RunResult(int(value["steps"]), float(value["loss"]), float(value["seconds"]))

    def run(self, n_steps: int) -> RunResult:
        """``n_steps`` more steps in the worker (the contract's ``Tier.run``)."""
        return self._stepping("run", int(n_steps), int(n_steps))

    def replay(self, indices: np.ndarray) -> RunResult:
        """The replay tier's own loop on ``indices`` (the contract's ``ReplayTier.replay``)."""
        idx = np.ascontiguousarray(indices, dtype=np.int64)
        return self._stepping("replay", idx, int(idx.size))

    def similarity(self) -> np.ndarray:
        """S as float64, from the worker: through a file when it is large (no pickled copy)."""
        n = self.data.n_items
        timeout = self._limit(0) + 60 + 8 * n * n / 50e6  # ~50 MB/s at the worst
        if 8 * n * n < SMALL_SIMILARITY_BYTES:
            return self.process.request("similarity", timeout=timeout, where="while handing S back")
        path = self.shared.folder / f"S-{self.process.proc.pid}.npy"
        try:
            self.process.request(
                "save_similarity", str(path), timeout=timeout, where="while handing S back"
            )
            return np.load(path)
        finally:
            path.unlink(missing_ok=True)

    def top_k(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k largest entries of each column, for a tier whose S is distributed."""
        return self.call_hook("top_k", int(k), timeout=self._limit(0) + 600)

    def columns(self, items: np.ndarray) -> np.ndarray:
        """``S[:, items]``, fetched from the worker (the audit's view of the timed work)."""
        return self.process.request(
            "columns",
            np.asarray(items, dtype=np.int64),
            timeout=self._limit(0) + 60,
            where="while handing S's audited columns back",
        )

    def report(self, attribute: str) -> object:
        """One of the contract's REPORTED_ATTRIBUTES (impls/base.py), read in the worker."""
        contract_name(attribute, REPORTED_ATTRIBUTES, "reported")
        return self.process.request("report", attribute, timeout=60, where=f"reading {attribute}")

    def configure(self, attribute: str, value: object) -> None:
        """One of the contract's SETTABLE_ATTRIBUTES, set in the worker."""
        contract_name(attribute, SETTABLE_ATTRIBUTES, "settable")
        self.process.request(
            "configure", attribute, value, timeout=60, where=f"setting {attribute}"
        )

    def call_hook(self, method: str, *args: object, timeout: float = 60.0) -> object:
        """One of the contract's CALLED_HOOKS (modified_inputs, worker_memory, ...)."""
        contract_name(method, CALLED_HOOKS, "called")
        return self.process.request(
            "call_hook", method, *args, timeout=timeout, where=f"in {method}"
        )

    def memory_usage(self) -> dict:
        """The worker's resident bytes before the tier's setup, and its peak since."""
        return self.process.request("memory_usage", timeout=60, where="reading its memory")

    def check_sampler(self, nnz: int) -> tuple[bool, str]:
        """The replay tier's test of its own sampler, run in its worker."""
        passed, seen = self.process.request(
            "check_sampler", nnz, timeout=self.call_timeout + 60, where="in check_sampler"
        )
        return bool(passed), str(seen)

    def close(self) -> None:
        self.process.close()


def describe_in_worker(name: str, origin: dict, log_dir: Path, timeout: float) -> dict:
    """Load a tier from outside in a throw-away worker and return what describes it.

    Importing a user's module runs their code: it happens there, never in the harness.
    """
    proc = TierProcess(name, log_dir)
    try:
        return proc.request(
            "describe", name, origin, timeout=timeout, where=f"while loading {name}"
        )
    finally:
        proc.close()
