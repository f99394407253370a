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
    report.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Regenerate plots and report.html from a saved run (or a pytest-benchmark file)."""
    from pathlib import Path

    from ..console import print_table
    from ..outdir import run_abandoned
    from ..report import write_report
    from ..results import load_results, settle_abandoned, write_results
    from ..runner import prepare_out_dir, wide_console

    if args.pytest_benchmark:
        from ..pytest_benchmark_import import results_from_pytest_benchmark

        results = results_from_pytest_benchmark(args.results)
        out = prepare_out_dir(Path(args.out) if args.out else Path(args.results).with_suffix(""))
        write_results(results, out)
    else:
        results = load_results(args.results)
        if run_abandoned(Path(args.results).parent) and settle_abandoned(results):
            print("note: the run that wrote this file is gone; its tiers show as interrupted")
        out = prepare_out_dir(Path(args.out) if args.out else Path(args.results).parent)
    path = write_report(results, out)
    print_table(results, wide_console())
    print(f"report: {path}")
    return 0
