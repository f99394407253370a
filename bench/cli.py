"""The ``slimbench`` command: one subcommand per job, each a thin layer over a module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .impls import SlimBenchError, tier_names


def _tier_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of tier names")
    return names


def _number(
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


_positive_int = _number(int, lambda v: v > 0, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _number(float, lambda v: 0 < v < float("inf"), "a positive finite number")
_share = _number(float, lambda v: 0 < v <= 1, "a number in (0, 1]")


def cmd_check(args: argparse.Namespace) -> int:
    """Cross-check tiers against python-naive on the built-in check dataset."""
    from .check import check_dataset, check_tiers
    from .impls import accepts_option

    data = check_dataset()
    names = list(tier_names() if args.tiers is None else args.tiers)
    threaded = [n for n in names if accepts_option(n.partition("@")[0], "threads")]
    options = {n: {"threads": args.threads} for n in threaded if args.threads is not None}
    if args.tiers is None and "cython-parallel" in threaded:
        # the same S at any thread count: checked, not assumed
        names += [f"cython-parallel@{t}" for t in (1, 2, 3)]
    print(
        f"cross-check on the built-in dataset: {data.n_users} users x {data.n_items} items, "
        f"{data.nnz:,} interactions, {args.epochs} epochs, seed {args.seed}, "
        f"learning rate {args.learning_rate:g}; reference python-naive"
    )
    results = check_tiers(
        names,
        data=data,
        seed=args.seed,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        options=options,
    )
    for result in results:
        print(result.line())
    if threaded:
        from .impls.cython_parallel import available_cores, openmp_enabled

        openmp = "on" if openmp_enabled() else "off (parallel tiers run on 1 thread)"
        print(f"OpenMP {openmp}; {available_cores()} cores available")
    failed = [r.tier for r in results if r.failed]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"all {sum(r.passed for r in results)} available tiers pass")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Check, then time the tiers; write results, plots and the report."""
    from pathlib import Path

    from .runner import Runner, RunOptions

    options = RunOptions(
        dataset=args.dataset,
        tiers=args.tiers,
        seed=args.seed,
        learning_rate=args.learning_rate,
        budget_seconds=args.budget,
        rounds=args.rounds,
        warmup_seconds=args.warmup,
        epochs=args.epochs,
        threads=args.threads,
        train_share=args.train_share,
        out_dir=Path(args.out) if args.out else None,
        annotate=not args.no_annotate,
        command=["slimbench", *sys.argv[1:]],
    )
    return Runner(options).execute()


def cmd_report(args: argparse.Namespace) -> int:
    """Regenerate plots and report.html from a saved run (or a pytest-benchmark file)."""
    from pathlib import Path

    from .report import write_report
    from .results import load_results, write_results

    if args.pytest_benchmark:
        from .pytest_benchmark_import import results_from_pytest_benchmark

        results = results_from_pytest_benchmark(args.results)
        out = Path(args.out) if args.out else Path(args.results).with_suffix("")
        from .runner import prepare_out_dir

        prepare_out_dir(out)
        write_results(results, out)
    else:
        results = load_results(args.results)
        out = Path(args.out) if args.out else Path(args.results).parent
        from .runner import prepare_out_dir

        prepare_out_dir(out)
    path = write_report(results, out)
    from .console import print_table
    from .runner import wide_console

    print_table(results, wide_console())
    print(f"report: {path}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Per-tier ratios between two saved runs."""
    from .compare import print_comparison
    from .results import load_results
    from .runner import wide_console

    print_comparison(load_results(args.old), load_results(args.new), wide_console())
    return 0


def cmd_annotate(args: argparse.Namespace) -> int:
    """`cython -a` for every Cython tier, and the count of yellow lines in its step loop."""
    from pathlib import Path

    from .annotate import annotate_tiers
    from .runner import default_out_dir, prepare_out_dir

    out = prepare_out_dir(Path(args.out) if args.out else default_out_dir() / "annotate")
    counts = annotate_tiers(args.tiers or tier_names(), out)
    print(f"{'tier':<22} {'yellow lines':>12} {'of loop':>8} {'score':>6}  annotation")
    for name, info in counts.items():
        print(
            f"{name:<22} {info['yellow_lines']:>12} {info['loop_lines']:>8} "
            f"{info['yellow_score']:>6}  {info['html']}"
        )
    return 0


def cmd_scale(args: argparse.Namespace) -> int:
    """Measure tiers over datasets of growing size and profile length; plot the cost."""
    from pathlib import Path

    from .runner import default_out_dir, prepare_out_dir, wide_console
    from .scale import DEFAULT_TIERS, profile_sweep, run_scale, size_sweep

    out = prepare_out_dir(Path(args.out) if args.out else default_out_dir() / "scale")
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
        console=wide_console(),
    )
    print(f"plots and scale.json in {out}")
    return 0


