"""``slimbench report``: regenerate plots and report.html from a saved run."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="regenerate plots and report.html from a saved run")
    report.add_argument("results", help="a results.json (or, with --pytest-benchmark, its JSON)")
    report.add_argument(
        "--pytest-benchmark",
        action="store_true",
        help="RESULTS is a `pytest --benchmark-json` / --benchmark-save file",
    )
    report.add_argument("--out", default=None, help="output folder (default: beside RESULTS)")
    report.add_argument(
        "--force",
        action="store_true",
        help="with --pytest-benchmark: replace a results.json already in the output folder",
    )
    report.add_argument(
        "--vs",
        metavar="TIER",
        default=None,
        help="add a paired 'vs TIER' ratio column (default: the run's choice)",
    )
    report.add_argument(
        "--wide", action="store_true", help="print every column, however wide the table"
    )
    report.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Regenerate plots and report.html from a saved run (or a pytest-benchmark file)."""
    from pathlib import Path

    from ..output.console import print_table, wide_console
    from ..output.outdir import OutputLock, prepare_out_dir, run_abandoned
    from ..output.report import write_report
    from ..output.results import load_results, settle_abandoned, write_results

    # The folder is claimed as a run claims it: a live run's folder is refused (its files
    # would race with ours), and an imported session never replaces a run's results.json
    # unless asked to.
    if args.pytest_benchmark:
        from ..output.pytest_benchmark_import import results_from_pytest_benchmark

        results = results_from_pytest_benchmark(args.results)
        out = prepare_out_dir(Path(args.out) if args.out else Path(args.results).with_suffix(""))
        lock = OutputLock(out, force=args.force)
    else:
        results = load_results(args.results)
        out = prepare_out_dir(Path(args.out) if args.out else Path(args.results).parent)
        lock = OutputLock(out, force=True)  # regenerating beside a results.json is the point
        if run_abandoned(Path(args.results).parent) and settle_abandoned(results):
            print("note: the run that wrote this file is gone; its tiers show as interrupted")
    _derive_vs(results, args.vs)
    try:
        if args.pytest_benchmark:
            write_results(results, out)
        path = write_report(results, out)
    finally:
        lock.release()
    print_table(results, wide_console(), wide=args.wide)
    print(f"report: {path}")
    return 0


def _derive_vs(results: dict, vs: str | None) -> None:
    """The "vs TIER" ratios of ``--vs`` (or of a file written before that column existed)."""
    from ..output.results import comparison_tier, derive_ratios
    from .run import check_vs

    check_vs(vs, [t["name"] for t in results["tiers"]])
    if vs is not None:
        results["options"]["vs"] = vs
    if comparison_tier(results["tiers"], results["options"].get("vs")) is not None:
        paired = results["options"].get("scheduling") == "round-robin"
        derive_ratios(results["tiers"], paired=paired, vs=results["options"].get("vs"))
