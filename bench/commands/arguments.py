"""argparse types shared by the commands: numbers with a range, lists of tier names."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..impls.base import MAX_SEED

#: upper bounds of the counts the commands take: beyond them a run would outlive its user
MAX_EPOCHS = 10**6
MAX_ROUNDS = 10_000


def tier_list(text: str) -> list[str]:
    """``A,B,C`` -> ["A", "B", "C"]; an empty list or a name given twice is refused."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of tier names")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"tier(s) listed more than once: {', '.join(twice)}")
    return names


def number(
    convert: Callable[[str], float], accept: Callable[[float], bool], expected: str
) -> Callable[[str], float]:
    """An argparse type: ``convert`` the text, and refuse what ``accept`` rejects."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value

    return parse


positive_int = number(int, lambda v: v > 0, "a positive integer")
non_negative_int = number(int, lambda v: v >= 0, "an integer >= 0")
positive_float = number(float, lambda v: 0 < v < float("inf"), "a positive finite number")
seed_value = number(int, lambda v: 0 <= v <= MAX_SEED, f"an integer in [0, {MAX_SEED}]")
epoch_count = number(int, lambda v: 0 < v <= MAX_EPOCHS, f"an integer in [1, {MAX_EPOCHS:,}]")
round_count = number(int, lambda v: 0 < v <= MAX_ROUNDS, f"an integer in [1, {MAX_ROUNDS:,}]")


def thread_count(text: str) -> int:
    """A thread count in [1, the most the parallel tiers accept on this machine]."""
    from ..impls.cython_parallel import max_threads  # the cores are known only at run time

    limit = max_threads()
    return int(
        number(int, lambda v: 0 < v <= limit, f"an integer in [1, {limit}] (8 per usable core)")(
            text
        )
    )


share = number(float, lambda v: 0 < v < 1, "a number in (0, 1)")  # holdout needs both parts


def float_list(text: str) -> list[float]:
    """``0.1,0.5`` -> [0.1, 0.5]; every value must be positive."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


TIERS_HELP = (
    "comma-separated tier names, package.module:ClassName specs of Tier subclasses, or "
    "'all'. Default: every tier; with --tier-file, the user's tiers plus python-naive, "
    "cython-rand and the fastest exact built-in tier"
)


def add_tier_arguments(parser: argparse.ArgumentParser, tiers_help: str = TIERS_HELP) -> None:
    """``--tiers`` and the repeatable ``--tier-file`` (a user's .pyx or .py loop)."""
    parser.add_argument("--tiers", type=tier_list, default=None, help=tiers_help)
    parser.add_argument(
        "--tier-file",
        action="append",
        default=[],
        metavar="FILE",
        help="a .pyx (compiled on the fly) or .py file defining train_steps(samples, coo_row, "
        "coo_col, coo_data, indptr, indices, data, S, learning_rate); repeatable. "
        "`slimbench new-tier NAME` writes one",
    )


def scheduler_address(text: str) -> str:
    """A non-empty scheduler address: an empty ``$VAR`` must not start a LocalCluster."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "the address is empty (an unset variable?); give one such as tcp://10.0.0.5:8786, "
            "or leave the option out to start a LocalCluster here"
        )
    return text.strip()


def add_call_timeout_argument(parser: argparse.ArgumentParser) -> None:
    """``--call-timeout``: the least time a tier's call may take before its worker is killed."""
    from ..measure.tier_process import DEFAULT_CALL_TIMEOUT, TIMEOUT_FACTOR

    parser.add_argument(
        "--call-timeout",
        type=number(float, lambda v: 0 < v <= 7 * 24 * 3600, "seconds in (0, 604800]"),
        default=DEFAULT_CALL_TIMEOUT,
        metavar="SECONDS",
        help="kill a tier's worker when one call takes longer than this, or than "
        f"{TIMEOUT_FACTOR:g}x what its measured rate predicts (default {DEFAULT_CALL_TIMEOUT:g})",
    )


def add_dask_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the dask tiers (dask-bucketed, dask-bucketed-f32)."""
    group = parser.add_argument_group("Dask (the dask-bucketed tiers)")
    group.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        type=scheduler_address,
        default=None,
        help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: start a "
        "LocalCluster on this machine, shut down at the end)",
    )
    group.add_argument(
        "--dask-workers",
        type=positive_int,
        default=None,
        help="workers, one block of S each (default: the usable cores)",
    )
    group.add_argument(
        "--dask-threads-per-worker",
        type=positive_int,
        default=None,
        help="OpenMP threads of the kernel in each worker (default 1)",
    )


def dask_options(args: argparse.Namespace) -> dict:
    """The Dask options as the dask tiers' keyword arguments."""
    return {
        "scheduler": args.dask_scheduler,
        "workers": args.dask_workers,
        "threads_per_worker": args.dask_threads_per_worker,
    }
