"""``slimbench scale``: samples/s and ns per profile entry over growing datasets."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..arg_types import budget_value, float_list, round_count, seed_value, thread_count, tier_list
from .arguments import add_call_timeout_argument

#: the tiers a sweep measures unless --tiers says otherwise: the seed's best, the bucketed,
#: parallel and interleaved steps, and the two floors they are read against
DEFAULT_TIERS = (
    "cython-rand",
    "cython-bucketed",
    "cython-parallel",
    "cython-interleaved",
    "floor",
    "floor-compact",
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    scale = sub.add_parser(
        "scale", help="samples/s and ns per profile entry over growing datasets (plots)"
    )
    scale.add_argument(
        "--tiers",
        type=tier_list,
        default=None,
        help=f"default: {', '.join(DEFAULT_TIERS)}",
    )
    scale.add_argument("--sweep", choices=("size", "profile", "both"), default="both")
    scale.add_argument(
        "--scales",
        type=float_list,
        default=[0.05, 0.1, 0.25, 0.5, 1.0],
        help="scales of synthetic-ml10m for the size sweep",
    )
    scale.add_argument(
        "--means",
        type=lambda t: [int(v) for v in float_list(t)],
        default=[20, 50, 100, 200, 400],
        help="mean profile lengths for the profile sweep",
    )
    scale.add_argument(
        "--budget",
        type=budget_value,
        default=4.0,
        help="seconds per tier and dataset (default 4)",
    )
    scale.add_argument("--rounds", type=round_count, default=5)
    scale.add_argument("--seed", type=seed_value, default=0)
    scale.add_argument("--threads", type=thread_count, default=None)
    scale.add_argument(
        "--out", default=None, help="output folder (default: reports/<date>-<time>/scale)"
    )
    scale.add_argument(
        "--force", action="store_true", help="write into an --out folder holding a scale.json"
    )
    add_call_timeout_argument(scale)
    scale.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Measure tiers over datasets of growing size and profile length; plot the cost."""
    from ..interrupts import terminations_as_interrupt
    from ..output.outdir import OutputLock, default_out_dir, prepare_out_dir

    out = prepare_out_dir(Path(args.out) if args.out else default_out_dir() / "scale")
    lock = OutputLock(out, force=args.force, results_name="scale.json")
    try:
        with terminations_as_interrupt():  # kill or a closed terminal: the path of Ctrl-C
            return _scale(args, out)
    finally:
        lock.release()


def _scale(args: argparse.Namespace, out: Path) -> int:
    from ..output.console import wide_console
    from ..sessions.scale import profile_sweep, run_scale, size_sweep

    sweeps = {}
    if args.sweep in ("size", "both"):
        sweeps["size"] = size_sweep(args.scales)
    if args.sweep in ("profile", "both"):
        sweeps["profile"] = profile_sweep(args.means)
    run_scale(
        args.tiers or list(DEFAULT_TIERS),
        sweeps,
        out,
        budget_seconds=args.budget,
        rounds=args.rounds,
        seed=args.seed,
        threads=args.threads,
        call_timeout=args.call_timeout,
        console=wide_console(),
    )
    print(f"plots and scale.json in {out}")
    return 0
