"""dask-bucketed and dask-bucketed-f32: blocks of columns of S on Dask workers.

A step reads and writes one column of S only, so columns are independent problems (the
fact that makes the bucketed tiers exact). The items are split into one block per worker,
balanced by expected work (the summed profile length of the training interactions that
target each item) with an equal share of rows each; a worker holds the URM (sent once) and
only its own rows of W = S^T, in a Dask actor that lives across ``run`` calls.

Per block of the stream every worker regenerates the contract's PCG64 draws itself (the
same block sizes everywhere, so the same sequence), keeps the draws whose item is in its
block, in stream order, and runs the existing bucketed kernel (``_cython_parallel``'s
``train_block``, on ``threads_per_worker`` threads) on them. Nothing else crosses the
network during training but each step's squared error, which the driver sums in stream
order: the loss is the reference's to the bit, and divergence is found at the reference's
step (all workers then rebuild their block up to the step before, as the bucketed tiers do).

The engine is ``dask.distributed``: a LocalCluster the tier starts (and always shuts
down), or a running cluster given by its scheduler address.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import sys
import weakref
from typing import ClassVar

import numpy as np

from ._compiled import require_compiled
from .base import Tier, make_rng
from .errors import InvalidInputError, SlimBenchError, TierUnavailableError
from .limits import Bound, available_cores, worker_bound
from .registry import register
from .wording import plural

#: seconds to wait for the workers of a LocalCluster, or for a remote scheduler
CONNECT_TIMEOUT = 60


class DistributedTierError(SlimBenchError, RuntimeError):
    """A Dask worker died or could not be reached: the tier's S is incomplete."""


