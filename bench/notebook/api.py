"""The Python API at the package top: ``slimbench.run`` and ``slimbench.check``.

Both take what ``--tiers`` and ``--tier-file`` take, plus ``Tier`` subclasses and plain
``train_steps`` functions defined anywhere, a notebook cell included
(:mod:`.tier_objects`), and go through the commands' own paths: the tier selection, the
cross-check (:func:`slimbench.measure.check.check_tiers`) and the run
(:class:`slimbench.sessions.run.RunSession`). Nothing is written unless asked: ``out=`` or
:meth:`RunResults.save`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from ..impls import get_tier
from ..impls.limits import EPOCHS, LEARNING_RATE, SEED, thread_bound
from ..measure.check import CHECK_LEARNING_RATE, check_dataset, check_tiers
from ..measure.tier_selection import (
    USER_COMPANIONS,
    fastest_exact_builtin,
    select_tiers,
    split_width,
    tier_options,
)
from ..sessions.run import RunOptions, RunSession
from .results_view import CheckResults, RunResults
from .tier_objects import REACHED, tier_references


def _selected(tiers: object, tier_files: Sequence[str | Path], companions: bool) -> list[str]:
    references = tier_references(tiers)
    files = [str(f) for f in ([tier_files] if isinstance(tier_files, str | Path) else tier_files)]
    names = select_tiers(references, files, companions=False)
    if companions:  # the seed's scale: the reference, the seed's best, the fastest exact
        fastest = fastest_exact_builtin()
        names = [*USER_COMPANIONS, *([fastest] if fastest else []), *names]
    return list(dict.fromkeys(names))


def _console() -> Console:
    """Rich's own console in Jupyter (HTML, a live bar) or a terminal; 200 columns in a log."""
    console = Console()
    if console.is_jupyter:  # the HTML keeps its colours; the text/plain copy gets no ANSI codes
        return Console(color_system=None)
    return console if console.is_terminal else Console(width=200)


def _notes(names: Sequence[str]) -> dict[str, str]:
    """How each tier from outside reached the check: by value, or its build."""
    notes = {}
    for name in names:
        cls = get_tier(split_width(name)[0])
        if name in REACHED and cls.origin.get("kind") in ("pickle", "session-object"):
            notes[name] = REACHED[name]
        elif cls.origin.get("language") == "cython":
            notes[name] = cls.build_summary()
    return notes


def check(
    tiers: object = None,
    tier_files: Sequence[str | Path] = (),
    *,
    seed: int = 0,
    epochs: int = 3,
    learning_rate: float = CHECK_LEARNING_RATE,
    threads: int | None = None,
) -> CheckResults:
    """Cross-check tiers against python-naive on the built-in check dataset.

    ``tiers``: names, ``module:Class`` specs, Tier subclasses or ``train_steps`` functions
    (default: every tier, or the ``tier_files`` alone where given). A failing tier is a
    verdict (``.passed`` is False), not an exception; a tier that cannot be loaded raises.
    """
    for bound, value in ((SEED, seed), (EPOCHS, epochs), (LEARNING_RATE, learning_rate)):
        bound.check(value)  # what `slimbench check` refuses, with its messages
    if threads is not None:
        thread_bound().check(threads)
    names = _selected(tiers, tier_files, companions=False)
    options = {split_width(n)[0]: tier_options(split_width(n)[0], threads) for n in names}
    verdicts = check_tiers(
        names,
        data=check_dataset(),
        seed=seed,
        epochs=epochs,
        learning_rate=learning_rate,
        options=options,
    )
    return CheckResults(verdicts, _notes(names))


def run(
    tiers: object = None,
    tier_files: Sequence[str | Path] = (),
    *,
    dataset: str = "synthetic-ml10m",
    budget: float = 20.0,
    rounds: int = 7,
    threads: int | None = None,
    out: str | Path | None = None,
    companions: bool = False,
    seed: int = 0,
    learning_rate: float = 1e-6,
    epochs: int = 10,
    annotate: bool = True,
    bandwidth: bool = False,
    progress: bool = True,
) -> RunResults:
    """Check, then time exactly the given tiers, as ``slimbench run`` does; return the results.

    ``companions`` adds python-naive, cython-rand and the fastest exact built-in tier (what
    ``run --tier-file`` adds). ``out``: also write results.json, CSV, plots and the report
    there (else nothing is written; :meth:`RunResults.save` writes them later). ``progress``:
    the live progress bar and the run's log (rich renders them in Jupyter). A tier that fails
    its check is a row without a figure; errors of the arguments raise the CLI's messages.
    """
    names = _selected(tiers, tier_files, companions)
    options = RunOptions(
        dataset=dataset,
        tiers=names,
        seed=seed,
        learning_rate=learning_rate,
        budget_seconds=budget,
        rounds=rounds,
        epochs=epochs,
        threads=threads,
        out_dir=Path(out) if out is not None else None,
        annotate=annotate,
        plots=out is not None,
        bandwidth=bandwidth,
        command=[f"slimbench.run(tiers={names!r}, dataset={dataset!r}, budget={budget!r})"],
        keep_files=out is not None,
        console_table=False,  # the results object is the table
    )
    console = _console() if progress else Console(file=io.StringIO())
    runner = RunSession(options, console=console)
    runner.execute()
    return RunResults(runner.results, saved_to=runner.out if out is not None else None)
