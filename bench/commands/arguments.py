"""The arguments the commands share: tier selection, Dask options, the call time limit."""

from __future__ import annotations

import argparse

from ..arg_types import call_timeout_value, positive_int, tier_list

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
        type=call_timeout_value,
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