def dask_unavailable_reason() -> str | None:
    """Why the dask tiers cannot run here (None where they can)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return "dask.distributed is not installed (pip install 'slim-mse-bench[dask]')"
    return None


def refuse_unreachable(address: str, timeout: float = 5.0) -> None:
    """Fail at once where nothing listens at a tcp:// scheduler address (connection refused,
    unknown host) instead of waiting CONNECT_TIMEOUT for it; other schemes are left to Dask."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp"):
        return
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidInputError(
            f"the Dask scheduler address {address!r} has no port; write tcp://HOST:PORT."
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except TimeoutError:
        return  # a slow network, maybe: Dask waits its own timeout
    except OSError as exc:
        raise DistributedTierError(
            f"nothing answers at the Dask scheduler {address!r} ({exc.strerror or exc}); "
            "start the scheduler there or fix --dask-scheduler."
        ) from None


def balanced_item_blocks(work: np.ndarray, n_blocks: int) -> list[np.ndarray]:
    """Split item ids into ``n_blocks`` blocks of nearly equal work and equal row counts.

    Longest-processing-time first: the heaviest item goes to the least loaded block that
    still has room (a block holds at most ceil(n / n_blocks) items), so both the step work
    and the memory of W's rows are shared out evenly. Items within a block are sorted.
    """
    n = work.shape[0]
    cap = -(-n // n_blocks)
    load = np.zeros(n_blocks)
    members: list[list[int]] = [[] for _ in range(n_blocks)]
    for item in np.argsort(-work, kind="stable"):
        open_blocks = [b for b in range(n_blocks) if len(members[b]) < cap]
        b = min(open_blocks, key=lambda b: (load[b], b))
        members[b].append(int(item))
        load[b] += work[item]
    return [np.array(sorted(m), dtype=np.int32) for m in members]


def item_work(indptr: np.ndarray, indices: np.ndarray, n_items: int) -> np.ndarray:
    """Expected work of each target item: summed profile length of its interactions."""
    lengths = np.diff(indptr)
    per_entry = np.repeat(lengths, lengths).astype(np.float64)
    return np.bincount(indices, weights=per_entry, minlength=n_items)


class BlockTrainer:
    """The state of one worker (a Dask actor): the URM, its items, its rows of W, its stream.

    Runs in the worker process; the driver calls its methods through the actor handle.
    """

    def __init__(
        self,
        indptr,
        indices,
        ratings,
        rows,
        items,
        n_items,
        seed,
        learning_rate,
        dtype,
        threads,
        max_block,
    ):
        self.start_rss = _resident_bytes()  # before this block's W and copies exist
        _reset_peak_resident()
        self.kernel = require_compiled("_cython_bucketed")
        self.parallel = require_compiled("_cython_parallel")
        self.dtype = np.dtype(dtype)
        self.indptr, self.indices, self.rows = indptr, indices, rows
        self.ratings = np.ascontiguousarray(ratings, dtype=self.dtype)
        self.items = items
        self.seed, self.learning_rate = seed, learning_rate
        self.threads, self.max_block = threads, max_block
        local = np.full(n_items, -1, dtype=np.int32)
        local[items] = np.arange(items.shape[0], dtype=np.int32)
        #: local row of the item of interaction k, -1 where another worker owns it
        self.local_item = local[indices]
        self.W = np.empty((items.shape[0], n_items), dtype=self.dtype)
        self.reset()

    def reset(self) -> None:
        """Zero W (touching every page) and restart the stream."""
        self.parallel.first_touch(self.W, self.threads)
        self.rng = make_rng(self.seed)

    def run_block(self, size: int):
        """Draw the stream's next ``size`` indices, train the own ones; (positions, errors)."""
        draws = self.rng.integers(0, self.indices.shape[0], size=size)
        positions = np.flatnonzero(self.local_item[draws] >= 0).astype(np.int32, copy=False)
        mine = np.ascontiguousarray(draws[positions])
        order, item_ptr = self._bucket(mine)
        squared_errors = np.empty(mine.shape[0], dtype=np.float64)
        if mine.shape[0]:
            self.parallel.train_block(
                self.rows,
                self.ratings,
                self.indptr,
                self.indices,
                self.ratings,
                self.W,
                self.learning_rate,
                mine,
                order,
                item_ptr,
                squared_errors,
                self.threads,
            )
        return positions, squared_errors

    def _bucket(self, draws: np.ndarray):
        order = np.empty(draws.shape[0], dtype=np.int32)
        item_ptr = np.empty(self.items.shape[0] + 1, dtype=np.int64)
        self.kernel.bucket_by_item(draws, self.local_item, self.items.shape[0], order, item_ptr)
        return order, item_ptr

    def rebuild(self, n_good: int) -> None:
        """Restart and replay the stream's first ``n_good`` steps (after a divergence)."""
        self.reset()
        done = 0
        while done < n_good:
            size = min(self.max_block, n_good - done)
            self.run_block(size)
            done += size

    def rows_of_s(self):
        """(items, W rows): this block of S^T, for checks on small data."""
        return self.items, self.W

    def top_k(self, k: int):
        """Per own column i of S: the k largest S[j, i], ties to the lower row j, as the
        dense path's top-k (model_io.top_k_columns) picks them: (items, indices, values)."""
        k = min(k, self.W.shape[1])
        idx = np.empty((self.W.shape[0], k), dtype=np.int32)
        for start in range(0, self.W.shape[0], 256):  # bounds the argsort's temporaries
            rows = self.W[start : start + 256]
            idx[start : start + 256] = np.argsort(-rows, axis=1, kind="stable")[:, :k]
        return self.items, idx, np.take_along_axis(self.W, idx, axis=1)

    def memory(self) -> dict:
        """This worker process's peak resident bytes since the trainer was created, and its
        resident bytes then (the interpreter, numpy, Dask, the URM): the difference is what
        the block of W and the per-block buffers cost at their peak."""
        return {"peak_bytes": _peak_resident(), "start_bytes": self.start_rss, "pid": os.getpid()}

    def pid(self) -> int:
        return os.getpid()


def _resident_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _reset_peak_resident() -> None:
    """Restart the kernel's peak-RSS count (Linux): a spawned worker inherits its parent's,
    which for the harness includes generating the dataset."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_resident() -> int:
    """Peak resident bytes of this process (since the last reset, on Linux)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource  # POSIX only: imported where used, so the tiers import on Windows
    except ImportError:
        return _resident_bytes()  # no peak count here: the resident bytes now
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


_CLUSTERS: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_clusters() -> None:  # a cluster the harness started never outlives it
    for cluster in list(_CLUSTERS):
        try:
            cluster.close()
        except Exception:
            pass


def _quiet_dask_logs() -> None:
    # a worker that dies is reported once, by the tier, not by every Dask component
    for name in ("distributed", "bokeh", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _width(value: object, bound: Bound, default: int) -> int:
    return default if value is None else int(bound.check(value))


class DaskBucketedTier(Tier):
    """Blocks of W = S^T on Dask workers, trained by the bucketed kernel (see module doc)."""

    compiled_modules: ClassVar[tuple[str, ...]] = ("_cython_bucketed", "_cython_parallel")
    #: steps per block of the stream (each worker holds 8 + 4 + 8 bytes per step of it)
    #: steps per block of the stream: every worker draws the whole block (8 bytes a step)
    #: and sends back 12 bytes per own step, so blocks are smaller than the bucketed
    #: tiers' 2^24; 2^22 steps still hold ~400 draws per item of a 10k-item catalog
    max_block: ClassVar[int] = 1 << 22
    dtype: ClassVar[type] = np.float64
    parallel_option: ClassVar[str] = "workers"
    #: per worker as cython-bucketed: the profile entry (id + rating); W[i] stays in cache
    bytes_per_entry: ClassVar[float] = 4 + 8

    similarity_is_distributed = True

    @classmethod
    def memory_bytes(cls, data, *, workers=None, scheduler=None, **options) -> int:
        """On this machine: all of S for a LocalCluster (its workers live here), plus a URM
        copy per worker; with a remote scheduler only the driver's share of the loss."""
        if scheduler:
            return 20 * cls.max_block
        n_workers = workers or available_cores()
        return cls.similarity_itemsize * data.n_items**2 + 20 * data.nnz * n_workers

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return dask_unavailable_reason() or super().unavailable_reason()

    def __init__(
        self,
        urm: object,
        *,
        seed: int = 0,
        learning_rate: float = 1e-6,
        workers: int | None = None,
        threads_per_worker: int | None = None,
        scheduler: str | None = None,
    ) -> None:
        # a LocalCluster's workers are processes on this machine: as many as threads may be
        self.n_workers = _width(
            workers, worker_bound("workers", remote=bool(scheduler)), available_cores()
        )
        self.threads_per_worker = _width(threads_per_worker, worker_bound("threads_per_worker"), 1)
        if scheduler is not None and not (isinstance(scheduler, str) and scheduler.strip()):
            # an empty $VAR must not quietly benchmark a LocalCluster on this machine
            raise InvalidInputError(
                f"the Dask scheduler address is empty ({scheduler!r}); give one such as "
                "tcp://10.0.0.5:8786, or leave it out to start a LocalCluster here."
            )
        self.scheduler = scheduler.strip() if scheduler else None
        self.notes: list[str] = []
        self.client = self.cluster = None
        try:
            super().__init__(urm, seed=seed, learning_rate=learning_rate)
        except BaseException:
            self.close()
            raise

    @property
    def threads(self) -> int:
        """Cores the tier keeps busy (workers x threads per worker)."""
        return self.n_workers * self.threads_per_worker

    def _setup(self) -> None:
        reason = dask_unavailable_reason()
        if reason is not None:
            raise TierUnavailableError(reason)
        self._connect()
        d = self.data
        blocks = balanced_item_blocks(item_work(d.indptr, d.indices, d.n_items), self.n_workers)
        workers = self.client.scheduler_info()["workers"]
        addresses = sorted(workers)
        if len(addresses) < self.n_workers:
            raise DistributedTierError(
                f"the cluster has {plural(len(addresses), 'worker')}, {self.n_workers} asked for; "
                "start more workers or pass fewer (--dask-workers)."
            )
        limits = [workers[a].get("memory_limit") or 0 for a in addresses[: self.n_workers]]
        self._check_worker_memory(max(b.shape[0] for b in blocks), min(limits))
        urm = self.client.scatter(
            [d.indptr, d.indices, d.ratings, d.rows], broadcast=True, hash=False
        )  # sent once to every worker
        self.blocks = blocks
        futures = [
            self.client.submit(
                BlockTrainer,
                *urm,
                block,
                d.n_items,
                self.seed,
                self.learning_rate,
                np.dtype(self.dtype).str,
                self.threads_per_worker,
                self.max_block,
                actor=True,
                workers=[address],
                allow_other_workers=False,
                pure=False,
            )
            for block, address in zip(blocks, addresses, strict=False)
        ]
        self.actors = self._wait(futures, "starting the block trainers")
        self.notes.append(
            f"{plural(self.n_workers, 'Dask worker')} x "
            f"{plural(self.threads_per_worker, 'thread')}; "
            f"items per worker {', '.join(str(b.shape[0]) for b in blocks)}"
            + (f"; dashboard {self.dashboard}" if self.dashboard else "")
        )

    def _check_worker_memory(self, rows: int, limit: int) -> None:
        """Refuse, before allocating, a block of W that does not fit a worker's memory limit."""
        d = self.data
        itemsize = np.dtype(self.dtype).itemsize
        fixed = 24 * d.nnz + 20 * self.max_block  # URM copy, item map, per-block buffers
        need = rows * d.n_items * itemsize + fixed
        if limit and need > limit:
            head = (
                f"{self.name}: each worker needs about {need / 2**30:.2f} GiB for its "
                f"{rows:,} rows of W ({d.n_items:,} items, {itemsize}-byte values) but the "
                f"workers have {limit / 2**30:.2f} GiB"
            )
            if fixed >= limit:
                raise InvalidInputError(
                    f"{head}; the URM copy and the block buffers alone take "
                    f"{fixed / 2**30:.2f} GiB, so no number of such workers is enough: give "
                    "the workers more memory."
                )
            workers = -(-d.n_items * d.n_items * itemsize // (limit - fixed))
            raise InvalidInputError(
                f"{head}; it would take {plural(workers, 'worker')} of that size (or workers with "
                "more memory)."
            )

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        _quiet_dask_logs()
        try:
            if self.scheduler:
                refuse_unreachable(self.scheduler)
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            else:
                import dask

                # W is actor state, not task data: the memory manager must not pause or
                # kill a worker for holding its block
                dask.config.set(
                    {
                        "distributed.worker.memory.target": False,
                        "distributed.worker.memory.spill": False,
                        "distributed.worker.memory.pause": False,
                        "distributed.worker.memory.terminate": False,
                    }
                )
                self.cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=self.threads_per_worker,
                    processes=True,
                    dashboard_address=":0",
                    memory_limit=0,
                    silence_logs=logging.ERROR,
                )
                _CLUSTERS.add(self.cluster)
                self.client = Client(self.cluster, timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            where = self.scheduler or "a LocalCluster"
            raise DistributedTierError(f"cannot reach Dask at {where}: {exc}") from None
        try:
            self.dashboard = self.client.dashboard_link
        except Exception:
            self.dashboard = None

    def _call_all(self, method: str, *args: object, what: str) -> list:
        """``method(*args)`` on every block trainer, their results in order (see _wait).

        The calls are made inside _wait: calling an actor whose worker was lost raises at
        once, and must end in the tier's verdict as a lost result does."""
        return self._wait(lambda: [getattr(a, method)(*args) for a in self.actors], what)

    def _wait(self, futures, what: str):
        """The results of ``futures`` (a list, or a function making it)."""
        try:
            return [f.result() for f in (futures() if callable(futures) else futures)]
        except Exception as exc:  # a worker died or the cluster went away
            raise DistributedTierError(
                f"{self.name}: {what} failed on a Dask worker ({type(exc).__name__}: {exc}); "
                "S is incomplete, the tier stops here."
            ) from None

    def _run(self, n_steps: int) -> tuple[float, int]:
        loss, done = 0.0, 0
        while done < n_steps:
            size = min(self.max_block, n_steps - done)
            parts = self._call_all("run_block", size, what="a block of steps")
            squared_errors = np.empty(size, dtype=np.float64)
            covered = 0
            for positions, errors in parts:
                squared_errors[positions] = errors
                covered += positions.shape[0]
            if covered != size:
                raise DistributedTierError(
                    f"{self.name}: the workers trained {covered:,} of {size:,} steps; "
                    "their item blocks do not cover the catalog."
                )
            # summed in stream order, exactly as the serial loop adds them; beyond the
            # largest value of the tier's float type the reference's loss is no longer finite
            running = np.cumsum(squared_errors)
            bad = np.flatnonzero(~(running <= np.finfo(self.dtype).max))
            if bad.size:
                n_good = self.steps_done + done + int(bad[0])
                self._call_all("rebuild", n_good, what="rebuilding S")
                return loss + (float(running[bad[0] - 1]) if bad[0] else 0.0), done + int(bad[0])
            loss += float(running[-1])
            done += size
        return loss, done

    def similarity(self) -> np.ndarray:
        """S gathered from the workers (dense: for checks on small data only)."""
        n = self.data.n_items
        S = np.empty((n, n), dtype=self.dtype)
        for items, rows in self._call_all("rows_of_s", what="gathering S"):
            S[:, items] = rows.T
        return S

    def top_k(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Per column i of S, the k rows j with the largest S[j, i] (ties: lower j):
        (indices, values), each (n_items, k). Gathered per worker, never the dense S.
        """
        n = self.data.n_items
        k = min(k, n)
        indices = np.empty((n, k), dtype=np.int32)
        values = np.empty((n, k), dtype=self.dtype)
        for items, idx, val in self._call_all("top_k", k, what="top-k"):
            indices[items], values[items] = idx, val
        return indices, values

    def worker_memory(self) -> list[dict]:
        """Per worker: peak resident bytes so far, and resident bytes before its trainer."""
        return self._call_all("memory", what="reading memory")

    def close(self) -> None:
        """Shut down the cluster this tier started (a remote one is only disconnected)."""
        # getattr: a tier refused in __init__ has neither
        for thing in (getattr(self, "client", None), getattr(self, "cluster", None)):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass
        self.client = self.cluster = None

    def __del__(self) -> None:
        self.close()


@register
class DaskBucketed(DaskBucketedTier):
    name = "dask-bucketed"
    exactness = "bitwise"
    description = "column blocks of W = S^T on Dask workers, each trained by the bucketed kernel"


@register
class DaskBucketedF32(DaskBucketedTier):
    name = "dask-bucketed-f32"
    exactness = "close"
    description = "dask-bucketed with float32 W and ratings (the cython-parallel-f32 kernel)"
    tolerance = 1e-4  # as cython-parallel-f32: the same kernel, the same rounding
    similarity_itemsize = 4
    dtype = np.float32
    bytes_per_entry = 4 + 4
    profile_layout_name = "8 B"
