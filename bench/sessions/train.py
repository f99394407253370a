"""``slimbench train``: whole epochs with one tier, timed against a prediction, then judged
on held-out interactions beside the baselines.

Order of work: every input is checked before anything trains (tier, options, dataset,
split, memory, learning rate); then the prediction, the epochs, the evaluations, the
baselines and the outputs. ``train.json`` is rewritten after every epoch, so Ctrl-C keeps
the finished epochs.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..data.datasets import Dataset
from ..data.train_split import Split
from ..formatting import human_duration, human_rate, plural, seconds_pair
from ..host import available_memory
from ..impls import (
    InvalidInputError,
    SlimBenchError,
    Tier,
    TrainingData,
    TrainingDiverged,
    accepts_option,
    get_tier,
    limits,
    prepare_urm,
    tier_names,
)
from ..impls.base import unsupported_slim_message
from ..impls.limits import (
    BUDGET,
    CALL_STEPS,
    CUTOFF,
    EPOCHS,
    EVAL_EVERY,
    LEARNING_RATE,
    SAVE_TOP_K,
    SEED,
    TRAIN_SHARE,
    thread_bound,
)
from ..impls.slim import SlimOptions
from ..interrupts import stops_deferred
from ..measure.machine import machine_metadata
from ..measure.memory_plan import MEMORY_HEADROOM, memory_plan
from ..measure.tier_process import (
    DEFAULT_CALL_TIMEOUT,
    RemoteTier,
    SharedData,
    kill_all_workers,
)
from ..output.console import wide_console
from ..output.outdir import OutputLock, default_out_dir, prepare_out_dir
from ..overwrite import refuse_overwrite
from ..quality.baselines import BASELINES, EASE_LAMBDA, KNN_K, KNN_SHRINK, fit_baseline
from ..quality.evaluate import evaluate, evaluate_model, users_with_test
from ..quality.fit_cost import fit_costs
from ..quality.metrics import METRICS
from ..training.learning_rate import AUTO_RULE, overshoot_share, step_bound
from ..training.train_results import QUALITY_SECONDS_NOTE, new_document, write_train_results
from ..training.training import MAX_CALL_STEPS, EpochRecord, Prediction, predict, run_epoch
from ..version import __version__

#: dense n x n float64 matrices a baseline holds at its peak: the gram matrix with its
#: sparse product, then (EASE) the inverse, its triangles and the result, (item-KNN) the
#: norms' outer product and the top-k pass
BASELINE_MATRICES = 4


@dataclass
class TrainOptions:
    """Everything ``slimbench train`` takes (the CLI maps its flags onto this)."""

    dataset: str = "synthetic-ml10m"
    tier: str | None = None  # None: the fastest bitwise tier available
    epochs: int = 10
    learning_rate: float | str = "auto"
    seed: int = 0
    threads: int | None = None
    train_share: float = 0.8
    # S[i, i] held at 0 (SLIM's constraint); None: the default, held at 0 where the tier
    # implements SLIM's options and free (the seed's loop) where it does not
    no_diagonal: bool | None = None
    l2: float = 0.0
    cutoff: int = 10
    eval_every: int = 0  # 0: evaluate after the last epoch only
    baselines: Sequence[str] = BASELINES
    knn_k: int = KNN_K
    knn_shrink: float = KNN_SHRINK
    ease_lambda: float = EASE_LAMBDA
    test_dataset: str | None = None
    write_split: Path | None = None
    save_top_k: int = 100
    save_dense: bool = False
    predict_budget: float = 10.0
    max_call_steps: int | None = None  # None: training.MAX_CALL_STEPS
    # the least seconds one run call may take before the tier's worker is killed
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    out_dir: Path | None = None
    force: bool = False  # replace a finished train.json, the split files of --write-split
    plots: bool = True
    command: list[str] = field(default_factory=lambda: list(sys.argv))


def default_tier() -> str:
    """The fastest bitwise tier available here (the registry lists tiers slowest first)."""
    exact = [
        n
        for n in tier_names()
        if get_tier(n).exactness == "bitwise" and get_tier(n).unavailable_reason() is None
    ]
    return exact[-1]


def free_diagonal_notice(tier: str) -> str:
    """The line train prints when a tier without SLIM's options (the seed tiers, Dask),
    chosen with neither diagonal flag, trains with S[i, i] free instead of the default."""
    return (
        f"note: S[i, i] is free, not held at 0: tier {tier} does not implement SLIM's options "
        "and trains the seed's step as written (--diagonal says so and drops this note)"
    )


def check_options(o: TrainOptions) -> tuple[str, SlimOptions]:
    """The tier to train and SLIM's options; refuses what cannot train, before any loading.

    ``o.no_diagonal`` None (neither --diagonal nor --no-diagonal) holds S[i, i] at 0 where
    the tier implements SLIM's options and leaves it free where it does not (the seed
    tiers: :func:`free_diagonal_notice`); an explicit True on such a tier is refused."""
    for bound, value in (
        (EPOCHS, o.epochs),
        (SEED, o.seed),
        (TRAIN_SHARE, o.train_share),
        (CUTOFF, o.cutoff),
        (EVAL_EVERY, o.eval_every),
        (SAVE_TOP_K, o.save_top_k),
        (BUDGET, o.predict_budget),
        (limits.KNN_K, o.knn_k),
        (limits.KNN_SHRINK, o.knn_shrink),
        (limits.EASE_LAMBDA, o.ease_lambda),
    ):
        bound.check(value)  # the messages of the command's own options
    if o.threads is not None:
        thread_bound().check(o.threads)
    if o.learning_rate != "auto":
        LEARNING_RATE.check(o.learning_rate)
    if o.max_call_steps is not None:
        CALL_STEPS.check(o.max_call_steps)
    unknown = [b for b in o.baselines if b not in BASELINES]
    if unknown:
        raise InvalidInputError(
            f"unknown baseline(s) {', '.join(unknown)}; choose from {', '.join(BASELINES)}."
        )
    name = o.tier or default_tier()
    cls = get_tier(name)
    if cls.exactness == "floor":
        raise InvalidInputError(
            f"tier {name!r} trains nothing (it only reads profiles); choose a trainer."
        )
    reason = cls.unavailable_reason()
    if reason is not None:
        raise InvalidInputError(f"tier {name!r} is unavailable here: {reason}")
    no_diagonal = cls.supports_slim_options if o.no_diagonal is None else o.no_diagonal
    slim = SlimOptions(no_diagonal=no_diagonal, l2=o.l2)
    if not slim.is_default and not cls.supports_slim_options:
        raise InvalidInputError(unsupported_slim_message(name, slim))
    return name, slim


class TrainSession:
    """One ``slimbench train``; :meth:`execute` returns the exit code."""

    def __init__(self, options: TrainOptions, console: Console | None = None) -> None:
        self.options = options
        self.console = console or wide_console()
        self.tier_name, self.slim = check_options(options)
        if options.write_split:
            check_split_target(options)
        self.out = prepare_out_dir(options.out_dir or default_out_dir())
        # one train per folder, and a finished one is replaced only with --force (as run)
        self.lock = OutputLock(self.out, force=options.force, results_name="train.json")
        self.doc: dict = {}
        self.records: list[EpochRecord] = []
        self.prediction: Prediction | None = None
        self.tier: Tier | None = None  # the training tier while it trains (Ctrl-C saves it)
        self.S: np.ndarray | sp.csc_matrix | None = None  # the model once trained

    # -- before training ------------------------------------------------------------

    def _load(self) -> tuple[Dataset, Split, TrainingData]:
        """The dataset, the split and the canonical training URM; every check on them."""
        from ..data.datasets import load_dataset
        from ..data.train_split import given_split, seeded_split, write_split

        o = self.options
        dataset = load_dataset(o.dataset)
        if o.test_dataset:
            split = given_split(dataset, o.test_dataset)
        else:
            split = seeded_split(dataset, o.train_share, o.seed)
        if split.test.nnz == 0:
            raise InvalidInputError(
                f"the test set of {o.dataset!r} is empty: nothing to evaluate on. Lower "
                "--train-share or give --test-dataset."
            )
        data = prepare_urm(split.train, name=f"{dataset.name} (train)")
        memory_plan([self.tier_name], data, available_memory())
        heavy = [b for b in o.baselines if b in ("item-knn", "ease")]
        # the trained S stays in memory while the baselines are fitted and evaluated
        model = get_tier(self.tier_name).similarity_itemsize * data.n_items**2
        need = model + BASELINE_MATRICES * 8 * data.n_items**2
        available = available_memory()
        if heavy and need > MEMORY_HEADROOM * available:
            raise InvalidInputError(
                f"the baselines {', '.join(heavy)} need about {need / 2**30:.1f} GiB for "
                f"{data.n_items:,} items (dense item-item matrices beside the trained S), "
                f"but {available / 2**30:.1f} GiB is available; pass --baselines top-popular."
            )
        seen = split.info.get("seen_in_training", 0)
        if seen:
            self.console.print(
                f"[yellow]note: {seen:,} test interactions are also in the training data: "
                "they count as relevant but are never recommended (seen items are excluded)[/]"
            )
        if o.write_split:
            train_csv, test_csv = write_split(split, o.write_split)
            self.console.print(f"split written: {train_csv}, {test_csv}")
        return dataset, split, data

    def _learning_rate(self, data: TrainingData) -> dict:
        """The rate to train with, its rule, the bound and the share of overshooting steps."""
        bound = step_bound(data)
        if bound.auto_rate is None:
            raise InvalidInputError(
                f"every rating in the training split of {self.options.dataset!r} is zero: each "
                "step's error is zero and SGD learns nothing. Use a dataset with ratings."
            )
        if self.options.learning_rate == "auto":
            value, rule = bound.auto_rate, f"auto: {AUTO_RULE}"
        else:
            value, rule = float(self.options.learning_rate), "given"
        share = overshoot_share(data, value)
        return {"value": value, "rule": rule, **bound.to_dict(), "overshoot_share": share}

    def _start_doc(self, dataset: Dataset, split: Split, data: TrainingData, lr: dict) -> None:
        from ..data.stats import dataset_stats

        o = self.options
        self.doc = new_document(o.command)
        self.doc |= {
            "dataset": {
                "name": dataset.name,
                "source": dataset.source,
                "generator": dataset.generator,
                "notes": list(dataset.notes),
                "train_stats": dataset_stats(data.csr),
                "train_nnz": data.nnz,
                "test_nnz": int(split.test.nnz),
                "test_users": int(users_with_test(split.test).size),
                "split": split.info,
            },
            "options": {
                "tier": self.tier_name,
                "epochs": o.epochs,
                "seed": o.seed,
                "threads": o.threads,
                **self.slim.to_dict(),
                "cutoff": o.cutoff,
                "eval_every": o.eval_every,
                "baselines": list(o.baselines),
                "knn_k": o.knn_k,
                "knn_shrink": o.knn_shrink,
                "ease_lambda": o.ease_lambda,
                "call_steps": None,
                "predict_budget_seconds": o.predict_budget,
                "call_timeout_seconds": o.call_timeout,
                "save_top_k": o.save_top_k,
                "save_dense": o.save_dense,
            },
            "learning_rate": lr,
            "setup_seconds": None,
            "prediction": None,
            "epochs": [],
            "quality": [],
            "model": None,
            "machine": machine_metadata(),
            "notes": [],
            "error": None,
        }
        self._write()

    def _write(self) -> None:
        if self.prediction is not None:
            self.doc["prediction"] = self.prediction.to_dict()
        self.doc["epochs"] = [r.to_dict() for r in self.records]
        write_train_results(self.doc, self.out)

    def _make_tier(self, data: TrainingData, lr: float) -> RemoteTier:
        """A fresh tier with this run's seed, SLIM options and threads, in its own worker."""
        threads = self.options.threads is not None and accepts_option(self.tier_name, "threads")
        options = {"threads": self.options.threads} if threads else {}
        if self._shared is None or self._shared.data is not data:
            self._drop_shared()
            self._shared = SharedData(data, root=self.out)
        return RemoteTier(
            self.tier_name,
            get_tier(self.tier_name),
            self._shared,
            options={
                "seed": self.options.seed,
                "learning_rate": lr,
                **self.slim.to_dict(),
                **options,
            },
            call_timeout=self.options.call_timeout,
        )

    def _drop_shared(self) -> None:
        if self._shared is not None:
            self._shared.cleanup()
            self._shared = None

    # -- the run ----------------------------------------------------------------------

    def execute(self) -> int:
        """Check, predict, train, evaluate, write; 0 on success, 1 if training diverged.

        Ctrl-C (or SIGTERM) at any point after the checks writes what was done (status
        "interrupted") and saves the model as it stands; an error leaves "failed".
        """
        self._shared: SharedData | None = None
        try:
            return self._execute()
        finally:
            kill_all_workers()  # no tier's worker outlives the command
            self._drop_shared()
            self.lock.release()

    def _execute(self) -> int:
        o, c = self.options, self.console
        c.print(f"[bold]slimbench {__version__}[/] train -> {self.out}")
        dataset, split, data = self._load()
        lr = self._learning_rate(data)
        self._start_doc(dataset, split, data, lr)
        self._say_learning_rate(lr)
        c.print(
            f"tier {self.tier_name} ({self.slim.describe()}); {plural(o.epochs, 'epoch')} of "
            f"{data.nnz:,} steps; test: {split.test.nnz:,} interactions of "
            f"{self.doc['dataset']['test_users']:,} users"
        )
        if o.no_diagonal is None and not self.slim.no_diagonal:
            notice = free_diagonal_notice(self.tier_name)
            c.print(notice, highlight=False, markup=False, soft_wrap=True)
            self.doc["notes"].append(notice)
            self._write()
        try:
            try:
                calls = self._predict(data, lr["value"])
            except TrainingDiverged as exc:  # the rate is too large for even a few calls
                return self._diverged(f"while predicting the time: {exc}")
            try:
                S = self._train_all(data, lr["value"], calls, split)
            except TrainingDiverged as exc:
                return self._diverged(str(exc))
            except ModelAuditFailed as exc:
                self.doc["error"] = str(exc)
                self._finish("failed-audit")
                self.console.print(f"[red]{exc}[/]")
                return 1
            self._quality(S, split, self.prediction.measured_seconds, self.doc["setup_seconds"])
            self._save_model(S, dataset)
        except KeyboardInterrupt:
            self._interrupted(dataset)
            raise
        except Exception as exc:  # a full disk, mostly: the status on disk must say it
            self.doc["error"] = f"{type(exc).__name__}: {exc}"
            try:
                self._finish("failed")
            except Exception:
                pass  # the disk itself may be what failed; the error below still says why
            raise
        self._finish("complete")
        return 0

    def _interrupted(self, dataset: Dataset) -> None:
        """Write "interrupted"; a model that trained is saved as it stands, with its steps."""
        partial = bool(self.records) and self.records[-1].partial
        # the steps S really had: an interrupt that was not deferred may follow a call
        # whose steps no epoch record holds
        steps = (
            self.tier.steps_done if self.tier is not None else sum(r.steps for r in self.records)
        )
        kept = plural(len(self.records) - partial, "finished epoch")
        if partial:
            last = self.records[-1]
            kept += f" and {last.steps:,} of {self.doc['dataset']['train_nnz']:,} steps of "
            kept += f"epoch {last.epoch}"
        if steps and self.doc.get("model") is None:
            self.doc["notes"].append(
                f"interrupted after {steps:,} training steps ({kept}): the model saved is S as "
                "it stood then" + (", inside an epoch" if partial else "")
            )
            try:
                S = (
                    self.S
                    if self.tier is None
                    else model_matrix(self.tier, self.options.save_top_k, self.options.save_dense)
                )
                self._save_model(S, dataset, steps=steps, partial_epoch=partial)
            except (OSError, MemoryError, SlimBenchError) as exc:
                self.doc["notes"].append(f"the model could not be saved: {exc}")
        if self.tier is not None:
            self.tier.close()  # a Dask tier's cluster must not outlive the command
        self._finish("interrupted")
        saved = " (model saved as it stood)" if steps and self.doc.get("model") else ""
        self.console.print(f"[yellow]interrupted: {kept} kept{saved}[/]")

    def _predict(self, data: TrainingData, lr: float) -> list[int]:
        """The prediction (self.prediction); returns the epoch's calls."""
        o = self.options
        self.prediction, calls = predict(
            lambda: self._make_tier(data, lr),
            data.nnz,
            o.epochs,
            o.predict_budget,
            o.max_call_steps or MAX_CALL_STEPS,
        )
        self.doc["options"]["call_steps"] = calls[0]
        gc.collect()
        p = self.prediction
        self.console.print(
            f"predicted: {human_rate(p.samples_per_second['median'])} samples/s over "
            f"{plural(len(p.rounds), 'call')} of {p.call_steps:,} steps (an epoch is "
            f"{plural(len(calls), 'such call')}) -> {plural(o.epochs, 'epoch')} in "
            f"{human_duration(p.predicted_seconds)} ({p.predicted_seconds:.1f} s)"
        )
        return calls

    def _train_all(
        self, data: TrainingData, lr: float, calls: list[int], split: Split
    ) -> np.ndarray:
        """Set up the tier, run the epochs, settle the prediction; return S (contiguous)."""
        start = time.perf_counter()
        tier = self.tier = self._make_tier(data, lr)
        self.doc["setup_seconds"] = time.perf_counter() - start
        self._write()
        self._train(tier, calls, split)
        measured = sum(r.seconds for r in self.records)
        p = self.prediction
        p.settle(measured)
        shown, predicted = seconds_pair(measured, p.predicted_seconds)
        self.console.print(
            f"measured: {shown} for {plural(self.options.epochs, 'epoch')}; predicted "
            f"{predicted}: error {p.error_percent:+.1f} %"
        )
        self._audit_model(tier, data, lr)
        S = self.S = model_matrix(tier, self.options.save_top_k, self.options.save_dense)
        if sp.issparse(S):
            self.doc.setdefault("notes", []).append(
                f"{self.tier_name} keeps S on its workers: the model was gathered as the top "
                f"{self.options.save_top_k} per column (never the dense S), and evaluated as such"
            )
        tier.close()
        self.tier = None
        del tier
        gc.collect()
        return S

    def _audit_model(self, tier: RemoteTier, data: TrainingData, lr: float) -> None:
        """Audit the trained model's columns against the reference over the same steps.

        Raises ModelAuditFailed (the model is kept, train.json says why) where they differ.
        """
        from ..measure.audit import audit_items
        from ..measure.timed_audit import audit_subjects, subject_for

        items = audit_items(data, self.options.seed)
        subject = subject_for(self.tier_name, tier.cls, tier, tier.calls, items)
        verdicts, seconds = audit_subjects(
            [subject],
            data,
            seed=self.options.seed,
            learning_rate=lr,
            slim=self.slim,
            items=items,
            bisect=False,
        )
        result = verdicts[self.tier_name]
        self.doc["audit"] = {**result.to_dict(), "seconds": seconds}
        self.console.print(
            f"audit of the trained model: {result.verdict} ({result.detail}; {seconds:.1f} s)",
            highlight=False,
            markup=False,
        )
        self._write()
        if result.verdict == "fail":
            raise ModelAuditFailed(
                f"the trained S differs from the reference over the same steps: {result.detail}"
            )

    def _diverged(self, error: str) -> int:
        """Keep what was done, say why it stopped; exit code 1."""
        self.doc["error"] = error
        self._finish("diverged")
        self.console.print(f"[red]{error}[/]")
        return 1

    def _say_learning_rate(self, lr: dict) -> None:
        c = self.console
        c.print(
            f"learning rate {lr['value']:.4g} ({lr['rule']}); steps overshoot above "
            f"{lr['overshoot_above']:.4g} (2 / max_u sum r^2 = 2 / {lr['max_square_sum']:,.1f})"
        )
        if lr["overshoot_share"] > 0:
            warning = (
                f"warning: at learning rate {lr['value']:g}, {lr['overshoot_share']:.2%} of the "
                "training steps overshoot (lr * sum of the user's squared ratings > 2): the "
                "loss may diverge. --learning-rate auto avoids that."
            )
            self.doc["notes"].append(warning)
            c.print(f"[yellow]{warning}[/]")

    def _train(self, tier: Tier, calls: list[int], split: Split) -> None:
        """The epochs, with the live bar, a line each and train.json rewritten after each."""
        o, c = self.options, self.console
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,} steps"),
                TimeElapsedColumn(),
                console=c,
                transient=True,
            ) as progress,
            stops_deferred() as stop,
        ):  # Ctrl-C lands between two run calls
            for epoch in range(1, o.epochs + 1):
                task = progress.add_task(f"epoch {epoch}/{o.epochs}", total=sum(calls))
                record = run_epoch(
                    tier, epoch, calls, lambda n, t=task: progress.advance(t, n), stop=stop
                )
                progress.remove_task(task)
                if record.partial:  # stopped inside the epoch: keep its steps, then stop
                    self.records.append(record)
                    self._write()
                    stop.stop_here()
                if o.eval_every and epoch % o.eval_every == 0 and epoch < o.epochs:
                    record.metrics = self._evaluate(tier.similarity(), split)
                self.records.append(record)
                progress.console.print(self._epoch_line(record), highlight=False)
                self._write()
                stop.stop_here()  # asked for during this epoch's last call

    def _epoch_line(self, r: EpochRecord) -> str:
        line = (
            f"epoch {r.epoch:>3}: {r.seconds:8.2f} s, loss per step {r.loss_per_step:.6g}, "
            f"{human_rate(r.samples_per_second)} samples/s"
        )
        if r.metrics:
            line += f", ndcg@{self.options.cutoff} {r.metrics['ndcg']:.4f}"
        return line

    def _evaluate(self, S: np.ndarray, split: Split) -> dict:
        """The metrics of the model ``S`` on the split (scores r_u . S[:, i])."""
        if sp.issparse(S):  # a top-k model gathered from a distributed tier
            return evaluate(
                lambda rows: (rows @ S).toarray(), split.train, split.test, self.options.cutoff
            )
        S = np.ascontiguousarray(S)
        return evaluate(lambda rows: rows @ S, split.train, split.test, self.options.cutoff)

    # -- after training ---------------------------------------------------------------

    def _quality(
        self, S: np.ndarray, split: Split, training_seconds: float, setup_seconds: float
    ) -> None:
        """Evaluate the SGD model and fit and evaluate each baseline; print the table.

        The SGD model's setup (conversions, allocation and first touch of S) is its own
        figure, not part of its training seconds: on a small dataset it is most of the time.
        A baseline's fit is one figure (its setup is inside it)."""
        o = self.options
        lr = self.doc["learning_rate"]["value"]
        metrics = self._evaluate(S, split)
        self.records[-1].metrics = metrics
        entries = [
            {
                "model": f"SGD SLIM ({self.tier_name})",
                "kind": "sgd",
                "epoch": len(self.records),
                "training_seconds": training_seconds,
                "setup_seconds": setup_seconds,
                "options": {**self.slim.to_dict(), "learning_rate": lr},
                "metrics": metrics,
            }
        ]
        costs = {c.name: c for c in fit_costs(list(o.baselines), split.train)}
        if costs:  # announced first: EASE can take minutes where the training took seconds
            self.console.print(
                "baselines (--baselines chooses): "
                + "; ".join(c.sentence() for c in costs.values()),
                highlight=False,
                markup=False,
            )
        for name in o.baselines:
            start = time.perf_counter()
            with self.console.status(f"fitting {name} ({costs[name].sentence()})", spinner="line"):
                model = fit_baseline(
                    name,
                    split.train,
                    knn_k=o.knn_k,
                    knn_shrink=o.knn_shrink,
                    ease_lambda=o.ease_lambda,
                )
            seconds = time.perf_counter() - start
            self.console.print(
                f"  {name}: fitted in {seconds:.1f} s", highlight=False, markup=False
            )
            entries.append(
                {
                    "model": name,
                    "kind": "baseline",
                    "epoch": None,
                    "training_seconds": seconds,
                    "setup_seconds": None,
                    "options": model.options,
                    "metrics": evaluate_model(model, split.train, split.test, o.cutoff),
                }
            )
            del model
            gc.collect()
            self.doc["quality"] = entries
            self._write()
        self.doc["quality"] = entries
        self._print_quality(entries)

    def _print_quality(self, entries: list[dict]) -> None:
        table = Table(title=f"quality at N = {self.options.cutoff} on the held-out interactions")
        table.add_column("model", justify="left")
        table.add_column("setup s", justify="right")
        table.add_column("training s", justify="right")
        for m in METRICS:
            table.add_column(m, justify="right")
        for e in entries:
            setup = e.get("setup_seconds")
            table.add_row(
                e["model"],
                "-" if setup is None else f"{setup:.2f}",
                f"{e['training_seconds']:.2f}",
                *(f"{e['metrics'][m]:.4f}" for m in METRICS),
            )
        self.console.print(table)
        self.console.print(QUALITY_SECONDS_NOTE, highlight=False, markup=False, style="dim")

    def _save_model(
        self,
        S: np.ndarray,
        dataset: Dataset,
        steps: int | None = None,
        partial_epoch: bool = False,
    ) -> None:
        from ..training.model_io import save_model

        o = self.options
        metadata = {
            "tier": self.tier_name,
            "options": self.slim.to_dict(),
            "learning_rate": self.doc["learning_rate"]["value"],
            "seed": o.seed,
            "epochs": len(self.records) - partial_epoch,
            "steps": steps if steps is not None else sum(r.steps for r in self.records),
            "partial_epoch": partial_epoch,
            "dataset": dataset.name,
            "n_items": int(S.shape[0]),
        }
        self.doc["model"] = save_model(S, self.out, o.save_top_k, o.save_dense, metadata)

    def _finish(self, status: str) -> None:
        self.doc["status"] = status
        self.lock.release_reserve()  # the room kept for this last word (slimbench.output.outdir)
        self._write()
        if self.options.plots:
            from ..training.train_report import write_train_report

            self.console.print(f"report: {write_train_report(self.doc, self.out)}")


class ModelAuditFailed(SlimBenchError):
    """The trained model's audited columns differ from the reference's."""


def check_split_target(o: TrainOptions) -> None:
    """Refuse ``--write-split DIR`` where its files exist (without --force) or are an input."""
    from ..data.datasets import input_paths

    inputs = input_paths(o.dataset) + (input_paths(o.test_dataset) if o.test_dataset else [])
    for name in ("train.csv", "test.csv"):
        refuse_overwrite(
            Path(o.write_split) / name, force=o.force, inputs=inputs, option="--write-split"
        )


def model_matrix(tier: Tier, top_k: int, dense: bool) -> np.ndarray | sp.csc_matrix:
    """The trained S: dense, or for a tier that keeps S on its workers (``top_k``) and where
    no dense copy is asked for, the top-k entries of each column as a sparse matrix."""
    if tier.cls.similarity_is_distributed and top_k > 0 and not dense:
        indices, values = tier.top_k(top_k)
        n, k = indices.shape
        S = sp.csc_matrix(
            (values.ravel().astype(np.float64), indices.ravel(), np.arange(0, n * k + 1, k)),
            shape=(n, n),
        )
        S.eliminate_zeros()
        return S
    return np.ascontiguousarray(tier.similarity())