def _float_list(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="slimbench",
        description="Benchmark implementations of one SLIM MSE SGD epoch: check, then time.",
    )
    parser.add_argument("--version", action="version", version=f"slimbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from .check import CHECK_LEARNING_RATE

    check = sub.add_parser("check", help="cross-check every tier against python-naive")
    check.add_argument(
        "--tiers",
        type=_tier_list,
        default=None,
        help=f"comma-separated tiers (default all: {', '.join(tier_names())})",
    )
    check.add_argument("--seed", type=_non_negative_int, default=0)
    check.add_argument("--epochs", type=_positive_int, default=3)
    check.add_argument("--learning-rate", type=_positive_float, default=CHECK_LEARNING_RATE)
    check.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads for the tiers that take them (default: all cores)",
    )
    check.set_defaults(func=cmd_check)

    from .dataset_commands import add_dataset_commands

    add_dataset_commands(sub)

    run = sub.add_parser(
        "run",
        help="check, then time every tier; write results, plots and an HTML report",
        description="Cross-check the tiers, then time them under the protocol in "
        "slimbench/timing.py, and write results.json, results.csv, PNG plots and "
        "report.html into the output folder (rewritten after every round).",
    )
    run.add_argument(
        "--dataset",
        default="synthetic-ml10m",
        help="dataset spec (default: synthetic-ml10m); see `slimbench datasets`",
    )
    run.add_argument(
        "--tiers",
        type=_tier_list,
        default=None,
        help="comma-separated tiers (default: all available)",
    )
    run.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        help="seed of the sample stream and the holdout split (default 0)",
    )
    run.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=1e-6,
        help="default 1e-6, the seed's value for its speed runs",
    )
    run.add_argument(
        "--budget",
        type=_positive_float,
        default=20.0,
        help="seconds per tier for warm-up and rounds (default 20)",
    )
    run.add_argument(
        "--rounds",
        type=_positive_int,
        default=7,
        help="timed rounds per tier where the budget allows (default 7)",
    )
    run.add_argument(
        "--warmup",
        type=_positive_float,
        default=None,
        help="warm-up seconds per tier (default 10%% of the budget, 0.2-3 s)",
    )
    run.add_argument(
        "--epochs",
        type=_positive_int,
        default=10,
        help="epochs to extrapolate the training time to (default 10)",
    )
    run.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads for the parallel tiers (default: all usable cores)",
    )
    run.add_argument(
        "--train-share",
        type=_share,
        default=0.8,
        help="share of interactions in the training split (default 0.8)",
    )
    run.add_argument("--out", default=None, help="output folder (default: reports/<date>-<time>)")
    run.add_argument(
        "--no-annotate", action="store_true", help="skip `cython -a` (its yellow-line counts)"
    )
    run.set_defaults(func=cmd_run)

    report = sub.add_parser("report", help="regenerate plots and report.html from a saved run")
    report.add_argument("results", help="a results.json (or, with --pytest-benchmark, its JSON)")
    report.add_argument(
        "--pytest-benchmark",
        action="store_true",
        help="RESULTS is a `pytest --benchmark-json` / --benchmark-save file",
    )
    report.add_argument("--out", default=None, help="output folder (default: beside RESULTS)")
    report.set_defaults(func=cmd_report)

    compare = sub.add_parser("compare", help="per-tier ratios between two saved runs")
    compare.add_argument("old", help="results.json of the earlier run")
    compare.add_argument("new", help="results.json of the later run")
    compare.set_defaults(func=cmd_compare)

    scale = sub.add_parser(
        "scale", help="samples/s and ns per profile entry over growing datasets (plots)"
    )
    scale.add_argument(
        "--tiers",
        type=_tier_list,
        default=None,
        help="default: cython-rand, cython-bucketed, cython-parallel, floor",
    )
    scale.add_argument("--sweep", choices=("size", "profile", "both"), default="both")
    scale.add_argument(
        "--scales",
        type=_float_list,
        default=[0.05, 0.1, 0.25, 0.5, 1.0],
        help="scales of synthetic-ml10m for the size sweep",
    )
    scale.add_argument(
        "--means",
        type=lambda t: [int(v) for v in _float_list(t)],
        default=[20, 50, 100, 200, 400],
        help="mean profile lengths for the profile sweep",
    )
    scale.add_argument(
        "--budget",
        type=_positive_float,
        default=4.0,
        help="seconds per tier and dataset (default 4)",
    )
    scale.add_argument("--rounds", type=_positive_int, default=5)
    scale.add_argument("--seed", type=_non_negative_int, default=0)
    scale.add_argument("--threads", type=_positive_int, default=None)
    scale.add_argument(
        "--out", default=None, help="output folder (default: reports/<date>-<time>/scale)"
    )
    scale.set_defaults(func=cmd_scale)

    annotate = sub.add_parser("annotate", help="`cython -a` per Cython tier; count yellow lines")
    annotate.add_argument("--tiers", type=_tier_list, default=None)
    annotate.add_argument(
        "--out", default=None, help="output folder (default: reports/<date>-<time>/annotate)"
    )
    annotate.set_defaults(func=cmd_annotate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slimbench`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SlimBenchError as exc:
        print(f"slimbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"slimbench {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
