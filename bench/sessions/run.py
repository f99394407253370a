"""``slimbench run``: check, then time every tier, then write results, plots and report.

The order of work is the project's promise: nothing is timed before it is proven equal to
the reference, every figure comes from this run, and the results on disk are rewritten
after every round so that an interrupted run keeps what it measured.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..data.synthetic import expected_profile_length
from ..figures.noise_record import grouped_warnings
from ..formatting import plural
from ..host import available_memory, usable_cores
from ..impls import (
    InvalidInputError,
    SlimBenchError,
    TrainingData,
    TrainingDiverged,
    get_tier,
    prepare_urm,
    tier_names,
)
from ..impls.limits import CALL_TIMEOUT, EPOCHS, LEARNING_RATE, SEED, TRAIN_SHARE, thread_bound
from ..impls.registry import floor_by_layout
from ..impls.slim import SlimOptions
from ..measure import noise
from ..measure.audit import audit_items
from ..measure.bandwidth import best_rate, tier_traffic
from ..measure.bandwidth import measure as measure_bandwidth
from ..measure.check import REFERENCE, check_tiers, name_width
from ..measure.machine import machine_metadata
from ..measure.memory_plan import memory_plan, tier_memory_bytes
from ..measure.tier_process import (
    DEFAULT_CALL_TIMEOUT,
    WORKER_STATUSES,
    RemoteTier,
    SharedData,
    WorkerFailure,
    kill_all_workers,
)
from ..measure.tier_selection import split_width, tier_options
from ..measure.timed_audit import AuditSubject, audit_subjects, subject_for
from ..measure.timing import PROTOCOL_TEXT, REWARM_TEXT, TierClock, TimingPlan
from ..output.console import wide_console
from ..output.outdir import OutputLock, default_out_dir, prepare_out_dir
from ..output.results import (
    SCHEMA,
    SCHEMA_VERSION,
    derive_ratios,
    new_tier_entry,
    now_iso,
    summarize_entry,
    write_results,
)
from ..version import __version__


class RunFailed(SlimBenchError):
    """The run stopped on an error; its results.json says ``failed`` and why."""


@dataclass
class RunOptions:
    """Everything ``slimbench run`` takes (the CLI maps its flags onto this)."""

    dataset: str = "synthetic-ml10m"
    tiers: Sequence[str] | None = None
    seed: int = 0
    learning_rate: float = 1e-6
    budget_seconds: float = 20.0
    rounds: int = 7
    warmup_seconds: float | None = None
    epochs: int = 10
    threads: int | None = None
    train_share: float = 0.8
    out_dir: Path | None = None
    force: bool = False  # write into a folder that already holds a results.json
    annotate: bool = True
    plots: bool = True
    #: measure the machine's bandwidth before timing (bench/measure/bandwidth.py)
    bandwidth: bool = True
    #: re-warm each tier untimed before each of its rounds (TimingPlan.rewarm)
    rewarm: bool = True
    #: the tier of the "vs TIER" ratio (--vs); None: the first user tier, if any
    vs: str | None = None
    #: Dask options of the dask tiers: workers, threads_per_worker, scheduler (address)
    dask: dict = field(default_factory=dict)
    #: the least seconds a tier's call may take before its worker is killed
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    command: list[str] = field(default_factory=lambda: list(sys.argv))
    #: False (the Python API): write into a scratch folder removed after the run; the
    #: results stay in memory (RunSession.results) until saved
    keep_files: bool = True
    #: False: no summary table at the end of the console log (the API's object shows it)
    console_table: bool = True


class RunSession:
    """One ``slimbench run``; :meth:`execute` returns the exit code."""

    def __init__(self, options: RunOptions, console: Console | None = None) -> None:
        self.options = options
        self.console = console or wide_console()
        self.plan = TimingPlan(
            options.budget_seconds, options.rounds, options.warmup_seconds, rewarm=options.rewarm
        )
        self.names = list(options.tiers) if options.tiers else tier_names()
        for name in self.names:
            get_tier(split_width(name)[0])  # unknown names fail before any work
        twice = sorted({n for n in self.names if self.names.count(n) > 1})
        if twice:
            raise InvalidInputError(f"tier(s) listed more than once: {', '.join(twice)}.")
        if options.threads is not None:
            thread_bound().check(options.threads)
        for bound, value in (
            (SEED, options.seed),
            (EPOCHS, options.epochs),  # the extrapolation's horizon
            (LEARNING_RATE, options.learning_rate),
            (TRAIN_SHARE, options.train_share),
            (CALL_TIMEOUT, options.call_timeout),
        ):
            bound.check(value)  # the messages of the command's own options
        # a scratch folder (keep_files False) is this run's own, removed at its end
        self._scratch = not options.keep_files and options.out_dir is None
        scratch = Path(tempfile.mkdtemp(prefix="slimbench-run-")) if self._scratch else None
        out = options.out_dir or scratch or default_out_dir()
        self._made_out = not out.exists()  # a folder this run made, and may take back
        self.out = prepare_out_dir(out)
        self.lock = OutputLock(self.out, force=options.force)
        self.results: dict = {}
        self.entries: dict[str, dict] = {}

    # -- the phases -------------------------------------------------------------------

    def execute(self) -> int:
        """Run every phase; the output folder stays locked until the end."""
        try:
            return self._execute()
        finally:
            kill_all_workers()  # whatever stopped the run, no tier's worker outlives it
            self.lock.release()
            if self._scratch:
                shutil.rmtree(self.out, ignore_errors=True)
            self._drop_empty_out()

    def _drop_empty_out(self) -> None:
        """A run that failed before writing anything leaves no empty folder behind."""
        if self._made_out and not self.results:
            try:
                self.out.rmdir()  # only if empty: nothing of anybody's is ever deleted
            except OSError:
                pass

    def _refuse_an_unreachable_scheduler(self) -> None:
        """A ``--dask-scheduler`` nothing answers at fails before the dataset is loaded (most
        of a minute on the default data), not at the Dask tier's setup after it."""
        if any("scheduler" in self._options(split_width(n)[0]) for n in self.names):
            from ..impls.dask_bucketed import refuse_unreachable

            refuse_unreachable(self.options.dask["scheduler"])

    def _execute(self) -> int:
        from ..data.datasets import holdout_split, load_dataset
        from ..data.stats import dataset_stats, format_stats

        c = self.console
        where = "results kept in memory" if self._scratch else escape(str(self.out))
        c.print(f"[bold]slimbench {__version__}[/] run -> {where}")
        t0 = self._started = time.perf_counter()
        self._refuse_an_unreachable_scheduler()
        dataset = load_dataset(self.options.dataset)
        stats = dataset_stats(dataset.urm)
        c.print(format_stats(stats, dataset.name), highlight=False, markup=False)
        c.print(f"(loaded in {time.perf_counter() - t0:.1f} s)")
        train, test = holdout_split(
            dataset.urm, train_share=self.options.train_share, seed=self.options.seed
        )
        data = prepare_urm(train, name=f"{dataset.name} (train)")
        del train
        scheduling = memory_plan(
            self.names, data, available_memory(), {n: self._options(n) for n in self.names}
        )
        self._start_results(dataset, stats, data, int(test.nnz), scheduling)
        c.print(
            f"train split: {data.nnz:,} interactions ({self.options.train_share:.0%}); tiers "
            f"measured {scheduling}; learning rate {self.options.learning_rate:g} (the seed's "
            f"speed-run value); seed {self.options.seed}; budget {self.plan.budget_seconds:g} s "
            "per tier"
        )
        try:
            passing = self._check()
            if self.options.annotate:
                self._annotate()
            if self.options.bandwidth and passing:
                self._bandwidth(data)
            self._noise_before = noise.snapshot()
            self._measure(passing, data, scheduling)
        except KeyboardInterrupt:
            self._finish("interrupted")
            c.print(f"[yellow]interrupted: kept what was measured in {escape(str(self.out))}[/]")
            raise
        except Exception as exc:  # the state on disk must say the run failed
            reason = f"{type(exc).__name__}: {exc}"
            try:
                if self.results:  # else nothing was written yet: nothing to mark
                    self._finish("failed", reason)
            except Exception:
                pass  # the disk itself may be what failed; the error below still says why
            if isinstance(exc, SlimBenchError):
                raise
            raise RunFailed(f"the run failed ({reason}); results so far in {self.out}") from exc
        self._finish("complete")
        failed = [
            e["name"]
            for e in self.entries.values()
            if e["status"]
            in ("failed-check", "failed-audit", "diverged", "error", *WORKER_STATUSES)
        ]
        if failed:
            c.print(f"[red]not measured: {escape(', '.join(failed))} (see the report)[/]")
            return 1
        return 0

    def _start_results(
        self, dataset, stats: dict, data: TrainingData, test_nnz: int, scheduling: str
    ) -> None:
        o = self.options
        self.results = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "slimbench_version": __version__,
            "status": "running",
            "created": now_iso(),
            "updated": now_iso(),
            "command": o.command,
            "dataset": {
                "name": dataset.name,
                "source": dataset.source,
                "generator": dataset.generator,
                "notes": list(dataset.notes),
                "stats": stats,
                "train_nnz": data.nnz,
                "train_expected_profile_length": expected_profile_length(np.diff(data.indptr)),
                "test_nnz": test_nnz,
                "train_share": o.train_share,
                "split_seed": o.seed,
            },
            "options": {
                "seed": o.seed,
                "learning_rate": o.learning_rate,
                "budget_seconds": self.plan.budget_seconds,
                "rounds": self.plan.rounds,
                "warmup_seconds": round(self.plan.warmup, 6),
                "epochs": o.epochs,
                # the count the parallel tiers were given (all usable cores by default)
                "threads": o.threads if o.threads is not None else usable_cores(),
                "tiers": self.names,
                "scheduling": scheduling,
                "rewarm": self.plan.rewarm,
                "vs": o.vs,
            },
            "protocol": PROTOCOL_TEXT.format(
                rounds=self.plan.rounds,
                budget=self.plan.budget_seconds,
                scheduling=scheduling,
                rewarm=REWARM_TEXT if self.plan.rewarm else "",
            ),
            "machine": machine_metadata(),
            "check": [],
            "tiers": [],
            "caveats": [],
        }
        for name in self.names:
            cls = get_tier(split_width(name)[0])
            entry = new_tier_entry(name, cls.exactness, cls.description)
            entry["origin"] = dict(cls.origin)
            entry["bytes_per_entry"] = cls.bytes_per_entry
            entry["floor"] = floor_by_layout(split_width(name)[0])
            entry["profile_layout"] = cls.profile_layout_name
            entry["memory_bytes"] = tier_memory_bytes(name, data, self._options(name))
            self.entries[name] = entry
            self.results["tiers"].append(entry)
        self._write()

    def _write(self, final: bool = False) -> None:
        """Write results.json; the final status first frees the room kept for it."""
        if final:
            self.lock.release_reserve()
        write_results(self.results, self.out)

    def _check(self) -> list[str]:
        c = self.console
        c.print("\n[bold]cross-check[/] against python-naive (built-in dataset):")
        options = {split_width(n)[0]: self._options(split_width(n)[0]) for n in self.names}
        results = check_tiers(
            self.names,
            seed=self.options.seed,
            options=options,
            call_timeout=self.options.call_timeout,
        )
        passing = []
        width = name_width(results)
        for r in results:
            c.print("  " + r.line(width), highlight=False, markup=False)
            entry = self.entries[r.tier]
            entry["check"] = r.to_dict()
            if r.verdict == "unavailable":
                entry["status"], entry["error"] = "unavailable", r.detail
            elif r.verdict in WORKER_STATUSES:  # its worker crashed, exited or hung
                entry["status"], entry["error"] = r.verdict, f"cross-check: {r.detail}"
            elif r.passed:
                passing.append(r.tier)
            else:
                entry["status"] = "failed-check"
                entry["error"] = f"cross-check {r.verdict}: {r.detail}"
        self.results["check"] = [r.to_dict() for r in results]
        self._write()
        return passing

    def _annotate(self) -> None:
        from ..measure.annotate import annotate_tiers

        try:
            counts = annotate_tiers(self.names, self.out / "annotate")
        except SlimBenchError as exc:  # a missing Cython must not cost the measurements
            self.results["caveats"].append(f"annotation skipped: {exc}")
            return
        for name, info in counts.items():
            self.entries[name]["yellow_lines"] = info["yellow_lines"]

    def _setup(self, name: str, shared: SharedData) -> TierClock | None:
        """Start tier ``name`` in a worker process of its own and set it up there."""
        entry = self.entries[name]
        gc.collect()
        cls = get_tier(split_width(name)[0])
        options = {
            "seed": self.options.seed,
            "learning_rate": self.options.learning_rate,
            **self._options(name),
        }
        try:
            tier = RemoteTier(
                name, cls, shared, options=options, call_timeout=self.options.call_timeout
            )
        except WorkerFailure as exc:  # the tier's code crashed, exited or hung in setup
            entry["status"], entry["error"] = exc.status, f"setup: {exc}"
            return None
        except SlimBenchError as exc:
            entry["status"], entry["error"] = "error", f"setup failed: {exc}"
            return None
        entry["setup_seconds"] = tier.setup_seconds
        entry["threads"] = tier.threads
        # the layout a tier chose for this dataset (a compact one may fall back)
        entry["bytes_per_entry"] = tier.bytes_per_entry
        if tier.instruction_set is not None:  # the kernel a SIMD tier chose for this CPU
            entry["instruction_set"] = tier.instruction_set
        # a JIT compiles once per process, during the setup's first call here
        entry["compile_seconds"] = tier.compile_seconds
        entry["notes"].extend(tier.notes)
        for note in tier.notes:  # e.g. a Dask cluster's dashboard address
            self.console.print(f"  {name}: {note}", highlight=False, markup=False)
        return TierClock(tier, self.plan)

    def _round(self, name: str, clock: TierClock) -> bool:
        """One round (warm-up first if needed); False once the tier is finished."""
        entry = self.entries[name]
        try:
            if not clock.warmup:
                clock.warm_up()
                entry["warmup"] = [r.to_dict() for r in clock.warmup]
            record = clock.next_round()
        except TrainingDiverged as exc:
            entry["status"], entry["error"] = "diverged", str(exc)
            return False
        except WorkerFailure as exc:  # crashed, exited or hung: this tier's verdict only
            entry["status"], entry["error"] = exc.status, str(exc)
            self.console.print(f"  {name}: {exc}", highlight=False, markup=False)
            return False
        except SlimBenchError as exc:  # e.g. a user's loop that raises on the timing data
            entry["status"], entry["error"] = "error", str(exc)
            return False
        if record is None:
            return False
        entry["rounds"].append(record.to_dict())
        entry["status"] = "measuring"
        return not clock.done

    def _measure(self, names: list[str], data: TrainingData, scheduling: str) -> None:
        if not names:
            return
        c = self.console
        c.print(f"\n[bold]timing[/] {plural(len(names), 'tier')}, {scheduling}:")
        with Progress(
            TextColumn("{task.description:<36}", markup=False),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} rounds"),
            TextColumn("{task.fields[speed]}"),
            TimeElapsedColumn(),
            console=c,
            transient=False,
        ) as progress:
            tasks = {n: progress.add_task(n, total=self.plan.rounds, speed="setup") for n in names}
            groups = [names] if scheduling == "round-robin" else [[n] for n in names]
            shared = SharedData(data, root=self.out)
            self._shared = shared
            self._audit_items = audit_items(data, self.options.seed)
            self._subjects: list[AuditSubject] = []
            try:
                self._measure_groups(groups, shared, progress, tasks)
                self._audit(data)
            finally:
                kill_all_workers()
                shared.cleanup()

    def _measure_groups(self, groups, shared, progress, tasks) -> None:
        c = self.console
        if True:
            for group in groups:
                clocks: dict[str, TierClock] = {}
                for name in group:
                    clock = self._setup(name, shared)
                    if clock is not None:
                        clocks[name] = clock
                        progress.update(tasks[name], speed="warm-up")
                    else:
                        progress.update(tasks[name], speed="setup failed")
                active = list(clocks)
                while active:
                    for name in list(active):
                        going = self._round(name, clocks[name])
                        entry = self.entries[name]
                        self._summarize(name)
                        sps = entry["samples_per_second"]
                        progress.update(
                            tasks[name],
                            completed=len(entry["rounds"]),
                            speed=f"{sps['median']:,.0f} samples/s" if sps else entry["status"],
                        )
                        if not going:
                            active.remove(name)
                            if entry["status"] == "measuring":
                                entry["status"] = "measured"
                                entry["notes"].extend(clocks[name].notes)
                                call_size = clocks[name].call_size_note()
                                if call_size:  # bucketed tiers run faster in larger calls
                                    entry["notes"].append(call_size)  # shown in the report
                    self._derive()
                    self._write()
                    # no live bar in a log: one short line per pass (Jupyter has the bar)
                    if not (c.is_terminal or c.is_jupyter):
                        done = max(len(self.entries[n]["rounds"]) for n in clocks)
                        c.print(
                            f"  pass {done}/{self.plan.rounds} done, "
                            f"{len(clocks) - len(active)} of {plural(len(clocks), 'tier')} "
                            "finished",
                            highlight=False,
                            markup=False,
                        )
                for name, clock in clocks.items():
                    self._release(name, clock)
                clocks.clear()

    def _options(self, name: str) -> dict:
        return tier_options(name, self.options.threads, self.options.dask)

    def _release(self, name: str, clock: TierClock) -> None:
        """Record what only the live tier knows (its workers' peak memory, the audited
        columns of its S), then free it."""
        tier = clock.tier
        if tier.process.alive and self.entries[name]["status"] == "measured":
            try:
                self._subjects.append(self._audit_subject(name, tier))
            except SlimBenchError as exc:  # its worker died handing the columns back
                entry = self.entries[name]
                entry["status"] = getattr(exc, "status", "error")
                entry["error"] = f"audit: {exc}"
        if tier.process.alive:
            try:
                memory = tier.call_hook("worker_memory")
                if memory is not None:
                    self.entries[name]["workers"] = memory
            except SlimBenchError as exc:
                self.entries[name]["notes"].append(f"worker memory not read: {exc}")
        tier.close()
        del clock.tier

    # -- the audit of the timed work (slimbench.measure.timed_audit) ---------------------

    def _audit_subject(self, name: str, tier: RemoteTier) -> AuditSubject:
        calls = list(tier.calls)
        rerun = self._rerun(name, tier.cls, calls)
        return subject_for(name, tier.cls, tier, calls, self._audit_items, rerun)

    def _rerun(self, name: str, cls: type, calls: list[int]):
        """S[:, items] of a fresh copy of the tier after its own call pattern cut at n steps."""

        def rerun(n: int, items: np.ndarray) -> np.ndarray:
            options = {
                "seed": self.options.seed,
                "learning_rate": self.options.learning_rate,
                **self._options(name),
            }
            tier = RemoteTier(
                name, cls, self._shared, options=options, call_timeout=self.options.call_timeout
            )
            try:
                left = n
                for steps in calls:
                    if left <= 0:
                        break
                    tier.run(min(steps, left))
                    left -= steps
                return tier.columns(items)
            finally:
                tier.close()

        return rerun

    def _audit(self, data: TrainingData) -> None:
        """Replay the regenerated stream on the audited columns; a failing tier loses its
        figure (status failed-audit)."""
        if not self._subjects:
            return
        self.console.print(
            f"audit of the timed work: {plural(len(self._audit_items), 'column')} of "
            f"{plural(len(self._subjects), 'tier')} against the reference ...",
            highlight=False,
        )
        verdicts, seconds = audit_subjects(
            self._subjects,
            data,
            seed=self.options.seed,
            learning_rate=self.options.learning_rate,
            slim=SlimOptions(),
            items=self._audit_items,
        )
        for name, result in verdicts.items():
            entry = self.entries[name]
            entry["audit"] = result.to_dict()
            if result.verdict == "fail":
                entry["status"] = "failed-audit"
                entry["error"] = f"audit of the timed work: {result.detail}"
            elif result.verdict == "not audited":
                entry["status"] = "not-audited"
                entry["error"] = f"timed work not audited: {result.detail}"
            self._summarize(name)
            if result.verdict != "pass":
                self.console.print(f"  {name}: {entry['error']}", highlight=False, markup=False)
        self.results["audit"] = {
            "seconds": seconds,
            "items": [int(i) for i in self._audit_items],
            "tiers": len(verdicts),
            "passed": sum(r.verdict == "pass" for r in verdicts.values()),
        }
        self._derive()
        self._write()

    # -- derived figures --------------------------------------------------------------

    def _summarize(self, name: str) -> None:
        summarize_entry(
            self.entries[name], self.results["dataset"]["train_nnz"], self.options.epochs
        )

    def _derive(self) -> None:
        """Speedups, % of floor and share of the bandwidth, between tiers of this run."""
        derive_ratios(
            self.results["tiers"],
            paired=self.results["options"]["scheduling"] == "round-robin",
            vs=self.options.vs,
        )
        epl = self.results["dataset"]["train_expected_profile_length"]
        for entry in self.results["tiers"]:
            tier_traffic(entry, epl, self.results.get("bandwidth"))

    def _bandwidth(self, data: TrainingData) -> None:
        """STREAM copy/triad at memory size and at the profile data's size (bench/bandwidth)."""
        record = measure_bandwidth(12 * data.nnz, usable_cores())
        self.results["bandwidth"] = record
        fits = "fits" if record["profile_fits_last_level_cache"] else "does not fit"
        for level, label in (("memory", "memory"), ("profile", "at the profile's size")):
            rates = ", ".join(
                f"{plural(int(t), 'thread')} {best_rate(v) / 1e9:.1f} GB/s"
                for t, v in record[level].items()
            )
            self.console.print(f"bandwidth {label}: {rates}", highlight=False)
        self.console.print(
            f"  profile data {record['profile_bytes'] / 2**20:,.0f} MiB {fits} the "
            f"{record['last_level_cache_bytes'] / 2**20:,.0f} MiB last-level cache",
            highlight=False,
        )
        self._write()

    def _finish(self, status: str, reason: str | None = None) -> None:
        """Settle the states, then write the final status where it stays true on disk.

        A run that did not complete writes its status first (the reserve makes room for
        it) and its report after, as far as the disk allows. A complete run writes the
        report first: if the disk fills there, results.json says ``failed`` and why (never
        ``complete`` without a report) and RunFailed is raised.
        """
        for entry in self.entries.values():
            if entry["status"] in ("pending", "measuring"):
                entry["status"] = "measured" if status == "complete" else "interrupted"
        if reason:
            self.results["error"] = reason
        for name in self.entries:
            self._summarize(name)
        self._derive()
        self.results["status"] = status
        audit = self.results.get("audit")
        if audit is not None:  # its cost, as a share of the whole run so far
            audit["share_of_run"] = audit["seconds"] / (time.perf_counter() - self._started)
        if getattr(self, "_noise_before", None) is not None:
            record = noise.diagnose(
                self._noise_before, noise.snapshot(), self.results["tiers"], usable_cores()
            )
            self.results["noise"] = record
            for name, share in record["noisy_tiers"].items():
                self.entries[name]["noise"] = {"iqr_share": share}
            self.results["caveats"].extend(f"Noise: {w}." for w in grouped_warnings(record))
        self.results["caveats"].extend(caveats(self.results))
        if status != "complete":
            self._write(final=True)
        try:
            if self.options.plots:
                from ..output.report import write_report

                report = write_report(self.results, self.out)
                self.console.print(f"report: {report}", markup=False)
        except KeyboardInterrupt:
            if status == "complete":  # stopped while writing the report: say so on disk
                self.results["status"] = "interrupted"
                self._write(final=True)
            raise
        except Exception as exc:  # a full disk, mostly: the status on disk must say it
            if status != "complete":
                return  # the status on disk is written; the error that stopped the run is said
            why = f"the report could not be written ({type(exc).__name__}: {exc})"
            self.results["status"], self.results["error"] = "failed", why
            self.results["caveats"].append(f"The run failed: {why}.")
            self._write(final=True)
            raise RunFailed(f"{why}; the results are in {self.out}") from None
        if status == "complete":
            self._write(final=True)
        from ..output.console import print_noise, print_table

        if self.options.console_table:
            print_table(self.results, self.console)
        print_noise(self.results, self.console)


def caveats(results: dict) -> list[str]:
    """Sentences about what the figures do not say, for the report."""
    out = []
    names = {t["name"] for t in results["tiers"]}
    if "cython-rand" in names:
        out.append(
            "cython-rand draws rand() % nnz, as the seed does: a modulo bias, and where "
            "RAND_MAX is 32767 (Windows) it could reach only the first 32,768 interactions; "
            "it refuses to run there. Its stream differs from the other tiers' (class replay)."
        )
    if results["options"]["scheduling"] == "sequential":
        out.append(
            "Not every tier fitted in memory at once: tiers were timed one after "
            "another, so machine drift may differ between them."
        )
    if results["status"] == "interrupted":
        out.append("The run was interrupted: tiers marked 'interrupted' have fewer rounds.")
    if results["status"] == "failed":
        out.append(
            f"The run failed ({results.get('error')}): tiers marked 'interrupted' have "
            "fewer rounds, those not reached have none."
        )
    if REFERENCE not in names:
        out.append("python-naive was not timed: speedups are relative to the tiers measured.")
    cores = results["machine"].get("usable_cores")
    if cores and cores < (os.cpu_count() or cores):
        out.append(f"The process could use {cores} of {plural(os.cpu_count(), 'core')}.")
    return out
